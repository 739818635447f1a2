"""Accounts through django-allauth: sign-up with email verification, login by email,
password reset, rate-limited login, and a menu for each role in both languages."""

import re
from collections.abc import Callable

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from accounts.models import User
from tests import factories

pytestmark = pytest.mark.django_db

MENU = {
    "fr-ca": {"customer": "Mes commandes", "farmer": "Ma ferme", "coordinator": "Coordination"},
    "en": {"customer": "My orders", "farmer": "My farm", "coordinator": "Coordination"},
}


@pytest.fixture(autouse=True)
def _clear_rate_limits() -> None:
    cache.clear()


def login(client, email: str, password: str = factories.PASSWORD):  # type: ignore[no-untyped-def]
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_signup_requires_email_verification(client) -> None:
    response = client.post(
        reverse("account_signup"),
        {
            "email": "nouvelle@example.org",
            "password1": "pomme-de-terre-42",
            "password2": "pomme-de-terre-42",
            "first_name": " Marie-Ève ",
            "last_name": "Tremblay",
        },
    )
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    user = User.objects.get(email="nouvelle@example.org")
    assert (user.first_name, user.last_name, user.phone) == ("Marie-Ève", "Tremblay", "")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["nouvelle@example.org"]
    # Unverified: logging in sends back to the verification page, not in.
    client.logout()
    response = login(client, "nouvelle@example.org", "pomme-de-terre-42")
    assert response.url == reverse("account_email_verification_sent")
    # Following the link in the email verifies and signs in.
    link = re.search(r"https?://[^\s]+/accounts/confirm-email/[^\s]+", str(message.body))
    assert link, message.body
    path = link.group(0).split("testserver", 1)[1]
    response = client.post(path)
    assert response.status_code == 302
    assert client.get(reverse("baskets:my_orders")).status_code == 200


def test_login_is_by_email_and_case_insensitive(client) -> None:
    factories.user(email="marie@example.org")
    response = login(client, "Marie@Example.org")
    assert response.status_code == 302
    assert client.get(reverse("baskets:my_orders")).status_code == 200


