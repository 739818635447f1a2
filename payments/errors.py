"""Refusals of the payments app, each with a message for the customer or coordinator."""

from common.errors import DomainError


class PaymentError(DomainError):
    """A payment cannot be made or recorded as asked."""
