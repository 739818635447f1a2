"""How allauth fits the co-op: its emails speak in the co-op's name (« Bonjour de Coop
des Champs ! » and its address, not the host the request came in by), and after login
each role lands where its work is."""

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse


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

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        """Without a `next`: coordinators to their dashboard, farmers to their farm's
        portal, customers to the home page (the shop is one tap away)."""
        user = request.user
        if getattr(user, "is_coordinator", False):
            return reverse("pickup:coordinator")
        if getattr(user, "is_farmer", False):
            return reverse("farms:portal")
        return super().get_login_redirect_url(request)
