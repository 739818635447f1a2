"""Writes of the weekly market. Each is one transaction; views and tasks call these."""

import logging
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User

from . import locks
from .audit import audit_record
from .errors import WindowError
from .models import AuditEvent, CoopSettings, Order, OrderWindow, Payment

logger = logging.getLogger(__name__)


@transaction.atomic
def window_open(*, window_id: int, now: datetime) -> bool:
    """Mark a scheduled window open once its time has come. True if this call did it."""
    opened = OrderWindow.objects.filter(
        pk=window_id,
        status=OrderWindow.Status.SCHEDULED,
        opens_at__lte=now,
        closes_at__gt=now,
    ).update(status=OrderWindow.Status.OPEN)
    if opened:
        logger.info("window %s opened", window_id)
    return bool(opened)


def _at(day: date, at: time) -> datetime:
    """A wall-clock time of the co-op's zone on a day, as an aware datetime."""
    return datetime.combine(day, at, tzinfo=ZoneInfo(settings.TIME_ZONE))


def _next_weekday(day: date, weekday: int, *, strictly_after: bool = False) -> date:
    days = (weekday - day.weekday()) % 7
    if days == 0 and strictly_after:
        days = 7
    return day + timedelta(days=days)


def planned_weeks(*, now: datetime, rhythm: CoopSettings) -> list[tuple[datetime, datetime, date]]:
    """(opens, closes, pickup) of the next `weeks_ahead` windows of the rhythm that have
    not opened yet (a window is never created in the past)."""
    today = timezone.localtime(now).date()
    monday = today - timedelta(days=today.weekday())
    weeks = []
    for week in range(rhythm.weeks_ahead + 1):
        opens_day = _next_weekday(monday + timedelta(weeks=week), rhythm.open_weekday)
        opens = _at(opens_day, rhythm.open_time)
        closes_day = _next_weekday(opens_day, rhythm.close_weekday, strictly_after=True)
        closes = _at(closes_day, rhythm.close_time)
        pickup = _next_weekday(closes_day, rhythm.pickup_weekday, strictly_after=True)
        if opens > now:
            weeks.append((opens, closes, pickup))
    return weeks[: rhythm.weeks_ahead]


@transaction.atomic
def windows_plan(*, now: datetime) -> list[int]:
    """Create the windows of the weekly rhythm for the weeks ahead. A week that already
    has a window for its pickup day (edited or cancelled by a coordinator) is left alone.
    Returns the ids created."""
    rhythm = CoopSettings.load()
    created = []
    for opens, closes, pickup in planned_weeks(now=now, rhythm=rhythm):
        if OrderWindow.objects.filter(pickup_date=pickup).exists():
            continue
        if (
            OrderWindow.objects.filter(opens_at__lt=closes, closes_at__gt=opens)
            .exclude(status=OrderWindow.Status.CANCELLED)
            .exists()
        ):
            continue  # a hand-made window already covers those days
        created.append(
            OrderWindow.objects.create(opens_at=opens, closes_at=closes, pickup_date=pickup).pk
        )
    return created


@transaction.atomic
def window_update(
    *,
    window_id: int,
    opens_at: datetime,
    closes_at: datetime,
    pickup_date: date,
    note: str,
    now: datetime,
) -> OrderWindow:
    """Change one window's dates. A closed window does not change; an open window may
    move its deadline, but not into the past."""
    window = locks.window_lock(window_id)
    if window.status not in (OrderWindow.Status.SCHEDULED, OrderWindow.Status.OPEN):
        raise WindowError(_("A closed or cancelled window cannot change."))
    if closes_at <= opens_at:
        raise WindowError(_("The window must close after it opens."))
    if pickup_date < timezone.localtime(closes_at).date():
        raise WindowError(_("Pickup must come after ordering closes."))
    if closes_at <= now and window.closes_at > now:
        raise WindowError(
            _("The deadline cannot be moved into the past; close the window instead.")
        )
    window.opens_at, window.closes_at, window.pickup_date, window.note = (
        opens_at,
        closes_at,
        pickup_date,
        note,
    )
    window.save(update_fields=["opens_at", "closes_at", "pickup_date", "note"])
    return window


@transaction.atomic
def window_close_early(*, window_id: int, now: datetime, by: User | None = None) -> OrderWindow:
    """Bring the deadline of a window taking orders to now, so the closing job can run
    before its time (a coordinator's « close now »). The deadline holds at once for
    every write, with or without a worker; a second press finds it already past."""
    window = locks.window_lock(window_id)
    if not window.accepts_orders(now):
        if window.status in (OrderWindow.Status.SCHEDULED, OrderWindow.Status.OPEN) and (
            window.closes_at <= now
        ):
            return window  # already due: the close runs (or ran) as for any deadline
        raise WindowError(_("Only a window taking orders can be closed early."))
    window.closes_at = now
    window.save(update_fields=["closes_at"])
    audit_record(window_id=window.pk, action=AuditEvent.Action.WINDOW_CLOSED_EARLY, by=by)
    return window


@transaction.atomic
def window_cancel(*, window_id: int) -> OrderWindow:
    """Cancel a window that has no order yet (the rhythm will not recreate it)."""
    window = locks.window_lock(window_id)
    if window.status not in (OrderWindow.Status.SCHEDULED, OrderWindow.Status.OPEN):
        raise WindowError(_("A closed or cancelled window cannot change."))
    if window.orders.exclude(status=Order.Status.CANCELLED).filter(lines__isnull=False).exists():
        raise WindowError(_("Customers have orders in this window: it cannot be cancelled."))
    window.status = OrderWindow.Status.CANCELLED
    window.save(update_fields=["status"])
    return window


def payment_methods_offered() -> list[str]:
    """Card when the co-op has a Stripe key; pay at pickup when the co-op allows it, or
    when there is no card payment at all (the demo)."""
    methods: list[str] = [Payment.Method.CARD] if settings.STRIPE_SECRET_KEY else []
    if not methods or CoopSettings.load().pay_at_pickup:
        methods.append(Payment.Method.AT_PICKUP)
    return methods
