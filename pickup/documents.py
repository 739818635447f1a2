"""The lists and sheets of a closed window, built from one pass over its order lines.

- a pickup list per farm: what to harvest (totals per product) and what to pack in
  which bag (per pickup point, per customer);
- a pickup sheet per pickup point: customers in alphabetical order, each with their
  items grouped by farm, quantities, amounts and what they still owe, a box to tick
  and a place to sign; a customer's block never splits across pages when it fits one;
- a summary for the coordinators: orders, revenue, totals per farm.

The data is read in a fixed number of queries whatever the number of orders (lines
are streamed as tuples), and the PDFs are drawn directly on a reportlab canvas, which
is fast enough for 10,000 orders on two cores.
"""

import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _
from reportlab.lib.units import mm

from common.dates import date_format
from common.money import format_kg, format_money
from common.pdf import Sheet
from common.spreadsheet import csv_bytes
from farms.models import Farm
from orders import pricing
from orders.models import Order, OrderLine, OrderWindow, Payment, PickupPoint
from payments import ledger


def _fold(text: str) -> str:
    return "".join(
        c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
    ).casefold()


@dataclass(slots=True)
class Item:
    farm_id: int
    farm: str
    product: str
    unit: str
    quantity: int
    unit_price: Decimal
    tax_class: str
    estimate: Decimal | None = None  # kg per unit, for a product sold by weight
    weight: Decimal | None = None  # what the units weighed, once weighed
    deposit: Decimal = Decimal("0.00")  # per unit, on a returnable container

    @property
    def kg(self) -> Decimal | None:
        return pricing.kg(estimate=self.estimate, weight=self.weight, delivered=self.quantity)

    @property
    def weighed(self) -> bool:
        return self.estimate is not None

    @property
    def amount(self) -> Decimal:
        return pricing.line_amount(unit_price=self.unit_price, quantity=self.quantity, kg=self.kg)


@dataclass(slots=True)
class CustomerOrder:
    order_id: int
    name: str
    sort_key: tuple[str, str, str]
    email: str
    phone: str
    point_id: int | None
    slot: str
    items: list[Item] = field(default_factory=list)
    method: str = "at_pickup"
    received: Decimal = Decimal("0.00")  # card captured and cash collected, less refunds
    _totals: pricing.Totals | None = None

    @property
    def totals(self) -> pricing.Totals:
        """Worked out once (the sheets ask several times), after `window_data` added
        every item."""
        if self._totals is None:
            self._totals = pricing.totals(
                (i.unit_price, i.quantity, i.tax_class, i.kg, i.deposit) for i in self.items
            )
        return self._totals


@dataclass(slots=True)
class WindowData:
    window: OrderWindow
    orders: list[CustomerOrder]
    farms: dict[int, Farm]
    points: dict[int, PickupPoint]
    # Worked out once for all the farms' lists (each farm's list and CSV read them).
    _farm_index: dict[int, "FarmLists"] | None = None

    def orders_of_point(self, point_id: int) -> list[CustomerOrder]:
        return sorted((o for o in self.orders if o.point_id == point_id), key=lambda o: o.sort_key)


FarmLists = tuple[list[tuple[tuple[str, str], int]], list[tuple[str, "CustomerOrder", list[Item]]]]


