"""/healthz tells monitoring whether the database and the broker answer."""

import pytest
from django.urls import reverse

from coop_shop.celery import app as celery_app

pytestmark = pytest.mark.django_db


def test_healthz_ok(client) -> None:
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": True, "broker": True}


def test_healthz_503_when_the_broker_is_unreachable(client, monkeypatch) -> None:
    # Nothing listens on port 9 (discard) of loopback here. Celery reads the
    # CELERY_BROKER_URL variable before its own setting, so both change.
    unreachable = "redis://127.0.0.1:9/0"
    saved = celery_app.conf.broker_url, celery_app.conf.broker_transport_options
    monkeypatch.setenv("CELERY_BROKER_URL", unreachable)
    celery_app.conf.update(broker_url=unreachable, broker_transport_options={})
    try:
        response = client.get(reverse("healthz"))
    finally:
        celery_app.conf.update(broker_url=saved[0], broker_transport_options=saved[1])
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": True, "broker": False}
