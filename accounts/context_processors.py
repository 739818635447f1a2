from collections.abc import Callable
from functools import cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest


def roles(request: HttpRequest) -> dict[str, Any]:
    """The co-op's name and the roles of the user, for the header's menu. The roles are
    callables (templates call them), so a partial that shows no menu runs no query."""
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)

    def role(name: str) -> Callable[[], bool]:
        return cache(lambda: signed_in and bool(getattr(user, name)))

    return {
        "coop_name": settings.COOP_NAME,
        "is_coordinator": role("is_coordinator"),
        "is_farmer": role("is_farmer"),
    }
