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
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from farms.models import Category, Farm
from orders.models import CoopSettings, OrderWindow

from . import selectors

CSRF_PLACEHOLDER = "__coop_csrf_token__"
NEXT_PLACEHOLDER = "__coop_next_url__"
TIMEOUT = 15 * 60
_CARD_MARK = re.compile(r"<!--coop-card (\d+)-->")


def _cache():  # type: ignore[no-untyped-def]
    return caches["pages"]


_MARK = "__coop_"  # how both placeholders begin
_CSRF_REST = CSRF_PLACEHOLDER.removeprefix(_MARK)
_NEXT_REST = NEXT_PLACEHOLDER.removeprefix(_MARK)
# The slots in a list of pieces: the CSRF token, the address in an attribute, in a query.
CSRF_SLOT, NEXT_SLOT, NEXT_QUERY_SLOT = 0, 1, 2
Pieces = list[bytes | int]


def split(html: str) -> Pieces:
    """Cached HTML as UTF-8 pieces: literal bytes, and a slot number where a placeholder
    was (the address in a link's `?next=` is URL-encoded, elsewhere HTML-escaped). A
    page is then the join of its pieces with this request's values, in one pass."""
    parts = html.split(_MARK)
    texts = [parts[0]]
    slots: list[int] = []
    for part in parts[1:]:
        if part.startswith(_CSRF_REST):
            slots.append(CSRF_SLOT)
            texts.append(part[len(_CSRF_REST) :])
        elif part.startswith(_NEXT_REST):
            slots.append(NEXT_QUERY_SLOT if texts[-1].endswith("next=") else NEXT_SLOT)
            texts.append(part[len(_NEXT_REST) :])
        else:  # not a placeholder: as it was
            texts[-1] += _MARK + part
    pieces: Pieces = [texts[0].encode()]
    for slot, text in zip(slots, texts[1:], strict=True):
        pieces += [slot, text.encode()]
    return pieces


def slot_values(request: HttpRequest, next_url: str) -> tuple[bytes, bytes, bytes]:
    """This request's CSRF token (one masked token a request) and address, as the
    slots take them."""
    token = getattr(request, "_coop_csrf_token", None)
    if token is None:
        token = get_token(request)
        request._coop_csrf_token = token  # type: ignore[attr-defined]
    return (
        token.encode(),
        escape(next_url).encode(),
        escape(quote(next_url, safe="")).encode(),
    )


def fill(pieces: Pieces, values: tuple[bytes, bytes, bytes]) -> bytes:
    """The pieces joined, each slot given its value."""
    return b"".join([values[p] if isinstance(p, int) else p for p in pieces])


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
    return f"shop-card:v9:{offer.pk}:{_digest(state)}:{quantity}:{language}:{int(signed_in)}"


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
    """The drawn list: its pieces (see `split`) and where each card is among them."""

    version: str
    pieces: Pieces
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
            # A week with suppliers says « Producteur » where a farms-only week says « Ferme ».
            "has_suppliers": any(
                row[selectors.FARM_KIND_COLUMN] == Farm.Kind.SUPPLIER for row in rows
            ),
        },
    )
    # The marks split the text into [text, pk, text, pk, …, text]: put each card in.
    marked = _CARD_MARK.split(text)
    pieces = split(marked[0])
    spans: dict[int, tuple[int, int]] = {}
    for index in range(1, len(marked), 2):
        pk = int(marked[index])
        card = split(cards[pk])
        spans[pk] = (len(pieces), len(pieces) + len(card))
        pieces += card
        pieces += split(marked[index + 1])
    return OffersList(version=version, pieces=pieces, spans=spans)


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
    key = f"shop-data:v4:{window.pk}"
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
    own: dict[int, Pieces],
) -> Pieces:
    """The offers part of the shop page for this customer, in pieces (see `split`): the
    list from the cache when its version is current (else drawn again), the customer's
    own cards put in over it.
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
        f"shop-offers:v7:{window.pk}:{language}:{int(signed_in)}:"
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
    if not mine:
        return drawn.pieces
    pieces: Pieces = []
    position = 0
    for (start, end), pk in mine:
        pieces += drawn.pieces[position:start]
        pieces += own[pk]
        position = end
    pieces += drawn.pieces[position:]
    return pieces


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
    """What the shop page shows of one customer's basket, in pieces (see `split`):
    their own cards (by offer id), the basket panel and the basket bar."""

    cards: dict[int, Pieces]
    panel: Pieces
    bar: Pieces
    items: int = 0  # the units in the basket, for the header's « Basket (3) »
    hold: selectors.Hold | None = None  # how long its units stay held


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
        selectors.basket_state(customer_id=user.pk, window=window)
        if user.is_authenticated
        else None
    )
    # The hold time is read for a basket with lines only (else there is no hold).
    minutes = hold_minutes() if state and state.lines else 0
    now = timezone.now()
    key = ""
    if state and state.lines and not state.released:
        near = selectors.hold_near(last_activity=state.last_activity, minutes=minutes, now=now)
        key = (
            f"shop-basket:v6:{user.pk}:{state.digest}:{where}:{get_language()}"
            f":{minutes}:{int(near)}"
        )
        parts = _cache().get(key)
        if isinstance(parts, BasketParts):
            return parts, None
    basket = selectors.basket_of(
        customer_id=user.pk if user.is_authenticated else None, window=window
    )
    offers = [line.offer for line in basket.lines]
    selectors.decorate_offers(offers)
    cards = _cards(user=user, offers=offers, quantities=basket.quantities)
    hold = selectors.hold_of(basket=basket, minutes=minutes, now=now)
    parts = BasketParts(
        cards={pk: split(html) for pk, html in cards.items()},
        panel=split(
            _panel(
                request=request,
                basket=basket,
                where=where,
                window=window,
                hold=hold,
            )
        ),
        bar=split(
            render_to_string("baskets/partials/basket_bar.html", {"basket": basket, "user": user})
        ),
        items=basket.totals.items,
        hold=hold,
    )
    if key:
        _cache().set(key, parts, TIMEOUT)
    return parts, basket


def hold_minutes() -> int:
    """The co-op's hold time, kept as the open window is (`briefly`)."""
    return int(briefly("coop-hold-minutes:v1", _hold_minutes_read))


def _hold_minutes_read() -> int:
    # Read only: the page creates no settings row (CoopSettings.load would).
    found = CoopSettings.objects.filter(pk=1).values_list("basket_hold_minutes", flat=True)
    first = found.first()
    if first is None:
        return int(CoopSettings._meta.get_field("basket_hold_minutes").get_default())
    return int(first)


def _panel(
    *,
    request: HttpRequest,
    basket: selectors.Basket,
    where: str,
    window: Any,
    hold: selectors.Hold | None,
) -> str:
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
            hold,
        )
    )
    key = f"shop-panel:v8:{_digest(state, 20)}"
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
                "hold": hold,
            },
        )
        _cache().set(key, html, TIMEOUT)
    return html


def note_on_card(html: bytes, *, offer_id: int, text: str) -> bytes | None:
    """The list with a message inside one card, after its controls (a change made
    without JavaScript comes back to its card with what happened); None when the card is
    not on this page (a filter)."""
    start = html.find(f'id="offer-{offer_id}"'.encode())
    end = html.find(b"</li>", start) if start != -1 else -1
    if end == -1:
        return None
    note = format_html('<p class="line-message" role="alert">{}</p>', text).encode()
    return html[:end] + note + html[end:]
