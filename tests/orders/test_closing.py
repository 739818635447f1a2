"""Closing a window: orders lock, baskets are discarded, every list and sheet is built,
each farm gets exactly one email; closing again changes nothing and sends nothing."""

import csv
import io
from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pypdf import PdfReader

from orders import basket
from orders.models import (
    FarmNotice,
    Offer,
    Order,
    OrderWindow,
    PickupDocument,
    PickupPoint,
    PickupSlot,
)
from pickup import closing, tasks
from tests import factories

pytestmark = pytest.mark.django_db


def build_week(n_customers: int = 6, *, farms: int = 3):  # type: ignore[no-untyped-def]
    """An open window with offers from `farms` farms, two pickup points (one with slots)
    and `n_customers` confirmed orders, plus one basket never confirmed."""
    now = timezone.now()
    window = factories.window()
    farm_objs = [
        factories.farm(name=f"Ferme {c}", email=f"ferme{c.lower()}@example.org")
        for c in "ABCDEFGH"[:farms]
    ]
    offers = []
    for farm in farm_objs:
        for name, price in (("Carottes", "3.50"), ("Œufs", "6.00")):
            product = factories.product(farm_=farm, name=name, price=Decimal(price))
            offers.append(factories.offer(window_=window, product_=product, quantity=10_000))
    plateau = factories.pickup_point(name="Plateau")
    slot = PickupSlot.objects.create(
        pickup_point=plateau, starts_at=time(16), ends_at=time(17), capacity=100_000
    )
    limoilou = factories.pickup_point(name="Limoilou")
    customers = []
    for i in range(n_customers):
        customer = factories.user(first_name=f"Prénom{i}", last_name=f"Nom{n_customers - i:05d}")
        for j, offer in enumerate(offers[(i % len(offers)) :][:4]):
            basket.basket_line_set(
                customer_id=customer.pk, offer_id=offer.pk, quantity=1 + j, now=now
            )
        point = plateau if i % 2 else limoilou
        basket.order_confirm(
            customer_id=customer.pk,
            window_id=window.pk,
            pickup_point_id=point.pk,
            pickup_slot_id=slot.pk if point == plateau else None,
            language="fr-ca",
            now=now,
        )
        customers.append(customer)
    idle = factories.user()
    basket.basket_line_set(customer_id=idle.pk, offer_id=offers[0].pk, quantity=5, now=now)
    OrderWindow.objects.filter(pk=window.pk).update(closes_at=timezone.now() - timedelta(seconds=1))
    window.refresh_from_db()
    return window, farm_objs, offers, (plateau, limoilou), customers


def test_close_locks_discards_builds_and_emails_once() -> None:
    window, farms, offers, points, customers = build_week()
    quiet = factories.farm(name="Ferme Tranquille", email="tranquille@example.org")
    factories.offer(
        window_=window, product_=factories.product(farm_=quiet, name="Radis"), quantity=5
    )
    assert closing.window_close(window_id=window.pk, now=timezone.now()) is True
    window.refresh_from_db()
    assert (window.status, window.close_progress) == ("closed", 100)
    statuses = dict(Order.objects.values_list("customer__email", "status"))
    assert list(statuses.values()).count("locked") == len(customers)
    assert list(statuses.values()).count("cancelled") == 1  # the idle basket
    offers[0].refresh_from_db()
    assert offers[0].remaining == offers[0].quantity - sum(
        line.quantity for line in offers[0].lines.filter(order__status="locked")
    )
    kinds = sorted(PickupDocument.objects.filter(window=window).values_list("kind", flat=True))
    assert kinds.count("farm_list") == 4
    assert kinds.count("point_sheet") == 2
    assert kinds.count("summary") == 1
    assert len(mail.outbox) == 4
    by_farm = {m.to[0]: m for m in mail.outbox}
    assert by_farm["tranquille@example.org"].subject.startswith("Aucune commande cette semaine")
    assert not by_farm["tranquille@example.org"].attachments
    assert len(by_farm["fermea@example.org"].attachments) == 2
    # Closing again changes nothing and sends nothing.
    assert closing.window_close(window_id=window.pk, now=timezone.now()) is False
    assert tasks.windows_tick() == {"opened": [], "closed": []}
    call_command("close_due_windows", stdout=io.StringIO())
    assert len(mail.outbox) == 4
    assert FarmNotice.objects.filter(window=window, status="sent").count() == 4


def test_a_crash_midway_is_resumed_once_the_lease_expires() -> None:
    window, *_ = build_week(3)
    # A worker claimed the window, locked the orders, then died before building anything.
    OrderWindow.objects.filter(pk=window.pk).update(
        status="closing", close_heartbeat=timezone.now() - timedelta(minutes=11)
    )
    Order.objects.filter(window=window, status="confirmed").update(status="locked")
    assert closing.window_close(window_id=window.pk, now=timezone.now()) is True
    assert PickupDocument.objects.filter(window=window, kind="point_sheet").count() == 2
    assert len(mail.outbox) == 3
    # A live job (fresh heartbeat) is left alone.
    window2, *_ = build_week(2)
    OrderWindow.objects.filter(pk=window2.pk).update(
        status="closing", close_heartbeat=timezone.now()
    )
    assert closing.window_close(window_id=window2.pk, now=timezone.now()) is False


