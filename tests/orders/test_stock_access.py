"""Every weekly-stock URL of a farm, for five roles: only the farm's farmers and the
coordinators get in; anyone else gets a 404 (or the login page), and changes nothing."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from orders.models import Offer
from tests import factories

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "customer", "other_farmer", "farmer", "coordinator"]
ALLOWED = {"farmer", "coordinator"}


@pytest.fixture
def world():  # type: ignore[no-untyped-def]
    farm = factories.farm()
    window = factories.window()
    product = factories.product(farm_=farm)
    offer = factories.offer(window_=window, product_=product, quantity=5)
    users = {
        "anonymous": None,
        "customer": factories.user(),
        "other_farmer": factories.farmer(),
        "farmer": factories.farmer(farm_=farm),
        "coordinator": factories.coordinator(),
    }
    return farm, window, product, offer, users


def urls(farm, window) -> dict[str, str]:  # type: ignore[no-untyped-def]
    args = [farm.slug, window.pk]
    return {
        "farm_home": reverse("orders:farm_home", args=[farm.slug]),
        "grid": reverse("orders:stock_grid", args=args),
        "counts": reverse("orders:stock_counts", args=args),
        "csv": reverse("orders:stock_csv", args=args),
    }


@pytest.mark.parametrize("role", ROLES)
def test_reading_the_stock_pages(client, world, role) -> None:
    farm, window, *_, users = world
    if users[role]:
        client.force_login(users[role])
    for name, url in urls(farm, window).items():
        status = client.get(url).status_code
        expected = 200 if role in ALLOWED else (302 if role == "anonymous" else 404)
        assert status == expected, (name, role)


@pytest.mark.parametrize("role", ROLES)
def test_writing_the_stock(client, world, role) -> None:
    farm, window, product, offer, users = world
    if users[role]:
        client.force_login(users[role])
    grid = client.post(
        reverse("orders:stock_grid", args=[farm.slug, window.pk]),
        {f"q-{product.pk}": "40", f"p-{product.pk}": "9,99"},
    )
    upload = client.post(
        reverse("orders:stock_upload", args=[farm.slug, window.pk]),
        {
            "file": SimpleUploadedFile(
                "s.csv", f"product_id,quantity,price\n{product.pk},41,9\n".encode()
            )
        },
    )
    offer.refresh_from_db()
    if role in ALLOWED:
        assert grid.status_code == 302
        assert upload.status_code == 200
        assert offer.quantity == 41
    else:
        expected = 302 if role == "anonymous" else 404
        assert (grid.status_code, upload.status_code) == (expected, expected)
        assert (offer.quantity, offer.price) == (5, Decimal("3.50"))
        assert Offer.objects.count() == 1


def test_a_farmer_cannot_reach_another_farm_through_their_own_url(client, world) -> None:
    farm, window, product, offer, users = world
    mine = factories.farm()
    me = factories.farmer(farm_=mine)
    client.force_login(me)
    response = client.post(
        reverse("orders:stock_upload", args=[mine.slug, window.pk]),
        {
            "file": SimpleUploadedFile(
                "s.csv", f"product_id,quantity,price\n{product.pk},99,1\n".encode()
            )
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422
    assert [o.message for o in response.context["report"]] == ["not in your catalogue"]
    offer.refresh_from_db()
    assert offer.quantity == 5
