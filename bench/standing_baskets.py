"""Time the filling of the standing baskets when a week opens:
`baskets.standing.standing_fill` and nothing else.

What it does:

1. picks the database: DATABASE_URL when set (PostgreSQL on 127.0.0.1; the database
   named in the URL, `coop_bench_standing` when the URL names none, must have "bench" in
   its name: it is created, or dropped and created again if a previous `--keep` run left
   it, and dropped at the end unless --keep), otherwise a temporary SQLite file;
2. migrates it and seeds, with bulk inserts in batches built with the shared factories
   (`demo.factories`: `build()` then bulk_create), one OPEN window (opened a minute
   ago, deadline in 4 days): the 40 farms of the demo co-op with 8 to 14 products each,
   most of them offered with plenty of stock, a few products NOT offered, a few scarce
   offers (so that some baskets come up short), the demo's 3 pickup points, and N
   customers (--baskets) each with an active StandingBasket (a pickup point, paid at
   pickup) of 10 StandingLines of products offered this week, one basket in five with
   one line of a product that is not (the "missing" path);
3. fills: `standing_fill(window_id=..., now=timezone.now())`, in the seeding process.

Production-like settings (DEBUG=0, so no query log), emails through Django's locmem
backend, files under a temporary folder removed at the end.

Measured around `standing_fill` only: wall time (time.perf_counter) and SQL statements
(a counting `connection.execute_wrapper`; transactions' BEGIN/COMMIT of psycopg2 are not
statements and are not counted, savepoints are).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/coop_bench_standing \\
        .venv/bin/python bench/standing_baskets.py --baskets 1000

Prints the seeding on one line, the fill's details on another, `queries_per_basket=`,
and last:

    baskets=N lines=L seconds=S queries=Q

(N baskets filled, L order lines created). `--scaling` runs at N/10 then at N, each on
a fresh seed, and prints both queries per basket (`scaling: ...`) before the last line
(the run at N). `--profile FILE` writes a cProfile of the fill alone (of the run at N),
read it with `python -m pstats FILE`.
"""

import argparse
import cProfile
import os
import random
import secrets
import shutil
import signal
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DB = "coop_bench_standing"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
SEED = 2026
BATCH = 1000
LINES = 10  # standing lines a basket
UNOFFERED_SHARE = 20  # percent of the baskets with one line of a product not offered
SCARCE_OFFERS = 6  # offers with little stock, for short baskets
SCARCE_UNITS = 15
SCARCE_SHARE = 30  # percent of the baskets that ask for one scarce offer
LOCMEM = {
    alias: {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    for alias in ("default", "deliver")
}


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
    if not url:
        return Target(url="", pg_name=None)
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise SystemExit(f"DATABASE_URL must be a postgres:// URL or unset, not {url!r}")
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


def production_environment(*, db_url: str, scratch: Path) -> None:
    """DEBUG=0 (no query log, as in production), files and broker under `scratch`,
    never Stripe."""
    for name in (
        "STRIPE_SECRET_KEY",
        "STRIPE_PUBLISHABLE_KEY",
        "STRIPE_WEBHOOK_SECRET",
        "STRIPE_API_BASE",
        "CELERY_BROKER_URL",
    ):
        os.environ.pop(name, None)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "coop_shop.settings",
            "DEBUG": "0",
            "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(50),
            "DATABASE_URL": db_url,
            "VAR_DIR": str(scratch),
            "PRIVATE_ROOT": str(scratch / "private"),
            "MEDIA_ROOT": str(scratch / "media"),
            "STATIC_ROOT": str(scratch / "static"),
            "CELERY_FS_DIR": str(scratch / "celery"),
            "EMAIL_CONSOLE": "1",  # never SMTP; replaced by locmem once Django is set up
            "LOG_LEVEL": "WARNING",
        }
    )


def setup_django() -> None:
    import django
    from django.conf import settings
    from django.core import mail

    django.setup()
    settings.MAILERS = LOCMEM
    mail.outbox = []


