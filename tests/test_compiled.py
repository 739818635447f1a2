"""common.compiled: a queryset compiled once, run with new values and its constants."""

import pytest

from common.compiled import CompiledQuery
from orders.models import Order
from tests import factories

pytestmark = pytest.mark.django_db


def test_compiled_once_and_run_with_each_value(django_assert_num_queries) -> None:
    built = []

    def build(customer: int):  # type: ignore[no-untyped-def]
        built.append(customer)
        return (
            Order.objects.filter(customer_id=customer, status=Order.Status.BASKET)
            .order_by("pk")
            .values_list("pk", "status")
        )

    query = CompiledQuery(build, "customer")
    one, two = factories.user(), factories.user()
    window = factories.window()
    first = Order.objects.create(window=window, customer=one)
    Order.objects.create(window=window, customer=two, status=Order.Status.CANCELLED)
    with django_assert_num_queries(1):
        assert list(query.rows(customer=one.pk)) == [(first.pk, "basket")]
    assert list(query.rows(customer=two.pk)) == []  # the status constant is kept
    assert len(built) == 1
    assert "status" in query.sql()


def test_a_name_the_query_does_not_use_is_refused() -> None:
    query = CompiledQuery(
        lambda customer, window: Order.objects.filter(customer_id=customer), "customer", "window"
    )
    with pytest.raises(ValueError, match=r"does not use \['window'\]"):
        query.rows(customer=1, window=2)
