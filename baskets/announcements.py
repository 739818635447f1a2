"""A coordinator's announcements to the customers of a week, or of one pickup point of
it (« la cueillette est déplacée au sous-sol »): previewed with the count of who will
get it, then sent by a task, each copy once.

Rules kept here:
- The audience is the week's customers with an order (confirmed, or after the close
  to pick up), of one point or of all; walk-in buyers have no account and no email.
- Announcements are not transactional: only to those who want them
  (`accounts.consent`, on unless turned off), with an unsubscribe link and the
  List-Unsubscribe headers. The count says how many turned them off, so the
  coordinator knows whom to call.
- The recipients are fixed when the coordinator sends (one `AnnouncementDelivery`
  each): the count they confirmed is the count sent. If it changed since the preview
  (an order came in), the send is refused with both figures, to preview again.
- Exactly once on any number of workers: each copy is claimed by a conditional UPDATE
  of its `claimed_at` before the email is sent; a failed send gives the claim back; a
  claim older than `CLAIM_FOR` (a worker that died mid-send) is taken again by the
  next tick. No email is sent inside the request, nor while a row is locked.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urljoin

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts import consent
from accounts.models import EmailPreferences, User
from common.dates import date_format
from common.errors import DomainError
from orders.models import Order, OrderWindow, PickupPoint

from . import jobs
from .models import Announcement, AnnouncementDelivery

logger = logging.getLogger(__name__)

CLAIM_FOR = timedelta(minutes=10)
AUDIENCE_STATUSES = (
    Order.Status.CONFIRMED,
    Order.Status.LOCKED,
    Order.Status.PICKED_UP,
    Order.Status.NOT_COLLECTED,
)


class AnnouncementError(DomainError):
    """The announcement cannot be sent as written."""


class AlreadySent(AnnouncementError):
    """This preview was sent already."""


@dataclass(frozen=True, slots=True)
class Draft:
    subject: str
    body: str
    subject_en: str = ""
    body_en: str = ""
    pickup_point_id: int | None = None


@dataclass(frozen=True, slots=True)
class Audience:
    customers: int  # the week's (or point's) customers with an order
    opted_out: int  # of whom turned announcements off

    @property
    def recipients(self) -> int:
        return self.customers - self.opted_out


def _customers(window: OrderWindow, point_id: int | None) -> QuerySet[User]:
    orders = Order.objects.filter(
        window=window, status__in=AUDIENCE_STATUSES, customer__isnull=False
    )
    if point_id is not None:
        orders = orders.filter(pickup_point_id=point_id)
    return User.objects.filter(is_active=True, pk__in=orders.values("customer_id"))


def _opted_out() -> Q:
    """Those who turned announcements off (they are on unless turned off)."""
    return Q(pk__in=EmailPreferences.objects.filter(announcements=False).values("user_id"))


def audience(*, window: OrderWindow, point_id: int | None) -> Audience:
    """Who an announcement would reach now: two COUNTs, whatever the size of the week."""
    customers = _customers(window, point_id)
    return Audience(
        customers=customers.count(),
        opted_out=customers.filter(_opted_out()).count(),
    )


def opted_out_people(*, window: OrderWindow, point_id: int | None, limit: int = 30) -> list[User]:
    """The customers of the audience who turned announcements off, to call instead."""
    return list(
        _customers(window, point_id)
        .filter(_opted_out())
        .order_by("last_name", "first_name", "pk")[:limit]
    )


def _check(window: OrderWindow, draft: Draft) -> PickupPoint | None:
    if window.status == OrderWindow.Status.CANCELLED:
        raise AnnouncementError(_("This week was cancelled: there is nobody to write to."))
    if not draft.subject.strip() or not draft.body.strip():
        raise AnnouncementError(_("Write a subject and a message."))
    if bool(draft.subject_en.strip()) != bool(draft.body_en.strip()):
        raise AnnouncementError(
            _("Write both the English subject and the English message, or neither.")
        )
    for text, limit in (
        (draft.subject, Announcement.SUBJECT_MAX),
        (draft.subject_en, Announcement.SUBJECT_MAX),
        (draft.body, Announcement.BODY_MAX),
        (draft.body_en, Announcement.BODY_MAX),
    ):
        if len(text) > limit:
            raise AnnouncementError(
                _("A subject or message is too long (at most %(max)d characters).") % {"max": limit}
            )
    if any(c in draft.subject + draft.subject_en for c in "\r\n"):
        raise AnnouncementError(_("A subject is one line."))
    if draft.pickup_point_id is None:
        return None
    point = PickupPoint.objects.filter(pk=draft.pickup_point_id).first()
    if point is None:
        raise AnnouncementError(_("Choose a pickup point of this week, or all of them."))
    return point


def announcement_send(
    *,
    window_id: int,
    draft: Draft,
    expected: int,
    author_id: int,
    now: datetime,
    draft_key: uuid.UUID | None = None,
) -> Announcement:
    """Record the announcement and its recipients, and queue the emails after commit.
    `expected` is the count the coordinator saw in the preview: refused if it changed.
    `draft_key` is the preview's one-time key: a preview sent twice (the browser's Back,
    a double tap) is refused the second time."""
    window = OrderWindow.objects.get(pk=window_id)
    point = _check(window, draft)
    if draft_key is not None:
        earlier = Announcement.objects.filter(draft_key=draft_key).first()
        if earlier is not None:
            raise AlreadySent(_already_sent(earlier))
    try:
        return _record(window, point, draft, expected, author_id, now, draft_key)
    except IntegrityError:  # the same preview sent at the same moment: the other one won
        earlier = Announcement.objects.get(draft_key=draft_key)
        raise AlreadySent(_already_sent(earlier)) from None


def _already_sent(earlier: Announcement) -> str:
    return _("This announcement was sent already, on %(at)s: it is not sent twice.") % {
        "at": date_format(timezone.localtime(earlier.created_at), "j F H:i")
    }


def _record(
    window: OrderWindow, point: PickupPoint | None, draft: Draft, expected: int,
    author_id: int, now: datetime, draft_key: uuid.UUID | None,
) -> Announcement:  # fmt: skip
    with transaction.atomic():
        customers = _customers(window, draft.pickup_point_id)
        wanted = list(customers.exclude(_opted_out()).values_list("pk", flat=True))
        if not wanted:
            raise AnnouncementError(_("Nobody would receive this announcement."))
        if len(wanted) != expected:
            raise AnnouncementError(
                _(
                    "The number of recipients changed since the preview (%(now)d instead of "
                    "%(then)d): check the preview and send again."
                )
                % {"now": len(wanted), "then": expected}
            )
        announcement = Announcement.objects.create(
            window=window,
            pickup_point=point,
            subject=draft.subject.strip(),
            body=draft.body.strip(),
            subject_en=draft.subject_en.strip(),
            body_en=draft.body_en.strip(),
            author_id=author_id,
            created_at=now,
            recipients=len(wanted),
            draft_key=draft_key,
        )
        AnnouncementDelivery.objects.bulk_create(
            AnnouncementDelivery(announcement=announcement, customer_id=pk) for pk in wanted
        )
        jobs.announcement_send_after_commit(announcement.pk)
    return announcement


def render(
    announcement: Announcement | Draft,
    *,
    window: OrderWindow,
    point: PickupPoint | None,
    user: User | None,
    language: str,
    preview: bool = False,
) -> tuple[str, str]:
    """The subject and text of one copy, in `language`: the English version for an
    English reader when there is one. The preview renders with the same function."""
    english = language.startswith("en") and bool(announcement.subject_en)
    with translation.override(language):
        context = {
            "subject": announcement.subject_en if english else announcement.subject,
            "body": announcement.body_en if english else announcement.body,
            "window": window,
            "point": point,
            "customer": user,
            "coop_name": settings.COOP_NAME,
            "orders_url": urljoin(settings.COOP_BASE_URL, reverse("baskets:my_orders")),
            "unsubscribe_url": (
                "…" if preview or user is None else consent.unsubscribe_url(user, "announcements")
            ),
        }
        subject = render_to_string("baskets/email/announcement_subject.txt", context).strip()
        text = render_to_string("baskets/email/announcement.txt", context)
    return " ".join(subject.split()), text


def _claim(delivery_id: int, now: datetime) -> bool:
    stale = now - CLAIM_FOR
    return bool(
        AnnouncementDelivery.objects.filter(
            Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale),
            pk=delivery_id,
            sent_at__isnull=True,
            dropped=False,
        ).update(claimed_at=now)
    )


def deliveries_send(*, announcement_id: int, now: datetime) -> int:
    """Send the copies of an announcement not sent yet; how many were sent now."""
    announcement = (
        Announcement.objects.select_related("window", "pickup_point")
        .filter(pk=announcement_id)
        .first()
    )
    if announcement is None:
        return 0
    todo = list(
        AnnouncementDelivery.objects.filter(
            announcement=announcement, sent_at__isnull=True, dropped=False
        )
        .select_related("customer")
        .order_by("pk")
    )
    sent = 0
    for delivery in todo:
        if not _claim(delivery.pk, now):
            continue  # sent, or being sent by another worker
        user = delivery.customer
        if not user.is_active or not consent.wants(user, "announcements"):
            AnnouncementDelivery.objects.filter(pk=delivery.pk).update(dropped=True)
            continue
        subject, text = render(
            announcement,
            window=announcement.window,
            point=announcement.pickup_point,
            user=user,
            language=user.language or settings.LANGUAGE_CODE,
        )
        try:
            EmailMultiAlternatives(
                subject=subject,
                body=text,
                to=[user.email],
                headers=consent.list_unsubscribe_headers(user, "announcements"),
            ).send()
        except Exception:
            logger.exception("announcement %s to user %s failed", announcement.pk, user.pk)
            AnnouncementDelivery.objects.filter(pk=delivery.pk).update(claimed_at=None)
            continue
        AnnouncementDelivery.objects.filter(pk=delivery.pk).update(sent_at=now)
        sent += 1
    return sent


def pending_send(*, now: datetime) -> int:
    """The minute tick's share: announcements with copies left to send (a lost queue
    message, a failed send, a worker that died)."""
    pending = (
        AnnouncementDelivery.objects.filter(sent_at__isnull=True, dropped=False)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_FOR))
        .values_list("announcement_id", flat=True)
        .distinct()
    )
    return sum(deliveries_send(announcement_id=pk, now=now) for pk in sorted(set(pending)))


@dataclass(frozen=True, slots=True)
class Sent:
    announcement: Announcement
    sent: int
    dropped: int


def announcements_of(*, window: OrderWindow) -> list[Sent]:
    """The week's announcements, newest first, with how many copies went out."""
    rows = (
        Announcement.objects.filter(window=window)
        .select_related("pickup_point", "author")
        .annotate(
            sent_count=Count("deliveries", filter=Q(deliveries__sent_at__isnull=False)),
            dropped_count=Count("deliveries", filter=Q(deliveries__dropped=True)),
        )
    )
    return [Sent(a, a.sent_count, a.dropped_count) for a in rows]
