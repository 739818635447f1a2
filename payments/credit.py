"""Store credit: a customer's balance, kept as a ledger of entries, each with a reason,
an author and a date (`CreditEntry`), summed on the account row (`CreditAccount`).

- Credit comes in from money owed back on an order (a shortage after cash was taken, a
  refund the customer chose to keep as credit), a goodwill gesture, containers returned
  (their deposits), or a correction by a coordinator.
- It is used on an order at the close, before the card or the cash: what the order owes,
  up to the balance, becomes a CREDIT payment (money in, as `ledger.received` counts it).
  Before the close the card hold covers only what the balance does not.
- Money an order received beyond what it owes goes back to the credit it used first,
  then to the card (`refunds.refunds_settle`).

Every entry updates the account row under its lock (FOR UPDATE, taken after the
order's: `orders.locks`), so two coordinators crediting at once write two entries with
the right balances; the database refuses a balance below zero
(`creditaccount_balance_never_negative`).
"""

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils.translation import gettext as _

from common.money import format_money
from farms.models import Product
from orders.locks import order_lock, window_lock_unsettled
from orders.models import CreditAccount, CreditEntry, Order, OrderLine, Payment, Refund

from .errors import PaymentError
from .ledger import ZERO, owed, received
from .ledger import credit_balance as balance

Reason = CreditEntry.Reason
CREDIT = Payment.Method.CREDIT
# Entries a coordinator writes by hand (the others come from orders and pickups).
BY_HAND = (Reason.GOODWILL, Reason.CORRECTION)


def _account_lock(customer_id: int) -> CreditAccount:
    """The customer's account row FOR UPDATE, created the first time (a unique row: two
    first entries at once both end on the one row)."""
    try:
        with transaction.atomic():
            CreditAccount.objects.get_or_create(customer_id=customer_id)
    except IntegrityError:  # created by the other one meanwhile
        pass
    return CreditAccount.objects.select_for_update().get(customer_id=customer_id)


def _entry(
    *,
    customer_id: int,
    amount: Decimal,
    reason: str,
    author_id: int | None,
    order_id: int | None = None,
    note: str = "",
    product: Product | None = None,
    containers: int = 0,
) -> CreditEntry:
    """Write one entry and move the balance, inside the caller's transaction."""
    if not amount:
        raise PaymentError(_("Enter an amount other than zero."))
    account = _account_lock(customer_id)
    after = account.balance + amount
    if after < 0:
        raise PaymentError(
            _("The store credit cannot go below zero: the balance is %(balance)s.")
            % {"balance": format_money(account.balance)}
        )
    CreditAccount.objects.filter(pk=account.pk).update(balance=F("balance") + amount)
    return CreditEntry.objects.create(
        account=account,
        amount=amount,
        balance_after=after,
        reason=reason,
        note=note[:200],
        order_id=order_id,
        author_id=author_id,
        product=product,
        containers=containers,
    )


@transaction.atomic
def credit_add(
    *, customer_id: int, amount: Decimal, reason: str, author_id: int, note: str = ""
) -> CreditEntry:
    """A coordinator's entry: a goodwill gesture (more credit), or a correction (either
    way). Refused when it would take the balance below zero."""
    if reason not in BY_HAND:
        raise PaymentError(_("Choose a goodwill gesture or a correction."))
    if reason == Reason.GOODWILL and amount < 0:
        raise PaymentError(_("A goodwill gesture adds credit: enter a positive amount."))
    if not note.strip():
        raise PaymentError(_("Say why, in a few words: the customer sees it."))
    return _entry(
        customer_id=customer_id, amount=amount, reason=reason, author_id=author_id, note=note
    )


def credit_use(*, order_id: int) -> Decimal:
    """Pay what a closed order still owes from its customer's credit, up to the balance
    (at the close, before the card or the cash; again after a weighing raised it). The
    amount used now (0 when none)."""
    with transaction.atomic():
        order = order_lock(order_id)
        if (
            order.customer_id is None
            or order.status not in Order.CLOSED_STATUSES
            or order.written_off_at
            or not balance(order.customer_id)
        ):
            return ZERO
        account = _account_lock(order.customer_id)
        amount = min(account.balance, owed(order) - received(order.pk))
        if amount <= 0:
            return ZERO
        Payment.objects.create(
            order=order,
            method=CREDIT,
            kind=Payment.Kind.CREDIT,
            status=Payment.Status.CAPTURED,
            amount_captured=amount,
        )
        _entry(
            customer_id=order.customer_id,
            amount=-amount,
            reason=Reason.PAYMENT,
            author_id=None,
            order_id=order.pk,
        )
    return amount


def credit_give_back(
    *, order: Order, payment: Payment, amount: Decimal, reason: str, author_id: int | None = None
) -> None:
    """Give `amount` of what `payment` brought in back to the customer's credit, inside
    the caller's transaction (which holds the order's lock): a refund to credit on the
    payment, and the entry that says why."""
    Refund.objects.create(
        payment=payment,
        amount=amount,
        reason=Refund.Reason.TO_CREDIT,
        status=Refund.Status.SUCCEEDED,
    )
    Payment.objects.filter(pk=payment.pk).update(amount_refunded=F("amount_refunded") + amount)
    if order.customer_id is None:  # a walk-in sale: no account to credit
        raise PaymentError(_("A walk-in sale has no account to keep credit on."))
    _entry(
        customer_id=order.customer_id,
        amount=amount,
        reason=reason,
        author_id=author_id,
        order_id=order.pk,
    )


