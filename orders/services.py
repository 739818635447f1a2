"""Writes of the weekly market. Each is one transaction; views and tasks call these."""

import logging
from datetime import datetime

from django.db import transaction

from .models import OrderWindow

logger = logging.getLogger(__name__)


@transaction.atomic
def window_open(*, window_id: int, now: datetime) -> bool:
    """Mark a scheduled window open once its time has come. True if this call did it."""
    opened = OrderWindow.objects.filter(
        pk=window_id,
        status=OrderWindow.Status.SCHEDULED,
        opens_at__lte=now,
        closes_at__gt=now,
    ).update(status=OrderWindow.Status.OPEN)
    if opened:
        logger.info("window %s opened", window_id)
    return bool(opened)
