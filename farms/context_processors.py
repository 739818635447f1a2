"""Whether the co-op sells goods of suppliers besides its farms' (#18), for the pages
that then say « producteur » where a farms-only co-op says « ferme »."""

from functools import cache
from typing import Any

from django.http import HttpRequest

from .selectors import has_suppliers


def suppliers(request: HttpRequest) -> dict[str, Any]:
    """`has_suppliers`, a callable: read only by a page that asks, once."""
    return {"has_suppliers": cache(has_suppliers)}
