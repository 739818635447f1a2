"""The database itself refuses what must never be true."""

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F

from orders.models import Offer, OrderLine
from tests import factories

pytestmark = pytest.mark.django_db


def test_offer_stock_cannot_go_below_zero() -> None:
    offer = factories.offer(quantity=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        Offer.objects.filter(pk=offer.pk).update(remaining=F("remaining") - 4)
    offer.refresh_from_db()
    assert offer.remaining == 3


def test_offer_remaining_cannot_exceed_quantity() -> None:
    offer = factories.offer(quantity=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        Offer.objects.filter(pk=offer.pk).update(remaining=4)


def test_one_order_per_customer_per_window() -> None:
    order = factories.order()
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.order(window_=order.window, customer=order.customer)


def test_same_customer_may_order_in_another_window() -> None:
    order = factories.order()
    factories.order(customer=order.customer)  # a second window: allowed


@pytest.mark.parametrize("quantity", [0, -1])
def test_order_line_quantity_must_be_positive(quantity: int) -> None:
    order = factories.order()
    offer = factories.offer(window_=order.window)
    with pytest.raises(IntegrityError), transaction.atomic():
        OrderLine.objects.create(
            order=order, offer=offer, quantity=quantity, unit_price=offer.price, tax_class="zero"
        )


def test_product_price_must_be_positive() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.product(price=0)
