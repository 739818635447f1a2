"""The customer's basket and order, while the window is open.

Units move from an offer into the customer's order line at once and atomically: what
the customer sees in their basket is theirs. Locks are always taken in the same order
(the order row, then the offer row) so concurrent requests cannot deadlock; farmers'
publishing locks offers only.

A basket is an Order in status BASKET; confirming makes it CONFIRMED. A confirmed
order stays confirmed while the customer changes it: every change applies at once,
until the deadline (`OrderWindow.closes_at`), which is checked at every write whether
or not the periodic task has run. A basket never confirmed gives its units back after
the co-op's idle time (`basket_release_idle`).

Line prices: a line keeps the price at which its first units were taken; units added
later to the same line are at that price too. A farmer's price change applies to new
lines only.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, Count, F, Q, When
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from common.money import format_money

from . import locks, pricing
from .errors import BasketError, WindowClosed
from .models import (
    CoopSettings,
    Offer,
    Order,
    OrderLine,
    OrderWindow,
    PickupPoint,
    PickupSlot,
    PointClosure,
)
from .services import payment_methods_offered
from .slots import slots_for_week

logger = logging.getLogger(__name__)

MAX_UNITS_PER_LINE = 999
INT_MAX = 2**31 - 1  # PostgreSQL's integer
EDITABLE = (Order.Status.BASKET, Order.Status.CONFIRMED)


@dataclass(frozen=True, slots=True)
class LineResult:
    offer_id: int
    requested: int
    quantity: int
    message: str = ""  # set when the customer got fewer units than asked
    order_id: int | None = None  # the order changed (basket_line_set)
    window_id: int | None = None

    @property
    def short(self) -> bool:
        return self.quantity < self.requested


def _check_open(window: OrderWindow, now: datetime) -> None:
    """Refuse unless the window takes orders now, read under the window's share lock
    (see `locks.window_share`): no order changes behind the close's back."""
    if not locks.window_share(window).accepts_orders(now):
        raise WindowClosed


def _lock_order(*, customer_id: int, window: OrderWindow, now: datetime) -> Order:
    """The customer's order for the window, created if need be, locked for this change."""
    return _lock_or_create(customer_id=customer_id, window=window, now=now)[0]


def _lock_or_create(*, customer_id: int, window: OrderWindow, now: datetime) -> tuple[Order, bool]:
    """`_lock_order`, and whether the order was created now (it has no lines yet). A row
    this transaction inserted is its own until it commits: no second lock is needed."""
    order = Order.objects.select_for_update().filter(window=window, customer_id=customer_id).first()
    if order is not None:
        return _reopen(order), False
    try:
        with transaction.atomic():
            order = Order.objects.create(
                window=window, customer_id=customer_id, last_activity_at=now
            )
    except IntegrityError:  # created by a concurrent request of the same customer
        order = Order.objects.select_for_update().get(window=window, customer_id=customer_id)
        return _reopen(order), False
    return order, True


def _reopen(order: Order) -> Order:
    if order.status == Order.Status.CANCELLED:
        order.status = Order.Status.BASKET
        order.confirmed_at = None
    if order.status not in EDITABLE:
        raise BasketError(_("This order can no longer change."))
    return order


def _take(offer_id: int, wanted: int) -> int:
    """Take up to `wanted` units from the offer; how many were taken."""
    if Offer.objects.filter(pk=offer_id, remaining__gte=wanted).update(
        remaining=F("remaining") - wanted
    ):
        return wanted
    remaining = (
        Offer.objects.select_for_update().values_list("remaining", flat=True).get(pk=offer_id)
    )
    taken = min(remaining, wanted)
    if taken:
        Offer.objects.filter(pk=offer_id).update(remaining=F("remaining") - taken)
    return taken


def _give_back(offer_id: int, units: int) -> None:
    Offer.objects.filter(pk=offer_id).update(remaining=F("remaining") + units)


