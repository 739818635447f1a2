"""A coordinator's announcements (issue #15, item 3): to the week's customers or one
point's, previewed with a count, sent by a task, each copy once; only to those who want
announcements, with an unsubscribe link and header."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts import consent
from baskets import announcements, tasks
from baskets.models import Announcement, AnnouncementDelivery
from orders.models import Order
from tests import factories
from tests.workers import at_once

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def week():  # type: ignore[no-untyped-def]
    """A week with two points: at the church, two customers who ordered (one reads
    English) and one whose order was cancelled; at the school one customer, and one with
    a basket not confirmed; a walk-in sale."""
    window = factories.window()
    church = factories.pickup_point(name="Église")
    school = factories.pickup_point(name="École")
    people = {}
    for email, point, status, language in (
        ("anne@example.org", church, Order.Status.CONFIRMED, "fr-ca"),
        ("bob@example.org", church, Order.Status.CONFIRMED, "en"),
        ("gone@example.org", church, Order.Status.CANCELLED, "fr-ca"),
        ("chloe@example.org", school, Order.Status.CONFIRMED, "fr-ca"),
        ("basket@example.org", school, Order.Status.BASKET, "fr-ca"),
    ):
        people[email] = factories.user(email=email, language=language)
        factories.order(window_=window, customer=people[email], pickup_point=point, status=status)
    Order.objects.create(
        window=window, walk_in_name="Marché", status=Order.Status.PICKED_UP,
        last_activity_at=timezone.now(),
    )  # fmt: skip
    return window, church, school, people


def _draft(**changes: object) -> announcements.Draft:
    fields: dict[str, object] = {
        "subject": "Cueillette déplacée",
        "body": "La cueillette se fait au sous-sol de l'église cette semaine.",
        "subject_en": "Pickup moved",
        "body_en": "Pickup is in the church basement this week.",
        **changes,
    }
    return announcements.Draft(**fields)  # type: ignore[arg-type]


def test_the_audience_is_the_weeks_customers_with_an_order_of_one_point_or_all(week) -> None:
    window, church, school, people = week
    assert announcements.audience(window=window, point_id=None) == announcements.Audience(3, 0)
    assert announcements.audience(window=window, point_id=church.pk).recipients == 2
    consent.unsubscribe(people["bob@example.org"], "announcements")
    church_now = announcements.audience(window=window, point_id=church.pk)
    assert (church_now.customers, church_now.opted_out, church_now.recipients) == (2, 1, 1)
    assert announcements.audience(window=window, point_id=school.pk).recipients == 1


def test_sent_once_each_in_the_customers_language_with_a_way_out(week, settings) -> None:
    window, church, _school, people = week
    coordinator = factories.coordinator()
    mail.outbox.clear()
    with pytest.raises(announcements.AnnouncementError, match="changed since the preview"):
        announcements.announcement_send(
            window_id=window.pk, draft=_draft(pickup_point_id=church.pk), expected=3,
            author_id=coordinator.pk, now=timezone.now(),
        )  # fmt: skip
    assert not Announcement.objects.exists()
    sent = announcements.announcement_send(
        window_id=window.pk, draft=_draft(pickup_point_id=church.pk), expected=2,
        author_id=coordinator.pk, now=timezone.now(),
    )  # fmt: skip
    assert mail.outbox == []  # nothing inside the request: the task sends
    now = timezone.now()
    assert announcements.deliveries_send(announcement_id=sent.pk, now=now) == 2
    assert announcements.deliveries_send(announcement_id=sent.pk, now=now) == 0  # again
    assert announcements.pending_send(now=now + timedelta(hours=1)) == 0
    by_address = {m.to[0]: m for m in mail.outbox}
    assert sorted(by_address) == ["anne@example.org", "bob@example.org"]
    french, english = by_address["anne@example.org"], by_address["bob@example.org"]
    assert french.subject == f"{settings.COOP_NAME} – Cueillette déplacée"
    assert "sous-sol de l'église" in french.body
    assert "Bonjour" in french.body
    assert "Église" in french.body
    assert english.subject == f"{settings.COOP_NAME} – Pickup moved"
    assert "church basement" in english.body
    assert "No more announcements:" in english.body
    for message in (french, english):
        assert message.extra_headers["List-Unsubscribe"].startswith("<http")
        assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    [row] = announcements.announcements_of(window=window)
    assert (row.sent, row.dropped, row.announcement.recipients) == (2, 0, 2)


def test_without_an_english_text_english_readers_get_the_french_one(week) -> None:
    window, _church, _school, people = week
    sent = announcements.announcement_send(
        window_id=window.pk, draft=_draft(subject_en="", body_en=""), expected=3,
        author_id=factories.coordinator().pk, now=timezone.now(),
    )  # fmt: skip
    mail.outbox.clear()
    announcements.deliveries_send(announcement_id=sent.pk, now=timezone.now())
    [to_bob] = [m for m in mail.outbox if m.to == ["bob@example.org"]]
    assert "Cueillette déplacée" in to_bob.subject
    assert "Hello" in to_bob.body


def test_who_unsubscribed_meanwhile_gets_nothing_and_a_failed_send_is_sent_later(
    week, monkeypatch
) -> None:
    window, _church, _school, people = week
    sent = announcements.announcement_send(
        window_id=window.pk, draft=_draft(), expected=3,
        author_id=factories.coordinator().pk, now=timezone.now(),
    )  # fmt: skip
    consent.unsubscribe(people["chloe@example.org"], "announcements")
    mail.outbox.clear()
    from django.core.mail.backends.locmem import EmailBackend

    real_send = EmailBackend.send_messages

    def flaky(self, messages):  # type: ignore[no-untyped-def]
        if messages[0].to == ["anne@example.org"]:
            raise OSError("SMTP server went away")
        return real_send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", flaky)
    now = timezone.now()
    assert announcements.deliveries_send(announcement_id=sent.pk, now=now) == 1  # bob
    monkeypatch.setattr(EmailBackend, "send_messages", real_send)
    assert tasks.reminders.run()["announcements"] == 1  # the tick sends anne's
    assert sorted(m.to[0] for m in mail.outbox) == ["anne@example.org", "bob@example.org"]
    dropped = AnnouncementDelivery.objects.get(customer=people["chloe@example.org"])
    assert dropped.dropped
    assert dropped.sent_at is None


def test_a_claim_left_by_a_dead_worker_is_taken_again_later(week) -> None:
    window, _church, _school, _people = week
    sent = announcements.announcement_send(
        window_id=window.pk, draft=_draft(), expected=3,
        author_id=factories.coordinator().pk, now=timezone.now(),
    )  # fmt: skip
    now = timezone.now()
    AnnouncementDelivery.objects.filter(announcement=sent).update(claimed_at=now)  # in flight
    mail.outbox.clear()
    assert announcements.pending_send(now=now + timedelta(minutes=1)) == 0
    assert announcements.pending_send(now=now + announcements.CLAIM_FOR * 2) == 3
    assert len(mail.outbox) == 3


@pytest.mark.parametrize(
    ("changes", "expected", "reason"),
    [
        ({"subject": " "}, 3, "Write a subject and a message"),
        ({"body_en": ""}, 3, "English subject and the English message"),
        ({"subject": "x" * 151}, 3, "too long"),
        ({"subject": "Deux\nlignes"}, 3, "one line"),
        ({"pickup_point_id": 999999}, 3, "Choose a pickup point"),
    ],
)
def test_bad_announcements_are_refused_with_the_reason(week, changes, expected, reason) -> None:
    window, _church, _school, _people = week
    with pytest.raises(announcements.AnnouncementError, match=reason):
        announcements.announcement_send(
            window_id=window.pk, draft=_draft(**changes), expected=expected,
            author_id=factories.coordinator().pk, now=timezone.now(),
        )  # fmt: skip
    assert not Announcement.objects.exists()


def test_nobody_to_write_to_is_refused(week) -> None:
    window, _church, school, people = week
    consent.unsubscribe(people["chloe@example.org"], "announcements")
    with pytest.raises(announcements.AnnouncementError, match="Nobody would receive"):
        announcements.announcement_send(
            window_id=window.pk, draft=_draft(pickup_point_id=school.pk), expected=0,
            author_id=factories.coordinator().pk, now=timezone.now(),
        )  # fmt: skip


def test_the_coordinator_previews_counts_then_sends_from_the_weeks_page(client, week) -> None:
    window, church, _school, people = week
    consent.unsubscribe(people["bob@example.org"], "announcements")
    client.force_login(factories.coordinator())
    url = reverse("baskets:coordinator_announcements", args=[window.pk])
    week_page = client.get(reverse("pickup:coordinator_window", args=[window.pk]))
    assert url in week_page.content.decode()
    fields = {
        "pickup_point": str(church.pk), "subject": "Cueillette déplacée",
        "body": "Au sous-sol.", "subject_en": "", "body_en": "",
    }  # fmt: skip
    refused = client.post(url, {**fields, "subject": ""})
    assert refused.status_code == 422
    assert "This field is required." in refused.content.decode()
    preview = client.post(url, {**fields, "action": "preview"})
    page = preview.content.decode()
    assert preview.status_code == 200
    assert "1 customer will receive it." in page
    assert "1 customer of these orders turned announcements off" in page
    assert "Au sous-sol." in page
    assert "In English" in page
    assert 'name="expected" value="1"' in page
    assert "‹first name›" in page  # the preview's greeting, as each email has its own
    assert "bob@example.org" in page  # whom to call: turned announcements off
    key = re.search(r'name="draft_key" value="([0-9a-f-]+)"', page)
    assert key is not None
    fields["draft_key"] = key.group(1)
    assert not Announcement.objects.exists()  # a preview sends nothing
    unkeyed = client.post(url, {**fields, "action": "send", "expected": "1", "draft_key": "x"})
    assert unkeyed.status_code == 400
    assert "preview it again" in unkeyed.content.decode()
    stale = client.post(url, {**fields, "action": "send", "expected": "2"})
    assert stale.status_code == 409
    assert "changed since the preview (1 instead of 2)" in stale.content.decode()
    mail.outbox.clear()
    with_capture = client.post(url, {**fields, "action": "send", "expected": "1"}, follow=True)
    assert "being sent to 1 customer." in with_capture.content.decode()
    again = client.post(url, {**fields, "action": "send", "expected": "1"})  # Back, resent
    assert again.status_code == 409
    assert "sent already" in again.content.decode()
    announcement = Announcement.objects.get()
    assert (announcement.pickup_point, announcement.recipients) == (church, 1)
    assert list(announcement.deliveries.values_list("customer__email", flat=True)) == [
        "anne@example.org"
    ]
    # The task is queued after commit, which a test transaction never reaches: the tick.
    announcements.pending_send(now=timezone.now())
    assert [m.to for m in mail.outbox] == [["anne@example.org"]]
    assert "1 of 1 sent" in client.get(url).content.decode()


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_copy_once() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("two workers need two connections to one database: PostgreSQL (CI)")
    window = factories.window()
    point = factories.pickup_point()
    for n in range(20):
        factories.order(
            window_=window, customer=factories.user(email=f"c{n}@example.org"),
            pickup_point=point, status=Order.Status.CONFIRMED,
        )  # fmt: skip
    sent = announcements.announcement_send(
        window_id=window.pk, draft=_draft(), expected=20,
        author_id=factories.coordinator().pk, now=timezone.now(),
    )  # fmt: skip
    mail.outbox.clear()
    counts = at_once(
        lambda: announcements.deliveries_send(announcement_id=sent.pk, now=timezone.now())
    )
    assert sum(counts) == 20
    assert sorted(m.to[0] for m in mail.outbox) == sorted(f"c{n}@example.org" for n in range(20))
