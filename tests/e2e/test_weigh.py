"""A piece sold by weight, from the shop to the capture (#17): a customer orders a whole
chicken (≈ 1.8 kg at 12 $/kg) by card; the week closes and the hold is left alone; the
farmer weighs it on a phone (1,92 kg); a real Celery worker captures exactly 23,04 $ at
the fake Stripe, and the customer's order page and email say so; picked up, the receipt
PDF shows the weight and the deposit on the jar of honey bought with it; the customer
brings the jar back, a coordinator records it, and the customer's store credit shows it."""

import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.cache import cache
from django.utils import timezone
from django.utils.csp import CSP
from playwright.sync_api import expect
from pypdf import PdfReader

from orders.models import Order, OrderLine, OrderWindow, Payment, Receipt
from pickup import closing, services
from tests import factories
from tests.e2e.helpers import sign_in as _login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _page(browser, *, locale: str, width: int, height: int):  # type: ignore[no-untyped-def]
    context = browser.new_context(
        locale=locale, viewport={"width": width, "height": height}, is_mobile=width < 500
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.console_errors = errors  # type: ignore[attr-defined]
    return page


def test_a_chicken_is_ordered_weighed_on_a_phone_and_charged_its_weight(  # type: ignore[no-untyped-def]
    browser, live_server, fake_stripe, settings, celery_worker, wait_for, screenshot
) -> None:
    cache.clear()
    settings.SECURE_CSP = {**settings.SECURE_CSP, "form-action": [CSP.SELF, fake_stripe.base_url]}
    base = live_server.url
    window = factories.window()
    farm = factories.farm(name="Ferme du Coteau", email="coteau@example.org")
    factories.offer(
        window_=window,
        product_=factories.product(
            farm_=farm,
            name="Whole chicken",
            unit="kg",
            price=Decimal("12.00"),
            estimated_weight=Decimal("1.800"),
        ),
    )
    factories.offer(
        window_=window,
        product_=factories.product(
            farm_=farm, name="Honey in a jar", price=Decimal("8.00"), deposit=Decimal("0.50")
        ),
    )
    point = factories.pickup_point(name="Marché Jean-Talon")
    coordinator = factories.coordinator(email="coordination@example.org", language="en")
    customer = factories.user(email="camille@example.org", language="en", first_name="Camille")
    farmer = factories.farmer(farm_=farm, email="eleveur@example.org")

    # 1. The customer orders a chicken, at its estimate, and authorizes the card.
    page = _page(browser, locale="en-CA", width=390, height=844)
    _login(page, base, customer.email)
    page.goto(f"{base}/shop/")
    card = page.locator(".offer-card").filter(has_text="Whole chicken")
    expect(card).to_contain_text("≈ $21.60")
    expect(card).to_contain_text("by weight")
    card.get_by_role("button", name="Add Whole chicken to my basket").click()
    expect(page.locator("#basket-bar")).to_contain_text("1 item")
    honey = page.locator(".offer-card").filter(has_text="Honey in a jar")
    expect(honey).to_contain_text("+ $0.50 deposit")
    honey.get_by_role("button", name="Add Honey in a jar to my basket").click()
    expect(page.locator("#basket-bar")).to_contain_text("2 items")
    page.goto(f"{base}/checkout/")
    page.get_by_label(point.name, exact=False).check()
    page.get_by_label("By card now", exact=False).check()
    page.get_by_role("button", name="Confirm my order").click()
    page.wait_for_url(f"{fake_stripe.base_url}/pay/**")
    page.get_by_role("button", name="Authorize", exact=False).first.click()
    order = Order.objects.get(customer=customer)
    page.wait_for_url(f"{base}/my/orders/{order.pk}/")
    # The estimate plus the co-op's 15 %: 21.60 → 24.84, + the honey 8.00 and its jar 0.50.
    expect(page.locator("#payment")).to_contain_text("$33.34 held")
    expect(page.locator("main")).to_contain_text("≈ $21.60")
    hold = Payment.objects.get(order=order, status=Payment.Status.AUTHORIZED)

    # 2. The week closes: the hold is left for the weighing.
    OrderWindow.objects.filter(pk=window.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    assert closing.window_close(window_id=window.pk, now=timezone.now())
    hold.refresh_from_db()
    assert hold.status == Payment.Status.AUTHORIZED
    page.reload()
    expect(page.locator("#payment")).to_contain_text("To weigh")

    # 3. The farmer weighs it on a phone, in French: 1,92 kg.
    phone = _page(browser, locale="fr-CA", width=390, height=844)
    _login(phone, base, farmer.email)
    phone.goto(f"{base}/farm/windows/{window.pk}/weigh/")
    line = OrderLine.objects.get(order=order, unit_weight_estimate__isnull=False)
    field = phone.locator(f"input[name=w-{line.pk}-1]")
    expect(field).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    field.fill("1,92")
    screenshot(phone, "weigh-phone-fr")
    phone.get_by_role("button", name="Enregistrer les poids").click()
    expect(phone.locator(".messages")).to_contain_text("1")

    # 4. The worker captures exactly what it weighed: 1.92 kg × 12 $ = 23.04 $, with the
    # honey and its jar: 31.54 $.
    wait_for(
        lambda: Payment.objects.get(pk=hold.pk).status == Payment.Status.CAPTURED,
        timeout=30,
        what="the capture of the weighed chicken",
    )
    hold.refresh_from_db()
    assert hold.amount_captured == Decimal("31.54")
    assert fake_stripe.captures(hold.stripe_payment_intent_id) == 1
    assert fake_stripe.intent(hold.stripe_payment_intent_id)["amount_received"] == 3154
    page.reload()
    expect(page.locator("#payment")).to_contain_text("Paid by card: $31.54")
    expect(page.locator("main")).to_contain_text("1.92 kg weighed at $12.00/kg")
    wait_for(lambda: any("final amount" in m.subject for m in mail.outbox), what="the email")
    final = next(m for m in mail.outbox if "final amount" in m.subject)
    assert "1.92 kg" in final.body
    assert "$31.54" in final.body
    screenshot(page, "weigh-order-paid-en")

    # 5. Picked up: the worker issues the numbered receipt; it shows the weight.
    services.order_mark_pickup(order_id=order.pk, picked_up=True)
    wait_for(
        lambda: Receipt.objects.filter(order=order).exclude(pdf="").exists(),
        timeout=30,
        what="the receipt",
    )
    page.reload()
    link = page.get_by_role("link", name="Receipt 1 (PDF)")
    response = page.request.get(base + str(link.get_attribute("href")))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    pages = PdfReader(io.BytesIO(response.body())).pages
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in pages))
    assert "1 × Whole chicken, 1.92 kg at $12.00/kg" in text
    assert "Deposit: 1 × $0.50 (no tax, credited back when returned)" in text
    assert "Paid by card $31.54" in text

    # 6. The customer brings the jar back: a coordinator credits its deposit.
    desk = _page(browser, locale="en-CA", width=1280, height=900)
    _login(desk, base, coordinator.email)
    desk.goto(f"{base}/coordinator/people/{customer.pk}/")
    desk.get_by_label("Product").select_option(label="Honey in a jar (1 out, $0.50 each)")
    desk.get_by_label("How many").fill("1")
    desk.get_by_role("button", name="Credit their deposit").click()
    expect(desk.locator(".messages")).to_contain_text("$0.50 of deposits credited")
    expect(desk.locator(".credit-balance")).to_contain_text("$0.50")
    page.goto(f"{base}/my/credit/")
    expect(page.locator(".credit-balance")).to_contain_text("$0.50")
    expect(page.locator(".credit-entries")).to_contain_text("containers returned")
    expect(page.locator(".credit-entries")).to_contain_text("1 × Honey in a jar")
    screenshot(page, "weigh-credit-en")
    assert desk.console_errors == []  # type: ignore[attr-defined]
    assert page.console_errors == []  # type: ignore[attr-defined]
    assert phone.console_errors == []  # type: ignore[attr-defined]
