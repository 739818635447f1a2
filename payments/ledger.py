"""What an order owes and what came in for it, and the one label that tells both: the
reading side of payments, which settlements reuses."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from common.money import format_money
from orders import pricing
from orders.models import CoopSettings, CreditAccount, Order, OrderLine, Payment, Refund

ZERO = Decimal("0.00")
STRIPE_MINIMUM = Decimal("0.50")  # Stripe's smallest charge in Canadian dollars
AT_PICKUP = Payment.Method.AT_PICKUP
CREDIT = Payment.Method.CREDIT
# Statuses whose amount_captured is money in (a CAPTURING row has captured nothing yet).
MONEY_IN = (Payment.Status.CAPTURED, Payment.Status.COLLECTED)


# While a card payment is in one of these, what it will bring in is not known yet.
CARD_MOVING = (
    Payment.Status.PENDING,
    Payment.Status.CAPTURING,
    Payment.Status.PROCESSING,
    Payment.Status.REVIEW,
    Payment.Status.ACTION_REQUIRED,
)


DeliveredLine = tuple[Decimal, int, int, str, Decimal | None, Decimal | None, Decimal]


def delivered_totals(lines: Iterable[DeliveredLine]) -> pricing.Totals:
    """What lines come to on what is delivered, taxes included: each line as
    (unit_price, quantity, shortage, tax_class, estimated kg per unit, weight, deposit)
    (estimate and weight None for a line sold by the unit). The one rule of what a closed order's
    lines cost; `owed` and the settlements' accounts both use it."""
    return pricing.totals(
        (
            price,
            quantity - shortage,
            tax,
            pricing.kg(estimate=estimate, weight=weight, delivered=quantity - shortage),
            deposit,
        )
        for price, quantity, shortage, tax, estimate, weight, deposit in lines
    )


def owed(order: Order) -> Decimal:
    """What the order costs now: its lines less shortages, taxes included (a weighed
    line on its weight, or its estimate until weighed); nothing when it is cancelled,
    still a basket, or written off by the co-op."""
    return _owed(order, list(order.lines.all()))  # prefetched by list pages


def _owed(order: Order, lines: list[OrderLine]) -> Decimal:
    if order.status in (Order.Status.CANCELLED, Order.Status.BASKET) or order.written_off_at:
        return ZERO
    return pricing.totals(line.priced for line in lines).total


def hold_needed(
    order: Order, due: Decimal | None = None, lines: list[OrderLine] | None = None
) -> Decimal:
    """What a card hold covers for an order: what it owes, with its pieces sold by weight
    counted at their estimate plus the co-op's margin (15 % by default), so that the
    weighed amount is most often within the hold."""
    lines = list(order.lines.all()) if lines is None else lines
    due = _owed(order, lines) if due is None else due
    if not due or not any(line.weighed for line in lines):
        return due
    margin = CoopSettings.load().weighed_hold_margin_percent
    return pricing.totals(
        (
            line.unit_price,
            line.delivered,
            line.tax_class,
            pricing.kg(
                estimate=line.unit_weight_estimate, weight=line.weight, delivered=line.delivered
            )
            if line.weight is not None
            else pricing.hold_kg(
                estimate=line.unit_weight_estimate, delivered=line.delivered, margin_percent=margin
            ),
            line.deposit,
        )
        for line in lines
    ).total


def received(order_id: int) -> Decimal:
    """Money in for the order: captured and collected, less what was refunded."""
    return received_per_order(Payment.objects.filter(order_id=order_id)).get(order_id, ZERO)


