"""Refusals of the accounts app, each with a message for the person: invitation links
(a farm's, an organisation's)."""

from django.utils.translation import gettext as _

from common.errors import DomainError


class InvitationError(DomainError):
    """An invitation link that cannot be used; `status` is the page's HTTP status."""

    status = 400


class InvitationInvalid(InvitationError):
    def __init__(self) -> None:
        super().__init__(
            _(
                "This invitation link is not valid. Check that you copied the whole link, "
                "or ask whoever invited you (or the co-op) for a new one."
            )
        )


class InvitationExpired(InvitationError):
    status = 410

    def __init__(self) -> None:
        super().__init__(
            _(
                "This invitation has expired (an invitation is valid for 14 days). Ask "
                "whoever invited you (or the co-op) to invite you again."
            )
        )


class InvitationAlreadyUsed(InvitationError):
    status = 410

    def __init__(self) -> None:
        super().__init__(_("This invitation has already been accepted: sign in to continue."))
