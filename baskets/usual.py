"""« Your usuals », at the top of the shop: the products of this week's shop that the
customer bought in the most earlier weeks, each a link to its row on the page (the row
keeps the only buttons), and a link to their usual basket if they have one.

Bought means an order of an earlier week confirmed or past confirmation (confirmed,
then locked by the close, picked up or not collected): not a basket left as it was,
not a cancelled order. One query, whatever the length of the history.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Q

from common.compiled import CompiledQuery
from orders.models import Order, OrderLine, OrderWindow

from .models import StandingBasket
from .selectors import fold

LIMIT = 12
BOUGHT = (Order.Status.CONFIRMED, *Order.CLOSED_STATUSES)


@dataclass(frozen=True, slots=True)
class UsualProduct:
    offer_id: int  # its row on the shop page is #offer-<offer_id>
    name: str
    price: Decimal  # this week's
    sold_out: bool
    weeks: int  # earlier weeks it was bought in


@dataclass(frozen=True, slots=True)
class Usuals:
    products: tuple[UsualProduct, ...]
    has_standing: bool  # a usual basket, active or paused (not stopped)


def usual_products(*, customer_id: int | None, window: OrderWindow | None) -> Usuals | None:
    """Up to LIMIT of this week's offers (as the shop lists them) whose product the
    customer bought in earlier weeks, by number of weeks then name (accents and case
    aside), and whether they have a usual basket. None for a visitor, and for a
    customer with no such product: no section. Two queries."""
    if customer_id is None or window is None:
        return None
    products = bought_products(customer_id=customer_id, window=window)
    if not products:
        return None
    return Usuals(products=products, has_standing=has_standing(customer_id=customer_id))


_HAS_STANDING = CompiledQuery(
    lambda customer: (
        StandingBasket.objects.filter(customer_id=customer)
        .exclude(status=StandingBasket.Status.STOPPED)
        .values_list("pk")[:1]
    ),
    "customer",
)


def has_standing(*, customer_id: int) -> bool:
    """A usual basket, active or paused (not stopped): one query, compiled once."""
    return bool(_HAS_STANDING.rows(customer=customer_id))


def bought_products(*, customer_id: int, window: OrderWindow) -> tuple[UsualProduct, ...]:
    """The products of `usual_products`, in one query whatever the history."""
    # From the customer's own lines of earlier weeks (their orders by the customer's
    # index, then each order's lines: the work follows their history, not everyone's)
    # to this week's offer of the same product by the (window, product) index, if the
    # shop shows it: the rule of `selectors.shop_offers`, put on that join (a subquery
    # of it would read the week's offers). One filter() call: `offers` is one join.
    shown = Q(offer__product__farm__is_active=True) | Q(
        offer__product__farm__status_changed_at__gte=window.opens_at
    )
    rows = (
        OrderLine.objects.filter(
            order__customer_id=customer_id,
            order__status__in=BOUGHT,
            order__window__opens_at__lt=window.opens_at,
        )
        .filter(
            shown, offer__product__offers__window=window, offer__product__offers__quantity__gt=0
        )
        .values(
            offer_pk=F("offer__product__offers__pk"),
            name=F("offer__product__name"),
            this_week_price=F("offer__product__offers__price"),
            this_week_remaining=F("offer__product__offers__remaining"),
        )
        .annotate(weeks=Count("order__window", distinct=True))
        .order_by()
    )
    found = sorted(rows, key=lambda r: (-r["weeks"], fold(r["name"]), r["offer_pk"]))
    return tuple(
        UsualProduct(
            offer_id=row["offer_pk"],
            name=row["name"],
            price=row["this_week_price"],
            sold_out=row["this_week_remaining"] <= 0,
            weeks=row["weeks"],
        )
        for row in found[:LIMIT]
    )