def window_data(window: OrderWindow) -> WindowData:
    """Every locked order of the window with its items: three queries in all."""
    orders: dict[int, CustomerOrder] = {}
    order_rows = (
        # Walk-in sales (no customer) were sold from what was left: not on lists or sheets.
        Order.objects.filter(
            window=window, status__in=Order.CLOSED_STATUSES, customer__isnull=False
        )
        .values_list(
            "pk",
            "customer__first_name",
            "customer__last_name",
            "customer__email",
            "customer__phone",
            "pickup_point_id",
            "pickup_slot__starts_at",
            "pickup_slot__ends_at",
            "payment_method",
        )
        .iterator(chunk_size=5000)
    )
    for pk, first, last, email, phone, point_id, starts, ends, method in order_rows:
        name = f"{last}, {first}" if (first or last) and last else (first or email)
        slot = f"{starts:%H:%M}–{ends:%H:%M}" if starts and ends else ""
        orders[pk] = CustomerOrder(
            order_id=pk,
            name=name,
            sort_key=(_fold(last or first or email), _fold(first), email),
            email=email,
            phone=phone,
            point_id=point_id,
            slot=slot,
            method=method or "at_pickup",
        )
    money_in = ledger.received_per_order(
        Payment.objects.filter(order__window=window, order__status__in=Order.CLOSED_STATUSES)
    )
    for order_id, received in money_in.items():
        if order_id in orders:
            orders[order_id].received = received
    farms = {f.pk: f for f in Farm.objects.filter(products__offers__window=window).distinct()}
    line_rows = (
        OrderLine.objects.filter(order__window=window, order__status__in=Order.CLOSED_STATUSES)
        .values_list(
            "order_id",
            "offer__product__farm_id",
            "offer__product__name",
            "offer__product__unit",
            "offer__product__package_size",
            "quantity",
            "shortage",
            "unit_price",
            "tax_class",
            "unit_weight_estimate",
            "weight",
            "deposit",
        )
        .order_by("order_id", "offer__product__farm__name", "offer__product__name")
        .iterator(chunk_size=5000)
    )
    for (
        order_id,
        farm_id,
        product,
        unit,
        package,
        quantity,
        shortage,
        price,
        tax,
        estimate,
        weight,
        deposit,
    ) in line_rows:
        delivered = quantity - shortage
        if delivered <= 0 or order_id not in orders:
            continue
        orders[order_id].items.append(
            Item(
                farm_id=farm_id,
                farm=farms[farm_id].name if farm_id in farms else "",
                product=product,
                unit=_unit_label(unit, package),
                quantity=delivered,
                unit_price=price,
                tax_class=tax,
                estimate=estimate,
                weight=weight,
                deposit=deposit,
            )
        )
    points = {p.pk: p for p in PickupPoint.objects.all()}
    return WindowData(window=window, orders=list(orders.values()), farms=farms, points=points)


def _unit_label(unit: str, package: str) -> str:
    if unit == "package" and package:
        return package
    from farms.models import Unit

    return str(dict(Unit.choices).get(unit, unit))


# CSV ----------------------------------------------------------------------------------


def farm_list_csv(data: WindowData, farm_id: int) -> bytes:
    totals, packing = _farm_lists(data, farm_id)
    rows: list[list[object]] = [
        [
            _("section"),
            _("pickup point"),
            _("customer"),
            _("order"),
            _("product"),
            _("unit"),
            _("quantity"),
        ]
    ]
    rows += [[_("to harvest"), "", "", "", product, unit, qty] for (product, unit), qty in totals]
    for point_name, order, items in packing:
        rows += [
            [_("to pack"), point_name, order.name, order.order_id, i.product, i.unit, i.quantity]
            for i in items
        ]
    return csv_bytes(rows)


def point_sheet_csv(data: WindowData, point_id: int) -> bytes:
    rows: list[list[object]] = [
        [
            _("customer"),
            _("order"),
            _("time slot"),
            _("farm"),
            _("product"),
            _("unit"),
            _("quantity"),
            _("amount"),
            _("order total"),
            _("payment"),
        ]
    ]
    for order in data.orders_of_point(point_id):
        total = order.totals.total
        payment = _payment_label(order)
        for item in order.items:
            rows.append(
                [
                    order.name,
                    order.order_id,
                    order.slot,
                    item.farm,
                    item.product,
                    item.unit,
                    item.quantity,
                    item.amount,
                    total,
                    payment,
                ]
            )
    return csv_bytes(rows)


