"""Email sent during a request is queued for a task: an unreachable mail server never
turns a password reset, a sign-up or an order into a 500; the task retries, and after
the last try coordinators see what could not be sent."""

import socket

import pytest
from celery import current_app
from django.core import mail
from django.urls import reverse

from accounts.mail import data_to_message, message_to_data
from accounts.models import UndeliveredEmail
from accounts.tasks import send_email
from tests import factories

pytestmark = pytest.mark.django_db


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens once it is closed


@pytest.fixture
def smtp_down(settings):  # type: ignore[no-untyped-def]
    settings.MAILERS = {
        "default": {"BACKEND": "accounts.mail.QueuedEmailBackend"},
        "deliver": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": _closed_port(), "timeout": 2},
        },
    }


def test_a_password_reset_with_the_mail_server_down_is_not_a_500(
    client, smtp_down, django_capture_on_commit_callbacks, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    user = factories.user(email="marie@example.org")
    queued: list[dict[str, object]] = []

    def send_task(name: str, args: list[dict[str, object]]) -> None:  # the broker's door
        assert name == send_email.name
        queued.extend(args)

    monkeypatch.setattr(current_app, "send_task", send_task)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_reset_password"), {"email": user.email})
    assert response.status_code == 302
    assert [data["to"] for data in queued] == [["marie@example.org"]]


def test_after_the_last_try_the_failure_shows_to_coordinators(client, smtp_down) -> None:
    data = message_to_data(
        mail.EmailMessage(subject="Votre commande", body="Bonjour", to=["paul@example.org"])
    )
    assert send_email.apply(args=(data,)).get() is False  # eager: every retry, then gives up
    failure = UndeliveredEmail.objects.get()
    assert (failure.to, failure.subject) == ("paul@example.org", "Votre commande")
    assert "refused" in failure.error.lower() or "connect" in failure.error.lower()
    client.force_login(factories.coordinator())
    page = client.get(reverse("pickup:coordinator"), HTTP_ACCEPT_LANGUAGE="en").text
    assert "Emails the mail server refused" in page
    assert "paul@example.org" in page


def test_a_message_survives_the_queue_whole() -> None:
    message = mail.EmailMultiAlternatives(
        subject="Liste", body="texte", to=["a@example.org"], cc=["b@example.org"]
    )
    message.attach_alternative("<p>html</p>", "text/html")
    message.attach("liste.csv", b"\xef\xbb\xbfa,b\r\n", "text/csv")
    again = data_to_message(message_to_data(message))
    assert (again.subject, again.body, again.to, again.cc) == (
        "Liste",
        "texte",
        ["a@example.org"],
        ["b@example.org"],
    )
    assert again.alternatives[0][0] == "<p>html</p>"
    assert list(again.attachments[0]) == list(message.attachments[0])


def test_the_worker_sends_through_the_real_server(settings) -> None:
    """With the server up (the in-memory one in tests), the task delivers."""
    data = message_to_data(mail.EmailMessage(subject="Ok", body="b", to=["c@example.org"]))
    assert send_email.apply(args=(data,)).get() is True
    assert [m.subject for m in mail.outbox] == ["Ok"]
