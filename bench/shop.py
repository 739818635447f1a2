"""The shop page of a full week against the floor of a bare Django page of the same
size, adds to a basket, and the SQL queries of each.

How: a PostgreSQL database of its own (`coop_bench_shop`, created, then dropped at the
end) is migrated and seeded (`seed_demo`, 40 farms), then the open window is brought to
exactly 400 offers (products copied within their farms when the seed offers fewer),
all with a quantity above zero and enough stock that no add runs out. One customer gets
a 15-line basket for the shop page; each add thread gets a customer of its own with a
15-line basket too.

Three timed phases, each --seconds long (at most --max-requests) with --threads client
threads (http.client, standard library), all against 127.0.0.1, each after a short
untimed warm-up (so that every worker has loaded its templates and translations):
  1. the shop: GET /shop/ as the logged-in customer, served by gunicorn with the
     project's config (2 sync workers) and production settings (DEBUG=0, static files
     collected into a temporary STATIC_ROOT, filesystem broker in a temporary VAR_DIR);
  2. adds: POST /basket/lines/<id>/ with delta=1 and `HX-Request: true` (as htmx
     sends it, with the CSRF header), each thread adding units to its own customer's 15
     lines in turn, so the basket keeps 15 lines;
  3. the floor: bench/floor_app.py, a bare Django view (no middleware, no database)
     returning a static body exactly as long as the shop page just measured, under a
     second gunicorn with the same config and workers.

Query counts: one shop render and one add are run through Django's test Client inside
this process, with the same settings and the same database, under
CaptureQueriesContext (after one warm-up request of each, so that one-time caches do
not count); the add counted is +1 on a basket line, like the timed adds (an add that
creates a line is counted too, on a progress line). They are the queries of the whole
request (session, user, view);
connection health checks are not counted. --show-queries prints the SQL.

The last line:

    shop_rps=X floor_rps=Y ratio=Z shop_queries=Q adds_rps=A add_queries=K

ratio = shop_rps / floor_rps. The client threads share the machine's CPUs with gunicorn
and PostgreSQL, for both pages alike.

    .venv/bin/python bench/shop.py --seconds 10
"""

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import benchkit
from benchkit import Budget, Client, Gunicorn, Tally, log

DB_NAME = "coop_bench_shop"
PASSWORD = "coop-demo-2026"  # noqa: S105 - every seeded user's published demo password
OFFERS = 400
FARMS = 40
BASKET_LINES = 15
EXTRA_STOCK = 100_000  # added to every offer so that no add runs out during the bench
OFFER_CARD = b'class="offer-card'


@dataclass(frozen=True, slots=True)
class Customer:
    pk: int
    email: str
    offers: list[int]  # the offers of their 15-line basket


@dataclass(frozen=True, slots=True)
class Cast:
    shopper: Customer
    adders: list[Customer]
    newcomer: Customer  # adds a new line once, for the count of that kind of add


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--seconds", type=float, default=10.0, help="length of each timed phase (default 10)"
    )
    parser.add_argument(
        "--threads", type=int, default=4, help="client threads in each phase (default 4)"
    )
    parser.add_argument(
        "--max-requests",
        type=int,
        default=20000,
        help="at most this many requests in each phase (default 20000)",
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="gunicorn sync workers, both servers (default 2)"
    )
    parser.add_argument(
        "--show-queries", action="store_true", help="print the SQL of the counted requests"
    )
    parser.add_argument(
        "--pg",
        default=benchkit.DEFAULT_PG,
        help=f"the local PostgreSQL server (default {benchkit.DEFAULT_PG}); "
        f"the database {DB_NAME} is created and dropped on it",
    )
    args = parser.parse_args()
    if not 1 <= args.threads <= 16:
        parser.error("--threads must be between 1 and 16")
    if args.workers < 1 or args.seconds <= 0 or args.max_requests < 1:
        parser.error("--workers, --seconds and --max-requests must be positive")
    return args


