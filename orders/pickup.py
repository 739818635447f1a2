"""Pickup day: marking orders collected or not, and recording shortages.

A shortage is when a farm delivered fewer units than were ordered. The rule: the
latest orders lose their units first (the last confirmed is the first cut), so the
customers who ordered earliest get what they ordered. Each affected line records its
units short (OrderLine.shortage); what the customer owes is computed on what they
receive. Customers are told by email, and what their card paid for the missing units
is refunded (`payments.refunds_settle`, in a task).
"""

import logging
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from .basket import BasketError
from .models import Offer, Order, OrderLine, OrderWindow

logger = logging.getLogger(__name__)

COLLECTABLE = (Order.Status.LOCKED, Order.Status.PICKED_UP, Order.Status.NOT_COLLECTED)


def check_not_settled(window_id: int) -> None:
    """Refuse a change of money in a week settled with the farms (its statements are
    final). Locks the window row, which settling also locks: one waits for the other."""
    window = OrderWindow.objects.select_for_update().only("settled_at").get(pk=window_id)
    if window.settled_at is not None:
        raise BasketError(
            _("This week is settled with the farms: its orders and payments can no longer change.")
        )


@transaction.atomic
def order_mark_pickup(*, order_id: int, picked_up: bool) -> Order:
    """Mark a locked order picked up, or not collected (either can be corrected)."""
    check_not_settled(Order.objects.values_list("window_id", flat=True).get(pk=order_id))
    order = Order.objects.select_for_update().select_related("window").get(pk=order_id)
    if order.status not in COLLECTABLE:
        raise BasketError(_("Only orders of a closed week can be marked."))
    order.status = Order.Status.PICKED_UP if picked_up else Order.Status.NOT_COLLECTED
    order.save(update_fields=["status", "updated_at"])
    return order


@transaction.atomic
def order_cancel_closed(*, order_id: int) -> Order:
    """Cancel an order of a closed week. Its units are not put back on sale (the week
    is over); what was paid by card is refunded by a task once this commits."""
    check_not_settled(Order.objects.values_list("window_id", flat=True).get(pk=order_id))
    order = Order.objects.select_for_update().get(pk=order_id)
    if order.status not in COLLECTABLE:
        raise BasketError(_("Only orders of a closed week can be cancelled here."))
    order.status = Order.Status.CANCELLED
    order.save(update_fields=["status", "updated_at"])
    transaction.on_commit(lambda: _refund_later(order_id, "cancellation"))
    return order


def _refund_later(order_id: int, reason: str) -> None:
    from . import tasks

    tasks.refund_order.delay(order_id, reason)


@dataclass(frozen=True, slots=True)
class ShortageCut:
    order_id: int
    customer_email: str
    units: int


@transaction.atomic
def shortage_record(*, offer_id: int, units_short: int, now: datetime) -> list[ShortageCut]:
    """Take `units_short` units off the offer's lines, latest orders first."""
    check_not_settled(Offer.objects.values_list("window_id", flat=True).get(pk=offer_id))
    offer = Offer.objects.select_for_update().select_related("window", "product").get(pk=offer_id)
    if offer.window.status != OrderWindow.Status.CLOSED:
        raise BasketError(_("Shortages are recorded once the week is closed."))
    lines = list(
        OrderLine.objects.select_for_update(of=("self",))
        .filter(offer=offer, order__status__in=COLLECTABLE)
        .select_related("order__customer")
        .order_by("-order__confirmed_at", "-order_id")
    )
    still_delivered = sum(line.quantity - line.shortage for line in lines)
    if units_short <= 0:
        raise BasketError(_("Enter the number of units missing (1 or more)."))
    if units_short > still_delivered:
        raise BasketError(
            _("Only %(count)d units of %(product)s are still due to customers.")
            % {"count": still_delivered, "product": offer.product.name}
        )
    cuts: list[ShortageCut] = []
    left = units_short
    for line in lines:
        cut = min(line.quantity - line.shortage, left)
        if cut <= 0:
            continue
        line.shortage += cut
        line.save(update_fields=["shortage"])
        cuts.append(ShortageCut(line.order_id, line.order.customer.email, cut))
        left -= cut
        if left == 0:
            break
    product_name = offer.product.name
    transaction.on_commit(lambda: _tell_customers(cuts=cuts, product=product_name))
    for order_id in {cut.order_id for cut in cuts}:
        # Card payments captured at close give back the units short, once.
        transaction.on_commit(partial(_refund_later, order_id, "shortage"))
    return cuts


def _tell_customers(*, cuts: list[ShortageCut], product: str) -> None:
    orders = {
        o.pk: o
        for o in Order.objects.filter(pk__in=[c.order_id for c in cuts]).select_related("customer")
    }
    for cut in cuts:
        order = orders[cut.order_id]
        with translation.override(order.language):
            context = {
                "order": order,
                "product": product,
                "units": cut.units,
                "coop_name": settings.COOP_NAME,
            }
            subject = render_to_string("orders/email/shortage_subject.txt", context).strip()
            body = render_to_string("orders/email/shortage.txt", context)
        try:
            EmailMessage(subject=subject, body=body, to=[cut.customer_email]).send()
        except Exception:
            logger.exception("order %s: the shortage email could not be sent", cut.order_id)
