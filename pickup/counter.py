"""The coordinator at the counter: an order taken for a member who phones in, and a
walk-in sale of what is left on pickup day.

A phone order goes through the customer's own services (`orders.basket`): the stock
is taken with the same guarded updates (never oversold), the deadline holds the same
way, the refusals say the same words. There is no grace period after the close: once
a week is closed its lists are built from what was ordered, and changes go through
shortages and cancellations, which rebuild them. The order records who entered it.

A walk-in sale is an order with a name and no account, made on a closed week from the
units left on the offers (`Offer.remaining`, taken with the same guarded update), picked
up and paid in cash at once. It counts in the farms' sales and in the settlement like
any order; it is not on the lists or sheets (it was handed over at the table).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from orders import basket
from orders.audit import Action, audit_record
from orders.basket import LineResult
from orders.locks import window_lock_unsettled
from orders.models import Offer, Order, OrderLine, OrderWindow
from payments.refunds import cash_record

from . import jobs
from .errors import PickupError

MAX_WALK_IN_UNITS = 999


@dataclass(frozen=True, slots=True)
class PhoneOrder:
    order: Order | None  # None when the order was emptied (cancelled)
    results: list[LineResult]

    @property
    def messages(self) -> list[str]:
        return [r.message for r in self.results if r.message]


@transaction.atomic
def order_on_behalf(
    *,
    by: User,
    customer_id: int,
    window_id: int,
    wanted: Sequence[tuple[int, int]],
    pickup_point_id: int,
    pickup_slot_id: int | None,
    payment_method: str,
    now: datetime,
) -> PhoneOrder:
    """Set the customer's order for the week to `wanted` (offer id, quantity) and
    confirm it, for them. All quantities at 0 cancel the order. Raises the customer's
    refusals (WindowClosed, BasketError)."""
    customer = User.objects.get(pk=customer_id, is_active=True)
    results = basket.basket_fill(
        customer_id=customer.pk, window_id=window_id, wanted=wanted, now=now
    )
    if not any(r.quantity for r in results):
        existing = Order.objects.filter(window_id=window_id, customer=customer).first()
        if existing is None or existing.status != Order.Status.CONFIRMED:
            raise PickupError(_("Enter at least one quantity."))  # rolls the basket back
        order = basket.order_cancel(customer_id=customer.pk, window_id=window_id, now=now)
        audit_record(window_id=window_id, action=Action.ORDER_CANCELLED, by=by, order_id=order.pk)
        return PhoneOrder(order=None, results=results)
    order = basket.order_confirm(
        customer_id=customer.pk,
        window_id=window_id,
        pickup_point_id=pickup_point_id,
        pickup_slot_id=pickup_slot_id,
        language=customer.language,
        now=now,
        payment_method=payment_method,
    )
    order.entered_by = by
    order.save(update_fields=["entered_by", "updated_at"])
    audit_record(
        window_id=window_id,
        action=Action.ORDER_ON_BEHALF,
        by=by,
        order_id=order.pk,
        detail=str(customer),
    )
    return PhoneOrder(order=order, results=results)


@transaction.atomic
def walk_in_sale(
    *,
    by: User,
    window_id: int,
    name: str,
    wanted: Sequence[tuple[int, int]],
    now: datetime,
    card: bool = False,
) -> Order:
    """Sell units left on the week's offers to a buyer without an account, paid in
    cash now, or by card on a payment page (`card`: the view opens it with
    `payments.services.walk_in_checkout` once this commits). Every line or none: a
    line beyond what is left refuses the sale."""
    name = " ".join(name.split())[:120]
    if not name:
        raise PickupError(_("Enter the buyer's name."))
    window = window_lock_unsettled(window_id)
    if window.status != OrderWindow.Status.CLOSED:
        raise PickupError(_("Walk-in sales are recorded on pickup day, once the week is closed."))
    quantities = {offer_id: quantity for offer_id, quantity in wanted if quantity}
    if any(q < 0 or q > MAX_WALK_IN_UNITS for q in quantities.values()):
        raise PickupError(_("At most %(max)d units per product.") % {"max": MAX_WALK_IN_UNITS})
    if not quantities:
        raise PickupError(_("Enter at least one quantity."))
    offers = {
        o.pk: o
        for o in Offer.objects.filter(window=window, pk__in=quantities).select_related("product")
    }
    if len(offers) != len(quantities):
        raise PickupError(_("This product is not on offer."))
    order = Order.objects.create(
        window=window,
        walk_in_name=name,
        entered_by=by,
        status=Order.Status.PICKED_UP,
        payment_method="card" if card else "at_pickup",
        confirmed_at=now,
        last_activity_at=now,
        language=by.language if by.language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE,
    )
    for offer_id in sorted(quantities):  # offers in pk order, as every writer takes them
        offer, units = offers[offer_id], quantities[offer_id]
        if not Offer.objects.filter(pk=offer_id, remaining__gte=units).update(
            remaining=F("remaining") - units
        ):
            left = Offer.objects.values_list("remaining", flat=True).get(pk=offer_id)
            raise PickupError(
                _("Sorry, %(product)s is sold out.") % {"product": offer.product.name}
                if left == 0
                else ngettext(
                    "Only %(count)d unit of %(product)s is left.",
                    "Only %(count)d units of %(product)s are left.",
                    left,
                )
                % {"count": left, "product": offer.product.name}
            )
        OrderLine.objects.create(
            order=order,
            offer=offer,
            quantity=units,
            unit_price=offer.price,
            tax_class=offer.product.tax_class,
            unit_weight_estimate=offer.product.estimated_weight,
            deposit=offer.product.deposit,
        )
    if not card:
        cash_record(order_id=order.pk, recorded_by_id=by.pk)
        jobs.receipt_after_commit(order.pk)  # paid and handed over: its receipt
    audit_record(
        window_id=window.pk, action=Action.WALK_IN_SALE, by=by, order_id=order.pk, detail=name
    )
    return order
