"""Every user-visible string is translatable, and French is complete."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "fr_CA" / "LC_MESSAGES" / "django.po"


def po_entries(text: str) -> list[tuple[str, str, bool]]:
    """(msgid, msgstr, fuzzy) of each entry, plural forms joined."""
    entries = []
    for block in text.split("\n\n"):
        lines = [line for line in block.splitlines() if line.strip()]
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        msgid, msgstrs, current = "", [], None
        for line in lines:
            if line.startswith("msgid "):
                current, msgid = "id", line[6:].strip('"')
            elif line.startswith("msgid_plural"):
                current = "plural"
            elif line.startswith("msgstr"):
                current = "str"
                msgstrs.append(line.split(" ", 1)[1].strip('"'))
            elif line.startswith('"') and current == "id":
                msgid += line.strip('"')
            elif line.startswith('"') and current == "str":
                msgstrs[-1] += line.strip('"')
        if msgid or msgstrs:
            entries.append((msgid, "|".join(msgstrs) if all(msgstrs) else "", fuzzy))
    return entries


def test_french_catalogue_is_complete() -> None:
    entries = [e for e in po_entries(PO.read_text(encoding="utf-8")) if e[0]]
    assert len(entries) > 50
    missing = [msgid for msgid, msgstr, fuzzy in entries if not msgstr or fuzzy]
    assert missing == []


def test_compiled_catalogue_matches_the_source(tmp_path: Path) -> None:
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(compiled), str(PO)], check=True)  # noqa: S603, S607
    assert compiled.read_bytes() == PO.with_suffix(".mo").read_bytes(), "run `make messages`"


@pytest.mark.django_db
def test_french_is_the_default_and_english_is_one_click_away(client) -> None:
    page = client.get("/").content.decode()
    assert '<html lang="fr">' in page
    assert "Nos fermes" in page
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    page = client.get("/").content.decode()
    assert '<html lang="en">' in page
    assert "Our farms" in page


def test_the_language_cookie_is_samesite_lax_and_out_of_scripts_reach(client) -> None:
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    cookie = response.cookies["coop_language"]
    assert (cookie["samesite"], cookie["httponly"]) == ("Lax", True)


def test_the_language_cookie_is_secure_when_debug_is_off() -> None:
    """Read from the production settings module itself (DEBUG=0), as deployed."""
    out = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-c",
            "import django, os; django.setup(); from django.conf import settings as s; "
            "print(s.LANGUAGE_COOKIE_SECURE, s.LANGUAGE_COOKIE_SAMESITE)",
        ],
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("PYTEST")},
            "DJANGO_SETTINGS_MODULE": "coop_shop.settings",
            "DEBUG": "0",
            "SECRET_KEY": "x" * 60,
            "ALLOWED_HOSTS": "coop.example",
        },
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == ["True", "Lax"]
