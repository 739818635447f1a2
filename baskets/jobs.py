"""Work the customer side's services queue for later: after the transaction commits, by
task name, so services never import tasks (the names are those of `baskets.tasks`)."""

import logging

from celery import current_app
from django.db import transaction

logger = logging.getLogger(__name__)


def announcement_send_after_commit(announcement_id: int) -> None:
    """Send the announcement's copies once it is saved. Without a broker the minute tick
    sends them (`announcements.pending_send`)."""

    def _queue() -> None:
        try:
            current_app.send_task("baskets.tasks.send_announcement", args=[announcement_id])
        except Exception:
            logger.exception("announcement %s: could not be queued", announcement_id)

    transaction.on_commit(_queue)
