"""The coordinators' pages of the market: the weekly rhythm and the windows ahead, each
editable or cancellable. Coordinators only (403 for others). (The week's own page,
closing and pickup day are in `pickup.views`.)"""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.roles import AuthenticatedHttpRequest, coordinator_required

from .. import services
from ..errors import WindowError
from ..forms import RhythmForm, WindowForm
from ..models import CoopSettings, OrderWindow


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
            except WindowError as refusal:
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
    except WindowError as refusal:
        messages.error(request, refusal.message)
        return render(
            request,
            "orders/coordinator/close_refused.html",
            {"window": window, "reason": refusal.message},
            status=409,
        )
    messages.success(request, _("Window cancelled."))
    return redirect("orders:coordinator_schedule")
