"""common.compiled: a queryset compiled once, run with new values and its constants."""

import pytest
from django.db import connection
from django.db.backends.signals import connection_created
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

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
    assert list(query.rows(customer=one.pk)) == [(first.pk, "basket")]  # PostgreSQL: prepared
    with django_assert_num_queries(1):
        assert list(query.rows(customer=two.pk)) == []  # the status constant is kept
    assert len(built) == 1
    assert "status" in query.sql()
    # A new server session has nothing prepared: the signal of a new connection
    # makes it prepare again.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("DEALLOCATE ALL")
    connection_created.send(sender=type(connection), connection=connection)
    assert list(query.rows(customer=one.pk)) == [(first.pk, "basket")]


def test_instances_are_converted_models_with_their_annotations() -> None:
    from django.db.models import Count

    query = CompiledQuery(
        lambda customer: Order.objects.filter(customer_id=customer).annotate(
            lines_count=Count("lines")
        ),
        "customer",
    )
    customer = factories.user()
    order = Order.objects.create(window=factories.window(), customer=customer)
    (found,) = query.instances(Order, customer=customer.pk)
    assert (found.pk, found.lines_count, found.released) == (order.pk, 0, [])
    assert found.created_at == Order.objects.get(pk=order.pk).created_at  # aware, converted


def test_a_name_the_query_does_not_use_is_refused() -> None:
    query = CompiledQuery(
        lambda customer, window: Order.objects.filter(customer_id=customer), "customer", "window"
    )
    with pytest.raises(ValueError, match=r"does not use \['window'\]"):
        query.rows(customer=1, window=2)


def test_a_page_reads_the_user_and_both_roles_in_one_query(client) -> None:
    """The backend reads the roles with the user; the header's menu asks for nothing."""
    coordinator = factories.coordinator()
    client.force_login(coordinator)
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(reverse("baskets:home")).content.decode()
    assert 'data-role="coordinator"' in page
    assert not [q for q in ctx.captured_queries if "auth_group" in q["sql"]][1:]
    assert len([q for q in ctx.captured_queries if 'FROM "accounts_user"' in q["sql"]]) == 1
