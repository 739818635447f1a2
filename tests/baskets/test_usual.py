"""« Your usuals » at the top of the shop (baskets/usual.py): this week's offers of the
products a customer bought in the most earlier weeks, then by name; at most twelve; links
to the rows below, never a second button or id; absent for a visitor, a first-time
customer and a filtered page; one query whatever the history."""

import re
from collections import Counter
from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from baskets import selectors, usual
from baskets.models import StandingBasket
from demo import factories as f
from farms.models import Farm, Product
from orders.models import Offer, Order, OrderWindow
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    caches["pages"].clear()  # the shop's cards and lists


@pytest.fixture
def week() -> OrderWindow:
    """This week, open now."""
    return factories.window()


@pytest.fixture
def customer() -> User:
    return factories.user()


def earlier_week(weeks_ago: int) -> OrderWindow:
    return f.OrderWindowFactory.create(closed=True, days_ago=7 * weeks_ago - 3)


def bought(
    customer: User,
    products: Iterable[Product],
    *,
    weeks_ago: int,
    status: str = Order.Status.PICKED_UP,
) -> Order:
    """An order of an earlier week with one line of each product."""
    order = factories.order(window_=earlier_week(weeks_ago), customer=customer, status=status)
    for product in products:
        f.OrderLineFactory.create(
            order=order, offer=factories.offer(window_=order.window, product_=product)
        )
    return order


def offered(week: OrderWindow, *products: Product) -> dict[str, Offer]:
    return {p.name: factories.offer(window_=week, product_=p) for p in products}


def names(result: usual.Usuals | None) -> list[str]:
    assert result is not None
    return [item.name for item in result.products]


def shop(client) -> str:  # type: ignore[no-untyped-def]
    response = client.get(reverse("baskets:shop"))
    assert response.status_code == 200
    return response.content.decode()


def usual_section(page: str) -> str:
    found = re.search(r'<section class="usuals".*?</section>', page, re.S)
    assert found, "no « Your usuals » section"
    return found.group(0)


def test_by_number_of_weeks_then_name_accents_aside(week, customer) -> None:
    farm = factories.farm()
    apples, spinach, strawberries, leeks = (
        factories.product(farm_=farm, name=name)
        for name in ("Pommes", "Épinards", "fraises", "Poireaux")
    )
    bought(customer, [apples, spinach, strawberries, leeks], weeks_ago=1)
    bought(customer, [apples, strawberries], weeks_ago=2)
    bought(customer, [apples, spinach], weeks_ago=3)
    offers = offered(week, apples, spinach, strawberries, leeks)
    result = usual.usual_products(customer_id=customer.pk, window=week)
    # Apples 3 weeks; spinach and strawberries 2 (É sorts with E, before f); leeks 1.
    assert names(result) == ["Pommes", "Épinards", "fraises", "Poireaux"]
    assert result is not None
    assert [item.weeks for item in result.products] == [3, 2, 2, 1]
    first = result.products[0]
    assert (first.offer_id, first.price, first.sold_out) == (
        offers["Pommes"].pk,
        offers["Pommes"].price,
        False,
    )
    assert not result.has_standing


def test_at_most_twelve(week, customer) -> None:
    farm = factories.farm()
    products = [factories.product(farm_=farm, name=f"Produit {i:02d}") for i in range(15)]
    bought(customer, products, weeks_ago=1)
    bought(customer, products[14:], weeks_ago=2)  # « Produit 14 » twice: first
    offered(week, *products)
    result = usual.usual_products(customer_id=customer.pk, window=week)
    assert names(result) == ["Produit 14"] + [f"Produit {i:02d}" for i in range(11)]


