"""Receipts (#17, part 4): each order picked up gets a numbered receipt, a PDF in the
customer's language; a coordinator can reissue it (same number) or cancel it with a
credit note (a number of its own).

Numbers come from one counter row (`ReceiptCounter`), taken FOR UPDATE in the
transaction that writes the receipt: they follow each other, and none is used twice
(the unique constraint on `Receipt.number` backs it). The PDF is drawn after that
transaction, outside any lock, by the task that issues it (`pickup.tasks.issue_receipt`).

What a receipt says: the co-op's name, address and its GST and QST registration numbers
(co-op settings), the receipt's number and date, the order and its customer, each line
on what was delivered (a piece sold by weight with its weight), the subtotal, the
taxable amount and each tax, the total, and the payment: by card, in cash, refunded.
"""

from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from reportlab.lib.units import mm

from accounts.models import User
from common.dates import date_format
from common.money import format_kg, format_money
from common.pdf import Sheet
from orders import pricing
from orders.models import CoopSettings, Order, Payment, Receipt, ReceiptCounter
from payments import ledger

from .errors import PickupError


def _next_number() -> int:
    """The next number, under the counter's lock (the caller's transaction)."""
    ReceiptCounter.objects.get_or_create(pk=1)
    counter = ReceiptCounter.objects.select_for_update().get(pk=1)
    number = counter.next_number
    ReceiptCounter.objects.filter(pk=1).update(next_number=number + 1)
    return number


def receipt_issue(*, order_id: int, by: User | None = None) -> Receipt | None:
    """The order's receipt, issued once it is picked up (an order not picked up gets
    none: None), then drawn. Safe to run twice: the second run finds it."""
    existing = Receipt.objects.filter(order_id=order_id, kind=Receipt.Kind.RECEIPT).first()
    if existing is None:
        order = Order.objects.get(pk=order_id)
        if order.status != Order.Status.PICKED_UP:
            return None
        try:
            with transaction.atomic():
                existing = Receipt.objects.create(
                    number=_next_number(),
                    order=order,
                    total=ledger.owed(order),
                    language=order.language or settings.LANGUAGE_CODE,
                    issued_by=by,
                )
        except IntegrityError:  # a concurrent run issued it first
            existing = Receipt.objects.get(order_id=order_id, kind=Receipt.Kind.RECEIPT)
    if not existing.pdf:
        _draw(existing)
    return existing


def receipt_reissue(*, receipt_id: int, by: User) -> Receipt:
    """Draw the receipt again from the order as it stands (a correction): same number."""
    receipt = Receipt.objects.select_related("order").get(pk=receipt_id)
    if receipt.kind != Receipt.Kind.RECEIPT:
        raise PickupError(_("Only a receipt can be reissued; a credit note stands as it is."))
    if receipt.credit_notes.exists():
        raise PickupError(_("This receipt was cancelled by a credit note: it cannot be reissued."))
    Receipt.objects.filter(pk=receipt.pk).update(
        total=ledger.owed(receipt.order),
        reissued_at=timezone.now(),
        reissues=receipt.reissues + 1,
        issued_by=by,
    )
    receipt.refresh_from_db()
    _draw(receipt)
    return receipt


def credit_note_issue(*, receipt_id: int, by: User) -> Receipt:
    """Cancel a receipt with a credit note for its whole total: a number of its own."""
    receipt = Receipt.objects.select_related("order").get(pk=receipt_id)
    if receipt.kind != Receipt.Kind.RECEIPT:
        raise PickupError(_("A credit note cancels a receipt, not another credit note."))
    try:
        with transaction.atomic():
            note = Receipt.objects.create(
                number=_next_number(),
                kind=Receipt.Kind.CREDIT_NOTE,
                order=receipt.order,
                cancels=receipt,
                total=receipt.total,
                language=receipt.language,
                issued_by=by,
            )
    except IntegrityError:
        raise PickupError(_("This receipt already has its credit note.")) from None
    _draw(note)
    return note


def _draw(receipt: Receipt) -> None:
    with translation.override(receipt.language):
        pdf = receipt_pdf(receipt)
    name = f"{receipt.kind}-{receipt.number}.pdf"
    if receipt.pdf:
        receipt.pdf.delete(save=False)
    receipt.pdf.save(name, ContentFile(pdf), save=False)
    Receipt.objects.filter(pk=receipt.pk).update(pdf=receipt.pdf.name)


