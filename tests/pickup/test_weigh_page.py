"""The packing pages where pieces sold by weight are weighed (#17): a farm's members see
their farm's pieces, coordinators every farm's; typed weights are saved all together
(PRG), a text that is no weight or a weight of 0 is refused with its reason (422) and
nothing saved, a weight far from its estimate asked again, a settled week refused (409);
the page's queries do not grow with its lines."""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import User
from farms.models import Farm, Product
from orders.models import Offer, Order, OrderLine, OrderWindow, UnitWeight
from tests import factories

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@dataclass
class Week:
    window: OrderWindow
    farm: Farm
    farmer: User
    chicken: Offer
    line: OrderLine  # 2 chickens, ≈ 1.8 kg each, for Marie
    other_line: OrderLine  # a duck of another farm


def _closed_window() -> OrderWindow:
    now = timezone.now()
    return factories.window(
        opens_at=now - timedelta(days=5),
        closes_at=now - timedelta(days=1),
        pickup_date=(now + timedelta(days=1)).date(),
        status=OrderWindow.Status.CLOSED,
    )


def _weighed_product(farm: Farm, name: str) -> Product:
    return factories.product(
        farm_=farm,
        name=name,
        unit="kg",
        price=Decimal("12.00"),
        estimated_weight=Decimal("1.800"),
    )


def _line(order: Order, offer: Offer, quantity: int) -> OrderLine:
    return OrderLine.objects.create(
        order=order,
        offer=offer,
        quantity=quantity,
        unit_price=offer.price,
        tax_class=offer.product.tax_class,
        unit_weight_estimate=offer.product.estimated_weight,
    )


@pytest.fixture
def week() -> Week:
    window = _closed_window()
    farm = factories.farm(name="Ferme Volaille")
    farmer = factories.farmer(farm_=farm)
    chicken = factories.offer(window_=window, product_=_weighed_product(farm, "Poulet entier"))
    duck = factories.offer(
        window_=window, product_=_weighed_product(factories.farm(name="Ferme Canard"), "Canard")
    )
    customer = factories.user(first_name="Marie", last_name="Tremblay")
    order = factories.order(window_=window, customer=customer, status=Order.Status.LOCKED)
    line = _line(order, chicken, 2)
    other = factories.order(window_=window, status=Order.Status.LOCKED)
    other_line = _line(other, duck, 1)
    return Week(window, farm, farmer, chicken, line, other_line)


def _farm_url(week: Week) -> str:
    return reverse("pickup:farm_weigh", args=[week.window.pk])


def _field(line: OrderLine, unit: int) -> str:
    return f"w-{line.pk}-{unit}"


def test_the_farmer_sees_only_their_farm_s_pieces(client, week) -> None:
    assert week.line.unit_weight_estimate == Decimal("1.800")
    client.force_login(week.farmer)
    response = client.get(_farm_url(week), **EN)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Weigh the pieces — week of" in page
    assert "Poulet entier" in page
    assert "Marie Tremblay" in page
    assert f"Order {week.line.order_id}" in page
    assert "Piece 1 of 2 (kg)" in page
    assert "Piece 2 of 2 (kg)" in page
    assert "≈ 1.800 kg a piece" in page
    assert f'name="{_field(week.line, 1)}"' in page
    assert 'inputmode="decimal"' in page
    assert f'<label for="{_field(week.line, 1)}">' in page
    assert "0 pieces weighed of 2" in page
    assert "Canard" not in page
    assert _field(week.other_line, 1) not in page


def test_the_coordinator_sees_every_farm_and_may_filter_one(client, week) -> None:
    client.force_login(factories.coordinator())
    url = reverse("pickup:coordinator_weigh", args=[week.window.pk])
    page = client.get(url, **EN).content.decode()
    assert "Poulet entier" in page
    assert "Canard" in page
    assert "Ferme Volaille" in page  # on the cards and in the filter
    assert "Ferme Canard" in page
    one = client.get(url, {"farm": week.farm.pk}, **EN).content.decode()
    assert _field(week.line, 1) in one
    assert _field(week.other_line, 1) not in one
    # The week's page links here once it is closed.
    week_page = client.get(reverse("pickup:coordinator_window", args=[week.window.pk]), **EN)
    assert url in week_page.content.decode()


