"""Paying for orders by card: card holds through Stripe Checkout, capture at close, charges of
the saved card, refunds, and cash at pickup.

The flow, for a card order:
1. At confirmation the customer is sent to Stripe Checkout, which holds the total on
   their card (manual capture) and saves the card for later charges (a HOLD payment).
2. A change that raises the total above the hold asks for a new hold of the new total;
   once it is authorized the older hold is released. A change that lowers it needs
   nothing.
3. At close (`order_collect`, called by `closing.window_close`): capture what the order
   owes, at most the hold; what the hold does not cover (expired, missing, smaller) is
   charged to the saved card without the customer (a CHARGE). If the bank wants the
   customer present, or there is no saved card, the customer is emailed a link to pay
   (a LINK payment, automatic capture) and coordinators see "payment pending".
4. Shortages and cancellations after capture are refunded automatically (`refunds_settle`):
   what came in minus what is owed, once, whatever the number of reruns.

Rules that make it exactly once:
- No Stripe call is made inside a transaction that holds locks: the intent is written
  first (a claimed status, an amount, a Refund row), committed, then the call is made
  with an idempotency key built from that row's id, then the result is written. A rerun
  finds the claimed row and repeats the same call with the same key: Stripe answers
  with the first result instead of acting twice.
- Our rows follow Stripe's PaymentIntent, re-read on every event (`payment_sync`),
  never the order in which events arrive.
"""

import logging
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from common.money import format_money
from orders import pricing
from orders.models import Order, Payment, Refund, StripeCustomer

from . import gateway, jobs
from .errors import PaymentError
from .ledger import STRIPE_MINIMUM, owed, payment_state, received

logger = logging.getLogger(__name__)

CARD = Payment.Method.CARD


# Checkout -------------------------------------------------------------------------------


def _stripe_customer(order: Order) -> str:
    user = order.customer
    if user is None:  # a walk-in sale has no account, so no Stripe customer
        raise PaymentError(_("This order is not paid by card."))
    existing = StripeCustomer.objects.filter(user_id=user.pk).first()
    if existing:
        return existing.customer_id
    customer_id = gateway.customer_create(
        user_id=user.pk, email=user.email, key=f"customer-{user.pk}"
    )
    StripeCustomer.objects.get_or_create(user_id=user.pk, defaults={"customer_id": customer_id})
    return StripeCustomer.objects.get(user_id=user.pk).customer_id


def checkout_begin(*, order_id: int, customer_id: int, return_url: str, cancel_url: str) -> str:
    """The Stripe Checkout address where the customer authorizes (before close) or pays
    (after close) what their card order needs. A second press reuses the page."""
    if not gateway.enabled():
        raise PaymentError(_("Card payment is not set up for this co-op."))
    order = Order.objects.select_related("customer", "window").get(pk=order_id)
    if order.customer_id != customer_id or order.payment_method != CARD:
        raise PaymentError(_("This order is not paid by card."))
    if order.written_off_at or order.window.settled_at:
        raise PaymentError(_("There is nothing to pay on this order."))
    state = payment_state(order)
    if order.status == Order.Status.CONFIRMED:
        if not state.can_authorize:
            raise PaymentError(_("Your card already covers this order."))
        kind, amount = Payment.Kind.HOLD, state.to_hold
    elif order.status in Order.CLOSED_STATUSES and state.unclear:
        # Stripe may hold the money already (being charged, processing, to check).
        raise PaymentError(
            _("Your payment is being confirmed with your bank: there is nothing to pay now.")
        )
    elif order.status in Order.CLOSED_STATUSES and state.outstanding > 0:
        kind, amount = Payment.Kind.LINK, state.outstanding
    else:
        raise PaymentError(_("There is nothing to pay on this order."))
    if amount < STRIPE_MINIMUM:
        raise PaymentError(
            _("Card payments start at %(minimum)s: pay this order at pickup.")
            % {"minimum": format_money(STRIPE_MINIMUM)}
        )
    reuse = (
        order.payments.filter(kind=kind, status=Payment.Status.PENDING, amount_authorized=amount)
        .exclude(checkout_url="")
        .first()
    )
    if reuse is not None:
        session = gateway.checkout_retrieve(reuse.stripe_checkout_session_id or "")
        if session.status == "open":
            return reuse.checkout_url
    # A LINK row created by the close (ACTION_REQUIRED, no page yet) is the one to use.
    payment = (
        order.payments.filter(kind=kind, status=Payment.Status.ACTION_REQUIRED, checkout_url="")
        .order_by("-pk")
        .first()
    ) or Payment.objects.create(order=order, method=CARD, kind=kind)
    Payment.objects.filter(pk=payment.pk).update(
        status=Payment.Status.PENDING, amount_authorized=amount
    )
    return _checkout_page(
        order=order,
        payment=payment,
        kind=kind,
        amount=amount,
        stripe_customer=_stripe_customer(order),
        return_url=return_url,
        cancel_url=cancel_url,
    )