def create_database(name: str) -> None:
    from django.db import connections

    connections.close_all()
    with connections["default"]._nodb_cursor() as cursor:  # noqa: SLF001
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone():  # left by a --keep run, or the previous --scaling run
            cursor.execute(f'DROP DATABASE "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    from django.db import connections

    connections.close_all()
    with connections["default"]._nodb_cursor() as cursor:  # noqa: SLF001
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')


# --- Seeding --------------------------------------------------------------------------------


@dataclass(slots=True)
class Seeded:
    window_id: int
    farms: int
    products: int
    offers: int
    unoffered: int
    scarce: int
    points: int
    baskets: int
    lines: int
    unoffered_lines: int
    scarce_lines: int


def batches[T](items: Iterable[T], size: int = BATCH) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def price(rng: random.Random, base: Decimal) -> Decimal:
    """The template's price, give or take 10 %, rounded to 5 cents."""
    cents = int(base * 100) * rng.randint(90, 112) // 100
    return (Decimal(max(5, (cents + 2) // 5 * 5)) / 100).quantize(Decimal("0.01"))


def seed(*, baskets: int) -> Seeded:
    import factory
    import factory.random
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone
    from django.utils.text import slugify

    from baskets.models import StandingBasket, StandingLine
    from demo import catalogue as demo_data
    from demo import factories as f
    from farms.models import Farm, Product
    from orders.models import Offer, OrderWindow, Payment, PickupPoint

    rng = random.Random(SEED)
    factory.random.reseed_random(SEED)
    now = timezone.now()
    unusable = factory.Transformer.Force(make_password(None))

    farm_specs = list(demo_data.FARMS)
    catalogue: list[tuple[int, demo_data.ProductTemplate]] = []
    for index, spec in enumerate(farm_specs):
        pool: list[demo_data.ProductTemplate] = []
        for kind in spec.kinds:
            pool += [t for t in demo_data.CATALOGUE[kind] if t not in pool]
        for template in rng.sample(pool, min(len(pool), rng.randint(8, 14))):
            catalogue.append((index, template))
    indexes = list(range(len(catalogue)))
    rng.shuffle(indexes)
    unoffered = set(indexes[: max(1, len(catalogue) // 20)])  # 5 % not offered this week
    scarce = indexes[len(unoffered) : len(unoffered) + SCARCE_OFFERS]
    plenty = [i for i in indexes if i not in unoffered and i not in scarce]
    popularity = [rng.choice((1, 1, 1, 2, 2, 3, 5, 8)) for _ in plenty]

    with transaction.atomic():
        farms = [
            f.FarmFactory.build(
                name=spec.name,
                slug=slugify(spec.name),
                region=spec.region,
                town=spec.town,
                description=spec.description,
                practices=spec.practices,
                email=f"bonjour@{slugify(spec.name)}.example",
                language=spec.language,
            )
            for spec in farm_specs
        ]
        Farm.objects.bulk_create(farms, batch_size=BATCH)
        products = [
            f.ProductFactory.build(
                farm=farms[farm_index],
                name=template.name,
                category=template.category,
                description=template.description,
                unit=template.unit,
                package_size=template.package_size,
                price=price(rng, template.price),
                tax_class=template.tax_class,
                default_quantity=template.default_quantity,
            )
            for farm_index, template in catalogue
        ]
        Product.objects.bulk_create(products, batch_size=BATCH)
        points = PickupPoint.objects.bulk_create(
            f.PickupPointFactory.build(
                name=p.name,
                slug=p.slug,
                address=p.address,
                city=p.city,
                instructions=p.instructions,
                opens_at=p.opens_at,
                closes_at=p.closes_at,
            )
            for p in demo_data.PICKUP_POINTS
        )
        window = f.OrderWindowFactory.create(
            opens_at=now - timedelta(minutes=1),
            closes_at=now + timedelta(days=4),
            pickup_date=timezone.localdate(now) + timedelta(days=6),
            status=OrderWindow.Status.OPEN,
            note="Semaine des paniers habituels du banc d'essai",
        )
        offers = []
        for i, product in enumerate(products):
            if i in unoffered:
                continue
            # Plenty: more than every basket could ask (3 units a line at most).
            quantity = SCARCE_UNITS if i in scarce else 3 * baskets + rng.randint(5, 30)
            offers.append(f.OfferFactory.build(window=window, product=product, quantity=quantity))
        Offer.objects.bulk_create(offers, batch_size=BATCH)

        customers = [
            f.UserFactory.build(
                email=f"habituel.{n}@courriel.example", password=unusable, email_address=None
            )
            for n in range(baskets)
        ]
        for people in batches(customers):
            f.create_users(people)
        standings = [
            StandingBasket(
                customer=person,
                status=StandingBasket.Status.ACTIVE,
                pickup_point=rng.choice(points),
                payment_method=Payment.Method.AT_PICKUP,
                language=person.language,
            )
            for person in customers
        ]
        for standing_batch in batches(standings):
            StandingBasket.objects.bulk_create(standing_batch)

        unoffered_list = sorted(unoffered)
        counts = {"lines": 0, "unoffered": 0, "scarce": 0}

        def lines() -> Iterator[StandingLine]:
            for standing in standings:
                chosen: list[int] = []
                if rng.randrange(100) < UNOFFERED_SHARE:
                    chosen.append(rng.choice(unoffered_list))
                    counts["unoffered"] += 1
                if rng.randrange(100) < SCARCE_SHARE:
                    chosen.append(rng.choice(scarce))
                    counts["scarce"] += 1
                while len(chosen) < LINES:
                    pick = rng.choices(plenty, weights=popularity)[0]
                    if pick not in chosen:
                        chosen.append(pick)
                for i in chosen:
                    counts["lines"] += 1
                    quantity = rng.choices((1, 2, 3), weights=(70, 22, 8))[0]
                    yield StandingLine(standing=standing, product=products[i], quantity=quantity)

        for line_batch in batches(lines(), 5000):
            StandingLine.objects.bulk_create(line_batch, batch_size=BATCH)

    return Seeded(
        window_id=window.pk,
        farms=len(farms),
        products=len(products),
        offers=len(offers),
        unoffered=len(unoffered),
        scarce=len(scarce),
        points=len(points),
        baskets=len(standings),
        lines=counts["lines"],
        unoffered_lines=counts["unoffered"],
        scarce_lines=counts["scarce"],
    )


# --- The fill -------------------------------------------------------------------------------


class QueryCounter:
    """A `connection.execute_wrapper` that counts statements and keeps none of them."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


@dataclass(slots=True)
class Filled:
    baskets: int
    lines: int
    seconds: float
    queries: int
    problems: list[str]

    @property
    def per_basket(self) -> float:
        return self.queries / self.baskets if self.baskets else 0.0


def fill(window_id: int, expected: int, profile: str | None) -> Filled:
    from django.db import connection
    from django.db.models import Count
    from django.utils import timezone

    from baskets.models import StandingWeek
    from baskets.standing import standing_fill
    from orders.models import Offer, OrderLine, OrderWindow

    OrderWindow.objects.get(pk=window_id)  # fails early on a wrong id; connects, warms up
    counter = QueryCounter()
    profiler = cProfile.Profile() if profile else None
    started, cpu_started = time.perf_counter(), time.process_time()
    with connection.execute_wrapper(counter):
        if profiler is not None:
            profiler.enable()
        report = standing_fill(window_id=window_id, now=timezone.now())
        if profiler is not None:
            profiler.disable()
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started  # this process only, not PostgreSQL's
    if profiler is not None and profile:
        profiler.dump_stats(profile)

    # Counted after the fill, outside the measurement.
    weeks = StandingWeek.objects.filter(window_id=window_id)
    by_status = dict(weeks.values_list("status").annotate(n=Count("pk")).order_by())
    short = sum(1 for missing in weeks.values_list("missing", flat=True) if missing)
    lines = OrderLine.objects.filter(order__window_id=window_id).count()
    oversold = Offer.objects.filter(window_id=window_id, remaining__lt=0).count()
    sold_out = Offer.objects.filter(window_id=window_id, remaining=0).count()
    statuses = ",".join(f"{k}:{v}" for k, v in sorted(by_status.items()))
    print(
        f"fill: window={window_id} filled={report.filled} empty={report.empty} "
        f"own_order={report.own_order} weeks={{{statuses}}} short_baskets={short} "
        f"sold_out_offers={sold_out} oversold={oversold} cpu_seconds={cpu_seconds:.2f} "
        f"load={os.getloadavg()[0]:.1f} db={connection.vendor}",
        flush=True,
    )
    problems = []
    if report.filled != expected:
        problems.append(f"{report.filled} baskets filled, {expected} expected")
    if oversold:
        problems.append(f"{oversold} offers oversold")
    if not short:
        problems.append("no basket came up short: the missing path was not exercised")
    return Filled(report.filled, lines, seconds, counter.count, problems)


def run(target: Target, scratch: Path, baskets: int, profile: str | None) -> Filled:
    """A fresh database, seeded with `baskets` standing baskets, then the fill."""
    from django.core.management import call_command
    from django.db import connection

    if target.pg_name:
        create_database(target.pg_name)
    else:
        from django.db import connections

        connections.close_all()
        Path(target.url_in(scratch).removeprefix("sqlite:///")).unlink(missing_ok=True)
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    seeded = seed(baskets=baskets)
    print(
        f"seed: baskets={seeded.baskets} standing_lines={seeded.lines} "
        f"unoffered_lines={seeded.unoffered_lines} scarce_lines={seeded.scarce_lines} "
        f"farms={seeded.farms} products={seeded.products} offers={seeded.offers} "
        f"unoffered={seeded.unoffered} scarce={seeded.scarce} points={seeded.points} "
        f"window={seeded.window_id} seconds={time.perf_counter() - started:.2f} "
        f"db={connection.vendor}",
        flush=True,
    )
    filled = fill(seeded.window_id, seeded.baskets, profile)
    print(f"queries_per_basket={filled.per_basket:.2f} (baskets={filled.baskets})", flush=True)
    return filled


# --- Main -----------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--baskets", type=int, default=1000, help="standing baskets (1000)")
    parser.add_argument(
        "--scaling", action="store_true", help="run at N/10 then N: queries per basket"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database and files")
    parser.add_argument("--profile", metavar="FILE", help="cProfile the fill (at N) into FILE")
    args = parser.parse_args()
    if args.baskets < 1 or (args.scaling and args.baskets < 10):
        parser.error("--baskets must be positive (at least 10 with --scaling)")
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGHUP, _stop)

    target = choose_database()
    scratch = Path(tempfile.mkdtemp(prefix="coop-bench-standing-"))
    status = 1
    try:
        production_environment(db_url=target.url_in(scratch), scratch=scratch)
        setup_django()
        problems: list[str] = []
        small = None
        if args.scaling:
            small = run(target, scratch, args.baskets // 10, None)
            problems += small.problems
        result = run(target, scratch, args.baskets, args.profile)
        problems += result.problems
        if small is not None:
            growth = result.per_basket / small.per_basket if small.per_basket else 0.0
            print(
                f"scaling: baskets={small.baskets} queries_per_basket={small.per_basket:.2f} "
                f"seconds_per_basket={small.seconds / max(1, small.baskets):.4f} | "
                f"baskets={result.baskets} queries_per_basket={result.per_basket:.2f} "
                f"seconds_per_basket={result.seconds / max(1, result.baskets):.4f} | "
                f"growth={growth:.3f}",
                flush=True,
            )
        if args.keep:
            print(f"kept: database={target.url_in(scratch)} files={scratch}", flush=True)
        if problems:
            print("fill went wrong: " + "; ".join(problems), file=sys.stderr)
        status = 1 if problems else 0
        print(
            f"baskets={result.baskets} lines={result.lines} seconds={result.seconds:.2f} "
            f"queries={result.queries}",
            flush=True,
        )
    finally:
        if not args.keep:
            if target.pg_name:
                drop_database(target.pg_name)
            shutil.rmtree(scratch, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
