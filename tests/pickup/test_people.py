"""People, for coordinators: the accounts with search and role badges (a constant
number of queries), a person's orders and payments, granting and removing the
coordinator role, deactivating and reactivating an account (orders kept); nobody
removes their own role or deactivates themselves."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from demo.factories import OrderLineFactory
from orders.models import Order, Payment
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _read_in_english(client) -> None:  # type: ignore[no-untyped-def]
    """These tests read the English messages (French is checked by tests/test_i18n.py)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def _messages(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_urls() -> None:
    assert reverse("pickup:coordinator_people") == "/coordinator/people/"
    assert reverse("pickup:coordinator_person", args=[7]) == "/coordinator/people/7/"


def test_search_by_name_email_or_phone_case_insensitive(client) -> None:
    client.force_login(factories.coordinator())
    lea = factories.user(first_name="Léa", last_name="Tremblay", phone="418 555-0101")
    marc = factories.user(first_name="Marc", last_name="Gagnon", email="marc.g@example.org")
    url = reverse("pickup:coordinator_people")
    for q, found, absent in (
        ("tremblay", lea, marc),
        ("MARC.G@", marc, lea),
        ("555-0101", lea, marc),
    ):
        people = list(client.get(url, {"q": q}).context["page"])
        assert found in people
        assert absent not in people


def test_role_badges(client) -> None:
    me = factories.coordinator(first_name="Zoé", last_name="Coord")
    farmer = factories.farmer(first_name="Paul", last_name="Fermier")
    gone = factories.user(first_name="Ancien", last_name="Client", is_active=False)
    client.force_login(me)
    response = client.get(reverse("pickup:coordinator_people"))
    assert 'class="badge badge-open"' in response.content.decode()  # the coordinator's
    page = list(response.context["page"])
    by_pk = {p.pk: p for p in page}
    assert by_pk[me.pk].in_coordinators
    assert by_pk[farmer.pk].farmer
    assert not by_pk[farmer.pk].in_coordinators
    assert not by_pk[gone.pk].is_active


def test_the_list_is_paginated_by_fifty_in_constant_queries(
    client, django_assert_num_queries
) -> None:
    client.force_login(factories.coordinator())
    url = reverse("pickup:coordinator_people")
    for i in range(5):
        factories.farmer() if i % 2 else factories.user()
    client.get(url)  # warm the session and the co-op settings
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    baseline = len(few.captured_queries)
    for i in range(60):
        factories.farmer() if i % 3 == 0 else factories.user()
    with django_assert_num_queries(baseline):
        response = client.get(url)
    assert len(response.context["page"]) == 50
    second = client.get(url, {"page": "2"}).context["page"]
    assert len(second) == 66 - 50


def test_a_persons_page_shows_their_orders_and_payments(client) -> None:
    client.force_login(factories.coordinator())
    person = factories.user(first_name="Léa", last_name="Tremblay")
    order = factories.order(customer=person, confirmed=True)
    OrderLineFactory(order=order, quantity=2, offer__price=Decimal("4.25"))
    Payment.objects.create(
        order=order,
        method=Payment.Method.AT_PICKUP,
        kind=Payment.Kind.CASH,
        status=Payment.Status.COLLECTED,
        amount_captured=Decimal("3.00"),
    )
    response = client.get(reverse("pickup:coordinator_person", args=[person.pk]))
    assert response.status_code == 200
    [row] = response.context["orders"]
    assert row.order == order
    assert row.state.received == Decimal("3.00")
    assert row.state.owed >= Decimal("8.50")
    assert len(response.context["payments"]) == 1
    html = response.content.decode()
    assert f"#{order.pk}" in html


def test_grant_and_remove_the_coordinator_role(client) -> None:
    client.force_login(factories.coordinator())
    person = factories.user()
    url = reverse("pickup:coordinator_person_role", args=[person.pk])
    response = client.post(url, {"coordinator": "1"})
    assert response.status_code == 302
    assert person.groups.filter(name=settings.COORDINATORS_GROUP).exists()
    client.post(url, {"coordinator": "0"})
    assert not person.groups.filter(name=settings.COORDINATORS_GROUP).exists()
    assert Group.objects.filter(name=settings.COORDINATORS_GROUP).exists()


def test_deactivate_and_reactivate_keeps_orders(client) -> None:
    client.force_login(factories.coordinator())
    person = factories.user()
    order = factories.order(customer=person, confirmed=True)
    url = reverse("pickup:coordinator_person_active", args=[person.pk])
    assert client.post(url, {"active": "0"}).status_code == 302
    person.refresh_from_db()
    assert not person.is_active
    assert Order.objects.filter(pk=order.pk, customer=person).exists()
    client.post(url, {"active": "1"})
    person.refresh_from_db()
    assert person.is_active


def test_a_coordinator_cannot_remove_their_own_role_nor_deactivate_themselves(client) -> None:
    me = factories.coordinator()
    client.force_login(me)
    response = client.post(
        reverse("pickup:coordinator_person_role", args=[me.pk]), {"coordinator": "0"}
    )
    assert response.status_code == 302
    assert "You cannot remove your own coordinator role." in _messages(response)
    assert me.groups.filter(name=settings.COORDINATORS_GROUP).exists()
    response = client.post(
        reverse("pickup:coordinator_person_active", args=[me.pk]), {"active": "0"}
    )
    assert response.status_code == 302
    assert "You cannot deactivate your own account." in _messages(response)
    me.refresh_from_db()
    assert me.is_active


def test_others_are_refused(client) -> None:
    person = factories.user()
    client.force_login(factories.user(is_staff=True))
    assert client.get(reverse("pickup:coordinator_people")).status_code == 403
    assert client.get(reverse("pickup:coordinator_person", args=[person.pk])).status_code == 403
    url = reverse("pickup:coordinator_person_active", args=[person.pk])
    assert client.post(url, {"active": "0"}).status_code == 403
    person.refresh_from_db()
    assert person.is_active
