"""Email consent (issue #15, item 4): reminders and announcements by default, news only
when asked for, each change dated; a signed unsubscribe link that works without logging
in, one click included (RFC 8058); a changed link gets a clear page."""

from collections.abc import Iterator

import pytest
from django.urls import reverse
from django.utils import translation

from accounts import consent
from accounts.models import ConsentRecord, EmailPreferences
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(client) -> Iterator[None]:  # type: ignore[no-untyped-def]
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


def test_news_is_off_until_asked_for_and_each_change_is_dated(client) -> None:
    user = factories.user()
    assert (consent.wants(user, "reminders"), consent.wants(user, "news")) == (True, False)
    client.force_login(user)
    page = client.get(reverse("accounts:email_preferences")).content.decode()
    assert "always sent" in page
    response = client.post(reverse("accounts:email_preferences"), {"reminders": "on", "news": "on"})
    assert response.status_code == 302
    prefs = EmailPreferences.objects.get(user=user)
    assert (prefs.reminders, prefs.announcements, prefs.news) == (True, False, True)
    assert prefs.news_changed_at is not None
    assert prefs.announcements_changed_at is not None
    assert prefs.reminders_changed_at is None  # not changed: no date
    assert prefs.changed_by == "page"


def test_the_unsubscribe_link_works_without_logging_in(client) -> None:
    user = factories.user(email="marie@example.org")
    url = consent.unsubscribe_url(user, "reminders")
    path = url[url.index("/emails/unsubscribe/") :]
    asked = client.get(path)
    assert asked.status_code == 200
    assert "marie@example.org" in asked.content.decode()
    assert consent.wants(user, "reminders")  # asking changed nothing
    done = client.post(path)
    assert done.status_code == 200
    assert "no longer receives" in done.content.decode()
    assert not consent.wants(user, "reminders")
    assert EmailPreferences.objects.get(user=user).changed_by == "link"


def test_one_click_unsubscribe_needs_no_csrf_token(client) -> None:
    from django.test import Client

    user = factories.user()
    strict = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    url = consent.unsubscribe_url(user, "announcements")
    path = url[url.index("/emails/unsubscribe/") :]
    response = strict.post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert not consent.wants(user, "announcements")
    [record] = ConsentRecord.objects.filter(user=user)
    assert (record.kind, record.given, record.how) == ("announcements", False, "one-click")
    headers = consent.list_unsubscribe_headers(user, "announcements")
    assert headers["List-Unsubscribe"] == f"<{url}>"
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_a_changed_link_gets_a_clear_page(client) -> None:
    user = factories.user()
    url = consent.unsubscribe_url(user, "reminders")
    path = url[url.index("/emails/unsubscribe/") :]
    bad = client.post(path[:-4] + "xyz/")
    assert bad.status_code == 400
    assert "not complete or was changed" in bad.content.decode()
    assert consent.wants(user, "reminders")


def test_every_change_is_kept_in_the_record_and_in_the_data_export(client) -> None:
    from baskets import privacy

    user = factories.user()
    consent.preferences_set(user, {"news": True}, how="page")
    consent.preferences_set(user, {"news": True, "reminders": True}, how="page")  # no change
    consent.unsubscribe(user, "news")
    history = list(ConsentRecord.objects.filter(user=user).values_list("kind", "given", "how"))
    assert history == [("news", True, "page"), ("news", False, "link")]
    data = privacy.customer_data(user=user)
    assert data["email_preferences"] == {"reminders": True, "announcements": True, "news": False}
    assert [(r["emails"], r["given"], r["how"]) for r in data["email_consent_history"]] == history
    privacy.account_erase(user_id=user.pk)
    assert not ConsentRecord.objects.filter(user=user).exists()
    assert not EmailPreferences.objects.filter(user=user).exists()
