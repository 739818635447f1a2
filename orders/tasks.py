"""Celery tasks: thin wrappers around services, keyed by ids, safe to run twice."""

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from . import basket, closing, gateway, payments, selectors, services, webhooks


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def windows_tick() -> dict[str, list[int]]:
    """Open the windows whose time has come and close every window past its deadline."""
    now = timezone.now()
    services.windows_plan(now=now)
    opened = [
        wid
        for wid in selectors.due_to_open_ids(now=now)
        if services.window_open(window_id=wid, now=now)
    ]
    closed = [
        wid
        for wid in selectors.due_to_close_ids(now=now)
        if closing.window_close(window_id=wid, now=now)
    ]
    return {"opened": opened, "closed": closed}


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def release_idle_baskets() -> int:
    """Give back the units of baskets never confirmed and idle past the co-op's hold."""
    return basket.basket_release_idle(now=timezone.now())


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def close_window(window_id: int) -> bool:
    """Close one window now (its deadline has passed): what "Close now" asks for."""
    return closing.window_close(window_id=window_id, now=timezone.now())


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def rebuild_lists(window_id: int) -> int:
    """Rebuild a closed window's lists and sheets (after a shortage): no email."""
    from .models import OrderWindow

    window = OrderWindow.objects.filter(pk=window_id, status=OrderWindow.Status.CLOSED).first()
    return closing.build_documents(window=window) if window else 0


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def refund_order(order_id: int, reason: str) -> list[int]:
    """Refund what a card order was charged beyond what it now owes (idempotent)."""
    return payments.refunds_settle(order_id=order_id, reason=reason)


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def retry_refunds() -> int:
    """Send again the refunds a Stripe outage left pending (same keys: never twice)."""
    return sum(
        len(payments.refunds_settle(order_id=order_id, reason="overpayment"))
        for order_id in payments.pending_refund_orders()
    )


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, gateway.GatewayError),
    retry_backoff=True,
    max_retries=8,
)
def handle_stripe_event(event_pk: int) -> str:
    """Bring the payment an event is about in line with Stripe (re-read, not trusted)."""
    return webhooks.event_handle(event_pk=event_pk)
