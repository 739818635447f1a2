"""Lighthouse (mobile) on the shop page of a full week, in French and in English.

How: a PostgreSQL database of its own (`coop_bench_lighthouse`, dropped at the end) is
migrated and seeded (`seed_demo`: 40 farms, about 260 offers); gunicorn serves it with
production settings, behind gzip as the proxy does in production (`gzip_app.py`);
Lighthouse 12.2.3 from npm (`npx`, the npm registry) drives Debian's Chromium
(CHROME_PATH, default /usr/bin/chromium) on /shop/ signed out, once per language
(Accept-Language), with its mobile defaults (simulated slow 4G, 4× CPU slowdown),
--runs times (default 3): each score is the median of the runs, as Lighthouse advises
(one run on a shared machine varies by a few hundredths).

Prints one line per language:

    lighthouse lang=fr-CA performance=P accessibility=A best_practices=B seo=S

and, below a score of 1, the audits that cost it. Not run by CI (it needs npx).

    .venv/bin/python bench/lighthouse.py
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
from typing import Any

import benchkit
from benchkit import Gunicorn, log

DB_NAME = "coop_bench_lighthouse"
LIGHTHOUSE = "lighthouse@12.2.3"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")


def audit(url: str, language: str, out: str) -> dict[str, Any]:
    chrome = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
    command = [
        shutil.which("npx") or "npx", "--yes", LIGHTHOUSE, url, "--quiet",
        "--chrome-flags=--headless=new --no-sandbox", f"--locale={language}",
        f"--only-categories={','.join(CATEGORIES)}", "--form-factor=mobile",
        "--output=json", f"--output-path={out}",
        f"--extra-headers={json.dumps({'Accept-Language': language})}",
    ]  # fmt: skip
    subprocess.run(command, env=dict(os.environ, CHROME_PATH=chrome), check=True)  # noqa: S603
    with open(out) as report:
        return json.load(report)  # type: ignore[no-any-return]


def _score(report: dict[str, Any], name: str) -> float:
    return float(report["categories"][name]["score"] or 0)


def show(language: str, reports: list[dict[str, Any]]) -> None:
    medians = {name: statistics.median(_score(r, name) for r in reports) for name in CATEGORIES}
    scores = " ".join(f"{name.replace('-', '_')}={medians[name]:g}" for name in CATEGORIES)
    log(f"lighthouse lang={language} {scores}")
    middle = sorted(reports, key=lambda r: _score(r, "performance"))[len(reports) // 2]
    for name in CATEGORIES:
        for ref in middle["categories"][name]["auditRefs"]:
            found = middle["audits"][ref["id"]]
            score = found.get("score")
            if ref.get("weight") and score is not None and score < 1:
                log(f"  {name}: {ref['id']} {score} {found.get('displayValue', '')}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pg", default=benchkit.DEFAULT_PG, help="the local PostgreSQL server")
    parser.add_argument("--runs", type=int, default=3, help="runs per language (default 3)")
    args = parser.parse_args()
    benchkit.catch_termination()
    with benchkit.scratch_dir("coop-bench-lighthouse-") as tmp:
        benchkit.production_environment(db_url=benchkit.database_url(args.pg, DB_NAME), var_dir=tmp)
        benchkit.setup_django()
        try:
            benchkit.create_database(DB_NAME)
            benchkit.prepare_schema_and_static()
            benchkit.seed(farms=40, customers=20, orders=0)
            with Gunicorn(
                app="gzip_app:application",
                workers=2,
                log_path=tmp / "gunicorn.log",
                pythonpath=benchkit.ROOT / "bench",
            ) as server:
                server.wait_ready("/livez")
                for language in ("fr-CA", "en-CA"):
                    reports = [
                        audit(
                            f"http://127.0.0.1:{server.port}/shop/",
                            language,
                            str(tmp / f"lighthouse-{language}-{run}.json"),
                        )
                        for run in range(args.runs)
                    ]
                    show(language, reports)
        finally:
            benchkit.drop_database(DB_NAME)
    return 0


if __name__ == "__main__":
    sys.exit(main())
