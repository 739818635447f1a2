"""The packing pages where pieces sold by weight are weighed (#17), made for a phone: a
card per order line, one field per piece delivered. Coordinators weigh every farm's
pieces (403 for others); a farm's members weigh their farm's (403 for who is no farmer,
404 for a farm not theirs).

A refused weight comes back with status 422 (409 when the week is not closed or is
settled), every typed value kept and nothing saved; a weight far from its estimate is
asked again before anything is saved; saved, the page redirects to itself (PRG).
"""

import csv
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.roles import AuthenticatedHttpRequest, coordinator_required, farmer_required
from common.spreadsheet import csv_bytes
from farms.access import managed_farm, managed_farms
from farms.models import Farm
from orders import publishing
from orders.errors import CsvError, WeekSettled
from orders.models import OrderLine, OrderWindow

from . import weighing
from .errors import PickupError

# A piece's field, as `weighing.UnitRow.field` names it: w-<line id>-<piece number>.
WEIGHT_FIELD = re.compile(r"w-(\d{1,10})-(\d{1,5})")
GRAMS = Decimal("0.001")


@dataclass(slots=True)
class Piece:
    """One piece's field as the page shows it."""

    name: str  # the field's name and id
    unit: int
    value: str  # as typed, or the weight entered, 3 decimals
    weighed: bool
    error: str = ""
    far: bool = False


@dataclass(slots=True)
class Card:
    """One line to weigh: its product, order and customer, and a field per piece."""

    line: OrderLine
    estimate: Decimal
    pieces: list[Piece] = field(default_factory=list)

    @property
    def weighed(self) -> int:
        return sum(piece.weighed for piece in self.pieces)


@coordinator_required
@require_http_methods(["GET", "POST"])
def coordinator_weigh(request: AuthenticatedHttpRequest, window_id: int) -> HttpResponse:
    """Every farm's pieces of the week, or one farm's (?farm=<id>)."""
    window = get_object_or_404(OrderWindow, pk=window_id)
    lines = weighing.lines_to_weigh(window=window)
    farms = {item.line.offer.product.farm_id: item.line.offer.product.farm for item in lines}
    wanted = request.GET.get("farm", "")
    farm_id = int(wanted) if wanted.isdigit() and int(wanted) in farms else None
    if farm_id is not None:
        lines = [item for item in lines if item.line.offer.product.farm_id == farm_id]
    return _weigh_page(
        request,
        window,
        lines,
        farm_id=None,  # a coordinator may weigh any farm's pieces
        context={
            "farms": sorted(farms.values(), key=lambda farm: farm.name),
            "farm_filter": farm_id,
            "show_farm": True,
            "back_url": reverse("pickup:coordinator_window", args=[window.pk]),
        },
    )


@farmer_required
@require_http_methods(["GET", "POST"])
def farm_weigh(request: AuthenticatedHttpRequest, window_id: int) -> HttpResponse:
    """The pieces of the farmer's farm: the one asked for (?farm=<slug>, as the portal's
    switch), else their first farm."""
    window = get_object_or_404(OrderWindow, pk=window_id)
    farms = managed_farms(request.user)
    farm: Farm
    if slug := request.GET.get("farm", ""):
        farm = managed_farm(request.user, slug)
    elif farms:
        farm = farms[0]
    else:  # a coordinator of a co-op without a farm yet
        return redirect("farms:portal")
    lines = weighing.lines_to_weigh(window=window, farm_id=farm.pk)
    return _weigh_page(
        request,
        window,
        lines,
        farm_id=farm.pk,  # the service refuses any other farm's line
        context={
            "farm": farm,
            "portal_farms": farms,
            "show_farm": False,
            "back_url": reverse("orders:farm_home", args=[farm.slug]),
        },
    )


def _weigh_page(
    request: AuthenticatedHttpRequest,
    window: OrderWindow,
    lines: list[weighing.LineToWeigh],
    *,
    farm_id: int | None,
    context: dict[str, object],
) -> HttpResponse:
    posted: dict[str, str] = {}
    errors: dict[str, str] = {}  # a field's name: why its text is not a weight
    problems: list[str] = []  # refusals tied to no field shown
    far: list[weighing.FarWeight] = []
    status = 200
    if request.method == "GET" and request.GET.get("format") == "csv":
        return _csv_download(window, lines)
    if request.method == "POST":
        upload = request.FILES.get("csv")
        if upload is not None:
            # A spreadsheet of the pieces: its weights go where the page's fields would
            # (the page comes back with them, each refusal beside its piece).
            posted = _posted_from_csv(upload.read(), problems)
        else:
            posted = {
                key: str(request.POST.get(key, ""))[:50]
                for key in request.POST
                if WEIGHT_FIELD.fullmatch(key)
            }
        if window.settled_at is not None:
            problems.append(WeekSettled().message)
            status = 409
        elif window.status != OrderWindow.Status.CLOSED:
            problems.append(_("Pieces are weighed once the week is closed."))
            status = 409
        else:
            weights = _changed_weights(posted, lines, errors, problems)
            if errors or problems:
                status = 422
            elif not weights:
                messages.info(request, _("No weight changed."))
                return redirect(request.get_full_path())
            else:
                try:
                    result = weighing.weights_record(
                        window_id=window.pk,
                        weights=weights,
                        by=request.user,
                        farm_id=farm_id,
                        confirm_far=request.POST.get("confirm_far") == "1",
                    )
                except WeekSettled as refusal:
                    problems.append(refusal.message)
                    status = 409
                except PickupError as refusal:
                    problems.append(refusal.message)
                    status = 422
                else:
                    if not result.far:
                        messages.success(
                            request,
                            ngettext(
                                "%(count)d weight saved.", "%(count)d weights saved.", result.saved
                            )
                            % {"count": result.saved},
                        )
                        return redirect(request.get_full_path())
                    far = result.far
    far_keys = {(weight.line_id, weight.unit) for weight in far}
    cards = [
        Card(
            line=item.line,
            estimate=item.estimate,
            pieces=[
                Piece(
                    name=row.field,
                    unit=row.unit,
                    value=posted[row.field] if row.field in posted else _kg_text(row.kg),
                    weighed=row.kg is not None,
                    error=errors.get(row.field, ""),
                    far=(row.line_id, row.unit) in far_keys,
                )
                for row in item.units
            ],
        )
        for item in lines
    ]
    return render(
        request,
        "pickup/weigh.html",
        {
            **context,
            "window": window,
            "cards": cards,
            "weighed": sum(card.weighed for card in cards),
            "pieces": sum(len(card.pieces) for card in cards),
            "editable": window.status == OrderWindow.Status.CLOSED and window.settled_at is None,
            "settled_message": WeekSettled().message if window.settled_at is not None else "",
            "problems": problems,
            "error_count": len(errors) + len(problems),
            "far": far,
            "action": request.get_full_path(),
            "csv_url": _with_query(request.get_full_path(), "format=csv"),
        },
        status=status,
    )


