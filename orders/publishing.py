"""Farmers publish a window's stock: the grid, "copy last week", defaults, and CSV.

Every write goes through `offers_publish`, which applies good rows and reports the
others, row by row. The rules:

- only products of the farm's own catalogue (anything else is "not in your catalogue",
  whether it exists elsewhere or not, so ids reveal nothing);
- a quantity is a whole number ≥ 0, a price a positive amount with at most 2 decimals;
- never below what customers have already ordered;
- only while the window is upcoming or open (time decides: `closes_at`), whatever the
  periodic task has recorded.

A price change applies to units taken from then on: order lines keep the price at
which their units were taken (OrderLine.unit_price).
"""

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import User
from common.spreadsheet import csv_bytes
from farms.models import Farm, Product

from .audit import audit_record
from .errors import CsvError, WindowNotEditable
from .models import AuditEvent, Offer, OrderWindow

CSV_COLUMNS = ("product_id", "product", "unit", "quantity", "price")
CSV_MAX_BYTES = 1_000_000
CSV_MAX_ROWS = 2_000
MAX_QUANTITY = 100_000
MAX_PRICE = Decimal("99999.99")


@dataclass(frozen=True, slots=True)
class OfferRow:
    product_id: int
    quantity: int
    price: Decimal
    line: int | None = None  # the CSV line, for the report
    label: str = ""  # what the file called the product, for the report


@dataclass(frozen=True, slots=True)
class RowOutcome:
    product_id: int | None
    label: str
    applied: bool
    message: str
    line: int | None = None


def window_editable_by_farmers(window: OrderWindow, *, now: datetime) -> bool:
    return window.status in (OrderWindow.Status.SCHEDULED, OrderWindow.Status.OPEN) and (
        now < window.closes_at
    )


@transaction.atomic
def offers_publish(
    *,
    farm: Farm,
    window_id: int,
    rows: Sequence[OfferRow],
    now: datetime,
    by: User | None = None,
) -> list[RowOutcome]:
    """Apply each valid row to the window's offers; refuse the others with a reason.

    Locks the farm's offers in this window (by primary key order, so concurrent
    publishes cannot deadlock); customers' conditional stock updates wait on them.
    """
    window = OrderWindow.objects.get(pk=window_id)
    if not window_editable_by_farmers(window, now=now):
        raise WindowNotEditable
    if farm.status != Farm.Status.ACTIVE:  # paused or archived: no new offers
        reason = _("your farm is paused or archived: it cannot publish offers")
        return [_refused(row, row.label or str(row.product_id), reason) for row in rows]
    ids = {row.product_id for row in rows}
    products = {p.pk: p for p in Product.objects.filter(farm=farm, pk__in=ids)}
    offers = {
        o.product_id: o
        for o in Offer.objects.select_for_update()
        .filter(window=window, product_id__in=products)
        .order_by("pk")
    }
    outcomes: list[RowOutcome] = []
    seen: set[int] = set()
    for row in rows:
        product = products.get(row.product_id)
        if product is None:
            label = row.label or str(row.product_id)
            outcomes.append(_refused(row, label, _("not in your catalogue")))
            continue
        if row.product_id in seen:
            outcomes.append(_refused(row, product.name, _("this product appears twice")))
            continue
        seen.add(row.product_id)
        if problem := _row_problem(row):
            outcomes.append(_refused(row, product.name, problem))
            continue
        offer = offers.get(product.pk)
        old_price = offer.price if offer else None
        outcomes.append(_apply(window=window, product=product, offer=offer, row=row))
        if offer and offer.pk and old_price != row.price and offer.quantity > offer.remaining:
            # Lines keep their price; the change is kept in the week's trail all the same.
            audit_record(
                window_id=window.pk,
                action=AuditEvent.Action.PRICE_CHANGED,
                by=by,
                detail=f"{product.name}: {old_price} → {row.price}",
            )
    return outcomes


def _row_problem(row: OfferRow) -> str:
    if row.quantity < 0:
        return _("the quantity cannot be negative")
    if row.quantity > MAX_QUANTITY:
        return _("the quantity is too large")
    if row.price <= 0:
        return _("the price must be more than zero")
    if row.price > MAX_PRICE or row.price.as_tuple().exponent < -2:  # type: ignore[operator]
        return _("the price must be an amount with at most two decimals")
    return ""


def _apply(
    *, window: OrderWindow, product: Product, offer: Offer | None, row: OfferRow
) -> RowOutcome:
    if offer is None:
        if row.quantity == 0:
            return RowOutcome(product.pk, product.name, True, _("not offered"), row.line)
        Offer.objects.create(
            window=window,
            product=product,
            quantity=row.quantity,
            remaining=row.quantity,
            price=row.price,
        )
        return RowOutcome(product.pk, product.name, True, _("offered"), row.line)
    ordered = offer.quantity - offer.remaining
    if row.quantity < ordered:
        return _refused(
            row,
            product.name,
            _("customers have already ordered %(ordered)s; the quantity cannot be lower")
            % {"ordered": ordered},
        )
    if row.quantity == 0:
        offer.delete()
        return RowOutcome(product.pk, product.name, True, _("withdrawn"), row.line)
    if offer.quantity == row.quantity and offer.price == row.price:
        return RowOutcome(product.pk, product.name, True, _("unchanged"), row.line)
    offer.quantity = row.quantity
    offer.remaining = row.quantity - ordered
    offer.price = row.price
    offer.save(update_fields=["quantity", "remaining", "price", "updated_at"])
    return RowOutcome(product.pk, product.name, True, _("quantity or price changed"), row.line)


