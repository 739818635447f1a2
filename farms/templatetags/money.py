"""`{{ amount|money }}`: the amount as the reader's language writes it (see
`common.money`)."""

from decimal import ROUND_HALF_UP, Decimal

from django import template

from common.money import format_kg, format_money

register = template.Library()


@register.filter
def money(value: Decimal | int | str | None) -> str:
    return format_money(value)


@register.filter
def kg(value: Decimal | None) -> str:
    """A weight in kg, « 2,2 » (see `common.money.format_kg`)."""
    return format_kg(value)


@register.filter
def per_piece(price: Decimal | None, weight: Decimal | None) -> Decimal | None:
    """What a piece sold by weight comes to at its estimate: 12 $/kg × 2.2 kg = 26,40 $."""
    if price is None or weight is None:
        return None
    return (Decimal(price) * Decimal(weight)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
