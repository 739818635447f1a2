"""Pickup points and slots (#14 item 2): coordinators create and edit points, their
standing slots and the slots of one week; checkout offers a week's own slots instead of
the standing ones; a point closed for a week is not offered, refused at confirmation,
and its customers are emailed, in their language, with a link to their order."""

from datetime import time

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from orders import basket as service
from orders import points
from orders.errors import PointError
from orders.models import AuditEvent, Order, PickupPoint, PickupSlot, PointClosure
from orders.slots import slots_for_week
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def coordinator_client(client):  # type: ignore[no-untyped-def]
    client.force_login(factories.coordinator(first_name="Julie", last_name="Gagnon"))
    return client


@pytest.fixture
def week():  # type: ignore[no-untyped-def]
    window = factories.window()
    offer = factories.offer(window_=window, quantity=20)
    point = factories.pickup_point(name="Marché Jean-Talon", instructions="Entrée rue Casgrain.")
    return window, offer, point


def _confirmed(window, offer, point, *, slot=None, language="en", **user):  # type: ignore[no-untyped-def]
    customer = factories.user(**user)
    now = timezone.now()
    service.basket_line_set(customer_id=customer.pk, offer_id=offer.pk, quantity=1, now=now)
    return service.order_confirm(
        customer_id=customer.pk,
        window_id=window.pk,
        pickup_point_id=point.pk,
        pickup_slot_id=slot.pk if slot else None,
        language=language,
        now=now,
    )


POINT = {
    "name": "Marché Atwater",
    "address": "138 avenue Atwater",
    "city": "Montréal",
    "opens_at": "16:00",
    "closes_at": "19:00",
    "instructions": "Sous les arcades.",
    "is_active": "on",
}


# --- Points -------------------------------------------------------------------------------


def test_a_coordinator_creates_lists_and_edits_a_point(coordinator_client) -> None:  # type: ignore[no-untyped-def]
    response = coordinator_client.post(reverse("orders:point_create"), POINT)
    point = PickupPoint.objects.get(name="Marché Atwater")
    assert response.status_code == 302
    assert response.url == reverse("orders:point_slots", args=[point.pk])
    assert (point.slug, point.instructions, point.is_active) == (
        "marche-atwater",
        "Sous les arcades.",
        True,
    )
    assert "Marché Atwater" in coordinator_client.get(reverse("orders:points")).content.decode()
    edit = {**POINT, "name": "Marché Atwater (nord)", "is_active": ""}
    response = coordinator_client.post(reverse("orders:point_edit", args=[point.pk]), edit)
    assert response.status_code == 302
    point.refresh_from_db()
    assert (point.name, point.slug, point.is_active) == (
        "Marché Atwater (nord)",
        "marche-atwater",
        False,
    )


def test_a_second_point_of_the_same_name_gets_its_own_slug(coordinator_client) -> None:  # type: ignore[no-untyped-def]
    coordinator_client.post(reverse("orders:point_create"), POINT)
    coordinator_client.post(reverse("orders:point_create"), POINT)
    assert sorted(PickupPoint.objects.values_list("slug", flat=True)) == [
        "marche-atwater",
        "marche-atwater-2",
    ]


