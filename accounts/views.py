"""An account without a name is asked for one, once (sign-up asks new accounts)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from .adapter import ASK_NAME
from .forms import NameFields
from .roles import AuthenticatedHttpRequest


def _next(request: AuthenticatedHttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/"


@login_required
def names(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    request.session.pop(ASK_NAME, None)
    form = NameFields(request.POST or None, initial={"phone": user.phone})
    if request.method == "POST":
        if form.is_valid():
            user.first_name = form.cleaned_data["first_name"]
            user.last_name = form.cleaned_data["last_name"]
            user.phone = form.cleaned_data["phone"] or user.phone
            user.save(update_fields=["first_name", "last_name", "phone"])
            messages.success(request, _("Thank you: your name is on your orders from now on."))
            return redirect(_next(request))
        return render(
            request, "accounts/names.html", {"form": form, "next": _next(request)}, status=422
        )
    return render(request, "accounts/names.html", {"form": form, "next": _next(request)})
