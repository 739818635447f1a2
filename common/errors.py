"""The one base of the refusals a user can read."""


class DomainError(Exception):
    """A rule said no. `message` is translated, for the customer, farmer or coordinator
    who asked; views show it as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
