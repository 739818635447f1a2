"""The coordinators' pages of the farms: the list (active, paused, archived), a new
farm, a farm's page (its people, invitations, status). Coordinators only (403)."""

from django.contrib import messages
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.roles import AuthenticatedHttpRequest, coordinator_required

from . import invitations, services
from .errors import MemberError
from .forms import FarmCreateForm, FarmStatusForm, InviteForm
from .models import Farm, FarmInvitation, FarmMember


@coordinator_required
@require_safe
def farm_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    farms = Farm.objects.annotate(member_count=Count("members")).order_by("name")
    groups = [
        (label, [farm for farm in farms if farm.status == value])
        for value, label in Farm.Status.choices
    ]
    return render(request, "farms/backoffice/farm_list.html", {"groups": groups})


@coordinator_required
def farm_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = FarmCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        farm = services.farm_create(data=form.farm_data())
        messages.success(request, _("Farm created: %(name)s.") % {"name": farm.name})
        return redirect("farms:coordinator_farm", farm_slug=farm.slug)
    return render(
        request,
        "farms/backoffice/farm_create.html",
        {"form": form},
        status=422 if form.is_bound else 200,
    )


@coordinator_required
def farm_detail(request: AuthenticatedHttpRequest, farm_slug: str) -> HttpResponse:
    """The farm's people and invitations; its POST invites someone."""
    farm = get_object_or_404(Farm, slug=farm_slug)
    form = invite_or_form(request, farm)
    if form is None:
        return redirect("farms:coordinator_farm", farm_slug=farm.slug)
    return render(
        request,
        "farms/backoffice/farm_detail.html",
        {**people_context(farm), "farm": farm, "form": form, "statuses": Farm.Status},
        status=422 if form.is_bound else 200,
    )


@require_POST
@coordinator_required
def farm_status(request: AuthenticatedHttpRequest, farm_slug: str) -> HttpResponse:
    farm = get_object_or_404(Farm, slug=farm_slug)
    form = FarmStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose active, paused or archived."))
        return redirect("farms:coordinator_farm", farm_slug=farm.slug)
    farm = services.farm_set_status(farm_id=farm.pk, status=form.cleaned_data["status"])
    messages.success(
        request,
        _("%(name)s is now %(status)s.") % {"name": farm.name, "status": farm.get_status_display()},
    )
    return redirect("farms:coordinator_farm", farm_slug=farm.slug)


# Shared with the owners' "People" tab (farms.people).


def people_context(farm: Farm) -> dict[str, object]:
    members = FarmMember.objects.filter(farm=farm).select_related("user").order_by("role", "pk")
    pending = FarmInvitation.objects.filter(farm=farm, accepted_at__isnull=True)
    return {"members": list(members), "pending": list(pending)}


def invite_or_form(request: AuthenticatedHttpRequest, farm: Farm) -> InviteForm | None:
    """On POST, invite the person of the form and return None (then redirect); else the
    form to show, bound and with its errors if it was refused."""
    if request.method != "POST":
        return InviteForm()
    form = InviteForm(request.POST)
    if not form.is_valid():
        return form
    try:
        invitation = invitations.invitation_create(
            farm=farm,
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
            invited_by=request.user,
            link_for=lambda token: request.build_absolute_uri(
                reverse("farms:invitation", kwargs={"token": token})
            ),
        )
    except MemberError as refusal:
        form.add_error("email", refusal.message)
        return form
    messages.success(request, _("Invitation sent to %(email)s.") % {"email": invitation.email})
    return None
