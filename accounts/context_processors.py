from functools import cache
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.db.models import Exists, OuterRef
from django.http import HttpRequest

from common.compiled import CompiledQuery

from .models import User

# Both roles of a user in one query: the header's menu asks for both on every page.
_ROLES = CompiledQuery(
    lambda user: (
        User.objects.filter(pk=user)
        .annotate(
            coordinator=Exists(
                Group.objects.filter(user=OuterRef("pk"), name=settings.COORDINATORS_GROUP)
            ),
            farmer=Exists(User.objects.filter(pk=OuterRef("pk"), farm_memberships__isnull=False)),
        )
        .values_list("coordinator", "farmer")
    ),
    "user",
)


def roles(request: HttpRequest) -> dict[str, Any]:
    """The co-op's name and the roles of the user, for the header's menu. The roles are
    callables (templates call them), so a partial that shows no menu runs no query;
    one that does runs one for both (and fills `User.is_coordinator` and `is_farmer`
    for the rest of the request)."""
    user: Any = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)

    @cache
    def flags() -> tuple[bool, bool]:
        if not signed_in:
            return False, False
        # The cached properties, if the request asked already (or the backend filled
        # them): on the user itself, not on the lazy object around it.
        known = getattr(user, "_wrapped", user).__dict__
        if "is_coordinator" not in known or "is_farmer" not in known:
            found = _ROLES.rows(user=user.pk)
            group, membership = found[0] if found else (False, False)
            known["is_coordinator"] = user.is_active and (user.is_superuser or bool(group))
            known["is_farmer"] = user.is_active and bool(membership)
        return bool(user.is_coordinator), bool(user.is_farmer)

    return {
        "coop_name": settings.COOP_NAME,
        "is_coordinator": lambda: flags()[0],
        "is_farmer": lambda: flags()[1],
    }
