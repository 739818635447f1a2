"""Cancelling asks first and is emailed; every order email links to the order; « Repeat
my last basket » is offered only when there is one (issue #15, item 5)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from orders import basket
from orders.models import Order
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def confirmed(client, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    window = factories.window()
    offer = factories.offer(window_=window, product_=factories.product(price=Decimal("4.00")))
    point = factories.pickup_point()
    customer = factories.user(email="marie@example.org", language="en")
    basket.basket_line_set(
        customer_id=customer.pk, offer_id=offer.pk, quantity=2, now=timezone.now()
    )
    client.force_login(customer)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # the email, after commit
        with_emails = client.post(
            reverse("baskets:checkout"),
            {"pickup_point": point.pk, "language": "en", "payment_method": "at_pickup"},
        )
    assert with_emails.status_code == 302
    return Order.objects.get(customer=customer), customer


def test_the_confirmation_email_links_to_the_order(
    confirmed, django_capture_on_commit_callbacks
) -> None:
    order, _customer = confirmed
    [message] = [m for m in mail.outbox if m.to == ["marie@example.org"]]
    assert f"/my/orders/{order.pk}/" in message.body


def test_cancelling_asks_first_then_cancels_and_emails(
    client, confirmed, django_capture_on_commit_callbacks
) -> None:
    order, customer = confirmed
    url = reverse("baskets:order_cancel", args=[order.pk])
    page = client.get(reverse("baskets:order", args=[order.pk])).content.decode()
    assert f'href="{url}"' in page  # a link to the question, not a one-tap form
    ask = client.get(url)
    assert ask.status_code == 200
    assert "Yes, cancel my order" in ask.content.decode()
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED  # asking changed nothing
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url)
    assert done.status_code == 302
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    [message] = [m for m in mail.outbox if m.to == [customer.email]]
    assert "cancelled" in message.subject
    assert "/my/orders/" in message.body


def test_repeat_my_last_basket_is_offered_only_when_there_is_one(client) -> None:
    window = factories.window()
    customer = factories.user()
    client.force_login(customer)
    assert "Repeat my last basket" not in client.get(reverse("baskets:basket")).content.decode()
    assert "Repeat my last basket" not in client.get(reverse("baskets:my_orders")).content.decode()
    earlier = factories.window(
        open_now=False,
        opens_at=window.opens_at - timedelta(days=7),
        closes_at=window.closes_at - timedelta(days=7),
        pickup_date=window.pickup_date - timedelta(days=7),
        status="closed",
    )
    factories.order(window_=earlier, customer=customer, status=Order.Status.PICKED_UP)
    assert "Repeat my last basket" in client.get(reverse("baskets:basket")).content.decode()
    assert "Repeat my last basket" in client.get(reverse("baskets:my_orders")).content.decode()


def test_updated_is_emailed_once_the_customer_is_done_changing(client, confirmed) -> None:
    from baskets import emails

    order, customer = confirmed
    line = order.lines.get()
    mail.outbox.clear()
    for delta in (1, 1, -1):  # three taps on a confirmed order
        client.post(reverse("baskets:line_update", args=[line.offer_id]), {"delta": delta})
    assert mail.outbox == []  # not for every tap
    order.refresh_from_db()
    assert order.update_email_due is not None
    assert emails.order_updates_send(now=timezone.now()) == 0  # still changing
    later = timezone.now() + emails.QUIET + timedelta(seconds=1)
    assert emails.order_updates_send(now=later) == 1
    assert emails.order_updates_send(now=later) == 0  # once
    [message] = [m for m in mail.outbox if m.to == [customer.email]]
    assert "updated order" in message.body
    assert "3 ×" in message.body


def test_the_coordinators_note_is_on_the_shop_the_checkout_the_order_and_its_email(
    client, confirmed
) -> None:
    order, customer = confirmed
    order.window.note = "Apportez vos sacs réutilisables !"
    order.window.save(update_fields=["note"])
    for name, args in (
        ("baskets:shop", []),
        ("baskets:checkout", []),
        ("baskets:order", [order.pk]),
    ):
        page = client.get(reverse(name, args=args)).content.decode()
        assert "Apportez vos sacs réutilisables !" in page, name
    from baskets import emails

    mail.outbox.clear()
    emails.send_order_confirmation(order_id=order.pk)
    assert "From the co-op: Apportez vos sacs réutilisables !" in mail.outbox[0].body
