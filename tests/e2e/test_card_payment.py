"""The card payment journey against the fake Stripe server, in the browser: confirm,
authorize on the (fake) hosted page, raise the basket, authorize the new total, close
(a real Celery worker captures), record a shortage (the worker refunds). Each step is
checked on the customer's order page and on the coordinator's page."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone
from django.utils.csp import CSP
from playwright.sync_api import expect

from orders.models import Order, OrderWindow, Payment
from tests import factories
from tests.e2e.helpers import sign_in as _login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _new_page(browser, width: int, height: int):  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="en-CA", viewport={"width": width, "height": height})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.console_errors = errors
    return page


@pytest.fixture
def en_page(browser):  # type: ignore[no-untyped-def]
    """The customer, on a phone."""
    page = _new_page(browser, 390, 844)
    yield page
    page.context.close()


@pytest.fixture
def coordinator_page(browser):  # type: ignore[no-untyped-def]
    """The coordinator, on a laptop, watching the same week."""
    page = _new_page(browser, 1280, 900)
    yield page
    page.context.close()


def _add(page, base: str, name: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/shop/")
    page.get_by_role("button", name=f"Add {name} to my basket").click()
    expect(page.locator("#basket-panel")).to_contain_text(name)


def test_card_payment_from_hold_to_partial_refund(  # type: ignore[no-untyped-def]
    en_page, coordinator_page, live_server, fake_stripe, settings, celery_worker, screenshot
) -> None:
    cache.clear()
    settings.SECURE_CSP = {
        **settings.SECURE_CSP,
        "form-action": [CSP.SELF, fake_stripe.base_url],
    }
    page, base = en_page, live_server.url
    window = factories.window()
    farm = factories.farm(name="Ferme du Ruisseau", email="ruisseau@example.org")
    for name, price, tax in (("Carrots", "3.50", "zero"), ("Honey", "12.00", "taxable")):
        factories.offer(
            window_=window,
            product_=factories.product(farm_=farm, name=name, price=Decimal(price), tax_class=tax),
        )
    point = factories.pickup_point(name="Marché Jean-Talon")
    customer = factories.user(email="camille@example.org", language="en")
    coordinator = factories.coordinator(email="sophie@example.org")
    watch = coordinator_page
    _login(watch, base, coordinator.email)

    def coordinator_sees(order: Order, text: str) -> None:
        watch.goto(f"{base}/coordinator/windows/{window.pk}/")
        expect(watch.locator(f"#order-{order.pk}")).to_contain_text(text)

    # 1. Confirm, paying by card: off to the hosted page.
    _login(page, base, customer.email)
    _add(page, base, "Carrots")
    page.goto(f"{base}/checkout/")
    page.get_by_label(point.name, exact=False).check()
    page.get_by_label("By card now", exact=False).check()
    page.get_by_role("button", name="Confirm my order").click()
    page.wait_for_url(f"{fake_stripe.base_url}/pay/**")
    screenshot(page, "payment-hosted-page-en")
    order = Order.objects.get(customer=customer)
    coordinator_sees(order, "Card authorization needed")

    # 2. Authorize: back on the order page, the hold shows.
    page.get_by_role("button", name="Authorize", exact=False).first.click()
    page.wait_for_url(f"{base}/my/orders/{order.pk}/")
    expect(page.locator("#payment")).to_contain_text("Card authorized: $3.50 held")
    coordinator_sees(order, "Card authorized: $3.50 held")

    # 3. Raise the basket above the hold: the page asks for the new total.
    _add(page, base, "Honey")
    page.goto(f"{base}/my/orders/{order.pk}/")
    expect(page.locator("#payment")).to_contain_text("is above the $3.50 held")
    screenshot(page, "payment-raise-en")
    coordinator_sees(order, "is above the $3.50 held")

    # 4. Re-authorize: the new hold replaces the old one.
    page.get_by_role("button", name="Authorize $17.30 on my card").click()
    page.get_by_role("button", name="Authorize", exact=False).first.click()
    page.wait_for_url(f"{base}/my/orders/{order.pk}/")
    expect(page.locator("#payment")).to_contain_text("Card authorized: $17.30 held")
    coordinator_sees(order, "Card authorized: $17.30 held")
    holds = list(Payment.objects.filter(order=order).order_by("pk"))
    assert [h.status for h in holds] == ["cancelled", "authorized"]

    # 5–6. The deadline passes; the coordinator closes; the worker captures.
    OrderWindow.objects.filter(pk=window.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    customer_page, page = page, watch
    page.goto(f"{base}/coordinator/windows/{window.pk}/")
    page.get_by_role("button", name="Close now").click()
    expect(page.locator("#close-progress label")).to_have_text("Closed", timeout=40_000)
    page.reload()
    row = page.locator(f"#order-{order.pk}")
    expect(row).to_contain_text("Paid by card: $17.30")
    assert fake_stripe.captures(holds[1].stripe_payment_intent_id) == 1

    # 7–8. A shortage of the honey: the worker refunds it, once.
    page.select_option("#shortage-offer", label="Ferme du Ruisseau — Honey (1)")
    page.fill("#shortage-units", "1")
    page.get_by_role("button", name="Record the shortage").click()
    expect(page.locator(".message").first).to_contain_text("Shortage recorded")
    for _ in range(40):
        page.reload()
        if "refunded $13.80" in page.locator(f"#order-{order.pk}").inner_text():
            break
        page.wait_for_timeout(500)
    expect(page.locator(f"#order-{order.pk}")).to_contain_text("refunded $13.80")
    screenshot(page, "payment-coordinator-refunded-en")
    assert fake_stripe.refunds_for(holds[1].stripe_payment_intent_id) == [1380]

    page = customer_page
    page.goto(f"{base}/my/orders/{order.pk}/")
    expect(page.locator("#payment")).to_contain_text("Paid by card: $3.50")
    expect(page.locator("#payment")).to_contain_text("refunded $13.80")
    screenshot(page, "payment-customer-refunded-en")
    assert page.console_errors == []
    assert watch.console_errors == []
