"""How allauth fits the co-op: its emails speak in the co-op's name (« Bonjour de Coop
des Champs ! » and its address, not the host the request came in by), and after login
each role lands where its work is."""

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from .models import User

ASK_NAME = "coop_ask_name"  # the session says: ask this account for a name, once


@dataclass(frozen=True)
class CoopSite:
    """What allauth's templates read of a Site: its name and domain."""

    name: str
    domain: str


def coop_site() -> CoopSite:
    return CoopSite(
        name=settings.COOP_NAME, domain=urlsplit(settings.COOP_BASE_URL).netloc or "localhost"
    )


class CoopAccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        super().send_mail(template_prefix, email, {**context, "current_site": coop_site()})

    def login(self, request: HttpRequest, user: Any) -> None:
        super().login(request, user)
        if isinstance(user, User):
            ask_name_once(request=request, user=user)

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        """Without a `next`: coordinators to their dashboard, farmers to their farm's
        portal, customers to the home page (the shop is one tap away). An account with
        no name is first asked for one, once."""
        user = request.user
        if not isinstance(user, User):
            return super().get_login_redirect_url(request)
        if user.is_coordinator:
            landing = reverse("pickup:coordinator")
        elif user.is_farmer:
            landing = reverse("farms:portal")
        else:
            landing = super().get_login_redirect_url(request)
        if request.session.get(ASK_NAME):  # set as this login happened (`login`)
            return f"{reverse('accounts:names')}?{urlencode({'next': landing})}"
        return landing


def ask_name_once(*, request: HttpRequest, user: User) -> None:
    """At a login: an account with no name, never asked, is asked now, once (« later »
    is an answer too)."""
    if not (user.first_name or user.last_name) and user.name_asked_at is None:
        User.objects.filter(pk=user.pk).update(name_asked_at=timezone.now())
        request.session[ASK_NAME] = True
