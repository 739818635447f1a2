"""A fault test of the close (issue #20): a real worker process closing a week of
card and cash orders against the fake Stripe is killed with SIGKILL at a random
moment of its captures, possibly while it is writing a request; its lease is expired
as a dead worker leaves it; a fresh worker resumes. Then, whatever the moment:

- each card order was captured exactly once at the fake, for what it owes;
- each farm was emailed exactly once; no customer was asked to pay;
- the window is CLOSED and no payment is left « capturing ».

Run with the fake answering at once and with 0.2 s of latency (Stripe's usual). The
moment of the kill comes from `COOP_FAULT_SEED` when set (to replay a run), otherwise
from the clock; it is printed. To run it ten times in a row:
``for i in $(seq 10); do pytest tests/orders/test_close_fault.py -k instant || break; done``."""

import os
import random
import re
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from orders import basket
from orders.models import Order, OrderWindow, Payment
from payments import ledger
from payments import services as payment_services
from pickup import closing
from tests import factories
from tests.orders.test_close_killed import shared_database

__all__ = ["shared_database"]  # the fixture, shared with test_close_killed

ROOT = Path(__file__).resolve().parents[2]
FARMS = 40
ORDERS = 120  # half by card


def _week(fake_stripe) -> tuple[OrderWindow, list]:  # type: ignore[no-untyped-def]
    window = factories.window()
    farms = [factories.farm(email=f"ferme{n}@example.org") for n in range(FARMS)]
    offers = [
        factories.offer(window_=window, product_=factories.product(farm_=farm), quantity=500)
        for farm in farms
    ]
    point = factories.pickup_point()
    for n in range(ORDERS):
        customer = factories.user(email=f"client{n}@example.org")
        for offer in (offers[n % FARMS], offers[(n * 7 + 3) % FARMS]):
            basket.basket_line_set(
                customer_id=customer.pk, offer_id=offer.pk, quantity=n % 3 + 1, now=timezone.now()
            )
        card = n % 2 == 0
        order = basket.order_confirm(
            customer_id=customer.pk,
            window_id=window.pk,
            pickup_point_id=point.pk,
            pickup_slot_id=None,
            language="fr-ca",
            now=timezone.now(),
            payment_method="card" if card else "at_pickup",
        )
        if card:
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
    OrderWindow.objects.filter(pk=window.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    return window, farms


def _worker(env: dict[str, str], out: Path) -> subprocess.Popen[bytes]:
    """What beat's tick runs, in its own process: open and close what is due."""
    with out.open("wb") as sink:
        return subprocess.Popen(
            [sys.executable, "manage.py", "close_due_windows"],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _recipients(*outputs: Path) -> list[str]:
    """Who the console email backend wrote to, in both workers' output."""
    text = "".join(o.read_text(errors="replace") for o in outputs if o.exists())
    return re.findall(r"^To: (.+)$", text, flags=re.MULTILINE)


@pytest.mark.parametrize("latency", [0.0, 0.2], ids=["instant", "latency-0.2s"])
def test_a_close_killed_at_any_moment_of_its_captures_resumes_exactly_once(  # type: ignore[no-untyped-def]
    shared_database, fake_stripe, settings, tmp_path, latency
) -> None:
    window, farms = _week(fake_stripe)
    cards = Payment.objects.filter(status=Payment.Status.AUTHORIZED).count()
    assert cards == ORDERS // 2
    seed = int(os.environ.get("COOP_FAULT_SEED") or time.time_ns() % 10**6)
    kill_after = random.Random(seed).randint(1, cards - 5)
    print(f"COOP_FAULT_SEED={seed}: kill after {kill_after} of {cards} captures, {latency}s")
    fake_stripe.set_latency(latency)
    env = {
        **os.environ,
        "DATABASE_URL": shared_database,
        "STRIPE_SECRET_KEY": settings.STRIPE_SECRET_KEY,
        "STRIPE_WEBHOOK_SECRET": settings.STRIPE_WEBHOOK_SECRET,
        "STRIPE_API_BASE": settings.STRIPE_API_BASE,
        "STRIPE_IDEMPOTENCY_PREFIX": settings.STRIPE_IDEMPOTENCY_PREFIX,
        "COOP_CLOSE_STRIPE_THREADS": "4",
        "PRIVATE_ROOT": str(tmp_path / "private"),
        "EMAIL_CONSOLE": "1",
        "PYTHONUNBUFFERED": "1",
    }
    first, second = tmp_path / "first.log", tmp_path / "second.log"
    process = _worker(env, first)
    try:
        assert fake_stripe.wait_captures_received(kill_after, timeout=120)
        os.killpg(process.pid, signal.SIGKILL)  # at once: perhaps mid-request
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    window.refresh_from_db()
    assert window.status == OrderWindow.Status.CLOSING
    # The dead worker's lease runs out (its last heartbeat, moved back past the lease).
    OrderWindow.objects.filter(pk=window.pk).update(
        close_heartbeat=timezone.now() - closing.LEASE - timedelta(seconds=1)
    )
    resumed = _worker(env, second)
    assert resumed.wait(timeout=300) == 0, second.read_text()[-3000:]

    window.refresh_from_db()
    assert window.status == OrderWindow.Status.CLOSED, (window.close_step, window.close_progress)
    card_payments = list(
        Payment.objects.filter(order__window=window, method="card").select_related("order")
    )
    assert not [p.pk for p in card_payments if p.status != Payment.Status.CAPTURED]
    for payment in card_payments:
        assert fake_stripe.captures(payment.stripe_payment_intent_id) == 1, payment.pk
        assert payment.amount_captured == ledger.owed(payment.order), payment.pk
    assert not Payment.objects.filter(status=Payment.Status.CAPTURING).exists()
    sent = _recipients(first, second)
    assert sorted(r for r in sent if r.startswith("ferme")) == sorted(f.email for f in farms)
    assert [r for r in sent if r.startswith("client")] == []  # nobody asked to pay
    assert Order.objects.filter(window=window, status=Order.Status.LOCKED).count() == ORDERS
    print(f"truncated requests at the fake: {fake_stripe.truncated}")
