"""The shop's offer cards, cached. A shop page shows hundreds of cards and almost all of
them are the same for every customer; rendering them one by one is most of the page's
cost. Each card not in the customer's basket is cached under a key that holds all it
shows (stock, price, names, language, signed in or not, the page's return address), so
a change of any of these is a new key; stale entries simply expire.

The CSRF token is per customer: cached cards carry a placeholder, replaced on the way
out, so a token never leaks from one customer's page to another's.
"""

import hashlib
from collections.abc import Iterable
from typing import Any

from django.core.cache import cache
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

CSRF_PLACEHOLDER = "__coop_csrf_token__"
TIMEOUT = 15 * 60


def _key(offer: Any, *, language: str, signed_in: bool, next_hash: str) -> str:
    product = offer.product
    state = "|".join(
        str(v)
        for v in (
            offer.remaining,
            offer.quantity,
            offer.price,
            product.updated_at,
            product.farm.name,
        )
    )
    digest = hashlib.blake2b(state.encode(), digest_size=8).hexdigest()
    return f"shop-card:v1:{offer.pk}:{digest}:{language}:{int(signed_in)}:{next_hash}"


def render_cards(
    *, request: object, offers: Iterable[Any], quantities: dict[int, int], next_url: str
) -> dict[int, SafeString]:
    """HTML of each card, from the cache where possible; cards in the basket are live."""
    from django.http import HttpRequest

    assert isinstance(request, HttpRequest)  # noqa: S101
    signed_in = bool(request.user.is_authenticated)
    language = get_language() or ""
    next_hash = hashlib.blake2b(next_url.encode(), digest_size=6).hexdigest()
    base = {"user": request.user, "next_url": next_url, "quantities": quantities}
    offers = list(offers)
    keys = {
        o.pk: _key(o, language=language, signed_in=signed_in, next_hash=next_hash)
        for o in offers
        if not quantities.get(o.pk)
    }
    cached = cache.get_many(list(keys.values())) if keys else {}
    token = get_token(request)
    html: dict[int, SafeString] = {}
    fresh: dict[str, str] = {}
    for offer in offers:
        key = keys.get(offer.pk)
        if key is not None and key in cached:
            text = cached[key]
        else:
            text = render_to_string(
                "baskets/partials/offer.html",
                {**base, "offer": offer, "csrf_token": CSRF_PLACEHOLDER},
            )
            if key is not None:
                fresh[key] = text
        html[offer.pk] = mark_safe(text.replace(CSRF_PLACEHOLDER, token))  # noqa: S308 - our template
    if fresh:
        cache.set_many(fresh, TIMEOUT)
    return html
