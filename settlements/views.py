"""Settling pages: the coordinator's settlement of a week (reconciliation, write-offs,
settle, statements, payouts), the sales reports, and the farm's statements in the
farmer portal.

Coordinators only for the first (403 for others); the portal pages answer 404 to anyone
who does not manage the farm (farms.access.managed_farm), like the stock pages.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from accounts.roles import AuthenticatedHttpRequest, coordinator_required
from common.files import serve
from farms.access import managed_farm, portal_context
from farms.models import Farm
from orders.models import CoopSettings, Order, OrderWindow
from payments import gateway
from payments import services as payment_services

from . import documents, selectors, services
from .forms import MarginsForm, PayoutForm, ReportForm, WriteOffForm
from .models import FarmStatement, Settlement


def _settlement_page(
    request: AuthenticatedHttpRequest,
    window: OrderWindow,
    *,
    status: int = 200,
    reasons: list[str] | None = None,
    payout_error: tuple[int, str] | None = None,
) -> HttpResponse:
    accounts = selectors.window_accounts(window=window)
    settlement = Settlement.objects.filter(window=window).select_related("settled_by").first()
    statements = list(selectors.settlement_statements(settlement=settlement)) if settlement else []
    drift = settlement is not None and (
        settlement.money_in != accounts.money_in or settlement.gross != accounts.gross
    )
    return render(
        request,
        "settlements/window.html",
        {
            "window": window,
            "accounts": accounts,
            "refusals": accounts.refusals(today=timezone.localdate()) if not settlement else [],
            "reasons": reasons or [],
            "settlement": settlement,
            "figures": settlement or accounts,
            "statements": statements,
            "drift": drift,
            "payout_error_id": payout_error[0] if payout_error else None,
            "payout_error": payout_error[1] if payout_error else "",
            "today": timezone.localdate(),
        },
        status=status,
    )


@coordinator_required
@require_safe
def window_settlement(request: AuthenticatedHttpRequest, window_id: int) -> HttpResponse:
    window = get_object_or_404(OrderWindow, pk=window_id)
    return _settlement_page(request, window)


@require_POST
@coordinator_required
def settle(request: AuthenticatedHttpRequest, window_id: int) -> HttpResponse:
    window = get_object_or_404(OrderWindow, pk=window_id)
    try:
        settled = services.settle_window(window_id=window.pk, by=request.user, now=timezone.now())
    except services.SettlementError as refusal:
        messages.error(request, refusal.message)
        return _settlement_page(request, window, status=409, reasons=refusal.reasons)
    if settled.created:
        messages.success(
            request, _("The week is settled; the farms' statements are being prepared.")
        )
    else:
        messages.info(request, _("This week was already settled."))
    return redirect("settlements:window", window_id=window.pk)


@require_POST
@coordinator_required
def write_off(request: AuthenticatedHttpRequest, order_id: int) -> HttpResponse:
    order = get_object_or_404(Order.objects.select_related("window"), pk=order_id)
    form = WriteOffForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, _("Say why the order is written off (for instance: not collected).")
        )
        return _settlement_page(request, order.window, status=422)
    try:
        payment_services.links_close(order_id=order.pk)  # no page left open to pay it later
    except gateway.GatewayError:
        messages.error(request, _("Stripe cannot be reached: try again in a minute."))
        return _settlement_page(request, order.window, status=409)
    try:
        services.write_off_order(
            order_id=order.pk,
            by=request.user,
            reason=form.cleaned_data["reason"],
            now=timezone.now(),
        )
    except services.SettlementError as refusal:
        messages.error(request, refusal.message)
        return _settlement_page(request, order.window, status=409)
    messages.success(
        request,
        _("Order #%(number)s is written off: it is not counted in the farms' sales.")
        % {"number": order.pk},
    )
    return redirect("settlements:window", window_id=order.window_id)


@require_POST
@coordinator_required
def payout_paid(request: AuthenticatedHttpRequest, statement_id: int) -> HttpResponse:
    statement = get_object_or_404(
        FarmStatement.objects.select_related("settlement__window"), pk=statement_id
    )
    window = statement.settlement.window
    form = PayoutForm(request.POST)
    if not form.is_valid():
        message = _("Enter the date paid (YYYY-MM-DD) and the payment's reference.")
        messages.error(request, message)
        return _settlement_page(request, window, status=422, payout_error=(statement.pk, message))
    try:
        services.mark_payout_paid(
            statement_id=statement.pk,
            paid_on=form.cleaned_data["paid_on"],
            reference=form.cleaned_data["reference"],
            by=request.user,
            now=timezone.now(),
        )
    except services.SettlementError as refusal:
        messages.error(request, refusal.message)
        return _settlement_page(
            request, window, status=422, payout_error=(statement.pk, refusal.message)
        )
    messages.success(request, _("Payout to %(farm)s marked paid.") % {"farm": statement.farm.name})
    url = reverse("settlements:window", args=[window.pk])
    return redirect(f"{url}#statement-{statement.pk}")


@coordinator_required
@require_safe
def payouts_csv(request: AuthenticatedHttpRequest, window_id: int) -> HttpResponse:
    window = get_object_or_404(OrderWindow, pk=window_id)
    settlement = Settlement.objects.filter(window=window).first()
    if settlement is None:
        raise Http404
    body = documents.payouts_csv(
        statements=selectors.settlement_statements(settlement=settlement),
        pickup_date=window.pickup_date,
    )
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    name = f"payouts-{window.pickup_date.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _report_form(request: AuthenticatedHttpRequest) -> ReportForm:
    data = request.GET if request.GET else ReportForm.default_data()
    return ReportForm(data)


@coordinator_required
@require_safe
def reports(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = _report_form(request)
    report = None
    if form.is_valid():
        report = selectors.sales_report(
            start=form.cleaned_data["start"],
            end=form.cleaned_data["end"],
            by=form.cleaned_data["by"],
        )
    return render(
        request,
        "settlements/reports.html",
        {"form": form, "report": report},
        status=200 if report else 400,
    )


@coordinator_required
@require_safe
def reports_csv(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = _report_form(request)
    if not form.is_valid():
        return render(
            request, "settlements/reports.html", {"form": form, "report": None}, status=400
        )
    data = form.cleaned_data
    report = selectors.sales_report(start=data["start"], end=data["end"], by=data["by"])
    response = HttpResponse(documents.report_csv(report), content_type="text/csv; charset=utf-8")
    name = f"sales-{data['by']}-{data['start'].isoformat()}-{data['end'].isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- The farmer portal -----------------------------------------------------------------


@login_required
@require_safe
def farm_statements(request: AuthenticatedHttpRequest, farm_slug: str) -> HttpResponse:
    farm = managed_farm(request.user, farm_slug)
    return render(
        request,
        "settlements/farm_statements.html",
        {
            **portal_context(request.user, farm, "statements"),
            "statements": selectors.farm_statements(farm=farm),
        },
    )


@login_required
@require_safe
def farm_statement_file(
    request: AuthenticatedHttpRequest, farm_slug: str, statement_id: int, fmt: str
) -> FileResponse:
    farm = managed_farm(request.user, farm_slug)
    statement = get_object_or_404(FarmStatement, pk=statement_id, farm=farm)
    return serve(pdf=statement.pdf, csv=statement.csv, fmt=fmt, fallback="statement")


@coordinator_required
def margins(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Each farm's margin when it differs from the co-op's (set on the rhythm page)."""
    farms = list(Farm.objects.filter(is_active=True).order_by("name"))
    form = MarginsForm(request.POST or None, farms=farms)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            changed = services.margins_set(rates=form.rates())
            messages.success(
                request,
                ngettext(
                    "%(count)d farm's margin changed; settled weeks keep theirs.",
                    "%(count)d farms' margins changed; settled weeks keep theirs.",
                    changed,
                )
                % {"count": changed},
            )
            return redirect("settlements:margins")
        status = 422
    return render(
        request,
        "settlements/margins.html",
        {"form": form, "coop_rate": CoopSettings.load().margin_percent},
        status=status,
    )
