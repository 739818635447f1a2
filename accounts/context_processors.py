from typing import Any

from django.conf import settings
from django.http import HttpRequest


def roles(request: HttpRequest) -> dict[str, Any]:
    """The co-op's name and the roles of the user, for the header's menu."""
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    return {
        "coop_name": settings.COOP_NAME,
        "is_coordinator": signed_in and user.is_coordinator,  # type: ignore[union-attr]
        "is_farmer": signed_in and user.is_farmer,  # type: ignore[union-attr]
    }
