"""Each demo account signs in through the browser and sees its role's menu, in French
and in English; the phone layout folds the menu behind one tap."""

from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DEMO_PASSWORD = "coop-demo-2026"
ROLES = [
    # email, link shown only to that role (French, English)
    ("client@demo.coop", None),
    ("ferme@demo.coop", ("Ma ferme", "My farm")),
    ("coordination@demo.coop", ("Coordination", "Coordination")),
]


@pytest.fixture
def demo(live_server) -> str:  # type: ignore[no-untyped-def]
    cache.clear()
    call_command("seed_demo", farms=8, customers=5, orders=5, stdout=StringIO())
    return str(live_server.url)


def sign_in(page, base: str, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(
        lambda url: "/accounts/login/" not in url
    )  # each role lands where its work is


@pytest.mark.parametrize(("email", "role_link"), ROLES)
def test_demo_account_sees_its_menu_in_both_languages(
    page, demo, screenshot, email, role_link
) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, demo, email)
    nav = page.locator("header nav")
    assert nav.get_by_role("link", name="Mes commandes").is_visible()
    links = nav.locator("a").all_inner_texts()
    if role_link:
        assert role_link[0] in links
    assert not any(x in links for r in ROLES if r[1] and r[1] != role_link for x in r[1])
    screenshot(page, f"home-{email.split('@')[0]}-fr")

    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert nav.get_by_role("link", name="My orders").is_visible()
    if role_link:
        assert role_link[1] in nav.locator("a").all_inner_texts()
    assert page.console_errors == []  # no CSP violation, no script error


def test_home_lists_the_demo_farms_and_the_open_window(page, demo, screenshot) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{demo}/")
    assert page.get_by_role("heading", name="Les commandes sont ouvertes").is_visible()
    assert page.locator(".card-grid .card").count() >= 8
    screenshot(page, "home-anonymous-fr")
    assert page.console_errors == []


def test_phone_menu_opens_with_one_tap(browser, demo, screenshot) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(
        locale="fr-CA", viewport={"width": 390, "height": 844}, is_mobile=True
    )
    page = context.new_page()
    try:
        page.goto(f"{demo}/")
        shop = page.locator("header nav").get_by_role("link", name="Boutique")
        assert not shop.is_visible()
        page.locator("header summary").click()
        assert shop.is_visible()
        screenshot(page, "home-phone-menu-fr")
    finally:
        context.close()
