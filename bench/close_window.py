"""Time the closing of one large window: `orders.closing.window_close` and nothing else.

What it does:

1. picks the database: DATABASE_URL when set (PostgreSQL on 127.0.0.1; the database
   named in the URL, `coop_bench_close` when the URL names none, must have "bench" in
   its name: it is created, or dropped and created again if a previous `--keep` run left
   it, and dropped at the end unless --keep), otherwise a temporary SQLite file;
2. migrates it and seeds, with bulk inserts in batches, one window whose deadline has
   passed, built with the shared factories (`demo.factories`: `build()` then
   bulk_create): the 40 farms of the demo co-op with 8 to 14 products each (French names,
   Decimal prices, zero-rated and taxable), 3 to 8 pickup points (--points, some with
   time slots), and N customers (--orders) with one CONFIRMED order each, about 10
   lines of 1 to 3 units, a pickup point and, where the point has them, a time slot.
   Every offer's `remaining` is its quantity less the units ordered. --baskets adds
   baskets never confirmed, holding stock, for the close to discard (none by default);
3. closes the window in a fresh process of this same script (`--close-only ID`), so
   that its peak RSS is the close's (plus Django's imports, shown on the line before),
   not the seeding's; --in-process closes in the seeding process instead.

Production-like settings (DEBUG=0, so no query log), emails through Django's locmem
backend (counted, never sent), lists and sheets under a temporary PRIVATE_ROOT removed
at the end (kept with --keep, like the database).

Measured around `window_close(window_id=..., now=timezone.now())` only: wall time
(time.perf_counter), SQL statements (a counting `connection.execute_wrapper`; a
server-side cursor's extra fetches are not statements and are not counted), peak RSS
(`ru_maxrss` of the closing process) and pages, the sum of the window's
`PickupDocument.pages`. The line before the last adds the close's CPU time (this
process only, PostgreSQL's not included) and the load average: on a shared machine the
wall time follows the other processes' load, the CPU time hardly.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/coop_bench_close \\
        .venv/bin/python bench/close_window.py --orders 10000

Prints the seeding on one line, the close's details on another, and last:

    orders=N lines=L seconds=S queries=Q peak_rss_mb=M pages=P

`--profile FILE` writes a cProfile of the close alone (its seconds then include the
profiler's overhead); read it with `python -m pstats FILE`.

`--card-share F` (0 to 1, default 0) makes that share of the orders card orders with an
authorized hold, so the close also captures them (`payments.window_collect`) through the
real `stripe` library over HTTP. Stripe is `tests.fake_stripe.FakeStripe`, started in
this process on 127.0.0.1; it holds a manual-capture PaymentIntent (`requires_capture`)
of each card order's total (`payments.hold_needed`: what it owes, `payments.owed`, or
with pieces sold by weight their estimate plus the co-op's margin), its customer and
saved card, and our Payment row (a HOLD, authorized) points at it. The closing process
gets STRIPE_SECRET_KEY, STRIPE_API_BASE (the fake) and STRIPE_IDEMPOTENCY_PREFIX. After
the close every card order must have been captured once, for what it owes, except one
with pieces still to weigh (see --weighed-share), which must not have been captured at
all; the last line then adds `card_orders=C stripe_calls=S` (the requests the fake
answered during the close), the line before it the calls by endpoint. The fake answers
in about a millisecond, Stripe in 200 to 500 ms: multiply. Without --card-share no
STRIPE_* variable reaches the close, so it never calls out.

`--weighed-share F` (0 to 1, default 0) makes that share of the products (rounded)
sold by the piece and priced by weight (#17): unit "kg", a price per kg of 8 to 30 $
and an `estimated_weight` of 0.5 to 3 kg a piece, which their order lines copy into
`unit_weight_estimate`. They are chosen, with their prices and weights, by a generator
of their own seeded from SEED: runs are repeatable, and the rest of the week (offers,
orders, lines, units, card orders) is drawn as without the option. No piece is weighed
at the close (`pickup.weighing` does it after), so every line of such a product keeps
`weight` NULL, its order waits for weights (`orders.selectors.awaiting_weights()`) and
the farm lists print a label line per piece to weigh. With --card-share, a card order
with such a line must NOT be captured at the close: its hold stays authorized (Stripe
`requires_capture`, nothing received, covering at least what it owes); every other card
order is captured once, for what it owes. When the option is given, the seed line adds
`weighed_offers= weighed_lines=`, the `cards:` line `to_weigh=` (card orders with such a
line), and the last line

    weighed_lines=W awaiting_orders=A

the locked orders' lines sold by weight, and the orders still waiting for pieces to be
weighed, which must be every order with such a line; the `stripe:` line always says
`held_to_weigh=`, the card orders left authorized.
"""