def receipt_pdf(receipt: Receipt) -> bytes:
    """The receipt (or credit note) as a PDF, in the active language."""
    coop = CoopSettings.load()
    order = (
        Order.objects.select_related("customer", "window", "pickup_point")
        .prefetch_related("lines__offer__product__farm")
        .get(pk=receipt.order_id)
    )
    credit = receipt.kind == Receipt.Kind.CREDIT_NOTE
    title = (_("Credit note %(number)s") if credit else _("Receipt %(number)s")) % {
        "number": receipt.number
    }
    sheet = Sheet(title, settings.COOP_NAME)
    for address_line in coop.address.splitlines():
        sheet.text(address_line)
    if coop.tps_number:
        sheet.text(_("GST no. %(number)s") % {"number": coop.tps_number})
    if coop.tvq_number:
        sheet.text(_("QST no. %(number)s") % {"number": coop.tvq_number})
    sheet.rule()
    issued = receipt.reissued_at or receipt.issued_at
    sheet.text(_("Issued on %(date)s") % {"date": date_format(timezone.localtime(issued), "j F Y")})
    if receipt.reissued_at:
        sheet.text(
            _("Reissued (the first was issued on %(date)s)")
            % {"date": date_format(timezone.localtime(receipt.issued_at), "j F Y")}
        )
    if credit and receipt.cancels_id:
        number = Receipt.objects.values_list("number", flat=True).get(pk=receipt.cancels_id)
        sheet.text(_("Cancels receipt %(number)s") % {"number": number}, bold=True)
    who = str(order.customer) if order.customer else _("Walk-in sale")
    sheet.text(
        _("Order %(number)s · %(customer)s · pickup %(date)s")
        % {
            "number": order.pk,
            "customer": who,
            "date": date_format(order.window.pickup_date, "j F Y"),
        }
    )
    sheet.rule()
    lines = [line for line in order.lines.all() if line.delivered > 0]
    for line in sorted(lines, key=lambda ln: ln.offer.product.name.casefold()):
        product = line.offer.product
        if line.weighed:
            detail = _("%(count)s × %(product)s, %(kg)s kg at %(price)s/kg") % {
                "count": line.delivered,
                "product": product.name,
                "kg": format_kg(line.kg),
                "price": format_money(line.unit_price),
            }
        else:
            detail = _("%(count)s × %(product)s (%(unit)s) at %(price)s") % {
                "count": line.delivered,
                "product": product.name,
                "unit": product.unit_label,
                "price": format_money(line.unit_price),
            }
        if line.tax_class == "taxable":
            detail += " · " + _("taxable")
        sheet.text(detail, format_money(line.amount), indent=2 * mm)
        if line.deposit and line.delivered:
            sheet.text(
                _("Deposit: %(count)s × %(deposit)s (no tax, credited back when returned)")
                % {"count": line.delivered, "deposit": format_money(line.deposit)},
                format_money(line.deposit * line.delivered),
                indent=4 * mm,
            )
    totals = pricing.totals(line.priced for line in lines)
    sheet.rule()
    sheet.text(_("Subtotal"), format_money(totals.subtotal))
    sheet.text(_("Taxable goods"), format_money(totals.taxable), indent=2 * mm)
    # The templates' msgids (a template doubles the %): « TPS (5 %) », as on the basket.
    sheet.text(_("GST (5%%)") % {}, format_money(totals.tps))
    sheet.text(_("QST (9.975%%)") % {}, format_money(totals.tvq))
    if totals.deposits:
        sheet.text(_("Deposits on containers"), format_money(totals.deposits))
    sheet.text(_("Total"), format_money(totals.total), bold=True)
    if credit:
        sheet.text(_("Credited"), format_money(-receipt.total), bold=True)
        return sheet.finish()
    sheet.rule()
    card = cash = refunded = store = Decimal("0.00")
    for payment in order.payments.filter(status__in=ledger.MONEY_IN):
        if payment.method == Payment.Method.CREDIT:  # what went back to credit never left
            store += payment.net
            continue
        if payment.method == Payment.Method.CARD:
            card += payment.amount_captured
        else:
            cash += payment.amount_captured
        refunded += payment.amount_refunded
    if store:
        sheet.text(_("Paid from store credit"), format_money(store))
    if card:
        sheet.text(_("Paid by card"), format_money(card))
    if cash:
        sheet.text(_("Paid at pickup"), format_money(cash))
    if refunded:
        sheet.text(_("Refunded or kept as store credit"), format_money(-refunded))
    sheet.text(_("Paid in all"), format_money(store + card + cash - refunded), bold=True)
    return sheet.finish()
