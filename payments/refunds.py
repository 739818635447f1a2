"""Money going back: card refunds of what an order received beyond what it owes (after a
shortage or a cancellation), sent once whatever the number of reruns; and, at the pickup
table, cash collected and money given back by hand."""

import logging

from django.db import transaction
from django.db.models import F, Sum
from django.utils.translation import gettext as _

from orders.locks import order_lock, window_lock_unsettled
from orders.models import CreditEntry, Order, Payment, Refund

from . import credit, gateway, services
from .errors import PaymentError
from .ledger import AT_PICKUP, MONEY_IN, ZERO, owed, received

logger = logging.getLogger(__name__)

CARD = Payment.Method.CARD
CreditReason = CreditEntry.Reason


def refunds_settle(*, order_id: int, reason: str) -> list[int]:
    """Refund what came in by card beyond what the order now owes (after a shortage or
    a cancellation). The Refund rows are written under the order's lock first, so two
    runs never refund the same money; then each is sent with its own key. Returns the
    ids of the refunds sent now."""
    if not Order.objects.filter(pk=order_id).exists():
        return []
    if Order.objects.filter(pk=order_id, status=Order.Status.CANCELLED).exists():
        services.holds_release(order_id=order_id)  # nothing more may come in for it
    with transaction.atomic():
        order = order_lock(order_id)
        # What the order paid from store credit goes back there first.
        credit.credit_back_excess(order)
        keep = credit.keeps_refunds(order.customer_id)
        payments = list(
            Payment.objects.select_for_update()
            .filter(order=order, method=CARD, status=Payment.Status.CAPTURED)
            .order_by("-pk")
        )
        pending = {
            row["payment_id"]: row["total"]
            for row in Refund.objects.filter(payment__in=payments, status=Refund.Status.PENDING)
            .values("payment_id")
            .annotate(total=Sum("amount"))
        }
        refundable = {
            p.pk: p.amount_captured - p.amount_refunded - pending.get(p.pk, ZERO) for p in payments
        }
        cash = (
            Payment.objects.filter(order=order, status=Payment.Status.COLLECTED).aggregate(
                total=Sum(F("amount_captured") - F("amount_refunded"))
            )["total"]
            or ZERO
        )
        excess = sum(refundable.values(), ZERO) + cash + credit.credit_used(order.pk) - owed(order)
        excess = min(excess, sum(refundable.values(), ZERO))
        for payment in payments:
            if excess <= 0:
                break
            amount = min(excess, refundable[payment.pk])
            if amount > 0 and keep:  # the customer keeps money owed back as credit
                credit.credit_give_back(
                    order=order, payment=payment, amount=amount, reason=CreditReason.REFUND
                )
                excess -= amount
            elif amount > 0:
                Refund.objects.create(payment=payment, amount=amount, reason=reason)
                excess -= amount
    sent = []
    for refund in Refund.objects.filter(
        payment__order_id=order_id, status=Refund.Status.PENDING
    ).select_related("payment"):
        if _refund_send(refund):
            sent.append(refund.pk)
    return sent


MAX_REFUND_ATTEMPTS = 5


def _refund_send(refund: Refund) -> bool:
    """Send one pending refund, once. Two refund requests can both act (unlike a
    capture), so before any request after the first, and after an ambiguous answer,
    Stripe's refunds of the intent are searched for this row's id in their metadata:
    a refund found there is recorded, and only when none is there is one asked for."""
    Refund.objects.filter(pk=refund.pk).update(attempts=F("attempts") + 1)
    refund.attempts += 1
    intent_id = refund.payment.stripe_payment_intent_id or ""
    try:
        if refund.attempts > 1:  # an earlier request may have acted unheard (or its key expired)
            found = gateway.refund_find(intent_id=intent_id, refund_id=refund.pk)
            if found is not None:
                return _refund_done(refund, found)
        stripe_id = gateway.refund_create(
            intent_id=intent_id,
            amount=refund.amount,
            key=f"refund-{refund.pk}",
            metadata={"order_id": str(refund.payment.order_id), "refund_id": str(refund.pk)},
        )
    except gateway.GatewayError as error:
        if error.ambiguous:
            return _refund_unclear(refund, intent_id, error)
        if error.code or refund.attempts >= MAX_REFUND_ATTEMPTS:
            # Coordinators see "refund failed" on the order and give the money back
            # by hand (Stripe's dashboard, or cash).
            logger.error("refund %s failed for good: %s", refund.pk, error)
            Refund.objects.filter(pk=refund.pk).update(status=Refund.Status.FAILED)
        else:
            logger.warning("refund %s failed, will retry: %s", refund.pk, error)
        return False
    return _refund_done(refund, stripe_id)


