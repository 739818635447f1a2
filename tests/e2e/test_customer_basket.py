"""A demo customer composes a basket in the browser: finds « épinards » without the
accent, adds three products, changes a quantity, confirms with a pickup point, then
changes the order before the deadline. The confirmation email is in French."""

from io import StringIO

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command
from playwright.sync_api import expect

from orders.models import Order, OrderLine

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_customer_composes_confirms_and_changes(page, live_server, screenshot) -> None:  # type: ignore[no-untyped-def]
    cache.clear()
    call_command("seed_demo", customers=5, orders=5, stdout=StringIO())
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", "client@demo.coop")
    page.fill("input[name=password]", "coop-demo-2026")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(
        lambda url: "/accounts/login/" not in url
    )  # each role lands where its work is

    # 1. Search without the accent.
    page.goto(f"{base}/shop/")
    page.fill("#q", "epinards")
    page.get_by_role("button", name="Filtrer").click()
    cards = page.locator(".offer-card")
    assert cards.count() >= 1
    assert "Épinards" in cards.first.locator(".offer-name").inner_text()

    # 2. Three products, added in place by htmx.
    cards.first.get_by_role("button", name="Ajouter").click()
    page.wait_for_selector("#basket-panel .basket-line")
    page.goto(f"{base}/shop/")
    added = 1
    for card in page.locator(".offer-card").all():
        if added == 3:
            break
        button = card.get_by_role("button", name="Ajouter")
        if button.count() and button.is_enabled():
            button.click()
            added += 1
            expect(page.locator("#basket-panel .basket-line")).to_have_count(added)
    assert page.locator("#basket-panel .basket-line").count() == 3

    # 3. Change a quantity: + on the first line, then type 3 in the second.
    first_line = page.locator("#basket-panel .basket-line").first
    first_line.get_by_role("button", name="Une unité de plus", exact=False).click()
    expect(page.locator("#basket-panel .basket-line .qty-input").first).to_have_value("2")
    second_input = page.locator("#basket-panel .basket-line").nth(1).locator(".qty-input")
    second_input.fill("3")
    second_input.press("Enter")
    expect(page.locator("#basket-panel .basket-line .qty-input").nth(1)).to_have_value("3")
    screenshot(page, "customer-shop-basket-fr")
    order = Order.objects.get(customer__email="client@demo.coop", status="basket")
    assert sorted(OrderLine.objects.filter(order=order).values_list("quantity", flat=True)) == [
        1,
        2,
        3,
    ]

    # 4. Confirm with a pickup point.
    page.locator("#basket-panel").get_by_role("link", name="Confirmer ma commande").last.click()
    page.locator("input[name=pickup_point]").first.check()
    slots = page.locator(".checkout-form > fieldset > .choice").first.locator(
        ".slots input:not([disabled])"
    )
    if slots.count():
        slots.first.check()
    page.get_by_role("button", name="Confirmer ma commande").click()
    page.wait_for_url(f"{base}/my/orders/{order.pk}/")
    assert "confirmée" in page.locator(".message").first.inner_text()
    screenshot(page, "customer-order-confirmed-fr")
    order.refresh_from_db()
    assert order.status == "confirmed"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject.startswith("Votre commande")
    assert "Bonjour" in mail.outbox[0].body

    # 5. Change the order before the deadline: one product fewer.
    page.get_by_role("link", name="Modifier mes produits").click()
    page.locator("#basket-panel .basket-line").first.locator(".remove-form button").click()
    expect(page.locator("#basket-panel .basket-line")).to_have_count(2)
    order.refresh_from_db()
    assert order.status == "confirmed"
    assert OrderLine.objects.filter(order=order).count() == 2
    assert page.console_errors == []
