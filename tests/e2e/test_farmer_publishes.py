"""A demo farmer publishes next week in the browser: copy from last week, change two
quantities, save; once the window opens, the products are on the shop."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from farms.models import Farm
from orders.models import Offer, OrderWindow

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_farmer_fills_next_week_from_last_week(page, live_server, screenshot) -> None:  # type: ignore[no-untyped-def]
    cache.clear()
    call_command("seed_demo", farms=6, customers=5, orders=5, stdout=StringIO())
    base = live_server.url
    now = timezone.now()
    this_week = OrderWindow.objects.get(opens_at__lte=now, closes_at__gt=now)
    next_week = OrderWindow.objects.filter(opens_at__gt=now).order_by("opens_at").first()
    assert next_week is not None
    assert not Offer.objects.filter(window=next_week).exists()

    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", "ferme@demo.coop")
    page.fill("input[name=password]", "coop-demo-2026")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{base}/portal/**")  # a farmer lands on the farm's portal

    page.locator("header nav").get_by_role("link", name="Ma ferme").click()
    farm = Farm.objects.get(slug=page.url.rstrip("/").split("/")[-1])
    last = {o.product_id: o for o in Offer.objects.filter(window=this_week, product__farm=farm)}
    assert len(last) >= 2
    page.locator(f'a[href="/portal/{farm.slug}/weeks/{next_week.pk}/"]').click()
    page.get_by_role("link", name="Copier la semaine précédente").first.click()
    first, second = sorted(last)[:2]
    assert page.input_value(f"#q-{first}") == str(last[first].quantity)
    page.fill(f"#q-{first}", "17")
    page.fill(f"#q-{second}", "23")
    page.get_by_role("button", name="Enregistrer toutes les lignes").click()
    page.wait_for_load_state()
    assert "enregistrés" in page.locator(".message").first.inner_text()
    screenshot(page, "farmer-stock-grid-fr")

    saved = {o.product_id: o.quantity for o in Offer.objects.filter(window=next_week)}
    assert saved[first] == 17
    assert saved[second] == 23
    assert set(saved) == set(last)  # every row of last week came along

    # The clock passes: this week closes, next week opens.
    this_week.closes_at = now - timedelta(minutes=2)
    this_week.save()
    next_week.opens_at = now - timedelta(minutes=1)
    next_week.save()
    page.goto(f"{base}/shop/")
    product_names = page.locator(".offer-name").all_inner_texts()
    for offer in Offer.objects.filter(window=next_week).select_related("product")[:5]:
        assert offer.product.name in product_names
    assert page.console_errors == []
