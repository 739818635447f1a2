"""A coordinator runs the week in the browser: the deadline passes, they close the
window (a real Celery worker does it), open a pickup point's sheet, mark pickups and
record a shortage."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from orders.models import Order, OrderLine, OrderWindow, PickupDocument

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_coordinator_closes_prints_marks_and_records_a_shortage(  # type: ignore[no-untyped-def]
    page, live_server, screenshot, celery_worker
) -> None:
    cache.clear()
    call_command("seed_demo", farms=8, customers=12, orders=12, stdout=StringIO())
    base = live_server.url
    now = timezone.now()
    window = OrderWindow.objects.get(opens_at__lte=now, closes_at__gt=now)
    OrderWindow.objects.filter(pk=window.pk).update(
        closes_at=now - timedelta(minutes=1)
    )  # the clock passes

    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", "coordination@demo.coop")
    page.fill("input[name=password]", "coop-demo-2026")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{base}/coordinator/")  # a coordinator lands on the dashboard
    page.locator("header nav").get_by_role("link", name="Coordination").click()
    screenshot(page, "coordinator-dashboard-fr")
    page.goto(f"{base}/coordinator/windows/{window.pk}/")
    page.get_by_role("button", name="Fermer maintenant").click()
    expect(page.locator("#close-progress label")).to_have_text("Fermée", timeout=40_000)
    page.reload()
    screenshot(page, "coordinator-week-closed-fr")

    # The sheet of a pickup point opens as a PDF.
    sheet = PickupDocument.objects.filter(window=window, kind="point_sheet", pages__gt=0).first()
    assert sheet is not None
    link = page.locator(f'a[href="/coordinator/documents/{sheet.pk}.pdf"]')
    response = page.request.get(f"{base}/coordinator/documents/{sheet.pk}.pdf")
    assert link.count() == 1
    assert response.status == 200
    assert response.body().startswith(b"%PDF")

    # Mark the first two orders: picked up, not collected (in place, htmx).
    rows = page.locator("tr[id^=order-]")
    first_id = rows.nth(0).get_attribute("id")
    second_id = rows.nth(1).get_attribute("id")
    rows.nth(0).get_by_role("button", name="Récupérée", exact=True).click()
    expect(page.locator(f"#{first_id} td").nth(2)).to_have_text("récupérée")
    page.locator(f"#{second_id}").get_by_role("button", name="Non récupérée", exact=True).click()
    expect(page.locator(f"#{second_id} td").nth(2)).to_have_text("non récupérée")
    assert Order.objects.get(pk=int(first_id.split("-")[1])).status == "picked_up"
    assert Order.objects.get(pk=int(second_id.split("-")[1])).status == "not_collected"

    # Record a shortage of one unit on the first product of the list.
    offer_id = int(page.locator("#shortage-offer option").first.get_attribute("value"))
    page.fill("#shortage-units", "1")
    page.get_by_role("button", name="Noter le manque").click()
    expect(page.locator(".message").first).to_contain_text("Manque noté")
    assert sum(OrderLine.objects.filter(offer_id=offer_id).values_list("shortage", flat=True)) == 1
    screenshot(page, "coordinator-pickup-day-fr")
    assert page.console_errors == []
