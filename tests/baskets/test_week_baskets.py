"""The basket of the week (issue #15, item 2): a coordinator composes it from the week's
offers; a customer adds it in one tap, then changes it like any line; each item takes
its own stock, and a basket whose items run out says what is left."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from baskets import week_baskets
from baskets.models import WeekBasket
from orders import basket
from orders.errors import BasketError
from orders.models import Offer, Order
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def week():  # type: ignore[no-untyped-def]
    window = factories.window()
    farm = factories.farm()
    carrots = factories.offer(
        window_=window,
        product_=factories.product(farm_=farm, name="Carottes", price=Decimal("3.50")),
        quantity=20,
    )
    garlic = factories.offer(
        window_=window,
        product_=factories.product(farm_=farm, name="Ail", price=Decimal("2.00")),
        quantity=1,
    )
    return window, carrots, garlic


def _png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), (47, 107, 58)).save(buffer, "PNG")
    return SimpleUploadedFile("panier.png", buffer.getvalue(), content_type="image/png")


def test_a_coordinator_composes_a_basket_of_the_week(client, week) -> None:
    window, carrots, garlic = week
    client.force_login(factories.coordinator())
    url = reverse("baskets:coordinator_week_baskets", args=[window.pk])
    assert client.get(url).status_code == 200
    empty = client.post(url, {"name": "Découverte", "is_published": "on"})
    assert empty.status_code == 422
    assert "at least one product" in empty.content.decode()
    other_week = factories.offer()
    foreign = client.post(url, {"name": "Découverte", f"q-{other_week.pk}": "1"})
    assert "must be offered this week" in foreign.content.decode()
    saved = client.post(
        url,
        {"name": "Découverte", "description": "De saison", "indicative_price": "35,00",
         "is_published": "on", f"q-{carrots.pk}": "2", f"q-{garlic.pk}": "1", "photo": _png()},
    )  # fmt: skip
    assert saved.status_code == 302
    made = WeekBasket.objects.get()
    assert (made.indicative_price, made.is_published) == (Decimal("35.00"), True)
    assert made.thumbnail.name
    assert sorted(made.items.values_list("offer_id", "quantity")) == sorted(
        [(carrots.pk, 2), (garlic.pk, 1)]
    )
    twice = client.post(url, {"name": "Découverte", f"q-{carrots.pk}": "1"})
    assert "already has a basket named Découverte" in twice.content.decode()
    edit = reverse("baskets:coordinator_week_basket", args=[made.pk])
    client.post(edit, {"name": "Découverte", f"q-{carrots.pk}": "3", f"q-{garlic.pk}": "0"})
    assert list(made.items.values_list("quantity", flat=True)) == [3]
    assert not WeekBasket.objects.get().is_published  # unticked: hidden from the shop


def test_a_customer_adds_it_in_one_tap_and_sees_what_ran_out(client, week) -> None:
    window, carrots, garlic = week
    made = week_baskets.week_basket_save(
        window_id=window.pk,
        data=week_baskets.WeekBasketData(
            name="Découverte", description="", indicative_price=None, is_published=True,
            items=[(carrots.pk, 2), (garlic.pk, 2)],
        ),
    )  # fmt: skip
    customer = factories.user()
    client.force_login(customer)
    shop = client.get(reverse("baskets:shop")).content.decode()
    assert "Add Découverte to my basket" in shop
    assert "~$11.00" in shop.replace("\xa0", " ") or "~11,00" in shop  # 2 × 3.50 + 2 × 2.00
    basket.basket_line_set(
        customer_id=customer.pk, offer_id=carrots.pk, quantity=1, now=timezone.now()
    )
    response = client.post(reverse("baskets:week_basket_take", args=[made.pk]), follow=True)
    page = response.content.decode()
    assert "Only part of: Ail" in page
    lines = dict(Order.objects.get(customer=customer).lines.values_list("offer_id", "quantity"))
    assert lines == {carrots.pk: 3, garlic.pk: 1}  # on top of what it held; 1 garlic left
    assert Offer.objects.get(pk=garlic.pk).remaining == 0
    # The basket now says what is left of it, and the next customer gets the rest.
    shop = client.get(reverse("baskets:shop")).content.decode()
    assert "sold out" in shop
    other = factories.user()
    report = week_baskets.week_basket_take(
        customer_id=other.pk, basket_id=made.pk, now=timezone.now()
    )
    assert (report.added, report.sold_out) == (["Carottes"], ["Ail"])
    # Swapped like any line.
    client.post(reverse("baskets:line_update", args=[carrots.pk]), {"quantity": "0"})
    assert dict(Order.objects.get(customer=customer).lines.values_list("offer_id", "quantity")) == {
        garlic.pk: 1
    }


def test_a_hidden_basket_cannot_be_taken(week) -> None:
    window, carrots, _garlic = week
    made = week_baskets.week_basket_save(
        window_id=window.pk,
        data=week_baskets.WeekBasketData(
            name="Caché", description="", indicative_price=None, is_published=False,
            items=[(carrots.pk, 1)],
        ),
    )  # fmt: skip
    with pytest.raises(BasketError, match="no longer offered"):
        week_baskets.week_basket_take(
            customer_id=factories.user().pk, basket_id=made.pk, now=timezone.now()
        )
