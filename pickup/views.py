"""Pickup day's pages: for coordinators (403 for others), the week at a glance, closing
progress, lists and sheets, pickup marks, shortages and cancellations after close; for
a farm's members (404 for others), the farm's pickup list."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from accounts.models import UndeliveredEmail
from accounts.roles import AuthenticatedHttpRequest, coordinator_required
from common.errors import DomainError
from common.files import serve
from farms.access import managed_farm
from orders import audit, selectors
from orders import services as market
from orders.models import Offer, Order, OrderWindow, PickupDocument, PickupPoint
from payments.ledger import credit_balances, payment_state

from . import services, tasks


@coordinator_required
@require_safe
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    now = timezone.now()
    current = selectors.current_window(now=now)
    upcoming = selectors.next_window(now=now)
    return render(
        request,
        "pickup/dashboard.html",
        {
            "current": current,
            "upcoming": upcoming,
            "current_figures": selectors.window_figures(window=current) if current else None,
            "windows": selectors.windows_with_counts(now=now),
            "now": now,
            "undelivered": UndeliveredEmail.objects.filter(failed_at__gte=now - timedelta(days=14))[
                :20
            ],
        },
    )


@dataclass(frozen=True, slots=True)
class TableFilters:
    """The pickup table's search: a name or an order number, a point, a status."""

    q: str = ""
    point: int | None = None
    status: str = ""

    @classmethod
    def from_request(cls, request: AuthenticatedHttpRequest) -> "TableFilters":
        get = request.GET
        point = get.get("point", "")
        status = get.get("status", "")
        return cls(
            q=get.get("q", "")[:100].strip(),
            point=int(point) if point.isdigit() and len(point) < 10 else None,
            status=status if status in Order.CLOSED_STATUSES else "",
        )


@coordinator_required
@require_safe
def window_detail(request: AuthenticatedHttpRequest, window_id: int) -> HttpResponse:
    window = get_object_or_404(OrderWindow, pk=window_id)
    filters = TableFilters.from_request(request)
    orders = (
        _with_payments(
            selectors.window_orders(
                window=window, q=filters.q, point_id=filters.point, status=filters.status
            )
        )
        if window.status != "cancelled"
        else []
    )
    if request.htmx and request.GET.get("rows") == "1":  # the table as one searches it
        return render(
            request,
            "pickup/window.html#pickup-rows",
            {"window": window, "orders": orders, "filters": filters},
        )
    documents = PickupDocument.objects.filter(window=window).select_related("farm", "pickup_point")
    return render(
        request,
        "pickup/window.html",
        {
            "window": window,
            "figures": selectors.window_figures(window=window),
            "farm_totals": selectors.window_farm_totals(window=window),
            "documents": documents,
            # Pickup day's marks once closed; before, the orders and their payments.
            "orders": orders,
            "filters": filters,
            "points": PickupPoint.objects.filter(orders__window=window).distinct().order_by("name")
            if window.status == "closed"
            else [],
            "statuses": [(s, Order.Status(s).label) for s in Order.CLOSED_STATUSES],
            "offers": selectors.window_offers_ordered(window=window)
            if window.status == "closed"
            else [],
            "audit_events": audit.window_events(window_id=window.pk),
            "overdue": window.status in ("scheduled", "open")
            and window.closes_at <= timezone.now(),
        },
    )


@coordinator_required
@require_safe
def window_progress(request: AuthenticatedHttpRequest, window_id: int) -> HttpResponse:
    window = get_object_or_404(OrderWindow, pk=window_id)
    return render(request, "pickup/window.html#progress", {"window": window})


@coordinator_required
def window_close_now(request: AuthenticatedHttpRequest, window_id: int) -> HttpResponse:
    """Close a week now. Past its deadline (the tick is late): the close is queued at
    once. Still taking orders: a page says what closing early does (baskets discarded,
    orders locked and charged) and asks to confirm; confirmed, the deadline becomes now
    and the usual close runs."""
    window = get_object_or_404(OrderWindow, pk=window_id)
    now = timezone.now()
    early = window.accepts_orders(now)
    due = window.awaiting_close
    if request.method == "POST":
        if due or (early and request.POST.get("confirm") == "1"):
            if early:
                try:
                    market.window_close_early(window_id=window.pk, now=now, by=request.user)
                except DomainError as refusal:
                    messages.error(request, refusal.message)
                    return redirect("pickup:coordinator_window", window_id=window.pk)
            tasks.close_window.delay(window.pk)
            messages.success(request, _("Closing has started; the progress shows below."))
            return redirect("pickup:coordinator_window", window_id=window.pk)
        if not early:  # not open yet, cancelled, or closed already
            messages.error(request, _("Only a window taking orders can be closed."))
            return render(
                request, "orders/coordinator/close_refused.html", {"window": window}, status=409
            )
    elif not early:  # nothing to confirm: the week's page says what can be done
        return redirect("pickup:coordinator_window", window_id=window.pk)
    return render(  # taking orders: say what closing early does, and ask to confirm
        request,
        "pickup/close_confirm.html",
        {"window": window, **selectors.window_close_preview(window=window)},
        status=409 if request.method == "POST" else 200,  # a POST without confirming
    )


