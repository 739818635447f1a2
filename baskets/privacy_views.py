"""The privacy page (public) and a customer's own data: download it, or erase the
account (Québec's Law 25). See `baskets.privacy`."""

from email.utils import parseaddr

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.roles import AuthenticatedHttpRequest
from common.errors import DomainError
from orders.models import CoopSettings

from . import privacy


@require_safe
def privacy_page(request: HttpRequest) -> HttpResponse:
    coop = CoopSettings.load()
    return render(
        request,
        "baskets/privacy.html",
        {
            "officer": coop.privacy_officer,
            # « Coop des Champs <commandes@…> » → the address alone, for a mailto link
            "contact": coop.privacy_email or parseaddr(settings.DEFAULT_FROM_EMAIL)[1],
        },
    )


@login_required
@require_safe
def my_data(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(request, "baskets/my_data.html", {})


def _download(content: bytes, *, name: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_safe
def my_data_json(request: AuthenticatedHttpRequest) -> HttpResponse:
    stamp = timezone.localdate().isoformat()
    return _download(
        privacy.customer_data_json(user=request.user),
        name=f"my-data-{stamp}.json",
        content_type="application/json; charset=utf-8",
    )


@login_required
@require_safe
def my_data_zip(request: AuthenticatedHttpRequest) -> HttpResponse:
    stamp = timezone.localdate().isoformat()
    return _download(
        privacy.customer_data_zip(user=request.user),
        name=f"my-data-{stamp}.zip",
        content_type="application/zip",
    )


@require_POST
@login_required
def account_erase(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Erase the account, once the customer's password confirms it is them."""
    if not request.user.check_password(request.POST.get("password", "")[:4096]):
        return render(
            request,
            "baskets/my_data.html",
            {"erase_error": _("This is not your password: your account was not erased.")},
            status=422,
        )
    try:
        privacy.account_erase(user_id=request.user.pk)
    except DomainError as refusal:
        return render(request, "baskets/my_data.html", {"erase_error": refusal.message}, status=409)
    logout(request)
    messages.success(
        request,
        _("Your account is erased. Your past orders stay in the co-op's books, without you."),
    )
    return redirect("baskets:home")
