"""A refused form's error summary (#19, WCAG 3.3.1 and 2.4.3): the page comes back with
the summary marked `data-error-summary`, focusable by script (tabindex -1) and announced
(role alert), holding the error itself. static/js/coop.js focuses it on load."""

from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.core.cache import cache
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}


class _Summaries(HTMLParser):
    """The attributes and the text of every element carrying data-error-summary."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[dict[str, str | None], str]] = []
        self._open: list[tuple[dict[str, str | None], list[str]]] = []
        self._depth: list[int] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            return
        for i in range(len(self._depth)):
            self._depth[i] += 1
        if any(name == "data-error-summary" for name, _ in attrs):
            self._open.append((dict(attrs), []))
            self._depth.append(1)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        for i in range(len(self._depth)):
            self._depth[i] -= 1
        while self._depth and self._depth[-1] == 0:
            self._depth.pop()
            attrs, text = self._open.pop()
            self.found.append((attrs, " ".join("".join(text).split())))

    def handle_data(self, data: str) -> None:
        for _, text in self._open:
            text.append(data)


def summaries(html: str) -> list[tuple[dict[str, str | None], str]]:
    parser = _Summaries()
    parser.feed(html)
    parser.close()
    return parser.found


def _the_summary(html: str) -> str:
    found = summaries(html)
    assert len(found) == 1, found
    attrs, text = found[0]
    assert attrs.get("role") == "alert"
    assert attrs.get("tabindex") == "-1"
    return text


def test_a_wrong_password_is_a_summary_that_takes_the_focus(client) -> None:
    cache.clear()  # the login rate limit
    user = factories.user()
    response = client.post(
        reverse("account_login"),
        {"login": user.email, "password": "not-the-password"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    html = response.content.decode()
    text = _the_summary(html)
    assert "The email address and/or password you specified are not correct." in text
    assert html.count("you specified are not correct") == 1  # said once, in the summary
    # The fields are still drawn as allauth's as_p drew them.
    assert 'name="login"' in html
    assert 'name="password"' in html
    assert 'for="id_login"' in html
    assert 'for="id_password"' in html


def test_the_login_page_has_no_summary_before_an_error(client) -> None:
    response = client.get(reverse("account_login"))
    assert response.status_code == 200
    assert summaries(response.content.decode()) == []


def test_a_refused_stock_grid_save_is_a_summary_that_takes_the_focus(client) -> None:
    farm = factories.farm()
    farmer = factories.farmer(farm_=farm)
    window = factories.window(open_now=False)
    carrots = factories.product(farm_=farm, name="Carottes", price=Decimal("3.50"))
    client.force_login(farmer)
    response = client.post(
        reverse("orders:stock_grid", args=[farm.slug, window.pk]),
        {f"q-{carrots.pk}": "douze", f"p-{carrots.pk}": "3,50"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422
    text = _the_summary(response.content.decode())
    assert "1 row needs attention: see the message on the row." in text


def test_a_refused_product_form_is_a_summary_that_takes_the_focus(client) -> None:
    farm = factories.farm()
    client.force_login(factories.farmer(farm_=farm))
    response = client.post(
        reverse("farms:product_create", args=[farm.slug]), {}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code in (200, 400, 422)
    text = _the_summary(response.content.decode())
    assert "Please correct the" in text