@coordinator_required
@require_safe
def document_download(
    request: AuthenticatedHttpRequest, document_id: int, fmt: str
) -> FileResponse:
    document = get_object_or_404(PickupDocument, pk=document_id)
    return _file(document, fmt)


def _file(document: PickupDocument, fmt: str) -> FileResponse:
    return serve(pdf=document.pdf, csv=document.csv, fmt=fmt, fallback="document")


@require_POST
@coordinator_required
def order_pickup(request: AuthenticatedHttpRequest, order_id: int) -> HttpResponse:
    order = get_object_or_404(Order, pk=order_id)
    picked_up = request.POST.get("picked_up") == "1"
    try:
        order = services.order_mark_pickup(order_id=order.pk, picked_up=picked_up)
    except DomainError as refusal:
        messages.error(request, refusal.message)
        return redirect("pickup:coordinator_window", window_id=order.window_id)
    if request.htmx:
        order = _with_payments(selectors.window_orders(window=order.window).filter(pk=order.pk))[0]
        return render(
            request,
            "pickup/window.html#order-row",
            {"order": order, "window": order.window},
        )
    return redirect(f"{_window_url(order.window_id)}#order-{order.pk}")


def _with_payments(orders: Iterable[Order]) -> list[Order]:
    """The orders, each with `pay`: its payment state (payments and lines prefetched)."""
    rows = list(orders)
    credits = credit_balances(o.customer_id for o in rows)
    for order in rows:
        order.pay = payment_state(  # type: ignore[attr-defined]
            order, list(order.payments.all()), credits[order.customer_id]
        )
    return rows


def _window_url(window_id: int) -> str:
    return reverse("pickup:coordinator_window", args=[window_id])


@require_POST
@coordinator_required
def shortage(request: AuthenticatedHttpRequest, window_id: int) -> HttpResponse:
    window = get_object_or_404(OrderWindow, pk=window_id)
    try:
        offer_id = int(request.POST.get("offer", ""))
        units = int(request.POST.get("units", ""))
    except ValueError:
        messages.error(request, _("Choose a product and enter the number of units missing."))
        return redirect("pickup:coordinator_window", window_id=window.pk)
    offer = get_object_or_404(Offer, pk=offer_id, window=window)
    try:
        # Commits first; the emails, refunds and the rebuild of the lists and sheets
        # are queued for after the commit (the page says « rebuilding » meanwhile).
        cuts = services.shortage_record(
            offer_id=offer.pk, units_short=units, now=timezone.now(), by=request.user
        )
    except DomainError as refusal:
        messages.error(request, refusal.message)
        return redirect("pickup:coordinator_window", window_id=window.pk)
    taken = ngettext("%(units)d unit taken off", "%(units)d units taken off", units) % {
        "units": units
    }
    orders = ngettext("%(orders)d order", "%(orders)d orders", len(cuts)) % {"orders": len(cuts)}
    messages.success(
        request,
        _("Shortage recorded: %(taken)s %(orders)s (latest orders first); the customers are told.")
        % {"taken": taken, "orders": orders},
    )
    return redirect("pickup:coordinator_window", window_id=window.pk)


@require_POST
@coordinator_required
def order_cancel_refund(request: AuthenticatedHttpRequest, order_id: int) -> HttpResponse:
    """Cancel an order after the close (the customer will not come, or the co-op cannot
    fill it): what was paid by card is refunded automatically, once, and the lists and
    sheets are rebuilt, both after the cancellation commits."""
    order = get_object_or_404(Order, pk=order_id)
    try:
        services.order_cancel_closed(order_id=order.pk, by=request.user)
    except DomainError as refusal:
        messages.error(request, refusal.message)
        return redirect(f"{_window_url(order.window_id)}#order-{order.pk}")
    messages.success(
        request,
        _("Order %(number)s is cancelled; any card payment is refunded.") % {"number": order.pk},
    )
    return redirect(f"{_window_url(order.window_id)}#order-{order.pk}")


@login_required
@require_safe
def farm_pickup_list(
    request: AuthenticatedHttpRequest, farm_slug: str, window_id: int, fmt: str
) -> FileResponse:
    """The farm's pickup list of a closed window, as PDF or CSV."""
    farm = managed_farm(request.user, farm_slug)
    window = get_object_or_404(OrderWindow, pk=window_id)  # pk lookups refuse absurd ids
    document = get_object_or_404(
        PickupDocument, window=window, farm=farm, kind=PickupDocument.Kind.FARM_LIST
    )
    return serve(pdf=document.pdf, csv=document.csv, fmt=fmt, fallback="list")