def test_two_weights_are_saved_and_the_page_redirects(client, week) -> None:
    client.force_login(week.farmer)
    url = _farm_url(week)
    response = client.post(
        url, {_field(week.line, 1): "1,92", _field(week.line, 2): "1.75 kg"}, **EN
    )
    assert response.status_code == 302
    assert response["Location"] == url
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["2 weights saved."]
    week.line.refresh_from_db()
    assert week.line.weight == Decimal("3.670")
    assert sorted(UnitWeight.objects.values_list("unit", "kg")) == [
        (1, Decimal("1.920")),
        (2, Decimal("1.750")),
    ]
    page = client.get(url, **EN).content.decode()
    assert 'value="1.920"' in page
    assert "2 pieces weighed of 2" in page
    with translation.override("fr-ca"):
        french = client.get(url, HTTP_ACCEPT_LANGUAGE="fr-ca").content.decode()
    assert 'value="1,920"' in french


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("0", "A weight must be more than 0 kg (Poulet entier, piece 1)."),
        ("abc", "« abc » is not a weight: type it in kg, such as 1.92."),
    ],
)
def test_a_weight_of_zero_or_no_weight_is_refused_and_nothing_saved(
    client, week, typed, reason
) -> None:
    client.force_login(week.farmer)
    response = client.post(
        _farm_url(week), {_field(week.line, 1): typed, _field(week.line, 2): "1,75"}, **EN
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert 'class="error-summary" data-error-summary tabindex="-1" role="alert"' in page
    assert reason in page
    assert f'value="{typed}"' in page  # what was typed is kept
    assert 'value="1,75"' in page
    if typed == "abc":  # the field itself is marked, and says why
        field = _field(week.line, 1)
        assert f'aria-invalid="true" aria-describedby="{field}-error"' in page
        assert f'id="{field}-error"' in page
    assert not UnitWeight.objects.exists()
    week.line.refresh_from_db()
    assert week.line.weight is None


def test_a_weight_far_from_its_estimate_is_asked_again(client, week) -> None:
    client.force_login(week.farmer)
    data = {_field(week.line, 1): "6.2"}
    response = client.post(_farm_url(week), data, **EN)
    assert response.status_code == 200
    page = response.content.decode()
    assert (
        "6.200 kg for Poulet entier, piece 1: more than three times the estimate of 1.800 kg"
    ) in page
    assert 'name="confirm_far"' in page
    assert 'value="6.2"' in page
    assert not UnitWeight.objects.exists()

    response = client.post(_farm_url(week), {**data, "confirm_far": "1"}, **EN)
    assert response.status_code == 302
    assert UnitWeight.objects.get().kg == Decimal("6.200")


def test_the_french_page_asks_in_french(client, week) -> None:
    client.force_login(week.farmer)
    with translation.override("fr-ca"):
        response = client.post(
            _farm_url(week), {_field(week.line, 1): "6,2"}, HTTP_ACCEPT_LANGUAGE="fr-ca"
        )
    assert response.status_code == 200
    assert "6,200" in response.content.decode()
    assert "1,800" in response.content.decode()


def test_another_farm_s_line_posted_by_a_farmer_is_refused(client, week) -> None:
    client.force_login(week.farmer)
    response = client.post(
        _farm_url(week),
        {_field(week.line, 1): "1,92", _field(week.other_line, 1): "2,1"},
        **EN,
    )
    assert response.status_code == 422
    assert "This line is not one of this week&#x27;s pieces to weigh." in response.content.decode()
    assert not UnitWeight.objects.exists()


def test_a_settled_week_is_refused(client, week) -> None:
    OrderWindow.objects.filter(pk=week.window.pk).update(settled_at=timezone.now())
    client.force_login(week.farmer)
    response = client.post(_farm_url(week), {_field(week.line, 1): "1,92"}, **EN)
    assert response.status_code == 409
    assert "This week is settled with the farms" in response.content.decode()
    assert not UnitWeight.objects.exists()
    page = client.get(_farm_url(week), **EN).content.decode()
    assert "Save the weights" not in page
    assert " disabled>" in page


def test_a_week_not_closed_is_refused(client, week) -> None:
    OrderWindow.objects.filter(pk=week.window.pk).update(status=OrderWindow.Status.CLOSING)
    client.force_login(factories.coordinator())
    url = reverse("pickup:coordinator_weigh", args=[week.window.pk])
    response = client.post(url, {_field(week.line, 1): "1,92"}, **EN)
    assert response.status_code == 409
    assert "Pieces are weighed once the week is closed." in response.content.decode()
    assert not UnitWeight.objects.exists()


def test_a_form_that_changes_nothing_saves_nothing(client, week) -> None:
    client.force_login(week.farmer)
    url = _farm_url(week)
    assert client.post(url, {_field(week.line, 1): "1,92"}, **EN).status_code == 302
    entered = UnitWeight.objects.get().entered_at
    response = client.post(url, {_field(week.line, 1): "1.920", _field(week.line, 2): ""}, **EN)
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)][-1] == "No weight changed."
    assert UnitWeight.objects.get().entered_at == entered


