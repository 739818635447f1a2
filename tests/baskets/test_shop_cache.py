"""The shop page's cached offers list and basket panel (baskets/cards.py): served from
the cache when nothing shown has changed, and never stale, nor another customer's."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import caches
from django.urls import reverse
from django.utils import timezone, translation

from common.money import format_money
from farms.models import Certification, Farm, Product
from orders import basket
from orders.models import Offer, OrderWindow
from tests import factories

cache = caches["pages"]  # the shop's cards and lists (settings.CACHES)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    cache.clear()


def shop(client, **params: str) -> str:  # type: ignore[no-untyped-def]
    response = client.get(reverse("baskets:shop"), params)
    assert response.status_code == 200
    return response.content.decode()


def cached_lists() -> list[str]:
    return [k for k in cache._cache if ":shop-offers:" in k]  # type: ignore[attr-defined]


def card(page: str, offer: Offer) -> str:
    pattern = rf'<li class="offer-card[^"]*"[^>]* id="offer-{offer.pk}".*?</li>'
    found = re.search(pattern, page, re.S)
    assert found, f"no card for offer {offer.pk}"
    return found.group(0)


def test_the_list_is_served_from_the_cache_and_redrawn_when_stock_or_price_change(
    client,
) -> None:
    offer = factories.offer(quantity=20)
    client.force_login(factories.user())
    assert 'data-remaining="20"' in card(shop(client), offer)
    assert len(cached_lists()) == 1
    assert 'data-remaining="20"' in card(shop(client), offer)  # from the cache
    Offer.objects.filter(pk=offer.pk).update(remaining=4)  # no save(), no signal
    assert "plus que 4" in card(shop(client), offer)
    Offer.objects.filter(pk=offer.pk).update(price=Decimal("7.25"))
    assert "7,25" in card(shop(client), offer)
    Offer.objects.filter(pk=offer.pk).update(remaining=0)
    assert "Épuisé" in card(shop(client), offer)
    assert len(cached_lists()) == 1  # only the latest version is kept


def test_with_the_production_setting_other_changes_show_within_the_list_time(
    client, settings
) -> None:
    """SHOP_LIST_SECONDS (2 s in production): a change by someone else shows once the
    list's version is checked again; the customer's own card and basket at once."""
    settings.SHOP_LIST_SECONDS = 60
    mine, other = factories.offer(quantity=20), None
    other = factories.offer(window_=mine.window, quantity=20)
    customer = factories.user()
    client.force_login(customer)
    assert 'data-remaining="20"' in card(shop(client), other)
    Offer.objects.filter(pk=other.pk).update(remaining=3)  # another customer took 17
    assert 'data-remaining="20"' in card(shop(client), other)  # not checked yet
    basket.basket_line_set(
        customer_id=customer.pk, offer_id=mine.pk, quantity=2, now=timezone.now()
    )
    page = shop(client)
    assert 'value="2"' in card(page, mine)  # their own card: at once
    assert 'data-remaining="18"' in card(page, mine)
    cache.delete(f"shop-data:v4:{mine.window_id}")  # the time has passed
    assert "plus que 3" in card(shop(client), other)


def test_names_certifications_and_new_offers_show_at_once(client) -> None:
    offer = factories.offer(quantity=20)
    client.force_login(factories.user())
    shop(client)
    Product.objects.filter(pk=offer.product_id).update(name="Panais d'hiver")
    Farm.objects.filter(pk=offer.product.farm_id).update(name="Ferme des Érables")
    page = shop(client)
    assert "Panais d&#x27;hiver" in card(page, offer)
    assert "Ferme des Érables" in card(page, offer)
    cert = Certification.objects.create(name="Écocert", slug="ecocert")
    offer.product.farm.certifications.add(cert)
    assert '<option value="ecocert"' in shop(client)
    other = factories.offer(window_=offer.window, quantity=5)
    assert f'id="offer-{other.pk}"' in shop(client)


def test_another_customers_basket_never_shows(client) -> None:
    offer = factories.offer(quantity=20)
    alice, bob = factories.user(), factories.user()
    basket.basket_line_set(customer_id=alice.pk, offer_id=offer.pk, quantity=3, now=timezone.now())
    client.force_login(alice)
    page = shop(client)
    assert f'id="qty-shop-{offer.pk}" name="quantity" value="3"' in page
    assert f'id="line-{offer.pk}"' in page  # her basket panel
    client.force_login(bob)
    page = shop(client)  # the list from the cache
    assert "in-basket" not in card(page, offer)
    assert f'id="qty-shop-{offer.pk}"' not in page
    assert f'id="line-{offer.pk}"' not in page
    assert "Votre panier est vide." in page
    basket.basket_line_set(customer_id=bob.pk, offer_id=offer.pk, quantity=5, now=timezone.now())
    page = shop(client)
    assert f'id="qty-shop-{offer.pk}" name="quantity" value="5"' in page
    assert 'value="3"' not in page
    client.force_login(alice)
    page = shop(client)
    assert f'id="qty-shop-{offer.pk}" name="quantity" value="3"' in page
    assert 'data-remaining="12"' in card(page, offer)
    # Nothing cached for the list holds a basket: the cards in it are drawn as not in one.
    assert not any(
        b"in-basket"
        in b"".join(p for p in cache.get(k.split(":", 2)[2]).pieces if isinstance(p, bytes))
        for k in cached_lists()
    )


def test_the_basket_panel_follows_the_basket(client) -> None:
    offer = factories.offer(quantity=20)
    customer = factories.user()
    client.force_login(customer)
    basket.basket_line_set(
        customer_id=customer.pk, offer_id=offer.pk, quantity=2, now=timezone.now()
    )
    assert f'id="qty-basket-{offer.pk}"' not in shop(client)  # the panel is the shop's
    basket.basket_line_set(
        customer_id=customer.pk, offer_id=offer.pk, quantity=4, now=timezone.now()
    )
    page = shop(client)
    assert f'id="qty-shop-{offer.pk}" name="quantity" value="4"' in page
    with translation.override("fr-ca"):
        assert f'<span class="basket-line-amount">{format_money(offer.price * 4)}</span>' in page
    basket.basket_line_set(
        customer_id=customer.pk, offer_id=offer.pk, quantity=0, now=timezone.now()
    )
    page = shop(client)
    assert f'id="line-{offer.pk}"' not in page
    assert "in-basket" not in card(page, offer)


def test_each_language_has_its_own_list(client) -> None:
    offer = factories.offer(quantity=20)
    client.force_login(factories.user())
    assert ">Ajouter</button>" in card(shop(client), offer)
    client.cookies["coop_language"] = "en"
    page = shop(client)
    assert ">Add</button>" in card(page, offer)
    assert "Mon panier" not in page
    client.cookies["coop_language"] = "fr-ca"
    assert ">Ajouter</button>" in card(shop(client), offer)


def test_each_customer_gets_their_own_token_in_cached_html(client) -> None:
    factories.offer(quantity=20)
    alice, bob = factories.user(), factories.user()
    found: dict[int, set[str]] = {}
    for who in (alice, bob, alice):
        client.force_login(who)
        page = shop(client)
        assert "__coop_csrf_token__" not in page
        found.setdefault(who.pk, set()).update(
            re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        )
    assert found[alice.pk]
    assert found[bob.pk]
    assert not found[alice.pk] & found[bob.pk]


def test_a_closed_window_stops_the_shop_at_once(client) -> None:
    offer = factories.offer(quantity=20)
    client.force_login(factories.user())
    assert f'id="offer-{offer.pk}"' in shop(client)
    OrderWindow.objects.filter(pk=offer.window_id).update(
        closes_at=timezone.now() - timedelta(minutes=1)
    )
    page = shop(client)
    assert 'class="offer-card' not in page
    assert "hx-post" not in page


def test_filters_and_searches(client) -> None:
    window = factories.window()
    carrots = factories.offer(window_=window, product_=factories.product(name="Carottes"))
    eggs = factories.offer(window_=window, product_=factories.product(name="Œufs", category="eggs"))
    client.force_login(factories.user())
    everything = shop(client)
    assert f'id="offer-{carrots.pk}"' in everything
    assert f'id="offer-{eggs.pk}"' in everything
    only_eggs = shop(client, category="eggs")
    assert f'id="offer-{carrots.pk}"' not in only_eggs
    assert f'id="offer-{eggs.pk}"' in only_eggs
    assert 'name="next" value="/shop/?category=eggs"' in only_eggs
    assert len(cached_lists()) == 2  # one per page address
    found = shop(client, q="oeufs")
    assert f'id="offer-{carrots.pk}"' not in found
    assert f'id="offer-{eggs.pk}"' in found
    assert len(cached_lists()) == 2  # searches are not kept whole


def test_random_query_strings_add_nothing_to_the_cache(client) -> None:
    """A visitor varying the query string (?x=1, ?x=2…) or naming farms that do not
    exist renders from the cached cards and keeps nothing new: the keys depend on the
    week and its data, never on what a visitor types (hostile probe: 264 new cards a
    request, 8,185 keys after 30)."""
    window = factories.window()
    for n in range(12):
        factories.offer(window_=window, product_=factories.product(name=f"Légume {n}"))
    shop(client)
    after_one = len(cache._cache)  # type: ignore[attr-defined]
    for n in range(30):
        page = shop(client, **{f"utm{n}": "x" * n, "farm": f"nowhere-{n}"}, q=f"zzz{n}")
        assert f'value="/shop/?utm{n}=' in page  # the form still returns here
    assert len(cache._cache) == after_one  # type: ignore[attr-defined]
    assert after_one > 12  # the week's cards and its list are kept


def test_the_page_cache_cannot_push_out_a_rate_limit_counter(settings) -> None:
    """Login rate limits live in the default alias; the page alias is apart and bounded."""
    from django.core.cache import cache as default

    default.set("rl:login:203.0.113.9", 3, 300)
    for n in range(6000):  # past the page alias's MAX_ENTRIES
        cache.set(f"shop-card:v3:{n}", "<li></li>", 300)
    assert default.get("rl:login:203.0.113.9") == 3
    assert len(cache._cache) <= settings.CACHES["pages"]["OPTIONS"]["MAX_ENTRIES"]  # type: ignore[attr-defined]
