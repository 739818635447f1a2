"""The current axe-core (npm, see tests/e2e/axe.py) finds no WCAG 2.2 A/AA violation on
the pages, on a phone and on a desktop, in French and in English."""

import pytest

from tests import factories

from .axe import axe_version, violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PAGES = [
    "/",
    "/shop/",
    "/farms/",
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
    "/privacy/",
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
    try:
        found = {}
        for path in [*PAGES, farm.get_absolute_url()]:
            page.goto(f"{live_server.url}{path}")
            if viewport[0] < 800:
                page.locator("header summary").click()  # check the menu's links too
            if problems := violations(page):
                found[path] = problems
        assert axe_version(page) == "4.14.1"  # the current axe, with label-in-name
        assert not found, "\n".join(f"{path}: {report}" for path, report in found.items())
    finally:
        context.close()


def _signed_in(browser, live_server, email: str, locale: str, viewport=(390, 844)):  # type: ignore[no-untyped-def]
    context = browser.new_context(
        locale=locale, viewport={"width": viewport[0], "height": viewport[1]}
    )
    if locale == "en":
        context.add_cookies([{"name": "coop_language", "value": "en", "url": live_server.url}])
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", "coop-demo-2026")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(
        lambda url: "/accounts/login/" not in url
    )  # each role lands where its work is
    return page


@pytest.mark.parametrize("viewport", [(390, 844), (1280, 900)], ids=["phone", "desktop"])
@pytest.mark.parametrize("locale", ["fr-CA", "en"])
def test_signed_in_pages_have_no_wcag_violation(browser, live_server, locale, viewport) -> None:  # type: ignore[no-untyped-def]
    """The pages behind a login, on a phone: checkout with its payment choice, an
    order with its payment box, a farm's statements, the coordinator's week with
    payments, the settlement, margins and reports."""
    from io import StringIO

    from django.core.cache import cache
    from django.core.management import call_command

    from orders.models import Order
    from settlements.models import FarmStatement

    cache.clear()
    call_command("seed_demo", customers=5, orders=5, stdout=StringIO())
    statement = FarmStatement.objects.select_related("farm", "settlement").first()
    assert statement is not None
    window_id = statement.settlement.window_id
    current = Order.objects.filter(status="confirmed").order_by("-window__opens_at").first()
    assert current is not None
    roles = {
        "client@demo.coop": ["/my/orders/", "/my/data/", "/shop/"],
        "ferme@demo.coop": [],
        "coordination@demo.coop": [
            f"/coordinator/windows/{window_id}/",
            f"/coordinator/windows/{window_id}/settlement/",
            f"/coordinator/windows/{current.window_id}/",
            "/coordinator/margins/",
            "/coordinator/reports/",
            "/coordinator/schedule/",
        ],
    }
    farmer_farm = FarmStatement.objects.filter(farm__members__user__email="ferme@demo.coop").first()
    assert farmer_farm is not None
    roles["ferme@demo.coop"].append(f"/portal/{farmer_farm.farm.slug}/statements/")
    found = {}
    for email, paths in roles.items():
        page = _signed_in(browser, live_server, email, locale, viewport)
        try:
            if email.startswith("client"):
                mine = Order.objects.filter(customer__email=email).order_by("-pk").first()
                if mine is not None:
                    paths = [*paths, f"/my/orders/{mine.pk}/"]
                page.goto(f"{live_server.url}/shop/")
                page.locator(".offer-card").first.get_by_role(
                    "button", name="Ajouter" if locale == "fr-CA" else "Add"
                ).click()
                page.wait_for_selector("#basket-panel .basket-line", state="attached")
                paths = [*paths, "/checkout/"]
            for path in paths:
                page.goto(f"{live_server.url}{path}")
                if problems := violations(page):
                    found[f"{email} {path}"] = problems
        finally:
            page.context.close()
    assert not found, "\n".join(f"{path}: {report}" for path, report in found.items())
