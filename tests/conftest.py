import time
from collections.abc import Callable, Iterator

import pytest
from celery.contrib.testing.worker import start_worker
from celery.worker import WorkController
from django.db import OperationalError

from coop_shop.celery import app as celery_app
from tests.fake_stripe import FakeStripe


@pytest.fixture
def celery_worker() -> Iterator[WorkController]:
    """A real Celery worker, in a thread, on the configured broker (Redis in CI,
    the filesystem transport by default). Tests using it need
    ``django_db(transaction=True)``: the worker has its own database connection."""
    celery_app.control.purge()  # tasks queued by earlier tests are about rows now gone
    with start_worker(
        celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=20
    ) as worker:
        yield worker


@pytest.fixture
def wait_for() -> Callable[..., None]:
    """Poll a condition until it holds, or fail after `timeout` seconds."""

    def _wait(
        condition: Callable[[], bool], *, timeout: float = 20, what: str = "condition"
    ) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if condition():
                    return
            except OperationalError:  # SQLite's shared test database, locked by the worker
                pass
            time.sleep(0.1)
        pytest.fail(f"timed out after {timeout}s waiting for {what}")

    return _wait


@pytest.fixture(autouse=True)
def _private_files(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Uploaded photos and generated lists go to a temporary folder per test."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_ROOT = tmp_path / "private"


@pytest.fixture(autouse=True)
def _plain_static_storage(settings) -> None:  # type: ignore[no-untyped-def]
    """Tests render templates without running collectstatic first, and hash passwords
    with a fast hasher (the slow one is still accepted for existing hashes)."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def fake_stripe(settings) -> Iterator[FakeStripe]:  # type: ignore[no-untyped-def]
    """A fake Stripe API over real HTTP (see tests/fake_stripe.py), with the Stripe
    settings pointing at it. It accepts only the key "sk_test_fake"; to receive its
    signed webhooks call ``fake_stripe.set_webhook(live_server.url + "/...")``."""
    server = FakeStripe(api_key="sk_test_fake", webhook_secret="whsec_test_fake").start()
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_fake"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test_fake"
    settings.STRIPE_API_BASE = server.base_url
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def statements_inline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settling renders its statements at once instead of queueing the task after commit
    (a test's transaction never commits). The queued path, with a real worker, is
    tested in tests/settlements/test_statements_task.py."""
    from settlements import jobs, services

    monkeypatch.setattr(
        jobs,
        "statements_render_after_commit",
        lambda settlement_id: services.statements_render(settlement_id=settlement_id),
    )


@pytest.fixture(autouse=True)
def _shop_list_checked_every_page(settings) -> None:  # type: ignore[no-untyped-def]
    """Tests look at the shop right after a change: the list's version is checked on
    every page (tests/baskets/test_shop_cache.py tests the production setting)."""
    settings.SHOP_LIST_SECONDS = 0


@pytest.fixture(autouse=True)
def _fresh_page_cache() -> None:
    """Each test starts with no cached cards or lists (the alias is process memory)."""
    from django.core.cache import caches

    caches["pages"].clear()
