"""The page of an invitation's link, whatever one is invited to (a farm, an
organisation): signed in with its email, one click; signed in as someone else, 403;
signed out with an account for the email, sign in first; else the new account's names
and password. Each kind says how to accept and where to go next (`Joining`)."""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from .errors import InvitationError
from .forms import AcceptInvitationForm
from .models import User

LOGIN_BACKEND = "allauth.account.auth_backends.AuthenticationBackend"


@dataclass(frozen=True, slots=True)
class Joining:
    """What one kind of invitation gives the page."""

    email: str  # the invited address
    role: str  # the role, as its label reads
    title: str  # « Se joindre à une ferme »
    name: str  # what one joins: the farm's or the organisation's name
    accept: Callable[[User], object]  # makes the member (raises InvitationError)
    create: Callable[[str, str, str], User]  # first, last name, password: new account
    welcome: Callable[[HttpRequest], HttpResponse]  # where the new member goes


def invitation_page(request: HttpRequest, joining: Joining) -> HttpResponse:
    context = {"joining": joining}
    user = request.user
    if user.is_authenticated:
        if user.email.lower() != joining.email.lower():
            return refused(
                request,
                _(
                    "This invitation is for %(invited)s, but you are signed in as "
                    "%(current)s. Sign out, then open the link again."
                )
                % {"invited": joining.email, "current": user.email},
                403,
            )
        if request.method == "POST":
            try:
                joining.accept(user)
            except InvitationError as refusal:
                return refused(request, refusal.message, refusal.status)
            return joining.welcome(request)
        return render(request, "accounts/invitation.html", {**context, "confirm": True})
    if User.objects.filter(email__iexact=joining.email).exists():
        login_url = reverse("account_login") + "?next=" + request.path
        return render(request, "accounts/invitation.html", {**context, "sign_in": login_url})
    form = AcceptInvitationForm(request.POST or None, email=joining.email)
    if request.method == "POST" and form.is_valid():
        try:
            new_user = joining.create(
                form.cleaned_data["first_name"],
                form.cleaned_data["last_name"],
                form.cleaned_data["password1"],
            )
        except InvitationError as refusal:
            return refused(request, refusal.message, refusal.status)
        login(request, new_user, backend=LOGIN_BACKEND)
        return joining.welcome(request)
    return render(
        request,
        "accounts/invitation.html",
        {**context, "form": form},
        status=422 if form.is_bound else 200,
    )


def refused(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return render(request, "accounts/invitation_refused.html", {"message": message}, status=status)
