"""The house's rules that import-linter does not state (see docs/architecture.md):
no module imports another's private name, the biggest app holds at most 40 % of the
app code, and the task names that queued messages and the beat schedule know stay."""

import ast
import importlib
from pathlib import Path

from coop_shop.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent
APPS = (
    "common",
    "accounts",
    "farms",
    "orders",
    "payments",
    "pickup",
    "baskets",
    "settlements",
    "demo",
)


def _modules() -> list[Path]:
    return sorted(
        p for app in APPS for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts
    )


def test_no_module_imports_another_modules_private_name() -> None:
    """`from x import _name` (at the top or inside a function) only within one module."""
    found = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.ImportFrom):
                private = [a.name for a in node.names if a.name.startswith("_")]
                if private and node.module not in (None, "__future__"):
                    found.append(f"{path.relative_to(ROOT)}: from {node.module} import {private}")
    assert found == []


def test_the_biggest_app_holds_at_most_40_percent_of_the_app_code() -> None:
    lines = {
        app: sum(
            1
            for p in (ROOT / app).rglob("*.py")
            if "migrations" not in p.parts
            for line in p.read_text().splitlines()
            if line.strip()
        )
        for app in APPS
    }
    biggest = max(lines, key=lambda app: lines[app])
    assert lines[biggest] / sum(lines.values()) <= 0.40, lines


def test_task_names_survive_the_move() -> None:
    """Messages already queued and the beat schedule name tasks as they were named when
    every task lived in orders.tasks."""
    for app in ("orders", "payments", "pickup", "baskets"):  # the worker's autodiscovery
        importlib.import_module(f"{app}.tasks")

    names = set(celery_app.tasks)
    kept = {
        "orders.tasks.windows_tick",
        "orders.tasks.release_idle_baskets",
        "orders.tasks.close_window",
        "orders.tasks.rebuild_lists",
        "orders.tasks.refund_order",
        "orders.tasks.retry_refunds",
        "orders.tasks.handle_stripe_event",
    }
    assert kept <= names
    assert {entry["task"] for entry in celery_app.conf.beat_schedule.values()} <= names
