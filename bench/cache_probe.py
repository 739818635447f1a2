"""How many entries the shop's cache holds after one anonymous visit, then after 30
visits with random query strings (the hostile probe's cache amplification), on a
throw-away SQLite demo co-op. Every in-memory cache alias is counted.

    .venv/bin/python bench/cache_probe.py

Prints: after_one= after_30_random= added= (added must stay 0)
"""

import os
import secrets
import sys
import tempfile
from io import StringIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    tmp = tempfile.mkdtemp(prefix="coop-cache-probe-")
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/probe.sqlite3"
    os.environ["VAR_DIR"] = tmp
    os.environ.pop("CACHE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coop_shop.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import caches
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", "--noinput", verbosity=0)
    call_command("seed_demo", stdout=StringIO())
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]

    def entries() -> int:
        return sum(len(getattr(caches[alias], "_cache", {})) for alias in settings.CACHES)

    client = Client()

    def visit(url: str) -> None:
        if client.get(url).status_code != 200:
            raise SystemExit(f"{url} did not answer 200")

    visit("/shop/")
    after_one = entries()
    for n in range(30):
        query = f"?{secrets.token_hex(4)}={secrets.token_hex(8)}"
        if n % 2:
            query += f"&farm={secrets.token_hex(3)}"  # a farm that does not exist
        visit(f"/shop/{query}")
    after = entries()
    print(f"after_one={after_one} after_30_random={after} added={after - after_one}")


if __name__ == "__main__":
    main()
