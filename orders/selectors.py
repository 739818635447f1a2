"""Reads of the weekly market, with their joins, so query counts stay flat."""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from farms.models import Farm

from .models import Offer, Order, OrderLine, OrderWindow

LIVE = (OrderWindow.Status.SCHEDULED, OrderWindow.Status.OPEN)


def due_to_open_ids(*, now: datetime) -> list[int]:
    return list(
        OrderWindow.objects.filter(
            status=OrderWindow.Status.SCHEDULED, opens_at__lte=now, closes_at__gt=now
        ).values_list("pk", flat=True)
    )


def due_to_close_ids(*, now: datetime) -> list[int]:
    """Every live window past its deadline, however long ago: a tick catches up."""
    return list(
        OrderWindow.objects.filter(
            status__in=(*LIVE, OrderWindow.Status.CLOSING), closes_at__lte=now
        )
        .order_by("closes_at")
        .values_list("pk", flat=True)
    )


def current_window(*, now: datetime | None = None) -> OrderWindow | None:
    """The window taking orders now, whatever the task has recorded."""
    now = now or timezone.now()
    return (
        OrderWindow.objects.filter(status__in=LIVE, opens_at__lte=now, closes_at__gt=now)
        .order_by("closes_at")
        .first()
    )


def next_window(*, now: datetime | None = None) -> OrderWindow | None:
    now = now or timezone.now()
    return (
        OrderWindow.objects.filter(status=OrderWindow.Status.SCHEDULED, opens_at__gt=now)
        .order_by("opens_at")
        .first()
    )


def windows_with_counts(*, now: datetime | None = None) -> QuerySet[OrderWindow]:
    """Recent and upcoming windows with their placed orders (confirmed, then locked,
    picked up or not: what a coordinator calls the week's orders) and their offers
    counted, each in a subquery: two joined counts would multiply each other."""
    now = now or timezone.now()
    placed = (
        Order.objects.filter(window=OuterRef("pk"), status__in=PLACED)
        .order_by()
        .values("window")
        .annotate(n=Count("pk"))
        .values("n")
    )
    offered = (
        Offer.objects.filter(window=OuterRef("pk"))
        .order_by()
        .values("window")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        OrderWindow.objects.filter(closes_at__gte=now - timedelta(days=21))
        .annotate(
            placed_orders=Coalesce(Subquery(placed), 0),
            offer_count=Coalesce(Subquery(offered), 0),
        )
        .order_by("opens_at")
    )


def farm_windows(*, farm: Farm, now: datetime) -> list[OrderWindow]:
    """A farm's weeks: the open and upcoming ones, then the last three closed, with the
    farm's offers counted and the units customers took."""
    farm_offers = Q(offers__product__farm=farm)
    base = OrderWindow.objects.exclude(status=OrderWindow.Status.CANCELLED).annotate(
        farm_offer_count=Count("offers", filter=farm_offers),
        farm_units=Sum("offers__quantity", filter=farm_offers),
        farm_remaining=Sum("offers__remaining", filter=farm_offers),
    )
    current = list(base.filter(closes_at__gt=now).order_by("opens_at")[:4])
    past = list(base.filter(closes_at__lte=now).order_by("-closes_at")[:3])
    windows: list[OrderWindow] = [*current, *past]
    for window in windows:
        window.farm_ordered = (window.farm_units or 0) - (window.farm_remaining or 0)  # type: ignore[attr-defined]
    return windows


def previous_window_of_farm(*, farm: Farm, window: OrderWindow) -> OrderWindow | None:
    """The latest earlier window in which this farm offered something: "last week"."""
    return (
        OrderWindow.objects.filter(opens_at__lt=window.opens_at, offers__product__farm=farm)
        .exclude(pk=window.pk)
        .order_by("-opens_at")
        .distinct()
        .first()
    )


PLACED = (Order.Status.CONFIRMED, *Order.CLOSED_STATUSES)