def walk_in_checkout(*, order_id: int, return_url: str, cancel_url: str) -> str:
    """The Stripe Checkout address where a walk-in buyer (no account, no saved card)
    pays their sale at the table, on the co-op's tablet or their own phone."""
    if not gateway.enabled():
        raise PaymentError(_("Card payment is not set up for this co-op."))
    order = Order.objects.select_related("window").get(pk=order_id)
    if order.customer_id is not None or order.payment_method != CARD:
        raise PaymentError(_("This order is not paid by card."))
    outstanding = payment_state(order).outstanding
    if outstanding <= 0 or order.window.settled_at:
        raise PaymentError(_("There is nothing to pay on this order."))
    if outstanding < STRIPE_MINIMUM:
        raise PaymentError(
            _("Card payments start at %(minimum)s: pay this order at pickup.")
            % {"minimum": format_money(STRIPE_MINIMUM)}
        )
    payment = Payment.objects.create(
        order=order,
        method=CARD,
        kind=Payment.Kind.LINK,
        status=Payment.Status.PENDING,
        amount_authorized=outstanding,
    )
    return _checkout_page(
        order=order,
        payment=payment,
        kind=Payment.Kind.LINK,
        amount=outstanding,
        stripe_customer="",
        return_url=return_url,
        cancel_url=cancel_url,
    )


def _checkout_page(
    *,
    order: Order,
    payment: Payment,
    kind: str,
    amount: Decimal,
    stripe_customer: str,
    return_url: str,
    cancel_url: str,
) -> str:
    description = _("%(coop)s – order %(number)s, pickup %(date)s") % {
        "coop": settings.COOP_NAME,
        "number": order.pk,
        "date": order.window.pickup_date.isoformat(),
    }
    session = gateway.checkout_create(
        key=f"checkout-{payment.pk}-{pricing.to_cents(amount)}",
        customer=stripe_customer,
        amount=amount,
        description=description,
        success_url=return_url + "?session_id={CHECKOUT_SESSION_ID}",
        cancel_url=cancel_url,
        manual_capture=kind == Payment.Kind.HOLD,
        locale="fr" if order.language.startswith("fr") else "en",
        metadata={"order_id": str(order.pk), "payment_id": str(payment.pk)},
    )
    Payment.objects.filter(pk=payment.pk).update(
        stripe_checkout_session_id=session.id,
        checkout_url=session.url,
        stripe_customer_id=stripe_customer,
    )
    return session.url


# Following Stripe -----------------------------------------------------------------------


def payment_sync(*, payment_id: int) -> Payment:
    """Re-read the payment's Checkout session and PaymentIntent from Stripe and bring
    our row in line. Safe to run any number of times, in any order. Then tidy up what
    the new state makes useless: older holds, a hold completed after the close, money
    received beyond what the order owes (refunded by a task)."""
    payment = Payment.objects.get(pk=payment_id)
    _link_session(payment)
    payment.refresh_from_db()
    if payment.stripe_payment_intent_id:
        intent_apply(payment.pk, gateway.intent_retrieve(payment.stripe_payment_intent_id))
    payment.refresh_from_db()
    order = Order.objects.get(pk=payment.order_id)
    if payment.kind == Payment.Kind.HOLD:
        _release_older_holds(payment.order_id)
        if (
            payment.status == Payment.Status.AUTHORIZED
            and order.status in (*Order.CLOSED_STATUSES, Order.Status.CANCELLED)
            and received(order.pk) >= owed(order)
        ):
            payment_release(payment)  # completed in another tab after the close took the money
    if payment.status == Payment.Status.CAPTURED and received(order.pk) > owed(order):
        jobs.refund_after_commit(order.pk, Refund.Reason.OVERPAYMENT)
    return payment


def _link_session(payment: Payment) -> None:
    """Store the PaymentIntent of a completed Checkout page; cancel an expired one."""
    if payment.stripe_payment_intent_id or not payment.stripe_checkout_session_id:
        return
    session = gateway.checkout_retrieve(payment.stripe_checkout_session_id)
    if session.payment_intent:
        Payment.objects.filter(pk=payment.pk, stripe_payment_intent_id__isnull=True).update(
            stripe_payment_intent_id=session.payment_intent
        )
    elif session.status == "expired":
        Payment.objects.filter(pk=payment.pk, status=Payment.Status.PENDING).update(
            status=Payment.Status.CANCELLED
        )


