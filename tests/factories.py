"""Small typed factories: each makes one valid object with sensible defaults.

They build through the shared factories of `demo.factories`, with the plain,
predictable values the tests compare against (``user12@example.org``, no name and no
phone, « Ferme 12 » in Estrie, carrots at 3.50, « 1 rue Principale »): Faker's names
would make a test's expected text depend on the draw.
"""

import itertools
from datetime import date, timedelta
from typing import Any

from accounts.models import User
from demo import factories as f
from demo.factories import PASSWORD
from farms.models import Farm, Product
from orders.models import Offer, Order, OrderWindow, PickupPoint

_seq = itertools.count(1)
NO_NAME: dict[str, Any] = {"first_name": "", "last_name": "", "phone": ""}


def user(*, email: str | None = None, verified: bool = True, **fields: Any) -> User:
    email = email or f"user{next(_seq)}@example.org"
    return f.UserFactory.create(email=email, verified=verified, **{**NO_NAME, **fields})


def coordinator(**fields: Any) -> User:
    email = fields.pop("email", None) or f"user{next(_seq)}@example.org"
    return f.CoordinatorFactory.create(email=email, **{**NO_NAME, **fields})


def farm(**fields: Any) -> Farm:
    n = next(_seq)
    defaults: dict[str, object] = {
        "name": f"Ferme {n}",
        "slug": f"ferme-{n}",
        "town": "",
        "phone": "",
    }
    return f.FarmFactory.create(**{**defaults, **fields})


def farmer(*, farm_: Farm | None = None, **fields: Any) -> User:
    email = fields.pop("email", None) or f"user{next(_seq)}@example.org"
    return f.FarmerFactory.create(
        email=email, membership__farm=farm_ or farm(), **{**NO_NAME, **fields}
    )


def product(*, farm_: Farm | None = None, **fields: Any) -> Product:
    defaults: dict[str, object] = {"name": f"Carottes {next(_seq)}"}
    return f.ProductFactory.create(farm=farm_ or farm(), **{**defaults, **fields})


def window(*, open_now: bool = True, **fields: Any) -> OrderWindow:
    # The defaults follow `open_now` alone, whatever else is given (as they always did).
    opens = f.OrderWindowFactory.build(open_now=open_now).opens_at
    defaults: dict[str, object] = {
        "opens_at": opens,
        "closes_at": opens + timedelta(days=4),
        "pickup_date": (opens + timedelta(days=6)).date(),
    }
    return f.OrderWindowFactory.create(**{**defaults, **fields})


def offer(
    *, window_: OrderWindow | None = None, product_: Product | None = None, quantity: int = 10
) -> Offer:
    return f.OfferFactory.create(
        window=window_ or window(), product=product_ or product(), quantity=quantity
    )


def pickup_point(**fields: Any) -> PickupPoint:
    n = next(_seq)
    defaults: dict[str, object] = {
        "name": f"Point {n}",
        "slug": f"point-{n}",
        "address": "1 rue Principale",
        "city": "Montréal",
    }
    return f.PickupPointFactory.create(**{**defaults, **fields})


def order(
    *, window_: OrderWindow | None = None, customer: User | None = None, **fields: Any
) -> Order:
    return f.OrderFactory.create(window=window_ or window(), customer=customer or user(), **fields)


__all__ = ["PASSWORD", "date"]
