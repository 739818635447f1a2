"""Reads of the weekly market, with their joins, so query counts stay flat."""

from datetime import datetime, timedelta

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from farms.models import Farm

from .models import Order, OrderWindow

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
    """Recent and upcoming windows with their confirmed orders and offers counted."""
    now = now or timezone.now()
    return (
        OrderWindow.objects.filter(closes_at__gte=now - timedelta(days=21))
        .annotate(
            confirmed_orders=Count(
                "orders",
                filter=Q(orders__status=Order.Status.CONFIRMED),
                distinct=True,
            ),
            offer_count=Count("offers", distinct=True),
            units_offered=Sum("offers__quantity"),
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
