"""The coordinators' back office in the browser (issue #14), as one journey of the demo
coordinator, who is neither staff nor superuser, in French:

1. creates a farm and invites its owner by email;
2. the farmer opens the emailed link, sets a password, lands on the portal, adds a
   product and fills the week's grid;
3. adds a pickup point with two slots, and a customer chooses it at checkout;
5. enters a phone order for a customer while the week is open (there is no grace
   period after the close: the lists are built from what was ordered);
4. closes the week early; the close runs in a real Celery worker and the week's page
   shows « Fermée » without a reload;
6. at pickup, finds the phone order by typing part of the name, marks it picked up, and
   records a walk-in sale of what is left;
and the week's trail shows who did each.
"""

import re
from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from farms.models import Farm, FarmMember, Product
from orders.models import AuditEvent, Offer, Order, OrderWindow, Payment, PickupPoint
from tests import factories

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _sign_in(page, base: str, email: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.locator("main form button[type=submit]").click()


def test_the_coordinator_runs_the_week(
    page, live_server, screenshot, celery_worker, wait_for
) -> None:  # type: ignore[no-untyped-def]
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

    # 1. A new farm, and an invitation to its owner.
    page.goto(f"{base}/coordinator/")
    page.get_by_role("link", name="Fermes", exact=True).click()
    page.get_by_role("link", name="Ajouter une ferme").click()
    page.fill("input[name=name]", "Ferme des Quatre Vents")
    page.select_option("select[name=region]", "estrie")
    page.fill("input[name=town]", "Compton")
    page.fill("input[name=email]", "quatrevents@example.org")
    page.get_by_role("button", name="Créer la ferme").click()
    expect(page.locator(".messages")).to_contain_text("Ferme créée")
    farm = Farm.objects.get(name="Ferme des Quatre Vents")
    mail.outbox.clear()
    page.fill("form input[type=email]", "lucie.bergeron@example.org")
    page.select_option("form select[name=role]", "owner")
    page.get_by_role("button", name="Envoyer l’invitation").click()
    expect(page.locator(".messages")).to_contain_text("Invitation envoyée")
    screenshot(page, "backoffice-farm-invited-fr")
    wait_for(lambda: len(mail.outbox) == 1, what="the invitation email")
    link = re.search(r"https?://\S+/invitation/\S+/", str(mail.outbox[0].body))
    assert link, mail.outbox[0].body
    page.goto(f"{base}/accounts/logout/")
    page.locator("#main").get_by_role("button", name="Se déconnecter").click()

    # 2. The farmer opens the link, sets a password, lands on the portal, fills a grid.
    page.goto(base + urlsplit(link.group(0)).path)
    page.get_by_label("Prénom").fill("Lucie")
    page.get_by_label("Nom de famille").fill("Bergeron")
    page.fill("input[name=password1]", "Radis-Rouges-2026")
    page.fill("input[name=password2]", "Radis-Rouges-2026")
    page.get_by_role("button", name="Créer mon compte et me joindre").click()
    page.wait_for_url(f"{base}/portal/{farm.slug}/**")
    member = FarmMember.objects.get(farm=farm, user__email="lucie.bergeron@example.org")
    assert member.role == "owner"
    page.goto(f"{base}/portal/{farm.slug}/products/new/")
    page.fill("input[name=name]", "Radis rouges")
    page.select_option("select[name=category]", "vegetables")
    page.select_option("select[name=unit]", "bunch")
    page.fill("input[name=price]", "3.25")
    page.locator("main form button[type=submit]").last.click()
    product = Product.objects.get(farm=farm, name="Radis rouges")
    page.goto(f"{base}/portal/{farm.slug}/weeks/{window.pk}/")
    page.fill(f"#q-{product.pk}", "12")
    page.get_by_role("button", name="Enregistrer toutes les lignes").click()
    expect(page.locator(".message").first).to_contain_text("1 produit enregistré")
    screenshot(page, "backoffice-new-farmer-grid-fr")
    assert Offer.objects.get(window=window, product=product).quantity == 12
    page.goto(f"{base}/accounts/logout/")
    page.locator("#main").get_by_role("button", name="Se déconnecter").click()
    _sign_in(page, base, "coordination@demo.coop", "coop-demo-2026")
    page.wait_for_url(f"{base}/coordinator/")

    # 3. A pickup point with two slots; a customer chooses it at checkout.
    page.goto(f"{base}/coordinator/points/new/")
    page.get_by_label("Nom", exact=True).fill("Café du Quartier")
    page.get_by_label("Adresse").fill("12 rue Ontario Est")
    page.get_by_label("Ville").fill("Montréal")
    page.get_by_label("Ouvre à").fill("16:00")
    page.get_by_label("Ferme à").fill("19:00")
    page.get_by_label("Consignes aux clients").fill("Entrée par la ruelle.")
    page.get_by_role("button", name="Créer le point").click()
    expect(page.locator(".messages")).to_contain_text("Point de cueillette créé")
    for starts, ends in (("16:00", "17:30"), ("17:30", "19:00")):
        page.get_by_label("Commence à").fill(starts)
        page.get_by_label("Finit à").fill(ends)
        page.get_by_label("Capacité (commandes)").fill("20")
        page.get_by_role("button", name="Ajouter la plage").click()
        expect(page.locator(".messages")).to_contain_text("Plage ajoutée")
    point = PickupPoint.objects.get(name="Café du Quartier")
    assert point.slots.count() == 2
    screenshot(page, "backoffice-point-slots-fr")
    page.goto(f"{base}/accounts/logout/")
    page.locator("#main").get_by_role("button", name="Se déconnecter").click()
    shopper = factories.user(email="remi.gagne@example.org", first_name="Rémi", last_name="Gagné")
    _sign_in(page, base, shopper.email, factories.PASSWORD)
    page.goto(f"{base}/shop/")
    page.locator(".offer-card").get_by_role("button", name="Ajouter").first.click()
    expect(page.locator("#basket-panel .basket-line")).to_have_count(1)
    page.locator("#basket-panel").get_by_role("link", name="Confirmer ma commande").last.click()
    choice = page.locator(".checkout-form .choice").filter(has_text="Café du Quartier").first
    choice.locator("input[name=pickup_point]").check()
    expect(page.locator("main")).to_contain_text("Entrée par la ruelle.")
    choice.get_by_label("17:30–19:00").check()
    page.get_by_role("button", name="Confirmer ma commande").click()
    expect(page.locator(".message").first).to_contain_text("confirmée")
    chosen = Order.objects.get(window=window, customer=shopper)
    assert chosen.pickup_slot is not None
    assert (chosen.pickup_point, chosen.pickup_slot.starts_at.isoformat()) == (point, "17:30:00")
    page.goto(f"{base}/accounts/logout/")
    page.locator("#main").get_by_role("button", name="Se déconnecter").click()
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
