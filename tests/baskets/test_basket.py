"""Composing a basket: units are taken at once, never oversold, given back when idle;
confirming, changing and cancelling until the deadline, which holds without a worker."""

import re
from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from orders import basket as service
from orders.models import CoopSettings, Offer, Order, OrderLine, PickupSlot
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():  # type: ignore[no-untyped-def]
    window = factories.window()
    farm = factories.farm(name="Ferme Tournesol")
    spinach = factories.offer(
        window_=window,
        product_=factories.product(farm_=farm, name="Épinards", price=Decimal("4.00")),
        quantity=10,
    )
    candy = factories.offer(
        window_=window,
        product_=factories.product(
            farm_=farm, name="Bonbons à l'érable", price=Decimal("5.00"), tax_class="taxable"
        ),
        quantity=3,
    )
    customer = factories.user(first_name="Léa")
    point = factories.pickup_point(name="Marché Jean-Talon")
    return window, spinach, candy, customer, point


def line_url(offer: Offer) -> str:
    return reverse("baskets:line_update", args=[offer.pk])


def remaining(offer: Offer) -> int:
    offer.refresh_from_db()
    return offer.remaining


def test_adding_takes_the_unit_from_the_offer_at_once(client, shop) -> None:
    window, spinach, _, customer, _ = shop
    client.force_login(customer)
    response = client.post(
        line_url(spinach), {"delta": "1", "where": "shop"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert remaining(spinach) == 9
    line = OrderLine.objects.get(order__customer=customer)
    assert (line.quantity, line.unit_price) == (1, Decimal("4.00"))
    html = response.content.decode()
    assert re.search(r'<aside [^>]*id="basket-panel"[^>]*hx-swap-oob="true"', html)
    assert f'id="offer-{spinach.pk}" hx-swap-oob="true"' in html
    assert "4,00\u00a0$" in html


def test_plus_minus_typed_quantity_and_remove(client, shop) -> None:
    _, spinach, _, customer, _ = shop
    client.force_login(customer)
    client.post(line_url(spinach), {"delta": "1"}, HTTP_HX_REQUEST="true")
    client.post(line_url(spinach), {"delta": "1"}, HTTP_HX_REQUEST="true")
    assert remaining(spinach) == 8
    client.post(line_url(spinach), {"delta": "-1"}, HTTP_HX_REQUEST="true")
    assert remaining(spinach) == 9
    client.post(line_url(spinach), {"quantity": "6"}, HTTP_HX_REQUEST="true")
    assert remaining(spinach) == 4
    assert OrderLine.objects.get().quantity == 6
    client.post(line_url(spinach), {"quantity": "0"}, HTTP_HX_REQUEST="true")
    assert remaining(spinach) == 10
    assert not OrderLine.objects.exists()


def test_without_javascript_a_plain_post_redirects_back(client, shop) -> None:
    _, spinach, _, customer, _ = shop
    client.force_login(customer)
    response = client.post(line_url(spinach), {"delta": "1", "next": "/shop/?q=epinard"})
    assert response.status_code == 302
    assert response.url == f"/shop/?q=epinard#offer-{spinach.pk}"  # back to the product
    assert remaining(spinach) == 9
    # An outside address is never followed.
    response = client.post(line_url(spinach), {"delta": "1", "next": "https://evil.example/"})
    assert response.url == reverse("baskets:shop") + f"#offer-{spinach.pk}"
    # From the basket page, back to the line.
    response = client.post(line_url(spinach), {"delta": "-1", "next": "/basket/"})
    assert response.url == f"/basket/#line-{spinach.pk}"


def test_without_javascript_the_message_comes_back_beside_the_product(client, shop) -> None:
    _, _, candy, customer, _ = shop
    client.force_login(customer)
    response = client.post(
        line_url(candy), {"quantity": "5", "where": "shop", "next": "/shop/"}, follow=True
    )
    assert response.redirect_chain == [(f"/shop/#offer-{candy.pk}", 302)]
    page = response.content.decode()
    card = page[page.index(f'id="offer-{candy.pk}"') :]
    card = card[: card.index("</li>")]
    assert "il ne restait que 3 unités" in card  # beside the product, once
    assert page.count("il ne restait que 3 unités") == 1
    again = client.get("/shop/").content.decode()
    assert "il ne restait que" not in again  # said once
    refused = client.post(line_url(candy), {"quantity": "abc", "where": "shop", "next": "/shop/"})
    assert refused.status_code == 422
    assert f'href="/shop/#offer-{candy.pk}"' in refused.content.decode()


def test_asking_for_more_than_remains_gives_what_remains_and_says_so(client, shop) -> None:
    _, _, candy, customer, _ = shop
    client.force_login(customer)
    response = client.post(
        line_url(candy),
        {"quantity": "5", "where": "shop"},
        HTTP_HX_REQUEST="true",
        HTTP_ACCEPT_LANGUAGE="fr-ca",
    )
    assert response.status_code == 200
    assert OrderLine.objects.get().quantity == 3
    assert remaining(candy) == 0
    html = response.content.decode()
    assert "il ne restait que 3 unités; elles sont dans votre panier" in html
    assert 'class="line-message"' in html


def test_bad_quantities_get_a_clear_4xx(client, shop) -> None:
    _, spinach, _, customer, _ = shop
    client.force_login(customer)
    for data in (
        {"quantity": "-2"},
        {"quantity": "deux"},
        {"quantity": "100000"},
        {"delta": "7"},
        {},
    ):
        response = client.post(
            line_url(spinach), data, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en"
        )
        assert response.status_code == 422, data
    assert remaining(spinach) == 10
    assert (
        client.post(reverse("baskets:line_update", args=[999999]), {"delta": "1"}).status_code
        == 404
    )


def test_anonymous_visitors_browse_but_need_an_account_to_add(client, shop) -> None:
    _, spinach, _, _, _ = shop
    page = client.get(reverse("baskets:shop")).content.decode()
    assert "Épinards" in page
    assert "Se connecter pour commander" in page
    response = client.post(line_url(spinach), {"delta": "1"})
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert remaining(spinach) == 10


def test_search_ignores_accents_and_case(client, shop) -> None:
    page = client.get(reverse("baskets:shop"), {"q": "EPINARD"}).content.decode()
    assert "Épinards" in page
    assert "Bonbons" not in page
    page = client.get(reverse("baskets:shop"), {"q": "érable"}).content.decode()
    assert "Bonbons" in page
    assert "Épinards" not in page


def test_write_after_the_deadline_is_refused_without_any_worker(client, shop) -> None:
    window, spinach, _, customer, _ = shop
    client.force_login(customer)
    client.post(line_url(spinach), {"delta": "1"}, HTTP_HX_REQUEST="true")
    window.closes_at = timezone.now() - timedelta(seconds=1)  # status is still "scheduled"
    window.save()
    response = client.post(
        line_url(spinach), {"delta": "1"}, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 409
    assert "Ordering has closed" in response.content.decode()
    assert remaining(spinach) == 9
    order = Order.objects.get()
    assert client.post(reverse("baskets:order_cancel", args=[order.pk])).status_code == 302
    assert remaining(spinach) == 9  # the cancel was refused too
    assert Order.objects.get().status == Order.Status.BASKET


def test_idle_basket_gives_its_units_back_and_the_customer_is_told(client, shop) -> None:
    _, spinach, candy, customer, _ = shop
    start = timezone.now()
    service.basket_line_set(customer_id=customer.pk, offer_id=spinach.pk, quantity=4, now=start)
    service.basket_line_set(customer_id=customer.pk, offer_id=candy.pk, quantity=1, now=start)
    # 59 minutes later nothing moves; at 61 the units are back on sale.
    assert service.basket_release_idle(now=start + timedelta(minutes=59)) == 0
    assert remaining(spinach) == 6
    assert service.basket_release_idle(now=start + timedelta(minutes=61)) == 1
    assert (remaining(spinach), remaining(candy)) == (10, 3)
    assert service.basket_release_idle(now=start + timedelta(minutes=62)) == 0  # twice is harmless
    client.force_login(customer)
    page = client.get(reverse("baskets:shop"), HTTP_ACCEPT_LANGUAGE="fr-ca").content.decode()
    assert "remis en vente" in page
    assert "4 × Épinards" in page
    page = client.get(reverse("baskets:shop"), HTTP_ACCEPT_LANGUAGE="fr-ca").content.decode()
    assert "remis en vente" not in page  # told once


def test_the_coop_sets_the_hold_time(shop) -> None:
    _, spinach, _, customer, _ = shop
    CoopSettings.objects.create(basket_hold_minutes=15)
    start = timezone.now()
    service.basket_line_set(customer_id=customer.pk, offer_id=spinach.pk, quantity=2, now=start)
    assert service.basket_release_idle(now=start + timedelta(minutes=16)) == 1


def test_confirmed_orders_are_never_released(shop) -> None:
    window, spinach, _, customer, point = shop
    start = timezone.now()
    service.basket_line_set(customer_id=customer.pk, offer_id=spinach.pk, quantity=2, now=start)
    service.order_confirm(
        customer_id=customer.pk,
        window_id=window.pk,
        pickup_point_id=point.pk,
        pickup_slot_id=None,
        language="fr-ca",
        now=start,
    )
    assert service.basket_release_idle(now=start + timedelta(days=2)) == 0
    assert remaining(spinach) == 8


def test_confirm_with_a_pickup_point_sends_the_email_in_the_chosen_language(
    client, shop, django_capture_on_commit_callbacks
) -> None:
    window, spinach, candy, customer, point = shop
    client.force_login(customer)
    client.post(line_url(spinach), {"quantity": "2"})
    client.post(line_url(candy), {"quantity": "1"})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("baskets:checkout"),
            {"pickup_point": point.pk, "language": "fr-ca"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    order = Order.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("baskets:order", args=[order.pk])
    assert (order.status, order.pickup_point, order.language) == ("confirmed", point, "fr-ca")
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [customer.email]
    assert email.subject == f"Votre commande {order.pk} est confirmée"
    # 2 × 4.00 + 5.00 taxable: TPS 0.25, TVQ 0.50 (0.49875 half up) → 13.75
    assert "Bonjour Léa" in email.body
    assert "Total : 13,75\u00a0$" in email.body
    assert "Marché Jean-Talon" in email.body
    page = client.get(response.url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "$13.75" in page


def test_a_second_confirm_sends_an_update_not_a_second_confirmation(
    client, shop, django_capture_on_commit_callbacks
) -> None:
    _window, spinach, _candy, customer, point = shop
    client.force_login(customer)
    client.post(line_url(spinach), {"quantity": "1"})
    for _ in range(2):  # a double-click on Confirm
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("baskets:checkout"), {"pickup_point": point.pk, "language": "en"})
    order = Order.objects.get()
    assert [m.subject for m in mail.outbox] == [
        f"Your order {order.pk} is confirmed",
        f"Your order {order.pk} is updated",
    ]


def test_a_full_slot_cannot_be_chosen(client, shop) -> None:
    window, spinach, _, customer, point = shop
    slot = PickupSlot.objects.create(
        pickup_point=point, starts_at=time(16), ends_at=time(17), capacity=1
    )
    other_slot = PickupSlot.objects.create(
        pickup_point=point, starts_at=time(17), ends_at=time(18), capacity=5
    )
    other = factories.user()
    service.basket_line_set(
        customer_id=other.pk, offer_id=spinach.pk, quantity=1, now=timezone.now()
    )
    service.order_confirm(
        customer_id=other.pk,
        window_id=window.pk,
        pickup_point_id=point.pk,
        pickup_slot_id=slot.pk,
        language="en",
        now=timezone.now(),
    )
    client.force_login(customer)
    client.post(line_url(spinach), {"quantity": "1"})
    page = client.get(reverse("baskets:checkout")).content.decode()
    assert f'id="slot-{slot.pk}" value="{slot.pk}" disabled' in page
    response = client.post(
        reverse("baskets:checkout"),
        {"pickup_point": point.pk, "pickup_slot": slot.pk, "language": "en"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422
    assert "This time slot is full" in response.content.decode()
    response = client.post(
        reverse("baskets:checkout"),
        {"pickup_point": point.pk, "language": "en"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422  # a point with slots needs one
    response = client.post(
        reverse("baskets:checkout"),
        {"pickup_point": point.pk, "pickup_slot": other_slot.pk, "language": "en"},
    )
    assert response.status_code == 302


def test_minimum_order_amount(client, shop) -> None:
    _, spinach, _, customer, point = shop
    CoopSettings.objects.create(minimum_order_amount=Decimal("25.00"))
    client.force_login(customer)
    client.post(line_url(spinach), {"quantity": "2"})
    response = client.post(
        reverse("baskets:checkout"),
        {"pickup_point": point.pk, "language": "en"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422
    assert "The minimum order is $25.00; your basket comes to $8.00." in response.content.decode()
    assert Order.objects.get().status == Order.Status.BASKET


def test_change_then_cancel_before_the_deadline(client, shop) -> None:
    window, spinach, candy, customer, point = shop
    client.force_login(customer)
    client.post(line_url(spinach), {"quantity": "3"})
    client.post(reverse("baskets:checkout"), {"pickup_point": point.pk, "language": "en"})
    order = Order.objects.get()
    client.post(line_url(spinach), {"quantity": "1"})
    client.post(line_url(candy), {"quantity": "2"})
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED  # still confirmed while changed
    assert (remaining(spinach), remaining(candy)) == (9, 1)
    other_point = factories.pickup_point(name="Vieux-Longueuil")
    client.post(reverse("baskets:checkout"), {"pickup_point": other_point.pk, "language": "en"})
    order.refresh_from_db()
    assert order.pickup_point == other_point
    response = client.post(reverse("baskets:order_cancel", args=[order.pk]))
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert (remaining(spinach), remaining(candy)) == (10, 3)


def test_nobody_sees_or_cancels_another_customers_order(client, shop) -> None:
    window, spinach, _, customer, point = shop
    service.basket_line_set(
        customer_id=customer.pk, offer_id=spinach.pk, quantity=2, now=timezone.now()
    )
    order = Order.objects.get()
    client.force_login(factories.user())
    assert client.get(reverse("baskets:order", args=[order.pk])).status_code == 404
    assert client.post(reverse("baskets:order_cancel", args=[order.pk])).status_code == 404
    assert remaining(spinach) == 8


def test_repeat_my_last_basket(client, shop) -> None:
    window, spinach, candy, customer, point = shop
    now = timezone.now()
    last_window = factories.window(
        opens_at=now - timedelta(days=8), closes_at=now - timedelta(days=4), status="closed"
    )
    last_spinach = factories.offer(window_=last_window, product_=spinach.product, quantity=10)
    last_candy = factories.offer(window_=last_window, product_=candy.product, quantity=10)
    gone = factories.offer(
        window_=last_window, product_=factories.product(name="Fraises"), quantity=10
    )
    old = factories.order(window_=last_window, customer=customer, status="picked_up")
    for offer, quantity in ((last_spinach, 2), (last_candy, 5), (gone, 1)):
        OrderLine.objects.create(
            order=old, offer=offer, quantity=quantity, unit_price=offer.price, tax_class="zero"
        )
    client.force_login(customer)
    response = client.post(reverse("baskets:repeat"), follow=True, HTTP_ACCEPT_LANGUAGE="en")
    lines = {
        line.offer_id: line.quantity for line in OrderLine.objects.filter(order__window=window)
    }
    assert lines == {spinach.pk: 2, candy.pk: 3}
    page = response.content.decode()
    assert "Added from your last order: Épinards" in page
    assert "Fewer units than last time (no more left): Bonbons à l&#x27;érable" in page
    assert "Not available this week: Fraises" in page


def test_my_orders_by_week_with_totals(client, shop) -> None:
    window, spinach, candy, customer, point = shop
    service.basket_line_set(
        customer_id=customer.pk, offer_id=candy.pk, quantity=2, now=timezone.now()
    )
    client.force_login(customer)
    page = client.get(reverse("baskets:my_orders"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "$11.50" in page  # 10.00 + TPS 0.50 + TVQ 1.00 (0.9975)


def test_basket_fill_sets_many_lines_at_once_and_never_oversells(client) -> None:  # type: ignore[no-untyped-def]
    """The same rules as one line at a time: what remains at most, a new line at the
    price of the moment, another window's offer refused, one transaction."""
    window = factories.window()
    plenty = factories.offer(window_=window, quantity=10)
    scarce = factories.offer(window_=window, quantity=2)
    elsewhere = factories.offer(window_=factories.window(open_now=False))
    customer = factories.user()
    now = timezone.now()
    results = service.basket_fill(
        customer_id=customer.pk,
        window_id=window.pk,
        wanted=[(scarce.pk, 5), (plenty.pk, 3), (elsewhere.pk, 1)],
        now=now,
    )
    got = {r.offer_id: (r.quantity, r.short) for r in results}
    assert got == {plenty.pk: (3, False), scarce.pk: (2, True), elsewhere.pk: (0, True)}
    assert Offer.objects.get(pk=plenty.pk).remaining == 7
    assert Offer.objects.get(pk=scarce.pk).remaining == 0
    assert Offer.objects.get(pk=elsewhere.pk).remaining == elsewhere.quantity
    again = service.basket_fill(
        customer_id=customer.pk, window_id=window.pk, wanted=[(plenty.pk, 1)], now=now
    )
    assert [(r.quantity, r.short) for r in again] == [(1, False)]
    assert Offer.objects.get(pk=plenty.pk).remaining == 9  # two units given back
    assert sorted(
        OrderLine.objects.filter(order__customer=customer).values_list("offer_id", "quantity")
    ) == sorted([(plenty.pk, 1), (scarce.pk, 2)])


def test_checkout_offers_emails_in_the_language_being_read(client) -> None:  # type: ignore[no-untyped-def]
    """Browsing in English, the confirmation email is in English unless changed."""
    window = factories.window()
    offer = factories.offer(window_=window)
    factories.pickup_point()
    client.force_login(factories.user())  # an account made in French (the default)
    client.cookies["coop_language"] = "en"
    client.post(reverse("baskets:line_update", args=[offer.pk]), {"quantity": 1})
    page = client.get(reverse("baskets:checkout")).content.decode()
    assert re.search(r'<input type="radio" name="language" value="en"[^>]*checked', page)


def test_asking_for_more_than_the_units_one_holds_says_they_are_theirs() -> None:
    """At the stock limit, holding both units left and typing 10: not « sold out » (a
    walk in the browser found it), but that the 2 left are in the basket."""
    offer = factories.offer(quantity=2)
    customer = factories.user()
    now = timezone.now()
    service.basket_line_set(customer_id=customer.pk, offer_id=offer.pk, quantity=2, now=now)
    with override("en"):
        result = service.basket_line_set(
            customer_id=customer.pk, offer_id=offer.pk, quantity=10, now=now
        )
        nothing = service.basket_line_set(
            customer_id=factories.user().pk, offer_id=offer.pk, delta=1, now=now
        )
    assert (result.quantity, result.message) == (
        2,
        f"Only 2 units of {offer.product.name} were left: they are in your basket.",
    )
    assert nothing.message == f"Sorry, {offer.product.name} is sold out."
