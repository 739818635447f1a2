"""Standing baskets and the basket of the week (issue #15) in the browser, on a phone,
in French:

1. A customer fills a basket in the shop, saves it as « mon panier habituel »; a new
   week opens, their basket is filled for them and they are emailed to review it; the
   email's link opens the week's page, they swap an item (one product out, another in,
   a quantity changed) and then skip the week: every unit goes back on sale.
2. Another customer adds the basket of the week in one tap, then swaps its items like
   any line; stock is never oversold.

The filling and the review email run from the test body (the Celery tick that calls
them is tested with a real worker elsewhere)."""

import re
from collections.abc import Callable, Iterator
from datetime import time, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.db.models import Sum
from django.utils import timezone
from playwright.sync_api import expect

from baskets import standing, standing_emails, week_baskets
from baskets.models import StandingBasket, StandingWeek
from orders.models import Offer, Order, OrderLine, OrderWindow, PickupSlot
from tests import factories
from tests.e2e.helpers import sign_in as _login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phones(browser) -> Iterator[Callable[[], Any]]:  # type: ignore[no-untyped-def]
    """Open a phone's browser, in French (a new one for each call: its own cookies);
    each page collects its console errors."""
    contexts = []

    def _open() -> Any:
        context = browser.new_context(
            locale="fr-CA", viewport=PHONE, is_mobile=True, has_touch=True
        )
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on(
            "console",
            lambda m: errors.append(f"{m.text} at {m.location}") if m.type == "error" else None,
        )
        page.console_errors = errors
        return page

    yield _open
    for context in contexts:
        context.close()


def _no_console_errors(*pages) -> None:  # type: ignore[no-untyped-def]
    errors = [error for page in pages for error in page.console_errors]
    assert errors == [], "\n".join(errors)


def _add_in_shop(page, base: str, name: str) -> None:  # type: ignore[no-untyped-def]
    """Tap « Ajouter » on a product's card; htmx swaps the card for its quantity."""
    page.goto(f"{base}/shop/")
    page.get_by_role("button", name=f"Ajouter {name} à mon panier", exact=True).click()
    expect(page.get_by_role("group", name=f"Quantité ({name})").first).to_be_visible()


def _lines(order: Order) -> dict[int, int]:
    return dict(OrderLine.objects.filter(order=order).values_list("offer_id", "quantity"))


def _assert_stock_consistent(window: OrderWindow) -> None:
    """Every offer: what is left plus what the week's baskets and orders hold is what was
    offered, and nothing is below zero (never oversold)."""
    for offer in Offer.objects.filter(window=window).select_related("product"):
        held = OrderLine.objects.filter(offer=offer).aggregate(n=Sum("quantity"))["n"] or 0
        assert offer.remaining >= 0, offer.product.name
        assert offer.remaining + held == offer.quantity, (
            offer.product.name,
            offer.remaining,
            held,
            offer.quantity,
        )


def _htmx_ready(page, selector: str) -> None:  # type: ignore[no-untyped-def]
    """Wait until htmx has taken over the form of `selector`: a swap puts new forms in,
    and Enter pressed before htmx processed one submits it without JavaScript (a whole
    page, the message at the top: right, but not what this step checks)."""
    page.wait_for_function(
        "s => { const e = document.querySelector(s);"
        " return !!(e && e.form && (e.form['htmx-internal-data'] || {}).initHash); }",
        arg=selector,
    )


