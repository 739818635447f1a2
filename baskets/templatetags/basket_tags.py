from decimal import Decimal
from typing import Any

from django import template

from farms import measures

register = template.Library()


@register.filter
def get(mapping: dict[Any, Any] | None, key: Any) -> Any:
    """`{{ quantities|get:offer.pk }}`: a dict lookup with a variable key (0 if absent)."""
    if not mapping:
        return 0
    return mapping.get(key, 0)


@register.filter
def per_measure(price: Decimal | None, unit_label: Any) -> tuple[Decimal, str] | None:
    """`{% with measure=offer.price|per_measure:product.unit_label %}`: the price per
    kg or L of a package (`farms.measures.per_measure`), as (amount, "kg" or "L"), or
    None where it does not apply. The amount is for the `money` filter."""
    if price is None or unit_label is None:
        return None
    return measures.per_measure(price, str(unit_label))
