"""Money rules, in one place. Amounts are Decimal dollars with two decimals; integer
cents exist only at the Stripe boundary (`to_cents`).

The rule, as a Québec grocer's till applies it:

1. A line's amount is its unit price × its units, rounded to the cent (half up).
   Units are whole, so this is exact today; the rounding is there for weighed goods.
2. Basic groceries are zero-rated. TPS (5 %) and TVQ (9.975 %) apply only to the
   taxable lines, each computed once on the order's taxable subtotal and rounded to
   the cent (half up) — not line by line, so a basket never gains a cent of tax by
   being split into lines.
3. The total is subtotal + TPS + TVQ.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

from farms.models import TaxClass

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def to_cent(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def to_cents(amount: Decimal) -> int:
    """Dollars to integer cents, for Stripe only."""
    return int(to_cent(amount) * 100)


def line_amount(*, unit_price: Decimal, quantity: int) -> Decimal:
    return to_cent(unit_price * quantity)


@dataclass(frozen=True, slots=True)
class Totals:
    subtotal: Decimal
    taxable: Decimal
    tps: Decimal
    tvq: Decimal
    items: int

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.tps + self.tvq


def totals(lines: Iterable[tuple[Decimal, int, str]]) -> Totals:
    """Totals of (unit_price, quantity, tax_class) lines."""
    subtotal = taxable = ZERO
    items = 0
    for unit_price, quantity, tax_class in lines:
        amount = line_amount(unit_price=unit_price, quantity=quantity)
        subtotal += amount
        items += quantity
        if tax_class == TaxClass.TAXABLE:
            taxable += amount
    return Totals(
        subtotal=subtotal,
        taxable=taxable,
        tps=to_cent(taxable * settings.COOP_TPS_RATE),
        tvq=to_cent(taxable * settings.COOP_TVQ_RATE),
        items=items,
    )
