"""Query counts that must not grow with the data: the shop page with its basket, and
adding to a basket."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from farms.models import Certification, Farm, Product
from orders import basket as service
from orders.models import Offer, OrderWindow
from tests import factories

pytestmark = pytest.mark.django_db


def make_window_with_offers(n_offers: int, n_farms: int):  # type: ignore[no-untyped-def]
    window = factories.window()
    cert, _ = Certification.objects.get_or_create(name="Biologique Canada", slug="bio")
    farms = [
        Farm.objects.create(name=f"Ferme {i}", slug=f"ferme-q{n_offers}-{i}", region="estrie")
        for i in range(n_farms)
    ]
    for farm in farms[::2]:
        farm.certifications.add(cert)
    products = Product.objects.bulk_create(
        Product(
            farm=farms[i % n_farms],
            name=f"Produit {i}",
            category="vegetables",
            unit="each",
            price=Decimal("2.00"),
            tax_class="zero",
        )
        for i in range(n_offers)
    )
    offers = Offer.objects.bulk_create(
        Offer(window=window, product=p, quantity=50, remaining=50, price=p.price) for p in products
    )
    return window, offers


def count_queries(fn) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


@pytest.mark.parametrize("view", ["baskets:shop"])
def test_shop_page_queries_do_not_grow_with_offers(client, view) -> None:
    counts, cached = [], []
    for n_offers, n_farms in ((40, 4), (400, 40)):
        customer = factories.user()
        window, offers = make_window_with_offers(n_offers, n_farms)
        for offer in offers[:15]:  # a 15-line basket
            service.basket_line_set(
                customer_id=customer.pk, offer_id=offer.pk, quantity=2, now=timezone.now()
            )
        client.force_login(customer)
        response = None

        def get() -> None:
            nonlocal response
            response = client.get(reverse(view))

        counts.append(count_queries(get))
        assert response is not None
        assert response.status_code == 200
        assert response.content.decode().count('class="offer-card') == n_offers
        # Again, from the cache (offers list, cards, basket panel): the same queries.
        cached.append(count_queries(get))
        assert response.content.decode().count('class="offer-card') == n_offers
        # Done with this size: its window closes, so the next size's window is the open one.
        OrderWindow.objects.filter(pk=window.pk).update(
            opens_at=timezone.now() - timedelta(days=3),
            closes_at=timezone.now() - timedelta(days=1),
        )
    # The first page draws the customer's basket (two queries more than from the cache).
    assert counts[0] == counts[1], counts
    assert cached[0] == cached[1], cached
    assert cached[1] <= counts[1], (counts, cached)
    assert cached[1] <= 10, cached


def test_a_shop_page_within_the_list_time_reads_no_offer_rows(client, settings) -> None:
    """With the production setting (the list's version checked every few seconds), a
    page from the cache reads the customer's basket and nothing of the other offers;
    their own card and basket are right at once after a change."""
    settings.SHOP_LIST_SECONDS = 60
    customer = factories.user()
    window, offers = make_window_with_offers(40, 4)
    for offer in offers[:15]:
        service.basket_line_set(
            customer_id=customer.pk, offer_id=offer.pk, quantity=2, now=timezone.now()
        )
    client.force_login(customer)
    client.get(reverse("baskets:shop"))
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("baskets:shop"))
    assert response.status_code == 200
    offer_reads = [q["sql"] for q in ctx.captured_queries if 'FROM "orders_offer"' in q["sql"]]
    assert offer_reads == [], offer_reads
    service.basket_line_set(
        customer_id=customer.pk, offer_id=offers[3].pk, quantity=5, now=timezone.now()
    )
    page = client.get(reverse("baskets:shop")).content.decode()
    card = page[page.index(f'id="offer-{offers[3].pk}"') :]
    assert 'value="5"' in card[: card.index("</li>")]


def test_adding_to_a_basket_does_not_grow_with_its_lines(client) -> None:
    window, offers = make_window_with_offers(60, 6)
    counts = {}
    for size in (1, 50):
        customer = factories.user()
        for offer in offers[:size]:
            service.basket_line_set(
                customer_id=customer.pk, offer_id=offer.pk, quantity=1, now=timezone.now()
            )
        client.force_login(customer)
        target = offers[55]
        counts[size] = count_queries(
            lambda target=target: client.post(
                reverse("baskets:line_update", args=[target.pk]),
                {"delta": "1", "where": "shop"},
                HTTP_HX_REQUEST="true",
            )
        )
    assert counts[1] == counts[50], counts
