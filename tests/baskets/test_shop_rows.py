"""The shop's rows (#16): a package measured in g, kg, ml or L shows its price per kg
or L after its own price, in the row and in the basket's line; other units show none."""

import re
from collections import Counter
from decimal import Decimal

import pytest
from django.core.cache import caches
from django.urls import reverse
from django.utils import timezone

from farms.models import Unit
from orders import basket
from orders.models import Offer, OrderWindow
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    caches["pages"].clear()  # the shop's cards and lists


def card(page: str, offer: Offer) -> str:
    found = re.search(
        rf'<li class="offer-card[^"]*"[^>]* id="offer-{offer.pk}".*?</li>', page, re.S
    )
    assert found, f"no row for offer {offer.pk}"
    return found.group(0)


def packaged(window: OrderWindow, size: str, price: str, *, unit: str = Unit.PACKAGE) -> Offer:
    """An offer this week of a product sold by `unit` (a package of `size`) at `price`."""
    package_size = size if unit == Unit.PACKAGE else ""
    product = factories.product(unit=unit, package_size=package_size, price=Decimal(price))
    return factories.offer(product_=product, window_=window)


@pytest.fixture
def week() -> OrderWindow:
    return factories.window()


@pytest.mark.usefixtures("english")
def test_a_package_shows_its_price_per_kg_or_l_and_other_units_none(client, week) -> None:
    cheese = packaged(week, "500 g", "13.00")
    flour = packaged(week, "1,5 kg", "9.00")
    oil = packaged(week, "750 ml", "4.50")
    carrots = packaged(week, "", "3.50", unit=Unit.KG)
    litre = packaged(week, "1 L", "4.00")
    eggs = packaged(week, "6 œufs", "4.00")
    lettuce = packaged(week, "", "3.25", unit=Unit.EACH)
    page = client.get(reverse("baskets:shop")).content.decode()
    assert '<span class="offer-per-measure">$26.00/kg</span>' in card(page, cheese)
    assert '<span class="offer-per-measure">$6.00/kg</span>' in card(page, flour)
    assert '<span class="offer-per-measure">$6.00/L</span>' in card(page, oil)
    assert "<strong>$13.00</strong> / 500 g" in card(page, cheese)
    for offer in (carrots, litre, eggs, lettuce):
        assert "offer-per-measure" not in card(page, offer)


def test_in_french_the_amount_is_written_the_french_way(client, week) -> None:
    cheese = packaged(week, "500 g", "13.00")
    page = client.get(reverse("baskets:shop"), HTTP_ACCEPT_LANGUAGE="fr-ca").content.decode()
    assert '<span class="offer-per-measure">26,00\u00a0$/kg</span>' in card(page, cheese)


@pytest.mark.usefixtures("english")
def test_the_basket_line_shows_it_too(client, week) -> None:
    oil = packaged(week, "250 ml", "3.00")
    customer = factories.user()
    basket.basket_line_set(customer_id=customer.pk, offer_id=oil.pk, quantity=2, now=timezone.now())
    client.force_login(customer)
    page = client.get(reverse("baskets:shop")).content.decode()
    panel = page[page.index('id="basket-panel"') :]
    assert "$3.00 / 250 ml ($12.00/L)" in panel
    assert '<span class="offer-per-measure">$12.00/L</span>' in card(page, oil)  # her own card
    assert "$3.00 / 250 ml ($12.00/L)" in client.get(reverse("baskets:basket")).content.decode()


def test_no_id_is_drawn_twice_on_the_shop_with_a_basket(client) -> None:  # type: ignore[no-untyped-def]
    """The basket panel draws a row's controls again: its own ids, so each label names
    its own field (#19: `qty-shop-504` was there twice)."""
    offer = factories.offer(quantity=20)
    customer = factories.user()
    basket.basket_line_set(
        customer_id=customer.pk, offer_id=offer.pk, quantity=2, now=timezone.now()
    )
    client.force_login(customer)
    page = client.get(reverse("baskets:shop")).content.decode()
    ids = Counter(re.findall(r'\sid="([^"]+)"', page))
    assert [name for name, count in ids.items() if count > 1] == []
    assert f'for="qty-panel-shop-{offer.pk}"' in page
    assert f'id="qty-panel-shop-{offer.pk}"' in page