def test_a_window_three_days_overdue_closes_on_the_next_tick() -> None:
    window, *_ = build_week(2)
    OrderWindow.objects.filter(pk=window.pk).update(
        status="open",
        closes_at=timezone.now() - timedelta(days=3),
        opens_at=timezone.now() - timedelta(days=8),
    )
    assert tasks.windows_tick()["closed"] == [window.pk]
    window.refresh_from_db()
    assert window.status == "closed"


def test_pickup_sheet_lists_every_customer_of_the_point_with_exactly_their_items() -> None:
    window, farms, offers, (plateau, limoilou), customers = build_week(9)
    closing.window_close(window_id=window.pk, now=timezone.now())
    sheet = PickupDocument.objects.get(window=window, kind="point_sheet", pickup_point=plateau)
    expected: dict[str, dict[tuple[str, str], int]] = {}
    for order in Order.objects.filter(
        window=window, pickup_point=plateau, status="locked"
    ).select_related("customer"):
        assert order.customer is not None
        name = f"{order.customer.last_name}, {order.customer.first_name}"
        expected[name] = {
            (line.offer.product.farm.name, line.offer.product.name): line.quantity
            for line in order.lines.all()
        }
    rows = list(csv.DictReader(io.StringIO(sheet.csv.read().decode("utf-8-sig"))))
    from_csv: dict[str, dict[tuple[str, str], int]] = {}
    for row in rows:
        from_csv.setdefault(row["client"], {})[(row["ferme"], row["produit"])] = int(
            row["quantité"]
        )
    assert from_csv == expected
    names = [row["client"] for row in rows]
    assert names == sorted(names, key=str.casefold)  # alphabetical
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(sheet.pdf.read())).pages)
    for name, items in expected.items():
        assert name in text
        for (_farm, product), quantity in items.items():
            assert f"{quantity} × {product}" in text
    others = Order.objects.filter(window=window, pickup_point=limoilou).select_related("customer")
    for order in others:
        assert order.customer is not None
        assert order.customer.last_name not in text


def test_close_queries_do_not_grow_with_orders() -> None:
    counts = []
    for n in (4, 24):
        window, *_ = build_week(n)
        mail.outbox.clear()
        with CaptureQueriesContext(connection) as ctx:
            closing.window_close(window_id=window.pk, now=timezone.now())
        counts.append(len(ctx.captured_queries))
        Order.objects.filter(window=window).update(status="picked_up")
        OrderWindow.objects.filter(pk=window.pk).update(
            opens_at=timezone.now() - timedelta(days=30),
            closes_at=timezone.now() - timedelta(days=29),
        )
        PickupPoint.objects.update(is_active=False)  # the next week has its own two points
    # Same farms, same points, one basket discarded: only the number of orders differs.
    assert counts[0] == counts[1], counts


def test_build_lists_rebuilds_one_window() -> None:
    window, *_ = build_week(2)
    closing.window_close(window_id=window.pk, now=timezone.now())
    PickupDocument.objects.filter(window=window, kind="summary").delete()
    out = io.StringIO()
    call_command("build_lists", str(window.pk), stdout=out)
    assert PickupDocument.objects.filter(window=window, kind="summary").exists()
    assert "pages" in out.getvalue()
    assert len(mail.outbox) == 3  # rebuilding sends nothing


def test_unknown_window_for_build_lists_is_a_clear_error() -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No window 999999"):
        call_command("build_lists", "999999")


@pytest.mark.django_db(transaction=True)
def test_real_worker_closes_a_due_window(celery_worker, wait_for) -> None:
    window, *_ = build_week(3)
    tasks.windows_tick.delay()
    wait_for(
        lambda: OrderWindow.objects.get(pk=window.pk).status == "closed",
        timeout=40,
        what="the worker to close the window",
    )
    assert PickupDocument.objects.filter(window=window).count() == 3 + 2 + 1
    assert FarmNotice.objects.filter(window=window, status="sent").count() == 3
    assert len(mail.outbox) == 3
    tasks.windows_tick.delay()
    tasks.windows_tick.delay()
    import time as clock

    clock.sleep(2)
    assert len(mail.outbox) == 3


def test_offers_stay_put_after_close(client) -> None:
    window, farms, offers, points, customers = build_week(2)
    closing.window_close(window_id=window.pk, now=timezone.now())
    before = list(Offer.objects.values_list("pk", "remaining"))
    closing.window_close(window_id=window.pk, now=timezone.now())
    assert list(Offer.objects.values_list("pk", "remaining")) == before
