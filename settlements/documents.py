"""A farm's statement as PDF and CSV, and the treasurer's payout file.

Statements are drawn with the pickup lists' little layout engine (orders.documents.Sheet)
in the farm's language. The statement CSV is for spreadsheets (UTF-8 with a BOM, like
every other CSV of the co-op, headers in the farm's language); the payout CSV is for a
bank or accounting tool to import: UTF-8 *without* BOM, fixed English column names,
amounts with a dot and two decimals, ISO dates, one line per farm with money due, no
total line.
"""

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit

from common.dates import date_format
from common.money import format_money
from common.pdf import MARGIN, Sheet
from common.spreadsheet import csv_bytes

from .models import FarmStatement
from .selectors import FarmAccount, SalesReport, unit_label


def rule_text() -> str:
    """The settling rule, printed at the foot of every statement."""
    return _(
        "How this statement is made: it counts the orders paid in full (card payments "
        "captured, or cash collected at pickup, less refunds), at what customers received "
        "after shortages. Orders left unpaid and written off by the co-op are not counted; "
        "they are listed for information. The co-op's margin is its rate times the gross "
        "sales, rounded to the cent; the net due is the gross less the margin. Taxes (GST, "
        "QST) are collected and remitted by the co-op; the share shown here is for "
        "information."
    )


def _pct(rate: Decimal) -> str:
    text = f"{rate.normalize():f}"
    if (translation.get_language() or "fr").startswith("fr"):
        return f"{text.replace('.', ',')}\u00a0%"
    return f"{text} %"


def statement_csv(*, account: FarmAccount, pickup_date: date) -> bytes:
    rows: list[list[object]] = [
        [_("section"), _("product"), _("unit"), _("units"), _("unit price"), _("amount")]
    ]
    for product, unit, price, _tax, sold in account.sold_rows():
        rows.append([_("sold"), product, unit_label(unit), sold.units, price, sold.amount])
    for product, unit, price, short in account.short_rows():
        rows.append([_("short"), product, unit_label(unit), short.units, price, short.amount])
    for order_id, amount in account.unpaid:
        rows.append(
            [_("unpaid, not counted"), _("order #%(number)s") % {"number": order_id}, "", "", "",
             amount]
        )  # fmt: skip
    rows += [
        [],
        [_("gross sales"), "", "", account.units, "", account.gross],
        [_("co-op margin (%(rate)s)") % {"rate": _pct(account.rate)}, "", "", "", "",
         account.margin],
        [_("GST collected (information)"), "", "", "", "", account.tps],
        [_("QST collected (information)"), "", "", "", "", account.tvq],
        [_("net due to the farm"), "", "", "", "", account.net_due],
    ]  # fmt: skip
    return csv_bytes(rows, bom=True)


def _paragraph(sheet: Sheet, text: str, *, size: float = 8) -> None:
    """Text wrapped to the page's width (Sheet.text draws one line)."""
    lines = simpleSplit(text, "Helvetica", size, sheet.width - 2 * MARGIN)
    sheet.ensure(len(lines))
    for line in lines:
        sheet.ensure(1)
        sheet.canvas.setFont("Helvetica", size)
        sheet.canvas.drawString(MARGIN, sheet.y, line)
        sheet.y -= size * 1.35


def statement_pdf(
    *, account: FarmAccount, pickup_date: date, settled_at: datetime, coop_name: str
) -> bytes:
    farm = account.farm
    sheet = Sheet(
        _("Statement — %(farm)s") % {"farm": farm.name},
        _("%(coop)s · pickup %(date)s · settled %(settled)s")
        % {
            "coop": coop_name,
            "date": date_format(pickup_date, "j F Y"),
            "settled": date_format(timezone.localtime(settled_at), "j F Y"),
        },
    )
    sheet.text(_("Sold"), bold=True, size=11)
    sheet.text(_("Product"), _("Amount"), bold=True, size=8.5, indent=4 * mm)
    if not account.sold:
        sheet.text(_("Nothing sold this week."), indent=4 * mm)
    for product, unit, price, tax, sold in account.sold_rows():
        taxed = " *" if tax == "taxable" else ""
        sheet.text(
            f"{sold.units} × {product} ({unit_label(unit)}) @ {format_money(price)}{taxed}",
            format_money(sold.amount),
            indent=4 * mm,
        )
    if account.short:
        sheet.rule()
        sheet.text(_("Shortages (not sold, not paid)"), bold=True, size=11)
        for product, unit, price, short in account.short_rows():
            sheet.text(
                f"{short.units} × {product} ({unit_label(unit)}) @ {format_money(price)}",
                format_money(short.amount),
                indent=4 * mm,
            )
    if account.unpaid:
        sheet.rule()
        sheet.text(_("Unpaid, not counted"), bold=True, size=11)
        for order_id, amount in account.unpaid:
            sheet.text(
                _("Order #%(number)s") % {"number": order_id}, format_money(amount), indent=4 * mm
            )
    sheet.rule()
    sheet.ensure(7)
    sheet.text(_("Gross sales"), format_money(account.gross), bold=True)
    sheet.text(
        _("Co-op margin (%(rate)s)") % {"rate": _pct(account.rate)},
        f"− {format_money(account.margin)}",
    )
    sheet.text(_("Net due to the farm"), format_money(account.net_due), bold=True, size=11)
    sheet.text(_("Taxes collected by the co-op on your taxable items (information):"), size=8.5)
    sheet.text(_("GST"), format_money(account.tps), indent=4 * mm, size=8.5)
    sheet.text(_("QST"), format_money(account.tvq), indent=4 * mm, size=8.5)
    if any(tax == "taxable" for *_rest, tax, _sold in account.sold_rows()):
        sheet.text(_("* taxable item (GST and QST)"), size=8)
    sheet.rule()
    _paragraph(sheet, rule_text())
    return sheet.finish()


# --- The treasurer's files -----------------------------------------------------------------

PAYOUT_COLUMNS = (
    "pickup_date",
    "farm_id",
    "farm",
    "gross",
    "margin_rate",
    "margin",
    "net_due",
    "currency",
    "paid_on",
    "reference",
)


def payouts_csv(*, statements: Iterable[FarmStatement], pickup_date: date) -> bytes:
    rows: list[list[object]] = [list(PAYOUT_COLUMNS)]
    for s in statements:
        if not s.net_due:
            continue  # nothing to transfer (the farm's sales were all unpaid or short)
        rows.append(
            [
                str(pickup_date),
                s.farm_id,
                s.farm.name,
                f"{s.gross:.2f}",
                f"{s.margin_rate:.2f}",
                f"{s.margin:.2f}",
                f"{s.net_due:.2f}",
                "CAD",
                s.paid_on.isoformat() if s.paid_on else "",
                s.payout_reference,
            ]
        )
    return csv_bytes(rows, bom=False)


def report_csv(report: SalesReport) -> bytes:
    rows: list[list[object]] = [
        [
            _("period"),
            _("farm"),
            _("statements"),
            _("gross sales"),
            _("co-op margin"),
            _("GST"),
            _("QST"),
            _("net due"),
        ]
    ]
    for r in report.rows:
        rows.append(
            [
                r.period.isoformat(),
                r.farm or _("Whole co-op"),
                r.statements,
                f"{r.gross:.2f}",
                f"{r.margin:.2f}",
                f"{r.tps:.2f}",
                f"{r.tvq:.2f}",
                f"{r.net_due:.2f}",
            ]
        )
    return csv_bytes(rows, bom=True)
