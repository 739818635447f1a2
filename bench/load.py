"""Many customers racing for a few scarce offers: throughput, latency and whether any
unit is sold twice.

How: a PostgreSQL database of its own (`coop_bench_load`, created, then dropped at
the end) is migrated and seeded (`seed_demo`: 40 farms, a few hundred customers, this
week's window open), then a few offers of the open window are made scarce (by default 5
offers of 20 units, chosen among offers nobody has ordered yet). The app runs under
gunicorn with the project's config (`coop_shop/gunicorn.conf.py`: sync workers, 3 by
default) on 127.0.0.1 and a free port, with production settings (DEBUG=0, static files
collected into a temporary STATIC_ROOT for WhiteNoise's manifest, Celery's filesystem
broker under a temporary VAR_DIR).

N customers (threads of the standard library's http.client, one per customer) each
log in through allauth's form (CSRF included) and load the shop, a few at a time; this
warm-up is not timed into the figures. Then, all at once, they repeatedly add one unit of the scarce
offers (POST /basket/lines/<id>/ with delta=1, `HX-Request: true` and `X-CSRFToken`,
the way htmx does it), round-robin over the offers, until --seconds have passed or
--max-requests were sent. Once an offer is sold out the app answers 200 with a
"sold out" note; 409 and 422 are refusals, not errors.

The last line:

    requests=R rps=X p50_ms=A p95_ms=B errors_5xx=E units_sold=U stock=S oversold=O

R, rps and the latencies are those of the add phase; errors_5xx counts every answer
of 500 or more, logins and shop loads included. units_sold is the sum of the order
lines of the scarce offers, stock their quantities, and oversold the units sold beyond
an offer's quantity plus the number of offers whose books do not balance
(remaining < 0, or remaining + sold != quantity). It must be 0; the script exits 1 if
it is not, after printing the details.

    .venv/bin/python bench/load.py --customers 50 --seconds 20
"""

import argparse
import sys
import threading
import time
from dataclasses import dataclass

import benchkit
from benchkit import Budget, Client, Gunicorn, Tally, log

DB_NAME = "coop_bench_load"
PASSWORD = "coop-demo-2026"  # noqa: S105 - every seeded user's published demo password
SEEDED_ORDERS = 100  # confirmed orders already in the open window, for realistic tables
TIMEOUT = 60.0  # seconds a client waits for an answer: gunicorn's own worker timeout


@dataclass(frozen=True, slots=True)
class Scarce:
    offer_id: int
    quantity: int


@dataclass(frozen=True, slots=True)
class Books:
    units_sold: int
    stock: int
    oversold: int
    details: list[str]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--customers", type=int, default=50, help="concurrent customers (default 50)"
    )
    parser.add_argument(
        "--seconds", type=float, default=20.0, help="length of the add phase (default 20)"
    )
    parser.add_argument(
        "--max-requests",
        type=int,
        default=20000,
        help="at most this many adds in all (default 20000)",
    )
    parser.add_argument("--offers", type=int, default=5, help="how many scarce offers (default 5)")
    parser.add_argument(
        "--stock", type=int, default=20, help="units of each scarce offer (default 20)"
    )
    parser.add_argument(
        "--workers", type=int, default=3, help="gunicorn sync workers (default 3, as deployed)"
    )
    parser.add_argument(
        "--login-seconds",
        type=float,
        default=180.0,
        help="give up on logins not done after this long (default 180)",
    )
    parser.add_argument(
        "--pg",
        default=benchkit.DEFAULT_PG,
        help=f"the local PostgreSQL server (default {benchkit.DEFAULT_PG}); "
        f"the database {DB_NAME} is created and dropped on it",
    )
    args = parser.parse_args()
    if args.customers < 1 or args.offers < 1 or args.stock < 1 or args.workers < 1:
        parser.error("--customers, --offers, --stock and --workers must be at least 1")
    if args.seconds <= 0 or args.max_requests < 1:
        parser.error("--seconds and --max-requests must be positive")
    return args


