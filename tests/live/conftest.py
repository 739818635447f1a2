"""The tests against Stripe's real test mode exist only when asked for.

Without ``STRIPE_TEST_SECRET_KEY`` this directory is not collected at all (CI has no
internet, and a skipped test would only say "no key" on every run). A key that is not
a test-mode secret key stops the run: these tests create customers and charges.
"""

import os

import pytest

KEY = os.environ.get("STRIPE_TEST_SECRET_KEY", "")

collect_ignore_glob = [] if KEY else ["*"]

if KEY and not KEY.startswith("sk_test_"):
    raise pytest.UsageError(
        "STRIPE_TEST_SECRET_KEY must be a test-mode secret key (sk_test_...), never a live one."
    )
