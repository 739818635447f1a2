"""Refusals of the farms app, each with a message for the farmer."""

from django.utils.translation import gettext as _

from accounts.errors import (  # noqa: F401 (the farm's invitations raise them)
    InvitationAlreadyUsed,
    InvitationError,
    InvitationExpired,
    InvitationInvalid,
)
from common.errors import DomainError


class ProductAlreadyExists(DomainError):
    """The farm already has a product of this name, unit and package size."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "Your catalogue already has a product of this name, unit and package "
                "size. Change one of them, or edit the existing product."
            )
        )


class MemberError(DomainError):
    """A change to a farm's people that would break a rule (the last owner, a member
    invited twice)."""