def summary_csv(data: WindowData) -> bytes:
    per_farm = summary_per_farm(data)
    rows: list[list[object]] = [[_("farm"), _("units"), _("amount")]]
    rows += [[name, units, amount] for name, units, amount in per_farm]
    totals = summary_totals(data)
    rows += [
        [],
        [_("orders"), totals["orders"]],
        [_("subtotal"), totals["subtotal"]],
        [_("GST"), totals["tps"]],
        [_("QST"), totals["tvq"]],
        [_("total"), totals["total"]],
    ]
    return csv_bytes(rows)


def summary_per_farm(data: WindowData) -> list[tuple[str, int, Decimal]]:
    units: dict[int, int] = defaultdict(int)
    amounts: dict[int, Decimal] = defaultdict(Decimal)
    for order in data.orders:
        for item in order.items:
            units[item.farm_id] += item.quantity
            amounts[item.farm_id] += item.amount
    return sorted(
        ((data.farms[f].name, units[f], amounts[f]) for f in units), key=lambda r: _fold(r[0])
    )


def summary_totals(data: WindowData) -> dict[str, object]:
    subtotal = tps = tvq = Decimal("0.00")
    for order in data.orders:
        t = order.totals
        subtotal, tps, tvq = subtotal + t.subtotal, tps + t.tps, tvq + t.tvq
    return {
        "orders": len(data.orders),
        "subtotal": subtotal,
        "tps": tps,
        "tvq": tvq,
        "total": subtotal + tps + tvq,
    }


def _at_the_table(order: CustomerOrder) -> bool:
    """Paid at pickup: chosen so, or a card order's rest below Stripe's minimum (no
    card charge or link is made for it)."""
    return order.method != "card" or order.totals.total - order.received < ledger.STRIPE_MINIMUM


def cash_to_collect(orders: list[CustomerOrder]) -> Decimal:
    """What is to be paid at the table still: the cash the point should take in."""
    return sum(
        (max(Decimal("0.00"), o.totals.total - o.received) for o in orders if _at_the_table(o)),
        Decimal("0.00"),
    )


def _payment_label(order: CustomerOrder) -> str:
    due = order.totals.total
    if order.received >= due:
        return str(_("paid by card")) if order.method == "card" else str(_("paid"))
    label = _("to collect: %(amount)s") % {"amount": format_money(due - order.received)}
    # Not inside f-strings: xgettext would not find them there.
    if order.method == "card" and _at_the_table(order):
        why = _("below the card minimum")
        label = f"{label} ({why})"
    elif order.method == "card":
        why = _("card payment pending")
        label = f"{label} ({why})"
    return label


def _farm_lists(data: WindowData, farm_id: int) -> FarmLists:
    """A farm's totals per product and its packing by point and customer: read in one
    pass over the week for every farm (a farm's list once cost a pass of its own)."""
    if data._farm_index is None:
        totals: dict[int, dict[tuple[str, str], int]] = defaultdict(lambda: defaultdict(int))
        packing: dict[int, list[tuple[str, CustomerOrder, list[Item]]]] = defaultdict(list)
        for point_id, point in sorted(data.points.items(), key=lambda kv: _fold(kv[1].name)):
            for order in data.orders_of_point(point_id):
                per_farm: dict[int, list[Item]] = defaultdict(list)
                for item in order.items:
                    per_farm[item.farm_id].append(item)
                for farm, items in per_farm.items():
                    packing[farm].append((point.name, order, items))
        for order in data.orders:
            for item in order.items:
                totals[item.farm_id][(item.product, item.unit)] += item.quantity
        data._farm_index = {
            farm: (sorted(totals[farm].items(), key=lambda kv: _fold(kv[0][0])), packing[farm])
            for farm in set(totals) | set(packing)
        }
    return data._farm_index.get(farm_id, ([], []))


# PDF ----------------------------------------------------------------------------------


