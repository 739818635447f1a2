"""Email sent during a request goes through a Celery task, so a request never waits on
SMTP nor fails with it: the `default` mailer queues, the `deliver` mailer sends (the
task, and jobs that already run in the worker and keep their own retries, use it)."""

import base64
from email.mime.base import MIMEBase
from functools import partial
from typing import Any

from celery import current_app
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction

DELIVER = "deliver"  # the MAILERS alias that talks to the real server


def message_to_data(message: EmailMessage) -> dict[str, Any]:
    """A message as plain JSON for the task (attachments in base64)."""
    attachments = []
    for attachment in message.attachments:
        if isinstance(attachment, MIMEBase):
            raise TypeError("a MIME attachment cannot be queued; attach (name, content, type)")
        name, content, mimetype = attachment
        raw = content.encode() if isinstance(content, str) else content
        attachments.append([name, base64.b64encode(raw).decode(), mimetype])
    return {
        "subject": str(message.subject),
        "body": str(message.body),
        "from_email": message.from_email,
        "to": list(message.to),
        "cc": list(message.cc),
        "bcc": list(message.bcc),
        "reply_to": list(message.reply_to),
        "headers": dict(message.extra_headers),
        "alternatives": [
            [str(content), mimetype] for content, mimetype in getattr(message, "alternatives", [])
        ],
        "attachments": attachments,
    }


def data_to_message(data: dict[str, Any]) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=data["subject"],
        body=data["body"],
        from_email=data["from_email"],
        to=data["to"],
        cc=data["cc"],
        bcc=data["bcc"],
        reply_to=data["reply_to"],
        headers=data["headers"],
    )
    for content, mimetype in data["alternatives"]:
        message.attach_alternative(content, mimetype)
    for name, content, mimetype in data["attachments"]:
        message.attach(name, base64.b64decode(content), mimetype)
    return message


def _enqueue(data: dict[str, Any]) -> None:
    current_app.send_task("accounts.tasks.send_email", args=[data])


class QueuedEmailBackend(BaseEmailBackend):
    """Queues each message for `accounts.tasks.send_email` once the transaction in
    progress commits (at once outside one). A rolled-back request sends nothing."""

    def send_messages(self, email_messages: Any) -> int:
        count = 0
        for message in email_messages:
            if not message.recipients():
                continue
            transaction.on_commit(partial(_enqueue, message_to_data(message)))
            count += 1
        return count
