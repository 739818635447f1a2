"""Reminders (issue #15, item 3): ordering open, the deadline near, held units about to
go back, pickup day. Each once per customer per week, whatever the number of ticks or
workers; only to those who want reminders, with an unsubscribe link and header."""

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from accounts import consent
from baskets import reminders, standing
from baskets.models import CustomerNotice, StandingWeek
from orders import basket
from orders.models import CoopSettings, Order
from tests import factories
from tests.workers import at_once

pytestmark = pytest.mark.usefixtures("english")


def _to(address: str) -> list[str]:
    return [str(m.subject) for m in mail.outbox if m.to == [address]]


def _week(opened_ago: timedelta = timedelta(minutes=5)):  # type: ignore[no-untyped-def]
    window = factories.window(opens_at=timezone.now() - opened_ago)
    window.note = "Apportez vos sacs !"
    window.save(update_fields=["note"])
    offer = factories.offer(
        window_=window, product_=factories.product(price=Decimal("5.00")), quantity=100
    )
    return window, offer


@pytest.mark.django_db
def test_ordering_open_goes_once_to_the_co_ops_customers_in_the_weeks_first_day() -> None:
    window, offer = _week()
    regular = factories.user(email="regular@example.org", language="en")
    week = timedelta(days=7)
    earlier = factories.window(
        open_now=False, opens_at=window.opens_at - week, closes_at=window.closes_at - week,
        pickup_date=window.pickup_date - week, status="closed",
    )  # fmt: skip
    factories.order(window_=earlier, customer=regular, status=Order.Status.PICKED_UP)
    standing_customer = factories.user(email="usual@example.org", language="en")
    standing.standing_save(
        customer_id=standing_customer.pk, lines=[(offer.product_id, 1)],
        pickup_point_id=factories.pickup_point().pk, pickup_slot_id=None,
        payment_method="at_pickup", allow_substitutes=False, language="en",
    )  # fmt: skip
    factories.user(email="never@example.org")  # an account that never ordered
    mail.outbox.clear()
    now = timezone.now()
    assert reminders.reminders_send(now=now)["shop_open"] == 2
    assert reminders.reminders_send(now=now)["shop_open"] == 0  # a second tick
    [message] = [m for m in mail.outbox if m.to == ["regular@example.org"]]
    assert "ordering is open" in message.subject
    assert "From the co-op: Apportez vos sacs !" in message.body
    assert message.extra_headers["List-Unsubscribe"].startswith("<http")
    assert "List-Unsubscribe-Post" in message.extra_headers
    assert _to("never@example.org") == []
    later = factories.user(email="late@example.org")
    factories.order(window_=earlier, customer=later, status=Order.Status.PICKED_UP)
    assert reminders.reminders_send(now=window.opens_at + timedelta(days=2))["shop_open"] == 0


@pytest.mark.django_db
def test_the_deadline_reminder_goes_to_unconfirmed_baskets_and_usual_baskets_to_review() -> None:
    window, offer = _week()
    point = factories.pickup_point()
    waiting = factories.user(email="waiting@example.org")
    basket.basket_line_set(
        customer_id=waiting.pk, offer_id=offer.pk, quantity=1, now=timezone.now()
    )
    done = factories.user(email="done@example.org")
    basket.basket_line_set(customer_id=done.pk, offer_id=offer.pk, quantity=1, now=timezone.now())
    basket.order_confirm(
        customer_id=done.pk, window_id=window.pk, pickup_point_id=point.pk, pickup_slot_id=None,
        language="en", now=timezone.now(),
    )  # fmt: skip
    usual = factories.user(email="usual@example.org")
    standing.standing_save(
        customer_id=usual.pk, lines=[(offer.product_id, 1)], pickup_point_id=point.pk,
        pickup_slot_id=None, payment_method="at_pickup", allow_substitutes=False, language="en",
    )  # fmt: skip
    standing.standing_fill(window_id=window.pk, now=timezone.now())
    assert StandingWeek.objects.get().status == StandingWeek.Status.FILLED
    mail.outbox.clear()
    assert reminders.deadline_send(window, timezone.now()) == 0  # days ahead
    near = window.closes_at - timedelta(hours=23)
    assert reminders.deadline_send(window, near) == 2
    assert reminders.deadline_send(window, near) == 0
    assert _to("done@example.org") == []
    assert len(_to("waiting@example.org")) == len(_to("usual@example.org")) == 1


