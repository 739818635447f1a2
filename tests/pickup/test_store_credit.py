"""Store credit and deposits (#17, parts 2 and 3): a ledger of entries with a reason, an
author and a date; used at the close before the card (whose hold covers only the rest)
or the cash; given back to first when an order owes less; kept instead of a card refund
when the customer chose so; a returnable container's deposit charged untaxed, apart
from the farm's sale, and credited back when returned. The balance never goes below
zero (a database rule) and two coordinators crediting at once write two entries. Card
payments against the fake Stripe over real HTTP."""

import re
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone, translation

from farms.models import TaxClass
from orders import basket
from orders.models import (
    CreditAccount,
    CreditEntry,
    Order,
    OrderLine,
    OrderWindow,
    Payment,
    Refund,
)
from payments import credit, ledger, refunds
from payments.errors import PaymentError
from pickup import closing, documents, services
from settlements.selectors import window_accounts
from tests import factories
from tests.workers import at_once

pytestmark = pytest.mark.django_db
Reason = CreditEntry.Reason


@pytest.fixture(autouse=True)
def _english(client) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Refusals and pages read in English here."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def week():  # type: ignore[no-untyped-def]
    """An open window: carrots (3.50, zero-rated), honey in a jar (8.00 taxable, with a
    0.50 deposit on the jar), a coordinator and a customer."""
    window = factories.window()
    farm = factories.farm(email="miel@example.org")
    carrots = factories.offer(
        window_=window,
        product_=factories.product(farm_=farm, name="Carottes", price=Decimal("3.50")),
    )
    honey = factories.offer(
        window_=window,
        product_=factories.product(
            farm_=farm,
            name="Miel en pot",
            price=Decimal("8.00"),
            tax_class=TaxClass.TAXABLE,
            deposit=Decimal("0.50"),
        ),
    )
    return (
        window,
        carrots,
        honey,
        factories.pickup_point(),
        factories.user(),
        factories.coordinator(),
    )


def _checkout(client, customer, point, method: str):  # type: ignore[no-untyped-def]
    client.force_login(customer)
    response = client.post(
        reverse("baskets:checkout"),
        {"pickup_point": point.pk, "language": "en", "payment_method": method},
    )
    assert response.status_code == 302, response.content[:500]
    return response


def _card_order(client, fake_stripe, customer, point) -> tuple[Order, Payment | None]:  # type: ignore[no-untyped-def]
    response = _checkout(client, customer, point, "card")
    order = Order.objects.get(customer=customer)
    session = re.search(r"(cs_[A-Za-z0-9_]+)", response["Location"])
    if session is None:  # the credit covers it: no card page
        return order, None
    fake_stripe.complete_session(session.group(1), "ok")
    client.get(reverse("baskets:order_paid", args=[order.pk]), {"session_id": session.group(1)})
    return order, Payment.objects.get(stripe_checkout_session_id=session.group(1))


