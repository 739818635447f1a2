"""The coordinators' pages: the week at a glance, closing progress, lists and sheets,
pickup day (collected or not) and shortages. Coordinators only (403 for others)."""

from collections.abc import Iterable

from django.contrib import messages
from django.db import transaction
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from accounts.roles import AuthenticatedHttpRequest, coordinator_required

from .. import closing, payments, pickup, selectors, services, tasks
from ..basket import BasketError
from ..forms import RhythmForm, WindowForm
from ..models import CoopSettings, Offer, Order, OrderWindow, PickupDocument
from .files import serve


@coordinator_required
@require_safe
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    now = timezone.now()
    current = selectors.current_window(now=now)
    upcoming = selectors.next_window(now=now)
    return render(
        request,
        "orders/coordinator/dashboard.html",
        {
            "current": current,
            "upcoming": upcoming,
            "current_figures": selectors.window_figures(window=current) if current else None,
            "windows": selectors.windows_with_counts(now=now),
            "now": now,
        },
    )


@coordinator_required
@require_safe
def window_detail(request: AuthenticatedHttpRequest, window_id: int) -> HttpResponse:
    window = get_object_or_404(OrderWindow, pk=window_id)
    documents = PickupDocument.objects.filter(window=window).select_related("farm", "pickup_point")
    return render(
        request,
        "orders/coordinator/window.html",
        {
            "window": window,
            "figures": selectors.window_figures(window=window),
            "farm_totals": selectors.window_farm_totals(window=window),
            "documents": documents,
            # Pickup day's marks once closed; before, the orders and their payments.
            "orders": _with_payments(selectors.window_orders(window=window))
            if window.status != "cancelled"
            else [],
            "offers": selectors.window_offers_ordered(window=window)
            if window.status == "closed"
            else [],
            "overdue": window.status in ("scheduled", "open")
            and window.closes_at <= timezone.now(),
        },
    )


@coordinator_required
@require_safe
def window_progress(request: AuthenticatedHttpRequest, window_id: int) -> HttpResponse:
    window = get_object_or_404(OrderWindow, pk=window_id)
    return render(request, "orders/coordinator/window.html#progress", {"window": window})


@require_POST
@coordinator_required
def window_close_now(request: AuthenticatedHttpRequest, window_id: int) -> HttpResponse:
    """Ask the worker to close a window whose deadline has passed (if the tick is late)."""
    window = get_object_or_404(OrderWindow, pk=window_id)
    if window.closes_at > timezone.now():
        messages.error(request, _("This window is still open to customers until its deadline."))
        return render(
            request, "orders/coordinator/close_refused.html", {"window": window}, status=409
        )
    tasks.close_window.delay(window.pk)
    messages.success(request, _("Closing has started; the progress shows below."))
    return redirect("orders:coordinator_window", window_id=window.pk)


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
        order = pickup.order_mark_pickup(order_id=order.pk, picked_up=picked_up)
    except BasketError as refusal:
        messages.error(request, refusal.message)
        return redirect("orders:coordinator_window", window_id=order.window_id)
    if request.htmx:
        order = _with_payments(selectors.window_orders(window=order.window).filter(pk=order.pk))[0]
        return render(
            request,
            "orders/coordinator/window.html#order-row",
            {"order": order, "window": order.window},
        )
    return redirect(f"{_window_url(order.window_id)}#order-{order.pk}")


def _with_payments(orders: Iterable[Order]) -> list[Order]:
    """The orders, each with `pay`: its payment state (payments and lines prefetched)."""
    rows = list(orders)
    for order in rows:
        order.pay = payments.payment_state(order, list(order.payments.all()))  # type: ignore[attr-defined]
    return rows


def _window_url(window_id: int) -> str:
    from django.urls import reverse

    return reverse("orders:coordinator_window", args=[window_id])


@require_POST
@coordinator_required
def shortage(request: AuthenticatedHttpRequest, window_id: int) -> HttpResponse:
    window = get_object_or_404(OrderWindow, pk=window_id)
    try:
        offer_id = int(request.POST.get("offer", ""))
        units = int(request.POST.get("units", ""))
    except ValueError:
        messages.error(request, _("Choose a product and enter the number of units missing."))
        return redirect("orders:coordinator_window", window_id=window.pk)
    offer = get_object_or_404(Offer, pk=offer_id, window=window)
    try:
        # One transaction: the emails and refunds it queues start once the sheets
        # (which show what is delivered) are rebuilt too.
        with transaction.atomic():
            cuts = pickup.shortage_record(offer_id=offer.pk, units_short=units, now=timezone.now())
            closing.build_documents(window=window)
    except BasketError as refusal:
        messages.error(request, refusal.message)
        return redirect("orders:coordinator_window", window_id=window.pk)
    messages.success(
        request,
        ngettext(
            "Shortage recorded: %(units)d unit taken off %(orders)d order "
            "(latest orders first); the customers are told.",
            "Shortage recorded: %(units)d units taken off %(orders)d orders "
            "(latest orders first); the customers are told.",
            units,
        )
        % {"units": units, "orders": len(cuts)},
    )
    return redirect("orders:coordinator_window", window_id=window.pk)


@coordinator_required
def schedule(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The weekly rhythm and the windows ahead, each editable or cancellable."""
    rhythm = CoopSettings.load()
    form = RhythmForm(request.POST or None, instance=rhythm)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            form.save()
            created = services.windows_plan(now=timezone.now())
            messages.success(
                request,
                ngettext(
                    "Rhythm saved; %(count)d window created ahead.",
                    "Rhythm saved; %(count)d windows created ahead.",
                    len(created),
                )
                % {"count": len(created)},
            )
            return redirect("orders:coordinator_schedule")
        status = 422
    upcoming = OrderWindow.objects.filter(closes_at__gt=timezone.now()).order_by("opens_at")
    return render(
        request,
        "orders/coordinator/schedule.html",
        {"form": form, "windows": upcoming},
        status=status,
    )


@coordinator_required
def window_edit(request: AuthenticatedHttpRequest, window_id: int) -> HttpResponse:
    window = get_object_or_404(OrderWindow, pk=window_id)
    form = WindowForm(request.POST or None, instance=OrderWindow.objects.get(pk=window.pk))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.window_update(
                    window_id=window.pk,
                    opens_at=form.cleaned_data["opens_at"],
                    closes_at=form.cleaned_data["closes_at"],
                    pickup_date=form.cleaned_data["pickup_date"],
                    note=form.cleaned_data["note"],
                    now=timezone.now(),
                )
            except services.WindowError as refusal:
                form.add_error(None, refusal.message)
            else:
                messages.success(request, _("Window saved."))
                return redirect("orders:coordinator_schedule")
        status = 422
    return render(
        request,
        "orders/coordinator/window_edit.html",
        {"form": form, "window": window},
        status=status,
    )


@require_POST
@coordinator_required
def window_cancel(request: AuthenticatedHttpRequest, window_id: int) -> HttpResponse:
    window = get_object_or_404(OrderWindow, pk=window_id)
    try:
        services.window_cancel(window_id=window.pk)
    except services.WindowError as refusal:
        messages.error(request, refusal.message)
        return render(
            request,
            "orders/coordinator/close_refused.html",
            {"window": window, "reason": refusal.message},
            status=409,
        )
    messages.success(request, _("Window cancelled."))
    return redirect("orders:coordinator_schedule")