import argparse
import json
import os
import random
import re
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as clock_time
from decimal import Decimal
from pathlib import Path
from types import FrameType
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DB = "coop_bench_close"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
SEED = 2026
BATCH = 1000
# Both mailers in memory: the queued one and the one the close sends farm lists with.
LOCMEM = {
    alias: {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    for alias in ("default", "deliver")
}
FAKE_STRIPE_KEY = "sk_test_coop_bench"
STRIPE_VARIABLES = (
    "STRIPE_SECRET_KEY",
    "STRIPE_PUBLISHABLE_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "STRIPE_API_BASE",
    "STRIPE_IDEMPOTENCY_PREFIX",
)


# --- Environment, before Django is set up -------------------------------------------------


class Stop(Exception):
    """SIGTERM or SIGHUP: unwind through the `finally` blocks that clean up."""


def _stop(signum: int, frame: FrameType | None) -> None:
    raise Stop(signal.Signals(signum).name)


@dataclass(slots=True)
class Target:
    """Where the bench writes: a PostgreSQL database of its own, or a SQLite file."""

    url: str  # empty for SQLite: a file in the scratch folder
    pg_name: str | None  # the PostgreSQL database to create and drop; None for SQLite

    def url_in(self, scratch: Path) -> str:
        return self.url or f"sqlite:///{scratch / 'bench.sqlite3'}"


def choose_database() -> Target:
    """DATABASE_URL's PostgreSQL database, checked; no DATABASE_URL means SQLite."""
    url = os.environ.get("DATABASE_URL", "")
    if not url or url.startswith("sqlite:"):  # a child is handed its parent's SQLite file
        return Target(url=url, pg_name=None)
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise SystemExit(
            f"DATABASE_URL must be a postgres:// URL, a sqlite: one, or unset, not {url!r}"
        )
    if parts.hostname not in LOCAL_HOSTS:
        raise SystemExit(f"the bench talks to 127.0.0.1 only, not {parts.hostname!r}")
    name = parts.path.lstrip("/") or DEFAULT_DB
    if "bench" not in name:
        raise SystemExit(
            f"refusing database {name!r}: the bench drops the database it seeds, so its "
            f"name must contain 'bench' (e.g. {DEFAULT_DB})"
        )
    url = urllib.parse.urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))
    return Target(url=url, pg_name=name)


def production_environment(
    *,
    db_url: str,
    scratch: Path,
    private: Path | None = None,
    stripe: dict[str, str] | None = None,
) -> None:
    """DEBUG=0 (no query log, as in production), files and broker under `scratch`;
    the lists and sheets under `private` if given (a kept run's), else there too.
    Stripe only as `stripe` says (a fake on 127.0.0.1), never the caller's own keys."""
    for name in STRIPE_VARIABLES:
        os.environ.pop(name, None)
    os.environ.update(stripe or {})
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "coop_shop.settings",
            "DEBUG": "0",
            "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(50),
            "DATABASE_URL": db_url,
            "VAR_DIR": str(scratch),
            "PRIVATE_ROOT": str(private or scratch / "private"),
            "MEDIA_ROOT": str(scratch / "media"),
            "STATIC_ROOT": str(scratch / "static"),
            "CELERY_FS_DIR": str(scratch / "celery"),
            "EMAIL_CONSOLE": "1",  # never SMTP; replaced by locmem once Django is set up
            "LOG_LEVEL": "WARNING",
        }
    )
    os.environ.pop("CELERY_BROKER_URL", None)


def setup_django() -> None:
    import django
    from django.conf import settings
    from django.core import mail

    django.setup()
    settings.MAILERS = LOCMEM
    mail.outbox = []


