"""Reads of the week's money and of the sales reports, in a fixed number of queries.

`window_accounts` is the heart of settling: for one window it reads every order, its
lines and its payments (six queries whatever the number of orders) and works out, in
Decimal, what each order owes, what came in, which orders block settling and why, and
each farm's gross, margin, taxes and net due. Settling writes what it computes; the
settlement page shows it.

The rules (README, "Rules we chose"):

- an order of a closed window owes `payments.ledger.delivered_totals` of what it received (units
  ordered less units short) if it is to pick up, picked up or not collected; a
  cancelled order owes nothing;
- what came in for an order is the sum over its payments of captured − refunded;
- an order is *counted* when what came in equals what it owes; it is *written off*
  when a coordinator said so (and then nothing may have come in); anything else
  blocks settling, and the reason names the order;
- a farm's gross is the sum of its counted lines; margin = gross × rate / 100,
  rounded half up to the cent; net due = gross − margin;
- each counted order's TPS and TVQ go once into the week's taxes; on statements they
  are split among the order's farms by taxable amount, largest remainder first, so
  the farms' shares add up to the cent.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _

from common.money import format_money
from farms.models import Farm, TaxClass, Unit
from orders import pricing
from orders.models import (
    CoopSettings,
    CreditEntry,
    Order,
    OrderLine,
    OrderWindow,
    Payment,
    Refund,
)
from payments import ledger

from .models import FarmStatement, Settlement, WriteOff

ZERO = Decimal("0.00")
IN_FLIGHT = (
    Payment.Status.PENDING,
    Payment.Status.AUTHORIZED,
    Payment.Status.CAPTURING,
    Payment.Status.ACTION_REQUIRED,
    Payment.Status.PROCESSING,
    Payment.Status.REVIEW,
)
# Card money may still move while a payment is in one of these: no write-off then.
MONEY_MOVING = (
    Payment.Status.PENDING,
    Payment.Status.AUTHORIZED,
    Payment.Status.CAPTURING,
    Payment.Status.PROCESSING,
    Payment.Status.REVIEW,
)


@dataclass(slots=True)
class LineRow:
    farm_id: int
    product: str
    unit: str  # see unit_label
    unit_price: Decimal
    tax_class: str
    quantity: int
    shortage: int
    estimate: Decimal | None = None  # kg per unit, for a product sold by weight
    weight: Decimal | None = None  # what its delivered units weighed, once weighed
    deposit: Decimal = ZERO  # per unit, on a returnable container (not the farm's)

    @property
    def delivered(self) -> int:
        return self.quantity - self.shortage

    @property
    def kg(self) -> Decimal | None:
        return pricing.kg(estimate=self.estimate, weight=self.weight, delivered=self.delivered)

    @property
    def amount(self) -> Decimal:
        return pricing.line_amount(unit_price=self.unit_price, quantity=self.delivered, kg=self.kg)

    @property
    def short_amount(self) -> Decimal:
        """What the units short would have come to (at the estimate, if weighed)."""
        return pricing.line_amount(
            unit_price=self.unit_price,
            quantity=self.shortage,
            kg=pricing.kg(estimate=self.estimate, weight=None, delivered=self.shortage),
        )


@dataclass(slots=True)
class OrderMoney:
    """One order of the window and its money."""

    order_id: int
    customer: str
    status: str
    status_label: str
    lines: list[LineRow] = field(default_factory=list)
    card: Decimal = ZERO
    cash: Decimal = ZERO
    refunded: Decimal = ZERO  # given back in money (card refunds, by hand)
    credit_used: Decimal = ZERO  # paid from store credit, after what went back to it
    credit_issued: Decimal = ZERO  # money received given back as store credit
    in_flight: bool = False
    money_moving: bool = False
    refund_pending: bool = False
    write_off: WriteOff | None = None
    totals: pricing.Totals | None = None

    @property
    def owes(self) -> Decimal:
        if self.status not in Order.CLOSED_STATUSES or self.totals is None:
            return ZERO
        return self.totals.total

    @property
    def money_in(self) -> Decimal:
        """What pays for the order: money in, and store credit used, less what went
        back (in money or as credit)."""
        return self.card + self.cash - self.refunded + self.credit_used - self.credit_issued

    @property
    def counted(self) -> bool:
        return (
            self.status in Order.CLOSED_STATUSES
            and self.write_off is None
            and self.money_in == self.owes
        )

    @property
    def problem(self) -> str:
        """Why this order blocks settling, or ""."""
        number = self.order_id
        if self.counted:
            return ""
        received, owed = format_money(self.money_in), format_money(self.owes)
        if self.status in (Order.Status.BASKET, Order.Status.CONFIRMED):
            return _("Order #%(number)s is still “%(status)s”: the closing has not finished.") % {
                "number": number,
                "status": self.status_label,
            }
        if self.status == Order.Status.CANCELLED:
            if self.money_in:
                return _("Cancelled order #%(number)s still holds %(received)s: refund it.") % {
                    "number": number,
                    "received": received,
                }
            return ""
        if self.write_off is not None:
            if self.money_in:
                return _(
                    "Order #%(number)s is written off, yet %(received)s came in: refund it."
                ) % {"number": number, "received": received}
            return ""
        if self.money_in == self.owes:
            return ""
        if self.in_flight or self.refund_pending:
            return _(
                "Order #%(number)s: a payment is in progress (%(received)s received of "
                "%(owed)s owed)."
            ) % {"number": number, "received": received, "owed": owed}
        if self.money_in == ZERO:
            return _("Order #%(number)s is unpaid (%(owed)s owed): collect it or write it off.") % {
                "number": number,
                "owed": owed,
            }
        return _(
            "Order #%(number)s: %(received)s received but %(owed)s owed: collect or refund "
            "the difference."
        ) % {"number": number, "received": received, "owed": owed}

    @property
    def may_write_off(self) -> bool:
        return (
            self.status in Order.CLOSED_STATUSES
            and self.write_off is None
            and self.money_in == ZERO
            and self.owes > ZERO
            and not self.money_moving
        )


@dataclass(slots=True)
class Sold:
    units: int = 0
    amount: Decimal = ZERO


@dataclass(slots=True)
class FarmAccount:
    """One farm's week: what it sold in counted orders, what was short, what went
    unpaid, and its money."""

    farm: Farm
    rate: Decimal
    sold: dict[tuple[str, str, Decimal, str], Sold] = field(default_factory=dict)
    short: dict[tuple[str, str, Decimal], Sold] = field(default_factory=dict)
    unpaid: list[tuple[int, Decimal]] = field(default_factory=list)  # (order, this farm's part)
    gross: Decimal = ZERO
    tps_cents: int = 0
    tvq_cents: int = 0

    @property
    def units(self) -> int:
        return sum(s.units for s in self.sold.values())

    @property
    def units_short(self) -> int:
        return sum(s.units for s in self.short.values())

    @property
    def margin(self) -> Decimal:
        return pricing.to_cent(self.gross * self.rate / 100)

    @property
    def net_due(self) -> Decimal:
        return self.gross - self.margin

    @property
    def tps(self) -> Decimal:
        return (Decimal(self.tps_cents) / 100).quantize(pricing.CENT)

    @property
    def tvq(self) -> Decimal:
        return (Decimal(self.tvq_cents) / 100).quantize(pricing.CENT)

    @property
    def taxes(self) -> Decimal:
        return self.tps + self.tvq

    def sold_rows(self) -> list[tuple[str, str, Decimal, str, Sold]]:
        return sorted(
            ((p, u, price, tax, s) for (p, u, price, tax), s in self.sold.items()),
            key=lambda r: (r[0].casefold(), r[1], r[2]),
        )

    def short_rows(self) -> list[tuple[str, str, Decimal, Sold]]:
        return sorted(
            ((p, u, price, s) for (p, u, price), s in self.short.items()),
            key=lambda r: (r[0].casefold(), r[1], r[2]),
        )


@dataclass(slots=True)
class WindowAccounts:
    window: OrderWindow
    orders: list[OrderMoney]
    farms: list[FarmAccount]
    coop_rate: Decimal
    # Containers brought back at this week's pickup, credited at their deposit: paid
    # from deposits held in earlier weeks, outside this week's balance.
    deposits_returned: Decimal = ZERO

    # Money in -----------------------------------------------------------------------
    @property
    def card_captured(self) -> Decimal:
        return sum((o.card for o in self.orders), ZERO)

    @property
    def cash_collected(self) -> Decimal:
        return sum((o.cash for o in self.orders), ZERO)

    @property
    def refunded(self) -> Decimal:
        return sum((o.refunded for o in self.orders), ZERO)

    @property
    def money_in(self) -> Decimal:
        """Money in: card and cash, less money given back."""
        return self.card_captured + self.cash_collected - self.refunded

    @property
    def credit_used(self) -> Decimal:
        return sum((o.credit_used for o in self.orders), ZERO)

    @property
    def credit_issued(self) -> Decimal:
        """Money received given back as store credit (a shortage, a refund kept)."""
        return sum((o.credit_issued for o in self.orders), ZERO)

    @property
    def deposits(self) -> Decimal:
        """Deposits on containers charged with the orders counted: held by the co-op,
        not the farms' sales."""
        return sum((o.totals.deposits for o in self.counted if o.totals), ZERO)

    # Money out ----------------------------------------------------------------------
    @property
    def gross(self) -> Decimal:
        return sum((f.gross for f in self.farms), ZERO)

    @property
    def margin(self) -> Decimal:
        return sum((f.margin for f in self.farms), ZERO)

    @property
    def net_due(self) -> Decimal:
        return sum((f.net_due for f in self.farms), ZERO)

    @property
    def tps(self) -> Decimal:
        return sum((o.totals.tps for o in self.counted if o.totals), ZERO)

    @property
    def tvq(self) -> Decimal:
        return sum((o.totals.tvq for o in self.counted if o.totals), ZERO)

    @property
    def money_out(self) -> Decimal:
        """What the money pays for: the farms, the co-op's margin, the taxes, the
        deposits held, and the store credit issued."""
        return self.net_due + self.margin + self.tps + self.tvq + self.deposits + self.credit_issued

    @property
    def difference(self) -> Decimal:
        """Money in plus credit used, less what it pays for: 0 to the cent."""
        return self.money_in + self.credit_used - self.money_out

    # Orders -------------------------------------------------------------------------
    @property
    def counted(self) -> list[OrderMoney]:
        return [o for o in self.orders if o.counted]

    @property
    def orders_counted(self) -> int:
        return len(self.counted)

    @property
    def written_off(self) -> list[OrderMoney]:
        return [o for o in self.orders if o.write_off is not None]

    @property
    def blocking(self) -> list[OrderMoney]:
        return [o for o in self.orders if o.problem]

    def refusals(self, *, today: date) -> list[str]:
        """Why the window cannot be settled now (empty: it can)."""
        reasons = []
        if self.window.status != OrderWindow.Status.CLOSED:
            reasons.append(_("The window is not closed yet."))
        elif self.window.pickup_date > today:
            reasons.append(_("Pickup day has not come yet: settle on or after it."))
        reasons += [o.problem for o in self.blocking]
        if not reasons and self.difference:
            reasons.append(
                _("Money in and money out differ by %(amount)s.")
                % {"amount": format_money(self.difference)}
            )
        return reasons


