"""The shop page's cached HTML. A shop page shows hundreds of cards and almost all of
them are the same for every customer; rendering them is most of the page's cost.

- The offers list (title, filters, count, categories and every card, drawn as not in a
  basket) is kept per window, language, signed in or not, and page address, with the
  version it was drawn from: a digest of every value it shows (each offer's row of
  stock, price, product and farm, the farms' certifications, the window's dates). The
  rows are read on every request, so the next render after any change draws the list
  again; only the latest version is kept per address. Searches (q) are not kept whole.
- The customer's own cards (offers in their basket) are put in over the cached ones.
- Each card is cached under a key holding all it shows (a card in a basket shows its
  quantity, nothing else of the customer: it is the same for anyone with that
  quantity), so drawing the list again after a stock change renders only the cards
  that changed; stale entries simply expire.
- The basket panel is cached under a digest of every stored value of the order, its
  lines, offers, products and farms: the order names its customer, so an entry serves
  only them, and any change is a new key.

The CSRF token is per customer: cached HTML carries a placeholder, replaced on the way
out, so a token never leaks from one customer's page to another's.
"""

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from orders.models import OrderLine, OrderWindow

from . import selectors

CSRF_PLACEHOLDER = "__coop_csrf_token__"
TIMEOUT = 15 * 60
# Query parameters of the cached list pages: the filters' menus. A search (q) or any
# other parameter is drawn from the cached cards, not kept as a whole list.
LIST_PARAMETERS = frozenset({"farm", "category", "certification"})
_CARD_MARK = re.compile(r"<!--coop-card (\d+)-->")


def _digest(text: str, size: int = 16) -> str:
    return hashlib.blake2b(text.encode(), digest_size=size).hexdigest()


def _card_key(offer: Any, *, quantity: int, language: str, signed_in: bool, next_hash: str) -> str:
    """Everything a card shows, so that a change of any of it is a new key. A card in a
    basket shows its quantity, nothing else of the customer (their CSRF token is a
    placeholder): it is the same for everyone with that quantity."""
    product = offer.product
    farm = product.farm
    state = repr(
        (
            offer.remaining,
            offer.quantity,
            offer.price,
            product.name,
            product.unit_label,
            product.tax_class,
            farm.name,
            farm.slug,
        )
    )
    return (
        f"shop-card:v2:{offer.pk}:{_digest(state)}:{quantity}:{language}:{int(signed_in)}:"
        f"{next_hash}"
    )


def _card(offer: Any, *, user: Any, quantities: dict[int, int], next_url: str) -> str:
    return render_to_string(
        "baskets/partials/offer.html",
        {
            "user": user,
            "next_url": next_url,
            "quantities": quantities,
            "offer": offer,
            "csrf_token": CSRF_PLACEHOLDER,
        },
    )


def _cards(
    *, user: Any, offers: Sequence[Any], quantities: dict[int, int], next_url: str
) -> dict[int, str]:
    """HTML of each card (CSRF placeholder kept), cached per card: drawing the list again
    after a stock change renders only the cards that changed."""
    signed_in = bool(user.is_authenticated)
    language = get_language() or ""
    next_hash = _digest(next_url, 6)
    keys = {
        o.pk: _card_key(
            o,
            quantity=quantities.get(o.pk, 0),
            language=language,
            signed_in=signed_in,
            next_hash=next_hash,
        )
        for o in offers
    }
    cached = cache.get_many(list(keys.values())) if keys else {}
    html: dict[int, str] = {}
    fresh: dict[str, str] = {}
    for offer in offers:
        key = keys[offer.pk]
        text = cached.get(key)
        if text is None:
            text = fresh[key] = _card(offer, user=user, quantities=quantities, next_url=next_url)
        html[offer.pk] = text
    if fresh:
        cache.set_many(fresh, TIMEOUT)
    return html


@dataclass(frozen=True, slots=True)
class OffersList:
    """The drawn list: its HTML (CSRF placeholder kept) and where each card is in it."""

    version: str
    html: str
    spans: dict[int, tuple[int, int]]


