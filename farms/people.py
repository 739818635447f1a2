"""A farm's people, seen by its owners (and coordinators): the members, invitations,
the payout details; and the invitation's accept page, public (the link is the key).

Owner pages answer 404 to the farm's staff as to anyone else (farms.access.owned_farm).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.invitation_views import Joining, invitation_page, refused
from accounts.roles import AuthenticatedHttpRequest

from . import invitations, services
from .access import owned_farm, portal_context
from .backoffice import invite_or_form, people_context
from .errors import InvitationError, MemberError
from .forms import PayoutForm
from .models import Farm


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
    """Accept an invitation to a farm (`accounts.invitation_views`)."""
    try:
        invite = invitations.invitation_from_token(token)
    except InvitationError as refusal:
        return refused(request, refusal.message, refusal.status)

    def welcome(request: HttpRequest) -> HttpResponse:
        messages.success(request, _("Welcome to %(farm)s.") % {"farm": invite.farm.name})
        return redirect("orders:farm_home", farm_slug=invite.farm.slug)

    return invitation_page(
        request,
        Joining(
            email=invite.email,
            role=invite.get_role_display(),
            title=_("Join a farm"),
            name=invite.farm.name,
            accept=lambda user: invitations.invitation_accept(invitation=invite, user=user),
            create=lambda first, last, password: invitations.invitation_accept_new_user(
                invitation=invite, first_name=first, last_name=last, password=password
            ),
            welcome=welcome,
        ),
    )
