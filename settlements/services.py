"""Writes of settling: write an order off, settle a window, mark a payout paid.

Each runs in one transaction and locks what it decides on: the window row (FOR UPDATE)
for writing off and settling, so a write-off and a settle of the same window never
interleave, and two settles of a window make one settlement (the second finds it).
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from farms.models import Farm
from orders.locks import window_lock
from orders.models import Order, OrderWindow

from . import documents, jobs, selectors
from .errors import SettlementError
from .models import FarmStatement, Settlement, WriteOff


@transaction.atomic
def write_off_order(*, order_id: int, by: User, reason: str, now: datetime) -> WriteOff:
    """Leave an unpaid order out of the week's sales (no money may have come in)."""
    reason = " ".join(reason.split())[:200]
    if not reason:
        raise SettlementError(_("Say why the order is written off (for instance: not collected)."))
    window_id = Order.objects.values_list("window_id", flat=True).get(pk=order_id)
    window = window_lock(window_id)
    if Settlement.objects.filter(window=window).exists():
        raise SettlementError(_("This week is already settled: its orders can no longer change."))
    if window.status != OrderWindow.Status.CLOSED:
        raise SettlementError(_("Orders are written off once the week is closed."))
    (order,) = selectors.window_accounts(window=window, order_id=order_id).orders
    if order.write_off is not None:
        return order.write_off
    if not order.may_write_off:
        if order.money_in:
            message = _("Money came in for order #%(number)s: refund it before writing it off.") % {
                "number": order_id
            }
        elif order.money_moving:
            message = _(
                "A card payment is being taken for order #%(number)s: wait until it ends."
            ) % {"number": order_id}
        else:
            message = _("Order #%(number)s owes nothing that could be written off.") % {
                "number": order_id
            }
        raise SettlementError(message)
    # From now on the order owes nothing: no link or cash is taken for it, and money
    # that still arrives (a page completed late) is refunded by the payment code.
    Order.objects.filter(pk=order_id).update(written_off_at=now)
    return WriteOff.objects.create(
        order_id=order_id, amount=order.owes, reason=reason, written_off_by=by, written_off_at=now
    )


@dataclass(frozen=True, slots=True)
class Settled:
    settlement: Settlement
    created: bool


@transaction.atomic
def settle_window(*, window_id: int, by: User | None, now: datetime) -> Settled:
    """Settle a closed window: the week's reconciliation and a statement per farm (its
    PDF and CSV are rendered after commit, see `statements_render`). Refused, with the
    reasons, while any order's money is not final. Settling a settled window returns
    its settlement as it is."""
    window = window_lock(window_id)
    existing = Settlement.objects.filter(window=window).first()
    if existing is not None:
        return Settled(existing, created=False)
    accounts = selectors.window_accounts(window=window)
    reasons = accounts.refusals(today=timezone.localdate(now))
    if reasons:
        raise SettlementError(_("This week cannot be settled yet."), reasons)
    OrderWindow.objects.filter(pk=window.pk).update(settled_at=now)  # money is final now
    settlement = Settlement.objects.create(
        window=window,
        settled_at=now,
        settled_by=by,
        orders_counted=len(accounts.counted),
        orders_written_off=len(accounts.written_off),
        card_captured=accounts.card_captured,
        cash_collected=accounts.cash_collected,
        refunded=accounts.refunded,
        money_in=accounts.money_in,
        gross=accounts.gross,
        margin=accounts.margin,
        tps=accounts.tps,
        tvq=accounts.tvq,
        net_due=accounts.net_due,
        credit_used=accounts.credit_used,
        credit_issued=accounts.credit_issued,
        deposits=accounts.deposits,
        deposits_returned=accounts.deposits_returned,
    )
    FarmStatement.objects.bulk_create(
        FarmStatement(
            settlement=settlement,
            farm=account.farm,
            units=account.units,
            units_short=account.units_short,
            gross=account.gross,
            margin_rate=account.rate,
            margin=account.margin,
            tps=account.tps,
            tvq=account.tvq,
            net_due=account.net_due,
        )
        for account in accounts.farms
    )
    # The PDFs and CSVs are written by a task once this commits, outside the lock.
    jobs.statements_render_after_commit(settlement.pk)
    return Settled(settlement, created=True)


def statements_render(*, settlement_id: int) -> int:
    """Write the PDF and CSV of each statement of the settlement that has none yet (the
    task after settling; safe to run twice). Runs outside any transaction: the week's
    figures are final, so they are read again without a lock. The number written."""
    settlement = Settlement.objects.select_related("window").get(pk=settlement_id)
    missing = {s.farm_id: s for s in FarmStatement.objects.filter(settlement=settlement, pdf="")}
    if not missing:
        return 0
    window = settlement.window
    written = 0
    for account in selectors.window_accounts(window=window).farms:
        statement = missing.get(account.farm.pk)
        if statement is None:
            continue
        name = f"{window.pickup_date.isoformat()}-{account.farm.slug}"
        with translation.override(account.farm.language):
            pdf = documents.statement_pdf(
                account=account,
                pickup_date=window.pickup_date,
                settled_at=settlement.settled_at,
                coop_name=settings.COOP_NAME,
            )
            csv = documents.statement_csv(account=account, pickup_date=window.pickup_date)
        # Each file is complete on disk before its row names it; the PDF goes last, as
        # the mark of a finished statement.
        statement.csv.save(f"{name}.csv", ContentFile(csv), save=False)
        statement.pdf.save(f"{name}.pdf", ContentFile(pdf), save=False)
        FarmStatement.objects.filter(pk=statement.pk, pdf="").update(
            csv=statement.csv.name, pdf=statement.pdf.name
        )
        written += 1
    return written


@transaction.atomic
def mark_payout_paid(
    *, statement_id: int, paid_on: date, reference: str, by: User, now: datetime
) -> FarmStatement:
    """Record that the farm's net due was paid (a correction overwrites the record)."""
    reference = " ".join(reference.split())
    if not reference:
        raise SettlementError(_("Enter the payment's reference (transfer or cheque number)."))
    if len(reference) > 100:
        raise SettlementError(_("The reference is too long (100 characters at most)."))
    statement = (
        FarmStatement.objects.select_for_update(of=("self",))
        .select_related("settlement__window")
        .get(pk=statement_id)
    )
    if not statement.net_due:
        raise SettlementError(_("Nothing is due to this farm for this week."))
    if paid_on > timezone.localdate(now):
        raise SettlementError(_("The payment date cannot be in the future."))
    if paid_on < statement.settlement.window.pickup_date:
        raise SettlementError(_("The payment date cannot be before the pickup day."))
    statement.paid_on = paid_on
    statement.payout_reference = reference
    statement.paid_marked_by = by
    statement.paid_marked_at = now
    statement.save(
        update_fields=["paid_on", "payout_reference", "paid_marked_by", "paid_marked_at"]
    )
    return statement


@transaction.atomic
def margins_set(*, rates: dict[int, Decimal | None]) -> int:
    """Give farms their own margin (None: the co-op's). Applies to weeks settled from
    now on; settled statements keep their rate. The number of farms changed."""
    changed = 0
    for farm in Farm.objects.select_for_update().filter(pk__in=rates).order_by("pk"):
        rate = rates[farm.pk]
        if farm.margin_percent != rate:
            farm.margin_percent = rate
            farm.save(update_fields=["margin_percent"])
            changed += 1
    return changed