def _draw(
    *,
    user: Any,
    window: OrderWindow,
    filters: selectors.ShopFilters,
    rows: list[selectors.OfferRow],
    certifications: dict[int, list[tuple[str, str]]],
    next_url: str,
    version: str,
) -> OffersList:
    offers = selectors.offers_from_rows(rows)
    shown = selectors.filter_offers(offers, filters, certifications)
    cards = _cards(user=user, offers=shown, quantities={}, next_url=next_url)
    text = render_to_string(
        "baskets/partials/shop_offers.html",
        {
            "window": window,
            "filters": filters,
            "choices": selectors.shop_choices(offers=offers, certifications=certifications),
            "groups": selectors.group_by_category(shown),
            "shown_count": len(shown),
            "marks": {o.pk: mark_safe(f"<!--coop-card {o.pk}-->") for o in shown},  # noqa: S308
        },
    )
    # The marks split the text into [text, pk, text, pk, …, text]: put each card in.
    pieces = _CARD_MARK.split(text)
    out = [pieces[0]]
    position = len(pieces[0])
    spans: dict[int, tuple[int, int]] = {}
    for index in range(1, len(pieces), 2):
        pk = int(pieces[index])
        card = cards[pk]
        spans[pk] = (position, position + len(card))
        out += [card, pieces[index + 1]]
        position += len(card) + len(pieces[index + 1])
    return OffersList(version=version, html="".join(out), spans=spans)


def offers_list(
    *,
    request: HttpRequest,
    window: OrderWindow,
    filters: selectors.ShopFilters,
    rows: list[selectors.OfferRow],
    certifications: dict[int, list[tuple[str, str]]],
    lines: Iterable[OrderLine],
    next_url: str,
) -> SafeString:
    """The offers part of the shop page for this customer: the list from the cache when
    its version is current (else drawn again), the customer's own cards put in over it."""
    user = request.user
    signed_in = bool(user.is_authenticated)
    language = get_language() or ""
    version = _digest(
        repr(
            (
                rows,
                sorted(certifications.items()),
                window.closes_at,
                window.pickup_date,
                filters,
                next_url,
                language,
                signed_in,
            )
        )
    )
    cacheable = not filters.q and set(request.GET) <= LIST_PARAMETERS
    key = f"shop-offers:v1:{window.pk}:{language}:{int(signed_in)}:{_digest(next_url, 8)}"
    drawn = cache.get(key) if cacheable else None
    if not isinstance(drawn, OffersList) or drawn.version != version:
        drawn = _draw(
            user=user,
            window=window,
            filters=filters,
            rows=rows,
            certifications=certifications,
            next_url=next_url,
            version=version,
        )
        if cacheable:
            cache.set(key, drawn, TIMEOUT)
    # The customer's own cards, with their quantities, in the order of the page.
    mine = sorted(
        ((drawn.spans[line.offer_id], line) for line in lines if line.offer_id in drawn.spans),
        key=lambda item: item[0],
    )
    html = drawn.html
    if mine:
        offers = [line.offer for _span, line in mine]
        selectors.decorate_offers(offers)
        cards = _cards(
            user=user,
            offers=offers,
            quantities={line.offer_id: line.quantity for _span, line in mine},
            next_url=next_url,
        )
        out = []
        position = 0
        for (start, end), line in mine:
            out += [html[position:start], cards[line.offer_id]]
            position = end
        out.append(html[position:])
        html = "".join(out)
    return mark_safe(html.replace(CSRF_PLACEHOLDER, get_token(request)))  # noqa: S308 - our template


def _values(instance: Any) -> tuple[Any, ...]:
    return tuple(getattr(instance, f.attname) for f in instance._meta.concrete_fields)


def basket_panel(
    *, request: HttpRequest, basket: selectors.Basket, next_url: str, where: str
) -> SafeString:
    """The basket panel of a full page, cached under a digest of every stored value of
    the order, its lines, their offers, products and farms (the order's own fields
    name the customer: an entry serves only them), so any change is a new key."""
    user = request.user
    state = repr(
        (
            _values(basket.order) if basket.order else None,
            [
                (
                    _values(line),
                    _values(line.offer),
                    _values(line.offer.product),
                    _values(line.offer.product.farm),
                )
                for line in basket.lines
            ],
            next_url,
            where,
            get_language(),
            bool(user.is_authenticated),
        )
    )
    key = f"shop-panel:v1:{_digest(state, 20)}"
    html = cache.get(key)
    if not isinstance(html, str):
        html = render_to_string(
            "baskets/partials/basket_panel.html",
            {
                "basket": basket,
                "user": user,
                "next_url": next_url,
                "where": where,
                "csrf_token": CSRF_PLACEHOLDER,
            },
        )
        cache.set(key, html, TIMEOUT)
    return mark_safe(html.replace(CSRF_PLACEHOLDER, get_token(request)))  # noqa: S308 - our template
