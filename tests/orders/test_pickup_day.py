"""The coordinator's week: figures, lists and sheets, pickup marks, shortages (latest
orders first), and a farmer's own pickup list."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from baskets import selectors as basket_selectors
from orders import basket as basket_service
from orders.models import Order, OrderLine, OrderWindow, PickupDocument
from pickup import closing
from tests import factories
from tests.orders.test_closing import build_week

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed_week():  # type: ignore[no-untyped-def]
    week = build_week(4)
    closing.window_close(window_id=week[0].pk, now=timezone.now())
    mail.outbox.clear()
    return week


def test_dashboard_shows_the_open_week_with_counts_and_revenue(client) -> None:
    window, farms, offers, points, customers = build_week(3)
    OrderWindow.objects.filter(pk=window.pk).update(closes_at=timezone.now() + timedelta(days=1))
    client.force_login(factories.coordinator())
    page = client.get(reverse("pickup:coordinator"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    revenue = sum(
        line.unit_price * line.quantity
        for line in OrderLine.objects.filter(order__status="confirmed")
    )
    assert "<strong>3</strong> orders" in page
    assert f"<strong>${revenue:.2f}</strong>" in page


def test_window_page_links_every_list_and_sheet(client, closed_week) -> None:
    window = closed_week[0]
    client.force_login(factories.coordinator())
    page = client.get(reverse("pickup:coordinator_window", args=[window.pk])).content.decode()
    for document in PickupDocument.objects.filter(window=window):
        assert reverse("pickup:coordinator_document", args=[document.pk, "csv"]) in page
        if document.pdf:
            response = client.get(reverse("pickup:coordinator_document", args=[document.pk, "pdf"]))
            assert response.status_code == 200
            assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_marking_pickups(client, closed_week) -> None:
    window = closed_week[0]
    order = Order.objects.filter(window=window, status="locked").first()
    assert order is not None
    client.force_login(factories.coordinator())
    url = reverse("pickup:coordinator_pickup", args=[order.pk])
    response = client.post(url, {"picked_up": "1"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert f'id="order-{order.pk}"' in response.content.decode()
    order.refresh_from_db()
    assert order.status == "picked_up"
    client.post(url, {"picked_up": "0"})
    order.refresh_from_db()
    assert order.status == "not_collected"


def test_a_shortage_cuts_the_latest_orders_first_and_tells_them(
    client, closed_week, django_capture_on_commit_callbacks
) -> None:
    window, farms, offers, points, customers = closed_week
    offer = max(offers, key=lambda o: o.lines.count())
    lines = list(offer.lines.select_related("order").order_by("order__confirmed_at", "order_id"))
    assert len(lines) >= 2
    latest = lines[-1]
    units = latest.quantity + 1  # all of the latest order's units, and one of the one before
    before = basket_selectors.basket_of(
        customer_id=latest.order.customer_id, window=window
    ).totals.total
    client.force_login(factories.coordinator())
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("pickup:coordinator_shortage", args=[window.pk]),
            {"offer": offer.pk, "units": units},
        )
    assert response.status_code == 302
    shortages = {line.pk: line.shortage for line in OrderLine.objects.filter(offer=offer)}
    assert shortages[latest.pk] == latest.quantity
    assert shortages[lines[-2].pk] == 1
    assert all(shortages[line.pk] == 0 for line in lines[:-2])
    after = basket_selectors.basket_of(
        customer_id=latest.order.customer_id, window=window
    ).totals.total
    assert after < before
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [latest.order.customer.email, lines[-2].order.customer.email]
    )
    # The sheets were rebuilt with what is delivered.
    sheet = PickupDocument.objects.get(
        window=window, pickup_point=latest.order.pickup_point, kind="point_sheet"
    )
    csv_text = sheet.csv.read().decode("utf-8-sig")
    assert latest.order.customer.last_name not in csv_text or offer.product.name not in [
        row.split(",")[4] for row in csv_text.splitlines() if latest.order.customer.last_name in row
    ]


def test_shortage_bigger_than_ordered_is_refused(client, closed_week) -> None:
    window, farms, offers, points, customers = closed_week
    offer = offers[0]
    client.force_login(factories.coordinator())
    response = client.post(
        reverse("pickup:coordinator_shortage", args=[window.pk]),
        {"offer": offer.pk, "units": 10**6},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "are still due to customers" in response.content.decode()
    assert not OrderLine.objects.filter(shortage__gt=0).exists()
    response = client.post(
        reverse("pickup:coordinator_shortage", args=[window.pk]),
        {"offer": offer.pk, "units": "beaucoup"},
    )
    assert response.status_code == 302
    assert not OrderLine.objects.filter(shortage__gt=0).exists()


def test_a_farmer_downloads_their_own_list_only(client, closed_week) -> None:
    window, farms, *_ = closed_week
    farmer = factories.farmer(farm_=farms[0])
    client.force_login(farmer)
    url = reverse("pickup:farm_pickup_list", args=[farms[0].slug, window.pk, "pdf"])
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    other = reverse("pickup:farm_pickup_list", args=[farms[1].slug, window.pk, "pdf"])
    assert client.get(other).status_code == 404
    assert (
        client.get(
            reverse("pickup:farm_pickup_list", args=[farms[0].slug, window.pk, "exe"])
        ).status_code
        == 404
    )


def test_close_now_is_refused_before_the_deadline(client) -> None:
    window = factories.window()
    client.force_login(factories.coordinator())
    response = client.post(reverse("pickup:coordinator_close", args=[window.pk]))
    assert response.status_code == 409
    window.refresh_from_db()
    assert window.status == "scheduled"


def test_coordinator_pages_are_for_coordinators(client, closed_week) -> None:
    window = closed_week[0]
    document = PickupDocument.objects.filter(window=window).first()
    assert document is not None
    urls = [
        reverse("pickup:coordinator_window", args=[window.pk]),
        reverse("pickup:coordinator_progress", args=[window.pk]),
        reverse("pickup:coordinator_document", args=[document.pk, "csv"]),
    ]
    client.force_login(factories.user())
    for url in urls:
        assert client.get(url).status_code == 403
    client.force_login(factories.farmer())
    for url in urls:
        assert client.get(url).status_code == 403


def test_close_early_says_what_it_does_then_closes_once(client) -> None:  # type: ignore[no-untyped-def]
    """The confirmation counts confirmed orders and unconfirmed baskets; confirmed, the
    deadline is now, customers are refused at once, and two presses close it once."""
    window, _farms, offers, _points, _customers = build_week(3)
    OrderWindow.objects.filter(pk=window.pk).update(closes_at=timezone.now() + timedelta(days=1))
    window.refresh_from_db()  # still taking orders (build_week passes its deadline)
    coordinator = factories.coordinator()
    client.force_login(coordinator)
    url = reverse("pickup:coordinator_close", args=[window.pk])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "3 confirmed orders are locked" in page.text
    assert "1 basket not confirmed is discarded" in page.text
    assert client.post(url).status_code == 409  # not confirmed: nothing changes
    window.refresh_from_db()
    assert window.accepts_orders()
    for _ in range(2):  # two coordinators, or a double click
        response = client.post(url, {"confirm": "1"})
        assert response.status_code == 302
    window.refresh_from_db()
    assert not window.accepts_orders()
    with pytest.raises(basket_service.WindowClosed):
        basket_service.basket_line_set(
            customer_id=factories.user().pk, offer_id=offers[0].pk, quantity=1, now=timezone.now()
        )
    closed = [closing.window_close(window_id=window.pk, now=timezone.now()) for _ in range(2)]
    assert closed == [True, False]


def test_the_pickup_table_finds_an_order_by_name_or_number(client, closed_week) -> None:  # type: ignore[no-untyped-def]
    window, _farms, _offers, points, customers = closed_week
    target = Order.objects.filter(window=window, customer=customers[2]).get()
    client.force_login(factories.coordinator())
    url = reverse("pickup:coordinator_window", args=[window.pk])

    def rows(**params: str) -> list[str]:
        page = client.get(url, {**params, "rows": "1"}, HTTP_HX_REQUEST="true").text
        assert page.lstrip().startswith('<tbody id="pickup-rows">')  # the rows only
        return re.findall(r'<tr id="order-(\d+)"', page)

    part = customers[2].last_name.upper()  # the family name, in any case
    assert rows(q=part) == [str(target.pk)]
    assert rows(q=f"#{target.pk}") == [str(target.pk)]
    assert set(rows(point=str(target.pickup_point_id))) == {
        str(pk)
        for pk in Order.objects.filter(
            window=window, pickup_point=target.pickup_point, status="locked"
        ).values_list("pk", flat=True)
    }
    assert rows(q="personne-de-ce-nom") == []
    # Without JavaScript, the same search is a plain GET of the page.
    page = client.get(url, {"q": part}, HTTP_ACCEPT_LANGUAGE="en").text
    assert re.findall(r'<tr id="order-(\d+)"', page) == [str(target.pk)]
    assert 'value="' + part + '"' in page
    assert client.get(url, {"point": "x" * 20, "status": "nope"}).status_code == 200
