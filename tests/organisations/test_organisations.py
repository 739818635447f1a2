"""Organisations and their people (#18, part 1 begun): a coordinator creates one with
its legal identity (NEQ, GST and QST numbers checked as typed), invites people by email
with a role; the link works once; the organisation's page is its members' and the
coordinators' only (404 for anyone else, another organisation's people included); its
approvers manage its people and it always keeps one approver."""

import re
from collections.abc import Iterator

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation

from organisations import services
from organisations.errors import OrganisationError
from organisations.models import Organisation, OrganisationInvitation, OrganisationMember
from tests import factories

pytestmark = pytest.mark.django_db
Role = OrganisationMember.Role

VALID = {
    "legal_name": "CPE Les Lucioles",
    "kind": "cpe",
    "neq": "1171 234 567",
    "tps_number": "123456789rt0001",
    "tvq_number": "1234567890 TQ 0001",
    "billing_address": "12, rue des Érables\nSherbrooke QC J1H 1A1",
    "delivery_address": "",
    "email": "compta@lucioles.example.org",
    "approval_limit": "250,00",
    "payment_terms": "30",
    "language": "fr-ca",
}


@pytest.fixture(autouse=True)
def _english(client) -> Iterator[None]:  # type: ignore[no-untyped-def]
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


def _organisation(name: str = "CPE Les Lucioles", neq: str = "1171234567") -> Organisation:
    return Organisation.objects.create(
        legal_name=name, slug=services.unique_slug(name), neq=neq, billing_address="1 rue"
    )


def _member(organisation: Organisation, role: str, **fields):  # type: ignore[no-untyped-def]
    user = factories.user(language="en", **fields)
    OrganisationMember.objects.create(organisation=organisation, user=user, role=role)
    return user


def test_a_coordinator_creates_an_organisation_with_its_numbers_as_typed(client) -> None:
    client.force_login(factories.coordinator(language="en"))
    response = client.post(reverse("organisations:coordinator_organisation_create"), VALID)
    assert response.status_code == 302
    organisation = Organisation.objects.get()
    assert organisation.neq == "1171234567"
    assert organisation.tps_number == "123456789 RT0001"
    assert organisation.tvq_number == "1234567890 TQ0001"
    assert str(organisation.approval_limit) == "250.00"
    assert response["Location"] == reverse("organisations:page", args=[organisation.slug])
    page = client.get(response["Location"]).content.decode()
    assert "orders above $250.00 wait for an approver" in page
    # Bad input: refused beside its field (422), nothing saved.
    for field, value, reason in (
        ("neq", "12345", "has 10 digits"),
        ("tps_number", "12345 RT1", "9 digits, RT and 4 digits"),
        ("tvq_number", "1234567890 RT0001", "10 digits, TQ and 4 digits"),
        ("approval_limit", "-5", "greater than zero"),
        ("legal_name", "", "This field is required"),
    ):
        refused = client.post(
            reverse("organisations:coordinator_organisation_create"), {**VALID, field: value}
        )
        assert refused.status_code == 422, field
        assert reason in refused.content.decode(), field
    # The same NEQ twice: the second is refused, naming who has it.
    twice = client.post(reverse("organisations:coordinator_organisation_create"), VALID)
    assert twice.status_code == 422
    assert "This NEQ is already that of CPE Les Lucioles." in twice.content.decode()
    assert Organisation.objects.count() == 1