def _subtitle(window: OrderWindow) -> str:
    return _("Pickup %(date)s") % {"date": date_format(window.pickup_date, "l j F Y")}


def point_sheet_pdf(data: WindowData, point_id: int) -> tuple[bytes, int]:
    point = data.points[point_id]
    sheet = Sheet(
        _("Pickup sheet — %(point)s") % {"point": point.name},
        f"{_subtitle(data.window)} · {point.address}, {point.city} · "
        f"{point.opens_at:%H:%M}–{point.closes_at:%H:%M}",
    )
    orders = data.orders_of_point(point_id)
    signature = _("picked up; signature:")
    if not orders:
        sheet.text(_("No orders for this pickup point this week."))
    for order in orders:
        farms = {i.farm for i in order.items}
        sheet.ensure(len(order.items) + len(farms) + 4)
        head = f"{order.name}  ·  #{order.order_id}" + (f"  ·  {order.slot}" if order.slot else "")
        sheet.text(head, format_money(order.totals.total), bold=True, size=10.5)
        current = None
        for item in order.items:
            if item.farm != current:
                current = item.farm
                sheet.text(item.farm, indent=4 * mm, bold=True, size=8.5)
            what = f"{item.quantity} × {item.product} ({item.unit})"
            if item.deposit:
                what += " · " + _("deposit %(amount)s") % {
                    "amount": format_money(item.deposit * item.quantity)
                }
            sheet.text(what, format_money(item.amount), indent=8 * mm)
        sheet.box_and_signature(f"{_payment_label(order)} — {signature}")
        sheet.rule()
    if orders:
        sheet.ensure(2)
        sheet.text(
            _("Cash to collect at this point"),
            format_money(cash_to_collect(orders)),
            bold=True,
            size=10.5,
        )
    return sheet.finish(), sheet.pages


def farm_list_pdf(data: WindowData, farm_id: int) -> tuple[bytes, int]:
    farm = data.farms[farm_id]
    totals, packing = _farm_lists(data, farm_id)
    sheet = Sheet(_("Pickup list — %(farm)s") % {"farm": farm.name}, _subtitle(data.window))
    sheet.text(_("To harvest"), bold=True, size=11)
    if not totals:
        sheet.text(_("No orders this week."))
    for (product, unit), quantity in totals:
        sheet.text(f"{product} ({unit})", str(quantity), indent=4 * mm)
    sheet.rule()
    current = None
    for point_name, order, items in packing:
        if point_name != current:
            current = point_name
            sheet.ensure(4)
            sheet.text(_("To pack for %(point)s") % {"point": point_name}, bold=True, size=11)
        sheet.ensure(len(items) + 1)
        sheet.text(f"{order.name}  ·  #{order.order_id}", bold=True, indent=2 * mm)
        for item in items:
            line = f"{item.quantity} × {item.product} ({item.unit})"
            if item.weighed:
                line += "  " + _("to weigh: ≈ %(kg)s kg a piece") % {"kg": format_kg(item.estimate)}
            sheet.text(line, indent=8 * mm)
    # Pieces sold by weight: a label for each, its weight written on it, then entered
    # on the packing page (or its CSV) so the customer pays what it weighs.
    pieces = [
        (order, item, n)
        for _point, order, items in packing
        for item in items
        if item.weighed
        for n in range(1, item.quantity + 1)
    ]
    if pieces:
        sheet.rule()
        sheet.text(_("Labels: one for each piece to weigh"), bold=True, size=11)
        for order, item, n in pieces:
            sheet.ensure(2)
            sheet.text(
                _("#%(order)s %(name)s · %(product)s · piece %(n)s of %(count)s")
                % {
                    "order": order.order_id,
                    "name": order.name,
                    "product": item.product,
                    "n": n,
                    "count": item.quantity,
                },
                "______ kg",
                indent=2 * mm,
            )
    return sheet.finish(), sheet.pages
