"""Work the payment services queue for later: after the transaction commits, by task
name, so services never import tasks (the names are those of `payments.tasks`)."""

from celery import current_app
from django.db import transaction


def stripe_customer_delete_after_commit(customer_id: str) -> None:
    """Once this transaction commits, delete the customer at Stripe (an erased account)."""
    transaction.on_commit(
        lambda: current_app.send_task("payments.tasks.delete_stripe_customer", args=[customer_id])
    )


def refund_after_commit(order_id: int, reason: str) -> None:
    """Once this transaction commits, refund what the order received beyond what it
    owes (idempotent: a second refund task finds nothing left to give back)."""
    transaction.on_commit(
        lambda: current_app.send_task("orders.tasks.refund_order", args=[order_id, reason])
    )
