from collections.abc import Iterator

import pytest
from django.utils import translation


@pytest.fixture
def english(client) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """The test's client and its own code in English (the co-op's default is French)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield
