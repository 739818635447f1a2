"""Standing baskets through a real Celery worker (issue #15): the tick fills a week's
basket when it opens, emails the review, confirms it at the co-op's time; the next
week is skipped ahead, the one after paused. Run twice, nothing happens twice."""

from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from baskets import standing, tasks
from baskets.models import StandingWeek
from orders.models import Order, OrderWindow, PickupSlot
from pickup.models import Heartbeat
from tests import factories


def _tick(wait_for) -> None:  # type: ignore[no-untyped-def]
    """One tick through the broker, waited for by the heartbeat it records."""
    before = Heartbeat.objects.filter(name="standing-baskets").values_list("at", flat=True).first()
    tasks.standing_tick.delay()
    wait_for(
        lambda: (
            Heartbeat.objects.filter(name="standing-baskets").values_list("at", flat=True).first()
            not in (None, before)
        ),
        what="the worker's standing tick",
    )


@pytest.mark.django_db(transaction=True)
def test_a_standing_basket_through_three_weeks_on_a_real_worker(celery_worker, wait_for) -> None:
    now = timezone.now()
    farm = factories.farm(email="ferme@example.org")
    carrots = factories.product(farm_=farm, name="Carottes", price=Decimal("3.50"))
    point = factories.pickup_point()
    slot = PickupSlot.objects.create(
        pickup_point=point, starts_at=time(16),
        ends_at=time(18), capacity=20,
    )  # fmt: skip
    this_week = factories.window(
        opens_at=now - timedelta(hours=2),
        closes_at=now + timedelta(hours=1),
        pickup_date=(now + timedelta(days=1)).date(),
    )  # fmt: skip  (confirmed halfway through: an hour ago)
    next_week = factories.window(
        opens_at=now + timedelta(days=7), closes_at=now + timedelta(days=7, hours=3),
        pickup_date=(now + timedelta(days=8)).date(),
    )  # fmt: skip
    week_after = factories.window(
        opens_at=now + timedelta(days=14), closes_at=now + timedelta(days=14, hours=3),
        pickup_date=(now + timedelta(days=15)).date(),
    )  # fmt: skip
    for window in (this_week, next_week, week_after):
        factories.offer(window_=window, product_=carrots, quantity=50)
    customer = factories.user(email="marie@example.org", language="fr-ca")
    standing.standing_save(
        customer_id=customer.pk, lines=[(carrots.pk, 4)], pickup_point_id=point.pk,
        pickup_slot_id=slot.pk, payment_method="at_pickup", allow_substitutes=False,
        language="fr-ca",
    )  # fmt: skip
    mail.outbox.clear()

    # Week 1: filled, reviewed and, its time come, confirmed.
    _tick(wait_for)
    week = StandingWeek.objects.get(window=this_week)
    assert week.status == StandingWeek.Status.CONFIRMED
    order = Order.objects.get(customer=customer, window=this_week)
    assert (order.status, order.pickup_slot_id) == (Order.Status.CONFIRMED, slot.pk)
    assert list(order.lines.values_list("quantity", flat=True)) == [4]

    def mails() -> list[str]:
        return [str(m.subject) for m in mail.outbox if m.to == [customer.email]]

    _tick(wait_for)  # again: nothing twice
    subjects = mails()
    assert len(subjects) == 2, subjects  # the review, then the confirmation
    assert sum("à revoir" in s for s in subjects) == 1

    # Week 2: skipped ahead, from the customer's page, before it opens.
    standing.standing_skip(customer_id=customer.pk, window_id=next_week.pk, now=now)
    # Week 3: paused until after its pickup.
    standing.standing_pause(
        customer_id=customer.pk, until=week_after.pickup_date + timedelta(days=1),
        today=timezone.localdate(),
    )  # fmt: skip
    OrderWindow.objects.filter(pk=this_week.pk).update(closes_at=timezone.now())
    for window in (next_week, week_after):  # each week's opening comes, in turn
        OrderWindow.objects.filter(pk=window.pk).update(
            opens_at=timezone.now() - timedelta(minutes=1),
            closes_at=timezone.now() + timedelta(days=2),
        )
        _tick(wait_for)
        OrderWindow.objects.filter(pk=window.pk).update(closes_at=timezone.now())
    assert StandingWeek.objects.get(window=next_week).status == StandingWeek.Status.SKIPPED
    assert not StandingWeek.objects.filter(window=week_after).exists()
    assert not Order.objects.filter(customer=customer, window__in=(next_week, week_after)).exists()
    assert len(mails()) == 2
