"""Farms and their people (#14 item 1): coordinators create farms and invite people by
a signed link; owners manage people and payouts; staff do catalogue and stock only."""

import re
import time
from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from farms import invitations
from farms.models import Farm, FarmInvitation, FarmMember
from orders import publishing
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _read_in_english(client) -> None:  # type: ignore[no-untyped-def]
    """These tests read the English messages (French is checked by tests/test_i18n.py)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


NEW_PASSWORD = "Un-mot-de-passe-solide-42"  # noqa: S105 - a test password


@pytest.fixture
def coordinator_client(client):  # type: ignore[no-untyped-def]
    client.force_login(factories.coordinator())
    return client


def invite(farm: Farm, email: str, role: str = FarmMember.Role.STAFF) -> FarmInvitation:
    return FarmInvitation.objects.create(farm=farm, email=email, role=role)


def link(invitation: FarmInvitation) -> str:
    return reverse("farms:invitation", kwargs={"token": invitations.invitation_token(invitation)})


def test_coordinator_creates_a_farm_with_a_unique_slug(coordinator_client) -> None:  # type: ignore[no-untyped-def]
    factories.farm(name="Ferme du Ruisseau", slug="ferme-du-ruisseau")
    response = coordinator_client.post(
        reverse("farms:coordinator_farm_create"),
        {
            "name": "Ferme du Ruisseau",
            "region": "estrie",
            "town": "Compton",
            "email": "ruisseau@example.org",
            "language": "en",
        },
    )
    farm = Farm.objects.get(slug="ferme-du-ruisseau-2")
    assert response.status_code == 302
    assert response["Location"] == reverse("farms:coordinator_farm", args=[farm.slug])
    assert (farm.status, farm.is_active, farm.language) == (Farm.Status.ACTIVE, True, "en")
    listing = coordinator_client.get(reverse("farms:coordinator_farms"))
    assert listing.status_code == 200
    assert "ferme-du-ruisseau-2" in listing.content.decode()


def test_a_refused_farm_form_answers_422(coordinator_client) -> None:  # type: ignore[no-untyped-def]
    response = coordinator_client.post(reverse("farms:coordinator_farm_create"), {"name": ""})
    assert response.status_code == 422
    assert not Farm.objects.exists()


def test_invitation_is_mailed_after_commit_with_its_link(
    coordinator_client, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    farm = factories.farm(language="fr-ca")
    with django_capture_on_commit_callbacks(execute=True):
        response = coordinator_client.post(
            reverse("farms:coordinator_farm", args=[farm.slug]),
            {"email": "Lea@Example.org", "role": FarmMember.Role.OWNER},
        )
    assert response.status_code == 302
    invitation = FarmInvitation.objects.get(farm=farm)
    assert invitation.role == FarmMember.Role.OWNER
    assert invitation.accepted_at is None
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [invitation.email]
    url = re.search(r"https?://\S+/invitation/\S+/", str(message.body))
    assert url is not None
    assert invitations.invitation_from_token(url.group(0).split("/")[-2]) == invitation


def test_inviting_a_member_again_is_refused(coordinator_client) -> None:  # type: ignore[no-untyped-def]
    farm = factories.farm()
    factories.farmer(farm_=farm, email="fx@example.org")
    response = coordinator_client.post(
        reverse("farms:coordinator_farm", args=[farm.slug]),
        {"email": "fx@example.org", "role": "staff"},
    )
    assert response.status_code == 422
    assert "already a member" in response.content.decode()
    assert not FarmInvitation.objects.exists()


def test_accept_creates_the_account_signs_in_and_opens_the_portal(client) -> None:  # type: ignore[no-untyped-def]
    farm = factories.farm()
    invitation = invite(farm, "lea@example.org", FarmMember.Role.OWNER)
    page = client.get(link(invitation))
    assert page.status_code == 200
    assert 'name="password1"' in page.content.decode()
    response = client.post(
        link(invitation),
        {
            "first_name": "Léa",
            "last_name": "Roy",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("orders:farm_home", args=[farm.slug])
    user = User.objects.get(email="lea@example.org")
    assert (user.first_name, user.last_name) == ("Léa", "Roy")
    assert user.check_password(NEW_PASSWORD)
    assert EmailAddress.objects.get(user=user).verified
    assert FarmMember.objects.get(farm=farm, user=user).role == FarmMember.Role.OWNER
    assert client.get(reverse("orders:farm_home", args=[farm.slug])).status_code == 200
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None


def test_a_weak_password_is_refused_by_the_validators(client) -> None:  # type: ignore[no-untyped-def]
    invitation = invite(factories.farm(), "lea@example.org")
    response = client.post(
        link(invitation),
        {"first_name": "Léa", "last_name": "Roy", "password1": "1234", "password2": "1234"},
    )
    assert response.status_code == 422
    assert not User.objects.filter(email="lea@example.org").exists()


def test_an_existing_account_signs_in_then_accepts(client) -> None:  # type: ignore[no-untyped-def]
    farm = factories.farm()
    marie = factories.user(email="marie@example.org")
    invitation = invite(farm, "Marie@example.org")
    page = client.get(link(invitation))
    assert page.status_code == 200
    assert reverse("account_login") in page.content.decode()
    assert 'name="password1"' not in page.content.decode()
    client.post(link(invitation), {"first_name": "X", "last_name": "Y"})  # no second account
    assert User.objects.filter(email__iexact="marie@example.org").count() == 1
    client.force_login(marie)
    confirm = client.get(link(invitation))
    assert confirm.status_code == 200
    response = client.post(link(invitation))
    assert response.status_code == 302
    assert FarmMember.objects.get(farm=farm, user=marie).role == FarmMember.Role.STAFF
    assert User.objects.filter(email__iexact="marie@example.org").count() == 1


def test_signed_in_as_someone_else_is_refused_403(client) -> None:  # type: ignore[no-untyped-def]
    invitation = invite(factories.farm(), "lea@example.org")
    client.force_login(factories.user(email="other@example.org"))
    response = client.post(link(invitation))
    assert response.status_code == 403
    assert "lea@example.org" in response.content.decode()
    assert not FarmMember.objects.exists()


def test_an_expired_link_answers_410(client) -> None:  # type: ignore[no-untyped-def]
    invitation = invite(factories.farm(), "lea@example.org")
    fifteen_days_ago = time.time() - timedelta(days=15).total_seconds()
    with mock.patch("django.core.signing.time.time", return_value=fifteen_days_ago):
        token = invitations.invitation_token(invitation)
    response = client.get(reverse("farms:invitation", kwargs={"token": token}))
    assert response.status_code == 410
    assert "expired" in response.content.decode()


def test_an_expired_link_is_explained_in_french(client) -> None:  # type: ignore[no-untyped-def]
    """The page speaks the reader's language (the message is translated later: here,
    only that the page answers in the language asked, without a 500)."""
    invitation = invite(factories.farm(), "lea@example.org")
    old = time.time() - timedelta(days=15).total_seconds()
    with mock.patch("django.core.signing.time.time", return_value=old):
        token = invitations.invitation_token(invitation)
    response = client.get(
        reverse("farms:invitation", kwargs={"token": token}), HTTP_ACCEPT_LANGUAGE="fr-ca"
    )
    assert response.status_code == 410
    assert 'lang="fr' in response.content.decode()


def test_a_used_link_answers_410(client) -> None:  # type: ignore[no-untyped-def]
    invitation = invite(factories.farm(), "lea@example.org")
    invitation.accepted_at = timezone.now()
    invitation.save()
    response = client.get(link(invitation))
    assert response.status_code == 410
    assert "already been accepted" in response.content.decode()


@pytest.mark.parametrize("tamper", ["not-a-token", "swap", "truncate"])
def test_a_tampered_link_answers_400(client, tamper: str) -> None:  # type: ignore[no-untyped-def]
    invitation = invite(factories.farm(), "lea@example.org")
    token = invitations.invitation_token(invitation)
    if tamper == "swap":
        token = token[:-1] + ("A" if token[-1] != "A" else "B")
    elif tamper == "truncate":
        token = token[: len(token) // 2]
    else:
        token = tamper
    response = client.get(reverse("farms:invitation", kwargs={"token": token}))
    assert response.status_code == 400
    assert "not valid" in response.content.decode()


def test_staff_are_refused_owner_pages_but_keep_catalogue_and_stock(client) -> None:  # type: ignore[no-untyped-def]
    farm = factories.farm()
    staff = factories.farmer(farm_=farm, membership__role=FarmMember.Role.STAFF)
    client.force_login(staff)
    for name in ("farms:people", "farms:payout"):
        assert client.get(reverse(name, args=[farm.slug])).status_code == 404
    assert client.get(reverse("farms:products", args=[farm.slug])).status_code == 200
    assert client.get(reverse("orders:farm_home", args=[farm.slug])).status_code == 200
    catalogue = client.get(reverse("farms:products", args=[farm.slug])).content.decode()
    assert reverse("farms:people", args=[farm.slug]) not in catalogue  # no "People" tab


def test_owner_removes_staff_but_not_the_last_owner(client) -> None:  # type: ignore[no-untyped-def]
    farm = factories.farm()
    owner = factories.farmer(farm_=farm)
    staff = factories.farmer(farm_=farm, membership__role=FarmMember.Role.STAFF)
    client.force_login(owner)
    catalogue = client.get(reverse("farms:products", args=[farm.slug])).content.decode()
    assert reverse("farms:people", args=[farm.slug]) in catalogue  # the owner's tab
    assert client.get(reverse("farms:people", args=[farm.slug])).status_code == 200
    staff_member = FarmMember.objects.get(user=staff)
    owner_member = FarmMember.objects.get(user=owner)
    client.post(reverse("farms:member_remove", args=[farm.slug, staff_member.pk]))
    assert not FarmMember.objects.filter(pk=staff_member.pk).exists()
    response = client.post(reverse("farms:member_remove", args=[farm.slug, owner_member.pk]))
    assert response.status_code == 302
    assert FarmMember.objects.filter(pk=owner_member.pk).exists()


def test_owner_saves_validated_payout_details(client) -> None:  # type: ignore[no-untyped-def]
    farm = factories.farm()
    client.force_login(factories.farmer(farm_=farm))
    url = reverse("farms:payout", args=[farm.slug])
    bad = client.post(
        url,
        {
            "payout_name": "Ferme",
            "payout_institution": "81",
            "payout_transit": "3000a",
            "payout_account": "123",
        },
    )
    assert bad.status_code == 422
    good = client.post(
        url,
        {
            "payout_name": "Ferme inc.",
            "payout_institution": "815",
            "payout_transit": "30001",
            "payout_account": "1234567",
        },
    )
    assert good.status_code == 302
    farm.refresh_from_db()
    assert (farm.payout_institution, farm.payout_transit, farm.payout_account) == (
        "815",
        "30001",
        "1234567",
    )


def test_a_paused_farm_cannot_publish_and_its_portal_says_so(coordinator_client) -> None:  # type: ignore[no-untyped-def]
    farm = factories.farm()
    product = factories.product(farm_=farm)
    window = factories.window(open_now=False)
    response = coordinator_client.post(
        reverse("farms:coordinator_farm_status", args=[farm.slug]), {"status": "paused"}
    )
    assert response.status_code == 302
    farm.refresh_from_db()
    assert (farm.status, farm.is_active) == (Farm.Status.PAUSED, False)
    outcomes = publishing.offers_publish(
        farm=farm,
        window_id=window.pk,
        rows=[publishing.OfferRow(product_id=product.pk, quantity=5, price=Decimal("4"))],
        now=timezone.now(),
    )
    assert [o.applied for o in outcomes] == [False]
    assert not window.offers.filter(product=product).exists()
    portal = coordinator_client.get(reverse("farms:products", args=[farm.slug]))
    assert "paused" in portal.content.decode()
    coordinator_client.post(
        reverse("farms:coordinator_farm_status", args=[farm.slug]), {"status": "active"}
    )
    farm.refresh_from_db()
    assert (farm.status, farm.is_active) == (Farm.Status.ACTIVE, True)
