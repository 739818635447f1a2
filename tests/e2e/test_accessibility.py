"""axe-core finds no WCAG 2.1 A/AA violation on the main pages, on a phone and on a
desktop, in French and in English."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests import factories

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
PAGES = [
    "/",
    "/shop/",
    "/farms/",
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
]


@pytest.mark.parametrize("viewport", [(390, 844), (1280, 900)], ids=["phone", "desktop"])
@pytest.mark.parametrize("locale", ["fr-CA", "en"])
def test_main_pages_have_no_wcag_violation(browser, live_server, viewport, locale) -> None:  # type: ignore[no-untyped-def]
    farm = factories.farm(name="Ferme du Rang Double", town="Compton")
    factories.offer(product_=factories.product(farm_=farm, name="Épinards"))
    context = browser.new_context(
        locale=locale, viewport={"width": viewport[0], "height": viewport[1]}
    )
    if locale == "en":
        context.add_cookies([{"name": "coop_language", "value": "en", "url": live_server.url}])
    page = context.new_page()
    axe = Axe()
    try:
        found = {}
        for path in [*PAGES, farm.get_absolute_url()]:
            page.goto(f"{live_server.url}{path}")
            if viewport[0] < 800:
                page.locator("header summary").click()  # check the menu's links too
            results = axe.run(page, options=WCAG)
            if results.violations_count:
                found[path] = results.generate_report()
        assert not found, "\n".join(f"{path}: {report}" for path, report in found.items())
    finally:
        context.close()
