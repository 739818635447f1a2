"""Work pickup day's services queue for later: after the transaction commits, by task
name, so services never import tasks (the names are those of `pickup.tasks`)."""

from celery import current_app
from django.db import transaction
from django.utils import timezone

from orders.models import OrderWindow


def documents_rebuild_after_commit(window_id: int) -> None:
    """Mark the window's lists and sheets out of date (the coordinator's page says
    « rebuilding »), and rebuild them once this transaction commits, outside any lock.
    Until then the downloads serve the last complete files."""
    OrderWindow.objects.filter(pk=window_id).update(documents_wanted_at=timezone.now())
    transaction.on_commit(
        lambda: current_app.send_task("orders.tasks.rebuild_lists", args=[window_id])
    )


def collect_after_commit(order_id: int) -> None:
    """Once this transaction commits, move the money of an order whose pieces are all
    weighed (take what it owes now, or give back what it paid beyond) and tell the
    customer its final amount (`pickup.tasks.collect_weighed`)."""
    transaction.on_commit(
        lambda: current_app.send_task("pickup.tasks.collect_weighed", args=[order_id])
    )


def receipt_after_commit(order_id: int) -> None:
    """Once this transaction commits, issue the order's numbered receipt and draw its
    PDF (`pickup.tasks.issue_receipt`; nothing for an order not picked up)."""
    transaction.on_commit(
        lambda: current_app.send_task("pickup.tasks.issue_receipt", args=[order_id])
    )