def _refund_unclear(refund: Refund, intent_id: str, error: gateway.GatewayError) -> bool:
    """The request may have acted: Stripe's list of the intent's refunds decides."""
    try:
        found = gateway.refund_find(intent_id=intent_id, refund_id=refund.pk)
    except gateway.GatewayError as reread:
        logger.warning("refund %s: no clear answer, will look again: %s", refund.pk, reread)
        return False
    if found is not None:
        return _refund_done(refund, found)
    if refund.attempts >= MAX_REFUND_ATTEMPTS:
        # Stripe shows no such refund after every attempt: given back by hand.
        logger.error("refund %s failed for good: %s", refund.pk, error)
        Refund.objects.filter(pk=refund.pk).update(status=Refund.Status.FAILED)
    else:
        logger.warning("refund %s: not made at Stripe, will retry: %s", refund.pk, error)
    return False


def _refund_done(refund: Refund, stripe_id: str) -> bool:
    with transaction.atomic():
        done = Refund.objects.filter(pk=refund.pk, status=Refund.Status.PENDING).update(
            status=Refund.Status.SUCCEEDED, stripe_refund_id=stripe_id
        )
        if done:
            Payment.objects.filter(pk=refund.payment_id).update(
                amount_refunded=F("amount_refunded") + refund.amount
            )
    return bool(done)


# At pickup ------------------------------------------------------------------------------


@transaction.atomic
def cash_record(*, order_id: int, recorded_by_id: int) -> Payment:
    """The coordinator collected what the order still owes, in cash or debit."""
    window_lock_unsettled(Order.objects.values_list("window_id", flat=True).get(pk=order_id))
    order = order_lock(order_id)
    if order.status not in Order.CLOSED_STATUSES:
        raise PaymentError(_("Payment is collected at pickup, once the week is closed."))
    if order.written_off_at:
        raise PaymentError(_("This order is written off: it has nothing to pay."))
    if order.payments.filter(status=Payment.Status.CAPTURING).exists():
        raise PaymentError(_("The card of this order is being charged: wait a moment."))
    if order.payments.filter(
        status__in=(Payment.Status.PROCESSING, Payment.Status.REVIEW)
    ).exists():
        raise PaymentError(
            _(
                "The card payment of this order is not settled yet (processing, or to check "
                "in Stripe): look it up in Stripe before taking cash."
            )
        )
    outstanding = owed(order) - received(order.pk)
    if outstanding <= 0:
        raise PaymentError(_("This order has nothing left to pay."))
    return Payment.objects.create(
        order=order,
        method=AT_PICKUP,
        kind=Payment.Kind.CASH,
        status=Payment.Status.COLLECTED,
        amount_captured=outstanding,
        recorded_by_id=recorded_by_id,
    )


@transaction.atomic
def refund_by_hand(*, order_id: int, recorded_by_id: int) -> list[Refund]:
    """The coordinator gave back by hand (cash, an e-transfer) what the order received
    beyond what it owes: a shortage after cash was taken, a card refund Stripe kept
    refusing. Recorded as refunds already made, on cash first, then on card payments."""
    window_lock_unsettled(Order.objects.values_list("window_id", flat=True).get(pk=order_id))
    order = order_lock(order_id)
    # Store credit the order used goes back there first; when that was all, done.
    if credit.credit_back_excess(order, recorded_by_id) and received(order.pk) <= owed(order):
        return []
    paid = list(
        Payment.objects.select_for_update()
        .filter(order=order, status__in=MONEY_IN)
        .exclude(method=Payment.Method.CREDIT)
        .order_by("kind", "-pk")  # "cash" sorts before the card kinds: cash first
    )
    if Refund.objects.filter(payment__in=paid, status=Refund.Status.PENDING).exists():
        raise PaymentError(_("A card refund of this order is still being sent: wait a moment."))
    excess = received(order.pk) - owed(order)
    if excess <= 0:
        raise PaymentError(_("This order has received nothing beyond what it owes."))
    made = []
    for payment in paid:
        amount = min(excess, payment.net)
        if amount <= 0:
            continue
        made.append(
            Refund.objects.create(
                payment=payment,
                amount=amount,
                reason=Refund.Reason.BY_HAND,
                status=Refund.Status.SUCCEEDED,
            )
        )
        Payment.objects.filter(pk=payment.pk).update(amount_refunded=F("amount_refunded") + amount)
        excess -= amount
        if excess <= 0:
            break
    logger.info("order %s: %s given back by hand (user %s)", order_id, made, recorded_by_id)
    return made


def pending_refund_orders() -> list[int]:
    """Orders with a refund still to send (for the periodic retry)."""
    return list(
        Refund.objects.filter(status=Refund.Status.PENDING)
        .values_list("payment__order_id", flat=True)
        .distinct()
    )