def prepare(args: argparse.Namespace) -> tuple[list[Scarce], list[str]]:
    """Seed, make a few offers scarce, choose the customers (no order this week yet)."""
    from django.db import transaction

    from accounts.models import User
    from demo import catalogue as demo_data
    from orders.models import Offer
    from orders.selectors import current_window

    benchkit.prepare_schema_and_static()
    benchkit.seed(
        farms=40, customers=max(300, args.customers + SEEDED_ORDERS), orders=SEEDED_ORDERS
    )
    window = current_window()
    if window is None:
        raise RuntimeError("seed_demo left no open window")
    chosen: list[int] = []
    farms: set[int] = set()
    untouched = (
        Offer.objects.filter(window=window, quantity__gt=0, lines__isnull=True)
        .select_related("product")
        .order_by("pk")
    )
    for offer in untouched:  # one per farm, for variety
        if offer.product.farm_id not in farms:
            chosen.append(offer.pk)
            farms.add(offer.product.farm_id)
        if len(chosen) == args.offers:
            break
    if len(chosen) < args.offers:
        raise RuntimeError(f"only {len(chosen)} untouched offers to make scarce")
    with transaction.atomic():
        Offer.objects.filter(pk__in=chosen).update(quantity=args.stock, remaining=args.stock)
    demo_emails = [account.email for account in demo_data.DEMO_ACCOUNTS]
    emails = list(
        User.objects.filter(
            email__endswith=f"@{demo_data.DEMO_EMAIL_DOMAIN}", is_staff=False, is_superuser=False
        )
        .exclude(email__in=demo_emails)
        .exclude(orders__window=window)
        .order_by("pk")
        .values_list("email", flat=True)[: args.customers]
    )
    if len(emails) < args.customers:
        raise RuntimeError(f"only {len(emails)} customers without an order this week")
    return [Scarce(pk, args.stock) for pk in chosen], emails


def books(scarce: list[Scarce]) -> Books:
    """What the database says about the scarce offers, once the server has stopped."""
    from django.db.models import Sum

    from orders.models import Offer, OrderLine

    sold_by_offer = dict(
        OrderLine.objects.filter(offer_id__in=[s.offer_id for s in scarce])
        .values("offer_id")
        .annotate(units=Sum("quantity"))
        .values_list("offer_id", "units")
    )
    oversold = 0
    details = []
    for offer in Offer.objects.filter(pk__in=[s.offer_id for s in scarce]).order_by("pk"):
        sold = int(sold_by_offer.get(offer.pk) or 0)
        line = (
            f"offer {offer.pk}: quantity={offer.quantity} remaining={offer.remaining} sold={sold}"
        )
        beyond = max(0, sold - offer.quantity)
        unbalanced = offer.remaining < 0 or offer.remaining + sold != offer.quantity
        oversold += beyond + (1 if unbalanced else 0)
        if beyond or unbalanced:
            details.append(f"{line} OVERSOLD by {beyond}, books balance: {not unbalanced}")
        else:
            details.append(line)
    return Books(
        units_sold=sum(int(n or 0) for n in sold_by_offer.values()),
        stock=sum(s.quantity for s in scarce),
        oversold=oversold,
        details=details,
    )


def log_in_all(
    server: Gunicorn, emails: list[str], seconds: float, workers: int
) -> tuple[list[Client | None], Tally]:
    """Each customer logs in and loads the shop once. Setup, not measured: a few at a
    time (twice the workers), so that none waits long behind the others' password
    hashing; a login refused by allauth's per-IP rate limit (429) or left unanswered
    is tried again until `seconds` have passed."""
    clients: list[Client | None] = [None] * len(emails)
    deadline = time.monotonic() + seconds
    gate = threading.Semaphore(2 * workers)

    def customer(index: int, tally: Tally) -> None:
        client = Client(server.port, timeout=TIMEOUT)
        client.tally = tally
        with gate:
            while True:
                try:
                    reply = client.login(emails[index], PASSWORD)
                except benchkit.TRANSPORT_ERRORS:
                    if time.monotonic() >= deadline:
                        raise
                    continue
                if reply.status == 302 and "sessionid" in client.cookies:
                    break
                if reply.status == 429 and time.monotonic() < deadline:
                    time.sleep(2)
                    continue
                raise RuntimeError(f"login of {emails[index]}: {reply.status} {reply.location}")
            shop = client.get("/shop/")
        if shop.status != 200:
            raise RuntimeError(f"shop for {emails[index]}: {shop.status}")
        clients[index] = client

    tallies = benchkit.run_threads(len(emails), customer)
    return clients, benchkit.merged(tallies)