def create_database(name: str) -> None:
    from django.db import connection

    with connection._nodb_cursor() as cursor:  # noqa: SLF001
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone():  # left by a --keep run: start afresh
            cursor.execute(f'DROP DATABASE "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    from django.db import connections

    connections.close_all()
    with connections["default"]._nodb_cursor() as cursor:  # noqa: SLF001
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')


def fake_stripe_environment(base_url: str) -> dict[str, str]:
    """What the closing process needs to capture through the fake Stripe."""
    return {
        "STRIPE_SECRET_KEY": FAKE_STRIPE_KEY,
        "STRIPE_API_BASE": base_url,
        "STRIPE_IDEMPOTENCY_PREFIX": "coop-bench",
    }


def inherited_fake_stripe() -> dict[str, str] | None:
    """A child's STRIPE_* variables if they lead to a fake on this machine, else None."""
    base = os.environ.get("STRIPE_API_BASE", "")
    if urllib.parse.urlsplit(base).hostname not in LOCAL_HOSTS:
        return None
    return {name: os.environ[name] for name in STRIPE_VARIABLES if name in os.environ}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def current_rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


# --- Seeding --------------------------------------------------------------------------------


class ExtraPoint(NamedTuple):
    name: str
    slug: str
    address: str
    city: str
    instructions: str
    opens: tuple[int, int]
    closes: tuple[int, int]
    weight: int  # share of the orders picked up there
    slots: int  # one-hour time slots from the opening, 0 for none


# Pickup points beyond the demo co-op's three (its first one has time slots).
# fmt: off
EXTRA_POINTS: tuple[ExtraPoint, ...] = (
    ExtraPoint("Marché Jean-Talon, kiosque de la coop", "jean-talon",
               "7070, avenue Henri-Julien", "Montréal",
               "Kiosque 12, allée centrale. Présentez votre nom au comptoir.",
               (15, 0), (19, 0), 30, 4),
    ExtraPoint("Sous-sol de l'église Saint-Roch", "saint-roch", "590, rue Saint-Joseph Est",
               "Québec", "Entrée latérale, rue de la Couronne. Ascenseur disponible.",
               (16, 0), (19, 0), 15, 0),
    ExtraPoint("Grange du Vieux-Terrebonne", "vieux-terrebonne",
               "850, rue Saint-François-Xavier", "Terrebonne",
               "Stationnement sur l'île des Moulins.", (13, 0), (17, 0), 15, 4),
    ExtraPoint("Épicerie zéro déchet de Sherbrooke", "sherbrooke", "165, rue Wellington Nord",
               "Sherbrooke", "Apportez vos contenants pour le vrac.", (15, 0), (18, 30), 10, 0),
    ExtraPoint("Centre communautaire de Trois-Rivières", "trois-rivieres",
               "1200, rue des Forges", "Trois-Rivières", "Salle B, au rez-de-chaussée.",
               (16, 0), (18, 0), 10, 2),
)
# fmt: on


@dataclass(slots=True)
class PointPlan:
    name: str
    slug: str
    address: str
    city: str
    instructions: str
    opens_at: clock_time
    closes_at: clock_time
    weight: int
    slots: list[tuple[clock_time, clock_time]]
    taken: Counter[int] = field(default_factory=Counter)  # orders per slot index


@dataclass(slots=True)
class OrderPlan:
    point: int  # index in the points
    slot: int | None  # index in the point's slots
    lines: list[tuple[int, int]]  # (offer index, units)
    confirmed: bool = True
    card: bool = False  # paid by card: a hold to capture at close


@dataclass(slots=True)
class Seeded:
    window_id: int
    farms: int
    products: int
    points: int
    slots: int
    orders: int
    baskets: int
    lines: int
    units: int
    taxable_lines: int
    card_orders: int
    weighed_products: int = 0  # sold by the piece, priced by weight (--weighed-share)
    weighed_lines: int = 0  # confirmed lines of those products
    weighed_card_orders: int = 0  # card orders with such a line: held until weighed


def batches[T](items: Iterable[T], size: int = BATCH) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def point_plans(count: int) -> list[PointPlan]:
    from demo import catalogue as demo_data

    plans = [
        PointPlan(
            name=spec.name,
            slug=spec.slug,
            address=spec.address,
            city=spec.city,
            instructions=spec.instructions,
            opens_at=spec.opens_at,
            closes_at=spec.closes_at,
            weight=spec.weight,
            slots=[(slot.starts_at, slot.ends_at) for slot in spec.slots],
        )
        for spec in demo_data.PICKUP_POINTS
    ]
    for extra in EXTRA_POINTS:
        first = extra.opens[0]
        plans.append(
            PointPlan(
                name=extra.name,
                slug=extra.slug,
                address=extra.address,
                city=extra.city,
                instructions=extra.instructions,
                opens_at=clock_time(*extra.opens),
                closes_at=clock_time(*extra.closes),
                weight=extra.weight,
                slots=[
                    (clock_time(first + h), clock_time(first + h + 1)) for h in range(extra.slots)
                ],
            )
        )
    return plans[:count]


def price(rng: random.Random, base: Decimal) -> Decimal:
    """The template's price, give or take 10 %, rounded to 5 cents."""
    cents = int(base * 100) * rng.randint(90, 112) // 100
    return (Decimal(max(5, (cents + 2) // 5 * 5)) / 100).quantize(Decimal("0.01"))


def is_card(n: int, share: float) -> bool:
    """Spread `share` of the orders evenly: order n is a card one when the running
    count of card orders, n × share rounded down, goes up."""
    return int((n + 1) * share) > int(n * share)


def weighed_products(count: int, share: float) -> dict[int, tuple[Decimal, Decimal]]:
    """`share` of the `count` products (rounded) sold by the piece and priced by weight:
    their index → (price per kg, 8 to 30 $ by 5 cents; estimated kg per piece, 0.5 to
    3 by 10 g). Drawn from a generator of their own, seeded from SEED: repeatable, and
    the rest of the week (products, orders, lines, units) is drawn exactly as without
    --weighed-share, whatever the share."""
    rng = random.Random(f"{SEED}:weighed")  # noqa: S311 - bench data, not secrets
    chosen = sorted(rng.sample(range(count), round(count * share)))
    return {
        index: (Decimal(rng.randint(160, 600) * 5) / 100, Decimal(rng.randint(50, 300)) / 100)
        for index in chosen
    }


def seed(
    *,
    orders: int,
    points: int,
    baskets: int,
    card_share: float = 0.0,
    weighed_share: float = 0.0,
) -> Seeded:
    import factory
    import factory.random
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone
    from django.utils.text import slugify

    from demo import catalogue as demo_data
    from demo import factories as f
    from farms.models import Farm, FarmMember, Product, TaxClass, Unit
    from orders.models import Offer, Order, OrderLine, OrderWindow, PickupPoint, PickupSlot

    rng = random.Random(SEED)  # noqa: S311 - bench data, not secrets
    factory.random.reseed_random(SEED)  # factory_boy's and Faker's draws
    now = timezone.now()
    unusable = factory.Transformer.Force(make_password(None))

    # Everything is planned in memory first: offers are sized on what was ordered.
    farm_specs = list(demo_data.FARMS)
    catalogue: list[tuple[int, demo_data.ProductTemplate]] = []  # (farm index, template)
    for index, spec in enumerate(farm_specs):
        pool: list[demo_data.ProductTemplate] = []
        for kind in spec.kinds:
            pool += [t for t in demo_data.CATALOGUE[kind] if t not in pool]
        for template in rng.sample(pool, min(len(pool), rng.randint(8, 14))):
            catalogue.append((index, template))
    # Some products sell much more than others.
    popularity = [rng.choice((1, 1, 1, 2, 2, 3, 5, 8)) for _ in catalogue]
    cumulative = [sum(popularity[: i + 1]) for i in range(len(popularity))]
    offer_indexes = range(len(catalogue))
    by_weight = weighed_products(len(catalogue), weighed_share)

    pickups = point_plans(points)
    point_weights = [p.weight for p in pickups]
    plans: list[OrderPlan] = []
    for n in range(orders + baskets):
        wanted = rng.randint(7, 13)  # about 10 lines an order
        chosen: dict[int, int] = {}
        while len(chosen) < wanted:
            for offer_index in rng.choices(offer_indexes, cum_weights=cumulative, k=wanted):
                if len(chosen) < wanted and offer_index not in chosen:
                    chosen[offer_index] = rng.choices((1, 2, 3), weights=(70, 22, 8))[0]
        confirmed = n < orders
        point = rng.choices(range(len(pickups)), weights=point_weights)[0]
        slot = None
        if confirmed and pickups[point].slots:
            slot = rng.randrange(len(pickups[point].slots))
            pickups[point].taken[slot] += 1
        plans.append(
            OrderPlan(
                point=point,
                slot=slot,
                lines=list(chosen.items()),
                confirmed=confirmed,
                card=confirmed and is_card(n, card_share),  # no draw: same week either way
            )
        )
    ordered: Counter[int] = Counter()
    for plan in plans:
        for offer_index, units in plan.lines:
            ordered[offer_index] += units

    with transaction.atomic():
        farms: list[Farm] = []
        for index, spec in enumerate(farm_specs):
            slug = slugify(spec.name)
            farms.append(
                f.FarmFactory.build(
                    name=spec.name,
                    slug=slug,
                    region=spec.region,
                    town=spec.town,
                    description=spec.description,
                    practices=spec.practices,
                    # Every 8th farm has no address of its own: its members get the list.
                    email="" if index % 8 == 7 else f"bonjour@{slug}.example",
                    phone=f"{demo_data.AREA_CODES.get(spec.region, '418')} 555-01{index:02d}",
                    language=spec.language,
                )
            )
        Farm.objects.bulk_create(farms, batch_size=BATCH)
        farmers = [
            f.UserFactory.build(
                email=f"proprio@{farm.slug}.example", password=unusable, email_address=None
            )
            for farm in farms
            if not farm.email
        ]
        f.create_users(farmers)
        FarmMember.objects.bulk_create(
            [
                f.FarmMemberFactory.build(farm=farm, user=user)
                for farm, user in zip([x for x in farms if not x.email], farmers, strict=True)
            ]
        )

        products = [
            f.ProductFactory.build(
                farm=farms[farm_index],
                name=template.name,
                category=template.category,
                description=template.description,
                unit=template.unit,
                package_size=template.package_size,
                price=price(rng, template.price),  # drawn for every product: same draws
                tax_class=template.tax_class,
                default_quantity=template.default_quantity,
            )
            for farm_index, template in catalogue
        ]
        for index, (per_kg, piece_kg) in by_weight.items():
            # Sold by the piece at about piece_kg, priced per kg (a chicken, a cheese).
            product = products[index]
            product.unit, product.package_size = Unit.KG, ""
            product.price, product.estimated_weight = per_kg, piece_kg
        Product.objects.bulk_create(products, batch_size=BATCH)

        point_objs = PickupPoint.objects.bulk_create(
            f.PickupPointFactory.build(
                name=p.name,
                slug=p.slug,
                address=p.address,
                city=p.city,
                instructions=p.instructions,
                opens_at=p.opens_at,
                closes_at=p.closes_at,
            )
            for p in pickups
        )
        slot_objs: list[list[PickupSlot]] = [
            PickupSlot.objects.bulk_create(
                f.PickupSlotFactory.build(
                    pickup_point=obj,
                    starts_at=starts,
                    ends_at=ends,
                    capacity=plan.taken[i] + 10,  # room for everyone placed there
                )
                for i, (starts, ends) in enumerate(plan.slots)
            )
            for obj, plan in zip(point_objs, pickups, strict=True)
        ]

        window = f.OrderWindowFactory.create(
            opens_at=now - timedelta(days=6),
            closes_at=now - timedelta(minutes=5),  # past: the close is due
            pickup_date=timezone.localdate(now) + timedelta(days=2),
            status=OrderWindow.Status.OPEN,
            note="Semaine de référence du banc d'essai",
        )
        offers = []
        for offer_index, product in enumerate(products):
            sold = ordered[offer_index]
            quantity = sold + rng.randint(0 if sold else 5, 30)
            offers.append(
                f.OfferFactory.build(
                    window=window, product=product, quantity=quantity, remaining=quantity - sold
                )
            )
        Offer.objects.bulk_create(offers, batch_size=BATCH)

        customers = [customer(rng, n, unusable) for n in range(len(plans))]
        for batch in batches(customers):
            f.create_users(batch)
        order_objs = [
            order(rng, window, plan, person, point_objs, slot_objs)
            for plan, person in zip(plans, customers, strict=True)
        ]
        for batch in batches(order_objs):
            Order.objects.bulk_create(batch)

        def lines() -> Iterator[OrderLine]:
            for plan, obj in zip(plans, order_objs, strict=True):
                for offer_index, units in plan.lines:
                    # Not OrderLineFactory.build: 6 times slower, 0.5 s per 10 000 lines.
                    yield f.order_line(obj, offers[offer_index], units)

        for batch in batches(lines(), 5000):
            OrderLine.objects.bulk_create(batch, batch_size=BATCH)

    confirmed_lines = [line for plan in plans if plan.confirmed for line in plan.lines]
    return Seeded(
        window_id=window.pk,
        farms=len(farms),
        products=len(products),
        points=len(point_objs),
        slots=sum(len(s) for s in slot_objs),
        orders=orders,
        baskets=baskets,
        lines=len(confirmed_lines),
        units=sum(units for _, units in confirmed_lines),
        taxable_lines=sum(
            1 for i, _ in confirmed_lines if products[i].tax_class == TaxClass.TAXABLE
        ),
        card_orders=sum(plan.card for plan in plans),
        weighed_products=len(by_weight),
        weighed_lines=sum(1 for i, _ in confirmed_lines if i in by_weight),
        weighed_card_orders=sum(
            1 for plan in plans if plan.card and any(i in by_weight for i, _ in plan.lines)
        ),
    )


def customer(rng: random.Random, n: int, password: Any) -> Any:
    """A customer of Québec (`demo.factories.UserFactory`, unsaved): mostly French names,
    some English ones, a few hyphenated; Faker's names, phone in the 555 exchange."""
    import factory
    from django.utils.text import slugify

    from demo import factories as f

    english = rng.randrange(100) < 12
    locale = "en_CA" if english else "fr_CA"
    person = f.UserFactory.build(
        first_name=factory.Faker("first_name", locale=locale),
        last_name=factory.Faker("last_name", locale=locale),
        language="en" if english else "fr-ca",
        password=password,
        email_address=None,  # made in bulk by create_users
    )
    if rng.randrange(100) < 8:
        other = f.UserFactory.build(
            last_name=factory.Faker("last_name", locale=locale),
            password=password,  # not hashed again (PBKDF2 takes 0.3 s)
            email_address=None,
        )
        person.last_name = f"{person.last_name}-{other.last_name}"
    person.email = f"{slugify(person.first_name)}.{slugify(person.last_name)}.{n}@courriel.example"
    return person


def order(
    rng: random.Random,
    window: Any,
    plan: OrderPlan,
    person: Any,
    points: list[Any],
    slots: list[list[Any]],
) -> Any:
    from demo import factories as f
    from orders.models import Order, Payment

    moment: datetime = window.opens_at + timedelta(seconds=rng.randrange(6 * 24 * 3600 - 600))
    if not plan.confirmed:
        return f.OrderFactory.build(
            window=window, customer=person, status=Order.Status.BASKET, last_activity_at=moment
        )
    return f.OrderFactory.build(
        window=window,
        customer=person,
        status=Order.Status.CONFIRMED,
        pickup_point=points[plan.point],
        pickup_slot=slots[plan.point][plan.slot] if plan.slot is not None else None,
        language=person.language,
        last_activity_at=moment,
        confirmed_at=moment,
        payment_method=Payment.Method.CARD if plan.card else "",
    )


# --- Card holds -----------------------------------------------------------------------------


def stripe_post(base_url: str, path: str, params: dict[str, str]) -> dict[str, Any]:
    """One form-encoded POST to the fake Stripe, as the `stripe` library would send it
    (plain urllib: half the time of the library's `requests`, for thousands of calls)."""
    request = urllib.request.Request(  # noqa: S310 - the fake, on 127.0.0.1
        base_url + path,
        data=urllib.parse.urlencode(params).encode(),
        headers={"Authorization": f"Bearer {FAKE_STRIPE_KEY}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        answer: dict[str, Any] = json.load(response)
    return answer


def seed_holds(fake: Any, window_id: int) -> int:
    """What Checkout leaves for each card order: a Stripe customer with a saved card, a
    PaymentIntent holding the order's total (manual capture, `requires_capture`), and
    our authorized HOLD payment pointing at it. The total is `payments.hold_needed`:
    what the order owes, its pieces sold by weight counted at their estimate plus the
    co-op's margin (the same as `owed` for an order without them). Returns the number
    of holds."""
    from django.conf import settings
    from django.db import transaction

    from demo import factories as f
    from orders import pricing
    from orders.models import Order, Payment, StripeCustomer
    from payments import ledger as payments

    card_orders = Order.objects.filter(window_id=window_id, payment_method=Payment.Method.CARD)
    ids = list(card_orders.order_by("pk").values_list("pk", flat=True))
    made = 0
    for chunk in batches(ids):
        customers: list[StripeCustomer] = []
        holds: list[Payment] = []
        for order in (
            card_orders.filter(pk__in=chunk).select_related("customer").prefetch_related("lines")
        ):
            total = payments.hold_needed(order)
            user = order.customer
            if user is None:  # the bench's orders are all customers'
                raise RuntimeError(f"order {order.pk} has no customer")
            customer = stripe_post(
                fake.base_url,
                "/v1/customers",
                {"email": user.email, "metadata[user_id]": str(user.pk)},
            )["id"]
            card = fake.add_payment_method(customer)
            intent = stripe_post(
                fake.base_url,
                "/v1/payment_intents",
                {
                    "amount": str(pricing.to_cents(total)),
                    "currency": settings.STRIPE_CURRENCY,
                    "customer": customer,
                    "payment_method": card,
                    "capture_method": "manual",
                    "setup_future_usage": "off_session",
                    "confirm": "true",
                    "automatic_payment_methods[enabled]": "true",
                    "automatic_payment_methods[allow_redirects]": "never",
                    "description": f"order {order.pk}",
                    "metadata[order_id]": str(order.pk),
                },
            )
            if intent["status"] != "requires_capture":
                raise RuntimeError(f"order {order.pk}: the hold is {intent['status']}")
            customers.append(StripeCustomer(user_id=user.pk, customer_id=customer))
            holds.append(
                f.PaymentFactory.build(
                    order=order,
                    status=Payment.Status.AUTHORIZED,
                    amount=Decimal("0.00"),  # nothing requested or captured yet
                    amount_authorized=total,
                    stripe_payment_intent_id=intent["id"],
                    stripe_customer_id=customer,
                    stripe_payment_method_id=card,
                )
            )
        with transaction.atomic():
            StripeCustomer.objects.bulk_create(customers)
            Payment.objects.bulk_create(holds)
        made += len(holds)
    return made


STRIPE_ID = re.compile(r"/[a-z]{2,3}_(?:test_)?[A-Za-z0-9]{8,}")


class CardReport(NamedTuple):
    details: str  # a line of its own: the calls by endpoint
    figures: str  # added to the last line
    problems: list[str]


def to_weigh(order: Any) -> bool:
    """Whether the order has pieces sold by weight still to weigh: delivered units of a
    weighed line with no weight yet (`orders.selectors.lines_awaiting_weights`, read
    on the prefetched lines)."""
    return any(
        line.unit_weight_estimate is not None and line.weight is None and line.delivered
        for line in order.lines.all()
    )


def card_report(fake: Any, window_id: int, calls_before: int) -> CardReport:
    """The fake's requests since `calls_before` (the close's), and whether each card
    order was captured exactly once, for what it owes; or, when it has pieces still to
    weigh, not captured at all: its hold stays authorized for the weighing."""
    from orders import pricing
    from orders.models import Order, Payment
    from payments import ledger as payments

    calls = fake.requests[calls_before:]
    endpoints = Counter(f"{r.method} {STRIPE_ID.sub('/{id}', r.path)}" for r in calls)
    failed = sum(r.status >= 400 for r in calls)
    replayed = sum(r.replayed for r in calls)
    orders = (
        Order.objects.filter(window_id=window_id, payment_method=Payment.Method.CARD)
        .prefetch_related("lines", "payments")
        .order_by("pk")
    )
    card_orders = held = 0
    wrong: Counter[str] = Counter()
    for order in orders:
        card_orders += 1
        due = payments.owed(order)
        rows = list(order.payments.all())
        if len(rows) != 1 or rows[0].kind != Payment.Kind.HOLD:
            kinds = "+".join(sorted(p.kind for p in rows))
            wrong[f"payments {kinds} instead of the hold alone"] += 1
        holds = [p for p in rows if p.kind == Payment.Kind.HOLD]
        if not holds:
            continue
        hold = holds[0]
        intent_id = hold.stripe_payment_intent_id or ""
        captures = fake.captures(intent_id)
        if to_weigh(order):  # taken once weighed (`pickup.weighing`), not at the close
            held += 1
            intent = fake.intent(intent_id)
            if captures:
                wrong[f"to weigh, but captured {captures} times at Stripe"] += 1
            if hold.status != Payment.Status.AUTHORIZED:
                wrong[f"to weigh, but hold {hold.status}"] += 1
            if hold.amount_captured:
                wrong["to weigh, but amount_captured is not 0"] += 1
            if intent["status"] != "requires_capture" or intent["amount_received"]:
                wrong["to weigh, but the Stripe hold is no longer requires_capture"] += 1
            if hold.amount_authorized < due:
                wrong["to weigh, but the hold is below what the order owes"] += 1
            continue
        if captures != 1:
            wrong[f"captured {captures} times at Stripe"] += 1
        if hold.status != Payment.Status.CAPTURED:
            wrong[f"hold {hold.status}"] += 1
        if hold.amount_captured != due:
            wrong["amount_captured is not what the order owes"] += 1
        if fake.intent(intent_id)["amount_received"] != pricing.to_cents(due):
            wrong["Stripe received another amount than owed"] += 1
    problems = [f"{count} card orders: {what}" for what, count in sorted(wrong.items())]
    if not card_orders:
        problems.append("no card orders")
    per_order = len(calls) / card_orders if card_orders else 0.0
    by_endpoint = ", ".join(f"{name} ×{count}" for name, count in endpoints.most_common())
    details = (
        f"stripe: calls={len(calls)} per_card_order={per_order:.2f} failed={failed} "
        f"replayed={replayed} held_to_weigh={held} ({by_endpoint or 'none'})"
    )
    return CardReport(details, f" card_orders={card_orders} stripe_calls={len(calls)}", problems)


class WeighedReport(NamedTuple):
    figures: str  # added to the last line
    problems: list[str]


def weighed_report(window_id: int, seeded: Seeded) -> WeighedReport:
    """After the close: the locked orders' lines sold by weight, and the orders still
    waiting for pieces to be weighed (`orders.selectors.awaiting_weights`): every
    order with such a line, since nothing is weighed at the close."""
    from orders.models import Order, OrderLine
    from orders.selectors import awaiting_weights

    locked = Order.objects.filter(window_id=window_id, status=Order.Status.LOCKED)
    # One join read in Python: PostgreSQL, not analyzed since the bulk inserts, plans
    # `order__in=locked` nested in `pk__in` as nested loops taking minutes.
    order_ids = list(
        OrderLine.objects.filter(
            order__window_id=window_id,
            order__status=Order.Status.LOCKED,
            unit_weight_estimate__isnull=False,
        ).values_list("order_id", flat=True)
    )
    weighed_lines, with_weighed = len(order_ids), len(set(order_ids))
    awaiting = locked.filter(awaiting_weights()).count()
    problems = []
    if weighed_lines != seeded.weighed_lines:
        problems.append(f"{weighed_lines} weighed lines locked, {seeded.weighed_lines} seeded")
    if awaiting != with_weighed:
        problems.append(f"{awaiting} orders await weights, {with_weighed} have weighed lines")
    return WeighedReport(f" weighed_lines={weighed_lines} awaiting_orders={awaiting}", problems)


# --- The close --------------------------------------------------------------------------------


class QueryCounter:
    """A `connection.execute_wrapper` that counts statements and keeps none of them."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


def close_only(window_id: int, profile: str | None) -> tuple[int, str]:
    """Close the window and print its details; the exit status and the figures line
    (`orders= lines= ...`), for the caller to print last."""
    import cProfile

    from django.core import mail
    from django.db import connection
    from django.db.models import Sum
    from django.utils import timezone

    from orders.models import FarmNotice, Order, OrderLine, OrderWindow, PickupDocument
    from pickup.closing import window_close

    OrderWindow.objects.get(pk=window_id)  # fails early on a wrong id; connects, warms up
    rss_before = current_rss_mb()
    counter = QueryCounter()
    profiler = cProfile.Profile() if profile else None
    started, cpu_started = time.perf_counter(), time.process_time()
    with connection.execute_wrapper(counter):
        if profiler is not None:
            profiler.enable()
        closed = window_close(window_id=window_id, now=timezone.now())
        if profiler is not None:
            profiler.disable()
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started  # this process only, not PostgreSQL's
    peak = peak_rss_mb()
    if profiler is not None and profile:
        profiler.dump_stats(profile)
    if not closed:
        print(f"window {window_id} was not closed: not due, or already closed", file=sys.stderr)
        return 1, ""

    # Counted after the close, outside the measurement.
    window = OrderWindow.objects.get(pk=window_id)
    documents = PickupDocument.objects.filter(window_id=window_id)
    pages = documents.aggregate(total=Sum("pages"))["total"] or 0
    locked = Order.objects.filter(window_id=window_id, status=Order.Status.LOCKED)
    lines = OrderLine.objects.filter(order__in=locked).count()
    outbox = getattr(mail, "outbox", [])
    attached = sum(len(content) for m in outbox for _name, content, _type in m.attachments)
    sent = FarmNotice.objects.filter(window_id=window_id, status=FarmNotice.Status.SENT).count()
    print(
        f"close: window={window_id} status={window.status} documents={documents.count()} "
        f"emails={len(outbox)} notices_sent={sent} attachments_mb={attached / 2**20:.1f} "
        f"cpu_seconds={cpu_seconds:.2f} load={os.getloadavg()[0]:.1f} "
        f"rss_before_close_mb={rss_before:.0f} db={connection.vendor}"
    )
    figures = (
        f"orders={locked.count()} lines={lines} seconds={seconds:.2f} "
        f"queries={counter.count} peak_rss_mb={peak:.0f} pages={pages}"
    )
    problems = []
    if window.status != OrderWindow.Status.CLOSED:
        problems.append(f"window status {window.status}")
    if len(outbox) != sent:
        problems.append(f"{len(outbox)} emails in the outbox but {sent} notices sent")
    if problems:
        print("close went wrong: " + "; ".join(problems), file=sys.stderr)
        return 1, figures
    return 0, figures


def close_in_child(window_id: int, profile: str | None) -> tuple[int, str]:
    """Run `close_only` in a fresh process of this script: its lines are passed on as
    they come, but the figures line is handed back, to be printed last."""
    command = [sys.executable, str(Path(__file__).resolve())]
    command += ["--close-only", str(window_id)]
    if profile:
        command += ["--profile", profile]
    figures = ""
    # The child inherits this environment (database, files, settings, Stripe) and stderr.
    child = subprocess.Popen(  # noqa: S603
        command, env=dict(os.environ), stdout=subprocess.PIPE, text=True
    )
    try:
        for text in child.stdout or ():  # a pipe, never None
            if text.startswith("orders="):
                figures = text.rstrip("\n")
            else:
                print(text, end="", flush=True)
        return child.wait(), figures
    except BaseException:
        child.kill()  # interrupted: the child must not outlive us
        child.wait()
        raise


# --- Main -----------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--orders", type=int, default=1000, help="confirmed orders (1000)")
    parser.add_argument("--points", type=int, default=5, help="pickup points, 3 to 8 (5)")
    parser.add_argument("--baskets", type=int, default=0, help="unconfirmed baskets (0)")
    parser.add_argument("--keep", action="store_true", help="keep the database and files")
    parser.add_argument(
        "--in-process", action="store_true", help="close in the seeding process (RSS included)"
    )
    parser.add_argument("--profile", metavar="FILE", help="cProfile the close into FILE")
    parser.add_argument(
        "--card-share",
        type=float,
        default=0.0,
        metavar="F",
        help="share of the orders paid by card, 0 to 1, captured through a fake Stripe (0)",
    )
    parser.add_argument(
        "--weighed-share",
        type=float,
        default=None,  # 0; None tells that the option was not given
        metavar="F",
        help="share of the products sold by the piece and priced by weight, 0 to 1 (0)",
    )
    parser.add_argument(
        "--close-only", type=int, metavar="WINDOW_ID", help="only close this window (a child)"
    )
    args = parser.parse_args()
    if not 3 <= args.points <= 8:
        parser.error("--points must be between 3 and 8")
    if args.orders < 1 or args.baskets < 0:
        parser.error("--orders must be positive and --baskets not negative")
    if not 0 <= args.card_share <= 1:
        parser.error("--card-share must be between 0 and 1")
    if args.weighed_share is not None and not 0 <= args.weighed_share <= 1:
        parser.error("--weighed-share must be between 0 and 1")
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGHUP, _stop)

    if args.close_only is not None:
        # Run by the parent, which passes its database and PRIVATE_ROOT in the
        # environment, or by hand with DATABASE_URL (and PRIVATE_ROOT) of a kept run.
        target = choose_database()
        private = os.environ.get("PRIVATE_ROOT")
        own_scratch = Path(tempfile.mkdtemp(prefix="coop-bench-close-"))
        try:
            production_environment(
                db_url=target.url_in(own_scratch),
                scratch=own_scratch,
                private=Path(private) if private else None,
                stripe=inherited_fake_stripe(),
            )
            setup_django()
            status, figures = close_only(args.close_only, args.profile)
            if figures:
                print(figures, flush=True)
            return status
        finally:
            shutil.rmtree(own_scratch, ignore_errors=True)

    target = choose_database()
    scratch = Path(tempfile.mkdtemp(prefix="coop-bench-close-"))
    status = 1
    created = False
    fake: Any = None
    try:
        stripe: dict[str, str] | None = None
        if args.card_share > 0:
            from tests.fake_stripe import FakeStripe

            fake = FakeStripe(api_key=FAKE_STRIPE_KEY).start()
            stripe = fake_stripe_environment(fake.base_url)
        production_environment(db_url=target.url_in(scratch), scratch=scratch, stripe=stripe)
        setup_django()
        from django.core.management import call_command
        from django.db import connection, connections

        if target.pg_name:
            create_database(target.pg_name)
            created = True
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        seeded = seed(
            orders=args.orders,
            points=args.points,
            baskets=args.baskets,
            card_share=args.card_share,
            weighed_share=args.weighed_share or 0.0,
        )
        seed_seconds = time.perf_counter() - started
        weighed = ""
        if args.weighed_share is not None:
            weighed = (
                f"weighed_offers={seeded.weighed_products} weighed_lines={seeded.weighed_lines} "
            )
        print(
            f"seed: orders={seeded.orders} lines={seeded.lines} units={seeded.units} "
            f"taxable_lines={seeded.taxable_lines} baskets={seeded.baskets} "
            f"farms={seeded.farms} offers={seeded.products} {weighed}points={seeded.points} "
            f"slots={seeded.slots} window={seeded.window_id} seconds={seed_seconds:.2f} "
            f"seed_peak_rss_mb={peak_rss_mb():.0f} db={connection.vendor}",
            flush=True,
        )
        calls_before = 0
        if fake is not None:
            started = time.perf_counter()
            holds = seed_holds(fake, seeded.window_id)
            calls_before = len(fake.requests)
            held_text = f"to_weigh={seeded.weighed_card_orders} " if weighed else ""
            print(
                f"cards: card_orders={seeded.card_orders} holds={holds} {held_text}"
                f"stripe_calls={calls_before} seconds={time.perf_counter() - started:.2f} "
                f"stripe={fake.base_url} (fake)",
                flush=True,
            )
        if args.keep:
            print(f"kept: database={target.url_in(scratch)} files={scratch}", flush=True)
        if args.in_process:
            status, figures = close_only(seeded.window_id, args.profile)
        else:
            connections.close_all()
            status, figures = close_in_child(seeded.window_id, args.profile)
        if fake is not None and figures:  # checked here: the fake lives in this process
            report = card_report(fake, seeded.window_id, calls_before)
            print(report.details)
            figures += report.figures
            if report.problems:
                print("card payments went wrong: " + "; ".join(report.problems), file=sys.stderr)
                status = status or 1
        if args.weighed_share is not None and figures:
            weighing = weighed_report(seeded.window_id, seeded)
            figures += weighing.figures
            if weighing.problems:
                print("weighed lines went wrong: " + "; ".join(weighing.problems), file=sys.stderr)
                status = status or 1
        if figures:
            print(figures, flush=True)
    finally:
        if fake is not None:
            fake.stop()
        if not args.keep:
            if created and target.pg_name:
                drop_database(target.pg_name)
            shutil.rmtree(scratch, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
