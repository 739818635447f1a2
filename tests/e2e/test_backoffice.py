"""The coordinators' back office in the browser (issue #14), as one journey of the demo
coordinator, who is neither staff nor superuser, in French:

5. enters a phone order for a customer while the week is open (there is no grace
   period after the close: the lists are built from what was ordered);
4. closes the week early; the close runs in a real Celery worker and the week's page
   shows « Fermée » without a reload;
6. at pickup, finds the phone order by typing part of the name, marks it picked up, and
   records a walk-in sale of what is left;
and the week's trail shows who did each.
"""

from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from orders.models import AuditEvent, Order, OrderWindow, Payment
from tests import factories

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _sign_in(page, base: str, email: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.locator("main form button[type=submit]").click()


def test_the_coordinator_runs_the_week(page, live_server, screenshot, celery_worker) -> None:  # type: ignore[no-untyped-def]
    cache.clear()
    call_command("seed_demo", farms=8, customers=12, orders=12, stdout=StringIO())
    coordinator = User.objects.get(email="coordination@demo.coop")
    assert not coordinator.is_staff
    assert not coordinator.is_superuser
    base = live_server.url
    now = timezone.now()
    window = OrderWindow.objects.get(opens_at__lte=now, closes_at__gt=now)
    caller = factories.user(
        email="ginette.lapointe@example.org", first_name="Ginette", last_name="Lapointe"
    )
    _sign_in(page, base, "coordination@demo.coop", "coop-demo-2026")
    page.wait_for_url(f"{base}/coordinator/")

    # 5. A phone order: find the customer, enter quantities, choose the point.
    page.goto(f"{base}/coordinator/windows/{window.pk}/")
    page.get_by_role("link", name="Commande par téléphone…").click()
    page.get_by_label("Client").fill("lapoin")
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_role("link", name="Ginette Lapointe").click()
    first_input = page.locator("input.qty-input").first
    first_input.fill("2")
    page.get_by_label("Point de cueillette").select_option(index=1)
    if page.get_by_label("Plage horaire (si le point en a)").count():
        page.get_by_label("Plage horaire (si le point en a)").select_option(index=1)
    page.get_by_role("button", name="Confirmer la commande pour le client").click()
    expect(page.locator(".messages")).to_contain_text("est confirmée")
    screenshot(page, "backoffice-phone-order-fr")
    phoned = Order.objects.get(window=window, customer=caller)
    assert phoned.status == "confirmed"
    assert phoned.entered_by == coordinator
    confirmed = Order.objects.filter(window=window, status="confirmed").count()

    # 4. Close early, after a page that counts what closing does.
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
    assert Order.objects.filter(window=window, status="locked").count() == confirmed

    # 6. Pickup day: type part of the name, the table narrows; mark it picked up.
    page.reload()
    page.get_by_label("Nom ou numéro de commande").fill("lapo")
    row = page.locator(f"#order-{phoned.pk}")
    expect(page.locator("#pickup-rows tr:not(.visually-hidden)")).to_have_count(1)
    expect(row).to_contain_text("Ginette Lapointe")
    expect(row).to_contain_text("saisie par")
    row.get_by_role("button", name="Récupérée", exact=True).click()
    expect(page.locator(f"#order-{phoned.pk} [aria-pressed=true]")).to_have_text("Récupérée")
    phoned.refresh_from_db()
    assert phoned.status == "picked_up"

    # A walk-in sale of what is left, paid in cash.
    page.get_by_role("link", name="Vente au comptoir…").click()
    page.get_by_label("Nom de l’acheteur").fill("Luc Côté")
    page.locator("input.qty-input").first.fill("1")
    page.get_by_role("button", name="Enregistrer la vente").click()
    page.wait_for_url(f"{base}/coordinator/windows/{window.pk}/")
    expect(page.locator("main")).to_contain_text("Luc Côté")
    sale = Order.objects.get(window=window, walk_in_name="Luc Côté")
    assert sale.status == "picked_up"
    assert Payment.objects.get(order=sale).status == "collected"
    # The week's trail says who did what.
    trail = page.locator("#audit-title + ul")
    expect(trail).to_contain_text("a fermé la semaine plus tôt")
    expect(trail).to_contain_text("a saisi une commande pour un client")
    expect(trail).to_contain_text("a enregistré une vente au comptoir")
    screenshot(page, "backoffice-pickup-table-fr")
    assert set(AuditEvent.objects.filter(window=window).values_list("actor", flat=True)) == {
        coordinator.pk
    }
