"""Shopping by keyboard alone (issue #19), on a desktop and on a phone, in French and in
English: a customer signs in, searches, adds, changes quantities, opens the basket and
confirms with Tab, Shift+Tab, Enter, Space, the arrows and Escape (and the characters
typed into fields). After each change focus is on the control used, the status region
says the new total, checkout is a few Tabs away, and no focused element is under a
fixed bar."""

from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import translation
from playwright.sync_api import expect

from common.money import format_money
from orders.models import Order, OrderLine, OrderWindow
from tests import factories
from tests.e2e.axe import violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DEVICES: dict[str, dict[str, Any]] = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}
WORDS = {
    "fr-CA": {"items": "articles", "item": "article", "checkout": "Confirmer ma commande"},
    "en-CA": {"items": "items", "item": "item", "checkout": "Confirm my order"},
}
EMAIL = "clavier@example.org"

# What has focus, and whether a fixed or sticky bar covers any of it.
FOCUS_STATE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return {tag: 'BODY', key: null, id: '', name: '', href: ''};
  const r = el.getBoundingClientRect();
  const covered = [...document.querySelectorAll('#basket-bar, .category-bar')].filter(bar => {
    if (bar.contains(el) || getComputedStyle(bar).display === 'none') return false;
    const pos = getComputedStyle(bar).position;
    if (pos !== 'fixed' && pos !== 'sticky') return false;
    const b = bar.getBoundingClientRect();
    return r.bottom > b.top && r.top < b.bottom && r.right > b.left && r.left < b.right;
  }).map(bar => bar.id || bar.className);
  return {tag: el.tagName, key: el.getAttribute('data-focus'), id: el.id, name: el.name || '',
          href: el.getAttribute('href') || '', text: (el.innerText || el.value || '').trim(),
          invalid: el.getAttribute('aria-invalid'),
          describedby: el.getAttribute('aria-describedby'), covered: covered};
}"""


def _focus(page: Any) -> dict[str, Any]:
    state: dict[str, Any] = page.evaluate(FOCUS_STATE)
    assert not state.get("covered"), f"focused element under a fixed bar: {state}"
    return state


def _press(page: Any, key: str) -> dict[str, Any]:
    page.keyboard.press(key)
    return _focus(page)


def _tab_until(page: Any, found: Any, *, limit: int, back: bool = False) -> int:
    """Press Tab (or Shift+Tab) until `found(state)`; the number of presses."""
    for presses in range(1, limit + 1):
        state = _press(page, "Shift+Tab" if back else "Tab")
        if found(state):
            return presses
    raise AssertionError(f"not reached in {limit} presses; focus on {_focus(page)}")


def _wait_settled(page: Any) -> None:
    """Until htmx has answered and swapped (no request in flight)."""
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    page.wait_for_timeout(50)


def _htmx_ready(page: Any) -> None:
    """The focused control's form is in htmx's hands (a key pressed before would post it
    without JavaScript)."""
    page.wait_for_function(
        "() => { const e = document.activeElement; const f = e && (e.form || e.closest('form'));"
        " return !!(f && (f['htmx-internal-data'] || {}).initHash); }"
    )


def _status(page: Any) -> str:
    return str(page.locator("#basket-status").inner_text())


def _basket(order_filter: dict[str, Any]) -> tuple[int, Decimal]:
    order = Order.objects.get(**order_filter)
    lines = OrderLine.objects.filter(order=order)
    return sum(line.quantity for line in lines), order_total(order)


def order_total(order: Order) -> Decimal:
    from baskets import selectors

    return selectors.basket_of(customer_id=order.customer_id, window=order.window).totals.total


def _said(page: Any, language: str, window_id: int) -> None:
    """The status region holds the basket's new number of items and its total."""
    items, total = _basket({"customer__email": EMAIL, "window_id": window_id})
    with translation.override(language[:2]):
        amount = format_money(total)
    word = WORDS[language]["item" if items == 1 else "items"]
    expect(page.locator("#basket-status")).to_contain_text(f"{items} {word}, {amount}")


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("language", WORDS)
def test_a_customer_shops_and_confirms_by_keyboard(  # type: ignore[no-untyped-def]
    browser, live_server, screenshot, device: str, language: str
) -> None:
    cache.clear()
    call_command("seed_demo", customers=3, orders=0, stdout=StringIO())
    factories.user(email=EMAIL, first_name="Ada", last_name="Clavier")
    context = browser.new_context(locale=language, **DEVICES[device])
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    base = live_server.url
    lang = "fr" if language.startswith("fr") else "en"
    words = WORDS[language]

    # 1. Sign in: a wrong password first, whose message takes focus; then the right one.
    page.goto(f"{base}/accounts/login/")
    _tab_until(page, lambda s: s["name"] == "login", limit=15)
    page.keyboard.type(EMAIL)
    _press(page, "Tab")
    page.keyboard.type("not-the-password")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_have_attribute("role", "alert")  # announced, and focused
    assert page.evaluate("() => document.activeElement.hasAttribute('data-error-summary')")
    _tab_until(page, lambda s: s["name"] == "password", limit=15)
    page.keyboard.type(factories.PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)

    # 2. Search from the shop's search field.
    page.goto(f"{base}/shop/")
    _tab_until(page, lambda s: s["id"] == "q", limit=30)
    page.keyboard.type("carottes")
    page.keyboard.press("Enter")
    page.wait_for_url("**/shop/?q=carottes**")
    cards = page.locator(".offer-card")
    assert cards.count() >= 2
    window = OrderWindow.objects.filter(status="open").order_by("closes_at").first()
    assert window is not None
    window_id = window.pk

    # 3. Add: focus is then on the product's + (what replaced « Add »), and the total is said.
    add = _tab_until(page, lambda s: (s["key"] or "").startswith("more:card:"), limit=40)
    assert add <= 40
    key = _focus(page)["key"]
    offer = key.split(":")[2]
    _htmx_ready(page)
    page.keyboard.press("Enter")
    _wait_settled(page)
    assert _focus(page)["key"] == key
    expect(page.locator(f"#offer-{offer} .qty-input")).to_have_value("1")
    _said(page, language, window_id)
    # The header says it too, on every page.
    expect(page.locator("#header-basket")).to_contain_text("(1)")

    # 4. + with Space: still on the +, two units, said.
    _htmx_ready(page)
    page.keyboard.press("Space")
    _wait_settled(page)
    assert _focus(page)["key"] == key
    expect(page.locator(f"#offer-{offer} .qty-input")).to_have_value("2")
    _said(page, language, window_id)

    # 5. Type 4 in the field (back two controls: OK, then the field).
    state = _press(page, "Shift+Tab")
    assert state.get("key") == f"ok:card:{offer}", state
    state = _press(page, "Shift+Tab")
    assert state.get("key") == f"qty:card:{offer}", state
    page.keyboard.press("End")
    page.keyboard.press("Backspace")
    page.keyboard.type("4")
    _htmx_ready(page)
    page.keyboard.press("Enter")
    _wait_settled(page)
    state = _focus(page)
    assert state["key"] == f"qty:card:{offer}", state
    expect(page.locator(f"#offer-{offer} .qty-input")).to_have_value("4")
    _said(page, language, window_id)
    before = _basket({"customer__email": EMAIL, "window_id": window_id})

    # 6. Bad input: refused, focus kept in the field, marked invalid, its message tied to
    # it and read out (an alert); nothing in the basket changes, the status says nothing.
    said_before = _status(page)
    page.keyboard.press("End")
    page.keyboard.press("Backspace")
    page.keyboard.type("abc")
    _htmx_ready(page)
    page.keyboard.press("Enter")
    _wait_settled(page)
    state = _focus(page)
    assert state["key"] == f"qty:card:{offer}", state
    assert state["invalid"] == "true", state
    message = page.locator(f"#{state['describedby']}")
    expect(message).to_have_attribute("role", "alert")
    assert message.inner_text().strip()
    assert _basket({"customer__email": EMAIL, "window_id": window_id}) == before
    assert _status(page) == said_before

    # 7. − (forward past OK and + would be further: back from the field to −).
    state = _press(page, "Shift+Tab")
    assert state["key"] == f"less:card:{offer}", state
    _htmx_ready(page)
    page.keyboard.press("Enter")
    _wait_settled(page)
    assert _focus(page)["key"] == f"less:card:{offer}"
    expect(page.locator(f"#offer-{offer} .qty-input")).to_have_value("3")
    _said(page, language, window_id)

    # 8. The down arrow goes to the next product, the up arrow back.
    state = _press(page, "ArrowDown")
    assert (state["key"] or "::").split(":")[2] not in ("", offer), state
    state = _press(page, "ArrowUp")
    assert (state["key"] or "::").split(":")[2] == offer, state

    # 9. Checkout: at most 5 Tabs from the product just changed...
    def at_checkout(s: dict[str, Any]) -> bool:
        return str(s["href"]).endswith("/checkout/")

    from_product = _tab_until(page, at_checkout, limit=5)
    # ...and from the top of the page (the skip link « Go to the basket »).
    page.goto(f"{base}/shop/")
    page.keyboard.press("Tab")  # « Skip to content »
    state = _press(page, "Tab")
    assert state["href"].endswith(("#basket-title", "/basket/")), state
    page.keyboard.press("Enter")
    from_top = 2 + _tab_until(page, at_checkout, limit=3)
    assert from_product <= 5, from_product
    assert from_top <= 5, from_top

    if device == "phone":
        # Escape closes the menu and gives focus back to its button.
        page.goto(f"{base}/shop/")
        _tab_until(page, lambda s: s["tag"] == "SUMMARY", limit=10)
        page.keyboard.press("Enter")
        expect(page.locator("details.menu")).to_have_attribute("open", "")
        _press(page, "Tab")
        state = _press(page, "Escape")
        assert state["tag"] == "SUMMARY", state
        assert page.locator("details.menu[open]").count() == 0
        # Tabbing down the whole shop, nothing focused hides under the basket bar.
        page.goto(f"{base}/shop/")
        for _ in range(60):
            _press(page, "Tab")

    # Axe on the shop with a basket: no serious violation.
    page.goto(f"{base}/shop/")
    serious = [v for v in violations(page) if v["impact"] in ("serious", "critical")]
    assert serious == [], serious
    screenshot(page, f"keyboard-shop-{device}-{lang}")

    # 10. The basket, then confirm with a pickup point, all by keyboard.
    page.goto(f"{base}/shop/")
    _tab_until(page, lambda s: s["id"] == "header-basket", limit=12)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/basket/")
    expect(page.locator("h1")).to_have_count(1)
    _tab_until(page, at_checkout, limit=12)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/checkout/")
    checked_groups: set[str] = set()
    for _ in range(60):
        state = _press(page, "Tab")
        radio = state["tag"] == "INPUT" and state["name"] in ("pickup_point", "pickup_slot")
        if radio and state["name"] not in checked_groups:
            page.keyboard.press("Space")
            checked_groups.add(state["name"])
        if state["tag"] == "BUTTON" and state["text"] == words["checkout"]:
            break
    else:
        raise AssertionError("the confirm button was not reached")
    assert "pickup_point" in checked_groups
    page.keyboard.press("Enter")
    page.wait_for_url("**/my/orders/*/")
    order = Order.objects.get(customer__email=EMAIL, window_id=window_id)
    assert order.status == Order.Status.CONFIRMED
    # The one refusal (step 6) is the only resource that failed to load.
    assert [e for e in errors if "status of 422" not in e] == [], errors
    context.close()
