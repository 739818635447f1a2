"""Celery tasks of accounts: email delivery with retries."""

import logging
import smtplib
from typing import Any

from celery import Task, shared_task

from .mail import DELIVER, data_to_message
from .models import UndeliveredEmail

logger = logging.getLogger(__name__)


@shared_task(bind=True, name="accounts.tasks.send_email", acks_late=True, max_retries=5)
def send_email(self: Task, data: dict[str, Any]) -> bool:
    """Send one queued message through the real mail server. Retried with a growing
    wait (30 s, 1, 2, 4, 8 min) while the server fails; after the last try the
    failure is recorded, and coordinators see it on their dashboard."""
    try:
        data_to_message(data).send(using=DELIVER)
    except (OSError, smtplib.SMTPException) as error:
        if self.request.retries >= (self.max_retries or 0):
            logger.error("email to %s failed for good: %s", data.get("to"), error)
            UndeliveredEmail.objects.create(
                to=", ".join(data.get("to") or [])[:300],
                subject=str(data.get("subject", ""))[:300],
                error=str(error)[:300],
            )
            return False
        raise self.retry(exc=error, countdown=30 * 2**self.request.retries) from error
    return True
