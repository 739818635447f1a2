"""Fixes from a review of the basket and closing code: a slot never over capacity after
a cancel and re-confirm; a confirmed order keeps a product and the minimum; a farm
email that failed is retried before the window counts as closed."""

from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from orders import basket
from orders.models import CoopSettings, FarmNotice, OrderWindow, PickupSlot
from pickup import closing
from tests import factories
from tests.orders.test_closing import build_week

pytestmark = pytest.mark.django_db


def confirm(customer, window, point, slot=None):  # type: ignore[no-untyped-def]
    return basket.order_confirm(
        customer_id=customer.pk,
        window_id=window.pk,
        pickup_point_id=point.pk,
        pickup_slot_id=slot.pk if slot else None,
        language="en",
        now=timezone.now(),
    )


def test_a_cancelled_order_cannot_take_back_a_full_slot() -> None:
    window = factories.window()
    offer = factories.offer(window_=window, quantity=10)
    point = factories.pickup_point()
    slot = PickupSlot.objects.create(
        pickup_point=point, starts_at=time(16), ends_at=time(17), capacity=1
    )
    alice, bob = factories.user(), factories.user()
    basket.basket_line_set(customer_id=alice.pk, offer_id=offer.pk, quantity=1, now=timezone.now())
    confirm(alice, window, point, slot)
    basket.order_cancel(customer_id=alice.pk, window_id=window.pk, now=timezone.now())
    basket.basket_line_set(customer_id=bob.pk, offer_id=offer.pk, quantity=1, now=timezone.now())
    confirm(bob, window, point, slot)
    basket.basket_line_set(customer_id=alice.pk, offer_id=offer.pk, quantity=1, now=timezone.now())
    with pytest.raises(basket.BasketError):
        confirm(alice, window, point, slot)


def test_a_confirmed_order_keeps_a_product_and_the_minimum() -> None:
    window = factories.window()
    offer = factories.offer(window_=window, quantity=10)
    point = factories.pickup_point()
    customer = factories.user()
    CoopSettings.objects.create(minimum_order_amount=Decimal("5.00"))
    basket.basket_line_set(
        customer_id=customer.pk, offer_id=offer.pk, quantity=2, now=timezone.now()
    )
    confirm(customer, window, point)
    with pytest.raises(basket.BasketError):  # 1 × 3.50 is below 5.00
        basket.basket_line_set(
            customer_id=customer.pk, offer_id=offer.pk, quantity=1, now=timezone.now()
        )
    with pytest.raises(basket.BasketError):
        basket.basket_line_set(
            customer_id=customer.pk, offer_id=offer.pk, quantity=0, now=timezone.now()
        )
    offer.refresh_from_db()
    assert offer.remaining == 8
    basket.order_cancel(customer_id=customer.pk, window_id=window.pk, now=timezone.now())
    offer.refresh_from_db()
    assert offer.remaining == 10


def test_a_failed_farm_email_is_retried_before_the_window_is_closed() -> None:
    window, farms, *_ = build_week(2)
    farms[0].email = ""
    farms[0].save()  # no address and no member: the send fails
    assert closing.window_close(window_id=window.pk, now=timezone.now()) is False
    window.refresh_from_db()
    assert window.status == OrderWindow.Status.CLOSING
    assert FarmNotice.objects.get(window=window, farm=farms[0]).status == "failed"
    sent_before = len(mail.outbox)
    # Not before the lease: a live job is left alone.
    assert closing.window_close(window_id=window.pk, now=timezone.now()) is False
    farms[0].email = "retour@example.org"
    farms[0].save()
    OrderWindow.objects.filter(pk=window.pk).update(
        close_heartbeat=timezone.now() - timedelta(minutes=11)
    )
    assert closing.window_close(window_id=window.pk, now=timezone.now()) is True
    window.refresh_from_db()
    assert window.status == OrderWindow.Status.CLOSED
    assert len(mail.outbox) == sent_before + 1  # only the failed one, once
    assert mail.outbox[-1].to == ["retour@example.org"]
