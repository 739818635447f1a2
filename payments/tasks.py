"""Celery tasks of payments: thin wrappers around services, keyed by ids, safe to run
twice. Their names are those they had in `orders.tasks`: messages already queued and
the beat schedule keep working."""

from celery import shared_task
from django.db import OperationalError

from . import collect, gateway, refunds, webhooks


@shared_task(
    name="orders.tasks.refund_order",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def refund_order(order_id: int, reason: str) -> list[int]:
    """Refund what a card order was charged beyond what it now owes (idempotent)."""
    return refunds.refunds_settle(order_id=order_id, reason=reason)


@shared_task(
    name="orders.tasks.retry_refunds",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def retry_refunds() -> int:
    """Send again the refunds a Stripe outage left pending (same keys: never twice)."""
    return sum(
        len(refunds.refunds_settle(order_id=order_id, reason="overpayment"))
        for order_id in refunds.pending_refund_orders()
    )


@shared_task(
    name="payments.tasks.recheck_payments",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def recheck_payments() -> int:
    """Read again from Stripe the payments it left unclear (processing, or to check)."""
    return collect.payments_recheck()


@shared_task(
    name="payments.tasks.delete_stripe_customer",
    acks_late=True,
    autoretry_for=(OperationalError, gateway.GatewayError),
    retry_backoff=True,
    max_retries=8,
)
def delete_stripe_customer(customer_id: str) -> None:
    """Delete an erased customer at Stripe, with their saved cards (safe to run twice)."""
    gateway.customer_delete(customer_id=customer_id)


@shared_task(
    name="orders.tasks.handle_stripe_event",
    acks_late=True,
    autoretry_for=(OperationalError, gateway.GatewayError),
    retry_backoff=True,
    max_retries=8,
)
def handle_stripe_event(event_pk: int) -> str:
    """Bring the payment an event is about in line with Stripe (re-read, not trusted)."""
    return webhooks.event_handle(event_pk=event_pk)
