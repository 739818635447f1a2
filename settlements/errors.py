"""Refusals of settling, each with a message for the coordinator."""

from common.errors import DomainError


class SettlementError(DomainError):
    """`reasons` lists the orders (or other causes) that stand in the way."""

    def __init__(self, message: str, reasons: list[str] | None = None) -> None:
        super().__init__(message)
        self.reasons = reasons or []