def _unit_key(unit: str, package: str) -> str:
    """A package's size (« 250 ml »), else the unit's code: `unit_label` shows it in the
    language of the moment (statements are drawn in the farm's)."""
    return package if unit == Unit.PACKAGE and package else unit


def unit_label(key: str) -> str:
    return str(dict(Unit.choices).get(key, key))


def _allocate(total_cents: int, weights: dict[int, int]) -> dict[int, int]:
    """Split `total_cents` in proportion to `weights`; largest remainder first, then the
    lowest key, so the parts add up exactly and the split is the same every time."""
    whole = sum(weights.values())
    if not whole or not total_cents:
        return {}
    if len(weights) == 1:
        return dict.fromkeys(weights, total_cents)
    parts = {key: total_cents * weight // whole for key, weight in weights.items()}
    rest = total_cents - sum(parts.values())
    by_remainder = sorted(weights, key=lambda k: (-(total_cents * weights[k] % whole), k))
    for key in by_remainder[:rest]:
        parts[key] += 1
    return parts


def _cents(amount: Decimal) -> int:
    return int(amount * 100)


def window_accounts(*, window: OrderWindow, order_id: int | None = None) -> WindowAccounts:
    """The window's money, worked out from its orders, lines, payments and write-offs
    (of one order only when `order_id` is given: the write-off checks just that one)."""
    labels = dict(Order.Status.choices)
    orders: dict[int, OrderMoney] = {}
    of_window = Q(window=window) if order_id is None else Q(window=window, pk=order_id)
    of_orders = Q(order__window=window) if order_id is None else Q(order_id=order_id)
    rows = Order.objects.filter(of_window).values_list(
        "pk",
        "status",
        "customer__first_name",
        "customer__last_name",
        "customer__email",
        "walk_in_name",
    )
    for pk, status, first, last, email, walk_in in rows.iterator(chunk_size=5000):
        name = f"{first or ''} {last or ''}".strip() or email or walk_in
        orders[pk] = OrderMoney(
            order_id=pk, customer=name, status=status, status_label=str(labels.get(status))
        )

    line_rows = (
        OrderLine.objects.filter(of_orders)
        .values_list(
            "order_id",
            "offer__product__farm_id",
            "offer__product__name",
            "offer__product__unit",
            "offer__product__package_size",
            "unit_price",
            "tax_class",
            "quantity",
            "shortage",
            "unit_weight_estimate",
            "weight",
            "deposit",
        )
        .order_by("order_id", "pk")
    )
    farm_ids: set[int] = set()
    for (
        order_id,
        farm_id,
        name,
        unit,
        package,
        price,
        tax,
        quantity,
        shortage,
        estimate,
        weight,
        deposit,
    ) in line_rows.iterator(chunk_size=5000):
        orders[order_id].lines.append(
            LineRow(
                farm_id,
                name,
                _unit_key(unit, package),
                price,
                tax,
                quantity,
                shortage,
                estimate,
                weight,
                deposit,
            )
        )
        farm_ids.add(farm_id)

    # Money is in when a card payment is captured or cash is collected (as
    # payments.ledger.received counts it); refunds come off what was captured. Summed
    # here, in Decimal: SQLite would sum decimals as floats.
    payments = Payment.objects.filter(of_orders).values_list(
        "order_id", "method", "status", "amount_captured", "amount_refunded"
    )
    to_credit: dict[tuple[int, bool], Decimal] = defaultdict(Decimal)
    for order_id, method, amount in Refund.objects.filter(
        Q(payment__in=Payment.objects.filter(of_orders)),
        reason=Refund.Reason.TO_CREDIT,
        status=Refund.Status.SUCCEEDED,
    ).values_list("payment__order_id", "payment__method", "amount"):
        to_credit[order_id, method == Payment.Method.CREDIT] += amount
    for order_id, method, status, captured, refunded in payments.iterator(chunk_size=5000):
        o = orders[order_id]
        if status in ledger.MONEY_IN:  # as `ledger.received` counts it
            if method == Payment.Method.CREDIT:  # what went back to credit never left it
                o.credit_used += captured - refunded
            elif method == Payment.Method.CARD:
                o.card += captured
            else:
                o.cash += captured
            if method != Payment.Method.CREDIT:
                o.refunded += refunded
        o.in_flight = o.in_flight or status in IN_FLIGHT
        o.money_moving = o.money_moving or status in MONEY_MOVING
    for (order_id, of_credit), amount in to_credit.items():
        if not of_credit:  # money received, given back as credit: credit issued
            orders[order_id].refunded -= amount
            orders[order_id].credit_issued += amount
    pending_refunds = Refund.objects.filter(
        Q(payment__in=Payment.objects.filter(of_orders)), status=Refund.Status.PENDING
    ).values_list("payment__order_id", flat=True)
    for order_id in pending_refunds:
        orders[order_id].refund_pending = True
    for write_off in WriteOff.objects.filter(of_orders).select_related("written_off_by"):
        orders[write_off.order_id].write_off = write_off

    coop_rate = CoopSettings.load().margin_percent
    farms = {
        f.pk: FarmAccount(farm=f, rate=coop_rate if f.margin_percent is None else f.margin_percent)
        for f in Farm.objects.filter(pk__in=farm_ids)
    }
    for order in orders.values():
        if order.status not in Order.CLOSED_STATUSES:
            continue
        order.totals = ledger.delivered_totals(
            (
                ln.unit_price,
                ln.quantity,
                ln.shortage,
                ln.tax_class,
                ln.estimate,
                ln.weight,
                ln.deposit,
            )
            for ln in order.lines
        )
        _book(order, farms)
    returned = CreditEntry.objects.filter(of_orders, reason=CreditEntry.Reason.DEPOSIT).values_list(
        "amount", flat=True
    )
    return WindowAccounts(
        window=window,
        deposits_returned=sum(returned, ZERO),
        orders=sorted(orders.values(), key=lambda o: o.order_id),
        farms=sorted(
            (f for f in farms.values() if f.sold or f.short or f.unpaid),
            key=lambda f: (f.farm.name.casefold(), f.farm.pk),
        ),
        coop_rate=coop_rate,
    )


def _book(order: OrderMoney, farms: dict[int, FarmAccount]) -> None:
    """Put one order's lines into its farms' accounts."""
    if not order.counted:  # written off, or (before settling) not paid as it should be
        parts: dict[int, Decimal] = defaultdict(Decimal)
        for ln in order.lines:
            parts[ln.farm_id] += ln.amount
        for farm_id, amount in parts.items():
            farms[farm_id].unpaid.append((order.order_id, amount))
        return
    taxable: dict[int, int] = defaultdict(int)
    for ln in order.lines:
        account = farms[ln.farm_id]
        if ln.shortage:
            short = account.short.setdefault((ln.product, ln.unit, ln.unit_price), Sold())
            short.units += ln.shortage
            short.amount += ln.short_amount
        if ln.delivered <= 0:
            continue
        amount = ln.amount
        sold = account.sold.setdefault((ln.product, ln.unit, ln.unit_price, ln.tax_class), Sold())
        sold.units += ln.delivered
        sold.amount += amount
        account.gross += amount
        if ln.tax_class == TaxClass.TAXABLE:
            taxable[ln.farm_id] += _cents(amount)
    assert order.totals is not None  # noqa: S101 - set by the caller for owing orders
    for farm_id, cents in _allocate(_cents(order.totals.tps), taxable).items():
        farms[farm_id].tps_cents += cents
    for farm_id, cents in _allocate(_cents(order.totals.tvq), taxable).items():
        farms[farm_id].tvq_cents += cents


# --- Statements and reports ---------------------------------------------------------------


def settlement_statements(*, settlement: Settlement) -> QuerySet[FarmStatement]:
    return settlement.statements.select_related("farm", "paid_marked_by").order_by("farm__name")


def farm_statements(*, farm: Farm) -> QuerySet[FarmStatement]:
    return (
        FarmStatement.objects.filter(farm=farm)
        .select_related("settlement__window")
        .order_by("-settlement__window__pickup_date")
    )


@dataclass(frozen=True, slots=True)
class ReportRow:
    period: date
    farm: str  # "" for the whole co-op
    statements: int
    gross: Decimal
    margin: Decimal
    tps: Decimal
    tvq: Decimal
    net_due: Decimal


@dataclass(slots=True)
class SalesReport:
    start: date
    end: date
    by: str  # "week" or "month"
    rows: list[ReportRow]  # per period: each farm, then the co-op's total
    unsettled: list[OrderWindow]  # closed windows of the period not settled yet


def sales_report(*, start: date, end: date, by: str) -> SalesReport:
    """Settled sales per farm and for the whole co-op, per week (Monday) or month, over
    the windows whose pickup day falls from `start` to `end` (both included)."""
    trunc = TruncWeek if by == "week" else TruncMonth
    per_farm = (
        FarmStatement.objects.filter(
            settlement__window__pickup_date__gte=start, settlement__window__pickup_date__lte=end
        )
        .annotate(period=trunc("settlement__window__pickup_date"))
        # by farm id too: two farms may share a name
        .values_list("period", "farm_id", "farm__name")
        .annotate(
            statements=Count("pk"),
            gross=Sum("gross"),
            margin=Sum("margin"),
            tps=Sum("tps"),
            tvq=Sum("tvq"),
            net_due=Sum("net_due"),
        )
        .order_by("period", "farm__name", "farm_id")
    )
    rows: list[ReportRow] = []
    period_rows: list[ReportRow] = []
    for period, _farm_id, *values in per_farm:
        row = ReportRow(period, *values)
        if period_rows and period_rows[-1].period != row.period:
            rows += [*period_rows, _total(period_rows)]
            period_rows = []
        period_rows.append(row)
    if period_rows:
        rows += [*period_rows, _total(period_rows)]
    unsettled = list(
        OrderWindow.objects.filter(
            status=OrderWindow.Status.CLOSED,
            pickup_date__gte=start,
            pickup_date__lte=end,
            settlement__isnull=True,
        ).order_by("pickup_date")
    )
    return SalesReport(start=start, end=end, by=by, rows=rows, unsettled=unsettled)


def _total(rows: list[ReportRow]) -> ReportRow:
    """The whole co-op's row of one period."""
    return ReportRow(
        period=rows[0].period,
        farm="",
        statements=sum(r.statements for r in rows),
        gross=sum((r.gross for r in rows), ZERO),
        margin=sum((r.margin for r in rows), ZERO),
        tps=sum((r.tps for r in rows), ZERO),
        tvq=sum((r.tvq for r in rows), ZERO),
        net_due=sum((r.net_due for r in rows), ZERO),
    )


def today() -> date:
    return timezone.localdate()
