"""The periodic tick opens due windows and closes every window past its deadline,
run by a real Celery worker through the configured broker."""

from datetime import timedelta

import pytest
from django.utils import timezone

from orders.models import OrderWindow
from pickup import tasks
from tests import factories


@pytest.mark.django_db(transaction=True)
def test_real_worker_runs_the_tick_through_the_broker(celery_worker, wait_for) -> None:
    now = timezone.now()
    due = factories.window(opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=2))
    # Down for a long time: a window whose deadline passed 10 days ago still closes.
    overdue = factories.window(
        opens_at=now - timedelta(days=14), closes_at=now - timedelta(days=10), status="open"
    )
    later = factories.window(opens_at=now + timedelta(days=5), closes_at=now + timedelta(days=8))

    tasks.windows_tick.delay()

    def settled() -> bool:
        statuses = dict(OrderWindow.objects.values_list("pk", "status"))
        return statuses[due.pk] == "open" and statuses[overdue.pk] == "closed"

    wait_for(settled, what="the worker to open and close the due windows")
    later.refresh_from_db()
    assert later.status == OrderWindow.Status.SCHEDULED


@pytest.mark.django_db
def test_tick_is_idempotent() -> None:
    now = timezone.now()
    window = factories.window(
        opens_at=now - timedelta(days=5), closes_at=now - timedelta(minutes=1)
    )
    assert tasks.windows_tick() == {"opened": [], "closed": [window.pk]}
    assert tasks.windows_tick() == {"opened": [], "closed": []}
    window.refresh_from_db()
    assert window.status == OrderWindow.Status.CLOSED


@pytest.mark.django_db
def test_cancelled_window_is_never_opened() -> None:
    now = timezone.now()
    window = factories.window(
        opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=1), status="cancelled"
    )
    tasks.windows_tick()
    window.refresh_from_db()
    assert window.status == OrderWindow.Status.CANCELLED
    assert not window.accepts_orders()


@pytest.mark.django_db
def test_deadline_holds_without_any_worker() -> None:
    """A window past its deadline refuses writes even if the tick never ran."""
    now = timezone.now()
    window = factories.window(
        opens_at=now - timedelta(days=3), closes_at=now - timedelta(seconds=1), status="open"
    )
    assert not window.accepts_orders(now)
    assert window.accepts_orders(now - timedelta(seconds=2))