def _delivered_amount() -> Any:
    """A line's amount on what is delivered, in SQL (before rounding to the cent): per
    kg on its weight, or on its estimate until weighed, for a product sold by weight."""
    delivered = F("quantity") - F("shortage")
    return ExpressionWrapper(
        F("unit_price")
        * Coalesce(
            F("weight"),
            F("unit_weight_estimate") * delivered,
            delivered,
            output_field=DecimalField(max_digits=12, decimal_places=3),
        ),
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )


def window_figures(*, window: OrderWindow) -> dict[str, object]:
    """Orders and revenue (before taxes, on what is delivered) of a window: two queries."""
    orders = Order.objects.filter(window=window, status__in=PLACED).count()
    revenue = OrderLine.objects.filter(order__window=window, order__status__in=PLACED).aggregate(
        revenue=Sum(_delivered_amount())
    )["revenue"]
    return {"orders": orders, "revenue": revenue or Decimal("0.00")}


def window_farm_totals(*, window: OrderWindow) -> list[dict[str, Any]]:
    """Units and amount per farm (on what is delivered), in one query."""
    rows = (
        OrderLine.objects.filter(order__window=window, order__status__in=PLACED)
        .values("offer__product__farm__name")
        .annotate(
            units=Sum(F("quantity") - F("shortage")),
            delivered_amount=Sum(_delivered_amount()),
        )
        .order_by("offer__product__farm__name")
    )
    return [dict(row) for row in rows]


def window_orders(
    *, window: OrderWindow, q: str = "", point_id: int | None = None, status: str = ""
) -> QuerySet[Order]:
    """The week's orders for the coordinator's table, by point then family name; `q`
    finds an order by its number (« 42 », « #42 ») or by parts of the customer's name
    or email (every word must match), `point_id` and `status` narrow it (the pickup
    table)."""
    found = Q()
    words = q.strip().lstrip("#").split()
    for word in words[:5]:
        if word.isdigit():  # an order number (names have no digits; emails may)
            found &= Q(pk=int(word)) if len(word) < 10 else Q(pk__in=[])
            continue
        found &= (
            Q(customer__first_name__icontains=word)
            | Q(customer__last_name__icontains=word)
            | Q(customer__email__icontains=word)
            | Q(walk_in_name__icontains=word)
        )
    if point_id:
        found &= Q(pickup_point_id=point_id)
    if status:
        found &= Q(status=status)
    return (
        Order.objects.filter(found)
        .filter(
            # and cancelled orders that were paid: their refund is followed here
            Q(status__in=PLACED)
            | Q(status=Order.Status.CANCELLED, payments__amount_captured__gt=0),
            window=window,
        )
        .distinct()
        .select_related("customer", "pickup_point", "pickup_slot", "entered_by")
        .prefetch_related("payments__refunds", "lines")
        .order_by("pickup_point__name", "customer__last_name", "customer__first_name")
    )


def window_offers_ordered(*, window: OrderWindow) -> QuerySet[Offer]:
    """Offers that customers ordered, for recording shortages."""
    return (
        Offer.objects.filter(window=window, remaining__lt=F("quantity"))
        .select_related("product__farm")
        .order_by("product__farm__name", "product__name")
    )


def window_close_preview(*, window: OrderWindow) -> dict[str, int]:
    """What closing now would do: baskets never confirmed (discarded, their units back
    on sale) and confirmed orders (locked, charged)."""
    counts = dict(
        Order.objects.filter(
            window=window,
            status__in=(Order.Status.BASKET, Order.Status.CONFIRMED),
            lines__isnull=False,
        )
        .values_list("status")
        .annotate(n=Count("pk", distinct=True))
    )
    return {
        "baskets": counts.get(Order.Status.BASKET, 0),
        "confirmed": counts.get(Order.Status.CONFIRMED, 0),
    }


def lines_awaiting_weights() -> Q:
    """Lines of a product sold by weight with units delivered and no weight yet (#17)."""
    return Q(unit_weight_estimate__isnull=False, weight__isnull=True, quantity__gt=F("shortage"))


def awaiting_weights() -> Exists:
    """For an Order queryset: whether it has a line still to weigh."""
    return Exists(OrderLine.objects.filter(lines_awaiting_weights(), order=OuterRef("pk")))
