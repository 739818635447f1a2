"""Refusals of the farms app, each with a message for the farmer."""

from django.utils.translation import gettext as _

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


class InvitationError(DomainError):
    """An invitation link that cannot be used; `status` is the page's HTTP status."""

    status = 400


class InvitationInvalid(InvitationError):
    def __init__(self) -> None:
        super().__init__(
            _(
                "This invitation link is not valid. Check that you copied the whole link, "
                "or ask the farm or the co-op for a new invitation."
            )
        )


class InvitationExpired(InvitationError):
    status = 410

    def __init__(self) -> None:
        super().__init__(
            _(
                "This invitation has expired (an invitation is valid for 14 days). Ask the "
                "farm or the co-op to invite you again."
            )
        )


class InvitationAlreadyUsed(InvitationError):
    status = 410

    def __init__(self) -> None:
        super().__init__(
            _("This invitation has already been accepted. Sign in to reach your farm.")
        )
