"""Refusals of the weekly market, each with a message for the customer, the farmer or
the coordinator (see `common.errors.DomainError`)."""

from django.utils.translation import gettext as _

from common.errors import DomainError


class BasketError(DomainError):
    """The customer's basket or order cannot change as asked."""


class WindowClosed(BasketError):
    def __init__(self) -> None:
        super().__init__(_("Ordering has closed for this week: your order can no longer change."))


class WindowError(DomainError):
    """A coordinator's change of a window that its state refuses."""


class WeekSettled(DomainError):
    """The week is settled with the farms: its orders and money are final."""

    def __init__(self) -> None:
        super().__init__(
            _("This week is settled with the farms: its orders and payments can no longer change.")
        )


class WindowNotEditable(DomainError):
    """The window has closed (or was cancelled): its stock can no longer change."""

    def __init__(self) -> None:
        super().__init__(_("This window has closed: its stock can no longer change."))


class CsvError(DomainError):
    """The file as a whole cannot be read (not the fault of one line)."""


class PointError(DomainError):
    """A coordinator's change of a pickup point, its slots or its closures, refused."""
