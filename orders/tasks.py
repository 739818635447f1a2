"""Celery tasks of the market: thin wrappers around services, keyed by ids, safe to run
twice. (The close, the lists and the payments have their tasks in `pickup.tasks` and
`payments.tasks`, under the names they had here.)"""

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from . import basket


@shared_task(
    name="orders.tasks.release_idle_baskets",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def release_idle_baskets() -> int:
    """Give back the units of baskets never confirmed and idle past the co-op's hold."""
    return basket.basket_release_idle(now=timezone.now())
