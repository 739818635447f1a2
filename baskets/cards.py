"""The shop page's cached HTML. A shop page shows hundreds of cards and almost all of
them are the same for every customer; rendering them is most of the page's cost.

- The offers list (title, filters, count, categories and every card, drawn as not in a
  basket) is kept per window, language, signed in or not, and page address, with the
  version it was drawn from: a digest of every value it shows (each offer's row of
  stock, price, product and farm, the farms' certifications, the window's dates). The
  rows are read again at most every SHOP_LIST_SECONDS (2 s) per process, so the list
  is drawn again within that time after any change; only the latest version is kept
  per address. Searches (q) are not kept whole.
- The customer's own cards (offers in their basket) are put in over the cached ones.
- Each card is cached under a key holding all it shows (a card in a basket shows its
  quantity, nothing else of the customer: it is the same for anyone with that
  quantity), so drawing the list again after a stock change renders only the cards
  that changed; stale entries simply expire.
- The basket panel is cached under a digest of every stored value of the order, its
  lines, offers, products and farms: the order names its customer, so an entry serves
  only them, and any change is a new key.

The CSRF token is per customer and the page's own address (the `next` of its forms) is
whatever the browser asked for: cached HTML carries placeholders for both, replaced on
the way out, so a token never leaks from one customer's page to another's, and no key
depends on the query string. A list is kept only for filters that name a farm, a
category or a certification of the week; anything else (a search, an unknown value, an
unknown parameter) is drawn from the cached cards, which never depend on the address.

Everything lives in the `pages` cache alias: per process, bounded, apart from the
default alias that holds the login rate limits, so no page can push a counter out.
"""

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from farms.models import Category
from orders.models import OrderWindow

from . import selectors

CSRF_PLACEHOLDER = "__coop_csrf_token__"
NEXT_PLACEHOLDER = "__coop_next_url__"
TIMEOUT = 15 * 60
_CARD_MARK = re.compile(r"<!--coop-card (\d+)-->")


def _cache():  # type: ignore[no-untyped-def]
    return caches["pages"]


def _finish(html: str, *, request: HttpRequest, next_url: str) -> SafeString:
    """Put this request's CSRF token and address in place of the placeholders: in a
    form's hidden `next` (HTML-escaped) and in a link's `?next=` (URL-encoded)."""
    html = html.replace(f'value="{NEXT_PLACEHOLDER}"', f'value="{escape(next_url)}"')
    html = html.replace(f"next={NEXT_PLACEHOLDER}", f"next={escape(quote(next_url, safe=''))}")
    return mark_safe(html.replace(CSRF_PLACEHOLDER, get_token(request)))  # noqa: S308 - our template


def _digest(text: str, size: int = 16) -> str:
    return hashlib.blake2b(text.encode(), digest_size=size).hexdigest()


def _card_key(offer: Any, *, quantity: int, language: str, signed_in: bool) -> str:
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
            getattr(product, "thumbnail_url", ""),
        )
    )
    return f"shop-card:v5:{offer.pk}:{_digest(state)}:{quantity}:{language}:{int(signed_in)}"


def _card(offer: Any, *, user: Any, quantities: dict[int, int]) -> str:
    return render_to_string(
        "baskets/partials/offer.html",
        {
            "user": user,
            "next_url": NEXT_PLACEHOLDER,
            "quantities": quantities,
            "offer": offer,
            "csrf_token": CSRF_PLACEHOLDER,
        },
    )


def _cards(*, user: Any, offers: Sequence[Any], quantities: dict[int, int]) -> dict[int, str]:
    """HTML of each card (placeholders kept), cached per card: drawing the list again
    after a stock change renders only the cards that changed."""
    signed_in = bool(user.is_authenticated)
    language = get_language() or ""
    keys = {
        o.pk: _card_key(o, quantity=quantities.get(o.pk, 0), language=language, signed_in=signed_in)
        for o in offers
    }
    cached = _cache().get_many(list(keys.values())) if keys else {}
    html: dict[int, str] = {}
    fresh: dict[str, str] = {}
    for offer in offers:
        key = keys[offer.pk]
        text = cached.get(key)
        if text is None:
            text = fresh[key] = _card(offer, user=user, quantities=quantities)
        html[offer.pk] = text
    if fresh:
        _cache().set_many(fresh, TIMEOUT)
    return html


