"""The settlement pages: the coordinator settles a week, writes an order off, downloads
the payout file and marks payouts paid; farmers see their farm's statements only;
reports over a period; the page's queries do not grow with the orders."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from farms.models import Farm
from orders.models import CoopSettings, Order, OrderLine, OrderWindow, Payment
from settlements import documents, services
from settlements.models import FarmStatement, Settlement, WriteOff
from tests import factories

from . import builders
from .builders import names

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _settled_week(days_ago: int = 4) -> tuple[OrderWindow, Farm, Farm, Settlement]:
    """Farms X and Y each sold in a week, settled."""
    window = builders.closed_window(days_ago=days_ago)
    farm_x = factories.farm(name="Ferme X")
    farm_y = factories.farm(name="Ferme Y")
    order = factories.order(window_=window, status=Order.Status.PICKED_UP)
    for farm, price in ((farm_x, "4.00"), (farm_y, "6.00")):
        product = factories.product(farm_=farm, price=Decimal(price))
        builders.add_line(order, factories.offer(window_=window, product_=product), 2)
    builders.pay_cash(order, builders.owes(list(order.lines.all())))
    settled = services.settle_window(window_id=window.pk, by=None, now=timezone.now())
    return window, farm_x, farm_y, settled.settlement


def test_the_coordinator_writes_off_settles_and_pays() -> None:
    window = builders.closed_window()
    farm = factories.farm(name="Ferme des Pins")
    product = factories.product(farm_=farm, name="Radis", price=Decimal("3.00"))
    offer = factories.offer(window_=window, product_=product)
    paid = factories.order(window_=window, status=Order.Status.PICKED_UP)
    builders.add_line(paid, offer, 3)
    builders.pay_cash(paid, Decimal("9.00"))
    absent = factories.order(window_=window, status=Order.Status.NOT_COLLECTED)
    builders.add_line(absent, offer, 1)
    coordinator = _client(factories.coordinator())
    page = reverse("settlements:window", args=[window.pk])

    response = coordinator.get(page)
    assert response.status_code == 200
    assert names(absent.pk, response.text)
    assert reverse("settlements:write_off", args=[absent.pk]) in response.text

    # Settling now is refused, naming the unpaid order.
    response = coordinator.post(reverse("settlements:settle", args=[window.pk]))
    assert response.status_code == 409
    assert names(absent.pk, response.text)
    assert not Settlement.objects.exists()

    # A write-off without a reason is refused; with one it is recorded.
    response = coordinator.post(reverse("settlements:write_off", args=[absent.pk]), {"reason": ""})
    assert response.status_code == 422
    response = coordinator.post(
        reverse("settlements:write_off", args=[absent.pk]), {"reason": "Pas venu"}
    )
    assert response.status_code == 302
    assert WriteOff.objects.get().order_id == absent.pk

    response = coordinator.post(reverse("settlements:settle", args=[window.pk]))
    assert response.status_code == 302
    settlement = Settlement.objects.get(window=window)
    assert settlement.money_in == Decimal("9.00") == settlement.money_out
    statement = settlement.statements.get()
    assert (statement.gross, statement.margin, statement.net_due) == (
        Decimal("9.00"),
        Decimal("1.35"),
        Decimal("7.65"),
    )
    response = coordinator.get(page)
    assert 'data-testid="difference">0,00' in response.text
    assert "Pas venu" in response.text

    # The payout file, then the payout marked paid.
    response = coordinator.get(reverse("settlements:payouts_csv", args=[window.pk]))
    assert response.status_code == 200
    body = response.content
    assert not body.startswith(b"\xef\xbb\xbf")  # no BOM: banks' importers choke on it
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8"))))
    assert rows == [
        {
            "pickup_date": window.pickup_date.isoformat(),
            "farm_id": str(farm.pk),
            "farm": "Ferme des Pins",
            "gross": "9.00",
            "margin_rate": "15.00",
            "margin": "1.35",
            "net_due": "7.65",
            "currency": "CAD",
            "paid_on": "",
            "reference": "",
        }
    ]
    paid_url = reverse("settlements:payout_paid", args=[statement.pk])
    today = timezone.localdate()
    response = coordinator.post(paid_url, {"paid_on": today.isoformat(), "reference": "VIR-42"})
    assert response.status_code == 302
    statement.refresh_from_db()
    assert (statement.paid_on, statement.payout_reference) == (today, "VIR-42")
    rows = list(
        csv.DictReader(
            io.StringIO(coordinator.get(reverse("settlements:payouts_csv", args=[window.pk])).text)
        )
    )
    assert (rows[0]["paid_on"], rows[0]["reference"]) == (today.isoformat(), "VIR-42")


@pytest.mark.parametrize(
    "data",
    [
        {"paid_on": "not a date", "reference": "VIR-1"},
        {"paid_on": "2024-02-30", "reference": "VIR-1"},
        {"paid_on": "", "reference": "VIR-1"},
        {"reference": "VIR-1"},
        {"paid_on": "TODAY", "reference": ""},
        {"paid_on": "TODAY", "reference": "x" * 101},
        {"paid_on": "TOMORROW", "reference": "VIR-1"},
        {"paid_on": "1999-01-01", "reference": "VIR-1"},
    ],
)
def test_a_bad_payout_is_refused_with_a_message(data: dict[str, str]) -> None:
    window, farm_x, _farm_y, settlement = _settled_week()
    statement = settlement.statements.get(farm=farm_x)
    days = {"TODAY": 0, "TOMORROW": 1}
    if data.get("paid_on") in days:
        data = {
            **data,
            "paid_on": (timezone.localdate() + timedelta(days=days[data["paid_on"]])).isoformat(),
        }
    response = _client(factories.coordinator()).post(
        reverse("settlements:payout_paid", args=[statement.pk]), data
    )
    assert response.status_code == 422
    assert 'class="row-error"' in response.text
    statement.refresh_from_db()
    assert statement.paid_on is None


def test_farmers_see_their_farms_statements_only() -> None:
    window, farm_x, farm_y, settlement = _settled_week()
    x = settlement.statements.get(farm=farm_x)
    y = settlement.statements.get(farm=farm_y)
    farmer_x = _client(factories.farmer(farm_=farm_x))

    listing = farmer_x.get(reverse("settlements:farm_statements", args=[farm_x.slug]))
    assert listing.status_code == 200
    assert reverse("settlements:farm_statement", args=[farm_x.slug, x.pk, "pdf"]) in listing.text
    assert f"/{y.pk}.pdf" not in listing.text

    pdf = farmer_x.get(reverse("settlements:farm_statement", args=[farm_x.slug, x.pk, "pdf"]))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]
    # Farm Y's statement: 404 through Y's portal, and through X's with Y's id.
    for slug, pk in ((farm_y.slug, y.pk), (farm_x.slug, y.pk)):
        url = reverse("settlements:farm_statement", args=[slug, pk, "pdf"])
        assert farmer_x.get(url).status_code == 404
    assert (
        farmer_x.get(reverse("settlements:farm_statements", args=[farm_y.slug])).status_code == 404
    )
    assert (
        farmer_x.get(
            reverse("settlements:farm_statement", args=[farm_x.slug, x.pk, "xls"])
        ).status_code
        == 404
    )
    # Coordinators see every farm's; customers none.
    coordinator = _client(factories.coordinator())
    url = reverse("settlements:farm_statement", args=[farm_y.slug, y.pk, "csv"])
    assert coordinator.get(url).status_code == 200
    assert _client(factories.user()).get(url).status_code == 404
    # The coordinator's pages are not the farmer's.
    for name in ("settlements:window", "settlements:payouts_csv"):
        assert farmer_x.get(reverse(name, args=[window.pk])).status_code == 403


def test_reports_by_month_and_by_week() -> None:
    today = timezone.localdate()
    _w1, farm_x, farm_y, s1 = _settled_week(days_ago=4)
    # A second week, five weeks earlier, for farm X only.
    earlier = builders.closed_window(days_ago=39)
    order = factories.order(window_=earlier, status=Order.Status.PICKED_UP)
    product = factories.product(farm_=farm_x, price=Decimal("2.50"))
    builders.add_line(order, factories.offer(window_=earlier, product_=product), 4)
    builders.pay_card(order, Decimal("10.00"))
    services.settle_window(window_id=earlier.pk, by=None, now=timezone.now())
    unsettled = builders.closed_window(days_ago=11)

    coordinator = _client(factories.coordinator())
    start = (today - timedelta(days=60)).isoformat()
    query = {"start": start, "end": today.isoformat(), "by": "week"}
    response = coordinator.get(reverse("settlements:reports"), query)
    assert response.status_code == 200
    assert reverse("settlements:window", args=[unsettled.pk]) in response.text
    weekly = coordinator.get(reverse("settlements:reports_csv"), query)
    rows = list(csv.reader(io.StringIO(weekly.content.decode("utf-8-sig"))))
    assert len(rows) == 1 + 3 + 2  # the header; X, Y and the co-op; then X and the co-op
    monthly = coordinator.get(reverse("settlements:reports_csv"), {**query, "by": "month"})
    rows = list(csv.reader(io.StringIO(monthly.content.decode("utf-8-sig"))))[1:]
    coop_rows = [r for r in rows if r[1] not in ("Ferme X", "Ferme Y")]
    assert sum(Decimal(r[3]) for r in coop_rows) == Decimal("30.00")  # 8 + 12 + 10
    assert sum(Decimal(r[7]) for r in coop_rows) == s1.net_due + Decimal("8.50")
    assert all(date.fromisoformat(r[0]).day == 1 for r in rows)


@pytest.mark.parametrize(
    "query",
    [
        {"start": "2026-05-01", "end": "2026-04-01", "by": "month"},
        {"start": "2020-01-01", "end": "2026-01-01", "by": "month"},
        {"start": "yesterday", "end": "2026-04-01", "by": "month"},
        {"start": "2026-01-01", "end": "2026-04-01", "by": "year"},
        {"start": "99999-01-01", "end": "2026-04-01", "by": "week"},
    ],
)
def test_a_bad_report_period_is_a_400_with_a_message(query: dict[str, str]) -> None:
    coordinator = _client(factories.coordinator())
    for name in ("settlements:reports", "settlements:reports_csv"):
        response = coordinator.get(reverse(name), query)
        assert response.status_code == 400
        assert 'class="error-summary"' in response.text


def test_the_settlement_page_queries_do_not_grow_with_orders() -> None:
    """The same number of queries for 10 orders as for 150, before and after settling."""
    user = factories.coordinator()
    coordinator = _client(user)
    CoopSettings.load()  # created once, not by the first page

    def queries(orders: int, seed: int) -> tuple[int, int]:
        week = builders.generated_week(orders=orders, farms=4, seed=seed)
        url = reverse("settlements:window", args=[week.window.pk])
        with CaptureQueriesContext(connection) as before:
            assert coordinator.get(url).status_code == 200
        for order_id in week.unpaid:
            services.write_off_order(order_id=order_id, by=user, reason="x", now=timezone.now())
        services.settle_window(window_id=week.window.pk, by=None, now=timezone.now())
        with CaptureQueriesContext(connection) as after:
            assert coordinator.get(url).status_code == 200
        return len(before), len(after)

    small, large = queries(10, seed=1), queries(150, seed=2)
    assert small == large
    assert max(large) <= 15


def test_the_demo_has_a_settled_week_a_farmer_can_download() -> None:
    call_command("seed_demo", farms=6, customers=5, orders=5, stdout=StringIO())
    settlement = Settlement.objects.get()
    assert settlement.money_in == settlement.money_out
    assert settlement.orders_written_off == 1
    farmer = User.objects.get(email="ferme@demo.coop")
    farm = Farm.objects.filter(members__user=farmer).order_by("pk").first()
    assert farm is not None
    statement = FarmStatement.objects.get(farm=farm)
    client = _client(farmer)
    listing = client.get(reverse("settlements:farm_statements", args=[farm.slug]))
    url = reverse("settlements:farm_statement", args=[farm.slug, statement.pk, "pdf"])
    assert url in listing.text
    assert client.get(url).status_code == 200
    coordinator = _client(User.objects.get(email="coordination@demo.coop"))
    payouts = coordinator.get(reverse("settlements:payouts_csv", args=[settlement.window_id]))
    assert payouts.status_code == 200
    assert len(payouts.text.splitlines()) == 1 + settlement.statements.count()


def test_a_farm_with_nothing_due_gets_a_statement_but_no_payout_line() -> None:
    """Its only sale was written off: the statement lists the unpaid order; the payout
    file has no 0.00 transfer for it, and it cannot be marked paid."""
    window = builders.closed_window()
    farm = factories.farm(name="Ferme Vide")
    order = factories.order(window_=window, status=Order.Status.NOT_COLLECTED)
    builders.add_line(order, factories.offer(window_=window), 1)  # another farm's product
    offer = factories.offer(window_=window, product_=factories.product(farm_=farm))
    builders.add_line(order, offer, 2)
    user = factories.coordinator()
    services.write_off_order(order_id=order.pk, by=user, reason="Absent", now=timezone.now())
    settlement = services.settle_window(window_id=window.pk, by=user, now=timezone.now())
    statement = settlement.settlement.statements.get(farm=farm)
    assert statement.net_due == Decimal("0.00")
    payouts = _client(user).get(reverse("settlements:payouts_csv", args=[window.pk]))
    assert payouts.text.splitlines() == [",".join(documents.PAYOUT_COLUMNS)]
    with pytest.raises(services.SettlementError):
        services.mark_payout_paid(
            statement_id=statement.pk,
            paid_on=timezone.localdate(),
            reference="VIR-1",
            by=user,
            now=timezone.now(),
        )


def test_a_settled_week_refuses_every_change_of_money() -> None:
    """Once settled, the statements are final: no cash, no cancellation and refund, no
    shortage; the week's page says so instead of offering them."""
    window, _farm_x, _farm_y, _settlement = _settled_week()
    window.refresh_from_db()
    assert window.settled_at is not None
    order = Order.objects.get(window=window)
    offer = order.lines.first().offer  # type: ignore[union-attr]
    coordinator = _client(factories.coordinator())
    page = coordinator.get(reverse("pickup:coordinator_window", args=[window.pk])).text
    assert reverse("pickup:coordinator_cancel_order", args=[order.pk]) not in page
    assert reverse("pickup:coordinator_shortage", args=[window.pk]) not in page
    before = (list(Order.objects.values_list("pk", "status")), Payment.objects.count())
    coordinator.post(reverse("pickup:coordinator_cancel_order", args=[order.pk]))
    coordinator.post(
        reverse("pickup:coordinator_shortage", args=[window.pk]), {"offer": offer.pk, "units": "1"}
    )
    coordinator.post(reverse("payments:coordinator_cash", args=[order.pk]))
    assert (list(Order.objects.values_list("pk", "status")), Payment.objects.count()) == before
    assert not OrderLine.objects.filter(order=order, shortage__gt=0).exists()


