"""The coordinator's dashboard counts a week's orders as a coordinator means them."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.models import OrderWindow
from pickup import closing
from tests import factories
from tests.orders.test_closing import build_week

pytestmark = pytest.mark.django_db


def test_a_closed_week_still_counts_its_orders(client) -> None:  # type: ignore[no-untyped-def]
    """Last week's orders are locked or picked up, no longer "confirmed": they count."""
    window, _farms, offers, _points, _customers = build_week(4)
    OrderWindow.objects.filter(pk=window.pk).update(closes_at=timezone.now())
    assert closing.window_close(window_id=window.pk, now=timezone.now())
    client.force_login(factories.coordinator())
    page = client.get(reverse("pickup:coordinator"), HTTP_ACCEPT_LANGUAGE="en").text
    row = re.search(
        rf'<a href="{reverse("pickup:coordinator_window", args=[window.pk])}">.*?</tr>', page, re.S
    )
    assert row is not None
    cells = re.findall(r'<td class="num">(\d+)</td>', row.group(0))
    assert cells == [str(len(offers)), "4"]  # offers, orders (not multiplied by a join)


def test_a_closed_weeks_progress_bar_is_full(client) -> None:  # type: ignore[no-untyped-def]
    """« Fermée » at 0 % read as if nothing had happened (#19)."""
    window, *_rest = build_week(2)
    OrderWindow.objects.filter(pk=window.pk).update(closes_at=timezone.now())
    assert closing.window_close(window_id=window.pk, now=timezone.now())
    OrderWindow.objects.filter(pk=window.pk).update(close_progress=0)  # an older close
    client.force_login(factories.coordinator())
    page = client.get(reverse("pickup:coordinator_window", args=[window.pk])).text
    assert '<progress id="close-bar" max="100" value="100">100 %</progress>' in page
