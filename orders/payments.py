"""Paying for orders: card holds through Stripe Checkout, capture at close, charges of
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
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from urllib.parse import urljoin

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, Sum
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from . import gateway, pricing
from .models import CoopSettings, Order, Payment, Refund, StripeCustomer

logger = logging.getLogger(__name__)

ZERO = Decimal("0.00")
STRIPE_MINIMUM = Decimal("0.50")  # Stripe's smallest charge in Canadian dollars
CARD = Payment.Method.CARD
AT_PICKUP = Payment.Method.AT_PICKUP
CLOSED_ORDER = (Order.Status.LOCKED, Order.Status.PICKED_UP, Order.Status.NOT_COLLECTED)
# Statuses whose amount_captured is money in (a CAPTURING row has captured nothing yet).
MONEY_IN = (Payment.Status.CAPTURED, Payment.Status.COLLECTED)


class PaymentError(Exception):
    """A refusal the customer or coordinator can read: `message` is translated."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# Reading --------------------------------------------------------------------------------


def owed(order: Order) -> Decimal:
    """What the order costs now: its lines less shortages, taxes included; nothing when
    it is cancelled, still a basket, or written off by the co-op."""
    if order.status in (Order.Status.CANCELLED, Order.Status.BASKET) or order.written_off_at:
        return ZERO
    return pricing.totals(
        (line.unit_price, line.quantity - line.shortage, line.tax_class)
        for line in order.lines.all()  # prefetched by list pages
    ).total


def received(order_id: int) -> Decimal:
    """Money in for the order: captured and collected, less what was refunded."""
    got = Payment.objects.filter(order_id=order_id, status__in=MONEY_IN).aggregate(
        total=Sum(F("amount_captured") - F("amount_refunded"))
    )["total"]
    return got or ZERO


def methods_offered() -> list[str]:
    """Card when Stripe is set up; pay at pickup when the co-op allows it, or when
    there is no card payment at all (the demo)."""
    methods: list[str] = [CARD] if gateway.enabled() else []
    if not methods or CoopSettings.load().pay_at_pickup:
        methods.append(AT_PICKUP)
    return methods


@dataclass(frozen=True, slots=True)
class PaymentState:
    """What to tell the customer and the coordinator about an order's money."""

    method: str
    owed: Decimal
    received: Decimal
    held: Decimal
    refunded: Decimal
    label: str
    tone: str  # "ok", "todo" or "problem": the colour of the label
    can_authorize: bool  # a card order whose hold does not cover its total, window open
    can_pay_now: bool  # a card order after close with money still owed

    @property
    def outstanding(self) -> Decimal:
        return max(ZERO, self.owed - self.received)

    @property
    def excess(self) -> Decimal:
        """Received beyond what is owed (refunded by card automatically; cash by hand)."""
        return max(ZERO, self.received - self.owed)


def payment_state(order: Order, payments: list[Payment] | None = None) -> PaymentState:
    """The order's payment as one label. `payments` may be prefetched."""
    if payments is None:
        payments = list(order.payments.all())
    due = owed(order)
    got = sum((p.net for p in payments if p.status in MONEY_IN), ZERO)
    refunded = sum((p.amount_refunded for p in payments), ZERO)
    holds = [p for p in payments if p.kind == Payment.Kind.HOLD]
    held = max(
        (p.amount_authorized for p in holds if p.status == Payment.Status.AUTHORIZED), default=ZERO
    )
    method = order.payment_method or AT_PICKUP
    is_open = order.status in (Order.Status.CONFIRMED, Order.Status.BASKET)
    statuses = {p.status for p in payments}
    money = pricing.to_cent
    # A refund Stripe kept refusing matters while the money is still to give back.
    refund_failed = got > due and any(
        r.status == Refund.Status.FAILED for p in payments for r in p.refunds.all()
    )
    if order.written_off_at:
        label = _("Written off by the co-op: nothing to pay")
        return PaymentState(method, due, got, held, refunded, str(label), "ok", False, False)
    if order.status == Order.Status.CANCELLED:
        label, tone = (_("Refunded") if refunded else _("Cancelled")), "ok"
        if refund_failed:
            label, tone = _("Refund failed: give it back by hand"), "problem"
        return PaymentState(method, due, got, held, refunded, str(label), tone, False, False)
    can_authorize = can_pay_now = False
    if method == AT_PICKUP:
        if got >= due and due:
            label, tone = _("Paid at pickup"), "ok"
        else:
            label = _("Pay at pickup: %(amount)s") % {"amount": _money(money(due - got))}
            tone = "todo"
    elif is_open:
        if held >= due:
            label = _("Card authorized: %(amount)s held, charged at close") % {
                "amount": _money(held)
            }
            tone = "ok"
        elif held:
            label = _("New total %(total)s is above the %(held)s held: authorize it") % {
                "total": _money(due),
                "held": _money(held),
            }
            tone, can_authorize = "todo", True
        else:
            label, tone, can_authorize = _("Card authorization needed"), "todo", True
    elif got >= due:
        label, tone = _("Paid by card: %(amount)s") % {"amount": _money(got)}, "ok"
        if not due:
            label = _("Nothing to pay")
    elif Payment.Status.CAPTURING in statuses:
        label, tone = _("Being charged"), "todo"
    elif Payment.Status.DECLINED in statuses and Payment.Status.ACTION_REQUIRED not in statuses:
        label, tone, can_pay_now = _("Card declined"), "problem", True
    else:
        label, tone, can_pay_now = _("Payment pending"), "problem", True
    if refunded and order.status != Order.Status.CANCELLED:
        label = f"{label} · " + _("refunded %(amount)s") % {"amount": _money(refunded)}
    if refund_failed:
        label, tone = f"{label} · " + _("refund failed: give it back by hand"), "problem"
    return PaymentState(
        method, due, got, held, refunded, str(label), tone, can_authorize, can_pay_now
    )


