"""`CoopSettings.load()` reads its row once per request or task, and again once saved."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.models import CoopSettings, settings_scope_close, settings_scope_open
from tests import factories

pytestmark = pytest.mark.django_db


def _settings_queries(captured: CaptureQueriesContext) -> int:
    return sum("orders_coopsettings" in q["sql"] for q in captured.captured_queries)


def test_inside_a_scope_the_row_is_read_once_and_again_after_a_save() -> None:
    CoopSettings.load()  # the row exists
    settings_scope_open()
    try:
        with CaptureQueriesContext(connection) as captured:
            first = CoopSettings.load()
            CoopSettings.load()
            first.minimum_order_amount = Decimal("12.00")  # a copy: the memo is untouched
            assert CoopSettings.load().minimum_order_amount != Decimal("12.00")
        assert _settings_queries(captured) == 1
        first.save()
        assert CoopSettings.load().minimum_order_amount == Decimal("12.00")
    finally:
        settings_scope_close()


def test_outside_a_request_or_task_every_load_reads_the_row() -> None:
    """A management command or a test sees another process's save at once."""
    CoopSettings.load()  # the row exists
    with CaptureQueriesContext(connection) as captured:
        CoopSettings.load()
        CoopSettings.objects.filter(pk=1).update(basket_hold_minutes=90)
        assert CoopSettings.load().basket_hold_minutes == 90
    assert _settings_queries(captured) == 3


def test_confirming_an_order_reads_the_settings_once(client, settings) -> None:  # type: ignore[no-untyped-def]
    """The minimum, the payment methods offered (twice: the form and the service) come
    from one read of the row."""
    settings.STRIPE_SECRET_KEY = "sk_test_not_called"  # card offered: the settings decide
    window = factories.window()
    point = factories.pickup_point()
    offer = factories.offer(window_=window)
    client.force_login(factories.user())
    client.post(reverse("baskets:line_update", args=[offer.pk]), {"quantity": 2})
    CoopSettings.load()  # the row exists
    with CaptureQueriesContext(connection) as captured:
        response = client.post(
            reverse("baskets:checkout"),
            {"pickup_point": point.pk, "language": "en", "payment_method": "at_pickup"},
        )
    assert response.status_code == 302
    assert _settings_queries(captured) == 1
