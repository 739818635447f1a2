"""Money rules, in one place. Amounts are Decimal dollars with two decimals; integer
cents exist only at the Stripe boundary (`to_cents`).

The rule, as a Québec grocer's till applies it:

1. A line's amount is its unit price × its units, rounded to the cent (half up).
   A product sold by weight (a chicken at 12 $/kg) is priced per kg on what its units
   weighed, once weighed, and until then on their estimate (`kg`): 1.92 kg × 12 $ =
   23,04 $; 1.837 kg × 12 $ = 22,044 → 22,04 $.
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


def line_amount(*, unit_price: Decimal, quantity: int, kg: Decimal | None = None) -> Decimal:
    """`quantity` units at `unit_price`, or, for a weighed line, `kg` at `unit_price`/kg."""
    return to_cent(unit_price * (kg if kg is not None else quantity))


def kg(*, estimate: Decimal | None, weight: Decimal | None, delivered: int) -> Decimal | None:
    """The kg a line is priced on: None for a line sold by the unit; the weight of the
    units delivered once weighed; else the estimate per unit × the units delivered."""
    if estimate is None:
        return None
    if weight is not None:
        return weight
    return estimate * delivered


def hold_kg(*, estimate: Decimal | None, delivered: int, margin_percent: Decimal) -> Decimal | None:
    """The kg a card hold covers for a weighed line: its estimate and the co-op's margin."""
    if estimate is None:
        return None
    return estimate * delivered * (1 + margin_percent / 100)


@dataclass(frozen=True, slots=True)
class Totals:
    subtotal: Decimal
    taxable: Decimal
    tps: Decimal
    tvq: Decimal
    items: int
    # Deposits on returnable containers: charged apart, without tax (a refundable
    # security, not the price of a supply: docs/customers.md), not a farm's sale.
    deposits: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.tps + self.tvq + self.deposits


Line = (
    tuple[Decimal, int, str]
    | tuple[Decimal, int, str, Decimal | None]
    | tuple[Decimal, int, str, Decimal | None, Decimal]
)


def totals(lines: Iterable[Line]) -> Totals:
    """Totals of (unit_price, quantity, tax_class[, kg[, deposit]]) lines: kg for a
    weighed line, the deposit per unit for a returnable container."""
    subtotal = taxable = deposits = ZERO
    items = 0
    for line in lines:
        unit_price, quantity, tax_class = line[0], line[1], line[2]
        weighed = line[3] if len(line) > 3 else None  # type: ignore[misc]
        deposit = line[4] if len(line) > 4 else None  # type: ignore[misc]
        amount = line_amount(unit_price=unit_price, quantity=quantity, kg=weighed)
        subtotal += amount
        items += quantity
        if deposit:
            deposits += deposit * quantity
        if tax_class == TaxClass.TAXABLE:
            taxable += amount
    return Totals(
        subtotal=subtotal,
        taxable=taxable,
        tps=to_cent(taxable * settings.COOP_TPS_RATE),
        tvq=to_cent(taxable * settings.COOP_TVQ_RATE),
        items=items,
        deposits=deposits,
    )