@dataclass(frozen=True, slots=True)
class OffersList:
    """The drawn list: its HTML (placeholders kept) and where each card is in it."""

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
    version: str,
) -> OffersList:
    offers = selectors.offers_from_rows(rows)
    shown = selectors.filter_offers(offers, filters, certifications)
    cards = _cards(user=user, offers=shown, quantities={})
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


@dataclass(slots=True)
class ListData:
    """The digest of the window's offer rows and their farms' certifications, and the
    rows if they were read for it."""

    version: str
    rows: list[selectors.OfferRow] | None
    certifications: dict[int, list[tuple[str, str]]]


def list_data(window: OrderWindow) -> ListData:
    """The window's list version. It is kept SHOP_LIST_SECONDS in this process: within
    that time, what other customers took or a farmer changed may not show yet on the
    cards (what this customer has in their basket always does, and every change is
    checked against the stock under its locks)."""
    seconds = settings.SHOP_LIST_SECONDS
    key = f"shop-data:v1:{window.pk}"
    if seconds:
        version = _cache().get(key)
        if isinstance(version, str):
            return ListData(version, None, {})
    rows, certifications = selectors.window_rows_and_certifications(window=window)
    version = _digest(repr((rows, sorted(certifications.items()))))
    if seconds:
        _cache().set(key, version, seconds)
    return ListData(version, rows, certifications)


def kept(key: str, make: Any) -> Any:
    """`make()`, kept in the pages cache under `key` (a key that names every value the
    result depends on). None is kept too."""
    found = _cache().get(key, _MISSING)
    if found is _MISSING:
        found = make()
        _cache().set(key, found, TIMEOUT)
    return found


_MISSING = object()


def briefly(key: str, make: Any) -> Any:
    """`make()`, kept SHOP_LIST_SECONDS in this process (as the list's version): for
    what every shop page shows alike and the database checks again at every write (the
    open window, the baskets of the week)."""
    seconds = settings.SHOP_LIST_SECONDS
    if not seconds:
        return make()
    found = _cache().get(key, _MISSING)
    if found is _MISSING:
        found = make()
        _cache().set(key, found, seconds)
    return found


def offers_list(
    *,
    request: HttpRequest,
    window: OrderWindow,
    filters: selectors.ShopFilters,
    data: ListData,
    own: dict[int, str],
    next_url: str,
) -> SafeString:
    """The offers part of the shop page for this customer: the list from the cache when
    its version is current (else drawn again), the customer's own cards put in over it.
    The rows are read when the version is checked (at most every SHOP_LIST_SECONDS)
    or the list drawn, not for every page."""
    user = request.user
    signed_in = bool(user.is_authenticated)
    language = get_language() or ""
    rows, certifications = data.rows, data.certifications
    version = _digest(
        repr((data.version, window.closes_at, window.pickup_date, filters, language, signed_in))
    )
    key = (
        f"shop-offers:v3:{window.pk}:{language}:{int(signed_in)}:"
        f"{_digest(repr((filters.farm, filters.category, filters.certification)), 8)}"
    )
    drawn = None if filters.q else _cache().get(key)  # a search is never kept
    if not isinstance(drawn, OffersList) or drawn.version != version:
        if rows is None:
            rows, certifications = selectors.window_rows_and_certifications(window=window)
        drawn = _draw(
            user=user,
            window=window,
            filters=filters,
            rows=rows,
            certifications=certifications,
            version=version,
        )
        if _known_filters(filters, rows=rows, certifications=certifications):
            _cache().set(key, drawn, TIMEOUT)
    # The customer's own cards, with their quantities, in the order of the page.
    mine = sorted((drawn.spans[pk], pk) for pk in own if pk in drawn.spans)
    html = drawn.html
    if mine:
        out = []
        position = 0
        for (start, end), pk in mine:
            out += [html[position:start], own[pk]]
            position = end
        out.append(html[position:])
        html = "".join(out)
    return _finish(html, request=request, next_url=next_url)


