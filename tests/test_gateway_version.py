"""The gateway names the Stripe API version it was written against on every call."""

import pytest

from payments import gateway


@pytest.mark.django_db
def test_every_call_pins_the_api_version(fake_stripe) -> None:  # type: ignore[no-untyped-def]
    gateway.customer_create(user_id=1, email="marie@example.org", key="customer-version-1")
    # The version our code and the fake were written for, whatever the library's default.
    assert fake_stripe.versions_sent == ["2026-10-28.endive"] == [gateway.API_VERSION]
