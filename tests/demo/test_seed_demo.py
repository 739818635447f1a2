"""seed_demo: the same co-op at every run, its stock taken by the market's services."""

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Sum

from accounts.models import User
from orders.models import Offer, Order, OrderLine, OrderWindow

pytestmark = pytest.mark.django_db


def seed(**options: object) -> str:
    out = StringIO()
    call_command("seed_demo", farms=6, customers=8, orders=8, stdout=out, **options)
    return out.getvalue()


def snapshot() -> tuple[list[Any], list[Any]]:
    people = list(
        User.objects.order_by("email").values_list("email", "first_name", "last_name", "phone")
    )
    lines = list(
        OrderLine.objects.order_by(
            "order__customer__email", "offer__window__pickup_date", "offer__product__name"
        ).values_list(
            "order__customer__email",
            "order__status",
            "offer__product__farm__slug",
            "offer__product__name",
            "quantity",
            "unit_price",
        )
    )
    return people, lines


def test_every_offer_lost_exactly_the_units_its_lines_hold() -> None:
    seed()
    offers = Offer.objects.annotate(units=Sum("lines__quantity"))
    assert offers.exists()
    for offer in offers:
        assert offer.remaining == offer.quantity - (offer.units or 0), offer
    current = OrderWindow.objects.get(status=OrderWindow.Status.OPEN)
    confirmed = Order.objects.filter(window=current)
    assert confirmed.count() == 8
    assert set(confirmed.values_list("status", flat=True)) == {Order.Status.CONFIRMED}
    assert not confirmed.filter(pickup_point=None).exists()
    last = OrderWindow.objects.get(status=OrderWindow.Status.CLOSED)
    assert set(Order.objects.filter(window=last).values_list("status", flat=True)) <= {
        Order.Status.LOCKED,
        Order.Status.PICKED_UP,
        Order.Status.NOT_COLLECTED,
    }


def test_the_same_co_op_at_every_run() -> None:
    first_output = seed()
    first = snapshot()
    assert "Demo co-op seeded" in first_output
    seed(reset=True)
    assert snapshot() == first
    # The generated people have Faker's French (Canada) names, phones in the 555 exchange.
    customer = User.objects.filter(email__endswith="@demo.coop").exclude(first_name="").last()
    assert customer is not None
    assert " 555-" in customer.phone


def test_seed_demo_runs_in_a_fresh_process_as_make_run_calls_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A management command imports no task module: what it queues after commit (the
    demo week's statements) goes by task name, and nothing is printed on stderr."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_ALLOW"))}
    env.pop("CELERY_BROKER_URL", None)
    env.pop("CELERY_FS_DIR", None)
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", VAR_DIR=str(tmp_path / "var"))
    for command in (["migrate", "--noinput", "-v0"], ["seed_demo", "--farms", "4"]):
        done = subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", *command],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert done.stderr == ""
    assert "Demo co-op seeded" in done.stdout
    assert list((tmp_path / "var" / "celery" / "queue").iterdir())  # the statements task


def test_the_demo_rhythm_is_the_one_its_weeks_follow() -> None:
    """Not « Friday to Tuesday, Thursday pickup » beside seeded weeks of another shape:
    the rhythm matches them, and the weeks it plans ahead follow on without overlap."""
    from django.utils import timezone

    from orders import services
    from orders.models import CoopSettings

    seed()
    current = OrderWindow.objects.get(status="open")
    coop = CoopSettings.load()
    opens, closes = timezone.localtime(current.opens_at), timezone.localtime(current.closes_at)
    assert (coop.open_weekday, coop.close_weekday, coop.pickup_weekday) == (
        opens.weekday(),
        closes.weekday(),
        current.pickup_date.weekday(),
    )
    assert (coop.open_time, coop.close_time) == (opens.time(), closes.time())
    created = services.windows_plan(now=timezone.now())
    for window in OrderWindow.objects.filter(pk__in=created):
        assert timezone.localtime(window.opens_at).weekday() == opens.weekday()
        assert window.pickup_date.weekday() == current.pickup_date.weekday()
    windows = list(OrderWindow.objects.order_by("opens_at"))
    assert all(a.closes_at <= b.opens_at for a, b in zip(windows, windows[1:], strict=False))


def test_last_week_has_its_lists_and_sheets() -> None:
    """A demo farmer finds last week's pickup list, a coordinator its sheets (not a 404)."""
    from orders.models import PickupDocument

    seed()
    last = OrderWindow.objects.get(status="closed")
    kinds = set(PickupDocument.objects.filter(window=last).values_list("kind", flat=True))
    assert kinds == {"farm_list", "point_sheet", "summary"}