def received_per_order(payments: QuerySet[Payment]) -> dict[int, Decimal]:
    """Money in per order id among these payments, in one query (orders with none are
    left out). Summed in Decimal: SQLite would sum decimals as floats."""
    got: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for order_id, captured, refunded in payments.filter(status__in=MONEY_IN).values_list(
        "order_id", "amount_captured", "amount_refunded"
    ):
        got[order_id] += captured - refunded
    return dict(got)


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
    # A card payment Stripe has not settled yet (being charged, processing, to check):
    # the money may be there, so no cash is taken and no new card payment is opened.
    unclear: bool = False
    # What a card hold must cover before the close: `owed`, and for pieces sold by
    # weight the co-op's margin above their estimate (`hold_needed`).
    to_hold: Decimal = ZERO
    # Store credit the close will use first (an open card order); `credit_used` is what
    # it took once closed.
    credit_planned: Decimal = ZERO
    credit_used: Decimal = ZERO

    @property
    def outstanding(self) -> Decimal:
        return max(ZERO, self.owed - self.received)

    @property
    def excess(self) -> Decimal:
        """Received beyond what is owed (refunded by card automatically; cash by hand)."""
        return max(ZERO, self.received - self.owed)


UNCLEAR = (Payment.Status.CAPTURING, Payment.Status.PROCESSING, Payment.Status.REVIEW)


def payment_state(
    order: Order, payments: list[Payment] | None = None, credit: Decimal | None = None
) -> PaymentState:
    """The order's payment as one label. `payments` may be prefetched, and `credit`, the
    customer's store credit (`credit_balances`), read for many orders at once."""
    if payments is None:
        payments = list(order.payments.all())
    state = _payment_state(order, payments, credit)
    if any(p.status in UNCLEAR for p in payments):
        state = replace(state, unclear=True, can_pay_now=False)
    return state


def _payment_state(order: Order, payments: list[Payment], balance: Decimal | None) -> PaymentState:
    lines = list(order.lines.all())
    due = _owed(order, lines)
    card_open = order.payment_method == Payment.Method.CARD and order.status in (
        Order.Status.CONFIRMED,
        Order.Status.BASKET,
    )
    need = hold_needed(order, due, lines) if card_open else due
    credit = ZERO
    is_open = order.status in (Order.Status.CONFIRMED, Order.Status.BASKET)
    if is_open and need and order.customer_id:
        # The customer's store credit pays first at the close: the card holds the rest
        # (nothing below the card minimum, which is then paid at pickup if still owed).
        if balance is None:
            balance = credit_balance(order.customer_id)
        credit = min(need, balance)
        need -= credit
        if card_open and need < STRIPE_MINIMUM and credit:
            need = ZERO
    to_weigh = any(ln.weighed and ln.weight is None and ln.delivered for ln in lines)
    state = _payment_label(order, payments, due=due, need=need, to_weigh=to_weigh)
    if credit:
        state = replace(state, credit_planned=credit)
        if not need:
            label = _("Covered by your store credit: %(amount)s, used at close") % {
                "amount": format_money(credit)
            }
            state = replace(state, label=str(label), tone="ok", can_authorize=False)
        elif not card_open:  # paid at pickup: the credit first, the rest at the table
            label = _("Pay at pickup: %(amount)s") % {"amount": format_money(need)}
            state = replace(
                state,
                label=f"{label} · "
                + _("%(amount)s of store credit used first") % {"amount": format_money(credit)},
            )
        else:
            state = replace(
                state,
                label=f"{state.label} · "
                + _("%(amount)s of store credit used first") % {"amount": format_money(credit)},
            )
    return replace(state, to_hold=need)


def credit_balances(customer_ids: Iterable[int | None]) -> dict[int | None, Decimal]:
    """The store credit of each of these customers, in one query (0 for none)."""
    ids = {pk for pk in customer_ids if pk is not None}
    found = dict(
        CreditAccount.objects.filter(customer_id__in=ids).values_list("customer_id", "balance")
    )
    return {pk: found.get(pk, ZERO) for pk in ids} | {None: ZERO}


def credit_balance(customer_id: int | None) -> Decimal:
    """The customer's store credit (0 without an account): `payments.credit`."""
    if customer_id is None:
        return ZERO
    found = CreditAccount.objects.filter(customer_id=customer_id).values_list("balance", flat=True)
    return next(iter(found), ZERO)