def basket_line_set(
    *,
    customer_id: int,
    offer_id: int,
    now: datetime,
    quantity: int | None = None,
    delta: int | None = None,
    offer: Offer | None = None,
) -> LineResult:
    """Make the customer's line for this offer hold `quantity` units (0 removes it), or
    move it by `delta` units (+1, −1): the delta is applied to the line as locked, so
    two quick taps on + give two units.

    Asking for more than remains gives what remains, and says so. `offer` is the row
    as the caller read it (with its window and product), to save reading it again;
    stock and price are read under the locks whatever it holds.
    Raises Offer.DoesNotExist for an unknown offer, BasketError for a refusal.

    On PostgreSQL, a change to an order that exists is one statement, the database
    function `coop_basket_line_step` (orders/migrations/0018): the same locks, rules and
    writes as `_line_set`, which does the rest (and everything on SQLite).
    """
    if connection.vendor == "postgresql":
        done = _line_step(
            customer_id=customer_id, offer_id=offer_id, now=now, quantity=quantity, delta=delta
        )
        if done is not None:
            return done
    return _line_set(
        customer_id=customer_id,
        offer_id=offer_id,
        now=now,
        quantity=quantity,
        delta=delta,
        offer=offer,
    )


def _line_step(
    *, customer_id: int, offer_id: int, now: datetime, quantity: int | None, delta: int | None
) -> LineResult | None:
    """`basket_line_set` in the database, in one statement; None when the function
    leaves the case to `_line_set` (it has written nothing then)."""
    if not 0 < offer_id <= INT_MAX:  # no such row (and not a database integer)
        raise Offer.DoesNotExist(f"offer {offer_id}")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT r_outcome, r_order, r_window, r_current, r_requested, r_granted, r_product"
            " FROM coop_basket_line_step(%s, %s, %s, %s, %s, %s)",
            [customer_id, offer_id, quantity, delta, now, MAX_UNITS_PER_LINE],
        )
        outcome, order_id, window_id, current, requested, granted, product = cursor.fetchone()
    if outcome == "no_offer":
        raise Offer.DoesNotExist(f"offer {offer_id}")
    if outcome == "closed":
        raise WindowClosed
    if outcome == "negative":
        raise BasketError(_("The quantity cannot be negative."))
    if outcome == "too_many":
        raise BasketError(_("At most %(max)d units per product.") % {"max": MAX_UNITS_PER_LINE})
    if outcome != "ok":
        return None
    return LineResult(
        offer_id=offer_id,
        requested=requested,
        quantity=granted,
        message=_short_message(product, current=current, requested=requested, granted=granted),
        order_id=order_id,
        window_id=window_id,
    )


def _short_message(product: str, *, current: int, requested: int, granted: int) -> str:
    """What to say when the customer got fewer units than asked ("" otherwise)."""
    if granted >= requested:
        return ""
    if granted == 0:
        return _("Sorry, %(product)s is sold out.") % {"product": product}
    # Fewer than asked, all that was left: theirs (also when they held them already).
    return ngettext(
        "Only %(count)d unit of %(product)s was left: it is in your basket.",
        "Only %(count)d units of %(product)s were left: they are in your basket.",
        granted,
    ) % {"count": granted, "product": product}


@transaction.atomic
def _line_set(
    *,
    customer_id: int,
    offer_id: int,
    now: datetime,
    quantity: int | None = None,
    delta: int | None = None,
    offer: Offer | None = None,
) -> LineResult:
    """`basket_line_set` with the ORM, for every case."""
    if offer is None or offer.pk != offer_id:  # the caller may pass the row it read
        offer = Offer.objects.select_related("window", "product").get(pk=offer_id)
    _check_open(offer.window, now)
    order = _lock_order(customer_id=customer_id, window=offer.window, now=now)
    line = OrderLine.objects.filter(order=order, offer=offer).first()
    current = line.quantity if line else 0
    if quantity is None:
        quantity = max(0, current + (delta or 0))
    if quantity < 0:
        raise BasketError(_("The quantity cannot be negative."))
    if quantity > MAX_UNITS_PER_LINE:
        raise BasketError(_("At most %(max)d units per product.") % {"max": MAX_UNITS_PER_LINE})
    if order.status == Order.Status.CONFIRMED and quantity < current:
        _check_confirmed_stays_valid(order=order, offer=offer, quantity=quantity)
    granted = quantity
    if quantity > current:
        granted = current + _take(offer.pk, quantity - current)
    elif quantity < current:
        _give_back(offer.pk, current - quantity)
    if line and granted == 0:
        line.delete()
    elif line and granted != current:
        line.quantity = granted
        line.save(update_fields=["quantity"])
    elif not line and granted:
        # The price as it stands now that this transaction holds the offer row.
        price = Offer.objects.values_list("price", flat=True).get(pk=offer.pk)
        OrderLine.objects.create(
            order=order,
            offer=offer,
            quantity=granted,
            unit_price=price,
            tax_class=offer.product.tax_class,
            unit_weight_estimate=offer.product.estimated_weight,
            deposit=offer.product.deposit,
        )
    order.last_activity_at = now
    if order.status == Order.Status.CONFIRMED and granted != current:
        order.update_email_due = order.update_email_due or now
    order.save(
        update_fields=[
            "status", "confirmed_at", "last_activity_at", "update_email_due", "updated_at",
        ]
    )  # fmt: skip
    return LineResult(
        offer_id=offer.pk,
        requested=quantity,
        quantity=granted,
        message=_short_message(
            offer.product.name, current=current, requested=quantity, granted=granted
        ),
        order_id=order.pk,
        window_id=offer.window_id,
    )


