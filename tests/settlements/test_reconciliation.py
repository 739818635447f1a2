"""Settling a week: money in equals money out to the cent, whatever the week holds; the
rounding of margins and taxes; refusals while money is not final; settling twice."""

import io
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import F, Sum
from django.utils import timezone, translation
from pypdf import PdfReader

from farms.models import TaxClass
from orders import pricing
from orders.models import CoopSettings, Order, OrderLine, Payment
from settlements import selectors, services
from settlements.models import FarmStatement, Settlement, WriteOff
from tests import factories

from . import builders
from .builders import names

pytestmark = pytest.mark.django_db

ZERO = Decimal("0.00")


def test_a_week_of_1000_orders_reconciles_to_the_cent() -> None:
    """1,000 orders: cancelled (some refunded in full), card captured with shortages
    refunded (some in two payments), cash at pickup, unpaid ones written off. Money in =
    net due to the farms + margins + taxes, to the cent, and every figure can be
    recomputed from the orders independently."""
    week = builders.generated_week(orders=1000)
    assert week.unpaid
    assert week.kinds["cancelled"]
    assert week.kinds["cash"]
    coordinator = factories.coordinator()
    now = timezone.now()
    refused = services.SettlementError
    with pytest.raises(refused) as error:
        services.settle_window(window_id=week.window.pk, by=coordinator, now=now)
    assert len(error.value.reasons) == len(week.unpaid)  # each unpaid order, by number
    assert all(names(pk, " ".join(error.value.reasons)) for pk in week.unpaid[:5])
    for order_id in week.unpaid:
        services.write_off_order(order_id=order_id, by=coordinator, reason="Pas venu", now=now)

    settled = services.settle_window(window_id=week.window.pk, by=coordinator, now=now)

    s = settled.settlement
    assert settled.created
    # The identity, to the cent.
    assert s.money_in == s.net_due + s.margin + s.tps + s.tvq
    assert s.money_in == s.card_captured + s.cash_collected - s.refunded
    assert s.money_in > 1000
    # Money in, recomputed from the payments.
    paid = Payment.objects.filter(
        order__window=week.window, status__in=("captured", "collected")
    ).aggregate(captured=Sum("amount_captured"), refunded=Sum("amount_refunded"))
    assert s.money_in == pricing.to_cent(paid["captured"] - paid["refunded"])
    # Money out, recomputed from the lines of the orders counted.
    gross: dict[int, Decimal] = defaultdict(Decimal)
    taxes = ZERO
    counted = Order.objects.filter(
        window=week.window, status__in=builders.OWING, write_off__isnull=True
    )
    by_order: dict[int, list[tuple[Decimal, int, str, int]]] = defaultdict(list)
    for order_id, price, qty, short, tax, farm_id in OrderLine.objects.filter(
        order__in=counted
    ).values_list(
        "order_id", "unit_price", "quantity", "shortage", "tax_class", "offer__product__farm_id"
    ):
        by_order[order_id].append((price, qty - short, tax, farm_id))
        gross[farm_id] += price * (qty - short)
    for order_lines in by_order.values():
        t = pricing.totals((p, q, tax) for p, q, tax, _farm in order_lines)
        taxes += t.tps + t.tvq
    assert s.tps + s.tvq == taxes
    assert s.orders_counted == len(by_order)
    assert s.orders_written_off == len(week.unpaid)
    statements = {st.farm_id: st for st in FarmStatement.objects.filter(settlement=s)}
    assert set(statements) == {f.pk for f in week.farms}
    coop_rate = CoopSettings.load().margin_percent
    for farm in week.farms:
        st = statements[farm.pk]
        rate = coop_rate if farm.margin_percent is None else farm.margin_percent
        assert st.gross == gross[farm.pk]
        assert st.margin_rate == rate
        assert st.margin == pricing.to_cent(gross[farm.pk] * rate / 100)
        assert st.net_due == st.gross - st.margin
        assert st.pdf.name
        assert st.csv.name
    assert sum(st.net_due for st in statements.values()) == s.net_due
    assert sum(st.margin for st in statements.values()) == s.margin
    # The farms' shares of the taxes add up exactly to the co-op's total.
    assert sum(st.tps for st in statements.values()) == s.tps
    assert sum(st.tvq for st in statements.values()) == s.tvq


def _week_with(lines: list[tuple[str, int, str]], *, rate: Decimal | None = None):  # type: ignore[no-untyped-def]
    """One paid card order of (price, quantity, tax class) lines from one farm."""
    window = builders.closed_window()
    farm = factories.farm(margin_percent=rate)
    order = factories.order(window_=window, status=Order.Status.PICKED_UP)
    for price, quantity, tax in lines:
        product = factories.product(farm_=farm, price=Decimal(price), tax_class=tax)
        builders.add_line(order, factories.offer(window_=window, product_=product), quantity)
    builders.pay_card(order, builders.owes(list(order.lines.all())))
    return window, farm, order


