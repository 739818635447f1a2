"""A shortage or a cancellation after the close commits first; the lists and sheets are
then rebuilt by a task, outside any lock, while the coordinator's page says so and the
downloads serve the last complete files."""

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from orders.models import Order, OrderLine, OrderWindow, PickupDocument
from pickup import closing, documents
from tests import factories
from tests.orders.test_closing import build_week


def _closed_week() -> tuple[OrderWindow, Any]:
    window, _farms, offers, _points, _customers = build_week(4)
    OrderWindow.objects.filter(pk=window.pk).update(closes_at=timezone.now())
    assert closing.window_close(window_id=window.pk, now=timezone.now())
    ordered = max(offers, key=lambda o: sum(ln.quantity for ln in o.lines.all()))
    return OrderWindow.objects.get(pk=window.pk), ordered


@pytest.mark.django_db
def test_the_shortage_page_says_rebuilding_and_leaves_the_files_as_they_were(client) -> None:
    window, offer = _closed_week()
    files = dict(PickupDocument.objects.filter(window=window).values_list("pk", "pdf"))
    client.force_login(factories.coordinator())
    response = client.post(
        reverse("pickup:coordinator_shortage", args=[window.pk]),
        {"offer": offer.pk, "units": 1},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 302
    assert OrderLine.objects.filter(offer=offer, shortage=1).count() == 1
    # Nothing was rebuilt inside the request: the rebuild waits for the commit.
    assert dict(PickupDocument.objects.filter(window=window).values_list("pk", "pdf")) == files
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").text
    assert "Rebuilding the lists and sheets after the change" in page
    progress = client.get(reverse("pickup:coordinator_progress", args=[window.pk]))
    assert 'hx-trigger="every 2s"' in progress.text  # the notice follows the task


def _window_row_free(window_id: int) -> bool:
    """Can another connection lock the window row at once? (PostgreSQL: NOWAIT)"""
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM orders_orderwindow WHERE id = %s FOR UPDATE NOWAIT", [window_id]
            )
        return True
    except Exception:  # noqa: BLE001  (psycopg2's LockNotAvailable)
        return False
    finally:
        other.close()


@pytest.mark.django_db(transaction=True)
def test_a_shortage_commits_then_the_worker_rebuilds_outside_any_lock(
    client, celery_worker, wait_for, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    window, offer = _closed_week()
    seen: list[tuple[bool, bool]] = []
    real: Callable[..., tuple[bytes, int]] = documents.farm_list_pdf

    def watched(*args: Any, **kwargs: Any) -> tuple[bytes, int]:
        """As each PDF is written: is the worker in a transaction, is the row free?"""
        free = _window_row_free(window.pk) if connection.vendor == "postgresql" else True
        seen.append((connection.in_atomic_block, free))
        return real(*args, **kwargs)

    monkeypatch.setattr(documents, "farm_list_pdf", watched)
    client.force_login(factories.coordinator())
    before = PickupDocument.objects.get(window=window, farm=offer.product.farm, kind="farm_list")
    response = client.post(
        reverse("pickup:coordinator_shortage", args=[window.pk]), {"offer": offer.pk, "units": 1}
    )
    assert response.status_code == 302
    wait_for(
        lambda: OrderWindow.objects.filter(pk=window.pk, documents_wanted_at__isnull=True).exists(),
        what="the lists rebuilt by the worker",
    )
    assert seen
    assert all(not in_atomic and free for in_atomic, free in seen), seen
    after = PickupDocument.objects.get(pk=before.pk)
    assert after.pdf.name != before.pdf.name  # a new complete file, then the row moved
    short = Order.objects.get(lines__offer=offer, lines__shortage=1)
    sheet = PickupDocument.objects.get(window=window, pickup_point=short.pickup_point)
    assert sheet.csv.read().decode("utf-8-sig")  # readable at once, never half-written
