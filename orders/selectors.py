"""Reads of the weekly market, with their joins, so query counts stay flat."""

from datetime import datetime, timedelta

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

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
        OrderWindow.objects.filter(status__in=LIVE, closes_at__lte=now)
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