def test_ten_cents_and_twenty_cents_make_thirty() -> None:
    window, farm, _order = _week_with(
        [("0.10", 1, TaxClass.ZERO_RATED), ("0.20", 1, TaxClass.ZERO_RATED)]
    )
    s = services.settle_window(window_id=window.pk, by=None, now=timezone.now()).settlement
    st = s.statements.get()
    assert (st.gross, st.margin, st.net_due) == (
        Decimal("0.30"),
        Decimal("0.05"),  # 0.045, half up
        Decimal("0.25"),
    )
    assert s.money_in == Decimal("0.30") == s.money_out


def test_three_taxable_units_at_1_99() -> None:
    window, farm, _order = _week_with([("1.99", 3, TaxClass.TAXABLE)])
    s = services.settle_window(window_id=window.pk, by=None, now=timezone.now()).settlement
    st = s.statements.get()
    assert st.gross == Decimal("5.97")
    assert (st.tps, st.tvq) == (Decimal("0.30"), Decimal("0.60"))  # 0.2985 and 0.5955075
    assert st.margin == Decimal("0.90")  # 0.8955
    assert st.net_due == Decimal("5.07")
    assert s.money_in == Decimal("6.87") == s.net_due + s.margin + s.tps + s.tvq


@pytest.mark.parametrize(
    ("gross", "rate", "margin"),
    [
        ("0.03", "15.00", "0.00"),  # 0.0045
        ("0.07", "15.00", "0.01"),  # 0.0105
        ("0.10", "15.00", "0.02"),  # 0.015, half up
        ("10.01", "15.00", "1.50"),  # 1.5015
        ("33.33", "12.50", "4.17"),  # 4.16625
        ("99.99", "0.00", "0.00"),
        ("0.01", "100.00", "0.01"),
    ],
)
def test_margin_rounds_half_up_to_the_cent(gross: str, rate: str, margin: str) -> None:
    account = selectors.FarmAccount(farm=factories.farm(), rate=Decimal(rate))
    account.gross = Decimal(gross)
    assert account.margin == Decimal(margin)
    assert account.net_due + account.margin == account.gross


def test_a_farm_rate_overrides_the_coops() -> None:
    window, farm, _order = _week_with([("10.00", 1, TaxClass.ZERO_RATED)], rate=Decimal("8.00"))
    st = services.settle_window(window_id=window.pk, by=None, now=timezone.now()).settlement
    assert st.statements.get().margin == Decimal("0.80")


@pytest.mark.parametrize(
    ("total", "weights", "parts"),
    [
        (15, {1: 100, 2: 200}, {1: 5, 2: 10}),
        (1, {1: 100, 2: 100}, {1: 1, 2: 0}),  # a tie: the lower id
        (10, {1: 1, 2: 1, 3: 1}, {1: 4, 2: 3, 3: 3}),
        (30, {7: 101, 3: 102}, {7: 15, 3: 15}),
    ],
)
def test_taxes_split_among_farms_add_up(total: int, weights: dict, parts: dict) -> None:  # type: ignore[type-arg]
    assert selectors._allocate(total, weights) == parts
    assert sum(parts.values()) == total


def test_taxes_of_one_order_across_two_farms_add_up() -> None:
    window = builders.closed_window()
    order = factories.order(window_=window, status=Order.Status.PICKED_UP)
    farms = [factories.farm(), factories.farm()]
    for farm, price in zip(farms, ("1.01", "1.02"), strict=True):
        product = factories.product(farm_=farm, price=Decimal(price), tax_class=TaxClass.TAXABLE)
        builders.add_line(order, factories.offer(window_=window, product_=product), 1)
    builders.pay_cash(order, builders.owes(list(order.lines.all())))
    s = services.settle_window(window_id=window.pk, by=None, now=timezone.now()).settlement
    assert s.tps == Decimal("0.10")  # 2.03 × 5 % = 0.1015
    assert sum(st.tps for st in s.statements.all()) == s.tps
    assert sum(st.tvq for st in s.statements.all()) == s.tvq == Decimal("0.20")


def test_settling_is_refused_while_a_payment_is_in_flight() -> None:
    window, farm, order = _week_with([("5.00", 2, TaxClass.ZERO_RATED)])
    Payment.objects.filter(order=order).update(
        status=Payment.Status.CAPTURING, amount_captured=ZERO
    )
    with pytest.raises(services.SettlementError) as error, translation.override("en"):
        services.settle_window(window_id=window.pk, by=None, now=timezone.now())
    assert error.value.reasons == [
        f"Order #{order.pk}: a payment is in progress ($0.00 received of $10.00 owed)."
    ]
    assert not Settlement.objects.exists()
    # And it cannot be written off while the card is being charged.
    with pytest.raises(services.SettlementError):
        services.write_off_order(
            order_id=order.pk, by=factories.coordinator(), reason="x", now=timezone.now()
        )


