"""The pickup sheets: every page says « page n / N », and each point's sheet ends with
the cash to collect there (what the orders paying at pickup still owe), to the cent."""

import io
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from django.utils.translation import override
from pypdf import PdfReader

from orders.models import Order, Payment, PickupDocument
from payments import ledger
from pickup import closing, documents
from tests.orders.test_closing import build_week

pytestmark = pytest.mark.django_db


def _pages(doc: PickupDocument) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(doc.pdf.read())).pages]


def test_every_page_of_a_point_sheet_is_numbered_out_of_the_total() -> None:
    window, _farms, _offers, (plateau, _limoilou), _customers = build_week(40)
    closing.window_close(window_id=window.pk, now=timezone.now())
    sheet = PickupDocument.objects.get(window=window, kind="point_sheet", pickup_point=plateau)
    pages = _pages(sheet)
    total = len(pages)
    assert total > 1  # twenty orders do not fit one page
    for number, text in enumerate(pages, start=1):
        assert re.search(rf"page\s*{number}\s*/\s*{total}\b", text), (number, text[:200])


def test_the_last_page_totals_the_cash_still_owed_at_the_point() -> None:
    window, _farms, _offers, (plateau, _limoilou), _customers = build_week(12)
    orders = list(Order.objects.filter(window=window, pickup_point=plateau))
    paid_cash = orders[0]
    closing.window_close(window_id=window.pk, now=timezone.now())
    # One order partly paid in cash already: only the rest is still to collect.
    paid_cash.refresh_from_db()
    already = Decimal("5.00")
    Payment.objects.create(
        order=paid_cash,
        method=Payment.Method.AT_PICKUP,
        kind=Payment.Kind.CASH,
        status=Payment.Status.COLLECTED,
        amount_captured=already,
    )
    expected = sum(
        (
            ledger.owed(o) - ledger.received(o.pk)
            for o in Order.objects.filter(window=window, pickup_point=plateau).prefetch_related(
                "lines"
            )
            if o.payment_method != "card"
        ),
        Decimal("0.00"),
    )
    assert expected > 0
    data = documents.window_data(window)
    assert documents.cash_to_collect(data.orders_of_point(plateau.pk)) == expected
    with override("en"):
        pdf, _n = documents.point_sheet_pdf(data, plateau.pk)
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]
    assert "Cash to collect at this point" in pages[-1]
    assert f"${expected:,.2f}" in pages[-1]
    assert all("Cash to collect" not in text for text in pages[:-1])