@transaction.atomic
def basket_fill(
    *, customer_id: int, window_id: int, wanted: Sequence[tuple[int, int]], now: datetime
) -> list[LineResult]:
    """Set many lines of the customer's basket in one transaction: for each
    (offer_id, quantity), the line holds that many units, or what remains. The same
    rules as `basket_line_set` (the deadline, the order's lock first, then the offers
    locked in pk order, stock taken by one guarded UPDATE that never oversells; a new
    line at the price of the moment), in a handful of statements whatever the number of
    lines: for a basket filled for the customer (repeating last week's, the basket of
    the week, a phone order, the demo's orders). Offers of another window, or unknown,
    come back with quantity 0."""
    window = OrderWindow.objects.get(pk=window_id)
    _check_open(window, now)
    order, created = _lock_or_create(customer_id=customer_id, window=window, now=now)
    return _fill_locked(order, window=window, wanted=wanted, now=now, created=created)[0]


@dataclass(frozen=True, slots=True)
class StandingFill:
    order_id: int
    results: list[LineResult]
    added: dict[int, int]  # offer id: the units this fill took (beyond what was there)


def basket_fill_standing(
    *,
    customer_id: int,
    window: OrderWindow,
    wanted: Sequence[tuple[int, int]],
    now: datetime,
    prepared_until: datetime,
) -> StandingFill | None:
    """Fill a customer's basket from their standing basket, inside the caller's
    transaction: each line holds at least the units asked (never fewer than the customer
    put there themselves), and the basket is kept from the idle release until
    `prepared_until`. None, untouched, when the customer confirmed an order of the week
    already (theirs wins)."""
    _check_open(window, now)
    order, created = _lock_or_create(customer_id=customer_id, window=window, now=now)
    if order.status == Order.Status.CONFIRMED:
        return None
    order.prepared_until = prepared_until
    results, added = _fill_locked(
        order, window=window, wanted=wanted, now=now, created=created, at_least=True,
        also=("prepared_until",),
    )  # fmt: skip
    return StandingFill(order.pk, results, added)