def _payment_label(
    order: Order, payments: list[Payment], *, due: Decimal, need: Decimal, to_weigh: bool
) -> PaymentState:
    got = sum((p.net for p in payments if p.status in MONEY_IN), ZERO)
    credit = sum((p.net for p in payments if p.method == CREDIT and p.status in MONEY_IN), ZERO)
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
            label = _("Pay at pickup: %(amount)s") % {"amount": format_money(money(due - got))}
            tone = "todo"
    elif is_open:
        if held >= need:
            label = _("Card authorized: %(amount)s held, charged at close") % {
                "amount": format_money(held)
            }
            tone = "ok"
        elif held:
            label = _("New total %(total)s is above the %(held)s held: authorize it") % {
                "total": format_money(need),
                "held": format_money(held),
            }
            tone, can_authorize = "todo", True
        else:
            label, tone, can_authorize = _("Card authorization needed"), "todo", True
    elif to_weigh and not got and held and order.status in Order.CLOSED_STATUSES:
        # Pieces sold by weight: taken once weighed (`pickup.weighing`), not before.
        label = _("To weigh: %(amount)s held, charged on the weight") % {
            "amount": format_money(held)
        }
        tone = "todo"
    elif got >= due:
        # What came in by card and cash (the store credit's part is said after).
        paid = got - credit
        label, tone = _("Paid by card: %(amount)s") % {"amount": format_money(paid)}, "ok"
        cash = sum((p.net for p in payments if p.status == Payment.Status.COLLECTED), ZERO)
        if cash and cash >= paid:
            label = _("Paid at pickup: %(amount)s") % {"amount": format_money(paid)}
        elif cash:
            label = _("Paid: %(card)s by card, %(cash)s at pickup") % {
                "card": format_money(paid - cash),
                "cash": format_money(cash),
            }
        if not due:
            label = _("Nothing to pay")
    elif due - got < STRIPE_MINIMUM and not statuses & set(CARD_MOVING):
        # Below Stripe's minimum: no card charge and no link, the rest is paid at pickup.
        label = _("%(amount)s to pay at pickup (below the card minimum)") % {
            "amount": format_money(money(due - got))
        }
        tone = "todo"
        if got - credit:
            label = (
                _("Paid by card: %(amount)s") % {"amount": format_money(got - credit)}
                + f" · {label}"
            )
    elif Payment.Status.CAPTURING in statuses:
        label, tone = _("Being charged"), "todo"
    elif Payment.Status.PROCESSING in statuses:
        label, tone = _("Payment processing"), "todo"
    elif Payment.Status.REVIEW in statuses:
        # Stripe's answer was unclear after every attempt: the money may be there. Said
        # so that the customer knows to wait and the coordinator what to look at.
        label, tone = _("Payment being checked by the co-op (in Stripe)"), "problem"
    elif Payment.Status.DECLINED in statuses and Payment.Status.ACTION_REQUIRED not in statuses:
        label, tone, can_pay_now = _("Card declined"), "problem", True
    else:
        label, tone, can_pay_now = _("Payment pending"), "problem", True
    if credit and got >= due and credit >= got:
        label, tone = (
            _("Paid with store credit: %(amount)s") % {"amount": format_money(credit)},
            "ok",
        )
    elif credit:
        label = f"{label} · " + _("%(amount)s from store credit") % {"amount": format_money(credit)}
    if refunded and order.status != Order.Status.CANCELLED:
        label = f"{label} · " + _("refunded %(amount)s") % {"amount": format_money(refunded)}
    if refund_failed:
        label, tone = f"{label} · " + _("refund failed: give it back by hand"), "problem"
    return PaymentState(
        method,
        due,
        got,
        held,
        refunded,
        str(label),
        tone,
        can_authorize,
        can_pay_now,
        credit_used=credit,
    )