def race(clients: list[Client], scarce: list[Scarce], budget: Budget) -> tuple[Tally, float]:
    """All customers add units of the scarce offers at once, round-robin."""

    def add(client: Client, index: int, turn: int) -> None:
        offer = scarce[(index + turn) % len(scarce)]
        client.post(
            f"/basket/lines/{offer.offer_id}/",
            form={"delta": "1", "where": "shop", "next": "/shop/"},
            headers={"HX-Request": "true", "HX-Current-URL": f"{client.origin}/shop/"},
        )

    return benchkit.timed_phase(clients, budget, add)


def main() -> int:
    args = parse_args()
    benchkit.catch_termination()
    run_started = time.perf_counter()
    with benchkit.scratch_dir("coop-bench-load-") as tmp:
        db_url = benchkit.database_url(args.pg, DB_NAME)
        benchkit.production_environment(db_url=db_url, var_dir=tmp)
        benchkit.setup_django()
        try:
            benchkit.create_database(DB_NAME)
            scarce, emails = prepare(args)
            log(
                f"seeded in {time.perf_counter() - run_started:.1f} s; scarce offers "
                f"{[s.offer_id for s in scarce]} with {args.stock} units each"
            )
            with Gunicorn(
                app="coop_shop.wsgi:application",
                workers=args.workers,
                log_path=tmp / "gunicorn.log",
            ) as server:
                server.wait_ready("/livez")
                log(f"gunicorn ({args.workers} sync workers) on 127.0.0.1:{server.port}")
                login_started = time.perf_counter()
                maybe_clients, warmup = log_in_all(server, emails, args.login_seconds, args.workers)
                clients = [c for c in maybe_clients if c is not None]
                log(
                    f"logged in and loaded the shop: {len(clients)}/{len(emails)} customers "
                    f"in {time.perf_counter() - login_started:.1f} s; {warmup.describe()}"
                )
                for problem in warmup.crashed[:5]:
                    log(f"  warm-up problem: {problem}")
                if not clients:
                    raise RuntimeError("no customer could log in:\n" + server.tail())
                budget = Budget(seconds=args.seconds, requests=args.max_requests)
                adds, elapsed = race(clients, scarce, budget)
                log(f"add phase: {elapsed:.1f} s; {adds.describe()}")
                for problem in adds.failures + adds.crashed:
                    log(f"  add problem: {problem}")
                errors_5xx = adds.errors_5xx + warmup.errors_5xx
                if errors_5xx:
                    for trace in server.tracebacks()[:3]:
                        log("  server traceback:" + trace[-1500:])
            result = books(scarce)
            for detail in result.details:
                log(f"  {detail}")
            log(f"run time {time.perf_counter() - run_started:.1f} s")
            rps = adds.requests / elapsed if elapsed else 0.0
            print(
                f"requests={adds.requests} rps={rps:.1f} p50_ms={adds.percentile_ms(50):.1f} "
                f"p95_ms={adds.percentile_ms(95):.1f} errors_5xx={errors_5xx} "
                f"units_sold={result.units_sold} stock={result.stock} oversold={result.oversold}",
                flush=True,
            )
            return 1 if result.oversold else 0
        finally:
            benchkit.drop_database(DB_NAME)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (KeyboardInterrupt, benchkit.Stop) as stop:
        log(f"interrupted ({str(stop) or 'SIGINT'}): servers stopped, database dropped")
        sys.exit(130)
