"""Refusals of pickup day, each with a message for the coordinator."""

from common.errors import DomainError


class PickupError(DomainError):
    """An order or offer of a closed week cannot change as asked."""
