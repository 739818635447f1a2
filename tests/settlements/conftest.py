import pytest


@pytest.fixture(autouse=True)
def _statements_rendered(statements_inline: None) -> None:
    """These tests read the statements right after settling (see `statements_inline`)."""
