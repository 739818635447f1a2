"""The co-op's settings page: coordinators edit the basket hold, the minimum order, pay
at pickup, the margin and the privacy contact without the admin; bad input is refused
with its errors; the weekly rhythm stays on its own page."""

from decimal import Decimal

import pytest
from django.urls import reverse

from orders.models import CoopSettings
from tests import factories

pytestmark = pytest.mark.django_db

URL = "/coordinator/settings/"


def _data(**changes: str) -> dict[str, str]:
    data = {
        "basket_hold_minutes": "45",
        "minimum_order_amount": "25.00",
        "pay_at_pickup": "",
        "standing_confirm_hours": "24",
        "margin_percent": "12.50",
        "weighed_hold_margin_percent": "15",
        "address": "12, rue des Champs\nMagog QC J1X 0A1",
        "tps_number": "123456789 RT0001",
        "tvq_number": "1234567890 TQ0001",
        "privacy_officer": "Léa Roy",
        "privacy_email": "vie-privee@example.org",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def test_the_page_is_at_its_address_and_links_to_the_rhythm(client) -> None:
    assert reverse("pickup:coordinator_settings") == URL
    client.force_login(factories.coordinator())
    response = client.get(URL)
    assert response.status_code == 200
    assert reverse("orders:coordinator_schedule") in response.content.decode()
    assert "open_weekday" not in response.content.decode()  # the rhythm is not duplicated


def test_a_coordinator_saves_the_settings(client) -> None:
    client.force_login(factories.coordinator())
    response = client.post(URL, _data(), follow=True)
    assert response.redirect_chain[-1][0] == URL
    assert "Co-op settings saved." in response.content.decode() or response.context["messages"]
    row = CoopSettings.objects.get(pk=1)
    assert row.basket_hold_minutes == 45
    assert row.minimum_order_amount == Decimal("25.00")
    assert row.pay_at_pickup is False
    assert row.margin_percent == Decimal("12.50")
    assert row.privacy_officer == "Léa Roy"
    assert row.privacy_email == "vie-privee@example.org"
    assert CoopSettings.load().basket_hold_minutes == 45


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("basket_hold_minutes", "2"),
        ("minimum_order_amount", "-1"),
        ("margin_percent", "101"),
        ("privacy_email", "not-an-email"),
    ],
)
def test_bad_input_is_refused_with_its_error(client, field: str, value: str) -> None:
    before = CoopSettings.load()
    client.force_login(factories.coordinator())
    response = client.post(URL, _data(**{field: value}))
    assert response.status_code == 422
    assert field in response.context["form"].errors
    after = CoopSettings.objects.get(pk=1)
    assert after.basket_hold_minutes == before.basket_hold_minutes
    assert after.privacy_email == before.privacy_email


@pytest.mark.parametrize("who", ["customer", "farmer", "superuser_staff_flag"])
def test_others_are_refused(client, who: str) -> None:
    if who == "customer":
        user = factories.user()
    elif who == "farmer":
        user = factories.farmer()
    else:
        user = factories.user(is_staff=True)  # staff without the coordinators' group
    client.force_login(user)
    assert client.get(URL).status_code == 403
    assert client.post(URL, _data()).status_code == 403