def _fill_locked(
    order: Order,
    *,
    window: OrderWindow,
    wanted: Sequence[tuple[int, int]],
    now: datetime,
    created: bool,
    at_least: bool = False,
    also: Sequence[str] = (),
) -> tuple[list[LineResult], dict[int, int]]:
    """`basket_fill` on the order as locked: the offers in pk order FOR UPDATE (one
    SELECT), every line's stock taken or given back by one UPDATE, the new lines by one
    INSERT. The results, and the units moved by offer (taken > 0, given back < 0)."""
    quantities: dict[int, int] = {}
    for offer_id, quantity in wanted:
        if quantity < 0 or quantity > MAX_UNITS_PER_LINE:
            raise BasketError(_("At most %(max)d units per product.") % {"max": MAX_UNITS_PER_LINE})
        quantities[offer_id] = quantity
    offers = {
        o.pk: o
        for o in Offer.objects.select_for_update(of=("self",))
        .filter(window=window, pk__in=quantities)
        .select_related("product")
        .order_by("pk")  # in pk order: no deadlock with another
    }
    lines = (
        {} if created else {line.offer_id: line for line in OrderLine.objects.filter(order=order)}
    )
    results: list[LineResult] = []
    granted: dict[int, int] = {}
    moves: dict[int, int] = {}  # offer id: units taken (negative: given back)
    for offer_id in sorted(quantities):
        quantity = quantities[offer_id]
        offer = offers.get(offer_id)
        if offer is None:
            results.append(LineResult(offer_id, quantity, 0, _("This product is not on offer.")))
            continue
        current = lines[offer_id].quantity if offer_id in lines else 0
        if at_least:
            quantity = quantities[offer_id] = max(quantity, current)
        if quantity > current:
            taken = min(max(offer.remaining, 0), quantity - current)  # read under its lock
            granted[offer_id] = current + taken
            if taken:
                moves[offer_id] = taken
        else:
            if quantity < current:
                moves[offer_id] = quantity - current
            granted[offer_id] = quantity
    if moves:
        Offer.objects.filter(pk__in=moves).update(
            remaining=Case(
                *(When(pk=pk, then=F("remaining") - units) for pk, units in moves.items())
            )
        )
    fresh = []
    for offer_id, units in granted.items():
        line = lines.get(offer_id)
        if line is not None and units == 0:
            line.delete()
        elif line is not None and units != line.quantity:
            OrderLine.objects.filter(pk=line.pk).update(quantity=units)
        elif line is None and units:
            offer = offers[offer_id]
            fresh.append(
                OrderLine(
                    order=order,
                    offer=offer,
                    quantity=units,
                    unit_price=offer.price,  # as read under the offer's lock
                    tax_class=offer.product.tax_class,
                    unit_weight_estimate=offer.product.estimated_weight,
                    deposit=offer.product.deposit,
                )
            )
        message = ""
        if units < quantities[offer_id]:
            product = offers[offer_id].product.name
            message = (
                _("Sorry, %(product)s is sold out.") % {"product": product}
                if units == 0
                else ngettext(
                    "Only %(count)d unit of %(product)s was left: it is in your basket.",
                    "Only %(count)d units of %(product)s were left: they are in your basket.",
                    units,
                )
                % {"count": units, "product": product}
            )
        results.append(LineResult(offer_id, quantities[offer_id], units, message))
    if fresh:
        OrderLine.objects.bulk_create(fresh)
    order.last_activity_at = now
    changed = any(r.quantity != (lines[r.offer_id].quantity if r.offer_id in lines else 0)
                  for r in results)  # fmt: skip
    if order.status == Order.Status.CONFIRMED and changed:
        order.update_email_due = order.update_email_due or now
    order.save(
        update_fields=[
            "status", "confirmed_at", "last_activity_at", "update_email_due", "updated_at",
            *also,
        ]
    )  # fmt: skip
    return results, moves


def _check_confirmed_stays_valid(*, order: Order, offer: Offer, quantity: int) -> None:
    """A confirmed order keeps at least one product and the co-op's minimum: to drop
    below, the customer cancels the order."""
    lines = [
        (
            line.unit_price,
            units,
            line.tax_class,
            pricing.kg(estimate=line.unit_weight_estimate, weight=None, delivered=units),
        )
        for line in order.lines.all()
        for units in [quantity if line.offer_id == offer.pk else line.quantity]
    ]
    if not any(units for _price, units, _tax, _kg in lines):
        raise BasketError(_("Your order is confirmed: to remove everything, cancel the order."))
    minimum = CoopSettings.load().minimum_order_amount
    if minimum and pricing.totals(lines).total < minimum:
        raise BasketError(
            _("Your confirmed order cannot go below the minimum of %(minimum)s; cancel it instead.")
            % {"minimum": format_money(minimum)}
        )


def basket_give_back_units(order: Order, units: dict[int, int]) -> None:
    """Give back up to `units` (by offer id) of the order's lines, inside the caller's
    transaction with the order locked: never more than a line holds; an emptied line
    goes. Offers touched in pk order, by one UPDATE."""
    lines = {
        line.offer_id: line
        for line in OrderLine.objects.filter(order=order, offer_id__in=units).order_by("offer_id")
    }
    back = {
        offer_id: min(units[offer_id], line.quantity)
        for offer_id, line in lines.items()
        if units[offer_id] > 0
    }
    if not back:
        return
    list(Offer.objects.select_for_update().filter(pk__in=back).order_by("pk").values_list("pk"))
    Offer.objects.filter(pk__in=back).update(
        remaining=Case(*(When(pk=pk, then=F("remaining") + n) for pk, n in back.items()))
    )
    for offer_id, n in back.items():
        line = lines[offer_id]
        if n >= line.quantity:
            line.delete()
        else:
            OrderLine.objects.filter(pk=line.pk).update(quantity=line.quantity - n)


