"""Small typed factories: each makes one valid object with sensible defaults."""

import itertools
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import User
from farms.models import Category, Farm, FarmMember, Product, Region, TaxClass, Unit
from orders.models import Offer, Order, OrderWindow, PickupPoint

PASSWORD = "correct-horse-battery-staple"
_seq = itertools.count(1)


def user(*, email: str | None = None, verified: bool = True, **fields: Any) -> User:
    email = email or f"user{next(_seq)}@example.org"
    u = User.objects.create_user(email=email, password=PASSWORD, **fields)
    EmailAddress.objects.create(user=u, email=email, verified=verified, primary=True)
    return u


def coordinator(**fields: Any) -> User:
    u = user(**fields)
    # get_or_create: a transactional test before this one flushed the migration's row.
    u.groups.add(Group.objects.get_or_create(name=settings.COORDINATORS_GROUP)[0])
    return u


def farm(**fields: Any) -> Farm:
    n = next(_seq)
    defaults: dict[str, object] = {
        "name": f"Ferme {n}",
        "slug": f"ferme-{n}",
        "region": Region.ESTRIE,
    }
    return Farm.objects.create(**{**defaults, **fields})


def farmer(*, farm_: Farm | None = None, **fields: Any) -> User:
    u = user(**fields)
    FarmMember.objects.create(farm=farm_ or farm(), user=u)
    return u


def product(*, farm_: Farm | None = None, **fields: Any) -> Product:
    defaults: dict[str, object] = {
        "name": f"Carottes {next(_seq)}",
        "category": Category.VEGETABLES,
        "unit": Unit.BUNCH,
        "price": Decimal("3.50"),
        "tax_class": TaxClass.ZERO_RATED,
        "default_quantity": 20,
    }
    return Product.objects.create(farm=farm_ or farm(), **{**defaults, **fields})


def window(*, open_now: bool = True, **fields: Any) -> OrderWindow:
    now = timezone.now()
    opens = now - timedelta(days=1) if open_now else now + timedelta(days=3)
    defaults: dict[str, object] = {
        "opens_at": opens,
        "closes_at": opens + timedelta(days=4),
        "pickup_date": (opens + timedelta(days=6)).date(),
    }
    return OrderWindow.objects.create(**{**defaults, **fields})


def offer(
    *, window_: OrderWindow | None = None, product_: Product | None = None, quantity: int = 10
) -> Offer:
    p = product_ or product()
    return Offer.objects.create(
        window=window_ or window(), product=p, quantity=quantity, remaining=quantity, price=p.price
    )


def pickup_point(**fields: Any) -> PickupPoint:
    n = next(_seq)
    defaults: dict[str, object] = {
        "name": f"Point {n}",
        "slug": f"point-{n}",
        "address": "1 rue Principale",
        "city": "Montréal",
        "opens_at": time(16),
        "closes_at": time(19),
    }
    return PickupPoint.objects.create(**{**defaults, **fields})


def order(
    *, window_: OrderWindow | None = None, customer: User | None = None, **fields: Any
) -> Order:
    return Order.objects.create(window=window_ or window(), customer=customer or user(), **fields)


__all__ = ["PASSWORD", "date"]
