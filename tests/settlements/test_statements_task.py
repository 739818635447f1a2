"""Settling commits its figures under the window lock; the statements' PDFs and CSVs are
written afterwards by a real worker, outside any transaction."""

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse

from orders.models import Order
from settlements import documents
from settlements.models import FarmStatement
from tests import factories

from . import builders


@pytest.fixture
def _statements_rendered() -> None:
    """Not inline here: the worker renders them (overrides the folder's autouse one)."""


@pytest.mark.django_db(transaction=True)
def test_settling_queues_the_statements_and_the_worker_writes_them(
    client, celery_worker, wait_for, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    window = builders.closed_window()
    order = factories.order(window_=window, status=Order.Status.PICKED_UP)
    for name in ("Ferme X", "Ferme Y"):
        product = factories.product(farm_=factories.farm(name=name), price=Decimal("4.00"))
        builders.add_line(order, factories.offer(window_=window, product_=product), 2)
    builders.pay_cash(order, builders.owes(list(order.lines.all())))
    in_transaction: list[bool] = []
    real = documents.statement_pdf

    def watched(**kwargs: Any) -> bytes:
        in_transaction.append(connection.in_atomic_block)
        return real(**kwargs)

    monkeypatch.setattr(documents, "statement_pdf", watched)
    client.force_login(factories.coordinator())
    response = client.post(reverse("settlements:settle", args=[window.pk]))
    assert response.status_code == 302
    assert FarmStatement.objects.filter(settlement__window=window).count() == 2
    wait_for(
        lambda: not FarmStatement.objects.filter(settlement__window=window, pdf="").exists(),
        what="the statements written by the worker",
    )
    assert in_transaction == [False, False]
    for statement in FarmStatement.objects.filter(settlement__window=window):
        assert statement.pdf.read().startswith(b"%PDF")
        assert statement.csv.read().decode("utf-8-sig").strip()
