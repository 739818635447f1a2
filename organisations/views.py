"""The organisations' pages: the coordinators' list, new organisation and its page
(identity, people, invitations); the organisation's own page for its members; the
invitation's accept page, public (the signed link is the key)."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.errors import InvitationError
from accounts.models import User
from accounts.roles import AuthenticatedHttpRequest, coordinator_required
from farms.forms import AcceptInvitationForm

from . import roles, services
from .errors import OrganisationError
from .forms import InviteForm, OrganisationForm
from .models import Organisation, OrganisationInvitation

LOGIN_BACKEND = "allauth.account.auth_backends.AuthenticationBackend"


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
    """Accept an invitation, as for a farm: signed in with its email, one click; as
    someone else, 403; signed out with an account, sign in first; else a new account."""
    try:
        invite = services.invitation_from_token(token)
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
        return render(
            request, "organisations/invitation.html", {"invitation": invite, "confirm": True}
        )
    if User.objects.filter(email__iexact=invite.email).exists():
        login_url = reverse("account_login") + "?next=" + request.path
        return render(
            request, "organisations/invitation.html", {"invitation": invite, "sign_in": login_url}
        )
    form = AcceptInvitationForm(request.POST or None, email=invite.email)
    if request.method == "POST" and form.is_valid():
        try:
            new_user = services.invitation_accept_new_user(
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
        "organisations/invitation.html",
        {"invitation": invite, "form": form},
        status=422 if form.is_bound else 200,
    )


def _accept(request: HttpRequest, invite: OrganisationInvitation, user: User) -> HttpResponse:
    try:
        with transaction.atomic():
            services.invitation_accept(invitation=invite, user=user)
    except InvitationError as refusal:
        return _refused(request, refusal.message, refusal.status)
    return _welcome(request, invite)


def _welcome(request: HttpRequest, invite: OrganisationInvitation) -> HttpResponse:
    messages.success(
        request, _("Welcome to %(organisation)s.") % {"organisation": invite.organisation}
    )
    return redirect("organisations:page", slug=invite.organisation.slug)


def _refused(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return render(request, "farms/invitation_refused.html", {"message": message}, status=status)
