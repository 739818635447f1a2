"""What emails a person wants beyond the transactional ones, and the way out of each:
a signed unsubscribe link that works without logging in, and the List-Unsubscribe
headers of RFC 2369 and RFC 8058 (one click)."""

from datetime import datetime
from typing import Literal
from urllib.parse import urljoin

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from .models import EmailPreferences, User

Kind = Literal["reminders", "announcements", "news"]
KINDS: tuple[Kind, ...] = ("reminders", "announcements", "news")
SALT = "accounts.unsubscribe"
DEFAULTS: dict[str, bool] = {"reminders": True, "announcements": True, "news": False}


def wants(user: User, kind: Kind) -> bool:
    prefs = EmailPreferences.objects.filter(user=user).values_list(kind, flat=True).first()
    return DEFAULTS[kind] if prefs is None else bool(prefs)


def preferences_set(
    user: User, choices: dict[str, bool], *, how: str, now: datetime | None = None
) -> EmailPreferences:
    """Record the choices; each one that changes gets its date."""
    now = now or timezone.now()
    prefs, _created = EmailPreferences.objects.get_or_create(user=user)
    changed = []
    for kind in KINDS:
        if kind in choices and getattr(prefs, kind) != choices[kind]:
            setattr(prefs, kind, choices[kind])
            setattr(prefs, f"{kind}_changed_at", now)
            changed += [kind, f"{kind}_changed_at"]
    if changed:
        prefs.changed_by = how
        prefs.save(update_fields=[*changed, "changed_by"])
    return prefs


def unsubscribe(user: User, kind: Kind, *, how: str = "link") -> None:
    preferences_set(user, {kind: False}, how=how)


def unsubscribe_token(user: User, kind: Kind) -> str:
    return signing.dumps({"u": user.pk, "k": kind}, salt=SALT, compress=True)


def token_read(token: str) -> tuple[int, Kind]:
    """The person and the kind a link names. Raises signing.BadSignature."""
    data = signing.loads(token, salt=SALT)
    if (
        not isinstance(data, dict)
        or data.get("k") not in KINDS
        or not isinstance(data.get("u"), int)
    ):
        raise signing.BadSignature("not an unsubscribe link")
    return int(data["u"]), data["k"]


def unsubscribe_url(user: User, kind: Kind) -> str:
    return urljoin(
        settings.COOP_BASE_URL,
        reverse("accounts:unsubscribe", args=[unsubscribe_token(user, kind)]),
    )


def list_unsubscribe_headers(user: User, kind: Kind) -> dict[str, str]:
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(user, kind)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