def _known_filters(
    filters: selectors.ShopFilters,
    *,
    rows: list[selectors.OfferRow],
    certifications: dict[int, list[tuple[str, str]]],
) -> bool:
    """A list is kept only for no search and filters naming what the week offers: the
    number of lists kept is bounded by the co-op's data, not by what a visitor types."""
    if filters.q:
        return False
    farms = {row[selectors.FARM_SLUG_COLUMN] for row in rows}
    certified = {slug for pairs in certifications.values() for slug, _name in pairs}
    return (
        (not filters.farm or filters.farm in farms)
        and (not filters.category or filters.category in Category.values)
        and (not filters.certification or filters.certification in certified)
    )


def _values(instance: Any) -> tuple[Any, ...]:
    return tuple(getattr(instance, f.attname) for f in instance._meta.concrete_fields)


@dataclass(frozen=True, slots=True)
class BasketParts:
    """What the shop page shows of one customer's basket, drawn with placeholders:
    their own cards (offer id → HTML), the basket panel and the basket bar."""

    cards: dict[int, str]
    panel: str
    bar: str

    def finished(self, *, request: HttpRequest, next_url: str) -> tuple[SafeString, SafeString]:
        """The panel and the bar, ready for the page."""
        return (
            _finish(self.panel, request=request, next_url=next_url),
            _finish(self.bar, request=request, next_url=next_url),
        )


def basket_parts(
    *, request: HttpRequest, window: OrderWindow, where: str
) -> tuple[BasketParts, selectors.Basket | None]:
    """The customer's basket as the shop shows it, and the basket itself when it had to
    be read (None when the parts came from the cache).

    One query reads every stored value of the order, its lines, their offers, products
    and farms (`selectors.basket_state`); the parts drawn from them are kept under a
    digest of those values, so any change (theirs, a farmer's price, another
    customer's take of the same offer) is a new key. A basket with no lines, or one
    with a note of released units to show, is read and drawn each time."""
    user = request.user
    state = (
        selectors.basket_state(customer_id=user.pk, window=window) if user.is_authenticated else []
    )
    key = ""
    if state and not selectors.has_released_units(state):
        key = f"shop-basket:v1:{_digest(repr((user.pk, state, where, get_language())), 20)}"
        parts = _cache().get(key)
        if isinstance(parts, BasketParts):
            return parts, None
    basket = selectors.basket_of(
        customer_id=user.pk if user.is_authenticated else None, window=window
    )
    offers = [line.offer for line in basket.lines]
    selectors.decorate_offers(offers)
    parts = BasketParts(
        cards=_cards(user=user, offers=offers, quantities=basket.quantities),
        panel=_panel(request=request, basket=basket, where=where, window=window),
        bar=render_to_string("baskets/partials/basket_bar.html", {"basket": basket, "user": user}),
    )
    if key:
        _cache().set(key, parts, TIMEOUT)
    return parts, basket


def _panel(*, request: HttpRequest, basket: selectors.Basket, where: str, window: Any) -> str:
    """The basket panel (placeholders kept), cached under a digest of every stored value
    of the order, its lines, their offers, products and farms (the order's own fields
    name the customer: an entry serves only them), so any change is a new key."""
    user = request.user
    # Only an empty basket offers to repeat the last one, if there is one (one query).
    can_repeat = (
        not basket.lines
        and user.is_authenticated
        and selectors.has_order_to_repeat(customer_id=user.pk, window=window)
    )
    state = repr(
        (
            can_repeat,
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
            where,
            get_language(),
            bool(user.is_authenticated),
        )
    )
    key = f"shop-panel:v4:{_digest(state, 20)}"
    html = _cache().get(key)
    if not isinstance(html, str):
        html = render_to_string(
            "baskets/partials/basket_panel.html",
            {
                "basket": basket,
                "user": user,
                "next_url": NEXT_PLACEHOLDER,
                "where": where,
                "can_repeat": can_repeat,
                "csrf_token": CSRF_PLACEHOLDER,
            },
        )
        _cache().set(key, html, TIMEOUT)
    return html


def note_on_card(html: str, *, offer_id: int, text: str) -> SafeString:
    """The list with a message inside one card, after its controls (a change made
    without JavaScript comes back to its card with what happened). Cards come from the
    cache: the message is put in the drawn HTML, at the end of that card."""
    start = html.find(f'id="offer-{offer_id}"')
    end = html.find("</li>", start) if start != -1 else -1
    if end == -1:  # not on this page (filtered out): nowhere to put it
        return SafeString(html)
    note = format_html('<p class="line-message" role="alert">{}</p>', text)
    return SafeString(html[:end] + note + html[end:])
