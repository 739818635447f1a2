"""A farm paused or archived leaves the shop from the next window on; the window that
was already open keeps its offers (customers have them in their baskets)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from baskets import selectors
from farms.models import Farm
from farms.services import farm_set_status
from orders.models import OrderWindow
from tests import factories

pytestmark = pytest.mark.django_db


def _names(window: OrderWindow) -> set[str]:
    return {
        row[selectors.OFFER_COLUMNS.index("product__name")]
        for row in selectors.window_offer_rows(window=window)
    }


def test_a_paused_farm_leaves_the_shop_from_the_next_window_on() -> None:
    farm, other = factories.farm(name="Ferme en pause"), factories.farm(name="Ferme active")
    open_now = factories.window()
    next_week = factories.window(open_now=False)
    for window in (open_now, next_week):
        factories.offer(
            window_=window, product_=factories.product(farm_=farm, name=f"Radis {window.pk}")
        )
        factories.offer(
            window_=window, product_=factories.product(farm_=other, name=f"Miel {window.pk}")
        )
    farm_set_status(farm_id=farm.pk, status=Farm.Status.PAUSED)

    assert _names(open_now) == {f"Radis {open_now.pk}", f"Miel {open_now.pk}"}
    assert _names(next_week) == {f"Miel {next_week.pk}"}
    # Days later next week opens, after the pause: still out. Reactivated: back in.
    now = timezone.now()
    Farm.objects.filter(pk=farm.pk).update(status_changed_at=now - timedelta(days=2))
    OrderWindow.objects.filter(pk=next_week.pk).update(opens_at=now - timedelta(minutes=1))
    assert _names(next_week) == {f"Miel {next_week.pk}"}
    farm_set_status(farm_id=farm.pk, status=Farm.Status.ACTIVE)
    assert _names(next_week) == {f"Radis {next_week.pk}", f"Miel {next_week.pk}"}
