"""Card payments against a fake Stripe over real HTTP (tests/fake_stripe.py): the real
stripe library, no function patched. Hold at confirmation, a new hold for a larger
basket, capture at close, charges of the saved card, links to pay, refunds once,
cash at pickup."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from orders import basket
from orders.models import CoopSettings, Offer, Order, OrderWindow, Payment, Refund
from payments import ledger, refunds
from payments import services as payment_services
from payments.errors import PaymentError
from pickup import closing
from pickup import services as pickup
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def week(fake_stripe):  # type: ignore[no-untyped-def]
    """An open window with two products and a pickup point; a customer signed in."""
    window = factories.window()
    farm = factories.farm(email="ferme@example.org")
    carrots = factories.offer(
        window_=window,
        product_=factories.product(farm_=farm, name="Carottes", price=Decimal("3.50")),
    )
    honey = factories.offer(
        window_=window,
        product_=factories.product(
            farm_=farm, name="Miel", price=Decimal("12.00"), tax_class="taxable"
        ),
    )
    point = factories.pickup_point()
    customer = factories.user(email="marie@example.org", language="fr-ca")
    return window, carrots, honey, point, customer


def _add(customer, offer: Offer, quantity: int) -> None:  # type: ignore[no-untyped-def]
    basket.basket_line_set(
        customer_id=customer.pk, offer_id=offer.pk, quantity=quantity, now=timezone.now()
    )


def _confirm_by_card(client, customer, point) -> str:  # type: ignore[no-untyped-def]
    client.force_login(customer)
    response = client.post(
        reverse("baskets:checkout"),
        {"pickup_point": point.pk, "language": "fr-ca", "payment_method": "card"},
    )
    assert response.status_code == 302, response.content[:500]
    return str(response["Location"])


def _session_id(url: str) -> str:
    match = re.search(r"(cs_[A-Za-z0-9_]+)", url)
    assert match, url
    return match.group(1)


def _authorize(client, fake_stripe, order: Order, url: str) -> Payment:  # type: ignore[no-untyped-def]
    session = _session_id(url)
    fake_stripe.complete_session(session, "ok")
    response = client.get(reverse("baskets:order_paid", args=[order.pk]), {"session_id": session})
    assert response.status_code == 302
    return Payment.objects.get(stripe_checkout_session_id=session)


def _held(client, fake_stripe, week) -> tuple[Order, Payment]:  # type: ignore[no-untyped-def]
    """Two bunches of carrots (7.00) confirmed by card and authorized."""
    _window, carrots, _honey, point, customer = week
    _add(customer, carrots, 2)
    order = Order.objects.get(customer=customer)
    return order, _authorize(client, fake_stripe, order, _confirm_by_card(client, customer, point))


def _close(window: OrderWindow) -> None:
    OrderWindow.objects.filter(pk=window.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    closing.window_close(window_id=window.pk, now=timezone.now())


def _page(client, order: Order) -> str:  # type: ignore[no-untyped-def]
    response = client.get(reverse("baskets:order", args=[order.pk]), HTTP_ACCEPT_LANGUAGE="en")
    return response.content.decode()


def test_the_whole_card_flow_is_visible_to_customer_and_coordinator(
    client, fake_stripe, week
) -> None:
    window, carrots, honey, point, customer = week
    _add(customer, carrots, 2)  # 7.00, zero-rated
    url = _confirm_by_card(client, customer, point)
    assert url.startswith(fake_stripe.base_url)  # off to the hosted page
    order = Order.objects.get(customer=customer)
    assert order.status == Order.Status.CONFIRMED
    assert order.payment_method == "card"
    assert reverse("baskets:order_pay", args=[order.pk]) in _page(client, order)  # the button
    first = _authorize(client, fake_stripe, order, url)
    assert first.status == Payment.Status.AUTHORIZED
    assert first.amount_authorized == Decimal("7.00")
    assert fake_stripe.intent(first.stripe_payment_intent_id)["status"] == "requires_capture"

    # Raise the basket above the hold: the customer is asked to authorize the new total.
    _add(customer, honey, 1)  # 12.00 + TPS 0.60 + TVQ 1.20 → total 20.80
    state = ledger.payment_state(Order.objects.get(pk=order.pk))
    assert state.can_authorize
    assert state.owed == Decimal("20.80")
    response = client.post(reverse("baskets:order_pay", args=[order.pk]))
    assert response.status_code == 302
    second = _authorize(client, fake_stripe, order, response["Location"])
    assert second.status == Payment.Status.AUTHORIZED
    assert second.amount_authorized == Decimal("20.80")
    first.refresh_from_db()
    assert first.status == Payment.Status.CANCELLED  # the old hold is released
    assert fake_stripe.intent(first.stripe_payment_intent_id)["status"] == "canceled"

    # Close: the final amount is captured once, on the newest hold.
    _close(window)
    second.refresh_from_db()
    assert second.status == Payment.Status.CAPTURED
    assert second.amount_captured == Decimal("20.80")
    assert fake_stripe.captures(second.stripe_payment_intent_id) == 1
    assert fake_stripe.captures(first.stripe_payment_intent_id) == 0
    coordinator = factories.coordinator()
    client.force_login(coordinator)
    sheet = client.get(reverse("pickup:coordinator_window", args=[window.pk])).content.decode()
    assert "20,80" in sheet

    # A shortage: one honey jar missing → 13.80 refunded, exactly once.
    honey_offer = Offer.objects.get(pk=honey.pk)
    pickup.shortage_record(offer_id=honey_offer.pk, units_short=1, now=timezone.now())
    assert refunds.refunds_settle(order_id=order.pk, reason="shortage")
    assert refunds.refunds_settle(order_id=order.pk, reason="shortage") == []
    second.refresh_from_db()
    assert second.amount_refunded == Decimal("13.80")
    assert fake_stripe.refunds_for(second.stripe_payment_intent_id) == [1380]
    client.force_login(customer)
    page = _page(client, order)
    assert "$13.80" in page
    assert "$7.00" in page


def test_lowering_the_basket_needs_nothing_and_close_captures_the_lower_total(
    client, fake_stripe, week
) -> None:
    window, carrots, _honey, point, customer = week
    _add(customer, carrots, 4)
    order = Order.objects.get(customer=customer)
    hold = _authorize(client, fake_stripe, order, _confirm_by_card(client, customer, point))
    _add(customer, carrots, 1)
    assert not ledger.payment_state(Order.objects.get(pk=order.pk)).can_authorize
    _close(window)
    hold.refresh_from_db()
    assert hold.amount_captured == Decimal("3.50")
    assert fake_stripe.intent(hold.stripe_payment_intent_id)["amount_received"] == 350


def test_an_expired_hold_is_replaced_by_a_charge_of_the_saved_card(
    client, fake_stripe, week
) -> None:
    window, carrots, _honey, point, customer = week
    order, hold = _held(client, fake_stripe, week)
    fake_stripe.expire_hold(hold.stripe_payment_intent_id)
    _close(window)
    hold.refresh_from_db()
    assert hold.status == Payment.Status.CANCELLED
    charge = Payment.objects.get(order=order, kind=Payment.Kind.CHARGE)
    assert charge.status == Payment.Status.CAPTURED
    assert charge.amount_captured == Decimal("7.00")
    assert fake_stripe.intent(charge.stripe_payment_intent_id)["amount_received"] == 700
    # Created unconfirmed (its id kept), then confirmed without the customer.
    created = [r for r in fake_stripe.requests if r.path == "/v1/payment_intents"]
    assert len(created) == 1
    assert "confirm" not in created[0].params
    confirmed = [r for r in fake_stripe.requests if r.path.endswith("/confirm")]
    assert [r.params["off_session"] for r in confirmed] == ["true"]


@pytest.mark.parametrize(
    ("behaviour", "status", "label"),
    [
        ("authentication_required", Payment.Status.ACTION_REQUIRED, "Payment pending"),
        ("declined", Payment.Status.DECLINED, "Card declined"),
    ],
)
def test_a_refused_charge_emails_a_link_and_shows_on_both_pages(  # type: ignore[no-untyped-def]
    client, fake_stripe, week, behaviour, status, label
) -> None:
    window, carrots, _honey, point, customer = week
    _add(customer, carrots, 2)
    order = Order.objects.get(customer=customer)
    customer.language = "en"
    customer.save()
    client.force_login(customer)
    client.post(
        reverse("baskets:checkout"),
        {"pickup_point": point.pk, "language": "en", "payment_method": "card"},
    )
    hold = _authorize(client, fake_stripe, order, Payment.objects.get(order=order).checkout_url)
    fake_stripe.set_behaviour(hold.stripe_payment_method_id, behaviour)
    fake_stripe.expire_hold(hold.stripe_payment_intent_id)
    mail.outbox.clear()
    _close(window)
    charge = Payment.objects.get(order=order, kind=Payment.Kind.CHARGE)
    assert charge.status == status
    sent = [m for m in mail.outbox if m.to == [customer.email]]
    assert len(sent) == 1
    assert f"/my/orders/{order.pk}/" in sent[0].body
    assert label in _page(client, order)
    # The customer pays through the link: a Checkout page, captured at once.
    response = client.post(reverse("baskets:order_pay", args=[order.pk]))
    link = _authorize(client, fake_stripe, order, response["Location"])
    assert link.kind == Payment.Kind.LINK
    assert link.status == Payment.Status.CAPTURED
    assert ledger.payment_state(Order.objects.get(pk=order.pk)).outstanding == 0
    # A second close run charges nothing more.
    OrderWindow.objects.filter(pk=window.pk).update(
        status="closing", close_heartbeat=timezone.now() - timedelta(hours=1)
    )
    closing.window_close(window_id=window.pk, now=timezone.now())
    assert Payment.objects.filter(order=order, kind=Payment.Kind.CHARGE).count() == 1


def test_no_card_on_file_asks_the_customer_to_pay(client, fake_stripe, week) -> None:
    window, carrots, _honey, point, customer = week
    _add(customer, carrots, 1)
    _confirm_by_card(client, customer, point)  # never completes the Checkout page
    _close(window)
    order = Order.objects.get(customer=customer)
    pending = Payment.objects.get(order=order, kind=Payment.Kind.LINK)
    assert pending.status == Payment.Status.ACTION_REQUIRED
    assert ledger.payment_state(order).can_pay_now


def test_pay_at_pickup_shows_the_amount_and_the_coordinator_records_it(
    client, fake_stripe, week
) -> None:
    window, carrots, _honey, point, customer = week
    _add(customer, carrots, 3)
    client.force_login(customer)
    response = client.post(
        reverse("baskets:checkout"),
        {"pickup_point": point.pk, "language": "fr-ca", "payment_method": "at_pickup"},
    )
    assert response["Location"] == reverse("baskets:order", args=[Order.objects.get().pk])
    _close(window)
    order = Order.objects.get()
    client.force_login(factories.coordinator())
    page = client.get(reverse("pickup:coordinator_window", args=[window.pk])).content.decode()
    assert "10,50" in page
    client.post(reverse("payments:coordinator_cash", args=[order.pk]))
    cash = Payment.objects.get(order=order)
    assert cash.status == Payment.Status.COLLECTED
    assert cash.amount_captured == Decimal("10.50")
    response = client.post(reverse("payments:coordinator_cash", args=[order.pk]))
    assert Payment.objects.filter(order=order).count() == 1  # nothing left to collect
    assert not fake_stripe.requests  # no card, no call


def test_the_co_op_may_turn_pay_at_pickup_off(client, fake_stripe, week) -> None:
    _window, carrots, _honey, point, customer = week
    CoopSettings.objects.update_or_create(pk=1, defaults={"pay_at_pickup": False})
    _add(customer, carrots, 1)
    client.force_login(customer)
    response = client.post(
        reverse("baskets:checkout"),
        {"pickup_point": point.pk, "language": "fr-ca", "payment_method": "at_pickup"},
    )
    assert response.status_code == 422
    assert Order.objects.get().status == Order.Status.BASKET


def test_without_keys_only_pay_at_pickup_is_offered_and_the_page_says_why(client, settings) -> None:
    settings.STRIPE_SECRET_KEY = ""
    window = factories.window()
    offer = factories.offer(window_=window)
    factories.pickup_point()
    customer = factories.user(language="en")
    _add(customer, offer, 1)
    client.force_login(customer)
    page = client.get(reverse("baskets:checkout"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'value="card"' not in page
    assert "Card payment is not set up" in page


def test_a_cancellation_after_capture_is_refunded_in_full_once(client, fake_stripe, week) -> None:
    window, carrots, _honey, point, customer = week
    order, hold = _held(client, fake_stripe, week)
    _close(window)
    pickup.order_cancel_closed(order_id=order.pk)
    for _ in range(3):
        refunds.refunds_settle(order_id=order.pk, reason="cancellation")
    hold.refresh_from_db()
    assert hold.amount_refunded == Decimal("7.00")
    assert fake_stripe.refunds_for(hold.stripe_payment_intent_id) == [700]
    assert Refund.objects.get().status == Refund.Status.SUCCEEDED


def test_a_refund_interrupted_by_stripe_is_sent_again_with_the_same_key(
    client, fake_stripe, week
) -> None:
    window, carrots, _honey, point, customer = week
    order, hold = _held(client, fake_stripe, week)
    _close(window)
    pickup.order_cancel_closed(order_id=order.pk)
    fake_stripe.fail_next("/v1/refunds", status=500)
    fake_stripe.fail_next("/v1/refunds", status=500)
    fake_stripe.fail_next("/v1/refunds", status=500)
    refunds.refunds_settle(order_id=order.pk, reason="cancellation")
    assert Refund.objects.get().status == Refund.Status.PENDING
    refunds.refunds_settle(order_id=order.pk, reason="cancellation")
    assert Refund.objects.get().status == Refund.Status.SUCCEEDED
    assert fake_stripe.refunds_for(hold.stripe_payment_intent_id) == [700]


def test_cancelling_before_close_releases_the_hold(client, fake_stripe, week) -> None:
    _window, carrots, _honey, point, customer = week
    order, hold = _held(client, fake_stripe, week)
    client.post(reverse("baskets:order_cancel", args=[order.pk]))
    hold.refresh_from_db()
    assert hold.status == Payment.Status.CANCELLED
    assert fake_stripe.intent(hold.stripe_payment_intent_id)["status"] == "canceled"


def test_amounts_reach_stripe_as_exact_integer_cents(client, fake_stripe) -> None:
    """0.10 + 0.20 is 0.30, and 3 × 1.99 taxable is 5.97 + 0.30 + 0.60 = 6.87."""
    window = factories.window()
    point = factories.pickup_point()
    dime = factories.offer(window_=window, product_=factories.product(price=Decimal("0.10")))
    twenty = factories.offer(window_=window, product_=factories.product(price=Decimal("0.20")))
    taxed = factories.offer(
        window_=window,
        product_=factories.product(price=Decimal("1.99"), tax_class="taxable"),
    )
    customer = factories.user()
    _add(customer, dime, 1)
    _add(customer, twenty, 1)
    _add(customer, taxed, 3)
    _confirm_by_card(client, customer, point)
    created = [r for r in fake_stripe.requests if r.path == "/v1/checkout/sessions"]
    assert created[-1].params["line_items"][0]["price_data"]["unit_amount"] == "717"
    assert isinstance(ledger.owed(Order.objects.get()), Decimal)
    assert ledger.owed(Order.objects.get()) == Decimal("7.17")


# What a review found, each now a test ------------------------------------------------


def test_a_card_stripe_will_never_charge_asks_the_customer_and_the_week_closes(
    client, fake_stripe, week
) -> None:
    """A saved card removed since (Stripe: "No such PaymentMethod") is a refusal, not
    an outage: the week closes, the customer is emailed a link."""
    window, carrots, _honey, point, customer = week
    order, hold = _held(client, fake_stripe, week)
    fake_stripe.expire_hold(hold.stripe_payment_intent_id)
    Payment.objects.filter(pk=hold.pk).update(stripe_payment_method_id="pm_removed")
    mail.outbox.clear()
    _close(window)
    window.refresh_from_db()
    assert window.status == OrderWindow.Status.CLOSED
    charge = Payment.objects.get(order=order, kind=Payment.Kind.CHARGE)
    assert charge.status == Payment.Status.DECLINED
    assert [m.to for m in mail.outbox if m.to == [customer.email]] == [[customer.email]]
    assert ledger.payment_state(Order.objects.get(pk=order.pk)).can_pay_now


def test_money_received_twice_is_refunded(
    client, fake_stripe, week, django_capture_on_commit_callbacks
) -> None:
    """Cash taken at pickup while the customer also paid the emailed link: the card
    payment beyond what is owed goes back, once."""
    window, carrots, _honey, point, customer = week
    _add(customer, carrots, 2)
    _confirm_by_card(client, customer, point)  # never authorized: a link at close
    _close(window)
    order = Order.objects.get(customer=customer)
    response = client.post(reverse("baskets:order_pay", args=[order.pk]))
    session = _session_id(response["Location"])
    refunds.cash_record(order_id=order.pk, recorded_by_id=factories.coordinator().pk)
    fake_stripe.complete_session(session, "ok")
    with django_capture_on_commit_callbacks() as queued:
        link = payment_services.payment_sync(
            payment_id=Payment.objects.get(stripe_checkout_session_id=session).pk
        )
    assert link.status == Payment.Status.CAPTURED
    assert len(queued) == 1  # the refund task; here it runs in this process:
    refunds.refunds_settle(order_id=order.pk, reason="overpayment")
    link.refresh_from_db()
    assert link.amount_refunded == Decimal("7.00")
    assert fake_stripe.refunds_for(link.stripe_payment_intent_id) == [700]
    assert ledger.received(order.pk) == Decimal("7.00")


def test_cash_waits_for_a_card_being_charged_and_closes_open_pages(
    client, fake_stripe, week
) -> None:
    window, carrots, _honey, point, customer = week
    _add(customer, carrots, 2)
    _confirm_by_card(client, customer, point)
    _close(window)
    order = Order.objects.get(customer=customer)
    client.post(reverse("baskets:order_pay", args=[order.pk]))
    link = Payment.objects.get(order=order, kind=Payment.Kind.LINK)
    assert link.status == Payment.Status.PENDING
    client.force_login(factories.coordinator())
    client.post(reverse("payments:coordinator_cash", args=[order.pk]))
    link.refresh_from_db()
    assert link.status == Payment.Status.CANCELLED
    assert fake_stripe.sessions[link.stripe_checkout_session_id]["status"] == "expired"
    assert ledger.received(order.pk) == Decimal("7.00")
    Payment.objects.filter(pk=link.pk).update(status=Payment.Status.CAPTURING)
    with pytest.raises(PaymentError):
        refunds.cash_record(order_id=order.pk, recorded_by_id=customer.pk)


def test_a_new_hold_left_open_at_close_is_closed_so_it_cannot_hold_the_card(
    client, fake_stripe, week
) -> None:
    window, carrots, honey, point, customer = week
    _add(customer, carrots, 2)
    order = Order.objects.get(customer=customer)
    first = _authorize(client, fake_stripe, order, _confirm_by_card(client, customer, point))
    _add(customer, honey, 1)
    client.post(reverse("baskets:order_pay", args=[order.pk]))  # opened, not completed
    second = Payment.objects.filter(order=order).latest("pk")
    _close(window)
    second.refresh_from_db()
    assert second.status == Payment.Status.CANCELLED
    assert fake_stripe.sessions[second.stripe_checkout_session_id]["status"] == "expired"
    first.refresh_from_db()
    assert first.amount_captured == Decimal("7.00")
    charge = Payment.objects.get(order=order, kind=Payment.Kind.CHARGE)
    assert charge.amount_captured == Decimal("13.80")
    assert ledger.received(order.pk) == Decimal("20.80")


def test_an_order_is_charged_off_session_at_most_once(fake_stripe, week) -> None:
    from django.db import IntegrityError

    _window, _carrots, _honey, _point, customer = week
    order = factories.order(customer=customer, status=Order.Status.LOCKED)
    Payment.objects.create(order=order, method="card", kind=Payment.Kind.CHARGE)
    with pytest.raises(IntegrityError):
        Payment.objects.create(order=order, method="card", kind=Payment.Kind.CHARGE)


def test_a_refund_stripe_keeps_refusing_shows_as_failed_to_the_coordinator(
    client, fake_stripe, week
) -> None:
    window, carrots, _honey, point, customer = week
    order, _hold = _held(client, fake_stripe, week)
    _close(window)
    pickup.order_cancel_closed(order_id=order.pk)
    for _ in range(refunds.MAX_REFUND_ATTEMPTS):
        for _ in range(3):
            fake_stripe.fail_next("/v1/refunds", status=500)
        refunds.refunds_settle(order_id=order.pk, reason="cancellation")
    assert Refund.objects.get().status == Refund.Status.FAILED
    with translation.override("en"):
        state = ledger.payment_state(Order.objects.get(pk=order.pk))
    assert "Refund failed" in state.label
    assert state.tone == "problem"


def test_the_coordinators_week_page_reads_payments_in_constant_queries(client) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    window = factories.window()
    offer = factories.offer(window_=window, quantity=500)
    point = factories.pickup_point()
    client.force_login(factories.coordinator())
    url = reverse("pickup:coordinator_window", args=[window.pk])

    def add_orders(n: int) -> None:
        for _ in range(n):
            order = factories.order(
                window_=window,
                status=Order.Status.CONFIRMED,
                pickup_point=point,
                payment_method="card",
            )
            order.lines.create(offer=offer, quantity=1, unit_price=offer.price, tax_class="zero")
            Payment.objects.create(
                order=order,
                method="card",
                status=Payment.Status.AUTHORIZED,
                amount_authorized=offer.price,
            )

    counts: list[int] = []
    for n in (3, 12):
        add_orders(n)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        assert response.content.decode().count('class="pay pay-ok"') == len(counts) * 3 + n
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_a_card_order_below_stripes_minimum_is_told_to_pay_at_pickup(client, fake_stripe) -> None:
    window = factories.window()
    point = factories.pickup_point()
    offer = factories.offer(window_=window, product_=factories.product(price=Decimal("0.25")))
    customer = factories.user()
    _add(customer, offer, 1)
    client.force_login(customer)
    response = client.post(
        reverse("baskets:checkout"),
        {"pickup_point": point.pk, "language": "en", "payment_method": "card"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "Card payments start at $0.50" in response.content.decode()
    assert not fake_stripe.requests  # nothing was asked of Stripe


def test_cash_received_beyond_a_shortage_is_given_back_by_hand_and_recorded(
    client, fake_stripe, week
) -> None:
    """Cash taken at pickup, then a shortage: the coordinator gives the difference back
    and records it, so the week's money adds up again (and can be settled)."""
    window, carrots, _honey, point, customer = week
    _add(customer, carrots, 2)
    client.force_login(customer)
    client.post(
        reverse("baskets:checkout"),
        {"pickup_point": point.pk, "language": "en", "payment_method": "at_pickup"},
    )
    _close(window)
    order = Order.objects.get(customer=customer)
    coordinator = factories.coordinator()
    refunds.cash_record(order_id=order.pk, recorded_by_id=coordinator.pk)
    pickup.shortage_record(offer_id=carrots.pk, units_short=1, now=timezone.now())
    state = ledger.payment_state(Order.objects.get(pk=order.pk))
    assert state.excess == Decimal("3.50")
    client.force_login(coordinator)
    page = client.get(reverse("pickup:coordinator_window", args=[window.pk])).content.decode()
    by_hand = reverse("payments:coordinator_refund_by_hand", args=[order.pk])
    assert by_hand in page
    client.post(by_hand)
    assert ledger.received(order.pk) == Decimal("3.50")
    assert Refund.objects.get().reason == Refund.Reason.BY_HAND
    client.post(by_hand)  # nothing more to give back
    assert Refund.objects.count() == 1
    assert not fake_stripe.requests  # cash: Stripe is never asked


