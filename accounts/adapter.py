"""allauth's emails speak in the co-op's name: « Bonjour de Coop des Champs ! » and its
address, not the host the request came in by (« 127.0.0.1:8801 »)."""

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings


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
