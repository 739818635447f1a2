"""Signing in by email and password (Django's ModelBackend), and the signed-in user
read with both roles in the same query, compiled once per process (common.compiled):
every page reads the user, and its header asks for both roles."""

from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group
from django.db.models import Exists, OuterRef

from common.compiled import CompiledQuery

from .models import User

_USER = CompiledQuery(
    lambda user: User.objects.filter(pk=user).annotate(
        in_coordinators=Exists(
            Group.objects.filter(user=OuterRef("pk"), name=settings.COORDINATORS_GROUP)
        ),
        has_farm=Exists(User.objects.filter(pk=OuterRef("pk"), farm_memberships__isnull=False)),
    ),
    "user",
)


class UserWithRolesBackend(ModelBackend):
    def get_user(self, user_id: Any) -> Any:
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        found = _USER.instances(User, user=pk)
        if not found:
            return None
        user = found[0]
        # The cached properties User.is_coordinator and is_farmer, filled from the row.
        user.__dict__["is_coordinator"] = user.is_active and (
            user.is_superuser or bool(user.in_coordinators)
        )
        user.__dict__["is_farmer"] = user.is_active and bool(user.has_farm)
        return user if self.user_can_authenticate(user) else None