def _close(window: OrderWindow) -> None:
    OrderWindow.objects.filter(pk=window.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    closing.window_close(window_id=window.pk, now=timezone.now())


def _goodwill(customer, coordinator, amount: str) -> CreditEntry:  # type: ignore[no-untyped-def]
    return credit.credit_add(
        customer_id=customer.pk,
        amount=Decimal(amount),
        reason=Reason.GOODWILL,
        author_id=coordinator.pk,
        note="Tomates abîmées",
    )


def _balanced(window: OrderWindow) -> None:
    accounts = window_accounts(window=window)
    assert accounts.difference == Decimal("0.00")
    assert not accounts.blocking


def test_a_coordinator_credits_from_the_persons_page_and_the_customer_sees_it(client, week) -> None:
    _window, _carrots, _honey, _point, customer, coordinator = week
    client.force_login(coordinator)
    url = reverse("pickup:coordinator_person_credit", args=[customer.pk])
    response = client.post(url, {"reason": "goodwill", "amount": "5.00", "note": "Tomates abîmées"})
    assert response.status_code == 302
    entry = CreditEntry.objects.get()
    assert (entry.amount, entry.balance_after, entry.reason) == (
        Decimal("5.00"),
        Decimal("5.00"),
        Reason.GOODWILL,
    )
    assert entry.author == coordinator
    assert entry.note == "Tomates abîmées"
    # Bad input: refused with its reason beside the field, nothing written.
    for data, reason in (
        ({"reason": "goodwill", "amount": "-2", "note": "x"}, "A goodwill gesture adds credit"),
        ({"reason": "correction", "amount": "-9", "note": "x"}, "cannot go below zero"),
        ({"reason": "goodwill", "amount": "abc", "note": "x"}, "Enter a number"),
        ({"reason": "goodwill", "amount": "2", "note": ""}, "This field is required"),
    ):
        refused = client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
        assert refused.status_code == 422
        assert reason in refused.content.decode()
    assert CreditEntry.objects.count() == 1
    # Typed the French way: 2,50 is 2.50, never 250 (a text field, not a number field,
    # which a browser set to English reads as 250).
    page = client.get(reverse("pickup:coordinator_person", args=[customer.pk])).content.decode()
    amount_input = re.search(r'<input[^>]*name="amount"[^>]*>', page)
    assert amount_input
    assert 'type="text"' in amount_input.group(0)
    assert 'inputmode="decimal"' in amount_input.group(0)
    client.post(url, {"reason": "goodwill", "amount": "2,50", "note": "Retard"})
    assert ledger.credit_balance(customer.pk) == Decimal("7.50")
    client.post(url, {"reason": "correction", "amount": "-2,50", "note": "En double"})
    assert ledger.credit_balance(customer.pk) == Decimal("5.00")
    client.force_login(customer)
    page = client.get(reverse("baskets:my_credit")).content.decode()
    assert "Balance: <strong>$5.00</strong>" in page
    assert "goodwill gesture · Tomates abîmées" in page
    assert "$5.00" in client.get(reverse("baskets:my_orders")).content.decode()


def test_credit_pays_first_the_card_holds_the_rest_and_the_close_takes_each(
    client, fake_stripe, week
) -> None:
    window, carrots, honey, point, customer, coordinator = week
    _goodwill(customer, coordinator, "5.00")
    now = timezone.now()
    basket.basket_line_set(customer_id=customer.pk, offer_id=carrots.pk, quantity=2, now=now)
    basket.basket_line_set(customer_id=customer.pk, offer_id=honey.pk, quantity=1, now=now)
    client.force_login(customer)
    checkout = client.get(reverse("baskets:checkout")).content.decode()
    assert "Your store credit of $5.00 pays first" in checkout
    order, hold = _card_order(client, fake_stripe, customer, point)
    # 2 × 3.50 + 8.00 + taxes 1.20 (0.40 + 0.80) + the jar's 0.50 deposit, untaxed.
    assert ledger.owed(order) == Decimal("16.70")
    assert hold is not None
    assert hold.amount_authorized == Decimal("11.70")  # 16.70 − 5.00
    state = ledger.payment_state(order)
    assert state.label == (
        "Card authorized: $11.70 held, charged at close · $5.00 of store credit used first"
    )
    assert not state.can_authorize
    _close(window)
    hold.refresh_from_db()
    assert (hold.status, hold.amount_captured) == (Payment.Status.CAPTURED, Decimal("11.70"))
    assert fake_stripe.intent(hold.stripe_payment_intent_id)["amount_received"] == 1170
    used = Payment.objects.get(order=order, method=Payment.Method.CREDIT)
    assert used.amount_captured == Decimal("5.00")
    assert ledger.credit_balance(customer.pk) == Decimal("0.00")
    entry = CreditEntry.objects.get(reason=Reason.PAYMENT)
    assert (entry.amount, entry.order_id, entry.balance_after) == (
        Decimal("-5.00"),
        order.pk,
        Decimal("0.00"),
    )
    closed = ledger.payment_state(Order.objects.get(pk=order.pk))
    assert closed.label == "Paid by card: $11.70 · $5.00 from store credit"
    page = client.get(reverse("baskets:order", args=[order.pk])).content.decode()
    assert "Paid from your store credit" in page
    accounts = window_accounts(window=window)
    assert accounts.credit_used == Decimal("5.00")
    assert accounts.deposits == Decimal("0.50")
    assert accounts.money_in == Decimal("11.70")
    _balanced(window)
    # The jar is not the farm's sale: its gross is the honey and the carrots.
    assert [f.gross for f in accounts.farms] == [Decimal("15.00")]

    # Honey short: what the credit paid goes back there first, the card gets the rest.
    services.shortage_record(offer_id=honey.pk, units_short=1, now=timezone.now())
    refunds.refunds_settle(order_id=order.pk, reason=Refund.Reason.SHORTAGE)
    assert ledger.owed(Order.objects.get(pk=order.pk)) == Decimal("7.00")
    assert ledger.credit_balance(customer.pk) == Decimal("5.00")
    card_refund = Refund.objects.get(payment=hold, reason=Refund.Reason.SHORTAGE)
    assert card_refund.amount == Decimal("4.70")  # 11.70 − (7.00 − 0.00 of credit kept)
    assert ledger.received(order.pk) == Decimal("7.00")
    _balanced(window)


def test_a_credit_that_covers_the_order_needs_no_card(client, fake_stripe, week) -> None:
    window, carrots, _honey, point, customer, coordinator = week
    _goodwill(customer, coordinator, "20.00")
    basket.basket_line_set(
        customer_id=customer.pk, offer_id=carrots.pk, quantity=2, now=timezone.now()
    )
    order, hold = _card_order(client, fake_stripe, customer, point)
    assert hold is None
    assert ledger.payment_state(order).label == (
        "Covered by your store credit: $7.00, used at close"
    )
    _close(window)
    state = ledger.payment_state(Order.objects.get(pk=order.pk))
    assert state.label == "Paid with store credit: $7.00"
    assert ledger.credit_balance(customer.pk) == Decimal("13.00")
    assert not fake_stripe.intents  # Stripe was never asked
    _balanced(window)


def test_a_customer_who_keeps_refunds_gets_credit_not_a_card_refund(
    client, fake_stripe, week
) -> None:
    window, carrots, _honey, point, customer, _coordinator = week
    client.force_login(customer)
    client.post(reverse("baskets:my_credit"), {"keep_refunds": "1"})
    assert CreditAccount.objects.get(customer=customer).keep_refunds
    basket.basket_line_set(
        customer_id=customer.pk, offer_id=carrots.pk, quantity=2, now=timezone.now()
    )
    order, hold = _card_order(client, fake_stripe, customer, point)
    _close(window)
    services.shortage_record(offer_id=carrots.pk, units_short=1, now=timezone.now())
    refunds.refunds_settle(order_id=order.pk, reason=Refund.Reason.SHORTAGE)
    assert not Refund.objects.exclude(reason=Refund.Reason.TO_CREDIT).exists()
    assert ledger.credit_balance(customer.pk) == Decimal("3.50")
    assert CreditEntry.objects.get().reason == Reason.REFUND
    assert hold is not None
    assert fake_stripe.intent(hold.stripe_payment_intent_id)["amount_received"] == 700
    accounts = window_accounts(window=window)
    assert accounts.credit_issued == Decimal("3.50")
    assert accounts.money_in == Decimal("7.00")
    _balanced(window)


def test_cash_order_credit_at_close_and_a_shortage_after_cash_kept_as_credit(client, week) -> None:
    window, carrots, honey, point, customer, coordinator = week
    _goodwill(customer, coordinator, "2.00")
    now = timezone.now()
    basket.basket_line_set(customer_id=customer.pk, offer_id=carrots.pk, quantity=1, now=now)
    basket.basket_line_set(customer_id=customer.pk, offer_id=honey.pk, quantity=2, now=now)
    _checkout(client, customer, point, "at_pickup")
    order = Order.objects.get(customer=customer)
    assert ledger.payment_state(order).label == (
        "Pay at pickup: $20.90 · $2.00 of store credit used first"
    )
    _close(window)
    # 3.50 + 16.00 + 2.40 taxes + 1.00 deposits = 22.90, of which 2.00 from credit.
    state = ledger.payment_state(Order.objects.get(pk=order.pk))
    assert state.label == "Pay at pickup: $20.90 · $2.00 from store credit"
    # The point's sheet asks for the rest only, deposits included.
    data = documents.window_data(OrderWindow.objects.get(pk=window.pk))
    assert documents.cash_to_collect(data.orders) == Decimal("20.90")
    client.force_login(coordinator)
    client.post(reverse("payments:coordinator_cash", args=[order.pk]))
    cash = Payment.objects.get(order=order, kind=Payment.Kind.CASH)
    assert cash.amount_captured == Decimal("20.90")
    assert ledger.payment_state(Order.objects.get(pk=order.pk)).label == (
        "Paid at pickup · $2.00 from store credit"
    )
    services.order_mark_pickup(order_id=order.pk, picked_up=True)
    # A jar of honey turns out missing once home: the co-op keeps what it owes as credit.
    services.shortage_record(offer_id=honey.pk, units_short=1, now=timezone.now())
    response = client.post(reverse("payments:coordinator_excess_to_credit", args=[order.pk]))
    assert response.status_code == 302
    # 8.00 + 0.40 + 0.80 (taxes) + 0.50 (the jar) = 9.70: 2.00 to the credit it used,
    # 7.70 of the cash as new credit.
    entries = {e.reason: e for e in CreditEntry.objects.filter(order=order).exclude(amount__lt=0)}
    assert entries[Reason.REFUND].amount == Decimal("2.00")
    assert entries[Reason.SHORTAGE].amount == Decimal("7.70")
    assert entries[Reason.SHORTAGE].author == coordinator
    assert ledger.credit_balance(customer.pk) == Decimal("9.70")
    again = client.post(
        reverse("payments:coordinator_excess_to_credit", args=[order.pk]), follow=True
    )
    assert "received nothing beyond what it owes" in again.content.decode()
    accounts = window_accounts(window=window)
    assert (accounts.credit_used, accounts.credit_issued) == (Decimal("0.00"), Decimal("7.70"))
    _balanced(window)

    # One jar out with the customer: returned, its deposit becomes credit; a second refused.
    assert credit.containers_out(customer.pk) == {honey.product_id: 1}
    url = reverse("pickup:coordinator_person_containers", args=[customer.pk])
    page = client.get(reverse("pickup:coordinator_person", args=[customer.pk])).content.decode()
    assert "Miel en pot (1 out, $0.50 each)" in page
    assert client.post(url, {"product": honey.product_id, "containers": 2}).status_code == 422
    assert client.post(url, {"product": honey.product_id, "containers": 1}).status_code == 302
    returned = CreditEntry.objects.get(reason=Reason.DEPOSIT)
    assert (returned.amount, returned.containers, returned.order_id) == (
        Decimal("0.50"),
        1,
        order.pk,
    )
    assert ledger.credit_balance(customer.pk) == Decimal("10.20")
    with pytest.raises(PaymentError, match="This person has only 0 containers of Miel en pot out"):
        credit.containers_return(
            customer_id=customer.pk,
            product_id=honey.product_id,
            containers=1,
            author_id=coordinator.pk,
        )
    assert window_accounts(window=window).deposits_returned == Decimal("0.50")
    _balanced(window)
    page = client.get(reverse("settlements:window", args=[window.pk])).content.decode()
    assert "Deposits on containers (held, not farm sales)" in page
    assert "Given back as store credit" in page
    assert "Containers returned at this pickup: $0.50 of deposits credited" in page


def test_the_line_keeps_the_deposit_it_was_sold_with(week) -> None:
    _window, _carrots, honey, _point, customer, _coordinator = week
    basket.basket_line_set(
        customer_id=customer.pk, offer_id=honey.pk, quantity=3, now=timezone.now()
    )
    honey.product.deposit = Decimal("1.00")
    honey.product.save()
    line = OrderLine.objects.get()
    assert line.deposit == Decimal("0.50")
    order = Order.objects.get()
    Order.objects.filter(pk=order.pk).update(status=Order.Status.CONFIRMED)
    # 24.00 + 1.20 GST + 2.39 QST + 1.50 deposits (untaxed).
    assert ledger.owed(Order.objects.get(pk=order.pk)) == Decimal("29.09")


def test_the_balance_never_goes_below_zero_in_the_database(week) -> None:
    _window, _carrots, _honey, _point, customer, coordinator = week
    _goodwill(customer, coordinator, "1.00")
    with pytest.raises(PaymentError, match="cannot go below zero: the balance is \\$1.00"):
        credit.credit_add(
            customer_id=customer.pk,
            amount=Decimal("-1.01"),
            reason=Reason.CORRECTION,
            author_id=coordinator.pk,
            note="erreur",
        )
    with (
        pytest.raises(IntegrityError, match="creditaccount_balance_never_negative"),
        transaction.atomic(),
    ):
        CreditAccount.objects.filter(customer=customer).update(balance=Decimal("-0.01"))
    assert ledger.credit_balance(customer.pk) == Decimal("1.00")


@pytest.mark.django_db(transaction=True)
def test_two_coordinators_crediting_at_once_write_two_entries() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("two workers need two connections to one database: PostgreSQL (CI)")
    customer = factories.user()
    coordinators = [factories.coordinator(), factories.coordinator()]

    def add() -> Decimal:
        entry = credit.credit_add(
            customer_id=customer.pk,
            amount=Decimal("2.50"),
            reason=Reason.GOODWILL,
            author_id=coordinators.pop().pk,
            note="geste",
        )
        return entry.balance_after

    assert sorted(at_once(add)) == [Decimal("2.50"), Decimal("5.00")]
    assert CreditEntry.objects.count() == 2
    assert ledger.credit_balance(customer.pk) == Decimal("5.00")
