"""The coordinator's back office: the co-op's settings (403 for others)."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.roles import AuthenticatedHttpRequest, coordinator_required
from orders.models import CoopSettings

from .forms import CoopSettingsForm


@coordinator_required
def coop_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Basket hold, minimum order, pay at pickup, margin and the privacy contact; the
    weekly rhythm is edited on its own page (orders:coordinator_schedule)."""
    form = CoopSettingsForm(request.POST or None, instance=CoopSettings.load())
    status = 200
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, _("Co-op settings saved."))
            return redirect("pickup:coordinator_settings")
        status = 422
    return render(request, "pickup/settings.html", {"form": form}, status=status)
