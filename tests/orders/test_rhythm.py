"""The weekly rhythm: windows created ahead (opens Friday 08:00, closes Tuesday 23:59,
pickup Thursday, in Québec time), each editable or cancellable on its own."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from orders import services
from orders.models import CoopSettings, OrderWindow
from pickup import tasks
from tests import factories

pytestmark = pytest.mark.django_db
QC = ZoneInfo("America/Toronto")


def test_windows_are_created_at_least_two_weeks_ahead_on_the_rhythm() -> None:
    now = datetime(2026, 11, 26, 10, 0, tzinfo=QC)  # a Thursday
    created = services.windows_plan(now=now)
    windows = list(OrderWindow.objects.filter(pk__in=created).order_by("opens_at"))
    assert len(windows) == 3  # weeks_ahead defaults to 3
    first = windows[0]
    assert timezone.localtime(first.opens_at, QC) == datetime(
        2026, 11, 27, 8, 0, tzinfo=QC
    )  # Friday
    assert timezone.localtime(first.closes_at, QC) == datetime(
        2026, 12, 1, 23, 59, tzinfo=QC
    )  # Tuesday
    assert first.pickup_date == date(2026, 12, 3)  # Thursday
    assert [w.pickup_date for w in windows] == [
        date(2026, 12, 3),
        date(2026, 12, 10),
        date(2026, 12, 17),
    ]
    assert services.windows_plan(now=now) == []  # idempotent


def test_the_rhythm_keeps_local_time_across_the_clock_change() -> None:
    now = datetime(2027, 3, 5, 12, 0, tzinfo=QC)  # DST starts on 14 March 2027
    services.windows_plan(now=now)
    for window in OrderWindow.objects.all():
        assert timezone.localtime(window.opens_at, QC).hour == 8
        assert timezone.localtime(window.closes_at, QC).strftime("%H:%M") == "23:59"


def test_a_cancelled_window_is_not_created_again(client) -> None:
    now = timezone.now()
    created = services.windows_plan(now=now)
    client.force_login(factories.coordinator())
    response = client.post(reverse("orders:coordinator_window_cancel", args=[created[0]]))
    assert response.status_code == 302
    assert OrderWindow.objects.get(pk=created[0]).status == "cancelled"
    assert services.windows_plan(now=now) == []
    tasks.windows_tick()
    assert OrderWindow.objects.filter(status="scheduled").count() == len(created) - 1


def test_a_window_with_orders_cannot_be_cancelled(client) -> None:
    window = factories.window()
    offer = factories.offer(window_=window)
    from orders import basket

    basket.basket_line_set(
        customer_id=factories.user().pk, offer_id=offer.pk, quantity=1, now=timezone.now()
    )
    client.force_login(factories.coordinator())
    response = client.post(
        reverse("orders:coordinator_window_cancel", args=[window.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 409
    assert "cannot be cancelled" in response.content.decode()
    window.refresh_from_db()
    assert window.status == "scheduled"


def test_editing_one_window(client) -> None:
    window = factories.window(open_now=False)
    client.force_login(factories.coordinator())
    url = reverse("orders:coordinator_window_edit", args=[window.pk])
    opens = timezone.localtime(window.opens_at, QC)
    response = client.post(
        url,
        {
            "opens_at": opens.strftime("%Y-%m-%dT%H:%M"),
            "closes_at": (opens + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M"),
            "pickup_date": (opens + timedelta(days=7)).date().isoformat(),
            "note": "Férié lundi",
        },
    )
    assert response.status_code == 302
    window.refresh_from_db()
    assert window.note == "Férié lundi"
    bad = client.post(
        url,
        {
            "opens_at": opens.strftime("%Y-%m-%dT%H:%M"),
            "closes_at": (opens - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            "pickup_date": opens.date().isoformat(),
            "note": "",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert bad.status_code == 422
    assert "must close after it opens" in bad.content.decode()


def test_the_coordinator_sets_the_rhythm(client) -> None:
    client.force_login(factories.coordinator())
    response = client.post(
        reverse("orders:coordinator_schedule"),
        {
            "open_weekday": 5,
            "open_time": "09:00",
            "close_weekday": 2,
            "close_time": "20:00",
            "pickup_weekday": 4,
            "weeks_ahead": 2,
            "basket_hold_minutes": 45,
            "minimum_order_amount": "20.00",
            "margin_percent": "12.50",
            # pay_at_pickup unchecked: card only
        },
    )
    assert response.status_code == 302
    rules = CoopSettings.load()
    assert rules.margin_percent == Decimal("12.50")
    assert rules.pay_at_pickup is False
    windows = list(OrderWindow.objects.order_by("opens_at"))
    assert len(windows) == 2
    assert all(timezone.localtime(w.opens_at, QC).weekday() == 5 for w in windows)
    bad = client.post(reverse("orders:coordinator_schedule"), {"open_weekday": 9, "weeks_ahead": 1})
    assert bad.status_code == 422