def test_the_farm_home_links_to_the_week_to_weigh(client, week) -> None:
    client.force_login(week.farmer)
    page = client.get(reverse("orders:farm_home", args=[week.farm.slug]), **EN)
    link = f"{_farm_url(week)}?farm={week.farm.slug}"
    assert link in page.content.decode()
    other = factories.farmer(farm_=factories.farm())  # no piece to weigh: no link
    client.force_login(other)
    page = client.get(reverse("orders:farm_home", args=[other.farm_memberships.get().farm.slug]))
    assert "weigh" not in page.content.decode()


def _add_lines(week: Week, n: int) -> None:
    for _ in range(n):
        order = factories.order(window_=week.window, status=Order.Status.LOCKED)
        _line(order, week.chicken, 2)


def _queries(client, url: str) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("role", ["farmer", "coordinator"])
def test_the_page_s_queries_do_not_grow_with_its_lines(client, week, role) -> None:
    if role == "farmer":
        client.force_login(week.farmer)
        url = _farm_url(week)
    else:
        client.force_login(factories.coordinator())
        url = reverse("pickup:coordinator_weigh", args=[week.window.pk])
    _queries(client, url)  # the session and caches warmed
    few = _queries(client, url)
    _add_lines(week, 10)
    UnitWeight.objects.create(line=week.line, unit=1, kg=Decimal("1.9"))
    assert _queries(client, url) == few


# --- From a spreadsheet: the pieces downloaded, their weights uploaded -------------------


def _uploaded(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("pesees.csv", text.encode("utf-8-sig"), content_type="text/csv")


def test_the_pieces_download_as_a_spreadsheet_and_upload_with_their_weights(client, week) -> None:  # type: ignore[no-untyped-def]
    client.force_login(week.farmer)
    url = _farm_url(week)
    response = client.get(url + "?format=csv", **EN)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["line", "piece", "order", "customer", "product", "estimate_kg", "kg"]
    assert [row[:2] for row in rows[1:]] == [[str(week.line.pk), "1"], [str(week.line.pk), "2"]]
    assert rows[1][3:6] == ["Marie Tremblay", "Poulet entier", "1.800"]
    # A French spreadsheet saves with semicolons and decimal commas.
    sheet = "\n".join(
        ";".join(cell for cell in row[:6]) + ";" + kg
        for row, kg in zip(rows, ["kg", "1,92", "1,75"], strict=True)
    )
    response = client.post(url, {"csv": _uploaded(sheet)}, **EN)
    assert response.status_code == 302
    week.line.refresh_from_db()
    assert week.line.weight == Decimal("3.670")


def test_a_spreadsheet_with_a_bad_weight_saves_nothing_and_says_which(client, week) -> None:  # type: ignore[no-untyped-def]
    client.force_login(week.farmer)
    sheet = f"line,piece,kg\n{week.line.pk},1,1.9\n{week.line.pk},2,lourd\nnot-a-line,1,2\n"
    response = client.post(_farm_url(week), {"csv": _uploaded(sheet)}, **EN)
    assert response.status_code == 422
    page = response.content.decode()
    assert "« lourd » is not a weight" in page
    assert "Line 4 of the file names no piece to weigh." in page
    assert f'id="{_field(week.line, 1)}" name="{_field(week.line, 1)}" value="1.9"' in page
    assert not UnitWeight.objects.exists()
    missing = client.post(_farm_url(week), {"csv": _uploaded("product,kg\nx,1\n")}, **EN)
    assert missing.status_code == 422
    assert "missing: line, piece" in missing.content.decode()
