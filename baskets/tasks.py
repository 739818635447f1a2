"""Celery tasks of the customer's side: thin wrappers around services, safe to run twice
and on two workers at once (every step claims its row first)."""

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from pickup import closing

from . import announcements, emails, standing, standing_emails
from . import reminders as reminders_service


@shared_task(
    name="baskets.tasks.standing_tick",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def standing_tick() -> dict[str, int]:
    """Each minute: fill the standing baskets of the open week, email each its review,
    confirm those whose time has come and email their confirmation."""
    now = timezone.now()
    filled = reviews = 0
    for window_id in standing.open_window_ids(now=now):
        filled += standing.standing_fill(window_id=window_id, now=now).filled
        for week_id in standing.standing_weeks_to_review(window_id=window_id):
            reviews += standing_emails.review_send(week_id=week_id, now=now)
    confirmed = standing.standing_confirm_due(now=now)
    for order_id in confirmed:
        emails.send_order_confirmation(order_id=order_id)
    closing.heartbeat(name="standing-baskets", now=now)  # a tick done (read by the tests)
    return {"filled": filled, "reviews": reviews, "confirmed": len(confirmed)}


@shared_task(
    name="baskets.tasks.order_updates",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def order_updates() -> int:
    """Each minute: « your order was updated », once the customer stopped changing it."""
    return emails.order_updates_send(now=timezone.now())


@shared_task(
    name="baskets.tasks.reminders",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def reminders() -> dict[str, int]:
    """Each minute: the reminders now due, each once per customer per week; and the
    copies of announcements still to send (a lost message, a failed send)."""
    now = timezone.now()
    counts = reminders_service.reminders_send(now=now)
    counts["announcements"] = announcements.pending_send(now=now)
    return counts


@shared_task(
    name="baskets.tasks.send_announcement",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def send_announcement(announcement_id: int) -> int:
    """A coordinator's announcement, queued once it is saved: each copy once."""
    return announcements.deliveries_send(announcement_id=announcement_id, now=timezone.now())