CSV_COLUMNS = ("line", "piece", "order", "customer", "product", "estimate_kg", "kg")


def _with_query(path: str, query: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}{query}"


def _csv_download(window: OrderWindow, lines: list[weighing.LineToWeigh]) -> HttpResponse:
    """The pieces to weigh as a spreadsheet: fill the kg column, upload it again."""
    rows: list[list[object]] = [list(CSV_COLUMNS)]
    for item in lines:
        line = item.line
        for row in item.units:
            rows.append(
                [
                    line.pk,
                    row.unit,
                    line.order_id,
                    str(line.order.customer) if line.order.customer else "",
                    line.offer.product.name,
                    item.estimate,
                    row.kg if row.kg is not None else "",
                ]
            )
    response = HttpResponse(csv_bytes(rows), content_type="text/csv; charset=utf-8")
    name = f"pesees-{window.pickup_date.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _posted_from_csv(data: bytes, problems: list[str]) -> dict[str, str]:
    """The weights of an uploaded spreadsheet as the page's fields ({w-<line>-<piece>:
    text}); a file that cannot be read, or a line that names no piece, in `problems`."""
    try:
        header, reader = publishing.open_csv(data)
    except CsvError as refusal:
        problems.append(refusal.message)
        return {}
    missing = [name for name in ("line", "piece", "kg") if name not in header]
    if missing:
        problems.append(
            _("The first line must name the columns %(columns)s; missing: %(missing)s.")
            % {"columns": ", ".join(CSV_COLUMNS), "missing": ", ".join(missing)}
        )
        return {}
    col = {name: header.index(name) for name in ("line", "piece", "kg")}
    posted: dict[str, str] = {}
    try:
        for number, record in enumerate(reader, start=2):
            cells = {k: record[i].strip() if i < len(record) else "" for k, i in col.items()}
            if not cells["kg"]:
                continue  # not weighed yet
            name = f"w-{cells['line']}-{cells['piece']}"
            if not WEIGHT_FIELD.fullmatch(name):
                problems.append(
                    _("Line %(number)s of the file names no piece to weigh.") % {"number": number}
                )
                continue
            posted[name] = cells["kg"][:50]
    except csv.Error:
        problems.append(_("The file is not a valid CSV file."))
    return posted


def _changed_weights(
    posted: dict[str, str],
    lines: list[weighing.LineToWeigh],
    errors: dict[str, str],
    problems: list[str],
) -> dict[tuple[int, int], Decimal]:
    """The weights typed that differ from those entered: {(line id, piece): kg}. An
    empty field changes nothing; a text that is no weight goes to `errors` (a field
    shown) or `problems` (a field of no line shown). Fields of lines not shown are
    passed on, for the service to refuse."""
    entered = {(row.line_id, row.unit): row.kg for item in lines for row in item.units}
    shown = {row.field for item in lines for row in item.units}
    weights: dict[tuple[int, int], Decimal] = {}
    for key, text in posted.items():
        try:
            kg = weighing.parse_kg(text)
        except PickupError as refusal:
            if key in shown:
                errors[key] = refusal.message
            else:
                problems.append(refusal.message)
            continue
        match = WEIGHT_FIELD.fullmatch(key)
        if kg is None or match is None:
            continue
        piece = (int(match.group(1)), int(match.group(2)))
        before = entered.get(piece)
        if before is not None and kg <= weighing.MAX_KG and kg.quantize(GRAMS) == before:
            continue
        weights[piece] = kg
    return weights


def _kg_text(kg: Decimal | None) -> str:
    """A weight as the reader types it, 3 decimals: « 1,920 » in French, 1.920 else."""
    if kg is None:
        return ""
    text = f"{kg:.3f}"
    return text.replace(".", ",") if (get_language() or "fr").startswith("fr") else text