def test_a_written_off_order_takes_no_payment_and_a_late_one_is_refunded(
    client, fake_stripe, week
) -> None:
    window, carrots, _honey, point, customer = week
    _add(customer, carrots, 2)
    _confirm_by_card(client, customer, point)  # never authorized: a link at close
    _close(window)
    order = Order.objects.get(customer=customer)
    client.post(reverse("baskets:order_pay", args=[order.pk]))  # a page left open
    link = Payment.objects.get(order=order, status=Payment.Status.PENDING)
    fake_stripe.complete_session(link.stripe_checkout_session_id, "ok")  # paid late...
    Order.objects.filter(pk=order.pk).update(written_off_at=timezone.now())  # ...after this
    order.refresh_from_db()
    assert ledger.owed(order) == 0
    with pytest.raises(PaymentError):
        refunds.cash_record(order_id=order.pk, recorded_by_id=customer.pk)
    response = client.post(reverse("baskets:order_pay", args=[order.pk]))
    assert response["Location"] == reverse("baskets:order", args=[order.pk])
    payment_services.payment_sync(payment_id=link.pk)
    refunds.refunds_settle(order_id=order.pk, reason="overpayment")
    assert ledger.received(order.pk) == 0
    link.refresh_from_db()
    assert fake_stripe.refunds_for(link.stripe_payment_intent_id) == [700]
