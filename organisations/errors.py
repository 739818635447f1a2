"""Refusals of the organisations app, each with a message for the person."""

from common.errors import DomainError


class OrganisationError(DomainError):
    """A change to an organisation's people that would break a rule (its last approver,
    a person invited twice)."""
