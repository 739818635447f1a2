"""What every page's header shows of the customer's basket."""

from functools import cache
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from . import selectors


def basket(request: HttpRequest) -> dict[str, Any]:
    """« Basket (3) » in the header: the units in the open week's basket. A callable
    (templates call it), so a page without the header runs no query, and one query
    otherwise; the shop, which has read the basket already, passes the number itself."""
    user: Any = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return {}

    @cache
    def items() -> int:
        return selectors.basket_items(customer_id=user.pk, now=timezone.now())

    # The coordinator's and the farm's pages show it only when something is in it: an
    # empty « Panier (0) » there is noise.
    back_office = request.path.startswith(BACK_OFFICE)
    return {"header_basket_items": items, "header_back_office": back_office}


BACK_OFFICE = ("/coordinator/", "/portal/", "/farm/", "/org/")
