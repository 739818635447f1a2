"""A farm's people, seen by its owners (and coordinators): the members, invitations,
the payout details; and the invitation's accept page, public (the link is the key).

Owner pages answer 404 to the farm's staff as to anyone else (farms.access.owned_farm).
"""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User
from accounts.roles import AuthenticatedHttpRequest

from . import invitations, services
from .access import owned_farm, portal_context
from .backoffice import invite_or_form, people_context
from .errors import InvitationError, MemberError
from .forms import AcceptInvitationForm, PayoutForm
from .models import Farm, FarmInvitation

LOGIN_BACKEND = "allauth.account.auth_backends.AuthenticationBackend"


@require_http_methods(["GET", "POST"])
@login_required
def people(request: AuthenticatedHttpRequest, farm_slug: str) -> HttpResponse:
    farm = owned_farm(request.user, farm_slug)
    form = invite_or_form(request, farm)
    if form is None:
        return redirect("farms:people", farm_slug=farm.slug)
    return render(
        request,
        "farms/people.html",
        {**portal_context(request.user, farm, "people"), **people_context(farm), "form": form},
        status=422 if form.is_bound else 200,
    )


@require_POST
@login_required
def member_remove(
    request: AuthenticatedHttpRequest, farm_slug: str, member_id: int
) -> HttpResponse:
    farm = owned_farm(request.user, farm_slug)
    try:
        services.member_remove(farm=farm, member_id=member_id)
    except MemberError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Removed from the farm."))
    return redirect("farms:people", farm_slug=farm.slug)


@require_http_methods(["GET", "POST"])
@login_required
def payout(request: AuthenticatedHttpRequest, farm_slug: str) -> HttpResponse:
    farm = owned_farm(request.user, farm_slug)
    form = PayoutForm(request.POST or None, instance=Farm.objects.get(pk=farm.pk))
    if request.method == "POST" and form.is_valid():
        services.farm_update_payout(farm=farm, data=form.payout_data())
        messages.success(request, _("Payout details saved."))
        return redirect("farms:payout", farm_slug=farm.slug)
    return render(
        request,
        "farms/payout.html",
        {**portal_context(request.user, farm, "payout"), "form": form},
        status=422 if form.is_bound else 200,
    )


@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Accept an invitation. Signed in with its email: one click. Signed in as someone
    else: 403. Signed out with an account for the email: sign in first. Else: the new
    account's names and password."""
    try:
        invite = invitations.invitation_from_token(token)
    except InvitationError as refusal:
        return _refused(request, refusal.message, refusal.status)
    user = request.user
    if user.is_authenticated:
        if user.email.lower() != invite.email.lower():
            return _refused(
                request,
                _(
                    "This invitation is for %(invited)s, but you are signed in as "
                    "%(current)s. Sign out, then open the link again."
                )
                % {"invited": invite.email, "current": user.email},
                403,
            )
        if request.method == "POST":
            return _accept(request, invite, user)
        return render(request, "farms/invitation.html", {"invitation": invite, "confirm": True})
    if User.objects.filter(email__iexact=invite.email).exists():
        login_url = reverse("account_login") + "?next=" + request.path
        return render(
            request,
            "farms/invitation.html",
            {"invitation": invite, "sign_in": login_url},
        )
    form = AcceptInvitationForm(request.POST or None, email=invite.email)
    if request.method == "POST" and form.is_valid():
        try:
            new_user = invitations.invitation_accept_new_user(
                invitation=invite,
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                password=form.cleaned_data["password1"],
            )
        except InvitationError as refusal:
            return _refused(request, refusal.message, refusal.status)
        login(request, new_user, backend=LOGIN_BACKEND)
        return _welcome(request, invite)
    return render(
        request,
        "farms/invitation.html",
        {"invitation": invite, "form": form},
        status=422 if form.is_bound else 200,
    )


def _accept(request: HttpRequest, invite: FarmInvitation, user: User) -> HttpResponse:
    try:
        invitations.invitation_accept(invitation=invite, user=user)
    except InvitationError as refusal:
        return _refused(request, refusal.message, refusal.status)
    return _welcome(request, invite)


def _welcome(request: HttpRequest, invite: FarmInvitation) -> HttpResponse:
    messages.success(request, _("Welcome to %(farm)s.") % {"farm": invite.farm.name})
    return redirect("orders:farm_home", farm_slug=invite.farm.slug)


def _refused(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return render(request, "farms/invitation_refused.html", {"message": message}, status=status)
