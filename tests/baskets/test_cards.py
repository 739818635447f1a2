"""Cached shop cards: the same for everyone, but never another customer's CSRF token,
and never a stale stock count."""

import re

import pytest
from django.core.cache import caches
from django.urls import reverse
from django.utils import timezone

from orders import basket
from orders.models import Offer
from tests import factories

cache = caches["pages"]  # the shop's cards and lists (settings.CACHES)

pytestmark = pytest.mark.django_db


def tokens(html: str) -> set[str]:
    return set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html))


def test_cards_carry_each_customers_own_token_and_fresh_stock(client) -> None:
    cache.clear()
    offer = factories.offer(quantity=20)
    alice, bob = factories.user(), factories.user()
    client.force_login(alice)
    first = client.get(reverse("baskets:shop")).content.decode()
    alice_tokens = tokens(first)
    assert 'data-remaining="20"' in first
    client.force_login(bob)
    second = client.get(reverse("baskets:shop")).content.decode()  # served from the cache
    assert tokens(second)
    assert not tokens(second) & alice_tokens
    assert "__coop_csrf_token__" not in second
    basket.basket_line_set(customer_id=alice.pk, offer_id=offer.pk, quantity=3, now=timezone.now())
    third = client.get(reverse("baskets:shop")).content.decode()
    assert 'data-remaining="17"' in third
    Offer.objects.filter(pk=offer.pk).update(remaining=4)
    assert "plus que 4" in client.get(reverse("baskets:shop")).content.decode()


def test_a_card_in_the_basket_is_cached_only_by_its_quantity(client) -> None:
    """A card in a basket shows the quantity and nothing else of the customer: its key
    holds the quantity, and the cached HTML has no token."""
    cache.clear()
    offer = factories.offer(quantity=20)
    customer = factories.user()
    basket.basket_line_set(
        customer_id=customer.pk, offer_id=offer.pk, quantity=2, now=timezone.now()
    )
    client.force_login(customer)
    page = client.get(reverse("baskets:shop")).content.decode()
    assert f'id="qty-shop-{offer.pk}" name="quantity" value="2"' in page
    # Keys are shop-card:v9:<offer>:<digest of what it shows>:<quantity>:… (after
    # locmem's ":1:" prefix).
    keys = [k.split(":", 2)[2] for k in cache._cache if f"shop-card:v9:{offer.pk}:" in k]  # type: ignore[attr-defined]
    assert {k.split(":")[4] for k in keys} == {"0", "2"}  # the list's card, and hers
    for key in keys:
        html = cache.get(key)
        assert "__coop_csrf_token__" in html
        assert tokens(html) == {"__coop_csrf_token__"}
