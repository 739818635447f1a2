"""The basket change in one statement (`coop_basket_line_step`, PostgreSQL) against the
ORM's (`_line_set`): each case is run through both on equal starting states, and the
answer, the line, the stock and the order's fields must come out the same. Then the
cases the function leaves to Python, and the query count of an add over HTTP."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from farms.models import Product
from orders import basket as service
from orders.errors import BasketError, WindowClosed
from orders.models import Offer, Order, OrderLine, OrderWindow
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            "the one-statement basket change is a PostgreSQL function "
            "(CI runs this with DATABASE_URL); on SQLite the ORM path is the only one"
        )


def _state(customer_id: int, offer: Offer) -> dict[str, Any]:
    offer.refresh_from_db()
    order = Order.objects.filter(window=offer.window, customer_id=customer_id).first()
    line = OrderLine.objects.filter(order=order, offer=offer).first() if order else None
    return {
        "remaining": offer.remaining,
        "line": (
            (
                line.quantity,
                line.unit_price,
                line.tax_class,
                line.shortage,
                line.unit_weight_estimate,
            )
            if line
            else None
        ),
        "status": order.status if order else None,
        "email_due": order.update_email_due is not None if order else None,
    }


def _run(path: Any, **kwargs: Any) -> tuple[str, Any]:
    try:
        result = path(**kwargs)
    except BasketError as refusal:
        return "refused", refusal.message
    return "ok", (result.requested, result.quantity, result.message)


# (starting units in the line, stock left, confirmed, the change)
CASES = [
    (0, 10, False, {"delta": 1}),  # a new line
    (2, 10, False, {"delta": 1}),
    (2, 10, False, {"delta": -1}),
    (1, 10, False, {"delta": -1}),  # the last unit: the line goes
    (2, 10, False, {"quantity": 7}),
    (2, 3, False, {"quantity": 7}),  # fewer left than asked
    (2, 0, False, {"delta": 1}),  # sold out
    (0, 0, False, {"delta": 1}),  # sold out, no line
    (2, 10, False, {"quantity": 0}),
    (2, 10, False, {"quantity": 2}),  # no change
    (2, 10, False, {"quantity": 1000}),  # over the limit
    (2, 10, True, {"delta": 1}),  # a confirmed order grows: its update email is due
    (2, 10, True, {"quantity": 2}),
]


@pytest.mark.parametrize(("start", "left", "confirmed", "change"), CASES)
def test_the_function_does_what_the_orm_does(start, left, confirmed, change) -> None:
    window = factories.window()
    outcomes: list[tuple[Any, Any]] = []
    for path in (service.basket_line_set, service._line_set):
        customer = factories.user()
        offer = factories.offer(window_=window, quantity=50)
        Offer.objects.filter(pk=offer.pk).update(price=Decimal("4.25"))
        Product.objects.filter(pk=offer.product_id).update(name=f"Carottes {len(outcomes)}")
        other = factories.offer(window_=window, quantity=50)  # so the order stays valid
        now = timezone.now()
        service.basket_line_set(customer_id=customer.pk, offer_id=other.pk, quantity=1, now=now)
        if start:
            service.basket_line_set(
                customer_id=customer.pk, offer_id=offer.pk, quantity=start, now=now
            )
        Offer.objects.filter(pk=offer.pk).update(remaining=left)
        if confirmed:
            Order.objects.filter(customer=customer, window=window).update(
                status=Order.Status.CONFIRMED, confirmed_at=now, update_email_due=None
            )
        with override("en"):
            answer = _run(
                path, customer_id=customer.pk, offer_id=offer.pk, now=timezone.now(), **change
            )
        outcomes.append((answer, _state(customer.pk, offer)))
    (answer, state), (orm_answer, orm_state) = outcomes
    assert answer == (orm_answer[0], _renamed(orm_answer[1]))
    assert state == orm_state


def _renamed(answer: Any) -> Any:
    """The ORM's answer, with the first product's name (each path has its own product)."""
    if isinstance(answer, tuple):
        return (*answer[:2], answer[2].replace("Carottes 1", "Carottes 0"))
    return answer


def test_the_function_hands_over_what_it_does_not_do() -> None:
    """No order yet, a cancelled order, lowering a confirmed order: done by the ORM's
    path, with its rules (a confirmed order cannot lose its last product)."""
    window = factories.window()
    offer = factories.offer(window_=window, quantity=20)
    customer = factories.user()
    now = timezone.now()
    first = service.basket_line_set(customer_id=customer.pk, offer_id=offer.pk, delta=1, now=now)
    assert (first.quantity, first.order_id) == (1, Order.objects.get(customer=customer).pk)
    Order.objects.filter(customer=customer).update(status=Order.Status.CONFIRMED)
    with override("en"), pytest.raises(BasketError, match="to remove everything, cancel"):
        service.basket_line_set(customer_id=customer.pk, offer_id=offer.pk, quantity=0, now=now)
    Order.objects.filter(customer=customer).update(status=Order.Status.CANCELLED)
    again = service.basket_line_set(customer_id=customer.pk, offer_id=offer.pk, delta=1, now=now)
    assert again.quantity == 2
    assert Order.objects.get(customer=customer).status == Order.Status.BASKET


def test_the_function_refuses_after_the_deadline_and_unknown_offers() -> None:
    window = factories.window()
    offer = factories.offer(window_=window, quantity=20)
    customer = factories.user()
    service.basket_line_set(
        customer_id=customer.pk, offer_id=offer.pk, quantity=1, now=timezone.now()
    )
    late = window.closes_at + timedelta(seconds=1)
    with pytest.raises(WindowClosed):
        service.basket_line_set(customer_id=customer.pk, offer_id=offer.pk, delta=1, now=late)
    OrderWindow.objects.filter(pk=window.pk).update(status=OrderWindow.Status.CLOSING)
    with pytest.raises(WindowClosed):
        service.basket_line_set(
            customer_id=customer.pk, offer_id=offer.pk, delta=1, now=timezone.now()
        )
    with pytest.raises(Offer.DoesNotExist):
        service.basket_line_set(
            customer_id=customer.pk, offer_id=offer.pk + 10_000, delta=1, now=timezone.now()
        )
    offer.refresh_from_db()
    assert offer.remaining == 19  # nothing moved by the refusals


def test_adding_a_unit_over_http_is_at_most_six_queries(client) -> None:
    """+1 on a basket line, as htmx sends it: the session, the user, the change (one
    statement), then the basket read for the answer (the order, its lines)."""
    window = factories.window()
    offers = [factories.offer(window_=window, quantity=50) for _ in range(15)]
    customer = factories.user()
    for offer in offers:
        service.basket_line_set(
            customer_id=customer.pk, offer_id=offer.pk, quantity=2, now=timezone.now()
        )
    client.force_login(customer)

    def add() -> Any:
        return client.post(
            reverse("baskets:line_update", args=[offers[3].pk]),
            {"delta": "1", "where": "shop"},
            HTTP_HX_REQUEST="true",
        )

    add()
    with CaptureQueriesContext(connection) as queries:
        response = add()
    assert response.status_code == 200
    sql = [q["sql"] for q in queries.captured_queries]
    assert len(sql) <= 6, "\n".join(sql)
    assert sum("coop_basket_line_step" in s for s in sql) == 1
    assert OrderLine.objects.get(order__customer=customer, offer=offers[3]).quantity == 4


def test_a_new_line_of_a_piece_sold_by_weight_keeps_its_estimate() -> None:
    """#17: the function copies the product's estimated weight a piece, as Python does."""
    window = factories.window()
    chicken = factories.offer(
        window_=window,
        product_=factories.product(
            unit="kg", price=Decimal("12.00"), estimated_weight=Decimal("1.800")
        ),
    )
    carrots = factories.offer(window_=window)
    customer = factories.user()
    now = timezone.now()
    service.basket_line_set(customer_id=customer.pk, offer_id=carrots.pk, delta=1, now=now)
    result = service.basket_line_set(customer_id=customer.pk, offer_id=chicken.pk, delta=1, now=now)
    assert result.quantity == 1
    line = OrderLine.objects.get(order__customer=customer, offer=chicken)
    assert line.unit_weight_estimate == Decimal("1.800")
    assert line.amount == Decimal("21.60")