def _refused(row: OfferRow, label: str, reason: str) -> RowOutcome:
    return RowOutcome(row.product_id, label, False, reason, row.line)


# Reading the grid's numbers as farmers type them.


def parse_quantity(text: str) -> int | None:
    """A whole number (blank is 0); None if it is not one."""
    text = (text or "").strip().replace("\u00a0", "").replace(" ", "")
    if text == "":
        return 0
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None
    # Not finite, or absurdly large ("1e999999999" would take forever to turn into an int).
    if not value.is_finite() or value.adjusted() > 9:
        return None
    if value != value.to_integral_value():
        return None
    return int(value)


def parse_price(text: str) -> Decimal | None:
    """An amount such as 4.50, « 4,50 », "4,50 $" or "$4.50"; None if it is not one."""
    text = (text or "").strip().replace("$", "").replace("\u00a0", "").replace(" ", "")
    if not text:
        return None
    if "," in text and "." in text:  # 1,234.50
        text = text.replace(",", "")
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None
    return value if value.is_finite() and value.adjusted() < 9 else None


# CSV: the same columns as the grid.


def grid_csv(*, farm: Farm, window: OrderWindow) -> bytes:
    """The grid as a file to edit and upload again: plain UTF-8 (the upload reads it
    back), every text cell through the one formula guard."""
    offers = {o.product_id: o for o in Offer.objects.filter(window=window, product__farm=farm)}
    rows: list[Iterable[object]] = [CSV_COLUMNS]
    for product in grid_products(farm=farm, window=window):
        offer = offers.get(product.pk)
        rows.append(
            [
                product.pk,
                product.name,
                product.unit_label,
                offer.quantity if offer else 0,
                offer.price if offer else product.price,
            ]
        )
    return csv_bytes(rows, bom=False)


def grid_products(*, farm: Farm, window: OrderWindow) -> list[Product]:
    """The grid's rows: active products, and any product already offered this week."""
    offered = Offer.objects.filter(window=window, product__farm=farm).values("product_id")
    return list(
        Product.objects.filter(farm=farm)
        .filter(Q(is_active=True) | Q(pk__in=offered))
        .order_by("category", "name")
    )


def open_csv(data: bytes) -> tuple[list[str], Iterator[list[str]]]:
    """A spreadsheet's CSV as people save it (UTF-8 or Windows' encoding; commas,
    semicolons or tabs): its first line in lower case, and a reader of the others.
    CsvError when the file is too large, not text, or empty."""
    if len(data) > CSV_MAX_BYTES:
        raise CsvError(_("The file is too large (1 MB at most)."))
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes almost anything
        raise CsvError(_("The file is not a text (CSV) file."))
    if "\x00" in text:
        raise CsvError(_("The file is not a text (CSV) file."))
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ("\t" if "\t" in first else ",")
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise CsvError(_("The file is empty.")) from None
    except csv.Error as error:
        raise CsvError(_("The file is not a valid CSV file.")) from error
    return header, reader


def read_csv(data: bytes) -> tuple[list[OfferRow], list[RowOutcome]]:
    """Rows to apply, and the lines refused before applying (unreadable numbers)."""
    header, reader = open_csv(data)
    missing = [c for c in ("product_id", "quantity", "price") if c not in header]
    if missing:
        raise CsvError(
            _("The first line must name the columns %(columns)s; missing: %(missing)s.")
            % {"columns": ", ".join(CSV_COLUMNS), "missing": ", ".join(missing)}
        )
    col = {name: header.index(name) for name in CSV_COLUMNS if name in header}
    rows: list[OfferRow] = []
    refused: list[RowOutcome] = []
    try:
        for number, record in enumerate(reader, start=2):
            if number - 1 > CSV_MAX_ROWS:
                raise CsvError(_("The file has too many lines (2,000 at most)."))
            if not any(cell.strip() for cell in record):
                continue
            cells = {
                name: (record[i].strip() if i < len(record) else "") for name, i in col.items()
            }
            label = cells.get("product", "") or cells["product_id"]
            try:
                product_id = int(cells["product_id"])
            except ValueError:
                product_id = 0
            if not 0 < product_id < 2**63:  # beyond a database id: it cannot be ours
                refused.append(RowOutcome(None, label, False, _("unknown product"), number))
                continue
            quantity = parse_quantity(cells["quantity"])
            if quantity is None:
                refused.append(
                    RowOutcome(
                        product_id,
                        label,
                        False,
                        _("the quantity « %(value)s » is not a whole number")
                        % {"value": cells["quantity"][:40]},
                        number,
                    )
                )
                continue
            price = parse_price(cells["price"])
            if price is None:
                refused.append(
                    RowOutcome(
                        product_id,
                        label,
                        False,
                        _("the price « %(value)s » is not an amount")
                        % {"value": cells["price"][:40]},
                        number,
                    )
                )
                continue
            rows.append(
                OfferRow(
                    product_id=product_id, quantity=quantity, price=price, line=number, label=label
                )
            )
    except csv.Error as error:
        raise CsvError(_("The file is not a valid CSV file.")) from error
    return rows, refused


def sort_report(outcomes: Iterable[RowOutcome]) -> list[RowOutcome]:
    return sorted(outcomes, key=lambda o: o.line or 0)