def shape_window() -> list[int]:
    """Exactly 400 offers from 40 farms in the open window, each with stock to spare.
    Returns the offer ids in the shop's order."""
    from django.db import transaction
    from django.db.models import F

    from farms.models import Product
    from orders.models import Offer
    from orders.selectors import current_window

    window = current_window()
    if window is None:
        raise RuntimeError("seed_demo left no open window")
    with transaction.atomic():
        offers = Offer.objects.filter(window=window)
        existing = offers.count()
        if existing > OFFERS:
            extra = list(offers.order_by("-pk").values_list("pk", flat=True)[: existing - OFFERS])
            Offer.objects.filter(pk__in=extra).delete()
        missing = OFFERS - existing
        if missing > 0:
            # New products copied from the catalogue, in the same farms, one copy each.
            models = list(Product.objects.filter(is_active=True).order_by("farm_id", "pk"))
            copies = []
            for number in range(missing):
                model = models[number % len(models)]
                copies.append(
                    Product(
                        farm_id=model.farm_id,
                        name=f"{model.name} (lot {number // len(models) + 2})",
                        category=model.category,
                        description=model.description,
                        unit=model.unit,
                        package_size=model.package_size,
                        price=model.price,
                        tax_class=model.tax_class,
                        default_quantity=model.default_quantity,
                    )
                )
            Product.objects.bulk_create(copies)
            Offer.objects.bulk_create(
                Offer(window=window, product=p, quantity=20, remaining=20, price=p.price)
                for p in copies
            )
        offers.update(quantity=F("quantity") + EXTRA_STOCK, remaining=F("remaining") + EXTRA_STOCK)
    live = Offer.objects.filter(window=window, quantity__gt=0)
    farms = live.values("product__farm").distinct().count()
    if offers.count() != OFFERS or live.count() != OFFERS or farms != FARMS:
        raise RuntimeError(f"the window has {live.count()} offers from {farms} farms")
    from baskets.selectors import window_offers

    return [offer.pk for offer in window_offers(window=window)]


def cast(offer_ids: list[int], adders: int) -> Cast:
    """Customers without an order this week, each with a 15-line basket (2 units a
    line) on offers of their own spread over the page."""
    from django.utils import timezone

    from accounts.models import User
    from demo import catalogue as demo_data
    from orders.basket import basket_line_set

    demo_emails = [account.email for account in demo_data.DEMO_ACCOUNTS]
    users = list(
        User.objects.filter(
            email__endswith=f"@{demo_data.DEMO_EMAIL_DOMAIN}", is_staff=False, is_superuser=False
        )
        .exclude(email__in=demo_emails)
        .exclude(orders__isnull=False)
        .order_by("pk")[: adders + 2]
    )
    if len(users) < adders + 2:
        raise RuntimeError(f"only {len(users)} customers without orders")
    stride = len(offer_ids) // BASKET_LINES
    people = []
    for number, user in enumerate(users):
        mine = [offer_ids[(number + stride * n) % len(offer_ids)] for n in range(BASKET_LINES)]
        if number <= adders:
            for offer_id in mine:
                basket_line_set(
                    customer_id=user.pk, offer_id=offer_id, quantity=2, now=timezone.now()
                )
        people.append(Customer(user.pk, user.email, mine))
    return Cast(shopper=people[0], adders=people[1 : adders + 1], newcomer=people[-1])


def count_queries(people: Cast, show: bool) -> tuple[int, int]:
    """Queries of one shop render and of one add (+1 on a basket line), through the
    test Client in this process, after a warm-up request of each; also says the count
    of an add that creates a new line."""
    from django.db import connection
    from django.test import Client as DjangoClient
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User

    def measured(label: str, request: Callable[[], Any]) -> int:
        with CaptureQueriesContext(connection) as context:
            response = request()
        if response.status_code != 200:
            raise RuntimeError(f"{label}: {response.status_code}")
        if show:
            log(f"--- {label}: {len(context)} queries")
            for query in context.captured_queries:
                log(f"  {query['sql'][:400]}")
        return len(context)

    browser = DjangoClient(HTTP_HOST="127.0.0.1")
    browser.force_login(User.objects.get(pk=people.shopper.pk))
    browser.get("/shop/", secure=True)
    shop_queries = measured("shop", lambda: browser.get("/shop/", secure=True))

    def add(offer_id: int) -> Any:
        return browser.post(
            f"/basket/lines/{offer_id}/",
            {"delta": "1", "where": "shop", "next": "/shop/"},
            secure=True,
            headers={"HX-Request": "true"},
        )

    add(people.shopper.offers[0])
    add_queries = measured("add (+1 on a line)", lambda: add(people.shopper.offers[1]))
    # Back to 2 units on those lines, so the page seen over HTTP is as the seed made it.
    for offer_id in people.shopper.offers[:2]:
        browser.post(
            f"/basket/lines/{offer_id}/",
            {"quantity": "2", "where": "shop"},
            secure=True,
            headers={"HX-Request": "true"},
        )
    browser.force_login(User.objects.get(pk=people.newcomer.pk))
    browser.get("/shop/", secure=True)
    add(people.newcomer.offers[0])
    new_line = measured("add (a new line)", lambda: add(people.newcomer.offers[1]))
    log(f"queries: shop={shop_queries} add(+1 on a line)={add_queries} add(new line)={new_line}")
    return shop_queries, add_queries


def logged_in(port: int, customer: Customer) -> Client:
    client = Client(port)
    reply = client.login(customer.email, PASSWORD)
    if reply.status != 302 or "sessionid" not in client.cookies:
        raise RuntimeError(f"login of {customer.email}: {reply.status}")
    return client


