"""The organisations' pages: the coordinators' list, new organisation and its page
(identity, people, invitations); the organisation's own page for its members; the
invitation's accept page, public (the signed link is the key)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.errors import InvitationError
from accounts.invitation_views import Joining, invitation_page, refused
from accounts.roles import AuthenticatedHttpRequest, coordinator_required

from . import roles, services
from .errors import OrganisationError
from .forms import InviteForm, OrganisationForm
from .models import Organisation, OrganisationInvitation


@coordinator_required
@require_safe
def organisation_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    organisations = Organisation.objects.prefetch_related("members").order_by("legal_name")
    return render(request, "organisations/list.html", {"organisations": organisations})


@coordinator_required
@require_http_methods(["GET", "HEAD", "POST"])
def organisation_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        organisation = form.save(commit=False)
        organisation.slug = services.unique_slug(organisation.legal_name)
        organisation.save()
        messages.success(
            request, _("Organisation created: %(name)s.") % {"name": organisation.legal_name}
        )
        return redirect("organisations:page", slug=organisation.slug)
    return render(
        request,
        "organisations/form.html",
        {"form": form},
        status=422 if form.is_bound else 200,
    )


@coordinator_required
@require_http_methods(["GET", "HEAD", "POST"])
def organisation_edit(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    organisation = get_object_or_404(Organisation, slug=slug)
    form = OrganisationForm(request.POST or None, instance=organisation)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Saved."))
        return redirect("organisations:page", slug=organisation.slug)
    return render(
        request,
        "organisations/form.html",
        {"form": form, "organisation": organisation},
        status=422 if form.is_bound else 200,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def organisation_page(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """The organisation as its members see it; its approvers (and coordinators) invite
    people here (POST)."""
    organisation, member = roles.organisation_for(request.user, slug)
    manage = roles.may_manage_people(request.user, member)
    form = InviteForm(request.POST or None) if manage else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                invitation = services.invitation_create(
                    organisation=organisation,
                    email=form.cleaned_data["email"],
                    role=form.cleaned_data["role"],
                    invited_by=request.user,
                    link_for=lambda token: request.build_absolute_uri(
                        reverse("organisations:invitation", kwargs={"token": token})
                    ),
                )
            except OrganisationError as refusal:
                form.add_error("email", refusal.message)
            else:
                messages.success(
                    request, _("Invitation sent to %(email)s.") % {"email": invitation.email}
                )
                return redirect(request.path)
    return render(
        request,
        "organisations/page.html",
        {
            "organisation": organisation,
            "member": member,
            "manage": manage,
            "form": form,
            "members": organisation.members.select_related("user").order_by("role", "pk"),
            "pending": OrganisationInvitation.objects.filter(
                organisation=organisation, accepted_at__isnull=True
            ),
        },
        status=422 if form is not None and form.is_bound else 200,
    )


@require_POST
@login_required
def member_remove(request: AuthenticatedHttpRequest, slug: str, member_id: int) -> HttpResponse:
    organisation, member = roles.organisation_for(request.user, slug)
    if not roles.may_manage_people(request.user, member):
        raise PermissionDenied
    try:
        removed = services.member_remove(member_id=member_id, organisation=organisation)
    except OrganisationError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("%(person)s is no longer a member.") % {"person": removed.user})
    return redirect("organisations:page", slug=organisation.slug)


@require_http_methods(["GET", "HEAD", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Accept an invitation to an organisation (`accounts.invitation_views`)."""
    try:
        invite = services.invitation_from_token(token)
    except InvitationError as refusal:
        return refused(request, refusal.message, refusal.status)
    organisation = invite.organisation

    def welcome(request: HttpRequest) -> HttpResponse:
        messages.success(
            request, _("Welcome to %(organisation)s.") % {"organisation": organisation}
        )
        return redirect("organisations:page", slug=organisation.slug)

    return invitation_page(
        request,
        Joining(
            email=invite.email,
            role=invite.get_role_display(),
            title=_("Join an organisation"),
            name=organisation.legal_name,
            accept=lambda user: services.invitation_accept(invitation=invite, user=user),
            create=lambda first, last, password: services.invitation_accept_new_user(
                invitation=invite, first_name=first, last_name=last, password=password
            ),
            welcome=welcome,
        ),
    )
