"""Time `seed_demo` at scale on a throw-away database (SQLite file, or PostgreSQL when
DATABASE_URL is set: a database named coop_bench_seed is created and dropped).

    .venv/bin/python bench/seed.py --farms 40 --customers 1000 --orders 1000

Prints: farms=.. products=.. offers=.. orders=.. lines=.. seconds=..

The orders take their stock through the market's services (`basket_fill` for an
order's lines, then `order_confirm`: about 7 ms an order on SQLite, so 1000 orders take
some 7 to 14 s depending on the machine's load); farms, people and offers are
bulk-inserted and take about a second.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--farms", type=int, default=40)
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--orders", type=int, default=1000)
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    tmp = tempfile.mkdtemp(prefix="coop-bench-")
    if url.startswith("postgres"):
        base, _, _ = url.rpartition("/")
        os.environ["DATABASE_URL"] = f"{base}/coop_bench_seed"
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ["VAR_DIR"] = tmp
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coop_shop.settings")

    import django
    from django.core.management import call_command
    from django.db import connection

    django.setup()
    created_pg = False
    if connection.vendor == "postgresql":
        with connection._nodb_cursor() as cursor:  # noqa: SLF001
            cursor.execute("DROP DATABASE IF EXISTS coop_bench_seed")
            cursor.execute("CREATE DATABASE coop_bench_seed")
        created_pg = True
    try:
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        call_command(
            "seed_demo",
            farms=args.farms,
            customers=args.customers,
            orders=args.orders,
            stdout=open(os.devnull, "w"),  # noqa: SIM115
        )
        seconds = time.perf_counter() - started
        from farms.models import Farm, Product
        from orders.models import Offer, Order, OrderLine

        print(
            f"farms={Farm.objects.count()} products={Product.objects.count()} "
            f"offers={Offer.objects.count()} orders={Order.objects.count()} "
            f"lines={OrderLine.objects.count()} seconds={seconds:.2f} db={connection.vendor}"
        )
    finally:
        if created_pg:
            connection.close()
            with connection._nodb_cursor() as cursor:  # noqa: SLF001
                cursor.execute("DROP DATABASE IF EXISTS coop_bench_seed")


if __name__ == "__main__":
    main()