def basket_give_back_all(order: Order) -> list[dict[str, object]]:
    """Return every unit of the order's lines to their offers (offers locked by pk)."""
    lines = list(order.lines.select_related("offer__product").order_by("offer_id"))
    for line in lines:
        _give_back(line.offer_id, line.quantity)
    released = [{"product": line.offer.product.name, "quantity": line.quantity} for line in lines]
    OrderLine.objects.filter(order=order).delete()
    return released


@transaction.atomic
def order_cancel(*, customer_id: int, window_id: int, now: datetime) -> Order:
    window = OrderWindow.objects.get(pk=window_id)
    _check_open(window, now)
    order = _lock_order(customer_id=customer_id, window=window, now=now)
    basket_give_back_all(order)
    order.status = Order.Status.CANCELLED
    order.confirmed_at = None
    order.last_activity_at = now
    order.save()
    return order


def slot_has_room(*, slot: PickupSlot, window: OrderWindow, exclude_order_id: int | None) -> bool:
    taken = (
        Order.objects.filter(window=window, pickup_slot=slot, status=Order.Status.CONFIRMED)
        .exclude(pk=exclude_order_id or 0)
        .count()
    )
    return taken < slot.capacity


def slots_with_room(*, window: OrderWindow, exclude_order_id: int | None) -> dict[int, int]:
    """Free places per slot id, for the checkout form (full slots are 0): the week's
    slots and the standing ones."""
    slots = PickupSlot.objects.filter(Q(window=window) | Q(window__isnull=True))
    counts = dict(
        slots.annotate(
            taken=Count(
                "orders",
                filter=Q(orders__window=window, orders__status=Order.Status.CONFIRMED)
                & ~Q(orders__pk=exclude_order_id or 0),
            )
        ).values_list("pk", "taken")
    )
    return {slot.pk: max(0, slot.capacity - counts.get(slot.pk, 0)) for slot in slots}


@transaction.atomic
def order_confirm(
    *,
    customer_id: int,
    window_id: int,
    pickup_point_id: int,
    pickup_slot_id: int | None,
    language: str,
    now: datetime,
    payment_method: str = "at_pickup",
) -> Order:
    """Confirm (or update the pickup of) the customer's order. The email is sent by the
    caller after commit (see `baskets.views`)."""
    window = OrderWindow.objects.get(pk=window_id)
    _check_open(window, now)
    order = _lock_order(customer_id=customer_id, window=window, now=now)
    lines = list(order.lines.all())
    if not lines:
        raise BasketError(_("Your basket is empty."))
    point = PickupPoint.objects.filter(pk=pickup_point_id, is_active=True).first()
    if point is None:
        raise BasketError(_("Choose a pickup point."))
    closure = PointClosure.objects.filter(window=window, pickup_point=point).first()
    if closure is not None:
        raise BasketError(
            _("%(point)s is closed this week: choose another pickup point.") % {"point": point.name}
            + (f" ({closure.reason})" if closure.reason else "")
        )
    slot = None
    offered = [s.pk for s in slots_for_week(window, point_id=point.pk).get(point.pk, [])]
    if offered:
        # Lock the slot so two customers cannot take its last place at once.
        slot = (
            PickupSlot.objects.select_for_update()
            .filter(pk=pickup_slot_id or 0, pk__in=offered)
            .first()
        )
        if slot is None:
            raise BasketError(_("Choose a time slot at %(point)s.") % {"point": point.name})
        already_there = order.status == Order.Status.CONFIRMED and slot.pk == order.pickup_slot_id
        if not already_there and not slot_has_room(
            slot=slot, window=window, exclude_order_id=order.pk
        ):
            raise BasketError(_("This time slot is full: choose another one."))
    minimum = CoopSettings.load().minimum_order_amount
    total = pricing.totals(line.priced for line in lines).total
    if total < minimum:
        raise BasketError(
            _("The minimum order is %(minimum)s; your basket comes to %(total)s.")
            % {"minimum": format_money(minimum), "total": format_money(total)}
        )
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    if payment_method not in payment_methods_offered():
        raise BasketError(_("Choose how you will pay."))
    order.pickup_point = point
    order.pickup_slot = slot
    order.language = language
    order.payment_method = payment_method
    if order.status != Order.Status.CONFIRMED:
        order.status = Order.Status.CONFIRMED
        order.confirmed_at = now
    order.last_activity_at = now
    order.update_email_due = None  # this confirmation's own email tells it all
    order.save()
    return order