def _money(amount: Decimal) -> str:
    from farms.templatetags.money import format_money

    return format_money(amount)


# Checkout -------------------------------------------------------------------------------


def _stripe_customer(order: Order) -> str:
    existing = StripeCustomer.objects.filter(user_id=order.customer_id).first()
    if existing:
        return existing.customer_id
    customer_id = gateway.customer_create(
        user_id=order.customer_id, email=order.customer.email, key=f"customer-{order.customer_id}"
    )
    StripeCustomer.objects.get_or_create(
        user_id=order.customer_id, defaults={"customer_id": customer_id}
    )
    return StripeCustomer.objects.get(user_id=order.customer_id).customer_id


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
        kind, amount = Payment.Kind.HOLD, state.owed
    elif order.status in CLOSED_ORDER and state.outstanding > 0:
        kind, amount = Payment.Kind.LINK, state.outstanding
    else:
        raise PaymentError(_("There is nothing to pay on this order."))
    if amount < STRIPE_MINIMUM:
        raise PaymentError(
            _("Card payments start at %(minimum)s: pay this order at pickup.")
            % {"minimum": _money(STRIPE_MINIMUM)}
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
    stripe_customer = _stripe_customer(order)
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
        _apply(payment.pk, gateway.intent_retrieve(payment.stripe_payment_intent_id))
    payment.refresh_from_db()
    order = Order.objects.get(pk=payment.order_id)
    if payment.kind == Payment.Kind.HOLD:
        _release_older_holds(payment.order_id)
        if (
            payment.status == Payment.Status.AUTHORIZED
            and order.status in (*CLOSED_ORDER, Order.Status.CANCELLED)
            and received(order.pk) >= owed(order)
        ):
            _release(payment)  # completed in another tab after the close took the money
    if payment.status == Payment.Status.CAPTURED and received(order.pk) > owed(order):
        transaction.on_commit(partial(_refund_later, order.pk, Refund.Reason.OVERPAYMENT))
    return payment


def _refund_later(order_id: int, reason: str) -> None:
    from . import tasks

    tasks.refund_order.delay(order_id, reason)


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
def _apply(payment_id: int, intent: gateway.Intent) -> None:
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
    elif intent.status == "canceled":
        status = Payment.Status.CANCELLED
    elif intent.status == "requires_action":
        status = Payment.Status.ACTION_REQUIRED
    elif intent.status == "requires_payment_method" and payment.kind == Payment.Kind.CHARGE:
        status = Payment.Status.DECLINED
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
        _release(hold)


def _release(payment: Payment) -> None:
    """Give back a hold, or close a Checkout page nobody should complete any more. A
    page completed meanwhile is followed like any other payment."""
    if not payment.stripe_payment_intent_id and payment.stripe_checkout_session_id:
        gateway.checkout_expire(
            session_id=payment.stripe_checkout_session_id, key=f"expire-{payment.pk}"
        )
        _link_session(payment)
        payment.refresh_from_db()
    if payment.stripe_payment_intent_id:
        intent = gateway.intent_retrieve(payment.stripe_payment_intent_id)
        if intent.status in ("requires_capture", "requires_confirmation", "requires_action"):
            try:
                intent = gateway.intent_cancel(
                    intent_id=payment.stripe_payment_intent_id, key=f"release-{payment.pk}"
                )
            except gateway.GatewayError:
                intent = gateway.intent_retrieve(payment.stripe_payment_intent_id)
        _apply(payment.pk, intent)
    else:
        Payment.objects.filter(pk=payment.pk, status=Payment.Status.PENDING).update(
            status=Payment.Status.CANCELLED
        )


def holds_release(*, order_id: int) -> None:
    """Give back every hold and close every open page of the order (cancelled, or
    switched to pay at pickup, or about to be paid in cash)."""
    for payment in Payment.objects.filter(
        order_id=order_id,
        method=CARD,
        status__in=(Payment.Status.AUTHORIZED, Payment.Status.PENDING),
    ):
        _release(payment)


def links_close(*, order_id: int) -> None:
    """Close the order's open Checkout pages (before cash is taken for it)."""
    for payment in Payment.objects.filter(
        order_id=order_id, method=CARD, status=Payment.Status.PENDING
    ):
        _release(payment)


# At close -------------------------------------------------------------------------------


def order_collect(*, order_id: int) -> bool:
    """Take what a locked card order owes. True when its money is final (paid, declined
    or waiting for the customer); False when a call failed and a rerun must finish it."""
    order = Order.objects.select_related("customer", "window").get(pk=order_id)
    # Pages still open (a new hold the customer never completed) close first: completed
    # later, they would hold the card for nothing.
    for pending in order.payments.filter(kind=Payment.Kind.HOLD, status=Payment.Status.PENDING):
        _release(pending)
    # Calls left in flight by a crashed run, with their recorded key and amount.
    for payment in order.payments.filter(status=Payment.Status.CAPTURING).order_by("pk"):
        if not _capture(payment):
            return False
    due = owed(order)
    if received(order.pk) >= due:
        _release_spare_holds(order.pk)
        return True
    hold = (
        order.payments.filter(kind=Payment.Kind.HOLD, status=Payment.Status.AUTHORIZED)
        .order_by("-pk")
        .first()
    )
    if hold is not None and hold.stripe_payment_intent_id:
        # No re-read first: a lapsed hold makes the capture fail, and `_capture` then
        # follows the intent (one call per order when all goes well).
        amount = min(due - received(order.pk), hold.amount_authorized)
        claimed = Payment.objects.filter(pk=hold.pk, status=Payment.Status.AUTHORIZED).update(
            status=Payment.Status.CAPTURING, amount_requested=amount
        )
        if claimed and not _capture(Payment.objects.get(pk=hold.pk)):
            return False
    _release_spare_holds(order.pk)
    rest = due - received(order.pk)
    if rest <= 0:
        return True
    if order.payments.filter(
        Q(kind=Payment.Kind.CHARGE)
        | Q(
            kind=Payment.Kind.LINK,
            status__in=(Payment.Status.ACTION_REQUIRED, Payment.Status.PENDING),
        )
    ).exists():
        return True  # charged once already, or the customer was asked: no second try
    card = _saved_card(order)
    if card is None:
        link = Payment.objects.create(
            order=order,
            method=CARD,
            kind=Payment.Kind.LINK,
            status=Payment.Status.ACTION_REQUIRED,
            amount_requested=rest,
            failure_message=_("No card on file."),
        )
        _ask_customer(order, link)
        return True
    try:
        with transaction.atomic():
            charge = Payment.objects.create(
                order=order,
                method=CARD,
                kind=Payment.Kind.CHARGE,
                status=Payment.Status.CAPTURING,
                amount_requested=rest,
                stripe_customer_id=card[0],
                stripe_payment_method_id=card[1],
            )
    except IntegrityError:  # another worker created it: it makes the call
        return True
    return _capture(charge)


def _saved_card(order: Order) -> tuple[str, str] | None:
    """The customer's card saved by a Checkout hold (this week's or an earlier one)."""
    row = (
        Payment.objects.filter(order__customer_id=order.customer_id, kind=Payment.Kind.HOLD)
        .exclude(stripe_customer_id="")
        .exclude(stripe_payment_method_id="")
        .order_by("-pk")
        .values_list("stripe_customer_id", "stripe_payment_method_id")
        .first()
    )
    return (row[0], row[1]) if row else None


MAX_ATTEMPTS = 5  # unanswered calls on one payment before the customer is asked


def _capture(payment: Payment) -> bool:
    """Make the claimed call (capture a hold, or charge the saved card) and record it.
    True when the payment's fate is known; False to try again at the next run."""
    Payment.objects.filter(pk=payment.pk).update(attempts=F("attempts") + 1)
    try:
        intent = _capture_call(payment)
    except gateway.AuthenticationRequired as refusal:
        _refused(payment, refusal.message, Payment.Status.ACTION_REQUIRED, refusal.intent)
        return True
    except gateway.CardDeclined as refusal:
        _refused(payment, refusal.message, Payment.Status.DECLINED, refusal.intent)
        return True
    except gateway.GatewayError as error:
        if payment.stripe_payment_intent_id and error.code:
            # Stripe answered (the hold lapsed, or it was captured already): follow it.
            intent = gateway.intent_retrieve(payment.stripe_payment_intent_id)
            if intent.status not in ("requires_capture", "requires_confirmation"):
                Payment.objects.filter(pk=payment.pk, status=Payment.Status.CAPTURING).update(
                    status=Payment.Status.AUTHORIZED
                )
                _apply(payment.pk, intent)
                return True
        if error.code or payment.attempts + 1 >= MAX_ATTEMPTS:
            # A refusal that will not change (a card removed, a bad request), or
            # Stripe unreachable run after run: the customer pays by link instead.
            logger.error("payment %s: Stripe refused or failed for good: %s", payment.pk, error)
            _refused(payment, error.message, Payment.Status.DECLINED, None)
            return True
        logger.warning("payment %s: Stripe call failed, will retry: %s", payment.pk, error)
        return False
    _apply(payment.pk, intent)
    return True


def _capture_call(payment: Payment) -> gateway.Intent:
    if payment.kind == Payment.Kind.HOLD:
        return gateway.intent_capture(
            intent_id=payment.stripe_payment_intent_id or "",
            amount=payment.amount_requested,
            key=f"capture-{payment.pk}",
        )
    # A charge: first an unconfirmed intent whose id we keep, then its confirmation.
    if not payment.stripe_payment_intent_id:
        created = gateway.intent_create_off_session(
            key=f"charge-{payment.pk}",
            customer=payment.stripe_customer_id,
            payment_method=payment.stripe_payment_method_id,
            amount=payment.amount_requested,
            description=_("%(coop)s – order %(number)s")
            % {"coop": settings.COOP_NAME, "number": payment.order_id},
            metadata={"order_id": str(payment.order_id), "payment_id": str(payment.pk)},
        )
        Payment.objects.filter(pk=payment.pk).update(stripe_payment_intent_id=created.id)
        payment.stripe_payment_intent_id = created.id
    intent = gateway.intent_retrieve(payment.stripe_payment_intent_id)
    if intent.status != "requires_confirmation":
        return intent  # confirmed by a run that died before recording it
    return gateway.intent_confirm_off_session(
        intent_id=payment.stripe_payment_intent_id, key=f"confirm-{payment.pk}"
    )


def _refused(payment: Payment, message: str, status: str, intent: gateway.Intent | None) -> None:
    changes: dict[str, object] = {"status": status, "failure_message": message[:300]}
    if intent is not None and not payment.stripe_payment_intent_id:
        changes["stripe_payment_intent_id"] = intent.id
    moved = Payment.objects.filter(pk=payment.pk, status=Payment.Status.CAPTURING).update(**changes)
    if moved:
        payment.refresh_from_db()
        _ask_customer(Order.objects.select_related("customer").get(pk=payment.order_id), payment)


def _release_spare_holds(order_id: int) -> None:
    for hold in Payment.objects.filter(
        order_id=order_id, kind=Payment.Kind.HOLD, status=Payment.Status.AUTHORIZED
    ):
        _release(hold)


def _ask_customer(order: Order, payment: Payment) -> None:
    """Email the customer a link to pay: their bank wants them present, the card was
    declined, or there is no card on file. Sent once per payment (by the caller's
    claimed status change)."""
    link = urljoin(settings.COOP_BASE_URL, reverse("baskets:order", args=[order.pk]))
    with translation.override(order.language):
        context = {
            "order": order,
            "amount": _money(payment.amount_requested),
            "link": link,
            "coop_name": settings.COOP_NAME,
            "declined": payment.status == Payment.Status.DECLINED,
        }
        subject = render_to_string("orders/email/payment_needed_subject.txt", context).strip()
        body = render_to_string("orders/email/payment_needed.txt", context)
    try:
        EmailMessage(subject=subject, body=body, to=[order.customer.email]).send()
    except Exception:
        logger.exception("order %s: the payment email could not be sent", order.pk)


def window_collect(*, window_id: int, heartbeat: Callable[[int, int], None] | None = None) -> int:
    """Collect every locked card order of the window; the number still unfinished.

    Each order is independent and mostly waits on Stripe (0.2–0.5 s a call), so on
    PostgreSQL, outside a transaction, `COOP_CLOSE_STRIPE_THREADS` orders are collected
    at once, each thread with its own connection. On SQLite, or inside a transaction
    (the tests), one after another. `heartbeat(done, total)` follows each order."""
    ids = list(
        Order.objects.filter(window_id=window_id, status=Order.Status.LOCKED, payment_method=CARD)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    threads = settings.COOP_CLOSE_STRIPE_THREADS
    if connection.vendor != "postgresql" or connection.in_atomic_block or len(ids) < 2:
        threads = 1
    unfinished = 0
    if threads == 1:
        for index, order_id in enumerate(ids, start=1):
            unfinished += not _collect_one(order_id)
            if heartbeat:  # each order: slow Stripe calls must not look like a dead job
                heartbeat(index, len(ids))
        return unfinished
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="collect") as pool:
        for index, done in enumerate(pool.map(_collect_in_thread, ids), start=1):
            unfinished += not done
            if heartbeat:
                heartbeat(index, len(ids))
    return unfinished


def _collect_one(order_id: int) -> bool:
    try:
        return order_collect(order_id=order_id)
    except gateway.GatewayError as error:
        logger.warning("order %s: collecting failed: %s", order_id, error)
        return False


def _collect_in_thread(order_id: int) -> bool:
    try:
        return _collect_one(order_id)
    except Exception:
        logger.exception("order %s: collecting failed", order_id)
        return False  # the rerun after the lease tries it again
    finally:
        connection.close()  # this thread's own connection


# Refunds --------------------------------------------------------------------------------


def refunds_settle(*, order_id: int, reason: str) -> list[int]:
    """Refund what came in by card beyond what the order now owes (after a shortage or
    a cancellation). The Refund rows are written under the order's lock first, so two
    runs never refund the same money; then each is sent with its own key. Returns the
    ids of the refunds sent now."""
    if not Order.objects.filter(pk=order_id).exists():
        return []
    if Order.objects.filter(pk=order_id, status=Order.Status.CANCELLED).exists():
        holds_release(order_id=order_id)  # nothing more may come in for it
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
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
        excess = sum(refundable.values(), ZERO) + cash - owed(order)
        excess = min(excess, sum(refundable.values(), ZERO))
        for payment in payments:
            if excess <= 0:
                break
            amount = min(excess, refundable[payment.pk])
            if amount > 0:
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
    Refund.objects.filter(pk=refund.pk).update(attempts=F("attempts") + 1)
    refund.attempts += 1
    try:
        stripe_id = gateway.refund_create(
            intent_id=refund.payment.stripe_payment_intent_id or "",
            amount=refund.amount,
            key=f"refund-{refund.pk}",
            metadata={"order_id": str(refund.payment.order_id), "refund_id": str(refund.pk)},
        )
    except gateway.GatewayError as error:
        if error.code or refund.attempts >= MAX_REFUND_ATTEMPTS:
            # Coordinators see "refund failed" on the order and give the money back
            # by hand (Stripe's dashboard, or cash).
            logger.error("refund %s failed for good: %s", refund.pk, error)
            Refund.objects.filter(pk=refund.pk).update(status=Refund.Status.FAILED)
        else:
            logger.warning("refund %s failed, will retry: %s", refund.pk, error)
        return False
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
    from .basket import BasketError
    from .pickup import check_not_settled

    try:
        check_not_settled(Order.objects.values_list("window_id", flat=True).get(pk=order_id))
    except BasketError as refusal:
        raise PaymentError(refusal.message) from None
    order = Order.objects.select_for_update().get(pk=order_id)
    if order.status not in CLOSED_ORDER:
        raise PaymentError(_("Payment is collected at pickup, once the week is closed."))
    if order.written_off_at:
        raise PaymentError(_("This order is written off: it has nothing to pay."))
    if order.payments.filter(status=Payment.Status.CAPTURING).exists():
        raise PaymentError(_("The card of this order is being charged: wait a moment."))
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
    from .basket import BasketError
    from .pickup import check_not_settled

    try:
        check_not_settled(Order.objects.values_list("window_id", flat=True).get(pk=order_id))
    except BasketError as refusal:
        raise PaymentError(refusal.message) from None
    order = Order.objects.select_for_update().get(pk=order_id)
    paid = list(
        Payment.objects.select_for_update()
        .filter(order=order, status__in=MONEY_IN)
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


def outstanding_captures(window_id: int) -> bool:
    return Payment.objects.filter(
        Q(status=Payment.Status.CAPTURING), order__window_id=window_id
    ).exists()
