"""Work settling queues for later: after the transaction commits, by task name, so
services never import tasks."""

from celery import current_app
from django.db import transaction


def statements_render_after_commit(settlement_id: int) -> None:
    """Once the settlement commits, write its farms' statements (PDF and CSV)."""
    transaction.on_commit(
        lambda: current_app.send_task("settlements.tasks.render_statements", args=[settlement_id])
    )
