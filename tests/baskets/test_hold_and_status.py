"""What #19 adds around a basket change, for keyboard and screen-reader users: the hold
time said on the shop and the basket (and, in its last minutes, one button to keep the
units), the page's status region filled after a change (never after a refusal), the
header's « Basket (3) », and + kept focusable (aria-disabled) at the stock limit."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orders import basket
from orders.models import CoopSettings, Order, OrderWindow
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    caches["pages"].clear()


@pytest.fixture
def week() -> OrderWindow:
    return factories.window()


def _basket_of(customer, offer, quantity: int, *, minutes_ago: int = 0) -> Order:  # type: ignore[no-untyped-def]
    basket.basket_line_set(
        customer_id=customer.pk, offer_id=offer.pk, quantity=quantity, now=timezone.now()
    )
    order = Order.objects.get(customer=customer, window=offer.window)
    Order.objects.filter(pk=order.pk).update(
        last_activity_at=timezone.now() - timedelta(minutes=minutes_ago)
    )
    return order


def _hold(minutes: int) -> None:
    settings = CoopSettings.load()
    settings.basket_hold_minutes = minutes
    settings.save()


def test_the_shop_and_the_basket_say_how_long_units_are_held(client, week) -> None:
    _hold(45)
    offer = factories.offer(window_=week, quantity=10)
    customer = factories.user()
    _basket_of(customer, offer, 2)
    client.force_login(customer)
    for url in (reverse("baskets:shop"), reverse("baskets:basket")):
        page = client.get(url).content.decode()
        assert "Your products are held for you 45 minutes after your last change" in page
        assert "Keep them" not in page  # not in its last minutes


def test_in_the_last_five_minutes_one_button_keeps_them(client, week) -> None:
    _hold(60)
    offer = factories.offer(window_=week, quantity=10)
    customer = factories.user()
    order = _basket_of(customer, offer, 2, minutes_ago=57)
    client.force_login(customer)
    page = client.get(reverse("baskets:shop")).content.decode()
    assert page.count("Keep them 60 more minutes") == 2  # the panel, and a phone's shop
    before = timezone.now()
    response = client.post(reverse("baskets:keep"), {"next": reverse("baskets:shop")})
    assert response.status_code == 302
    assert response["Location"] == reverse("baskets:shop")
    order.refresh_from_db()
    assert order.last_activity_at >= before
    page = client.get(reverse("baskets:shop")).content.decode()
    assert "Your products are held for you until" in page
    assert "Keep them" not in page


def test_keeping_a_basket_already_given_back_or_confirmed_keeps_nothing(client, week) -> None:
    customer = factories.user()
    client.force_login(customer)
    response = client.post(reverse("baskets:keep"), follow=True)
    assert "Your basket holds no products to keep." in response.content.decode()
    offer = factories.offer(window_=week, quantity=10)
    order = _basket_of(customer, offer, 1, minutes_ago=58)
    Order.objects.filter(pk=order.pk).update(status=Order.Status.CONFIRMED)
    response = client.post(reverse("baskets:keep"), follow=True)
    assert "Your basket holds no products to keep." in response.content.decode()
    order.refresh_from_db()
    assert timezone.now() - order.last_activity_at > timedelta(minutes=57)
    assert "held for you" not in client.get(reverse("baskets:basket")).content.decode()


def _change(client, offer, **data: str):  # type: ignore[no-untyped-def]
    return client.post(
        reverse("baskets:line_update", args=[offer.pk]),
        {"where": "shop", "next": "/shop/", **data},
        HTTP_HX_REQUEST="true",
    )


def _status(html: str) -> str | None:
    found = re.search(r'<div id="basket-status" hx-swap-oob="innerHTML">(.*?)</div>', html, re.S)
    return found.group(1).strip() if found else None


def test_a_change_fills_the_status_region_and_a_refusal_does_not(client, week) -> None:
    product = factories.product(price=Decimal("4.50"))
    offer = factories.offer(window_=week, product_=product, quantity=2)
    customer = factories.user()
    client.force_login(customer)
    answer = _change(client, offer, delta="1").content.decode()
    assert _status(answer) == "Basket: 1 item, $4.50."
    assert '<span id="header-basket-count" hx-swap-oob="innerHTML">(1)</span>' in answer
    # The last unit: said, and the + stays focusable, refused by the server.
    answer = _change(client, offer, delta="1").content.decode()
    assert _status(answer) == f"{offer.product.name}: none left. Basket: 2 items, $9.00."
    assert 'aria-disabled="true"' in answer
    refused = _change(client, offer, quantity="abc")
    assert refused.status_code == 422
    html = refused.content.decode()
    assert _status(html) is None  # the alert beside the field says it, once
    assert f'id="line-msg-{offer.pk}" role="alert"' in html


def test_the_header_says_what_the_basket_holds_on_every_page(client, week) -> None:
    offer = factories.offer(window_=week, quantity=10)
    customer = factories.user()
    _basket_of(customer, offer, 3)
    client.force_login(customer)
    for url in (reverse("baskets:my_orders"), reverse("baskets:privacy"), reverse("baskets:shop")):
        page = client.get(url).content.decode()
        assert '<span id="header-basket-count">(3)</span>' in page, url
    # One query for it, whatever the basket holds.
    factories.offer(window_=week, quantity=10)
    with CaptureQueriesContext(connection) as counted:
        client.get(reverse("baskets:privacy"))
    queries = [q["sql"] for q in counted.captured_queries if "orders_orderline" in q["sql"]]
    assert len(queries) == 1


def test_the_back_office_shows_the_basket_only_when_it_holds_something(client, week) -> None:
    """A coordinator's pages say « Basket (2) » when they have a basket, and nothing
    when it is empty (an empty « Panier (0) » there is noise); the shop always says it."""
    offer = factories.offer(window_=week, quantity=10)
    coordinator = factories.coordinator()
    client.force_login(coordinator)
    back_office = reverse("pickup:coordinator")
    assert 'id="header-basket"' not in client.get(back_office).content.decode()
    assert (
        '<span id="header-basket-count">(0)</span>'
        in client.get(reverse("baskets:my_orders")).content.decode()
    )
    _basket_of(coordinator, offer, 2)
    page = client.get(back_office).content.decode()
    assert '<span id="header-basket-count">(2)</span>' in page
