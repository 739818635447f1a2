"""Fifty customers add the same offer of ten units at the same moment: exactly ten units
are taken, and everyone else gets the clear "sold out" answer. PostgreSQL, real threads."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.utils import timezone
from django.utils.translation import override

from orders import basket as service
from orders.models import OrderLine
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

CUSTOMERS = 50
UNITS = 10


@pytest.fixture
def postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            "row locks under real concurrency need PostgreSQL (CI runs this with DATABASE_URL)"
        )


def _one_unit_by_line(customer_id: int, offer_id: int, window_id: int) -> service.LineResult:
    return service.basket_line_set(
        customer_id=customer_id, offer_id=offer_id, quantity=1, now=timezone.now()
    )


def _one_unit_by_fill(customer_id: int, offer_id: int, window_id: int) -> service.LineResult:
    (result,) = service.basket_fill(
        customer_id=customer_id, window_id=window_id, wanted=[(offer_id, 1)], now=timezone.now()
    )
    return result


@pytest.mark.parametrize("take", [_one_unit_by_line, _one_unit_by_fill], ids=["line", "fill"])
def test_fifty_customers_one_offer_of_ten(postgres, take) -> None:  # type: ignore[no-untyped-def]
    offer = factories.offer(
        window_=factories.window(),
        product_=factories.product(name="Fraises", price=Decimal("6.00")),
        quantity=UNITS,
    )
    customers = [factories.user() for _ in range(CUSTOMERS)]
    barrier = threading.Barrier(CUSTOMERS)
    results: list[service.LineResult] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def shopper(customer_id: int) -> None:
        try:
            barrier.wait(timeout=30)
            with override("fr-ca"):
                result = take(customer_id, offer.pk, offer.window_id)
            with lock:
                results.append(result)
        except BaseException as error:  # noqa: BLE001 - any error at all fails the test
            with lock:
                errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=shopper, args=(c.pk,)) for c in customers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(results) == CUSTOMERS
    offer.refresh_from_db()
    assert offer.remaining == 0
    assert sum(r.quantity for r in results) == UNITS
    assert sum(line.quantity for line in OrderLine.objects.filter(offer=offer)) == UNITS
    refused = [r for r in results if r.quantity == 0]
    assert len(refused) == CUSTOMERS - UNITS
    assert {r.message for r in refused} == {"Désolé, ce produit est épuisé\u00a0: Fraises."}