def test_a_usual_basket_is_saved_filled_reviewed_swapped_and_skipped(  # type: ignore[no-untyped-def]
    phones, live_server, screenshot
) -> None:
    cache.clear()
    page, base = phones(), live_server.url
    farm = factories.farm(name="Ferme du Ruisseau")
    products = {
        name: factories.product(farm_=farm, name=name, price=Decimal(price))
        for name, price in (
            ("Carottes", "3.50"),
            ("Poireaux", "2.75"),
            ("Épinards", "4.00"),
        )
    }
    this_week = factories.window()
    for product in products.values():
        factories.offer(window_=this_week, product_=product, quantity=20)
    next_week = factories.window(open_now=False)
    stock = {"Carottes": 10, "Poireaux": 1, "Épinards": 10}  # 1 leek for 2 wanted
    offers = {
        name: factories.offer(window_=next_week, product_=product, quantity=stock[name])
        for name, product in products.items()
    }
    point = factories.pickup_point(name="Marché Jean-Talon")
    slot = PickupSlot.objects.create(
        pickup_point=point, starts_at=time(16), ends_at=time(18), capacity=40
    )
    customer = factories.user(email="camille@example.org", first_name="Camille")

    # 1. This week's basket in the shop: 1 carrot, 2 leeks.
    _login(page, base, customer.email)
    _add_in_shop(page, base, "Carottes")
    _add_in_shop(page, base, "Poireaux")
    page.get_by_role("button", name="Une unité de plus (Poireaux)").first.click()
    expect(page.locator("#basket-bar")).to_contain_text("3 articles")
    order = Order.objects.get(customer=customer, window=this_week)
    assert sorted(_lines(order).values()) == [1, 2]

    # 2. From the basket bar to the basket page, then « mon panier habituel ».
    page.locator("#basket-bar").click()
    page.wait_for_url(f"{base}/basket/")
    page.get_by_role("link", name="L’enregistrer comme mon panier habituel").click()
    page.wait_for_url(f"{base}/my/usual/?from=basket")
    expect(page.locator("main")).to_contain_text("D’après mon panier de cette semaine")
    carrots_field = page.locator(f"input[name=q-{products['Carottes'].pk}]")
    leeks_field = page.locator(f"input[name=q-{products['Poireaux'].pk}]")
    expect(carrots_field).to_have_value("1")
    expect(leeks_field).to_have_value("2")
    carrots_field.fill("3")  # what they usually take
    page.get_by_label("Point de cueillette").select_option(label=point.name)
    page.get_by_label("Plage horaire").select_option(value=str(slot.pk))
    page.get_by_role("button", name="Enregistrer mon panier habituel").click()
    page.wait_for_url(f"{base}/my/usual/")
    expect(page.locator(".messages")).to_contain_text("Votre panier habituel est enregistré")
    expect(page.locator(".standing-status")).to_contain_text("actif")
    screenshot(page, "standing-saved-phone-fr")
    saved = StandingBasket.objects.get(customer=customer)
    assert saved.status == StandingBasket.Status.ACTIVE
    assert (saved.pickup_point_id, saved.pickup_slot_id) == (point.pk, slot.pk)
    assert dict(saved.lines.values_list("product_id", "quantity")) == {
        products["Carottes"].pk: 3,
        products["Poireaux"].pk: 2,
    }

    # 3. A new week opens: this one closes, the next opens, the baskets are filled and
    #    each customer is emailed to review theirs.
    now = timezone.now()
    OrderWindow.objects.filter(pk=this_week.pk).update(
        closes_at=now - timedelta(minutes=2), status=OrderWindow.Status.CLOSED
    )
    OrderWindow.objects.filter(pk=next_week.pk).update(
        opens_at=now - timedelta(minutes=1),
        closes_at=now + timedelta(days=4),
        pickup_date=(now + timedelta(days=6)).date(),
        status=OrderWindow.Status.OPEN,
    )
    report = standing.standing_fill(window_id=next_week.pk, now=now)
    assert (report.filled, report.empty, report.own_order) == (1, 0, 0)
    mail.outbox.clear()
    to_review = standing.standing_weeks_to_review(window_id=next_week.pk)
    assert len(to_review) == 1
    assert standing_emails.review_send(week_id=to_review[0], now=now)
    assert not standing_emails.review_send(week_id=to_review[0], now=now)  # once
    week = StandingWeek.objects.get(standing=saved, window=next_week)
    assert week.status == StandingWeek.Status.FILLED
    filled = Order.objects.get(customer=customer, window=next_week)
    assert week.order_id == filled.pk
    assert _lines(filled) == {offers["Carottes"].pk: 3, offers["Poireaux"].pk: 1}
    assert week.missing == [{"product": "Poireaux", "wanted": 2, "got": 1}]
    assert Offer.objects.get(pk=offers["Poireaux"].pk).remaining == 0
    assert Offer.objects.get(pk=offers["Carottes"].pk).remaining == 7
    _assert_stock_consistent(next_week)

    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [customer.email]
    assert "votre panier habituel" in str(email.subject)
    body = str(email.body)
    assert "Bonjour Camille" in body
    assert "3 × Carottes" in body
    assert "1 × Poireaux" in body
    assert "Absent cette semaine" in body
    assert "1 sur 2" in body
    found = re.search(r"https?://[^\s\"'<>]+/usual/week/[^\s\"'<>/]+/", body)
    assert found, body
    link = found.group(0)
    assert link.startswith(settings.COOP_BASE_URL.rstrip("/") + "/"), link
    review = f"{base}{urlsplit(link).path}"

    # 4. The email's link on the phone, in the mail app's browser (not signed in: the
    #    signed link is enough to see the week and to skip it).
    saved_in, page = page, phones()
    page.goto(review)
    main = page.locator("main")
    expect(main.locator("h1")).to_contain_text("Mon panier habituel pour la cueillette du")
    expect(main).to_contain_text("à revoir")
    basket_list = main.locator("ul").first
    expect(basket_list).to_contain_text("3 × Carottes")
    expect(basket_list).to_contain_text("1 × Poireaux")
    expect(main).to_contain_text("Au remplissage, il manquait")
    expect(main).to_contain_text("Poireaux (1 sur 2)")
    expect(main.get_by_role("button", name="Sauter cette semaine")).to_be_visible()
    screenshot(page, "standing-week-review-phone-fr")

    # 5. Swap an item: sign in from the link, the leek out, one carrot fewer, spinach in.
    main.get_by_role("link", name="Changer mon panier (connexion)").click()
    page.wait_for_url(f"{base}/accounts/login/?next=/basket/")
    page.fill("input[name=login]", customer.email)
    page.fill("input[name=password]", factories.PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{base}/basket/")
    panel = page.locator("#basket-panel")
    expect(panel.locator(".basket-line")).to_have_count(2)
    panel.get_by_role("button", name="Retirer Poireaux").click()
    expect(panel.locator(".basket-line")).to_have_count(1)
    carrots_qty = page.locator(f"#qty-basket-{offers['Carottes'].pk}")
    carrots_qty.fill("2")
    carrots_qty.press("Enter")
    expect(page.locator(f"#qty-basket-{offers['Carottes'].pk}")).to_have_value("2")
    expect(panel).to_contain_text("Sous-total (2 articles)")
    _add_in_shop(page, base, "Épinards")
    assert _lines(filled) == {offers["Carottes"].pk: 2, offers["Épinards"].pk: 1}
    assert Offer.objects.get(pk=offers["Poireaux"].pk).remaining == 1
    _assert_stock_consistent(next_week)

    # The review page shows the basket as it is now.
    page.goto(review)
    basket_list = page.locator("main ul").first
    expect(basket_list).to_contain_text("2 × Carottes")
    expect(basket_list).to_contain_text("1 × Épinards")
    expect(basket_list).not_to_contain_text("Poireaux")

    # 6. Skip the week: nothing is confirmed; what the usual basket put in goes back on
    # sale, what the customer added by hand (the spinach) stays in their basket.
    page.get_by_role("button", name="Sauter cette semaine").click()
    page.wait_for_url(review)
    expect(page.locator(".messages")).to_contain_text(
        "Semaine sautée : pas de panier habituel cette semaine."
    )
    expect(page.locator("main")).to_contain_text("sautée")
    expect(page.locator("main")).to_contain_text("Vous avez sauté cette semaine")
    expect(page.get_by_role("button", name="Sauter cette semaine")).to_have_count(0)
    screenshot(page, "standing-week-skipped-phone-fr")
    week.refresh_from_db()
    assert week.status == StandingWeek.Status.SKIPPED
    assert week.skipped_at is not None
    expect(page.locator(".messages")).to_contain_text("Ce que vous avez ajouté vous-même")
    assert _lines(filled) == {offers["Épinards"].pk: 1}
    for name, offer in offers.items():
        kept = 1 if name == "Épinards" else 0
        assert Offer.objects.get(pk=offer.pk).remaining == stock[name] - kept, name
    _assert_stock_consistent(next_week)
    # At the co-op's time, a skipped week is not confirmed.
    later = standing.confirm_time(OrderWindow.objects.get(pk=next_week.pk))
    assert standing.standing_confirm_due(now=later + timedelta(seconds=1)) == []
    filled.refresh_from_db()
    assert filled.status == Order.Status.BASKET

    # Their page says so too, and offers to take the week back.
    page.goto(f"{base}/my/usual/")
    weeks = page.locator(".standing-weeks")
    expect(weeks).to_contain_text("sautée")
    expect(weeks.get_by_role("button", name="Reprendre cette semaine")).to_be_visible()
    _no_console_errors(saved_in, page)


def test_the_basket_of_the_week_is_taken_in_one_tap_and_swapped(  # type: ignore[no-untyped-def]
    phones, live_server, screenshot
) -> None:
    cache.clear()
    page, base = phones(), live_server.url
    window = factories.window()
    farm = factories.farm(name="Ferme des Quatre Vents")
    stock = {"Carottes": 10, "Ail": 1, "Poireaux": 5, "Épinards": 4}
    offers = {
        name: factories.offer(
            window_=window,
            product_=factories.product(farm_=farm, name=name, price=Decimal("3.00")),
            quantity=quantity,
        )
        for name, quantity in stock.items()
    }
    made = week_baskets.week_basket_save(
        window_id=window.pk,
        data=week_baskets.WeekBasketData(
            name="Panier découverte",
            description="Les légumes de la semaine",
            indicative_price=None,
            is_published=True,
            items=[(offers["Carottes"].pk, 2), (offers["Ail"].pk, 2), (offers["Poireaux"].pk, 1)],
        ),
    )
    customer = factories.user(email="rosalie@example.org", first_name="Rosalie")

    # 1. The basket of the week on the shop, with what is short of it.
    _login(page, base, customer.email)
    page.goto(f"{base}/shop/")
    section = page.locator("#week-baskets")
    expect(section).to_contain_text("Paniers de la semaine")
    card = section.locator(".week-basket-card").filter(has_text="Panier découverte")
    expect(card).to_contain_text("2 × Ail (1 restant(s))")
    expect(card).to_contain_text("2 × Carottes")
    screenshot(page, "week-basket-shop-phone-fr")

    # 2. One tap: its items are in the basket; one was short.
    card.get_by_role("button", name="Ajouter Panier découverte à mon panier").click()
    page.wait_for_url(f"{base}/basket/")
    messages = page.locator(".messages")
    expect(messages).to_contain_text("Ajouté à votre panier : Carottes, Poireaux, Ail.")
    expect(messages).to_contain_text("En partie seulement : Ail.")
    order = Order.objects.get(customer=customer, window=window)
    assert _lines(order) == {
        offers["Carottes"].pk: 2,
        offers["Ail"].pk: 1,
        offers["Poireaux"].pk: 1,
    }
    assert Offer.objects.get(pk=offers["Ail"].pk).remaining == 0
    _assert_stock_consistent(window)
    panel = page.locator("#basket-panel")
    expect(panel.locator(".basket-line")).to_have_count(3)
    expect(panel.get_by_role("button", name="Une unité de plus (Ail)")).to_be_disabled()

    # 3. Swap: the leek out, more carrots than there are (capped), then 3; spinach in.
    panel.get_by_role("button", name="Retirer Poireaux").click()
    expect(panel.locator(".basket-line")).to_have_count(2)
    carrots = f"#qty-basket-{offers['Carottes'].pk}"
    _htmx_ready(page, carrots)
    page.locator(carrots).fill("12")
    page.locator(carrots).press("Enter")
    expect(page.locator(carrots)).to_have_value("10")
    expect(page.locator("#basket-panel .line-message")).to_contain_text(
        "il ne restait que 10 unités"
    )
    assert Offer.objects.get(pk=offers["Carottes"].pk).remaining == 0
    _assert_stock_consistent(window)
    _htmx_ready(page, carrots)
    page.locator(carrots).fill("3")
    page.locator(carrots).press("Enter")
    expect(panel).to_contain_text("Sous-total (4 articles)")  # 3 carrots, 1 garlic
    _add_in_shop(page, base, "Épinards")
    assert _lines(order) == {
        offers["Carottes"].pk: 3,
        offers["Ail"].pk: 1,
        offers["Épinards"].pk: 1,
    }
    remaining = dict(Offer.objects.filter(window=window).values_list("pk", "remaining"))
    assert remaining == {
        offers["Carottes"].pk: 7,
        offers["Ail"].pk: 0,
        offers["Poireaux"].pk: 5,
        offers["Épinards"].pk: 3,
    }
    _assert_stock_consistent(window)

    # 4. The next customer gets what is left of it, never more.
    other = factories.user(email="gabriel@example.org")
    taken = week_baskets.week_basket_take(
        customer_id=other.pk, basket_id=made.pk, now=timezone.now()
    )
    assert (taken.added, taken.short, taken.sold_out) == (["Carottes", "Poireaux"], [], ["Ail"])
    _assert_stock_consistent(window)
    page.goto(f"{base}/shop/")
    expect(page.locator("#week-baskets .week-basket-card")).to_contain_text("2 × Ail (épuisé)")
    page.goto(f"{base}/basket/")
    expect(page.locator("#basket-panel .basket-line")).to_have_count(3)
    screenshot(page, "week-basket-swapped-phone-fr")
    _no_console_errors(page)