def test_the_coordinator_gives_farms_their_own_margin() -> None:
    pins = factories.farm(name="Ferme des Pins")
    saule = factories.farm(name="Ferme du Saule", margin_percent=Decimal("10.00"))
    coordinator = _client(factories.coordinator())
    url = reverse("settlements:margins")
    page = coordinator.get(url)
    assert page.status_code == 200
    assert 'value="10,00"' in page.text  # French: the page's language
    response = coordinator.post(url, {f"m-{pins.pk}": "12,5", f"m-{saule.pk}": ""})
    assert response.status_code == 302
    pins.refresh_from_db()
    saule.refresh_from_db()
    assert pins.margin_percent == Decimal("12.50")
    assert saule.margin_percent is None  # back to the co-op's rate
    # A partial request leaves the farms it does not name alone.
    coordinator.post(url, {f"m-{saule.pk}": "8"})
    pins.refresh_from_db()
    assert pins.margin_percent == Decimal("12.50")


@pytest.mark.parametrize("value", ["-1", "100.01", "abc", "1e309", "NaN", "12.345", "9" * 40])
def test_a_bad_margin_is_refused_with_a_message(value: str) -> None:
    pins = factories.farm(name="Ferme des Pins", margin_percent=Decimal("10.00"))
    coordinator = _client(factories.coordinator())
    response = coordinator.post(
        reverse("settlements:margins"), {f"m-{pins.pk}": value}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 422
    assert 'role="alert"' in response.text
    pins.refresh_from_db()
    assert pins.margin_percent == Decimal("10.00")


def test_csv_cells_that_look_like_formulas_are_neutralized() -> None:
    window, farm_x, _farm_y, _settlement = _settled_week()
    # Renamed after settling: the payout file reads the farm's current name.
    Farm.objects.filter(pk=farm_x.pk).update(name='=HYPERLINK("http://evil.example","X")')
    coordinator = _client(factories.coordinator())
    body = coordinator.get(reverse("settlements:payouts_csv", args=[window.pk])).content.decode()
    rows = list(csv.reader(io.StringIO(body)))
    names = [row[2] for row in rows[1:]]
    assert '\'=HYPERLINK("http://evil.example","X")' in names
    assert all(not name.startswith("=") for name in names)
    assert rows[1][6][0].isdigit()  # amounts stay numbers


def test_two_farms_with_one_name_stay_two_rows_in_the_report() -> None:
    window, farm_x, farm_y, _settlement = _settled_week()
    Farm.objects.filter(pk=farm_y.pk).update(name=farm_x.name)
    coordinator = _client(factories.coordinator())
    day = window.pickup_date.isoformat()
    body = coordinator.get(
        reverse("settlements:reports_csv"), {"start": day, "end": day, "by": "week"}
    ).content.decode("utf-8-sig")
    rows = [row for row in csv.reader(io.StringIO(body)) if farm_x.name in row]
    assert len(rows) == 2
