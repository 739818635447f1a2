"""Pickup day: marking orders collected or not, and recording shortages.

A shortage is when a farm delivered fewer units than were ordered. The rule: the
latest orders lose their units first (the last confirmed is the first cut), so the
customers who ordered earliest get what they ordered. Each affected line records its
units short (OrderLine.shortage); what the customer owes is computed on what they
receive. Customers are told by email, and what their card paid for the missing units
is refunded (`payments.refunds.refunds_settle`, in a task).
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import User
from orders.audit import Action, audit_record
from orders.locks import offer_lock, order_lock, window_lock_unsettled
from orders.models import Offer, Order, OrderLine, OrderWindow
from payments.jobs import refund_after_commit

from . import jobs
from .errors import PickupError

logger = logging.getLogger(__name__)


@transaction.atomic
def order_mark_pickup(*, order_id: int, picked_up: bool) -> Order:
    """Mark a locked order picked up, or not collected (either can be corrected)."""
    window_lock_unsettled(Order.objects.values_list("window_id", flat=True).get(pk=order_id))
    order = order_lock(order_id)
    if order.status not in Order.CLOSED_STATUSES:
        raise PickupError(_("Only orders of a closed week can be marked."))
    order.status = Order.Status.PICKED_UP if picked_up else Order.Status.NOT_COLLECTED
    order.save(update_fields=["status", "updated_at"])
    if picked_up:
        jobs.receipt_after_commit(order.pk)  # its numbered receipt, drawn by a task
    return order


@transaction.atomic
def order_cancel_closed(*, order_id: int, by: User | None = None) -> Order:
    """Cancel an order of a closed week. Its units are not put back on sale (the week
    is over); what was paid by card is refunded by a task once this commits."""
    window_lock_unsettled(Order.objects.values_list("window_id", flat=True).get(pk=order_id))
    order = order_lock(order_id)
    if order.status not in Order.CLOSED_STATUSES:
        raise PickupError(_("Only orders of a closed week can be cancelled here."))
    order.status = Order.Status.CANCELLED
    order.save(update_fields=["status", "updated_at"])
    audit_record(window_id=order.window_id, action=Action.ORDER_CANCELLED, by=by, order_id=order.pk)
    refund_after_commit(order_id, "cancellation")
    jobs.documents_rebuild_after_commit(order.window_id)
    return order


@dataclass(frozen=True, slots=True)
class ShortageCut:
    order_id: int
    customer_email: str
    units: int


@transaction.atomic
def shortage_record(
    *, offer_id: int, units_short: int, now: datetime, by: User | None = None
) -> list[ShortageCut]:
    """Take `units_short` units off the offer's lines, latest orders first."""
    window_lock_unsettled(Offer.objects.values_list("window_id", flat=True).get(pk=offer_id))
    offer = offer_lock(offer_id)
    if offer.window.status != OrderWindow.Status.CLOSED:
        raise PickupError(_("Shortages are recorded once the week is closed."))
    lines = list(
        OrderLine.objects.select_for_update(of=("self",))
        # Walk-in sales were handed over at the table: a shortage is never theirs.
        .filter(offer=offer, order__status__in=Order.CLOSED_STATUSES, order__customer__isnull=False)
        .select_related("order__customer")
        .order_by("-order__confirmed_at", "-order_id")
    )
    still_delivered = sum(line.quantity - line.shortage for line in lines)
    if units_short <= 0:
        raise PickupError(_("Enter the number of units missing (1 or more)."))
    if units_short > still_delivered:
        raise PickupError(
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
        cuts.append(ShortageCut(line.order_id, line.order.customer.email, cut))  # type: ignore[union-attr]
        left -= cut
        if left == 0:
            break
    product_name = offer.product.name
    audit_record(
        window_id=offer.window_id,
        action=Action.SHORTAGE_RECORDED,
        by=by,
        detail=f"{product_name}: {units_short}",
    )
    transaction.on_commit(lambda: _tell_customers(cuts=cuts, product=product_name))
    for order_id in sorted({cut.order_id for cut in cuts}):
        # Card payments captured at close give back the units short, once.
        refund_after_commit(order_id, "shortage")
    jobs.documents_rebuild_after_commit(offer.window_id)
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
            subject = render_to_string("pickup/email/shortage_subject.txt", context).strip()
            body = render_to_string("pickup/email/shortage.txt", context)
        try:
            EmailMessage(subject=subject, body=body, to=[cut.customer_email]).send()
        except Exception:
            logger.exception("order %s: the shortage email could not be sent", cut.order_id)