def test_a_point_closing_before_it_opens_is_a_form_error(coordinator_client) -> None:  # type: ignore[no-untyped-def]
    response = coordinator_client.post(
        reverse("orders:point_create"), {**POINT, "closes_at": "15:00"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 422
    assert "The point must close after it opens." in response.content.decode()
    assert not PickupPoint.objects.exists()


@pytest.mark.parametrize("url", ["orders:points", "orders:point_create"], ids=["list", "create"])
def test_customers_and_farmers_are_refused(client, url) -> None:  # type: ignore[no-untyped-def]
    client.force_login(factories.farmer())
    assert client.get(reverse(url)).status_code == 403
    assert client.post(reverse("orders:point_create"), POINT).status_code == 403
    assert not PickupPoint.objects.exists()


# --- Slots --------------------------------------------------------------------------------


def test_standing_slots_are_added_edited_and_removed(coordinator_client, week) -> None:  # type: ignore[no-untyped-def]
    _window, _offer, point = week
    url = reverse("orders:point_slots", args=[point.pk])
    response = coordinator_client.post(
        url, {"starts_at": "16:00", "ends_at": "17:00", "capacity": "10"}
    )
    assert response.status_code == 302
    slot = PickupSlot.objects.get()
    assert (slot.window, slot.starts_at, slot.capacity) == (None, time(16), 10)
    response = coordinator_client.post(
        reverse("orders:slot_edit", args=[slot.pk]),
        {"starts_at": "16:30", "ends_at": "17:30", "capacity": "4"},
    )
    assert response.status_code == 302
    assert response.url == url
    slot.refresh_from_db()
    assert (slot.starts_at, slot.ends_at, slot.capacity) == (time(16, 30), time(17, 30), 4)
    response = coordinator_client.post(reverse("orders:slot_delete", args=[slot.pk]))
    assert response.status_code == 302
    assert not PickupSlot.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"starts_at": "17:00", "ends_at": "16:00", "capacity": "5"},
            "A slot must end after it starts.",
        ),
        (
            {"starts_at": "16:00", "ends_at": "16:00", "capacity": "5"},
            "A slot must end after it starts.",
        ),
        (
            {"starts_at": "16:00", "ends_at": "17:00", "capacity": "0"},
            "A slot holds at least one order.",
        ),
        (
            {"starts_at": "18:00", "ends_at": "19:00", "capacity": "5"},
            "already has a slot starting at 18:00",
        ),
        ({"starts_at": "nope", "ends_at": "19:00", "capacity": "5"}, "Enter a valid time."),
    ],
    ids=["ends-before", "no-length", "zero-capacity", "duplicate-start", "garbage"],
)
def test_a_bad_slot_is_a_form_error_never_a_500(coordinator_client, week, data, message) -> None:  # type: ignore[no-untyped-def]
    _window, _offer, point = week
    PickupSlot.objects.create(pickup_point=point, starts_at=time(18), ends_at=time(19), capacity=3)
    response = coordinator_client.post(
        reverse("orders:point_slots", args=[point.pk]), data, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 422
    assert message in response.content.decode()
    assert PickupSlot.objects.count() == 1


def test_the_services_refuse_what_the_constraints_forbid(week) -> None:  # type: ignore[no-untyped-def]
    """Called without a form (a command, a task), the same refusals: never an IntegrityError."""
    window, _offer, point = week
    now = timezone.now()
    kwargs = {"point_id": point.pk, "now": now}
    points.slot_create(**kwargs, starts_at=time(16), ends_at=time(17), capacity=5)
    with pytest.raises(PointError):
        points.slot_create(**kwargs, starts_at=time(16), ends_at=time(18), capacity=5)
    with pytest.raises(PointError):
        points.slot_create(**kwargs, starts_at=time(17), ends_at=time(16), capacity=5)
    with pytest.raises(PointError):
        points.slot_create(**kwargs, starts_at=time(17), ends_at=time(18), capacity=0)
    # The same start is allowed once as a standing slot and once for a week.
    points.slot_create(
        **kwargs, window_id=window.pk, starts_at=time(16), ends_at=time(17), capacity=2
    )
    with pytest.raises(PointError):
        points.slot_create(
            **kwargs, window_id=window.pk, starts_at=time(16), ends_at=time(17), capacity=2
        )
    standing = PickupSlot.objects.get(window__isnull=True)
    other = points.slot_create(**kwargs, starts_at=time(18), ends_at=time(19), capacity=5)
    with pytest.raises(PointError):
        points.slot_update(
            slot_id=other.pk, starts_at=standing.starts_at, ends_at=time(19), capacity=5, now=now
        )
    assert PickupSlot.objects.count() == 3


def test_a_slot_an_order_uses_cannot_be_removed(coordinator_client, week) -> None:  # type: ignore[no-untyped-def]
    window, offer, point = week
    slot = PickupSlot.objects.create(
        pickup_point=point, starts_at=time(16), ends_at=time(17), capacity=5
    )
    _confirmed(window, offer, point, slot=slot)
    response = coordinator_client.post(
        reverse("orders:slot_delete", args=[slot.pk]), HTTP_ACCEPT_LANGUAGE="en", follow=True
    )
    assert "1 order uses this slot: it cannot be removed." in response.content.decode()
    assert PickupSlot.objects.filter(pk=slot.pk).exists()


def test_copying_the_standing_slots_into_a_week_moves_its_orders_to_the_copies(
    coordinator_client, week
) -> None:  # type: ignore[no-untyped-def]
    window, offer, point = week
    early = PickupSlot.objects.create(
        pickup_point=point, starts_at=time(16), ends_at=time(17), capacity=5
    )
    PickupSlot.objects.create(pickup_point=point, starts_at=time(17), ends_at=time(18), capacity=5)
    order = _confirmed(window, offer, point, slot=early)
    response = coordinator_client.post(
        reverse("orders:point_week_copy", args=[point.pk, window.pk])
    )
    assert response.status_code == 302
    copies = PickupSlot.objects.filter(window=window).order_by("starts_at")
    assert [(s.starts_at, s.capacity) for s in copies] == [(time(16), 5), (time(17), 5)]
    order.refresh_from_db()
    assert order.pickup_slot == copies[0]
    # The week's own slots are edited on their page, the standing ones stay as they were.
    response = coordinator_client.post(
        reverse("orders:slot_edit", args=[copies[1].pk]),
        {"starts_at": "17:00", "ends_at": "18:00", "capacity": "2"},
    )
    assert response.url == reverse("orders:point_week_slots", args=[point.pk, window.pk])
    assert PickupSlot.objects.get(window__isnull=True, starts_at=time(17)).capacity == 5


def test_a_closed_week_keeps_its_slots(coordinator_client, week) -> None:  # type: ignore[no-untyped-def]
    _window, _offer, point = week
    past = factories.window(open_now=False, status="closed")
    response = coordinator_client.post(
        reverse("orders:point_week_slots", args=[point.pk, past.pk]),
        {"starts_at": "16:00", "ends_at": "17:00", "capacity": "5"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422
    assert "This week has closed" in response.content.decode()


# --- What checkout offers -----------------------------------------------------------------


def test_a_weeks_own_slots_replace_the_standing_ones_at_checkout(client, week) -> None:  # type: ignore[no-untyped-def]
    window, offer, point = week
    standing = PickupSlot.objects.create(
        pickup_point=point, starts_at=time(16), ends_at=time(17), capacity=5
    )
    plain = factories.pickup_point(name="Église Saint-Denis")
    plain_slot = PickupSlot.objects.create(
        pickup_point=plain, starts_at=time(10), ends_at=time(11), capacity=5
    )
    own = PickupSlot.objects.create(
        pickup_point=point, window=window, starts_at=time(18), ends_at=time(19), capacity=5
    )
    other_week = factories.window(open_now=False)
    PickupSlot.objects.create(
        pickup_point=point, window=other_week, starts_at=time(12), ends_at=time(13), capacity=5
    )
    assert slots_for_week(window) == {point.pk: [own], plain.pk: [plain_slot]}
    assert slots_for_week(other_week)[plain.pk] == [plain_slot]

    customer = factories.user()
    client.force_login(customer)
    service.basket_line_set(
        customer_id=customer.pk, offer_id=offer.pk, quantity=1, now=timezone.now()
    )
    page = client.get(reverse("baskets:checkout")).content.decode()
    assert f'id="slot-{own.pk}"' in page
    assert f'id="slot-{plain_slot.pk}"' in page
    assert f'id="slot-{standing.pk}"' not in page
    assert "Entrée rue Casgrain." in page  # the point's instructions
    response = client.post(
        reverse("baskets:checkout"),
        {"pickup_point": point.pk, "pickup_slot": standing.pk, "language": "en"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422
    response = client.post(
        reverse("baskets:checkout"),
        {"pickup_point": point.pk, "pickup_slot": own.pk, "language": "en"},
    )
    assert response.status_code == 302
    assert Order.objects.get().pickup_slot == own


def test_the_service_refuses_a_standing_slot_when_the_week_has_its_own(week) -> None:  # type: ignore[no-untyped-def]
    window, offer, point = week
    standing = PickupSlot.objects.create(
        pickup_point=point, starts_at=time(16), ends_at=time(17), capacity=5
    )
    PickupSlot.objects.create(
        pickup_point=point, window=window, starts_at=time(18), ends_at=time(19), capacity=5
    )
    with pytest.raises(service.BasketError):
        _confirmed(window, offer, point, slot=standing)


def test_a_closed_point_is_not_offered_and_confirming_with_it_is_refused(client, week) -> None:  # type: ignore[no-untyped-def]
    window, offer, point = week
    open_point = factories.pickup_point(name="Église Saint-Denis")
    PointClosure.objects.create(window=window, pickup_point=point, reason="Fête nationale")
    customer = factories.user()
    client.force_login(customer)
    service.basket_line_set(
        customer_id=customer.pk, offer_id=offer.pk, quantity=1, now=timezone.now()
    )
    page = client.get(reverse("baskets:checkout")).content.decode()
    assert f'id="point-{point.pk}"' not in page
    assert f'id="point-{open_point.pk}"' in page
    response = client.post(
        reverse("baskets:checkout"),
        {"pickup_point": point.pk, "language": "en"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422
    assert "Marché Jean-Talon is closed this week: choose another pickup point." in (
        response.content.decode()
    )
    with pytest.raises(service.BasketError, match="closed this week"):
        service.order_confirm(
            customer_id=customer.pk,
            window_id=window.pk,
            pickup_point_id=point.pk,
            pickup_slot_id=None,
            language="en",
            now=timezone.now(),
        )
    assert Order.objects.get().status == Order.Status.BASKET


def test_the_confirmation_email_and_page_show_the_points_instructions(
    client, week, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    _window, offer, point = week
    customer = factories.user()
    client.force_login(customer)
    service.basket_line_set(
        customer_id=customer.pk, offer_id=offer.pk, quantity=1, now=timezone.now()
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("baskets:checkout"), {"pickup_point": point.pk, "language": "en"}
        )
    assert "Entrée rue Casgrain." in mail.outbox[0].body
    assert "Entrée rue Casgrain." in client.get(response.url).content.decode()


# --- Closed for a week --------------------------------------------------------------------


def test_closing_a_point_keeps_the_orders_records_who_and_emails_each_customer(
    coordinator_client, week, settings, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    settings.COOP_BASE_URL = "https://commandes.example.org"
    window, offer, point = week
    french = _confirmed(window, offer, point, language="fr-ca", email="fr@example.org")
    english = _confirmed(window, offer, point, language="en", email="en@example.org")
    elsewhere = _confirmed(window, offer, factories.pickup_point(), email="other@example.org")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = coordinator_client.post(
            reverse("orders:point_close", args=[window.pk]),
            {"pickup_point": point.pk, "reason": "Fête nationale"},
        )
    assert response.status_code == 302
    closure = PointClosure.objects.get()
    assert (closure.window, closure.pickup_point, closure.reason) == (
        window,
        point,
        "Fête nationale",
    )
    assert closure.closed_by is not None
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.actor_name, event.detail) == (
        AuditEvent.Action.POINT_CLOSED,
        closure.closed_by,
        "Julie Gagnon",
        "Marché Jean-Talon",
    )
    assert set(Order.objects.values_list("status", flat=True)) == {Order.Status.CONFIRMED}
    by_address = {m.to[0]: m for m in mail.outbox}
    assert set(by_address) == {"fr@example.org", "en@example.org"}
    english_mail = by_address["en@example.org"]
    assert "Marché Jean-Talon" in english_mail.subject
    assert "please choose another pickup point" in english_mail.body
    assert "Fête nationale" in english_mail.body
    link = f"https://commandes.example.org{reverse('baskets:order', args=[english.pk])}"
    assert link in english_mail.body
    french_link = f"https://commandes.example.org{reverse('baskets:order', args=[french.pk])}"
    assert french_link in by_address["fr@example.org"].body
    assert elsewhere.pk  # not emailed
    # The customer's order page says so and leads to the checkout to change point.
    coordinator_client.force_login(english.customer)
    page = coordinator_client.get(
        reverse("baskets:order", args=[english.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "Marché Jean-Talon is closed this week" in page.content.decode()
    assert reverse("baskets:checkout") in page.content.decode()


def test_closing_twice_is_refused_and_reopening_removes_the_closure(
    coordinator_client, week
) -> None:  # type: ignore[no-untyped-def]
    window, _offer, point = week
    url = reverse("orders:point_close", args=[window.pk])
    coordinator_client.post(url, {"pickup_point": point.pk, "reason": ""})
    response = coordinator_client.post(url, {"pickup_point": point.pk}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    assert "already closed that week" in response.content.decode()
    page = coordinator_client.get(reverse("orders:points_week", args=[window.pk])).content.decode()
    assert reverse("orders:point_reopen", args=[point.pk, window.pk]) in page
    response = coordinator_client.post(reverse("orders:point_reopen", args=[point.pk, window.pk]))
    assert response.status_code == 302
    assert not PointClosure.objects.exists()


def test_an_unknown_point_in_the_closure_form_is_a_form_error(coordinator_client, week) -> None:  # type: ignore[no-untyped-def]
    window, _offer, _point = week
    response = coordinator_client.post(
        reverse("orders:point_close", args=[window.pk]), {"pickup_point": "999999"}
    )
    assert response.status_code == 422
    assert not PointClosure.objects.exists()
    assert not AuditEvent.objects.exists()


def test_the_pages_render(coordinator_client, week) -> None:  # type: ignore[no-untyped-def]
    window, _offer, point = week
    slot = PickupSlot.objects.create(
        pickup_point=point, starts_at=time(16), ends_at=time(17), capacity=5
    )
    for url in (
        reverse("orders:points"),
        reverse("orders:point_edit", args=[point.pk]),
        reverse("orders:point_slots", args=[point.pk]),
        reverse("orders:point_week_slots", args=[point.pk, window.pk]),
        reverse("orders:slot_edit", args=[slot.pk]),
        reverse("orders:points_week", args=[window.pk]),
        reverse("pickup:coordinator"),
    ):
        response = coordinator_client.get(url)
        assert response.status_code == 200, url
    dashboard = coordinator_client.get(reverse("pickup:coordinator")).content.decode()
    assert reverse("orders:points") in dashboard


def test_the_phone_order_page_offers_the_weeks_slots_too(coordinator_client, week) -> None:  # type: ignore[no-untyped-def]
    window, _offer, point = week
    PickupSlot.objects.create(  # a standing slot, 16:00–17:00
        pickup_point=point, starts_at=time(16), ends_at=time(17), capacity=5
    )
    own = PickupSlot.objects.create(
        pickup_point=point, window=window, starts_at=time(18), ends_at=time(19), capacity=5
    )
    closed = factories.pickup_point(name="Église Saint-Denis")
    PointClosure.objects.create(window=window, pickup_point=closed)
    customer = factories.user()
    url = reverse("baskets:coordinator_phone_order", args=[window.pk, customer.pk])
    page = coordinator_client.get(url).content.decode()
    assert f'<option value="{own.pk}">18:00–19:00' in page  # the week's own slot
    assert "16:00–17:00" not in page  # not the standing one it replaces
    assert "Église Saint-Denis" not in page
