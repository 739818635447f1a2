"""Celery tasks of pickup day: thin wrappers around services, keyed by ids, safe to run
twice. Their names are those they had in `orders.tasks`: messages already queued and
the beat schedule keep working."""

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from . import closing, receipts, weighing


@shared_task(
    name="orders.tasks.windows_tick",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def windows_tick() -> dict[str, list[int]]:
    """Plan the weeks ahead, open the windows whose time has come and close every window
    past its deadline. Its run is beat's heartbeat: /healthz tells when it stops."""
    now = timezone.now()
    closing.heartbeat(name="beat", now=now)
    return closing.windows_due_run(now=now)


@shared_task(
    name="orders.tasks.close_window",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def close_window(window_id: int) -> bool:
    """Close one window now (its deadline has passed): what "Close now" asks for."""
    return closing.window_close(window_id=window_id, now=timezone.now())


@shared_task(
    name="orders.tasks.rebuild_lists",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def rebuild_lists(window_id: int) -> int:
    """Rebuild a closed window's lists and sheets after a change: no email."""
    return closing.documents_rebuild(window_id=window_id)


@shared_task(
    name="pickup.tasks.collect_weighed",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def collect_weighed(order_id: int) -> bool:
    """Every piece of the order weighed: its money, then its final amount emailed."""
    return weighing.order_money_after_weighing(order_id=order_id)


@shared_task(
    name="pickup.tasks.collect_unweighed",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def collect_unweighed() -> int:
    """Pickup day: card orders never weighed are collected on their estimate."""
    return weighing.unweighed_collect(now=timezone.now())


@shared_task(
    name="pickup.tasks.issue_receipt",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def issue_receipt(order_id: int) -> int | None:
    """The numbered receipt of an order picked up, and its PDF (safe to run twice)."""
    receipt = receipts.receipt_issue(order_id=order_id)
    return receipt.number if receipt else None