def basket_release_idle(*, now: datetime) -> int:
    """Give back the units of baskets never confirmed and idle for the co-op's hold
    time. Each basket records what was released, to tell the customer on return.
    Safe to run twice or concurrently: each basket is locked and re-checked."""
    hold = timedelta(minutes=CoopSettings.load().basket_hold_minutes)
    cutoff = now - hold
    ids = list(
        Order.objects.filter(status=Order.Status.BASKET, last_activity_at__lt=cutoff)
        # A basket filled for the customer (a standing basket) is held until it is due.
        .exclude(prepared_until__gt=now)
        .filter(lines__isnull=False)
        .distinct()
        .values_list("pk", flat=True)
    )
    released = 0
    for order_id in ids:
        with transaction.atomic():
            order = (
                Order.objects.select_for_update()
                .filter(pk=order_id, status=Order.Status.BASKET, last_activity_at__lt=cutoff)
                .exclude(prepared_until__gt=now)
                .first()
            )
            if order is None:
                continue
            items = basket_give_back_all(order)
            if items:
                order.released = [*order.released, *items]
                order.save(update_fields=["released", "updated_at"])
                released += 1
    if released:
        logger.info("released %s idle baskets", released)
    return released


def basket_keep(*, customer_id: int, window_id: int, now: datetime) -> bool:
    """Hold the units of the customer's basket for the co-op's whole hold time again,
    as a change would (the customer asked, in its last minutes). False when there is
    nothing held to keep: no basket, no lines, confirmed, or already given back.
    One UPDATE; the idle release re-checks `last_activity_at` under its lock."""
    kept = (
        Order.objects.filter(
            customer_id=customer_id,
            window_id=window_id,
            window__status__in=(OrderWindow.Status.SCHEDULED, OrderWindow.Status.OPEN),
            window__opens_at__lte=now,
            window__closes_at__gt=now,
            status=Order.Status.BASKET,
            lines__isnull=False,
        )
        .distinct()
        .values_list("pk", flat=True)
    )
    return bool(
        Order.objects.filter(pk__in=list(kept)).update(last_activity_at=now, updated_at=now)
    )


def basket_take_released_note(*, order: Order) -> list[dict[str, object]]:
    """What was released from this basket, once: the note is cleared as it is read."""
    if not order.released:
        return []
    items = list(order.released)
    Order.objects.filter(pk=order.pk).update(released=[])
    order.released = []
    return items


@dataclass(frozen=True, slots=True)
class RepeatReport:
    added: list[str]
    partly: list[str]
    unavailable: list[str]


def basket_repeat_last(*, customer_id: int, window: OrderWindow, now: datetime) -> RepeatReport:
    """Fill the basket from the customer's previous order with what is on offer now:
    the same product, from the same farm, at this week's price."""
    _check_open(window, now)
    previous = (
        Order.objects.filter(customer_id=customer_id, window__opens_at__lt=window.opens_at)
        .exclude(status__in=(Order.Status.BASKET, Order.Status.CANCELLED))
        .order_by("-window__opens_at")
        .first()
    )
    if previous is None:
        raise BasketError(_("You have no previous order to repeat."))
    wanted = list(previous.lines.select_related("offer__product").order_by("offer__product__name"))
    offers = {
        o.product_id: o
        for o in Offer.objects.filter(
            window=window, product_id__in=[line.offer.product_id for line in wanted]
        )
    }
    current = dict(
        OrderLine.objects.filter(order__window=window, order__customer_id=customer_id).values_list(
            "offer_id", "quantity"
        )
    )
    added: list[str] = []
    partly: list[str] = []
    unavailable: list[str] = []
    asked: dict[int, int] = {}  # offer id: units (never fewer than the basket holds)
    names: dict[int, str] = {}
    for line in wanted:
        name = line.offer.product.name
        offer = offers.get(line.offer.product_id)
        if offer is None:
            unavailable.append(name)
            continue
        asked[offer.pk] = max(current.get(offer.pk, 0), line.quantity)
        names[offer.pk] = name
    filled = basket_fill(
        customer_id=customer_id, window_id=window.pk, wanted=list(asked.items()), now=now
    )
    for result in sorted(filled, key=lambda r: names[r.offer_id]):
        name = names[result.offer_id]
        if result.quantity == 0:
            unavailable.append(name)
        elif result.short:
            partly.append(name)
        else:
            added.append(name)
    return RepeatReport(added=added, partly=partly, unavailable=unavailable)
