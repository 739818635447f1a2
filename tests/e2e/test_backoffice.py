"""The coordinators' back office in the browser (issue #14). Today: the demo
coordinator, neither staff nor superuser, closes the open week early; the close runs in
a real Celery worker and the week's page shows « Fermée » without a reload. (The other
steps of the journey: a farm and its invited farmer, a pickup point, a phone order, the
pickup table, join this file as they are built.)"""

from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from orders.models import Order, OrderWindow

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_coordinator_closes_the_week_early(
    page, live_server, screenshot, celery_worker
) -> None:  # type: ignore[no-untyped-def]
    cache.clear()
    call_command("seed_demo", farms=8, customers=12, orders=12, stdout=StringIO())
    coordinator = User.objects.get(email="coordination@demo.coop")
    assert not coordinator.is_staff
    assert not coordinator.is_superuser
    base = live_server.url
    now = timezone.now()
    window = OrderWindow.objects.get(opens_at__lte=now, closes_at__gt=now)
    confirmed = Order.objects.filter(window=window, status="confirmed").count()

    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", "coordination@demo.coop")
    page.fill("input[name=password]", "coop-demo-2026")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{base}/coordinator/")
    page.goto(f"{base}/coordinator/windows/{window.pk}/")
    expect(page.locator(".window-status strong")).to_have_text("ouverte")
    page.get_by_role("link", name="Fermer la semaine plus tôt…").click()
    expect(page.locator("main")).to_contain_text(f"{confirmed} commandes confirmées")
    screenshot(page, "backoffice-close-early-confirm-fr")
    page.get_by_role("button", name="Fermer la semaine maintenant").click()
    page.wait_for_url(f"{base}/coordinator/windows/{window.pk}/")
    # The worker closes it; the page follows (htmx) until it says so, without a reload.
    expect(page.locator(".window-status strong")).to_have_text("fermée", timeout=40_000)
    expect(page.locator("#close-progress label")).to_have_text("Fermée")
    screenshot(page, "backoffice-closed-early-fr")
    window.refresh_from_db()
    assert window.status == "closed"
    assert window.closes_at <= timezone.now()
    assert Order.objects.filter(window=window, status="locked").count() == confirmed
