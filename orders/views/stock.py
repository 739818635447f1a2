"""The farmer's weekly stock: the farm's weeks, the grid, its CSV, and live counts.

Pages of the market (offers belong to a window), reached from the farmer portal.
Access: farmers of the farm, and coordinators; 404 for anyone else.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import F
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.roles import AuthenticatedHttpRequest
from farms.access import managed_farm, portal_context
from farms.models import Farm, Product

from .. import publishing, selectors
from ..errors import CsvError, WindowNotEditable
from ..models import Offer, Order, OrderWindow


@dataclass
class GridRow:
    product: Product
    offer: Offer | None
    quantity: str
    price: str
    error: str = ""
    previous: Offer | None = None

    @property
    def ordered(self) -> int:
        return self.offer.ordered if self.offer else 0

    @property
    def remaining(self) -> int:
        return self.offer.remaining if self.offer else 0


@login_required
@require_safe
def farm_home(request: AuthenticatedHttpRequest, farm_slug: str) -> HttpResponse:
    farm = managed_farm(request.user, farm_slug)
    now = timezone.now()
    return render(
        request,
        "orders/stock/farm_home.html",
        {
            **portal_context(request.user, farm, "stock"),
            "windows": selectors.farm_windows(farm=farm, now=now),
            "weigh_window": _window_to_weigh(farm),
            "now": now,
        },
    )


def _window_to_weigh(farm: Farm) -> OrderWindow | None:
    """The latest closed, unsettled week in which the farm has pieces sold by weight to
    weigh (its packing page is linked from the farm's home): one query."""
    return (
        OrderWindow.objects.filter(
            status=OrderWindow.Status.CLOSED,
            settled_at__isnull=True,
            orders__status__in=Order.CLOSED_STATUSES,
            orders__lines__unit_weight_estimate__isnull=False,
            orders__lines__quantity__gt=F("orders__lines__shortage"),
            orders__lines__offer__product__farm=farm,
        )
        .order_by("-pickup_date", "-pk")
        .first()
    )


def _price_text(value: Decimal) -> str:
    """A price as the farmer types it in their language: 4,50 or 4.50."""
    text = f"{value:.2f}"
    return text.replace(".", ",") if (get_language() or "fr").startswith("fr") else text


def _rows(
    *,
    farm: Farm,
    window: OrderWindow,
    posted: dict[str, str] | None = None,
    fill: str = "",
    errors: dict[int, str] | None = None,
) -> list[GridRow]:
    products = publishing.grid_products(farm=farm, window=window)
    offers = {o.product_id: o for o in Offer.objects.filter(window=window, product__farm=farm)}
    previous_window = selectors.previous_window_of_farm(farm=farm, window=window)
    previous = (
        {o.product_id: o for o in Offer.objects.filter(window=previous_window, product__farm=farm)}
        if previous_window
        else {}
    )
    rows = []
    for product in products:
        offer = offers.get(product.pk)
        last = previous.get(product.pk)
        if posted is not None:
            quantity = posted.get(f"q-{product.pk}", "")
            price = posted.get(f"p-{product.pk}", "")
        else:
            quantity = str(offer.quantity) if offer else ""
            price = _price_text(offer.price if offer else product.price)
            if fill == "last" and last is not None:
                quantity, price = str(last.quantity), _price_text(last.price)
            elif fill == "defaults" and product.default_quantity:
                quantity = str(product.default_quantity)
        rows.append(
            GridRow(
                product=product,
                offer=offer,
                quantity=quantity,
                price=price,
                error=(errors or {}).get(product.pk, ""),
                previous=last,
            )
        )
    return rows


def _grid_context(
    request: AuthenticatedHttpRequest, farm: Farm, window: OrderWindow, **kwargs: object
) -> dict[str, object]:
    now = timezone.now()
    rows = _rows(farm=farm, window=window, **kwargs)  # type: ignore[arg-type]
    return {
        **portal_context(request.user, farm, "stock"),
        "window": window,
        "rows": rows,
        "editable": publishing.window_editable_by_farmers(window, now=now),
        "live": window.accepts_orders(now),
        "previous_window": selectors.previous_window_of_farm(farm=farm, window=window),
        "fill": kwargs.get("fill", ""),
        "error_count": sum(1 for r in rows if r.error),
    }


@login_required
def grid(request: AuthenticatedHttpRequest, farm_slug: str, window_id: int) -> HttpResponse:
    farm = managed_farm(request.user, farm_slug)
    window = get_object_or_404(OrderWindow, pk=window_id)
    if request.method != "POST":
        fill = request.GET.get("fill", "")
        context = _grid_context(
            request, farm, window, fill=fill if fill in ("last", "defaults") else ""
        )
        return render(request, "orders/stock/grid.html", context)

    products = publishing.grid_products(farm=farm, window=window)
    rows: list[publishing.OfferRow] = []
    errors: dict[int, str] = {}
    for product in products:
        quantity = publishing.parse_quantity(request.POST.get(f"q-{product.pk}", ""))
        price = publishing.parse_price(request.POST.get(f"p-{product.pk}", ""))
        if quantity is None:
            errors[product.pk] = _("Enter a whole number of units (0 if none).")
        elif price is None:
            errors[product.pk] = _("Enter a price, such as 4.50.")
        else:
            rows.append(publishing.OfferRow(product_id=product.pk, quantity=quantity, price=price))
    try:
        outcomes = publishing.offers_publish(
            farm=farm, window_id=window.pk, rows=rows, now=timezone.now(), by=request.user
        )
    except WindowNotEditable:
        messages.error(request, _("This window has closed: its stock can no longer change."))
        context = _grid_context(request, farm, window, posted=dict(request.POST.items()))
        return render(request, "orders/stock/grid.html", context, status=409)
    for outcome in outcomes:
        if not outcome.applied and outcome.product_id is not None:
            errors[outcome.product_id] = outcome.message[:1].upper() + outcome.message[1:] + "."
    saved = sum(1 for o in outcomes if o.applied)
    if not errors:
        messages.success(
            request,
            ngettext("Saved: %(count)d product.", "Saved: %(count)d products.", saved)
            % {"count": saved},
        )
        return redirect("orders:stock_grid", farm_slug=farm.slug, window_id=window.pk)
    messages.warning(
        request,
        ngettext(
            "%(bad)d row needs attention; the other rows are saved.",
            "%(bad)d rows need attention; the other rows are saved.",
            len(errors),
        )
        % {"bad": len(errors)},
    )
    context = _grid_context(request, farm, window, posted=dict(request.POST.items()), errors=errors)
    return render(request, "orders/stock/grid.html", context, status=422)


@login_required
@require_safe
def grid_counts(request: AuthenticatedHttpRequest, farm_slug: str, window_id: int) -> HttpResponse:
    """What customers have ordered so far, for htmx to refresh in place."""
    farm = managed_farm(request.user, farm_slug)
    window = get_object_or_404(OrderWindow, pk=window_id)
    offers = Offer.objects.filter(window=window, product__farm=farm).only(
        "pk", "product_id", "quantity", "remaining"
    )
    return render(
        request,
        "orders/stock/grid.html#counts",
        {"offers": offers, "farm": farm, "window": window, "live": window.accepts_orders()},
    )


@login_required
@require_safe
def grid_csv(request: AuthenticatedHttpRequest, farm_slug: str, window_id: int) -> HttpResponse:
    farm = managed_farm(request.user, farm_slug)
    window = get_object_or_404(OrderWindow, pk=window_id)
    response = HttpResponse(
        publishing.grid_csv(farm=farm, window=window), content_type="text/csv; charset=utf-8"
    )
    name = f"stock-{farm.slug}-{window.pickup_date.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_POST
@login_required
def grid_upload(request: AuthenticatedHttpRequest, farm_slug: str, window_id: int) -> HttpResponse:
    farm = managed_farm(request.user, farm_slug)
    window = get_object_or_404(OrderWindow, pk=window_id)
    upload = request.FILES.get("file")
    context = _grid_context(request, farm, window)
    if upload is None:
        context["upload_error"] = _("Choose a CSV file to upload.")
        return render(request, "orders/stock/grid.html", context, status=422)
    try:
        if upload.size and upload.size > publishing.CSV_MAX_BYTES:
            raise CsvError(_("The file is too large (1 MB at most)."))
        rows, refused = publishing.read_csv(upload.read(publishing.CSV_MAX_BYTES + 1))
        outcomes = publishing.offers_publish(
            farm=farm, window_id=window.pk, rows=rows, now=timezone.now(), by=request.user
        )
    except CsvError as error:
        context["upload_error"] = str(error)
        return render(request, "orders/stock/grid.html", context, status=422)
    except WindowNotEditable:
        messages.error(request, _("This window has closed: its stock can no longer change."))
        return render(request, "orders/stock/grid.html", context, status=409)
    report = publishing.sort_report([*outcomes, *refused])
    context = _grid_context(request, farm, window)  # the grid as it now stands
    context["report"] = report
    context["report_applied"] = sum(1 for o in report if o.applied)
    context["report_refused"] = sum(1 for o in report if not o.applied)
    status = 200 if context["report_refused"] == 0 else 422
    return render(request, "orders/stock/grid.html", context, status=status)
