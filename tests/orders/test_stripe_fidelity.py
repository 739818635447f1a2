"""Payments as real Stripe behaves (issue #21), against the fake Stripe, which now
refuses what Stripe refuses: a Checkout Session's PaymentIntent cancelled outside
``requires_capture``, amounts under Stripe's minimum, and produces the states real
Stripe does (``processing``, ``requires_action`` off-session, Checkout's async
payments, ``charge.refunded``)."""

import json
import logging
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from orders import basket
from orders.models import Order, OrderWindow, Payment, WebhookEvent
from payments import collect, gateway, ledger, refunds, webhooks
from payments import services as payment_services
from payments.errors import PaymentError
from pickup import documents
from pickup import services as pickup
from tests import factories
from tests.orders.test_payments import (
    _add,
    _close,
    _confirm_by_card,
    _held,
    _session_id,
    week,
)

pytestmark = pytest.mark.django_db
__all__ = ["week"]  # the fixture, shared with test_payments


def _handle_events(fake_stripe, since: int = 0) -> list[str]:  # type: ignore[no-untyped-def]
    """Deliver the fake's events from `since` on, signed, as Stripe would; handle them."""
    outcomes = []
    for event in fake_stripe.events[since:]:
        payload = json.dumps(event)
        stored, _created = webhooks.event_receive(
            payload=payload.encode(), signature=fake_stripe.sign(payload)
        )
        outcomes.append(f"{event['type']}: {webhooks.event_handle(event_pk=stored.pk)}")
    return outcomes


# 1. Releasing holds as Checkout allows --------------------------------------------------


@pytest.mark.parametrize("started", [None, "requires_action", "requires_confirmation"])
def test_a_cancelled_order_expires_its_open_page_whatever_its_intent(
    client, fake_stripe, week, started
) -> None:
    """The customer stopped at 3-D Secure (or before confirming) on the hosted page, then
    cancelled the order: the page is expired, which cancels its intent at Stripe; the
    intent itself is never cancelled directly (Stripe refuses it in these states)."""
    _window, carrots, _honey, point, customer = week
    _add(customer, carrots, 2)
    url = _confirm_by_card(client, customer, point)
    session = _session_id(url)
    payment = Payment.objects.get(stripe_checkout_session_id=session)
    intent_id = None
    if started:
        intent_id = fake_stripe.start_session_payment(session, started)
        # As the webhook of the begun payment does: the row learns its intent.
        payment = payment_services.payment_sync(payment_id=payment.pk)
        assert payment.stripe_payment_intent_id == intent_id
    order = Order.objects.get(customer=customer)
    assert client.post(reverse("baskets:order_cancel", args=[order.pk])).status_code == 302
    assert fake_stripe.sessions[session]["status"] == "expired"
    with pytest.raises(ValueError, match="is expired"):
        fake_stripe.complete_session(session, "ok")  # nobody can pay the page any more
    cancels = [r for r in fake_stripe.requests if r.path.endswith("/cancel")]
    assert cancels == []
    if intent_id:
        assert fake_stripe.intent(intent_id)["status"] == "canceled"
    payment = Payment.objects.get(stripe_checkout_session_id=session)
    assert payment.status == Payment.Status.CANCELLED


def test_a_hold_is_cancelled_directly_only_in_requires_capture(client, fake_stripe, week) -> None:
    _window, _carrots, _honey, _point, customer = week
    order, hold = _held(client, fake_stripe, week)
    assert client.post(reverse("baskets:order_cancel", args=[order.pk])).status_code == 302
    hold.refresh_from_db()
    assert hold.status == Payment.Status.CANCELLED
    assert fake_stripe.intent(hold.stripe_payment_intent_id)["status"] == "canceled"
    assert [r.status for r in fake_stripe.requests if r.path.endswith("/cancel")] == [200]


def test_the_fake_refuses_to_cancel_a_checkout_intent_outside_requires_capture(
    client, fake_stripe, week
) -> None:
    _window, carrots, _honey, point, customer = week
    _add(customer, carrots, 2)
    session = _session_id(_confirm_by_card(client, customer, point))
    intent_id = fake_stripe.start_session_payment(session, "requires_action")
    with pytest.raises(gateway.GatewayError, match="expire the Checkout Session"):
        gateway.intent_cancel(intent_id=intent_id, key="release-test")


# 2. Amounts Stripe accepts ------------------------------------------------------------