def credit_back_excess(order: Order, author_id: int | None = None) -> Decimal:
    """Inside the caller's transaction, under the order's lock: what the order received
    beyond what it owes goes back to the credit it used, first (no bank, no fee). The
    amount given back."""
    excess = received(order.pk) - owed(order)
    given = ZERO
    for payment in (
        Payment.objects.select_for_update()
        .filter(order=order, method=CREDIT, status=Payment.Status.CAPTURED)
        .order_by("-pk")
    ):
        amount = min(excess - given, payment.net)
        if amount <= 0:
            break
        credit_give_back(
            order=order, payment=payment, amount=amount, reason=Reason.REFUND, author_id=author_id
        )
        given += amount
    return given


def keeps_refunds(customer_id: int | None) -> bool:
    """The customer chose to keep money owed back as credit rather than on their card."""
    return (
        customer_id is not None
        and CreditAccount.objects.filter(customer_id=customer_id, keep_refunds=True).exists()
    )


@transaction.atomic
def keep_refunds_set(*, customer_id: int, keep: bool) -> None:
    account = _account_lock(customer_id)
    CreditAccount.objects.filter(pk=account.pk).update(keep_refunds=keep)


@transaction.atomic
def excess_to_credit(*, order_id: int, author_id: int) -> Decimal:
    """At the pickup table: what the order received beyond what it owes (a shortage
    after cash was taken, a card refund Stripe kept refusing) is kept as the customer's
    credit instead of given back by hand. The amount credited."""
    window_lock_unsettled(Order.objects.values_list("window_id", flat=True).get(pk=order_id))
    order = order_lock(order_id)
    if order.customer_id is None:
        raise PaymentError(_("A walk-in sale has no account to keep credit on."))
    paid = list(
        Payment.objects.select_for_update()
        .filter(order=order, status__in=(Payment.Status.CAPTURED, Payment.Status.COLLECTED))
        .order_by("kind", "-pk")  # cash first, as by hand
    )
    if Refund.objects.filter(payment__in=paid, status=Refund.Status.PENDING).exists():
        raise PaymentError(_("A card refund of this order is still being sent: wait a moment."))
    excess = received(order.pk) - owed(order)
    if excess <= 0:
        raise PaymentError(_("This order has received nothing beyond what it owes."))
    credited = credit_back_excess(order, author_id)
    for payment in paid:
        payment.refresh_from_db(fields=["amount_refunded"])
        amount = min(excess - credited, payment.net)
        if amount <= 0:
            continue
        credit_give_back(
            order=order, payment=payment, amount=amount, reason=Reason.SHORTAGE, author_id=author_id
        )
        credited += amount
    return credited


def credit_used(order_id: int) -> Decimal:
    """What the order took from the customer's credit, after what went back to it."""
    got = Payment.objects.filter(
        order_id=order_id, method=CREDIT, status=Payment.Status.CAPTURED
    ).aggregate(net=Sum(F("amount_captured") - F("amount_refunded")))["net"]
    return got or ZERO


# Containers -------------------------------------------------------------------------------


def containers_out(customer_id: int) -> dict[int, int]:
    """Containers with a deposit the customer took (on orders picked up) and has not
    returned yet, per product id."""
    taken: dict[int, int] = {}
    rows = OrderLine.objects.filter(
        order__customer_id=customer_id,
        order__status=Order.Status.PICKED_UP,
        deposit__gt=0,
    ).values_list("offer__product_id", "quantity", "shortage")
    for product_id, quantity, shortage in rows:
        taken[product_id] = taken.get(product_id, 0) + quantity - shortage
    returned = (
        CreditEntry.objects.filter(account__customer_id=customer_id, reason=Reason.DEPOSIT)
        .values("product_id")
        .annotate(n=Sum("containers"))
    )
    for row in returned:
        taken[row["product_id"]] = taken.get(row["product_id"], 0) - (row["n"] or 0)
    return {pk: n for pk, n in taken.items() if n > 0}


@transaction.atomic
def containers_return(
    *,
    customer_id: int,
    product_id: int,
    containers: int,
    author_id: int,
    order_id: int | None = None,
) -> CreditEntry:
    """Containers brought back at pickup: their deposit (the product's, per container)
    goes to the customer's credit. Refused beyond what the customer took."""
    if containers < 1:
        raise PaymentError(_("Enter how many containers came back (1 or more)."))
    product = Product.objects.get(pk=product_id)
    if not product.deposit:
        raise PaymentError(_("%(product)s carries no deposit.") % {"product": product.name})
    _account_lock(customer_id)  # one return at a time per customer: the count below holds
    if order_id is None:  # the week being picked up, where the settlement shows it
        order_id = (
            Order.objects.filter(
                customer_id=customer_id,
                status__in=Order.CLOSED_STATUSES,
                window__settled_at__isnull=True,
            )
            .order_by("-window__pickup_date", "-pk")
            .values_list("pk", flat=True)
            .first()
        )
    out = containers_out(customer_id).get(product_id, 0)
    if containers > out:
        raise PaymentError(
            _("This person has only %(count)s containers of %(product)s out.")
            % {"count": out, "product": product.name}
        )
    return _entry(
        customer_id=customer_id,
        amount=product.deposit * containers,
        reason=Reason.DEPOSIT,
        author_id=author_id,
        order_id=order_id,
        product=product,
        containers=containers,
    )