def test_only_this_weeks_offers_and_only_what_was_bought_in_earlier_weeks(week, customer) -> None:
    farm = factories.farm()
    carrots, beets, kale, leeks, onions, garlic, other_farms_carrots = (
        factories.product(farm_=farm, name=name)
        for name in ("Carottes", "Betteraves", "Chou frisé", "Poireaux", "Oignons", "Ail", "x")
    )
    other_farms_carrots.name = "Carottes"
    other_farms_carrots.farm = factories.farm()
    other_farms_carrots.save()
    bought(customer, [carrots, beets], weeks_ago=1)  # beets are not offered this week
    bought(customer, [kale], weeks_ago=2, status=Order.Status.CANCELLED)
    bought(customer, [leeks], weeks_ago=3, status=Order.Status.BASKET)  # never confirmed
    bought(factories.user(), [onions], weeks_ago=1)  # someone else's
    # Confirmed, to pick up and not collected count as bought.
    bought(customer, [garlic], weeks_ago=4, status=Order.Status.CONFIRMED)
    bought(customer, [garlic], weeks_ago=5, status=Order.Status.LOCKED)
    bought(customer, [garlic], weeks_ago=6, status=Order.Status.NOT_COLLECTED)
    offered(week, kale, leeks, onions, garlic)
    her_carrots = factories.offer(window_=week, product_=carrots)
    factories.offer(window_=week, product_=other_farms_carrots)  # never bought
    # This week's own basket is not a past week.
    this_weeks_order = factories.order(window_=week, customer=customer, status="confirmed")
    f.OrderLineFactory.create(order=this_weeks_order, offer=factories.offer(window_=week))
    result = usual.usual_products(customer_id=customer.pk, window=week)
    assert names(result) == ["Ail", "Carottes"]
    assert result is not None
    assert result.products[1].offer_id == her_carrots.pk  # the farm she bought from


def test_not_a_farm_that_left_the_shop_before_this_week(week, customer) -> None:
    """As the shop: a farm paused before this week opened is not in it; one paused
    since keeps its offers of this week."""
    left, paused_since = factories.farm(), factories.farm()
    garlic = factories.product(farm_=left, name="Ail")
    leeks = factories.product(farm_=paused_since, name="Poireaux")
    bought(customer, [garlic, leeks], weeks_ago=1)
    offered(week, garlic, leeks)
    Farm.objects.filter(pk=left.pk).update(
        is_active=False, status_changed_at=week.opens_at - timedelta(days=1)
    )
    Farm.objects.filter(pk=paused_since.pk).update(
        is_active=False, status_changed_at=week.opens_at + timedelta(hours=1)
    )
    result = usual.usual_products(customer_id=customer.pk, window=week)
    assert names(result) == ["Poireaux"]
    shown = {offer.pk for offer in selectors.shop_offers(window=week)}
    assert result is not None
    assert {item.offer_id for item in result.products} == shown


def test_a_sold_out_offer_is_listed_as_sold_out(client, week, customer) -> None:
    product = factories.product(name="Ail")
    bought(customer, [product], weeks_ago=1)
    Offer.objects.filter(pk=offered(week, product)["Ail"].pk).update(remaining=0)
    result = usual.usual_products(customer_id=customer.pk, window=week)
    assert result is not None
    assert result.products[0].sold_out
    client.force_login(customer)
    assert "sold out" in usual_section(shop(client))


def test_nothing_for_a_visitor_a_first_time_customer_or_without_this_weeks_offers(
    client, week, customer, django_assert_num_queries
) -> None:
    product = factories.product()
    offered(week, product)
    with django_assert_num_queries(0):
        assert usual.usual_products(customer_id=None, window=week) is None
    assert usual.usual_products(customer_id=customer.pk, window=None) is None
    assert "usuals" not in shop(client)  # a visitor
    client.force_login(customer)
    assert usual.usual_products(customer_id=customer.pk, window=week) is None
    assert "usuals" not in shop(client)  # nothing bought yet
    bought(customer, [factories.product()], weeks_ago=1)  # not offered this week
    assert usual.usual_products(customer_id=customer.pk, window=week) is None
    assert "usuals" not in shop(client)


