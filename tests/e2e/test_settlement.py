"""Settling with the farms, in the browser, on the demo: the demo farmer downloads last
week's statement from the portal; the coordinator opens the week's settlement page,
downloads the payout file and marks a payout paid."""

import csv
import io
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from playwright.sync_api import expect

from settlements.models import FarmStatement
from tests.e2e.helpers import sign_in_demo as _login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_farmer_downloads_a_statement_and_the_treasurer_marks_payouts(  # type: ignore[no-untyped-def]
    page, live_server, screenshot
) -> None:
    cache.clear()
    call_command("seed_demo", customers=5, orders=5, stdout=StringIO())
    base = live_server.url
    statement = FarmStatement.objects.filter(farm__members__user__email="ferme@demo.coop").first()
    assert statement is not None, "the demo settles last week"

    # The farmer: portal → Relevés → the PDF of last week.
    _login(page, base, "ferme@demo.coop")
    page.goto(f"{base}/portal/{statement.farm.slug}/")
    page.get_by_role("link", name="Relevés").click()
    expect(page.locator("main")).to_contain_text("Relevés")
    link = page.locator(f'a[href$="/statements/{statement.pk}.pdf"]')
    expect(link).to_have_count(1)
    response = page.request.get(base + link.get_attribute("href"))
    assert response.status == 200
    assert response.body().startswith(b"%PDF")
    screenshot(page, "farmer-statements-fr")

    # The coordinator: the week's settlement, the payout file, a payout marked paid.
    page.context.clear_cookies()
    _login(page, base, "coordination@demo.coop")
    window = statement.settlement.window
    page.goto(f"{base}/coordinator/windows/{window.pk}/")
    page.get_by_role("link", name="Règlement avec les fermes", exact=False).click()
    expect(page.locator("main")).to_contain_text("Rapprochement")
    payouts = page.get_by_role("link", name="Fichier des versements", exact=False)
    response = page.request.get(base + payouts.get_attribute("href"))
    assert response.status == 200
    rows = list(csv.DictReader(io.StringIO(response.text())))
    assert statement.farm.name in {row["farm"] for row in rows}
    assert sum(float(row["net_due"]) for row in rows) > 0
    page.fill(f"#reference-{statement.pk}", "VIR-2026-11-001")
    page.locator(f"#reference-{statement.pk}").press("Enter")
    expect(page.locator("main")).to_contain_text("VIR-2026-11-001")
    statement.refresh_from_db()
    assert statement.payout_reference == "VIR-2026-11-001"
    assert statement.paid_on is not None
    screenshot(page, "coordinator-settlement-fr")

    # A farm gets its own margin for the weeks settled from now on.
    page.goto(f"{base}/coordinator/")
    page.get_by_role("link", name="Marges par ferme").click()
    page.get_by_label(statement.farm.name).fill("12,5")
    page.get_by_role("button", name="Enregistrer les marges").click()
    expect(page.locator(".message").first).to_contain_text("changée")
    statement.farm.refresh_from_db()
    assert str(statement.farm.margin_percent) == "12.50"
    screenshot(page, "coordinator-margins-fr")
    assert page.console_errors == []
