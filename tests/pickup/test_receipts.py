"""Receipts (#17): an order picked up gets a numbered receipt, a PDF in the customer's
language with the co-op's registration numbers, the lines (a weighed piece with its
weight), the taxes and the payment; numbers follow each other and are never used twice;
a coordinator reissues one with its number, or cancels it with a credit note."""

import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from orders.models import CoopSettings, Order, OrderLine, Receipt
from pickup import receipts, services
from pickup.errors import PickupError
from tests import factories
from tests.settlements import builders
from tests.workers import at_once

pytestmark = pytest.mark.django_db


def _text(receipt: Receipt) -> str:
    receipt.refresh_from_db()
    with receipt.pdf.open("rb") as handle:
        pages = PdfReader(io.BytesIO(handle.read())).pages
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in pages))


def _picked_up(*, language: str = "fr-ca") -> Order:
    """A card order of last week, paid, with a weighed chicken and taxable honey."""
    coop = CoopSettings.load()
    coop.address = "12, rue des Champs\nMagog QC J1X 0A1"
    coop.tps_number = "123456789 RT0001"
    coop.tvq_number = "1234567890 TQ0001"
    coop.save()
    window = builders.closed_window()
    farm = factories.farm()
    order = factories.order(
        window_=window,
        status=Order.Status.LOCKED,
        payment_method="card",
        customer=factories.user(first_name="Camille", last_name="Roy", language=language),
        language=language,
    )
    chicken = factories.product(
        farm_=farm, name="Poulet entier", unit="kg", price=Decimal("12.00"),
        estimated_weight=Decimal("1.800"),
    )  # fmt: skip
    honey = factories.product(farm_=farm, name="Miel", price=Decimal("9.00"), tax_class="taxable")
    line = builders.add_line(order, factories.offer(window_=window, product_=chicken), 1)
    OrderLine.objects.filter(pk=line.pk).update(weight=Decimal("1.920"))
    builders.add_line(order, factories.offer(window_=window, product_=honey), 2)
    builders.pay_card(order, builders.owes(list(order.lines.all())))
    return order


def test_an_order_picked_up_gets_its_numbered_receipt(django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    order = _picked_up()
    with django_capture_on_commit_callbacks(execute=False) as queued:
        services.order_mark_pickup(order_id=order.pk, picked_up=True)
    assert len(queued) == 1  # the receipt's task
    receipt = receipts.receipt_issue(order_id=order.pk)
    assert receipt is not None
    assert receipt.number == 1
    # 1.92 kg × 12 = 23.04; honey 18.00 + GST 0.90 + QST 1.80 (9.975 %, rounded).
    assert receipt.total == Decimal("43.74")
    text = _text(receipt)
    for expected in (
        "Reçu 1",
        "Coop des Champs",
        "12, rue des Champs",
        "TPS no 123456789 RT0001",
        "TVQ no 1234567890 TQ0001",
        f"Commande {order.pk} · Camille Roy",
        "1 × Poulet entier, 1,92 kg à 12,00 $/kg",
        "23,04 $",
        "2 × Miel",
        "Biens taxables 18,00 $",
        "TPS (5 %) 0,90 $",
        "TVQ (9,975 %) 1,80 $",
        "Total 43,74 $",
        "Payé par carte 43,74 $",
    ):
        assert expected in text, (expected, text)
    assert receipts.receipt_issue(order_id=order.pk) == receipt  # once
    assert Receipt.objects.count() == 1


def test_no_receipt_before_pickup() -> None:
    order = _picked_up()
    assert receipts.receipt_issue(order_id=order.pk) is None  # still LOCKED
    assert not Receipt.objects.exists()


def test_numbers_follow_each_other_and_a_credit_note_has_its_own(client) -> None:  # type: ignore[no-untyped-def]
    first, second = _picked_up(), _picked_up(language="en")
    for order in (first, second):
        Order.objects.filter(pk=order.pk).update(status=Order.Status.PICKED_UP)
    a = receipts.receipt_issue(order_id=first.pk)
    b = receipts.receipt_issue(order_id=second.pk)
    assert (a.number, b.number) == (1, 2)  # type: ignore[union-attr]
    assert "Receipt 2" in _text(b)  # type: ignore[arg-type]  # in English for them
    coordinator = factories.coordinator()
    again = receipts.receipt_reissue(receipt_id=a.pk, by=coordinator)  # type: ignore[union-attr]
    assert again.number == 1
    assert again.reissues == 1
    assert "Réémis" in _text(again)
    note = receipts.credit_note_issue(receipt_id=a.pk, by=coordinator)  # type: ignore[union-attr]
    assert note.number == 3
    assert "Note de crédit 3" in _text(note)
    assert "Annule le reçu 1" in _text(note)
    with translation.override("en"):
        with pytest.raises(PickupError, match="already has its credit note"):
            receipts.credit_note_issue(receipt_id=a.pk, by=coordinator)  # type: ignore[union-attr]
        with pytest.raises(PickupError, match="cancelled by a credit note"):
            receipts.receipt_reissue(receipt_id=a.pk, by=coordinator)  # type: ignore[union-attr]
    # The customer downloads theirs from the order page; another customer cannot.
    client.force_login(first.customer)
    page = client.get(reverse("baskets:order", args=[first.pk])).content.decode()
    assert reverse("baskets:order_receipt", args=[first.pk, 1]) in page
    assert reverse("baskets:order_receipt", args=[first.pk, 3]) in page
    response = client.get(reverse("baskets:order_receipt", args=[first.pk, 1]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert client.get(reverse("baskets:order_receipt", args=[first.pk, 2])).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_two_receipts_issued_at_once_never_share_a_number() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("two workers need two connections to one database: PostgreSQL (CI)")
    orders = [_picked_up() for _ in range(2)]
    for order in orders:
        Order.objects.filter(pk=order.pk).update(status=Order.Status.PICKED_UP)
    pending = list(orders)

    def issue() -> int:
        order = pending.pop()
        receipt = receipts.receipt_issue(order_id=order.pk)
        assert receipt is not None
        return receipt.number

    assert sorted(at_once(issue)) == [1, 2]
    assert Receipt.objects.count() == 2
