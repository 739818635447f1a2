"""Reminders to customers, each sent once per customer per week, on any number of ticks
or workers (a CustomerNotice row is claimed before the email is sent):

- ordering is open (to the co-op's customers: those who ordered in the last half-year
  or keep a usual basket), in the week's first day;
- the deadline is near (24 hours before it), to those with a basket not confirmed or a
  usual basket to review;
- held units about to go back (before the idle release), to a customer whose basket
  has been left alone;
- pickup day (from 7:00 that day), with the point, the slot and what to bring.

All are reminders: sent only to those who want them (`accounts.consent`), with an
unsubscribe link and header. The coordinator's note is in each."""

import logging
from collections.abc import Iterable
from datetime import datetime, time, timedelta
from urllib.parse import urljoin

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from accounts import consent
from accounts.models import User
from orders.models import CoopSettings, Order, OrderWindow
from orders.selectors import current_window

from .models import CustomerNotice, StandingBasket, StandingWeek

logger = logging.getLogger(__name__)

Kind = CustomerNotice.Kind
DEADLINE_BEFORE = timedelta(hours=24)
SHOP_OPEN_FOR = timedelta(days=1)  # a tick down longer than this: no stale « open » email
PICKUP_FROM = time(7, 0)
RECENT = timedelta(weeks=26)


def _claim(window_id: int, customer_id: int, kind: str, now: datetime) -> bool:
    try:
        with transaction.atomic():
            CustomerNotice.objects.create(
                window_id=window_id, customer_id=customer_id, kind=kind, claimed_at=now
            )
    except IntegrityError:
        return False  # sent already, or being sent by another worker
    return True


def _send(kind: str, window: OrderWindow, user: User, context: dict[str, object]) -> None:
    language = user.language or settings.LANGUAGE_CODE
    with translation.override(language):
        full = {
            "kind": kind,
            "window": window,
            "customer": user,
            "coop_name": settings.COOP_NAME,
            "shop_url": urljoin(settings.COOP_BASE_URL, reverse("baskets:shop")),
            "basket_url": urljoin(settings.COOP_BASE_URL, reverse("baskets:basket")),
            "unsubscribe_url": consent.unsubscribe_url(user, "reminders"),
            **context,
        }
        subject = render_to_string("baskets/email/reminder_subject.txt", full).strip()
        text = render_to_string("baskets/email/reminder.txt", full)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[user.email],
        headers=consent.list_unsubscribe_headers(user, "reminders"),
    )
    message.send()


def _deliver(
    kind: str,
    window: OrderWindow,
    users: Iterable[User],
    now: datetime,
    context_of: dict[int, dict[str, object]] | None = None,
) -> int:
    sent = 0
    for user in users:
        if not consent.wants(user, "reminders") or not _claim(window.pk, user.pk, kind, now):
            continue
        try:
            _send(kind, window, user, (context_of or {}).get(user.pk, {}))
        except Exception:
            logger.exception("reminder %s of window %s to user %s failed", kind, window.pk, user.pk)
            CustomerNotice.objects.filter(window=window, customer=user, kind=kind).delete()
            continue
        CustomerNotice.objects.filter(window=window, customer=user, kind=kind).update(sent_at=now)
        sent += 1
    return sent


def _not_yet(window: OrderWindow, kind: str) -> Q:
    told = CustomerNotice.objects.filter(window=window, kind=kind).values("customer_id")
    return Q(is_active=True) & ~Q(pk__in=told)


def shop_open_send(window: OrderWindow, now: datetime) -> int:
    if not window.opens_at <= now < min(window.opens_at + SHOP_OPEN_FOR, window.closes_at):
        return 0
    customers = User.objects.filter(_not_yet(window, Kind.SHOP_OPEN)).filter(
        Q(orders__window__opens_at__gte=now - RECENT)
        & ~Q(orders__status__in=(Order.Status.BASKET, Order.Status.CANCELLED))
        | Q(
            pk__in=StandingBasket.objects.exclude(status=StandingBasket.Status.STOPPED).values(
                "customer_id"
            )
        )
    )
    return _deliver(Kind.SHOP_OPEN, window, customers.distinct().order_by("pk"), now)


def deadline_send(window: OrderWindow, now: datetime) -> int:
    if not window.closes_at - DEADLINE_BEFORE <= now < window.closes_at:
        return 0
    to_review = StandingWeek.objects.filter(
        window=window, status=StandingWeek.Status.FILLED
    ).values("standing__customer_id")
    unconfirmed = Order.objects.filter(
        window=window, status=Order.Status.BASKET, lines__isnull=False
    ).values("customer_id")
    customers = User.objects.filter(_not_yet(window, Kind.DEADLINE)).filter(
        Q(pk__in=to_review) | Q(pk__in=unconfirmed)
    )
    return _deliver(Kind.DEADLINE, window, customers.distinct().order_by("pk"), now)


def idle_send(window: OrderWindow, now: datetime) -> int:
    """Before `orders.basket.basket_release_idle` gives the units back: a quarter of the
    hold before (at most 15 minutes)."""
    hold = timedelta(minutes=CoopSettings.load().basket_hold_minutes)
    ahead = min(timedelta(minutes=15), hold / 4)
    orders = (
        Order.objects.filter(
            window=window,
            status=Order.Status.BASKET,
            lines__isnull=False,
            last_activity_at__lte=now - (hold - ahead),
            last_activity_at__gt=now - hold,
        )
        .exclude(prepared_until__gt=now)
        .values("customer_id")
    )
    customers = User.objects.filter(_not_yet(window, Kind.IDLE), pk__in=orders)
    context: dict[str, object] = {"release_minutes": int(ahead.total_seconds() // 60)}
    users = list(customers.distinct().order_by("pk"))
    return _deliver(Kind.IDLE, window, users, now, {u.pk: context for u in users})


def pickup_day_send(now: datetime) -> int:
    local = timezone.localtime(now)
    if local.time() < PICKUP_FROM:
        return 0
    sent = 0
    for window in OrderWindow.objects.filter(pickup_date=local.date()):
        orders: dict[int, Order] = {
            o.customer_id: o
            for o in Order.objects.filter(
                window=window,
                status__in=(Order.Status.LOCKED, Order.Status.CONFIRMED),
                customer__isnull=False,
            ).select_related("pickup_point", "pickup_slot")
            if o.customer_id is not None
        }
        customers = list(
            User.objects.filter(_not_yet(window, Kind.PICKUP_DAY), pk__in=list(orders)).order_by(
                "pk"
            )
        )
        sent += _deliver(
            Kind.PICKUP_DAY,
            window,
            customers,
            now,
            {u.pk: {"order": orders[u.pk]} for u in customers},
        )
    return sent


def reminders_send(*, now: datetime) -> dict[str, int]:
    """What the tick sends now, by kind."""
    counts = {str(kind): 0 for kind in Kind}
    window = current_window(now=now)
    if window is not None:
        counts[Kind.SHOP_OPEN] = shop_open_send(window, now)
        counts[Kind.DEADLINE] = deadline_send(window, now)
        counts[Kind.IDLE] = idle_send(window, now)
    counts[Kind.PICKUP_DAY] = pickup_day_send(now)
    return counts
