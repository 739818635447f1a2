"""After an ambiguous answer from Stripe (no answer, a 5xx, an idempotency conflict, an
answer that fits no known state), the PaymentIntent decides: money Stripe took is
recorded once, never asked for again, and the customer is never sent a link for it
(issue #20). Against the fake Stripe over real HTTP, which can act and then lose its
answer (`fail_after`, `drop_after`)."""

import logging
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone, translation

from orders import basket
from orders.models import Order, OrderWindow, Payment, Refund
from payments import collect, ledger, refunds
from payments import services as payment_services
from payments.errors import PaymentError
from pickup import closing
from pickup import services as pickup
from tests import factories
from tests.orders.test_payments import _close, _held, week

pytestmark = pytest.mark.django_db
__all__ = ["week"]  # the fixture, shared with test_payments

CAPTURE = "/v1/payment_intents/"
RETRIES = 3  # the library sends each call three times (max_network_retries=2)


def _capture_requests(fake_stripe, hold: Payment) -> list:  # type: ignore[no-untyped-def]
    path = f"/v1/payment_intents/{hold.stripe_payment_intent_id}/capture"
    return [r for r in fake_stripe.requests if r.path == path]


def _customer_mail(customer) -> list:  # type: ignore[no-untyped-def]
    return [m for m in mail.outbox if m.to == [customer.email]]


@pytest.mark.parametrize("lost", ["500 after acting", "connection dropped after acting"])
def test_a_capture_that_acted_but_whose_answer_was_lost_ends_paid_with_no_link(
    client, fake_stripe, week, lost
) -> None:
    window, _carrots, _honey, _point, customer = week
    order, hold = _held(client, fake_stripe, week)
    if lost.startswith("500"):
        fake_stripe.fail_after(f"{CAPTURE}{hold.stripe_payment_intent_id}/capture", times=RETRIES)
    else:
        fake_stripe.drop_after(f"{CAPTURE}{hold.stripe_payment_intent_id}/capture", times=RETRIES)
    mail.outbox.clear()
    _close(window)
    hold.refresh_from_db()
    assert hold.status == Payment.Status.CAPTURED
    assert hold.amount_captured == Decimal("7.00")
    assert fake_stripe.captures(hold.stripe_payment_intent_id) == 1
    assert _customer_mail(customer) == []  # no link for money already taken
    window.refresh_from_db()
    assert window.status == OrderWindow.Status.CLOSED
    with translation.override("fr-ca"):
        assert ledger.payment_state(Order.objects.get(pk=order.pk)).label.startswith("Payée")


