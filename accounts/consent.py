"""What emails a person wants beyond the transactional ones, and the way out of each:
a signed unsubscribe link that works without logging in, and the List-Unsubscribe
headers of RFC 2369 and RFC 8058 (one click)."""

from datetime import datetime
from typing import Literal
from urllib.parse import urljoin

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from .models import ConsentRecord, EmailPreferences, User

Kind = Literal["reminders", "announcements", "news"]
KINDS: tuple[Kind, ...] = ("reminders", "announcements", "news")
SALT = "accounts.unsubscribe"
DEFAULTS: dict[str, bool] = {"reminders": True, "announcements": True, "news": False}


def wants(user: User, kind: Kind) -> bool:
    prefs = EmailPreferences.objects.filter(user=user).values_list(kind, flat=True).first()
    return DEFAULTS[kind] if prefs is None else bool(prefs)


def preferences_of(user: User) -> dict[str, bool]:
    """What the person wants now, kind by kind (one query)."""
    prefs = EmailPreferences.objects.filter(user=user).values(*KINDS).first()
    return {kind: bool(prefs[kind]) if prefs else DEFAULTS[kind] for kind in KINDS}


def preferences_set(
    user: User, choices: dict[str, bool], *, how: str, now: datetime | None = None
) -> EmailPreferences:
    """Record the choices; each one that changes gets its date and a `ConsentRecord`.
    The person's row is locked for the change: two at once (the page and a mail
    client's one-click) are applied one after the other, each recorded."""
    now = now or timezone.now()
    with transaction.atomic():
        EmailPreferences.objects.get_or_create(user=user)
        prefs = EmailPreferences.objects.select_for_update().get(user=user)
        changed = []
        for kind in KINDS:
            if kind in choices and getattr(prefs, kind) != choices[kind]:
                setattr(prefs, kind, choices[kind])
                setattr(prefs, f"{kind}_changed_at", now)
                changed.append(kind)
        if changed:
            prefs.changed_by = how
            prefs.save(
                update_fields=[*changed, *(f"{k}_changed_at" for k in changed), "changed_by"]
            )
            ConsentRecord.objects.bulk_create(
                ConsentRecord(user=user, kind=kind, given=choices[kind], at=now, how=how)
                for kind in changed
            )
    return prefs


def unsubscribe(user: User, kind: Kind, *, how: str = ConsentRecord.How.LINK) -> None:
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
