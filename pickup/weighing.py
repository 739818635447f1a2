"""Weighing after the close (#17): products sold by the piece and priced by weight.

A customer orders pieces (a chicken) at an estimate (≈ 1.8 kg at 12 $/kg); the card hold
covers the estimate and the co-op's margin (`payments.collect` leaves such an order alone
at the close). After the close the farm, or a coordinator, enters what each piece
weighs. Once every piece of an order is weighed:

- its lines are priced on their weight (`OrderLine.weight`, the sum of its units);
- its money is taken: the hold captured for the actual amount, the saved card charged
  for what goes beyond it, or a link emailed, as at the close (`collect_order` task);
- the customer is emailed the final amount, once;
- the lists and sheets are rebuilt.

A weight corrected later moves the money again (refund or charge). Orders never
weighed are collected on their estimate on pickup day (`collect_unweighed`), so the
week's money never waits on a farm.

Locks, as everywhere after the close: the window (refusing a settled week), then the
lines of the offers weighed.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from common.money import format_money
from orders import selectors as market
from orders.audit import Action, audit_record
from orders.locks import window_lock_unsettled
from orders.models import Order, OrderLine, OrderWindow, Payment, Refund, UnitWeight
from payments import collect, credit, ledger, refunds

from . import jobs
from .errors import PickupError

logger = logging.getLogger(__name__)

# Beyond this many times its estimate, a piece's weight is asked again (a slip of the
# finger: 18.5 for 1.85).
FAR_FROM_ESTIMATE = 3
MAX_KG = Decimal("9999.999")  # the column's limit


def order_awaits_weights(order_id: int) -> bool:
    return OrderLine.objects.filter(market.lines_awaiting_weights(), order_id=order_id).exists()


@dataclass(slots=True)
class UnitRow:
    """One piece to weigh: its line, its number, its weight if entered."""

    line_id: int
    unit: int
    kg: Decimal | None

    @property
    def field(self) -> str:
        return f"w-{self.line_id}-{self.unit}"


@dataclass(slots=True)
class LineToWeigh:
    line: OrderLine
    units: list[UnitRow] = field(default_factory=list)

    @property
    def estimate(self) -> Decimal:
        return self.line.unit_weight_estimate or Decimal("0")

    @property
    def done(self) -> bool:
        return all(u.kg is not None for u in self.units)


def lines_to_weigh(*, window: OrderWindow, farm_id: int | None = None) -> list[LineToWeigh]:
    """The weighed lines of the window's closed orders (a farm's, or all), with one row
    per piece delivered: two queries."""
    lines: QuerySet[OrderLine] = (
        OrderLine.objects.filter(
            order__window=window,
            order__status__in=Order.CLOSED_STATUSES,
            unit_weight_estimate__isnull=False,
        )
        .select_related("order__customer", "offer__product__farm")
        .order_by("offer__product__farm__name", "offer__product__name", "order_id")
    )
    if farm_id is not None:
        lines = lines.filter(offer__product__farm_id=farm_id)
    found = [line for line in lines if line.delivered > 0]
    weights: dict[tuple[int, int], Decimal] = {
        (line_id, unit): kg
        for line_id, unit, kg in UnitWeight.objects.filter(
            line_id__in=[line.pk for line in found]
        ).values_list("line_id", "unit", "kg")
    }
    return [
        LineToWeigh(
            line=line,
            units=[
                UnitRow(line.pk, unit, weights.get((line.pk, unit)))
                for unit in range(1, line.delivered + 1)
            ],
        )
        for line in found
    ]


def parse_kg(text: str) -> Decimal | None:
    """A weight as typed, « 1,92 » or "1.92" (kg); None when empty; PickupError when it is
    not a weight."""
    text = text.strip().replace(",", ".").removesuffix("kg").strip()
    if not text:
        return None
    try:
        kg = Decimal(text)
    except InvalidOperation:
        raise PickupError(
            _("« %(text)s » is not a weight: type it in kg, such as 1.92.") % {"text": text}
        ) from None
    if not kg.is_finite():
        raise PickupError(
            _("« %(text)s » is not a weight: type it in kg, such as 1.92.") % {"text": text}
        )
    return kg


@dataclass(frozen=True, slots=True)
class FarWeight:
    """A weight beyond FAR_FROM_ESTIMATE times its estimate, to confirm."""

    line_id: int
    unit: int
    kg: Decimal
    estimate: Decimal
    product: str


@dataclass(slots=True)
class WeighResult:
    saved: int = 0
    far: list[FarWeight] = field(default_factory=list)  # nothing saved while any is left
    orders_done: list[int] = field(default_factory=list)


def weights_record(
    *,
    window_id: int,
    weights: dict[tuple[int, int], Decimal],
    by: User,
    farm_id: int | None = None,
    confirm_far: bool = False,
    now: datetime | None = None,
) -> WeighResult:
    """Record what pieces weighed: {(line id, unit number): kg}. All or nothing: a
    weight of zero or less, of a line not of this window (or farm), or of a unit that
    is not delivered is refused with its reason; one far from its estimate is returned
    to confirm and nothing is saved until `confirm_far`."""
    now = now or timezone.now()
    with transaction.atomic():
        window = window_lock_unsettled(window_id)
        if window.status != OrderWindow.Status.CLOSED:
            raise PickupError(_("Pieces are weighed once the week is closed."))
        line_ids = sorted({line_id for line_id, _unit in weights})
        lines = {
            line.pk: line
            for line in OrderLine.objects.select_for_update(of=("self",))
            .filter(
                pk__in=line_ids,
                order__window_id=window_id,
                order__status__in=Order.CLOSED_STATUSES,
                unit_weight_estimate__isnull=False,
            )
            .select_related("offer__product")
            .order_by("pk")
        }
        far: list[FarWeight] = []
        for (line_id, unit), kg in sorted(weights.items()):
            line = lines.get(line_id)
            if line is None or (farm_id is not None and line.offer.product.farm_id != farm_id):
                raise PickupError(_("This line is not one of this week's pieces to weigh."))
            name = line.offer.product.name
            if not 1 <= unit <= line.delivered:
                raise PickupError(
                    _("%(product)s has %(count)d pieces to weigh, not %(unit)d.")
                    % {"product": name, "count": line.delivered, "unit": unit}
                )
            if kg <= 0:
                raise PickupError(
                    _("A weight must be more than 0 kg (%(product)s, piece %(unit)d).")
                    % {"product": name, "unit": unit}
                )
            if kg > MAX_KG:
                raise PickupError(
                    _("%(kg)s kg is more than any piece weighs (%(product)s, piece %(unit)d).")
                    % {"kg": kg, "product": name, "unit": unit}
                )
            estimate = line.unit_weight_estimate or Decimal("0")
            if kg > estimate * FAR_FROM_ESTIMATE:
                far.append(FarWeight(line_id, unit, kg, estimate, name))
        if far and not confirm_far:
            return WeighResult(far=far)
        saved = 0
        for (line_id, unit), kg in sorted(weights.items()):
            UnitWeight.objects.update_or_create(
                line_id=line_id,
                unit=unit,
                defaults={"kg": kg.quantize(Decimal("0.001")), "entered_by": by, "entered_at": now},
            )
            saved += 1
        done: list[int] = []
        for line in lines.values():
            units = dict(
                UnitWeight.objects.filter(line=line, unit__lte=line.delivered).values_list(
                    "unit", "kg"
                )
            )
            total = sum(units.values(), Decimal("0")) if len(units) == line.delivered else None
            if total != line.weight:
                OrderLine.objects.filter(pk=line.pk).update(weight=total)
        for order_id in sorted({line.order_id for line in lines.values()}):
            if not order_awaits_weights(order_id):
                done.append(order_id)
        audit_record(
            window_id=window_id,
            action=Action.WEIGHTS_RECORDED,
            by=by,
            detail=", ".join(
                f"{lines[k[0]].offer.product.name} #{k[1]}: {v}" for k, v in sorted(weights.items())
            )[:500],
        )
        for order_id in done:
            jobs.collect_after_commit(order_id)
        if done:
            jobs.documents_rebuild_after_commit(window_id)
    return WeighResult(saved=saved, orders_done=done)


def order_weighed_notify(*, order_id: int) -> bool:
    """Email the customer their order's final amount, once every piece is weighed
    (once: `Order.weighed_notified_at`). False when there is nothing to send."""
    claimed = Order.objects.filter(pk=order_id, weighed_notified_at__isnull=True).update(
        weighed_notified_at=timezone.now()
    )
    if not claimed:
        return False
    order = Order.objects.select_related("customer", "window").get(pk=order_id)
    if order.customer is None or order_awaits_weights(order_id):
        return False
    lines = list(
        order.lines.select_related("offer__product").filter(unit_weight_estimate__isnull=False)
    )
    with translation.override(order.language):
        context = {
            "order": order,
            "lines": lines,
            "total": format_money(ledger.owed(order)),
            "coop_name": settings.COOP_NAME,
        }
        subject = render_to_string("pickup/email/weighed_subject.txt", context).strip()
        body = render_to_string("pickup/email/weighed.txt", context)
    try:
        EmailMessage(subject=subject, body=body, to=[order.customer.email]).send()
    except Exception:
        logger.exception("order %s: the final amount email could not be sent", order_id)
        Order.objects.filter(pk=order_id).update(weighed_notified_at=None)
        return False
    return True


def order_money_after_weighing(*, order_id: int) -> bool:
    """What follows a weighed order (the `collect_weighed` task; safe to run twice): a
    card order's money moved to what it owes now (the hold captured for it, the card
    charged beyond, or what was paid beyond given back), then the customer told the
    final amount. False when a call to Stripe failed (the task retries)."""
    order = Order.objects.get(pk=order_id)
    if order.status not in Order.CLOSED_STATUSES or order_awaits_weights(order_id):
        return True
    if ledger.received(order_id) > ledger.owed(order):
        refunds.refunds_settle(order_id=order_id, reason=Refund.Reason.WEIGHED)
    elif order.payment_method == Payment.Method.CARD:
        if not collect.order_collect(order_id=order_id):
            return False
    else:  # paid at pickup: store credit first, the rest at the table
        credit.credit_use(order_id=order_id)
    order_weighed_notify(order_id=order_id)
    return True


def unweighed_collect(*, now: datetime) -> int:
    """On pickup day, collect the card orders whose pieces were never weighed, on their
    estimate (a weight entered later moves the money again). The number collected."""
    today = timezone.localdate(now)
    ids = list(
        Order.objects.filter(
            market.awaiting_weights(),
            status__in=Order.CLOSED_STATUSES,
            payment_method=Payment.Method.CARD,
            window__status=OrderWindow.Status.CLOSED,
            window__settled_at__isnull=True,
            window__pickup_date__lte=today,
        )
        .exclude(payments__status__in=ledger.MONEY_IN)
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()
    )
    done = 0
    for order_id in ids:
        try:
            done += bool(collect.order_collect(order_id=order_id))
        except Exception:
            logger.exception("order %s: collecting on the estimate failed", order_id)
    return done
