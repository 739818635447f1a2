"""What the browser journeys share: signing in through the real login page."""

from typing import Any

from demo.catalogue import DEMO_PASSWORD
from tests import factories


def sign_in(page: Any, base: str, email: str, password: str = factories.PASSWORD) -> None:
    """Sign in on /accounts/login/ and wait until the login page is left (each role
    lands where its work is)."""
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def sign_in_demo(page: Any, base: str, email: str) -> None:
    """The same, for an account of the seeded demo (its own password)."""
    sign_in(page, base, email, DEMO_PASSWORD)