def test_settling_is_refused_before_pickup_day_and_while_open() -> None:
    window, farm, order = _week_with([("5.00", 1, TaxClass.ZERO_RATED)])
    window.pickup_date = timezone.localdate() + timedelta(days=1)
    window.save()
    with pytest.raises(services.SettlementError) as error, translation.override("en"):
        services.settle_window(window_id=window.pk, by=None, now=timezone.now())
    assert error.value.reasons == ["Pickup day has not come yet: settle on or after it."]
    window.status = "open"
    window.save()
    with pytest.raises(services.SettlementError):
        services.settle_window(window_id=window.pk, by=None, now=timezone.now())


def test_a_partly_paid_order_cannot_be_written_off() -> None:
    window, farm, order = _week_with([("5.00", 2, TaxClass.ZERO_RATED)])
    Payment.objects.filter(order=order).update(amount_captured=Decimal("4.00"))
    with pytest.raises(services.SettlementError) as error:
        services.write_off_order(
            order_id=order.pk, by=factories.coordinator(), reason="x", now=timezone.now()
        )
    assert names(order.pk, error.value.message)
    with pytest.raises(services.SettlementError) as settle_error:
        services.settle_window(window_id=window.pk, by=None, now=timezone.now())
    assert names(order.pk, settle_error.value.reasons[0])


def test_a_cancelled_order_still_holding_money_blocks() -> None:
    window, farm, order = _week_with([("5.00", 2, TaxClass.ZERO_RATED)])
    Order.objects.filter(pk=order.pk).update(status=Order.Status.CANCELLED)
    with pytest.raises(services.SettlementError) as error:
        services.settle_window(window_id=window.pk, by=None, now=timezone.now())
    assert names(order.pk, error.value.reasons[0])
    Payment.objects.filter(order=order).update(amount_refunded=F("amount_captured"))
    s = services.settle_window(window_id=window.pk, by=None, now=timezone.now()).settlement
    assert s.money_in == ZERO == s.money_out
    assert not s.statements.exists()


def test_settling_twice_gives_the_same_statements() -> None:
    week = builders.generated_week(orders=40, farms=4, seed=3)
    coordinator = factories.coordinator()
    for order_id in week.unpaid:
        services.write_off_order(order_id=order_id, by=coordinator, reason="x", now=timezone.now())
    first = services.settle_window(window_id=week.window.pk, by=coordinator, now=timezone.now())
    files = sorted(FarmStatement.objects.values_list("pdf", flat=True))
    second = services.settle_window(window_id=week.window.pk, by=coordinator, now=timezone.now())
    assert (first.created, second.created) == (True, False)
    assert second.settlement.pk == first.settlement.pk
    assert FarmStatement.objects.count() == 4
    assert sorted(FarmStatement.objects.values_list("pdf", flat=True)) == files
    # A settled week's orders can no longer be written off.
    order = Order.objects.filter(window=week.window, write_off__isnull=True).first()
    assert order is not None
    with pytest.raises(services.SettlementError):
        services.write_off_order(order_id=order.pk, by=coordinator, reason="x", now=timezone.now())
    assert WriteOff.objects.count() == len(week.unpaid)


def test_the_statement_pdf_and_csv_show_the_lines() -> None:
    window = builders.closed_window()
    farm = factories.farm(name="Ferme Tournesol", language="fr-ca")
    carrots = factories.product(farm_=farm, name="Carottes nantaises", price=Decimal("3.50"))
    soap = factories.product(
        farm_=farm, name="Savon au miel", price=Decimal("7.00"), tax_class=TaxClass.TAXABLE
    )
    paid = factories.order(window_=window, status=Order.Status.PICKED_UP)
    builders.add_line(paid, factories.offer(window_=window, product_=carrots), 4, shortage=1)
    builders.add_line(paid, factories.offer(window_=window, product_=soap), 1)
    builders.pay_cash(paid, builders.owes(list(paid.lines.all())))
    absent = factories.order(window_=window, status=Order.Status.NOT_COLLECTED)
    builders.add_line(absent, carrots.offers.get(), 2)
    coordinator = factories.coordinator()
    services.write_off_order(order_id=absent.pk, by=coordinator, reason="x", now=timezone.now())
    s = services.settle_window(window_id=window.pk, by=coordinator, now=timezone.now())
    st = s.settlement.statements.get()
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(st.pdf.read())).pages)
    assert "Ferme Tournesol" in text
    assert "3 × Carottes nantaises" in text  # 4 ordered, 1 short
    assert "1 × Savon au miel" in text
    assert "17,50" in text  # gross: 10.50 + 7.00
    assert "2,63" in text  # margin 15 % of 17.50 = 2.625, half up
    assert "14,87" in text  # net due
    assert names(absent.pk, text)  # unpaid, not counted
    rows = st.csv.read().decode("utf-8-sig").splitlines()
    assert rows[0].count(",") == 5  # section, product, unit, units, unit price, amount
    assert any("Carottes nantaises" in r and ",3,3.50,10.50" in r for r in rows)
    assert any(r.endswith(",14.87") for r in rows)
