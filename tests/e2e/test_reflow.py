"""Reflow at 320 CSS px (issue #19, WCAG 1.4.10): on a 320 px wide screen no page of the
customer's or the coordinator's scrolls sideways. The order summary becomes one block per
product (its name, then its quantity and amount) so no amount is cut off; the wider tables
of the other pages scroll inside their own labelled, focusable region."""

from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import expect

from farms.models import FarmMember
from orders.models import Order, OrderWindow
from tests.e2e.axe import WCAG, violations
from tests.e2e.helpers import sign_in_demo as _login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NARROW = {"width": 320, "height": 640}

# Every amount and quantity of the order summary: its right edge, and the screen's width.
_CUT = """() => [...document.querySelectorAll('table.order-summary td.num')]
    .map(td => td.getBoundingClientRect())
    .filter(r => r.right > window.innerWidth || r.left < 0)
    .map(r => [Math.round(r.left), Math.round(r.right)])"""

# What is wider than the screen outside a region made to scroll sideways.
_WIDE = """() => [...document.querySelectorAll('body *')]
    .filter(el => !el.closest('.table-scroll, .category-jump'))
    .filter(el => el.getBoundingClientRect().right > window.innerWidth + 0.5)
    .slice(0, 5).map(el => el.tagName + (el.className ? '.' + el.className : ''))"""


def _width(page) -> int:  # type: ignore[no-untyped-def]
    return int(page.evaluate("document.documentElement.scrollWidth"))


@pytest.mark.parametrize("locale", ["fr-CA", "en-CA"])
def test_the_order_page_fits_320_px_with_every_amount_on_screen(  # type: ignore[no-untyped-def]
    browser, live_server, screenshot, locale
) -> None:
    cache.clear()
    call_command("seed_demo", customers=5, orders=5, stdout=StringIO())
    order = (
        Order.objects.filter(customer__email="client@demo.coop", lines__isnull=False)
        .order_by("-pk")
        .first()
    )
    assert order is not None
    context = browser.new_context(locale=locale, viewport=NARROW)
    page = context.new_page()
    _login(page, live_server.url, "client@demo.coop")
    page.goto(f"{live_server.url}{reverse('baskets:order', args=[order.pk])}")
    summary = page.locator("table.order-summary")
    expect(summary).to_be_visible()
    assert page.locator("table.order-summary tbody tr").count() == order.lines.count()
    assert _width(page) <= 320
    assert page.evaluate(_CUT) == []
    assert page.evaluate(_WIDE) == []
    # The amounts are read in the flow, each line's quantity with its label.
    first = page.locator("table.order-summary tbody tr").first
    product = first.locator("td").first.bounding_box()
    amount = first.locator("td.line-amount").bounding_box()
    assert product is not None
    assert amount is not None
    assert amount["y"] >= product["y"] + product["height"] - 1  # on a line below the name
    assert amount["x"] + amount["width"] <= 320
    label = first.locator("td.line-qty").evaluate("td => getComputedStyle(td, '::before').content")
    assert ("Quantité" if locale == "fr-CA" else "Quantity") in label
    total = page.locator("table.order-summary tr.grand-total td").bounding_box()
    assert total is not None
    assert total["x"] + total["width"] <= 320
    screenshot(page, f"order-320-{locale}")
    assert [v["id"] for v in violations(page, WCAG)] == []
    context.close()


def test_the_customers_and_the_coordinators_pages_do_not_scroll_sideways_at_320_px(  # type: ignore[no-untyped-def]
    browser, live_server, screenshot
) -> None:
    cache.clear()
    call_command("seed_demo", customers=20, orders=20, stdout=StringIO())
    base = live_server.url
    wide: dict[str, int] = {}
    cut: dict[str, list[str]] = {}

    def visit(page, path: str) -> None:  # type: ignore[no-untyped-def]
        page.goto(f"{base}{path}")
        wide[path] = _width(page)
        cut[path] = page.evaluate(_WIDE)
        if wide[path] > 320 or cut[path]:
            screenshot(page, "too-wide-320-" + path.strip("/").replace("/", "-"))

    customer = browser.new_context(locale="fr-CA", viewport=NARROW)
    page = customer.new_page()
    _login(page, base, "client@demo.coop")
    for path in ("/my/orders/", "/my/usual/", "/basket/", "/checkout/", "/shop/"):
        visit(page, path)
    customer.close()

    coordinator = browser.new_context(locale="fr-CA", viewport=NARROW)
    page = coordinator.new_page()
    _login(page, base, "coordination@demo.coop")
    window = OrderWindow.objects.filter(orders__isnull=False).order_by("-closes_at").first()
    assert window is not None
    for path in (
        "/coordinator/",
        reverse("pickup:coordinator_window", args=[window.pk]),
        reverse("pickup:coordinator_people"),
    ):
        visit(page, path)
    # A table too wide for the screen scrolls in its region, named and reachable by Tab.
    regions = page.locator(".table-scroll")
    page.goto(f"{base}{reverse('pickup:coordinator_window', args=[window.pk])}")
    assert regions.count() > 0
    for i in range(regions.count()):
        region = regions.nth(i)
        assert region.get_attribute("role") == "region"
        assert region.get_attribute("tabindex") == "0"
        assert region.get_attribute("aria-labelledby") or region.get_attribute("aria-label")
    coordinator.close()

    farmer = browser.new_context(locale="fr-CA", viewport=NARROW)
    page = farmer.new_page()
    _login(page, base, "ferme@demo.coop")
    member = FarmMember.objects.filter(user__email="ferme@demo.coop").select_related("farm")
    farm = member.first().farm  # type: ignore[union-attr]
    upcoming = OrderWindow.objects.order_by("-closes_at").first()
    assert upcoming is not None
    visit(page, reverse("farms:products", args=[farm.slug]))
    visit(page, reverse("orders:stock_grid", args=[farm.slug, upcoming.pk]))
    farmer.close()

    assert {path: px for path, px in wide.items() if px > 320} == {}
    assert {path: els for path, els in cut.items() if els} == {}