@pytest.mark.django_db
def test_held_units_about_to_go_back_are_announced_before_the_release() -> None:
    window, offer = _week(opened_ago=timedelta(hours=3))
    hold = CoopSettings.load().basket_hold_minutes
    idle = factories.user(email="idle@example.org", language="en")
    basket.basket_line_set(
        customer_id=idle.pk, offer_id=offer.pk, quantity=1,
        now=timezone.now() - timedelta(minutes=hold - 5),
    )  # fmt: skip
    busy = factories.user(email="busy@example.org")
    basket.basket_line_set(customer_id=busy.pk, offer_id=offer.pk, quantity=1, now=timezone.now())
    mail.outbox.clear()
    assert reminders.idle_send(window, timezone.now()) == 1
    assert reminders.idle_send(window, timezone.now()) == 0
    assert "about to go back on sale" in _to("idle@example.org")[0]


@pytest.mark.django_db
def test_pickup_day_says_where_and_when_from_seven() -> None:
    window, offer = _week()
    point = factories.pickup_point(name="Église Saint-Denis", instructions="Entrée par la cour")
    customer = factories.user(email="marie@example.org")
    basket.basket_line_set(
        customer_id=customer.pk, offer_id=offer.pk, quantity=1, now=timezone.now()
    )
    basket.order_confirm(
        customer_id=customer.pk, window_id=window.pk, pickup_point_id=point.pk,
        pickup_slot_id=None, language="en", now=timezone.now(),
    )  # fmt: skip
    Order.objects.filter(customer=customer).update(status=Order.Status.LOCKED)
    early = timezone.make_aware(datetime.combine(window.pickup_date, time(6, 30)))
    assert reminders.pickup_day_send(early) == 0
    at_eight = early + timedelta(hours=1, minutes=30)
    mail.outbox.clear()
    assert reminders.pickup_day_send(at_eight) == 1
    assert reminders.pickup_day_send(at_eight) == 0
    [message] = [m for m in mail.outbox if m.to == ["marie@example.org"]]
    assert "Église Saint-Denis" in message.body
    assert "Entrée par la cour" in message.body


@pytest.mark.django_db
def test_a_customer_who_unsubscribed_gets_only_transactional_emails(client) -> None:
    window, offer = _week()
    customer = factories.user(email="quiet@example.org")
    basket.basket_line_set(
        customer_id=customer.pk, offer_id=offer.pk, quantity=1, now=timezone.now()
    )
    consent.unsubscribe(customer, "reminders")
    mail.outbox.clear()
    assert reminders.deadline_send(window, window.closes_at - timedelta(hours=1)) == 0
    assert not CustomerNotice.objects.exists()
    point = factories.pickup_point()
    from baskets import emails

    basket.order_confirm(
        customer_id=customer.pk, window_id=window.pk, pickup_point_id=point.pk,
        pickup_slot_id=None, language="en", now=timezone.now(),
    )  # fmt: skip
    emails.send_order_confirmation(order_id=Order.objects.get(customer=customer).pk)
    assert len(_to("quiet@example.org")) == 1  # the confirmation: always sent


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_reminder_once() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("two workers need two connections to one database: PostgreSQL (CI)")
    window, offer = _week()
    for n in range(20):
        user = factories.user(email=f"c{n}@example.org")
        basket.basket_line_set(
            customer_id=user.pk, offer_id=offer.pk, quantity=1, now=timezone.now()
        )
    near = window.closes_at - timedelta(hours=1)
    mail.outbox.clear()
    counts = at_once(lambda: reminders.deadline_send(window, near))
    assert sum(counts) == 20
    assert sorted(m.to[0] for m in mail.outbox) == sorted(f"c{n}@example.org" for n in range(20))