def test_an_approver_invites_a_buyer_who_accepts_once(
    client, django_capture_on_commit_callbacks
) -> None:
    organisation = _organisation()
    approver = _member(organisation, Role.APPROVER, first_name="Nadia")
    client.force_login(approver)
    url = reverse("organisations:page", args=[organisation.slug])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"email": "Luc@Example.org", "role": Role.BUYER})
    assert response.status_code == 302
    invitation = OrganisationInvitation.objects.get()
    assert (invitation.email, invitation.role) == ("Luc@example.org", Role.BUYER)
    (email,) = mail.outbox
    assert email.to == ["Luc@example.org"]
    link = re.search(r"https?://\S+/org/invitation/\S+/", str(email.body))
    assert link, email.body
    path = link.group(0).split("testserver", 1)[1]
    # Luc has no account: he makes one from the link, and is a buyer.
    client.logout()
    created = client.post(
        path,
        {
            "first_name": "Luc",
            "last_name": "Roy",
            "password1": "a-Long-enough-pass-1",
            "password2": "a-Long-enough-pass-1",
        },
    )
    assert created.status_code == 302
    luc = OrganisationMember.objects.get(user__email="Luc@example.org")
    assert luc.role == Role.BUYER
    assert client.get(url).status_code == 200
    # The link works once.
    again = client.get(path)
    assert again.status_code == 410
    assert "already been accepted" in again.content.decode()
    # A second invitation to the same email replaces the one still waiting: its link
    # stops working; accepting one leaves none waiting; removing someone cancels theirs.
    client.force_login(approver)
    for role in (Role.BUYER, Role.ACCOUNTANT):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(url, {"email": "eve@example.org", "role": role})
    first, second = (m.body for m in mail.outbox[-2:])
    old = re.search(r"/org/invitation/\S+/", str(first))
    assert old
    assert client.get(old.group(0)).status_code == 400
    assert OrganisationInvitation.objects.filter(accepted_at__isnull=True).count() == 1
    eve = factories.user(email="eve@example.org", language="en")
    services.invitation_accept(
        invitation=OrganisationInvitation.objects.get(accepted_at__isnull=True), user=eve
    )
    assert OrganisationMember.objects.get(user=eve).role == Role.ACCOUNTANT
    # An invitation still waiting for someone removed (made before the rule above)
    # cannot bring them back.
    OrganisationInvitation.objects.create(
        organisation=organisation, email="luc@example.org", role=Role.APPROVER
    )
    services.member_remove(member_id=luc.pk, organisation=organisation)
    assert not OrganisationInvitation.objects.filter(accepted_at__isnull=True).exists()
    # A buyer does not manage people.
    buyer = _member(organisation, Role.BUYER)
    client.force_login(buyer)
    assert client.post(url, {"email": "x@example.org", "role": Role.BUYER}).status_code == 403
    assert not OrganisationInvitation.objects.filter(email="x@example.org").exists()


def test_a_member_already_in_is_refused_and_the_last_approver_stays(client) -> None:
    organisation = _organisation()
    approver = _member(organisation, Role.APPROVER, email="nadia@example.org")
    client.force_login(approver)
    url = reverse("organisations:page", args=[organisation.slug])
    response = client.post(url, {"email": "NADIA@example.org", "role": Role.BUYER})
    assert response.status_code == 422
    assert "already a member of the organisation" in response.content.decode()
    member = OrganisationMember.objects.get(user=approver)
    with pytest.raises(OrganisationError, match="keeps at least one approver"):
        services.member_remove(member_id=member.pk, organisation=organisation)
    refused = client.post(
        reverse("organisations:member_remove", args=[organisation.slug, member.pk]), follow=True
    )
    assert "keeps at least one approver" in refused.content.decode()
    assert OrganisationMember.objects.filter(pk=member.pk).exists()
    second = _member(organisation, Role.APPROVER)
    services.member_remove(member_id=member.pk, organisation=organisation)
    assert list(organisation.members.values_list("user", flat=True)) == [second.pk]


def test_one_person_once_per_organisation_in_the_database() -> None:
    organisation = _organisation()
    user = _member(organisation, Role.BUYER)
    # PostgreSQL names the constraint; SQLite names its columns.
    reason = (
        "organisationmember_once_per_person|"
        "organisationmember.organisation_id, organisations_organisationmember.user_id"
    )
    with pytest.raises(IntegrityError, match=reason), transaction.atomic():
        OrganisationMember.objects.create(organisation=organisation, user=user, role=Role.APPROVER)


def test_an_organisation_is_seen_by_its_people_and_coordinators_only(client) -> None:
    """Its buyer, approver and accountant see it; the people of another organisation,
    a farmer and a household do not (404: its existence is not told)."""
    cpe = _organisation()
    kitchen = _organisation("Cuisine collective Hochelaga", neq="2261234567")
    insiders = [_member(cpe, role) for role in (Role.BUYER, Role.APPROVER, Role.ACCOUNTANT)]
    outsiders = [_member(kitchen, role) for role in (Role.BUYER, Role.APPROVER)]
    outsiders += [factories.farmer(language="en"), factories.user(language="en")]
    page = reverse("organisations:page", args=[cpe.slug])
    member = OrganisationMember.objects.filter(organisation=cpe).first()
    assert member is not None
    remove = reverse("organisations:member_remove", args=[cpe.slug, member.pk])
    for user in insiders:
        client.force_login(user)
        assert client.get(page).status_code == 200
    for user in outsiders:
        client.force_login(user)
        assert client.get(page).status_code == 404
        assert client.post(page, {"email": "x@example.org", "role": "buyer"}).status_code == 404
        assert client.post(remove).status_code == 404
    client.force_login(factories.coordinator(language="en"))
    assert client.get(page).status_code == 200
    assert OrganisationInvitation.objects.count() == 0
    assert OrganisationMember.objects.filter(organisation=cpe).count() == 3
    client.logout()
    assert client.get(page).status_code == 302  # to the sign-in page
