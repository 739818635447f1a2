"""The coordinator at the counter: phone orders through the customer's services, walk-in
sales from what is left, both counted to the cent in the settlement; and the week's
audit trail."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from orders.models import AuditEvent, Offer, Order, OrderWindow, Payment
from payments.ledger import owed
from pickup import closing
from settlements import services as settling
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def week():  # type: ignore[no-untyped-def]
    window = factories.window()
    farm = factories.farm(name="Ferme du Ruisseau", email="ruisseau@example.org")
    carrots = factories.offer(
        window_=window, product_=factories.product(farm_=farm, name="Carottes"), quantity=5
    )
    honey = factories.offer(
        window_=window, product_=factories.product(farm_=farm, name="Miel"), quantity=3
    )
    point = factories.pickup_point(name="Marché Jean-Talon")
    return window, carrots, honey, point


def _phone(client, window, customer, data):  # type: ignore[no-untyped-def]
    url = reverse("baskets:coordinator_phone_order", args=[window.pk, customer.pk])
    return client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")


def test_a_phone_order_is_confirmed_for_the_customer_and_says_who_entered_it(
    client, week, django_capture_on_commit_callbacks
) -> None:
    window, carrots, honey, point = week
    customer = factories.user(first_name="Marie", last_name="Tremblay")
    coordinator = factories.coordinator(first_name="Julie", last_name="Gagnon")
    client.force_login(coordinator)
    found = client.get(
        reverse("baskets:coordinator_phone_order_find", args=[window.pk]), {"q": "tremb"}
    )
    assert reverse("baskets:coordinator_phone_order", args=[window.pk, customer.pk]) in (
        found.content.decode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = _phone(
            client,
            window,
            customer,
            {f"q-{carrots.pk}": "2", f"q-{honey.pk}": "1", "pickup_point": point.pk},
        )
    assert response.status_code == 302
    order = Order.objects.get(window=window, customer=customer)
    assert order.status == Order.Status.CONFIRMED
    assert order.entered_by == coordinator
    assert order.payment_method == "at_pickup"
    assert {line.offer_id: line.quantity for line in order.lines.all()} == {
        carrots.pk: 2,
        honey.pk: 1,
    }
    carrots.refresh_from_db()
    assert carrots.remaining == 3
    assert [m.to for m in mail.outbox] == [[customer.email]]
    event = AuditEvent.objects.get(window=window, action="order_on_behalf")
    assert (event.actor, event.order, event.actor_name) == (coordinator, order, "Julie Gagnon")
    page = client.get(
        reverse("pickup:coordinator_window", args=[window.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "entered by Julie Gagnon" in page.content.decode()
    assert "entered an order for a customer" in page.content.decode()


def test_a_phone_order_beyond_the_stock_gets_the_customers_message(client, week) -> None:
    window, carrots, honey, point = week
    customer = factories.user()
    client.force_login(factories.coordinator())
    _phone(client, window, customer, {f"q-{carrots.pk}": "9", "pickup_point": point.pk})
    order = Order.objects.get(window=window, customer=customer)
    assert order.lines.get().quantity == 5
    page = client.get(
        reverse("baskets:coordinator_phone_order", args=[window.pk, customer.pk]),
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    assert "Only 5 units of Carottes were left: they are in your basket." in page
    assert Offer.objects.get(pk=carrots.pk).remaining == 0


def test_a_phone_order_after_the_deadline_is_refused_and_nothing_changes(client, week) -> None:
    window, carrots, honey, point = week
    customer = factories.user()
    OrderWindow.objects.filter(pk=window.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    client.force_login(factories.coordinator())
    response = _phone(client, window, customer, {f"q-{carrots.pk}": "1", "pickup_point": point.pk})
    assert response.status_code == 422
    assert "Ordering has closed for this week" in response.content.decode()
    assert not Order.objects.filter(customer=customer).exists()
    assert Offer.objects.get(pk=carrots.pk).remaining == 5


def test_bad_quantities_and_a_missing_point_are_told_not_saved(client, week) -> None:
    window, carrots, honey, point = week
    customer = factories.user()
    client.force_login(factories.coordinator())
    response = _phone(client, window, customer, {f"q-{carrots.pk}": "-1", "pickup_point": point.pk})
    assert response.status_code == 422
    assert "Enter a whole number of units" in response.content.decode()
    response = _phone(client, window, customer, {f"q-{carrots.pk}": "1"})
    assert response.status_code == 422
    assert "Choose a pickup point." in response.content.decode()
    assert not Order.objects.filter(customer=customer, lines__isnull=False).exists()
    assert Offer.objects.get(pk=carrots.pk).remaining == 5


def test_a_phone_order_emptied_is_cancelled_and_its_units_go_back(client, week) -> None:
    window, carrots, honey, point = week
    customer = factories.user()
    client.force_login(factories.coordinator())
    _phone(client, window, customer, {f"q-{carrots.pk}": "2", "pickup_point": point.pk})
    _phone(client, window, customer, {f"q-{carrots.pk}": "0", "pickup_point": point.pk})
    assert Order.objects.get(customer=customer).status == Order.Status.CANCELLED
    assert Offer.objects.get(pk=carrots.pk).remaining == 5
    assert AuditEvent.objects.filter(window=window, action="order_cancelled").count() == 1


def _closed(window: OrderWindow) -> None:
    OrderWindow.objects.filter(pk=window.pk).update(
        opens_at=timezone.now() - timedelta(days=3), closes_at=timezone.now() - timedelta(days=1)
    )
    closing.window_close(window_id=window.pk, now=timezone.now())


def test_a_walk_in_sale_takes_what_is_left_and_is_paid_in_cash(client, week) -> None:
    window, carrots, honey, point = week
    _closed(window)
    coordinator = factories.coordinator()
    client.force_login(coordinator)
    url = reverse("pickup:coordinator_walk_in", args=[window.pk])
    assert "Carottes" in client.get(url).content.decode()
    response = client.post(
        url, {"name": "  Luc   Côté ", f"q-{carrots.pk}": "2"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    sale = Order.objects.get(window=window, walk_in_name="Luc Côté")
    assert (sale.customer, sale.status, sale.entered_by) == (None, "picked_up", coordinator)
    cash = Payment.objects.get(order=sale)
    assert (cash.kind, cash.status, cash.amount_captured) == ("cash", "collected", owed(sale))
    assert owed(sale) == carrots.price * 2
    assert Offer.objects.get(pk=carrots.pk).remaining == 3
    assert AuditEvent.objects.filter(window=window, action="walk_in_sale", order=sale).exists()
    table = client.get(
        reverse("pickup:coordinator_window", args=[window.pk]),
        {"q": "côté"},
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    assert "Luc Côté" in table
    assert "walk-in" in table


def test_a_walk_in_sale_beyond_what_is_left_sells_nothing(client, week) -> None:
    window, carrots, honey, point = week
    _closed(window)
    client.force_login(factories.coordinator())
    url = reverse("pickup:coordinator_walk_in", args=[window.pk])
    response = client.post(
        url,
        {"name": "Luc", f"q-{carrots.pk}": "2", f"q-{honey.pk}": "4"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422
    assert "Only 3 units of Miel are left." in response.content.decode()
    assert not Order.objects.filter(walk_in_name="Luc").exists()
    assert Offer.objects.get(pk=carrots.pk).remaining == 5
    response = client.post(url, {"name": " ", f"q-{carrots.pk}": "1"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "Enter the buyer&#x27;s name." in response.content.decode()


def test_walk_in_sales_wait_for_the_close(client, week) -> None:
    window, carrots, honey, point = week
    client.force_login(factories.coordinator())
    response = client.post(
        reverse("pickup:coordinator_walk_in", args=[window.pk]),
        {"name": "Luc", f"q-{carrots.pk}": "1"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422
    assert "once the week is closed" in response.content.decode()


def test_phone_orders_and_walk_in_sales_settle_to_the_cent(client, week, statements_inline) -> None:
    window, carrots, honey, point = week
    coordinator = factories.coordinator()
    client.force_login(coordinator)
    customer = factories.user()
    _phone(
        client,
        window,
        customer,
        {f"q-{carrots.pk}": "2", f"q-{honey.pk}": "1", "pickup_point": point.pk},
    )
    _closed(window)
    phoned = Order.objects.get(customer=customer)
    client.post(reverse("pickup:coordinator_pickup", args=[phoned.pk]), {"status": "picked_up"})
    client.post(reverse("payments:coordinator_cash", args=[phoned.pk]))
    client.post(
        reverse("pickup:coordinator_walk_in", args=[window.pk]),
        {"name": "Luc", f"q-{carrots.pk}": "3", f"q-{honey.pk}": "2"},
    )
    OrderWindow.objects.filter(pk=window.pk).update(
        pickup_date=timezone.localdate() - timedelta(days=1)
    )

    s = settling.settle_window(window_id=window.pk, by=coordinator, now=timezone.now()).settlement

    everything = (carrots.price * 5 + honey.price * 3).quantize(Decimal("0.01"))
    assert s.cash_collected == sum(owed(o) for o in Order.objects.filter(window=window))
    assert s.money_in == s.net_due + s.margin + s.tps + s.tvq
    assert s.orders_counted == 2
    statement = s.statements.get()
    assert statement.gross == everything


def test_the_weeks_trail_records_closing_early_shortages_and_price_changes(client, week) -> None:
    window, carrots, honey, point = week
    coordinator = factories.coordinator(first_name="Julie", last_name="Gagnon")
    client.force_login(coordinator)
    customer = factories.user()
    _phone(client, window, customer, {f"q-{carrots.pk}": "2", "pickup_point": point.pk})
    farmer = factories.farmer(farm_=carrots.product.farm, first_name="Paul", last_name="Roy")
    client.force_login(farmer)
    client.post(
        reverse("orders:stock_grid", args=[carrots.product.farm.slug, window.pk]),
        {
            f"q-{carrots.product.pk}": "5",
            f"p-{carrots.product.pk}": "9.99",
            f"q-{honey.product.pk}": "3",
            f"p-{honey.product.pk}": str(honey.price),
        },
    )
    client.force_login(coordinator)
    client.post(reverse("pickup:coordinator_close", args=[window.pk]), {"confirm": "1"})
    closing.window_close(window_id=window.pk, now=timezone.now())
    client.post(
        reverse("pickup:coordinator_shortage", args=[window.pk]),
        {"offer": carrots.pk, "units": "1"},
    )
    actions = list(
        AuditEvent.objects.filter(window=window)
        .order_by("at", "pk")
        .values_list("action", "actor_name")
    )
    assert actions == [
        ("order_on_behalf", "Julie Gagnon"),
        ("price_changed", "Paul Roy"),
        ("window_closed_early", "Julie Gagnon"),
        ("shortage_recorded", "Julie Gagnon"),
    ]
    page = client.get(
        reverse("pickup:coordinator_window", args=[window.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "changed a price after orders were placed" in page.content.decode()
    assert f"Carottes: {carrots.price} → 9.99" in page.content.decode()


def test_a_walk_in_sale_paid_by_card_on_a_payment_page(client, week, fake_stripe) -> None:
    """The buyer pays on Stripe's page (the fake, over HTTP); the payment, read back from
    Stripe, settles the sale: nothing left to collect."""
    from payments import services as payment_services

    window, carrots, honey, point = week
    _closed(window)
    client.force_login(factories.coordinator())
    response = client.post(
        reverse("pickup:coordinator_walk_in", args=[window.pk]),
        {"name": "Luc", f"q-{honey.pk}": "2", "method": "card"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    sale = Order.objects.get(walk_in_name="Luc")
    payment = Payment.objects.get(order=sale)
    assert (payment.kind, payment.status, payment.amount_authorized) == (
        "link",
        "pending",
        owed(sale),
    )
    assert payment.checkout_url in response.content.decode()
    fake_stripe.complete_session(payment.stripe_checkout_session_id, "ok")
    payment_services.payment_sync(payment_id=payment.pk)
    payment.refresh_from_db()
    assert payment.amount_captured == owed(sale)
    assert payment_services.payment_state(sale).outstanding == 0


def test_a_walk_in_card_sale_without_stripe_is_refused_before_anything_is_sold(
    client, week
) -> None:
    window, carrots, honey, point = week
    _closed(window)
    client.force_login(factories.coordinator())
    response = client.post(
        reverse("pickup:coordinator_walk_in", args=[window.pk]),
        {"name": "Luc", f"q-{honey.pk}": "2", "method": "card"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422
    assert "Card payment is not set up for this co-op." in response.content.decode()
    assert not Order.objects.filter(walk_in_name="Luc").exists()