def phase(
    label: str,
    clients: list[Client],
    send: Callable[[Client, int, int], object],
    args: argparse.Namespace,
) -> tuple[float, Tally]:
    """A short warm-up (every worker loads its templates and translations, not timed),
    then the timed phase. Returns requests per second and the timed phase's tally."""
    warmup, _ = benchkit.timed_phase(
        clients, Budget(seconds=30, requests=2 * args.workers * len(clients)), send
    )
    tally, elapsed = benchkit.timed_phase(
        clients, Budget(seconds=args.seconds, requests=args.max_requests), send
    )
    rps = tally.requests / elapsed if elapsed else 0.0
    log(
        f"{label}: {tally.requests} requests in {elapsed:.1f} s, {rps:.1f}/s, "
        f"p50 {tally.percentile_ms(50):.1f} ms, p95 {tally.percentile_ms(95):.1f} ms; "
        f"{tally.describe()} (warm-up: {warmup.describe()})"
    )
    for problem in warmup.failures + warmup.crashed + tally.failures + tally.crashed:
        log(f"  {label} problem: {problem}")
    tally.merge(warmup)  # so that the caller counts every answer that was not a 200
    return rps, tally


def main() -> int:
    args = parse_args()
    benchkit.catch_termination()
    run_started = time.perf_counter()
    unexpected = 0
    with benchkit.scratch_dir("coop-bench-shop-") as tmp:
        db_url = benchkit.database_url(args.pg, DB_NAME)
        benchkit.production_environment(db_url=db_url, var_dir=tmp)
        benchkit.setup_django()
        try:
            benchkit.create_database(DB_NAME)
            benchkit.prepare_schema_and_static()
            benchkit.seed(farms=FARMS, customers=40, orders=0)
            offer_ids = shape_window()
            people = cast(offer_ids, args.threads)
            log(
                f"prepared in {time.perf_counter() - run_started:.1f} s: {len(offer_ids)} "
                f"offers from {FARMS} farms, {BASKET_LINES}-line baskets"
            )
            shop_queries, add_queries = count_queries(people, args.show_queries)

            with Gunicorn(
                app="coop_shop.wsgi:application",
                workers=args.workers,
                log_path=tmp / "gunicorn-shop.log",
            ) as server:
                server.wait_ready("/livez")
                shopper = logged_in(server.port, people.shopper)
                page = shopper.get("/shop/")
                cards = page.body.count(OFFER_CARD)
                if page.status != 200 or cards != OFFERS:
                    raise RuntimeError(f"shop page: {page.status}, {cards} offers")
                size = len(page.body)
                log(f"shop page: {size} bytes, {cards} offers, {BASKET_LINES}-line basket")

                shop_rps, shop = phase(
                    "shop",
                    [shopper.copy() for _ in range(args.threads)],
                    lambda client, index, turn: client.get("/shop/"),
                    args,
                )

                def add(client: Client, index: int, turn: int) -> None:
                    offers = people.adders[index].offers
                    client.post(
                        f"/basket/lines/{offers[turn % len(offers)]}/",
                        form={"delta": "1", "where": "shop", "next": "/shop/"},
                        headers={"HX-Request": "true"},
                    )

                adders = [logged_in(server.port, c) for c in people.adders]
                adds_rps, adds = phase("adds", adders, add, args)
                unexpected += shop.requests - shop.statuses[200]
                unexpected += adds.requests - adds.statuses[200]
                if shop.errors_5xx or adds.errors_5xx:
                    for trace in server.tracebacks()[:3]:
                        log("  server traceback:" + trace[-1500:])

            with Gunicorn(
                app="floor_app:application",
                workers=args.workers,
                log_path=tmp / "gunicorn-floor.log",
                extra_env={"FLOOR_BODY_BYTES": str(size)},
                pythonpath=benchkit.ROOT / "bench",
            ) as floor_server:
                floor_server.wait_ready("/")
                probe = Client(floor_server.port).get("/")
                if len(probe.body) != size:
                    raise RuntimeError(f"floor page is {len(probe.body)} bytes, not {size}")
                floor_rps, floor = phase(
                    "floor",
                    [Client(floor_server.port) for _ in range(args.threads)],
                    lambda client, index, turn: client.get("/"),
                    args,
                )
                unexpected += floor.requests - floor.statuses[200]

            if unexpected:
                log(f"WARNING: {unexpected} answers were not 200 (see the statuses above)")
            log(f"run time {time.perf_counter() - run_started:.1f} s")
            ratio = shop_rps / floor_rps if floor_rps else 0.0
            print(
                f"shop_rps={shop_rps:.1f} floor_rps={floor_rps:.1f} ratio={ratio:.3f} "
                f"shop_queries={shop_queries} adds_rps={adds_rps:.1f} add_queries={add_queries}",
                flush=True,
            )
            return 1 if unexpected else 0
        finally:
            benchkit.drop_database(DB_NAME)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (KeyboardInterrupt, benchkit.Stop) as stop:
        log(f"interrupted ({str(stop) or 'SIGINT'}): servers stopped, database dropped")
        sys.exit(130)