def test_a_remainder_under_stripes_minimum_is_paid_at_pickup_not_by_a_refused_charge(
    client, fake_stripe, week
) -> None:
    window, carrots, _honey, point, customer = week
    order, hold = _held(client, fake_stripe, week)  # 7.00 held
    radish = factories.offer(
        window_=window,
        product_=factories.product(farm_=carrots.product.farm, name="Radis", price=Decimal("0.30")),
    )
    _add(customer, radish, 1)  # owes 7.30: the hold covers 7.00, 0.30 is left
    mail.outbox.clear()
    _close(window)
    window.refresh_from_db()
    assert window.status == OrderWindow.Status.CLOSED
    hold.refresh_from_db()
    assert (hold.status, hold.amount_captured) == (Payment.Status.CAPTURED, Decimal("7.00"))
    assert not Payment.objects.filter(order=order, kind=Payment.Kind.CHARGE).exists()
    assert [r for r in fake_stripe.requests if r.path == "/v1/payment_intents"] == []
    assert [m for m in mail.outbox if m.to == [customer.email]] == []  # no link to pay
    state = ledger.payment_state(Order.objects.get(pk=order.pk))
    assert state.outstanding == Decimal("0.30")
    assert not state.can_pay_now
    with translation.override("fr-ca"):
        label = ledger.payment_state(Order.objects.get(pk=order.pk)).label
    label = label.replace("\u202f", " ").replace("\xa0", " ")  # French spaces, unbreakable
    assert label == (
        "Payée par carte : 7,00 $ · 0,30 $ à payer à la cueillette (sous le minimum par carte)"
    )
    with pytest.raises(PaymentError, match="payez cette commande à la cueillette"):
        payment_services.checkout_begin(
            order_id=order.pk,
            customer_id=customer.pk,
            return_url="http://t/",
            cancel_url="http://t/",
        )
    # The point's sheet counts it in the cash to take, and the coordinator records it.
    sheet = documents.window_data(window)
    assert documents.cash_to_collect(sheet.orders) == Decimal("0.30")
    refunds.cash_record(order_id=order.pk, recorded_by_id=factories.coordinator().pk)
    with translation.override("en"):
        after = ledger.payment_state(Order.objects.get(pk=order.pk))
    assert after.outstanding == 0
    assert after.label.replace("\xa0", " ") == "Paid: $7.00 by card, $0.30 at pickup"


def test_a_capture_under_stripes_minimum_releases_the_hold_for_pickup(
    client, fake_stripe, week
) -> None:
    window, carrots, _honey, _point, customer = week
    order, hold = _held(client, fake_stripe, week)  # 7.00 held
    radish = factories.offer(
        window_=window,
        product_=factories.product(farm_=carrots.product.farm, name="Radis", price=Decimal("0.30")),
    )
    _add(customer, radish, 1)
    basket.basket_line_set(
        customer_id=customer.pk, offer_id=carrots.pk, quantity=0, now=timezone.now()
    )  # owes 0.30 now
    _close(window)
    hold.refresh_from_db()
    assert hold.status == Payment.Status.CANCELLED  # released, nothing captured
    assert fake_stripe.captures(hold.stripe_payment_intent_id) == 0
    assert ledger.payment_state(Order.objects.get(pk=order.pk)).outstanding == Decimal("0.30")


# 3. One API version ---------------------------------------------------------------------


def test_an_event_of_another_api_version_is_logged_and_re_read(
    client, fake_stripe, week, caplog
) -> None:
    _window, carrots, _honey, point, customer = week
    _add(customer, carrots, 2)
    session = _session_id(_confirm_by_card(client, customer, point))
    intent_id = fake_stripe.complete_session(session, "ok")
    event = {
        "id": "evt_old_version",
        "object": "event",
        "api_version": "2020-08-27",
        "type": "payment_intent.succeeded",  # what the old shape claims...
        "data": {"object": {"object": "payment_intent", "id": intent_id, "status": "succeeded"}},
    }
    payload = json.dumps(event)
    with caplog.at_level(logging.WARNING, logger="payments"):
        stored, _ = webhooks.event_receive(
            payload=payload.encode(), signature=fake_stripe.sign(payload)
        )
    assert "'2020-08-27'" in caplog.text
    assert gateway.API_VERSION in caplog.text
    webhooks.event_handle(event_pk=stored.pk)
    payment = Payment.objects.get(stripe_checkout_session_id=session)
    assert payment.status == Payment.Status.AUTHORIZED  # ...Stripe says requires_capture
    assert all(v == gateway.API_VERSION for v in fake_stripe.versions_sent)


# 5. States the fake now produces ------------------------------------------------------


def _expired_hold_and_card(client, fake_stripe, week, behaviour):  # type: ignore[no-untyped-def]
    """A hold that lapsed, and a saved card that answers `behaviour` off-session."""
    order, hold = _held(client, fake_stripe, week)
    fake_stripe.expire_hold(hold.stripe_payment_intent_id)
    fake_stripe.set_behaviour(hold.stripe_payment_method_id, behaviour)
    return order, hold


