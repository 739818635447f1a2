"""The shop on a phone (issue #16): without JavaScript, an add far down the demo shop
comes back to the product it was made on, with its message beside it, not to the top
of the page."""

from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from playwright.sync_api import expect

from orders.models import Offer, OrderWindow

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_without_javascript_an_add_comes_back_to_its_product(  # type: ignore[no-untyped-def]
    browser, live_server, screenshot
) -> None:
    cache.clear()
    call_command("seed_demo", customers=5, orders=5, stdout=StringIO())
    window = (
        OrderWindow.objects.filter(status=OrderWindow.Status.OPEN).order_by("closes_at").first()
    )
    assert window is not None
    context = browser.new_context(
        locale="fr-CA", viewport={"width": 390, "height": 844}, is_mobile=True,
        java_script_enabled=False,
    )  # fmt: skip
    page = context.new_page()
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", "client@demo.coop")
    page.fill("input[name=password]", "coop-demo-2026")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)

    page.goto(f"{base}/shop/")
    cards = page.locator(".offer-card")
    assert cards.count() > 40
    # A product far down the page, with two units left: asking for five gives two.
    card = cards.nth(cards.count() - 3)
    offer_id = int((card.get_attribute("id") or "").removeprefix("offer-"))
    Offer.objects.filter(pk=offer_id).update(remaining=2)
    cache.clear()
    page.reload()
    card = page.locator(f"#offer-{offer_id}")
    card.scroll_into_view_if_needed()
    far = page.evaluate("window.scrollY")
    assert far > 5000  # well down the shop
    card.get_by_role("button", name="Ajouter").click()
    page.wait_for_url(f"**/shop/#offer-{offer_id}")
    assert page.evaluate("window.scrollY") > far - 1000  # back at the product, not at 0
    card = page.locator(f"#offer-{offer_id}")
    expect(card.locator(".qty-input")).to_have_value("1")
    # Five more asked by typing: two were left, and the card says so.
    card.locator(".qty-input").fill("6")
    card.get_by_role("button", name="OK").click()
    page.wait_for_url(f"**/shop/#offer-{offer_id}")
    card = page.locator(f"#offer-{offer_id}")
    expect(card.locator(".line-message")).to_contain_text("il ne restait que")
    expect(card.locator(".qty-input")).to_have_value("2")
    assert page.evaluate("window.scrollY") > far - 1000
    screenshot(page, "shop-nojs-back-to-product-phone-fr")
    context.close()