def test_links_to_the_rows_below_without_a_second_button_or_id(client, week, customer) -> None:
    farm = factories.farm()
    products = [factories.product(farm_=farm, name=name) for name in ("Ail", "Beurre")]
    bought(customer, products, weeks_ago=1)
    offers = offered(week, *products)
    client.force_login(customer)
    page = shop(client)
    section = usual_section(page)
    assert "Your usuals" in section
    for offer in offers.values():
        assert f'href="#offer-{offer.pk}"' in section
        assert f'id="offer-{offer.pk}"' in page  # the row it links to
    assert '<span class="usual-name">Ail</span> <span class="usual-price">$3.50</span>' in section
    assert "<button" not in section
    assert "<form" not in section
    assert page.index('class="usuals"') < page.index('class="offer-grid"')  # above the rows
    ids = Counter(re.findall(r'\sid="([^"]+)"', page))
    assert {i: n for i, n in ids.items() if n > 1} == {}


def test_a_link_to_the_usual_basket_when_there_is_one(client, week, customer) -> None:
    product = factories.product(name="Ail")
    bought(customer, [product], weeks_ago=1)
    offered(week, product)
    client.force_login(customer)
    link = f'href="{reverse("baskets:standing")}"'
    assert link not in usual_section(shop(client))
    standing = StandingBasket.objects.create(
        customer=customer, pickup_point=factories.pickup_point(), payment_method="at_pickup"
    )
    result = usual.usual_products(customer_id=customer.pk, window=week)
    assert result is not None
    assert result.has_standing
    assert link in usual_section(shop(client))
    StandingBasket.objects.filter(pk=standing.pk).update(status=StandingBasket.Status.PAUSED)
    assert link in usual_section(shop(client))
    StandingBasket.objects.filter(pk=standing.pk).update(status=StandingBasket.Status.STOPPED)
    assert link not in usual_section(shop(client))


def test_absent_from_a_filtered_page(client, week, customer) -> None:
    """A filter may hide the row a link would go to."""
    product = factories.product(name="Ail")
    bought(customer, [product], weeks_ago=1)
    offered(week, product)
    client.force_login(customer)
    assert 'class="usuals"' in shop(client)
    page = client.get(reverse("baskets:shop"), {"q": "ail"}).content.decode()
    assert f'id="offer-{Offer.objects.get(window=week).pk}"' in page
    assert 'class="usuals"' not in page


def test_one_query_whatever_the_history(client, week, customer, django_assert_num_queries) -> None:
    farm = factories.farm()
    products = [factories.product(farm_=farm, name=f"Produit {i:02d}") for i in range(20)]
    offered(week, *products)
    StandingBasket.objects.create(
        customer=customer, pickup_point=factories.pickup_point(), payment_method="at_pickup"
    )
    client.force_login(customer)
    page_queries, shown = [], []
    for weeks_ago in range(1, 12):  # one earlier week of history, then two, … eleven
        bought(customer, products[: 2 * weeks_ago], weeks_ago=weeks_ago)
        with django_assert_num_queries(2):  # the products, the usual basket
            result = usual.usual_products(customer_id=customer.pk, window=week)
        assert result is not None
        assert result.has_standing
        shown.append(len(result.products))
        caches["pages"].clear()  # a new week of history comes with a new week's list
        with CaptureQueriesContext(connection) as ctx:
            assert 'class="usuals"' in shop(client)
        page_queries.append(len(ctx.captured_queries))
    assert (shown[0], shown[-1]) == (2, usual.LIMIT)
    assert page_queries[0] == page_queries[-1], page_queries


def test_its_strings_in_french(client, week, customer) -> None:
    product = factories.product(name="Ail", price=Decimal("3.50"))
    bought(customer, [product], weeks_ago=1)
    offered(week, product)
    StandingBasket.objects.create(
        customer=customer, pickup_point=factories.pickup_point(), payment_method="at_pickup"
    )
    client.force_login(customer)
    page = client.get(reverse("baskets:shop"), HTTP_ACCEPT_LANGUAGE="fr-ca").content.decode()
    section = usual_section(page)
    assert "3,50\u00a0$" in section
    assert "Mon panier habituel" in section
