"""The current axe-core (npm, pinned in package-lock.json), run in the page by
Playwright. Evaluated through the DevTools protocol, so our Content Security Policy
(no inline script) does not stop it, and nothing of it reaches our static files."""

import os
from pathlib import Path
from typing import Any

import pytest

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.2 A and AA, as axe tags them (2.5.3 label in name is under wcag21a).
WCAG = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"],
    }
}


def axe_source() -> str:
    if not AXE.exists():
        if os.environ.get("COOP_REQUIRE_TOOLS") == "1":
            pytest.fail(f"axe-core is required in CI: {AXE} is missing (run `make test`)")
        pytest.skip("axe-core is not installed (`make test` installs it with npm)")
    return AXE.read_text()


def violations(page: Any, options: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The page's violations, each with its rule id, impact and the offending nodes."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    result = page.evaluate(
        "async (options) => await window.axe.run(document, options)", options or WCAG
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
    ]


def axe_version(page: Any) -> str:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    return str(page.evaluate("() => window.axe.version"))