def test_an_off_session_charge_left_processing_is_shown_and_never_taken_again(
    client, fake_stripe, week
) -> None:
    window, _carrots, _honey, _point, customer = week
    order, _hold = _expired_hold_and_card(client, fake_stripe, week, "processing")
    mail.outbox.clear()
    _close(window)
    window.refresh_from_db()
    assert window.status == OrderWindow.Status.CLOSED  # not held open by it
    charge = Payment.objects.get(order=order, kind=Payment.Kind.CHARGE)
    assert charge.status == Payment.Status.PROCESSING
    with translation.override("fr-ca"):
        assert ledger.payment_state(Order.objects.get(pk=order.pk)).label == "Paiement en cours"
    assert collect.order_collect(order_id=order.pk)  # a rerun takes nothing more
    with pytest.raises(PaymentError):  # nor a link, nor cash, while the bank has not said
        payment_services.checkout_begin(
            order_id=order.pk,
            customer_id=customer.pk,
            return_url="http://t/",
            cancel_url="http://t/",
        )
    with pytest.raises(PaymentError):
        refunds.cash_record(order_id=order.pk, recorded_by_id=factories.coordinator().pk)
    confirms = [r for r in fake_stripe.requests if r.path.endswith("/confirm")]
    assert len(confirms) == 1
    assert [m for m in mail.outbox if m.to == [customer.email]] == []
    since = len(fake_stripe.events)
    fake_stripe.settle(charge.stripe_payment_intent_id, ok=True)
    assert _handle_events(fake_stripe, since) == [
        f"payment_intent.succeeded: payment {charge.pk} synced"
    ]
    charge.refresh_from_db()
    assert (charge.status, charge.amount_captured) == (Payment.Status.CAPTURED, Decimal("7.00"))


def test_an_off_session_confirm_answered_requires_action_asks_the_customer(
    client, fake_stripe, week
) -> None:
    window, _carrots, _honey, _point, customer = week
    order, _hold = _expired_hold_and_card(client, fake_stripe, week, "requires_action")
    mail.outbox.clear()
    _close(window)
    charge = Payment.objects.get(order=order, kind=Payment.Kind.CHARGE)
    assert charge.status == Payment.Status.ACTION_REQUIRED
    assert [m.to for m in mail.outbox if m.to == [customer.email]] == [[customer.email]]
    assert ledger.payment_state(Order.objects.get(pk=order.pk)).can_pay_now
    assert "payment_intent.requires_action" in [e["type"] for e in fake_stripe.events]


@pytest.mark.parametrize("ok", [True, False], ids=["async-succeeded", "async-failed"])
def test_an_async_checkout_payment_is_followed_by_its_events(client, fake_stripe, week, ok) -> None:
    """A link paid with a method that settles later (Checkout's async payments)."""
    window, carrots, _honey, point, customer = week
    _add(customer, carrots, 2)
    _confirm_by_card(client, customer, point)  # never authorized: a link at close
    _close(window)
    order = Order.objects.get(customer=customer)
    url = payment_services.checkout_begin(
        order_id=order.pk, customer_id=customer.pk, return_url="http://t/", cancel_url="http://t/"
    )
    session = _session_id(url)
    intent_id = fake_stripe.complete_session(session, "processing")
    link = payment_services.payment_sync(
        payment_id=Payment.objects.get(stripe_checkout_session_id=session).pk
    )
    assert link.status == Payment.Status.PROCESSING
    since = len(fake_stripe.events)
    fake_stripe.settle(intent_id, ok=ok)
    kind = "succeeded" if ok else "failed"
    outcomes = _handle_events(fake_stripe, since)
    assert f"checkout.session.async_payment_{kind}: already processed" not in outcomes
    assert any(o.startswith(f"checkout.session.async_payment_{kind}: payment") for o in outcomes)
    link.refresh_from_db()
    assert link.status == (Payment.Status.CAPTURED if ok else Payment.Status.DECLINED)
    assert ledger.payment_state(Order.objects.get(pk=order.pk)).can_pay_now is not ok


def test_charge_refunded_is_handled(client, fake_stripe, week) -> None:
    window, _carrots, _honey, _point, _customer = week
    order, hold = _held(client, fake_stripe, week)
    _close(window)
    pickup.order_cancel_closed(order_id=order.pk)
    since = len(fake_stripe.events)
    refunds.refunds_settle(order_id=order.pk, reason="cancellation")
    outcomes = _handle_events(fake_stripe, since)
    assert f"charge.refunded: payment {hold.pk} synced" in outcomes
    assert WebhookEvent.objects.filter(type="charge.refunded", processed_at__isnull=False).exists()
