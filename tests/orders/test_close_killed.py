"""A close killed midway, then run again: every order is captured exactly once.

The close runs in a separate process (`manage.py close_due_windows`) against the fake
Stripe server, 4 orders at a time. The fake holds every capture request from the 16th
on before applying it; we kill the process with SIGKILL once the 16th has arrived, then
let the fake apply the requests it held (so Stripe did them, but our process never
heard). The rerun must repeat those calls with the same idempotency keys and record
them, capture the rest, and nothing twice: the fake's record of applied captures
proves it."""

import os
import signal
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from orders import basket
from orders.models import Order, OrderWindow, Payment
from payments import ledger
from payments import services as payment_services
from pickup import closing
from tests import factories

ROOT = Path(__file__).resolve().parents[2]
ORDERS = 30


@pytest.fixture
def shared_database(transactional_db) -> str:  # type: ignore[no-untyped-def]
    if connection.vendor != "postgresql":
        pytest.skip(
            "a second process must open the test database: PostgreSQL (CI runs this "
            "with DATABASE_URL); SQLite's test database lives in this process's memory"
        )
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def test_a_close_killed_after_half_the_captures_captures_each_order_once(  # type: ignore[no-untyped-def]
    shared_database, fake_stripe, settings, tmp_path, wait_for
) -> None:
    window = factories.window()
    farm = factories.farm(email="ferme@example.org")
    offer = factories.offer(window_=window, product_=factories.product(farm_=farm), quantity=200)
    point = factories.pickup_point()
    for n in range(ORDERS):
        customer = factories.user()
        basket.basket_line_set(
            customer_id=customer.pk, offer_id=offer.pk, quantity=n % 5 + 1, now=timezone.now()
        )
        order = basket.order_confirm(
            customer_id=customer.pk,
            window_id=window.pk,
            pickup_point_id=point.pk,
            pickup_slot_id=None,
            language="fr-ca",
            now=timezone.now(),
            payment_method="card",
        )
        url = payment_services.checkout_begin(
            order_id=order.pk,
            customer_id=customer.pk,
            return_url="http://testserver/paid/",
            cancel_url="http://testserver/",
        )
        session = url.rstrip("/").rsplit("/", 1)[-1]
        fake_stripe.complete_session(session, "ok")
        payment_services.payment_sync(
            payment_id=Payment.objects.get(stripe_checkout_session_id=session).pk
        )
    assert Payment.objects.filter(status=Payment.Status.AUTHORIZED).count() == ORDERS
    OrderWindow.objects.filter(pk=window.pk).update(closes_at=timezone.now() - timedelta(minutes=1))

    half = ORDERS // 2
    for n in range(half + 1, ORDERS + 1):  # from the 16th on, every capture waits
        fake_stripe.hold_capture(n)
    env = {
        **os.environ,
        "DATABASE_URL": shared_database,
        "STRIPE_SECRET_KEY": settings.STRIPE_SECRET_KEY,
        "STRIPE_WEBHOOK_SECRET": settings.STRIPE_WEBHOOK_SECRET,
        "STRIPE_API_BASE": settings.STRIPE_API_BASE,
        # The same installation: the test database's name differs from the configured
        # one the prefix was derived from, so pass the prefix as a deployment would.
        "STRIPE_IDEMPOTENCY_PREFIX": settings.STRIPE_IDEMPOTENCY_PREFIX,
        "COOP_CLOSE_STRIPE_THREADS": "4",
        "PRIVATE_ROOT": str(tmp_path / "private"),
        "EMAIL_CONSOLE": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "manage.py", "close_due_windows"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        assert fake_stripe.wait_captures_received(half + 1, timeout=60)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    fake_stripe.release_captures()  # Stripe applies the call our dead process made

    def captures() -> list[int]:
        return [fake_stripe.captures(p.stripe_payment_intent_id) for p in Payment.objects.all()]

    # The released request is applied by the fake's own thread: wait for it.
    wait_for(lambda: sum(captures()) >= half + 1, timeout=10, what="the held capture")
    applied = captures()
    # The close captures several orders at once (threads): those in flight past the held
    # one may have landed too, but none twice, and not all of them.
    assert half + 1 <= sum(applied) < ORDERS
    assert max(applied) == 1
    window.refresh_from_db()
    assert window.status == OrderWindow.Status.CLOSING

    # The next tick after the lease resumes the close.
    OrderWindow.objects.filter(pk=window.pk).update(
        close_heartbeat=timezone.now() - closing.LEASE - timedelta(seconds=1)
    )
    assert closing.window_close(window_id=window.pk, now=timezone.now())
    for payment in Payment.objects.select_related("order"):
        assert fake_stripe.captures(payment.stripe_payment_intent_id) == 1, payment.pk
        assert payment.status == Payment.Status.CAPTURED
        assert payment.amount_captured == ledger.owed(payment.order)
    total = sum((p.amount_captured for p in Payment.objects.all()), Decimal("0"))
    assert total == sum((ledger.owed(o) for o in Order.objects.filter(window=window)), Decimal("0"))
    replays = [r for r in fake_stripe.requests if r.path.endswith("/capture") and r.replayed]
    assert replays, "the rerun repeated the interrupted call with its key"