def test_an_idempotency_conflict_reads_the_intent_and_records_what_was_taken(
    client, fake_stripe, week, django_capture_on_commit_callbacks
) -> None:
    """The issue's run: a dying worker's capture acted on the whole hold; the rerun's key
    with the amount owed is « same key, other parameters ». The intent shows 7.00 taken
    for an order that now owes 3.50: recorded, and the 3.50 beyond refunded, once."""
    window, carrots, _honey, _point, customer = week
    order, hold = _held(client, fake_stripe, week)  # 7.00 held
    basket.basket_line_set(
        customer_id=customer.pk, offer_id=carrots.pk, quantity=1, now=timezone.now()
    )  # now owes 3.50; the hold stays
    import stripe

    stripe.StripeClient(
        settings.STRIPE_SECRET_KEY, base_addresses={"api": fake_stripe.base_url}
    ).v1.payment_intents.capture(
        hold.stripe_payment_intent_id or "",
        options={"idempotency_key": f"{settings.STRIPE_IDEMPOTENCY_PREFIX}-capture-{hold.pk}"},
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks() as queued:
        _close(window)
    assert queued  # the refund task among the close's own; here it runs in this process:
    refunds.refunds_settle(order_id=order.pk, reason="overpayment")
    hold.refresh_from_db()
    assert hold.status == Payment.Status.CAPTURED
    assert hold.amount_captured == Decimal("7.00")
    conflict = _capture_requests(fake_stripe, hold)[-1]
    assert conflict.status == 400  # Stripe's « same key with different parameters »
    assert fake_stripe.captures(hold.stripe_payment_intent_id) == 1
    assert fake_stripe.refunds_for(hold.stripe_payment_intent_id) == [350]
    assert ledger.received(order.pk) == ledger.owed(Order.objects.get(pk=order.pk))
    assert _customer_mail(customer) == []


def test_a_capture_unanswered_before_acting_is_retried_with_a_new_key_once(
    client, fake_stripe, week
) -> None:
    window, _carrots, _honey, _point, _customer = week
    _order, hold = _held(client, fake_stripe, week)
    for _ in range(RETRIES):  # 500 before acting: the hold is still there to capture
        fake_stripe.fail_next(f"{CAPTURE}{hold.stripe_payment_intent_id}/capture")
    _close(window)
    hold.refresh_from_db()
    assert hold.status == Payment.Status.CAPTURED
    assert hold.key_round == 1
    keys = {r.idempotency_key for r in _capture_requests(fake_stripe, hold)}
    prefix = f"{settings.STRIPE_IDEMPOTENCY_PREFIX}-capture-{hold.pk}"
    assert keys == {prefix, f"{prefix}-r1"}
    assert fake_stripe.captures(hold.stripe_payment_intent_id) == 1


def test_stripe_unreachable_leaves_the_payment_to_check_and_the_week_closes(
    client, fake_stripe, week
) -> None:
    """Never declined, never a link, while the money may be at Stripe; after the last
    attempt the close finishes and a coordinator sees « à vérifier »; once Stripe
    answers again, the periodic recheck captures it, once."""
    window, _carrots, _honey, _point, customer = week
    order, hold = _held(client, fake_stripe, week)
    for _ in range(2 * RETRIES * collect.MAX_ATTEMPTS):  # each run: the call, then a re-read
        fake_stripe.fail_next(CAPTURE, status=500)
    mail.outbox.clear()
    _close(window)
    window.refresh_from_db()
    assert window.status == OrderWindow.Status.CLOSING  # retried after the lease
    for _ in range(collect.MAX_ATTEMPTS - 1):
        OrderWindow.objects.filter(pk=window.pk).update(
            close_heartbeat=timezone.now() - closing.LEASE - timedelta(seconds=1)
        )
        closing.window_close(window_id=window.pk, now=timezone.now())
    window.refresh_from_db()
    assert window.status == OrderWindow.Status.CLOSED
    hold.refresh_from_db()
    assert hold.status == Payment.Status.REVIEW
    assert _customer_mail(customer) == []
    with translation.override("fr-ca"):
        state = ledger.payment_state(Order.objects.get(pk=order.pk))
    assert (state.label, state.tone) == (
        "Paiement en vérification par la coop (dans Stripe)",
        "problem",
    )
    assert state.unclear
    assert not state.can_pay_now  # no second card payment for money Stripe may hold
    with pytest.raises(PaymentError, match="en cours de confirmation"):
        payment_services.checkout_begin(
            order_id=order.pk,
            customer_id=customer.pk,
            return_url="http://t/",
            cancel_url="http://t/",
        )
    with pytest.raises(PaymentError, match="regardez-le dans Stripe"):
        refunds.cash_record(order_id=order.pk, recorded_by_id=factories.coordinator().pk)
    assert fake_stripe.captures(hold.stripe_payment_intent_id) == 0

    assert collect.payments_recheck() == 1  # Stripe answers again
    hold.refresh_from_db()
    assert hold.status == Payment.Status.CAPTURED
    assert hold.amount_captured == Decimal("7.00")
    assert fake_stripe.captures(hold.stripe_payment_intent_id) == 1
    assert _customer_mail(customer) == []


def test_an_answer_that_fits_no_known_state_is_logged_and_left_to_check(
    client, fake_stripe, week, caplog
) -> None:
    window, _carrots, _honey, _point, customer = week
    _order, hold = _held(client, fake_stripe, week)
    fake_stripe.patch_intent(hold.stripe_payment_intent_id, status="requires_magic")
    mail.outbox.clear()
    with caplog.at_level(logging.ERROR, logger="payments"):
        _close(window)
        for _ in range(collect.MAX_ATTEMPTS - 1):
            OrderWindow.objects.filter(pk=window.pk).update(
                close_heartbeat=timezone.now() - closing.LEASE - timedelta(seconds=1)
            )
            closing.window_close(window_id=window.pk, now=timezone.now())
    window.refresh_from_db()
    assert window.status == OrderWindow.Status.CLOSED  # never held open for ever
    hold.refresh_from_db()
    assert hold.status == Payment.Status.REVIEW
    assert hold.stripe_payment_intent_id in caplog.text
    assert "requires_magic" in caplog.text
    assert _customer_mail(customer) == []


def test_a_refund_that_acted_but_whose_answer_was_lost_ends_refunded_once(
    client, fake_stripe, week
) -> None:
    window, _carrots, _honey, _point, _customer = week
    order, hold = _held(client, fake_stripe, week)
    _close(window)
    pickup.order_cancel_closed(order_id=order.pk)
    fake_stripe.fail_after("/v1/refunds", times=RETRIES)  # Stripe refunded; we heard 500
    refunds.refunds_settle(order_id=order.pk, reason="cancellation")
    refund = Refund.objects.get()
    assert refund.status == Refund.Status.SUCCEEDED
    assert refund.stripe_refund_id
    for _ in range(2):  # the periodic retry finds nothing left to send
        refunds.refunds_settle(order_id=order.pk, reason="cancellation")
    assert fake_stripe.refunds_for(hold.stripe_payment_intent_id) == [700]
    hold.refresh_from_db()
    assert hold.amount_refunded == Decimal("7.00")


def test_a_refund_retried_after_its_key_expired_is_found_not_sent_again(
    client, fake_stripe, week
) -> None:
    """A refund whose answer was lost, retried when Stripe no longer knows its key (a
    day later): two refund requests would both act, so the intent's refunds are
    searched for our row's id first."""
    window, _carrots, _honey, _point, _customer = week
    order, hold = _held(client, fake_stripe, week)
    _close(window)
    pickup.order_cancel_closed(order_id=order.pk)
    # The refund acts, every answer is lost, and so is the look-up that follows.
    fake_stripe.drop_after("/v1/refunds", times=2 * RETRIES)
    refunds.refunds_settle(order_id=order.pk, reason="cancellation")
    assert Refund.objects.get().status == Refund.Status.PENDING
    assert fake_stripe.refunds_for(hold.stripe_payment_intent_id) == [700]
    fake_stripe.age_idempotency_keys(24 * 3600 + 1)  # a day later: Stripe forgot them
    posts = len([r for r in fake_stripe.requests if r.method == "POST" and r.path == "/v1/refunds"])
    refunds.refunds_settle(order_id=order.pk, reason="cancellation")
    refund = Refund.objects.get()
    assert refund.status == Refund.Status.SUCCEEDED
    assert refund.stripe_refund_id
    assert posts == len(
        [r for r in fake_stripe.requests if r.method == "POST" and r.path == "/v1/refunds"]
    )  # found by its id, not asked for again
    assert fake_stripe.refunds_for(hold.stripe_payment_intent_id) == [700]
