"""`{{ amount|money }}`: the amount as the reader's language writes it (see
`common.money`)."""

from decimal import Decimal

from django import template

from common.money import format_money

register = template.Library()


@register.filter
def money(value: Decimal | int | str | None) -> str:
    return format_money(value)
