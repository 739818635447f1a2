"""The shop on a phone (issue #16): without JavaScript, an add far down the demo shop
comes back to the product it was made on, with its message beside it, not to the top
of the page."""

from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from playwright.sync_api import expect

from orders.models import Offer, OrderWindow
from tests.e2e.axe import WCAG, violations
from tests.e2e.helpers import sign_in_demo as _login

# WCAG 2.2 AA and axe's best practices (landmarks named once, one h1…).
RULES = {"runOnly": {"type": "tag", "values": [*WCAG["runOnly"]["values"], "best-practice"]}}

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


def _overflow(page) -> int:  # type: ignore[no-untyped-def]
    """How many pixels the page is wider than the phone's screen."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


@pytest.mark.parametrize("locale", ["fr-CA", "en-CA"])
def test_the_customers_and_the_coordinators_pages_fit_a_phone(  # type: ignore[no-untyped-def]
    browser, live_server, screenshot, locale
) -> None:
    """In both languages: no page wider than the phone, no axe-core violation."""
    from orders.models import Order

    cache.clear()
    call_command("seed_demo", customers=20, orders=20, stdout=StringIO())
    base = live_server.url
    phone = {"locale": locale, "viewport": {"width": 390, "height": 844}, "is_mobile": True}
    wide = {}
    customer = browser.new_context(**phone)
    page = customer.new_page()
    _login(page, base, "client@demo.coop")
    order = Order.objects.filter(customer__email="client@demo.coop").order_by("-pk").first()
    paths = ["/shop/", "/basket/", "/checkout/", "/my/orders/", "/my/usual/", "/my/emails/"]
    if order is not None:
        paths.append(f"/my/orders/{order.pk}/")
    found: dict[str, list[str]] = {}
    for path in paths:
        page.goto(f"{base}{path}")
        assert page.locator("html").get_attribute("lang") == locale[:2]
        wide[path] = _overflow(page)
        found[path] = [v["id"] for v in violations(page, RULES)]
    customer.close()
    coordinator = browser.new_context(**phone)
    page = coordinator.new_page()
    _login(page, base, "coordination@demo.coop")
    window = OrderWindow.objects.filter(orders__isnull=False).order_by("-closes_at").first()
    assert window is not None
    for path in (
        "/coordinator/",
        f"/coordinator/windows/{window.pk}/",
        f"/coordinator/windows/{window.pk}/announcements/",
    ):
        page.goto(f"{base}{path}")
        wide[path] = _overflow(page)
        found[path] = [v["id"] for v in violations(page, RULES)]
        if wide[path] > 0:
            screenshot(page, "too-wide-" + path.strip("/").replace("/", "-"))
    coordinator.close()
    assert {path: px for path, px in wide.items() if px > 0} == {}
    assert {path: ids for path, ids in found.items() if ids} == {}  # axe-core, current


def test_ten_products_to_a_phone_screen_with_lazy_photos(  # type: ignore[no-untyped-def]
    browser, live_server, screenshot, settings, tmp_path
) -> None:
    import io

    from django.core.files.base import ContentFile
    from PIL import Image

    settings.MEDIA_ROOT = tmp_path
    cache.clear()
    call_command("seed_demo", customers=5, orders=5, stdout=StringIO())
    window = (
        OrderWindow.objects.filter(status=OrderWindow.Status.OPEN).order_by("closes_at").first()
    )
    assert window is not None
    pictured = Offer.objects.filter(window=window).select_related("product").order_by("pk")[:3]
    for offer in pictured:
        out = io.BytesIO()
        Image.new("RGB", (400, 400), (120, 160, 90)).save(out, "WEBP")
        offer.product.thumbnail.save(f"p{offer.pk}.webp", ContentFile(out.getvalue()))
    cache.clear()
    context = browser.new_context(
        locale="fr-CA", viewport={"width": 390, "height": 844}, is_mobile=True
    )
    page = context.new_page()
    _login(page, live_server.url, "client@demo.coop")
    page.goto(f"{live_server.url}/shop/")
    # The first row just under the sticky category bar; whole rows between that bar and
    # the basket bar fixed at the foot of the screen.
    on_screen = page.evaluate(
        """() => {
            const first = document.querySelector('.offer-card');
            const top = document.querySelector('.category-bar');
            window.scrollBy(0, first.getBoundingClientRect().top
                - (top ? top.getBoundingClientRect().height : 0));
            const head = top ? top.getBoundingClientRect().bottom : 0;
            const bar = document.getElementById('basket-bar');
            const foot = bar ? bar.getBoundingClientRect().top : window.innerHeight;
            return [...document.querySelectorAll('.offer-card')].filter(c => {
                const r = c.getBoundingClientRect();
                return r.top >= head - 1 && r.bottom <= foot; }).length; }"""
    )
    assert on_screen >= 10, on_screen
    images = page.locator("img.offer-thumb")
    assert images.count() == 3
    for i in range(images.count()):
        image = images.nth(i)
        assert image.get_attribute("loading") == "lazy"
        assert (image.get_attribute("width"), image.get_attribute("height")) == ("48", "48")
    assert page.locator(".offer-thumb-none").count() > 10  # the others keep their layout
    screenshot(page, "shop-rows-phone-fr")
    context.close()


# What of each row is hidden: a stock badge cut, a product's or a farm's name shown on
# less than 6 em when longer (content-visibility: every row is drawn first).
_CLIPPED = """() => {
    document.querySelectorAll('.offer-card').forEach(c => c.style.contentVisibility = 'visible');
    const out = [];
    for (const card of document.querySelectorAll('.offer-card')) {
        const info = card.querySelector('.offer-info').getBoundingClientRect();
        const farm = card.querySelector('.offer-farm');
        const name = card.querySelector('.offer-name');
        const em = parseFloat(getComputedStyle(name).fontSize);
        const least = w => Math.min(6 * em, w);
        if (farm && farm.clientWidth < least(farm.scrollWidth)) out.push(card.id + ' farm');
        for (const badge of card.querySelectorAll('.offer-meta .badge'))
            if (badge.getBoundingClientRect().right > info.right + 1) out.push(card.id + ' badge');
        if (name.clientWidth < least(name.scrollWidth)) out.push(card.id + ' name');
    }
    return out; }"""


@pytest.mark.parametrize("locale", ["fr-CA", "en-CA"])
def test_no_row_hides_its_farm_its_stock_or_its_name(  # type: ignore[no-untyped-def]
    browser, live_server, screenshot, locale
) -> None:
    """Signed out (« Se connecter pour commander » in every row) and signed in, at
    390 px: the farm tells apart two products of the same name, the stock hint is read."""
    cache.clear()
    call_command("seed_demo", customers=5, orders=5, stdout=StringIO())
    context = browser.new_context(
        locale=locale, viewport={"width": 390, "height": 844}, is_mobile=True
    )
    page = context.new_page()
    found = {}
    page.goto(f"{live_server.url}/shop/")
    found["signed out"] = page.evaluate(_CLIPPED)
    if found["signed out"]:
        screenshot(page, f"clipped-signed-out-{locale}")
    _login(page, live_server.url, "client@demo.coop")
    page.goto(f"{live_server.url}/shop/")
    found["signed in"] = page.evaluate(_CLIPPED)
    context.close()
    assert {who: rows[:10] for who, rows in found.items() if rows} == {}
