"""The daily backup (bin/backup.sh, what docker-compose's `backup` service runs) makes
a dump that restores into a fresh database with the orders in it."""

import os
import shutil
import subprocess
from pathlib import Path

import psycopg2
import pytest
from django.db import connection

from orders.models import Order
from tests import factories

ROOT = Path(__file__).resolve().parent.parent
RESTORED = "coop_restore_check"


def _libpq_env() -> dict[str, str]:
    db = connection.settings_dict
    return {
        **os.environ,
        "PGHOST": db["HOST"] or "127.0.0.1",
        "PGPORT": str(db["PORT"] or 5432),
        "PGUSER": db["USER"] or "postgres",
        "PGPASSWORD": db["PASSWORD"] or "",
        "PGDATABASE": db["NAME"],
    }


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_into_a_fresh_database_with_the_orders(tmp_path: Path) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("pg_dump backs up PostgreSQL, the co-op's database (CI runs this)")
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.fail("pg_dump and pg_restore (postgresql-client) are needed here")
    window = factories.window()
    orders = [factories.order(window_=window) for _ in range(3)]
    env = {**_libpq_env(), "BACKUP_DIR": str(tmp_path), "KEEP_DAYS": "14"}
    old = tmp_path / "coop-20200101T000000Z.dump"
    old.write_bytes(b"old")
    os.utime(old, (0, 0))  # far past the 14 days kept
    done = subprocess.run(  # noqa: S603
        ["/bin/sh", str(ROOT / "bin" / "backup.sh")], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    (dump,) = tmp_path.glob("*.dump")  # the old one is gone, the new one is whole
    assert dump != old
    admin = {**env, "PGDATABASE": "postgres"}
    subprocess.run(["dropdb", "--if-exists", RESTORED], env=admin, check=True)  # noqa: S603, S607
    subprocess.run(["createdb", RESTORED], env=admin, check=True)  # noqa: S603, S607
    try:
        subprocess.run(  # noqa: S603
            ["pg_restore", "--no-owner", "-d", RESTORED, str(dump)],  # noqa: S607
            env=admin,
            check=True,
        )
        with (
            psycopg2.connect(
                host=env["PGHOST"], port=env["PGPORT"], user=env["PGUSER"], dbname=RESTORED
            ) as restored,
            restored.cursor() as cursor,
        ):
            cursor.execute("SELECT id FROM orders_order ORDER BY id")
            assert [row[0] for row in cursor.fetchall()] == [o.pk for o in orders]
        restored.close()
    finally:
        subprocess.run(["dropdb", "--if-exists", RESTORED], env=admin, check=True)  # noqa: S603, S607
    assert Order.objects.count() == 3
