"""/healthz tells monitoring whether the week's machinery runs: database, broker, a
worker, beat's tick, no window left open past its deadline, no close stalled. /livez
tells the container whether the web server serves."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from coop_shop.celery import app as celery_app
from orders.models import OrderWindow
from pickup.closing import heartbeat
from pickup.models import Heartbeat
from tests import factories

pytestmark = pytest.mark.django_db


def _health(client):  # type: ignore[no-untyped-def]
    response = client.get(reverse("healthz"))
    return response.status_code, response.json()


@pytest.mark.django_db(transaction=True)
def test_healthz_ok_when_a_worker_answers_and_beat_ticks(client, celery_worker) -> None:  # type: ignore[no-untyped-def]
    heartbeat(name="beat", now=timezone.now())
    assert _health(client) == (
        200,
        {"status": "ok", "database": True, "broker": True, "worker": True, "problems": []},
    )


def test_healthz_503_without_a_worker_nor_beat(client) -> None:  # type: ignore[no-untyped-def]
    status, body = _health(client)
    assert status == 503
    assert body["worker"] is False
    assert body["problems"] == [
        "worker",
        "beat has not ticked for 3 minutes (or no worker runs its ticks)",
    ]


def test_healthz_names_a_silent_beat_a_late_window_and_a_stalled_close(client) -> None:  # type: ignore[no-untyped-def]
    now = timezone.now()
    Heartbeat.objects.create(name="beat", at=now - timedelta(minutes=4))
    late = factories.window()  # open
    OrderWindow.objects.filter(pk=late.pk).update(closes_at=now - timedelta(minutes=20))
    stalled = factories.window(open_now=False)
    OrderWindow.objects.filter(pk=stalled.pk).update(
        status=OrderWindow.Status.CLOSING,
        opens_at=now - timedelta(days=8),
        closes_at=now - timedelta(days=1),
        close_heartbeat=now - timedelta(minutes=11),
    )
    status, body = _health(client)
    assert status == 503
    problems = body["problems"]
    assert "beat has not ticked for 3 minutes (or no worker runs its ticks)" in problems
    assert any(p.startswith(f"window {late.pk} is open past its deadline") for p in problems)
    assert f"window {stalled.pk} is closing with no progress for 10 minutes" in problems


def test_a_window_just_past_its_deadline_is_not_yet_a_problem(client) -> None:  # type: ignore[no-untyped-def]
    """The tick closes it within the minute: five minutes' grace before it is one."""
    now = timezone.now()
    heartbeat(name="beat", now=now)
    window = factories.window()
    OrderWindow.objects.filter(pk=window.pk).update(closes_at=now - timedelta(minutes=1))
    assert _health(client)[1]["problems"] == ["worker"]


def test_healthz_503_when_the_broker_is_unreachable(client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # Nothing listens on port 9 (discard) of loopback here. Celery reads the
    # CELERY_BROKER_URL variable before its own setting, so both change.
    unreachable = "redis://127.0.0.1:9/0"
    saved = celery_app.conf.broker_url, celery_app.conf.broker_transport_options
    monkeypatch.setenv("CELERY_BROKER_URL", unreachable)
    celery_app.conf.update(broker_url=unreachable, broker_transport_options={})
    heartbeat(name="beat", now=timezone.now())
    try:
        status, body = _health(client)
    finally:
        celery_app.conf.update(broker_url=saved[0], broker_transport_options=saved[1])
    assert status == 503
    assert (body["database"], body["broker"], body["worker"]) == (True, False, False)
    assert body["problems"] == ["broker", "worker"]


def test_livez_only_needs_the_database(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get(reverse("livez"))
    assert (response.status_code, response.json()) == (200, {"status": "ok"})
