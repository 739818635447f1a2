"""Collecting at close: take what each locked card order owes, once.

Capture what the order owes, at most the hold; what the hold does not cover (expired,
missing, smaller) is charged to the saved card without the customer (a CHARGE). If
the bank wants the customer present, or there is no saved card, the customer is
emailed a link to pay (a LINK payment) and coordinators see "payment pending". Every
call is claimed in the database first (a CAPTURING status, an amount), then made with a
key built from the row's id, then recorded (see `payments.services`).
"""

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urljoin

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from common.money import format_money
from orders import selectors as market
from orders.models import Order, Payment, Refund

from . import credit, gateway, jobs, services
from .ledger import STRIPE_MINIMUM, owed, received

logger = logging.getLogger(__name__)

CARD = Payment.Method.CARD


def order_collect(*, order_id: int) -> bool:
    """Take what a locked card order owes. True when its money is final (paid, declined
    or waiting for the customer); False when a call failed and a rerun must finish it."""
    order = Order.objects.select_related("customer", "window").get(pk=order_id)
    # Pages still open (a new hold the customer never completed) close first: completed
    # later, they would hold the card for nothing.
    for pending in order.payments.filter(kind=Payment.Kind.HOLD, status=Payment.Status.PENDING):
        services.payment_release(pending)
    # Calls left in flight by a crashed run, with their recorded key and amount.
    for payment in order.payments.filter(status=Payment.Status.CAPTURING).order_by("pk"):
        if not _capture(payment):
            return False
    if credit.balance(order.customer_id):  # the customer's store credit, before the card
        credit.credit_use(order_id=order.pk)
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
        if amount >= STRIPE_MINIMUM:  # below it Stripe takes nothing: paid at pickup
            claimed = Payment.objects.filter(pk=hold.pk, status=Payment.Status.AUTHORIZED).update(
                status=Payment.Status.CAPTURING, amount_requested=amount
            )
            if claimed and not _capture(Payment.objects.get(pk=hold.pk)):
                return False
    _release_spare_holds(order.pk)
    rest = due - received(order.pk)
    if rest <= 0:
        return True
    if rest < STRIPE_MINIMUM:
        # Stripe refuses a charge this small, and so would a link: the customer pays
        # it at pickup (their order page and the point's sheet say so).
        return True
    if order.payments.filter(
        Q(kind=Payment.Kind.CHARGE)
        | Q(
            kind=Payment.Kind.LINK,
            status__in=(Payment.Status.ACTION_REQUIRED, Payment.Status.PENDING),
        )
        # Money Stripe may hold already: taken and not yet confirmed, or left to check.
        | Q(status__in=(Payment.Status.PROCESSING, Payment.Status.REVIEW))
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


MAX_ATTEMPTS = 5  # calls on one payment before it is left to a coordinator or the customer


def call_key(payment: Payment, action: str) -> str:
    """The idempotency key of the claimed call: built from the row, plus the round when
    an ambiguous answer made us start again (`key_round`)."""
    key = f"{action}-{payment.pk}"
    return f"{key}-r{payment.key_round}" if payment.key_round else key


def _capture(payment: Payment) -> bool:
    """Make the claimed call (capture a hold, or charge the saved card) and record it.
    True when the payment's fate is known; False to try again at the next run.

    An ambiguous answer (no answer, a 5xx, an idempotency conflict, an unreadable body)
    may hide a call that acted: the PaymentIntent is read again and decides."""
    Payment.objects.filter(pk=payment.pk).update(attempts=F("attempts") + 1)
    payment.attempts += 1
    try:
        intent = _capture_call(payment)
    except gateway.AuthenticationRequired as refusal:
        _refused(payment, refusal.message, Payment.Status.ACTION_REQUIRED, refusal.intent)
        return True
    except gateway.CardDeclined as refusal:
        _refused(payment, refusal.message, Payment.Status.DECLINED, refusal.intent)
        return True
    except gateway.GatewayError as error:
        if not payment.stripe_payment_intent_id:
            return _no_intent(payment, error)
        # Stripe refused (and said why), or may have acted: either way, its intent decides.
        try:
            intent = gateway.intent_retrieve(payment.stripe_payment_intent_id)
        except gateway.GatewayError as reread:
            return _unanswered(payment, reread)
        return _follow(payment, intent, error)
    if intent.status == "requires_action":  # the bank wants the customer, answered as 200
        message = intent.error or _("Your bank asks you to confirm this payment yourself.")
        _refused(payment, message, Payment.Status.ACTION_REQUIRED, intent)
        return True
    services.intent_apply(payment.pk, intent)
    return True


def _follow(payment: Payment, intent: gateway.Intent, error: gateway.GatewayError) -> bool:
    """After a call that failed: act on what Stripe holds, never on the failure."""
    logger.warning(
        "payment %s: Stripe answered %s (%s); %s is %s",
        payment.pk,
        error.code or "nothing clear",
        error.message,
        intent.id,
        intent.status,
    )
    if intent.status == "succeeded" or intent.status == "processing":
        # The money is taken (perhaps by the call whose answer we lost), whatever amount
        # it was: record it; more or less than owed is settled by the usual rules.
        _record_taken(payment, intent)
        return True
    if intent.status == "canceled":  # the hold lapsed: the close charges the saved card
        Payment.objects.filter(pk=payment.pk, status=Payment.Status.CAPTURING).update(
            status=Payment.Status.AUTHORIZED
        )
        services.intent_apply(payment.pk, intent)
        return True
    if intent.status == "requires_action":
        _refused(payment, intent.error or error.message, Payment.Status.ACTION_REQUIRED, intent)
        return True
    if intent.status == "requires_payment_method" and payment.kind == Payment.Kind.CHARGE:
        _refused(payment, intent.error or error.message, Payment.Status.DECLINED, intent)
        return True
    still = "requires_capture" if payment.kind == Payment.Kind.HOLD else "requires_confirmation"
    if intent.status == still and error.ambiguous:
        # Nothing acted: a capture or a confirmation acts only once on an intent, so a
        # fresh key is safe where the old one is stuck (a conflict) or unheard of.
        if payment.attempts >= MAX_ATTEMPTS:
            return _unanswered(payment, error)
        Payment.objects.filter(pk=payment.pk).update(key_round=F("key_round") + 1)
        payment.refresh_from_db()
        return _capture(payment)
    if intent.status == still:
        # A refusal that will not change (a removed card, a bad request): by link.
        logger.error("payment %s: Stripe refused for good: %s", payment.pk, error)
        _refused(payment, error.message, Payment.Status.DECLINED, None)
        return True
    return _review(payment, f"{intent.id} is {intent.status}")


def _record_taken(payment: Payment, intent: gateway.Intent) -> None:
    """Record what Stripe took; beyond what the order owes goes back (a refund task)."""
    services.intent_apply(payment.pk, intent)
    order = Order.objects.get(pk=payment.order_id)
    if received(order.pk) > owed(order):
        jobs.refund_after_commit(order.pk, Refund.Reason.OVERPAYMENT)


def _no_intent(payment: Payment, error: gateway.GatewayError) -> bool:
    """A charge whose intent could not be created: no money can have moved."""
    if not error.ambiguous or payment.attempts >= MAX_ATTEMPTS:
        logger.error("payment %s: the charge could not be made: %s", payment.pk, error)
        _refused(payment, error.message, Payment.Status.DECLINED, None)
        return True
    logger.warning("payment %s: Stripe call failed, will retry: %s", payment.pk, error)
    return False


def _unanswered(payment: Payment, error: gateway.GatewayError) -> bool:
    """Stripe could not tell us: try at the next run; after the last attempt leave it
    to a coordinator (never declined, never a link: the money may be there)."""
    if payment.attempts >= MAX_ATTEMPTS:
        return _review(payment, error.message)
    logger.warning("payment %s: Stripe call failed, will retry: %s", payment.pk, error)
    return False


def _review(payment: Payment, message: str) -> bool:
    logger.error(
        "payment %s (intent %s): left for a coordinator to check in Stripe: %s",
        payment.pk,
        payment.stripe_payment_intent_id,
        message,
    )
    Payment.objects.filter(pk=payment.pk, status=Payment.Status.CAPTURING).update(
        status=Payment.Status.REVIEW, failure_message=message[:300]
    )
    return True


def payments_recheck() -> int:
    """Follow Stripe for the payments it left unclear: taken but still processing, or
    left for a coordinator after answers that fit no known state or never came. What
    Stripe now shows taken or released is recorded; a call that never acted (the
    intent still to capture or confirm) is claimed again and made with a new key, as
    the close would have. Returns how many payments moved."""
    moved = 0
    for payment in Payment.objects.filter(
        status__in=(Payment.Status.PROCESSING, Payment.Status.REVIEW)
    ).exclude(stripe_payment_intent_id=None):
        try:
            intent = gateway.intent_retrieve(payment.stripe_payment_intent_id or "")
        except gateway.GatewayError as error:
            logger.warning("payment %s: still unclear at Stripe: %s", payment.pk, error)
            continue
        if payment.status == Payment.Status.REVIEW and intent.status in (
            "requires_capture",
            "requires_confirmation",
        ):
            claimed = Payment.objects.filter(pk=payment.pk, status=Payment.Status.REVIEW).update(
                status=Payment.Status.CAPTURING, attempts=0, key_round=F("key_round") + 1
            )
            moved += claimed and order_collect(order_id=payment.order_id)
            continue
        _record_taken(payment, intent)
        moved += Payment.objects.filter(pk=payment.pk).exclude(status=payment.status).exists()
    return moved


def _capture_call(payment: Payment) -> gateway.Intent:
    if payment.kind == Payment.Kind.HOLD:
        return gateway.intent_capture(
            intent_id=payment.stripe_payment_intent_id or "",
            amount=payment.amount_requested,
            key=call_key(payment, "capture"),
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
        intent_id=payment.stripe_payment_intent_id, key=call_key(payment, "confirm")
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
        services.payment_release(hold)


def _ask_customer(order: Order, payment: Payment) -> None:
    """Email the customer a link to pay: their bank wants them present, the card was
    declined, or there is no card on file. Sent once per payment (by the caller's
    claimed status change)."""
    if order.customer is None:  # a walk-in sale pays at the table
        return
    link = urljoin(settings.COOP_BASE_URL, reverse("baskets:order", args=[order.pk]))
    with translation.override(order.language):
        context = {
            "order": order,
            "amount": format_money(payment.amount_requested),
            "link": link,
            "coop_name": settings.COOP_NAME,
            "declined": payment.status == Payment.Status.DECLINED,
        }
        subject = render_to_string("payments/email/payment_needed_subject.txt", context).strip()
        body = render_to_string("payments/email/payment_needed.txt", context)
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
        # An order with pieces to weigh is collected once they are weighed (its hold
        # covers their estimate and the margin): `pickup.weighing`.
        .exclude(market.awaiting_weights())
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    credit_at_close(window_id)
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


def credit_at_close(window_id: int) -> int:
    """Orders paid at pickup whose customer has store credit: the credit pays first, and
    the point's sheet asks only for the rest. (Card orders use theirs in
    `order_collect`.) The number of orders that used credit."""
    ids = (
        Order.objects.filter(
            window_id=window_id,
            status=Order.Status.LOCKED,
            customer__credit_account__balance__gt=0,
        )
        .exclude(payment_method=CARD)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return sum(bool(credit.credit_use(order_id=pk)) for pk in ids)


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


def outstanding_captures(window_id: int) -> bool:
    return Payment.objects.filter(
        Q(status=Payment.Status.CAPTURING), order__window_id=window_id
    ).exists()
