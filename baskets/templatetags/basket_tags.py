from typing import Any

from django import template

register = template.Library()


@register.filter
def get(mapping: dict[Any, Any] | None, key: Any) -> Any:
    """`{{ quantities|get:offer.pk }}`: a dict lookup with a variable key (0 if absent)."""
    if not mapping:
        return 0
    return mapping.get(key, 0)