@transaction.atomic
def intent_apply(payment_id: int, intent: gateway.Intent) -> None:
    """Write what Stripe says about the intent on our row. Never moves backwards: a
    captured payment stays captured, amounts only grow to what Stripe reports."""
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    changes: dict[str, object] = {}
    if intent.customer and not payment.stripe_customer_id:
        changes["stripe_customer_id"] = intent.customer
    if intent.payment_method and not payment.stripe_payment_method_id:
        changes["stripe_payment_method_id"] = intent.payment_method
    if not payment.stripe_payment_intent_id:
        changes["stripe_payment_intent_id"] = intent.id
    status = payment.status
    if intent.status == "succeeded":
        status = Payment.Status.CAPTURED
        changes["amount_captured"] = max(payment.amount_captured, intent.amount_received)
    elif payment.status == Payment.Status.CAPTURED:
        pass
    elif intent.status == "requires_capture":
        if payment.status != Payment.Status.CAPTURING:
            status = Payment.Status.AUTHORIZED
        changes["amount_authorized"] = intent.amount_capturable
    elif intent.status == "processing":
        status = Payment.Status.PROCESSING  # taken, not yet confirmed: never taken again
    elif intent.status == "canceled":
        status = Payment.Status.CANCELLED
    elif intent.status == "requires_action":
        status = Payment.Status.ACTION_REQUIRED
    elif intent.status == "requires_payment_method" and (
        payment.kind == Payment.Kind.CHARGE or payment.status == Payment.Status.PROCESSING
    ):
        status = Payment.Status.DECLINED  # refused, or a processing payment that failed
    if intent.error:
        changes["failure_message"] = intent.error[:300]
    if status != payment.status:
        changes["status"] = status
    if changes:
        for name, value in changes.items():
            setattr(payment, name, value)
        payment.save(update_fields=[*changes, "updated_at"])


def _release_older_holds(order_id: int) -> None:
    """Keep only the newest authorized hold of the order; cancel the others at Stripe."""
    holds = list(
        Payment.objects.filter(
            order_id=order_id,
            kind=Payment.Kind.HOLD,
            status__in=(Payment.Status.AUTHORIZED, Payment.Status.PENDING),
        ).order_by("-pk")
    )
    newest_authorized = next((h for h in holds if h.status == Payment.Status.AUTHORIZED), None)
    if newest_authorized is None:
        return
    for hold in holds:
        if hold.pk == newest_authorized.pk:
            continue
        if hold.status == Payment.Status.PENDING and hold.pk > newest_authorized.pk:
            continue  # a newer page the customer may still complete
        payment_release(hold)


def payment_release(payment: Payment) -> None:
    """Give back a hold, or close a Checkout page nobody should complete any more, the
    way Checkout allows: an open page is expired (whether or not it has started its
    PaymentIntent: Stripe then cancels the intent); a PaymentIntent is cancelled only
    while it holds money (``requires_capture``). Anything else is left to the page's
    own expiry, and a completion that comes later is followed like any other payment
    (a hold released, or money refunded, by `payment_sync`)."""
    if payment.stripe_checkout_session_id and payment.status in (
        Payment.Status.PENDING,
        Payment.Status.ACTION_REQUIRED,
    ):
        # Its page may be open (with or without an intent begun), or completed unseen.
        session = gateway.checkout_retrieve(payment.stripe_checkout_session_id)
        if session.status == "open":
            gateway.checkout_expire(
                session_id=payment.stripe_checkout_session_id, key=f"expire-{payment.pk}"
            )
        _link_session(payment)
        payment.refresh_from_db()
    if payment.stripe_payment_intent_id:
        intent = gateway.intent_retrieve(payment.stripe_payment_intent_id)
        if intent.status == "requires_capture":
            try:
                intent = gateway.intent_cancel(
                    intent_id=payment.stripe_payment_intent_id, key=f"release-{payment.pk}"
                )
            except gateway.GatewayError:
                intent = gateway.intent_retrieve(payment.stripe_payment_intent_id)
        intent_apply(payment.pk, intent)
    else:
        Payment.objects.filter(pk=payment.pk, status=Payment.Status.PENDING).update(
            status=Payment.Status.CANCELLED
        )


def holds_release(*, order_id: int) -> None:
    """Give back every hold and close every open page of the order (cancelled, or
    switched to pay at pickup, or about to be paid in cash)."""
    for payment in Payment.objects.filter(
        Q(status__in=(Payment.Status.AUTHORIZED, Payment.Status.PENDING)) | _PAGE_STOPPED,
        order_id=order_id,
        method=CARD,
    ):
        payment_release(payment)


# A page the customer began paying and stopped at (3-D Secure): still open at Stripe.
_PAGE_STOPPED = Q(status=Payment.Status.ACTION_REQUIRED) & ~Q(stripe_checkout_session_id=None)


def links_close(*, order_id: int) -> None:
    """Close the order's open Checkout pages (before cash is taken for it)."""
    for payment in Payment.objects.filter(
        Q(status=Payment.Status.PENDING) | _PAGE_STOPPED, order_id=order_id, method=CARD
    ):
        payment_release(payment)
