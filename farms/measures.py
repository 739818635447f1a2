"""The price per kilogram or litre of a package, as a shelf label shows it beside the
package's price: « 500 g » at 6,00 $ is 12,00 $/kg, « 750 ml » at 4,50 $ is 6,00 $/L.

A package's size is what its farm typed (`Product.package_size`): a number, with a
decimal comma or point, then g, kg, ml or L (« 500 g », « 1,5 kg », « 750 ml »,
« 2 L », « 2 × 250 ml »). Anything else (« 6 œufs », « sac », a unit sold by the kg
or the litre already, each, bunch, dozen) has no price per measure: the shop shows
nothing rather than a guess.
"""

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")

# Whole numbers up to 6 digits and 3 decimals: a size, not a figure big enough to make
# the division meaningless (or exceed Decimal's precision). An optional « 2 × » first.
_SIZE = re.compile(
    r"(?:(?P<count>\d{1,3})\s*[x×]\s*)?"
    r"(?P<amount>\d{1,6}(?:[.,]\d{1,3})?)\s*(?P<unit>kg|g|ml|l)",
    re.IGNORECASE,
)
# Each unit as a fraction of the one the price is given per.
_MEASURES: dict[str, tuple[Decimal, str]] = {
    "g": (Decimal("0.001"), "kg"),
    "kg": (Decimal(1), "kg"),
    "ml": (Decimal("0.001"), "L"),
    "l": (Decimal(1), "L"),
}


def per_measure(price: Decimal, unit_label: str) -> tuple[Decimal, str] | None:
    """The price per "kg" or "L" of a package of `unit_label` sold at `price`, rounded
    to the cent (half up), or None: the label is not a size in g, kg, ml or L, the
    package holds exactly 1 kg or 1 L (its price already is the price per measure),
    or the result is not a price (zero, a size of 0)."""
    if isinstance(price, bool) or not isinstance(price, Decimal | int):
        return None
    if isinstance(price, Decimal) and not price.is_finite():
        return None
    match = _SIZE.fullmatch(str(unit_label).strip())
    if match is None:
        return None
    fraction, unit = _MEASURES[match["unit"].lower()]
    size = Decimal(match["amount"].replace(",", ".")) * int(match["count"] or 1) * fraction
    if size <= 0 or size == 1 or price <= 0:
        return None
    try:
        value = (Decimal(price) / size).quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:  # a price too big to divide to the cent
        return None
    if value <= 0:
        return None
    return value, unit
