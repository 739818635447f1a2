"""Celery tasks of settling: thin wrappers around services, keyed by ids, safe to run
twice."""

from celery import shared_task
from django.db import OperationalError

from . import services


@shared_task(
    name="settlements.tasks.render_statements",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def render_statements(settlement_id: int) -> int:
    """Write the statements of a settlement that have no files yet."""
    return services.statements_render(settlement_id=settlement_id)