def test_wrong_password_is_refused_with_a_message(client) -> None:
    factories.user(email="marie@example.org")
    response = client.post(
        reverse("account_login"),
        {"login": "marie@example.org", "password": "wrong"},
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert response.status_code == 200
    assert "L’adresse e-mail ou le mot de passe sont incorrects" in response.content.decode()


def test_login_is_rate_limited(client) -> None:
    """After five failures on one account, even the right password is refused for a while."""
    factories.user(email="marie@example.org")
    for _ in range(5):
        assert login(client, "marie@example.org", "wrong").status_code == 200
    response = login(client, "marie@example.org")
    assert response.status_code == 200
    assert "Trop de tentatives de connexion" in response.content.decode()
    assert client.get(reverse("baskets:my_orders")).status_code == 302  # still signed out


def test_password_reset_sends_an_email(client) -> None:
    factories.user(email="marie@example.org")
    response = client.post(reverse("account_reset_password"), {"email": "marie@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "/accounts/password/reset/key/" in mail.outbox[0].body


@pytest.mark.parametrize("language", ["fr-ca", "en"])
@pytest.mark.parametrize("role", ["customer", "farmer", "coordinator"])
def test_each_role_sees_its_menu(client, role: str, language: str) -> None:
    maker: dict[str, Callable[[], User]] = {
        "customer": factories.user,
        "farmer": factories.farmer,
        "coordinator": factories.coordinator,
    }
    user: User = maker[role]()
    client.cookies["coop_language"] = language
    assert login(client, user.email).status_code == 302
    page = client.get(reverse("baskets:home")).content.decode()
    labels = MENU[language]
    assert labels["customer"] in page
    assert (labels["farmer"] in page) == (role == "farmer")
    assert ('data-role="coordinator"' in page) == (role == "coordinator")


def test_role_pages_refuse_other_roles(client) -> None:
    customer = factories.user()
    login(client, customer.email)
    assert client.get(reverse("pickup:coordinator")).status_code == 403
    assert client.get(reverse("farms:portal")).status_code == 403


def test_role_pages_send_anonymous_users_to_login(client) -> None:
    for name in ("pickup:coordinator", "farms:portal", "baskets:my_orders"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))


def test_allauth_pages_use_the_site_layout_in_both_languages(client) -> None:
    fr = client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE="fr-CA").content.decode()
    assert 'class="site-header"' in fr
    assert "Connexion" in fr
    client.cookies["coop_language"] = "en"
    en = client.get(reverse("account_login")).content.decode()
    assert 'class="site-header"' in en
    assert "Sign In" in en


def test_the_verification_email_speaks_in_the_co_ops_name(client, settings) -> None:  # type: ignore[no-untyped-def]
    """Not « Bonjour, c'est 127.0.0.1:8801 ! » from « Coopérative »: the co-op's name,
    its address (COOP_BASE_URL) and its sender (DEFAULT_FROM_EMAIL)."""
    settings.COOP_NAME = "Coop du Fleuve"
    settings.COOP_BASE_URL = "https://commandes.coopdufleuve.example"
    settings.DEFAULT_FROM_EMAIL = "Coop du Fleuve <commandes@coopdufleuve.example>"
    response = client.post(
        reverse("account_signup"),
        {
            "email": "lea@example.org",
            "password1": "une-phrase-assez-longue",
            "password2": "une-phrase-assez-longue",
            "first_name": "Léa",
            "last_name": "Roy",
        },
        HTTP_ACCEPT_LANGUAGE="fr-ca",
        HTTP_HOST="127.0.0.1",
    )
    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.from_email == "Coop du Fleuve <commandes@coopdufleuve.example>"
    assert "Coop du Fleuve" in message.body
    assert "commandes.coopdufleuve.example" in message.body
    assert "Coop du Fleuve" in message.body.splitlines()[0]  # the greeting names the co-op


@pytest.mark.parametrize(
    ("role", "landing"),
    [("customer", "/"), ("farmer", "/portal/"), ("coordinator", "/coordinator/")],
)
def test_after_login_each_role_lands_where_its_work_is(client, role: str, landing: str) -> None:  # type: ignore[no-untyped-def]
    maker = {
        "customer": factories.user,
        "farmer": factories.farmer,
        "coordinator": factories.coordinator,
    }
    user = maker[role](email=f"{role}@example.org", first_name="Julie", last_name="Gagnon")
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": factories.PASSWORD}
    )
    assert (response.status_code, response["Location"]) == (302, landing)
    # A `next` still wins: the page the person was going to.
    client.logout()
    response = client.post(
        reverse("account_login") + "?next=/shop/",
        {"login": user.email, "password": factories.PASSWORD},
    )
    assert response["Location"] == "/shop/"


def test_signup_asks_for_the_names_and_keeps_what_was_typed(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post(
        reverse("account_signup"),
        {
            "email": "x@example.org",
            "password1": "pomme-de-terre-42",
            "password2": "pomme-de-terre-42",
            "first_name": "Paul",
        },
        HTTP_ACCEPT_LANGUAGE="fr-ca",
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nom de famille" in page
    assert 'value="Paul"' in page
    assert not User.objects.filter(email="x@example.org").exists()


def test_an_account_without_a_name_is_asked_once_at_its_next_login(client) -> None:  # type: ignore[no-untyped-def]
    user = factories.farmer(email="ancien@example.org")  # made before sign-up asked
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": factories.PASSWORD}
    )
    assert response["Location"] == "/my/name/?next=%2Fportal%2F"
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert "Your name, for your orders" in page.text
    refused = client.post("/my/name/", {"first_name": "Jean", "next": "/portal/"})
    assert refused.status_code == 422
    saved = client.post(
        "/my/name/", {"first_name": " Jean ", "last_name": "Côté", "next": "/portal/"}
    )
    assert saved["Location"] == "/portal/"
    user.refresh_from_db()
    assert (user.first_name, user.last_name) == ("Jean", "Côté")
    # Asked once: « later » is an answer too, for another account without a name.
    other = factories.user(email="plus-tard@example.org")
    client.logout()
    first = client.post(
        reverse("account_login"), {"login": other.email, "password": factories.PASSWORD}
    )
    client.get(first["Location"])  # shown once
    client.logout()
    again = client.post(
        reverse("account_login"), {"login": other.email, "password": factories.PASSWORD}
    )
    assert again["Location"] == "/"
    assert client.get("/my/name/?next=//evil.example/").status_code == 200
    assert (
        client.post("/my/name/", {"first_name": "A", "last_name": "B", "next": "//evil.example/"})[
            "Location"
        ]
        == "/"
    )
