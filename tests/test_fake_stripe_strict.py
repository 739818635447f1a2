"""The fake Stripe server refuses what Stripe refuses (tests/stripe_schema.py), and
forgets idempotency keys after 24 hours, driven by the real `stripe` library."""

from typing import Any

import pytest
import stripe

from tests.fake_stripe import FakeStripe
from tests.stripe_schema import check_params

DAY = 24 * 3600


def _client(server: FakeStripe) -> Any:
    return stripe.StripeClient(
        "sk_test_fake", base_addresses={"api": server.base_url}, max_network_retries=0
    )


def _session_params(**changes: Any) -> dict[str, Any]:
    """The parameters the shop sends to create a Checkout Session, with `changes`."""
    params: dict[str, Any] = {
        "mode": "payment",
        "client_reference_id": "5",
        "success_url": "http://shop.test/paid/?session={CHECKOUT_SESSION_ID}",
        "cancel_url": "http://shop.test/basket/",
        "locale": "fr",
        "line_items": [
            {
                "price_data": {
                    "currency": "cad",
                    "unit_amount": 1234,
                    "product_data": {"name": "Order 5"},
                },
                "quantity": 1,
            }
        ],
        "payment_intent_data": {"capture_method": "manual", "metadata": {"order_id": "5"}},
        "metadata": {"order_id": "5"},
    }
    params.update(changes)
    return params


def _refused(call: Any, *args: Any, **kwargs: Any) -> stripe.InvalidRequestError:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        call(*args, **kwargs)
    assert refused.value.http_status == 400
    return refused.value


def test_unknown_top_level_parameter_is_refused_and_creates_nothing(
    fake_stripe: FakeStripe,
) -> None:
    error = _refused(
        _client(fake_stripe).v1.customers.create,
        params={"email": "ann@example.com", "nickname": "Annie"},
    )
    assert (error.code, error.param) == ("parameter_unknown", "nickname")
    assert error.json_body == {
        "error": {
            "type": "invalid_request_error",
            "code": "parameter_unknown",
            "param": "nickname",
            "message": "Received unknown parameter: nickname",
            "doc_url": "https://stripe.com/docs/error-codes/parameter-unknown",
        }
    }
    assert fake_stripe.customers == {}


def test_unknown_nested_parameter_is_refused_and_creates_nothing(fake_stripe: FakeStripe) -> None:
    params = _session_params(
        payment_intent_data={"capture_method": "manual", "foo": "bar"},
    )
    error = _refused(_client(fake_stripe).v1.checkout.sessions.create, params=params)
    assert error.json_body == {
        "error": {
            "type": "invalid_request_error",
            "code": "parameter_unknown",
            "param": "payment_intent_data[foo]",
            "message": "Received unknown parameter: payment_intent_data[foo]",
            "doc_url": "https://stripe.com/docs/error-codes/parameter-unknown",
        }
    }
    assert fake_stripe.sessions == {}
    assert fake_stripe.intents == {}


def test_unknown_key_in_a_list_item_and_in_a_query_are_refused(fake_stripe: FakeStripe) -> None:
    client = _client(fake_stripe)
    item = {
        "price_data": {"currency": "cad", "unit_amount": 1234, "product_data": {"name": "x"}},
        "quantity": 1,
        "colour": "red",
    }
    error = _refused(client.v1.checkout.sessions.create, params=_session_params(line_items=[item]))
    assert (error.code, error.param) == ("parameter_unknown", "line_items[0][colour]")

    customer = client.v1.customers.create(params={"email": "ann@example.com"})
    error = _refused(
        client.v1.customers.retrieve, customer.id, params={"expand": ["x"], "colour": "red"}
    )
    assert (error.code, error.param) == ("parameter_unknown", "colour")
    error = _refused(client.v1.refunds.list, params={"colour": "red"})
    assert (error.code, error.param) == ("parameter_unknown", "colour")


def test_bad_enum_values_are_refused(fake_stripe: FakeStripe) -> None:
    client = _client(fake_stripe)
    locale = _refused(client.v1.checkout.sessions.create, params=_session_params(locale="xx"))
    assert (locale.code, locale.param) == (None, "locale")
    assert locale.user_message is not None
    assert locale.user_message.startswith("Invalid locale: must be one of auto, bg, cs, ")
    assert locale.user_message.endswith(", zh-HK, or zh-TW")

    nested = _refused(
        client.v1.checkout.sessions.create,
        params=_session_params(payment_intent_data={"capture_method": "later"}),
    )
    assert nested.param == "payment_intent_data[capture_method]"
    assert nested.user_message == (
        "Invalid payment_intent_data[capture_method]: must be one of automatic, "
        "automatic_async, or manual"
    )
    assert fake_stripe.sessions == {}

    customer = client.v1.customers.create(params={"email": "ann@example.com"})
    method = fake_stripe.add_payment_method(customer.id)
    later = _refused(
        client.v1.payment_intents.create,
        params={
            "amount": 900,
            "currency": "cad",
            "customer": customer.id,
            "payment_method": method,
            "capture_method": "later",
        },
    )
    assert (later.code, later.param) == (None, "capture_method")
    assert fake_stripe.intents == {}


def test_client_reference_id_is_at_most_200_characters(fake_stripe: FakeStripe) -> None:
    client = _client(fake_stripe)
    too_long = "r" * 10 + "x" * 181 + "e" * 10
    error = _refused(
        client.v1.checkout.sessions.create, params=_session_params(client_reference_id=too_long)
    )
    assert (error.code, error.param) == (None, "client_reference_id")
    assert error.user_message == (
        "Invalid string: rrrrrrrrrr...eeeeeeeeee; must be at most 200 characters"
    )
    assert fake_stripe.sessions == {}

    session = client.v1.checkout.sessions.create(
        params=_session_params(client_reference_id="y" * 200)
    )
    assert session.client_reference_id == "y" * 200


def test_metadata_limits(fake_stripe: FakeStripe) -> None:
    create = _client(fake_stripe).v1.customers.create
    long_key = _refused(create, params={"metadata": {"k" * 41: "v"}})
    assert (long_key.param, long_key.code) == ("metadata", None)
    assert long_key.user_message == f"Invalid key: {'k' * 41} must be a string under 40 characters"
    long_value = _refused(create, params={"metadata": {"note": "v" * 501}})
    assert long_value.param == "metadata"
    assert long_value.user_message is not None
    assert long_value.user_message.startswith("Invalid val: vvvvvvvvvv...")
    too_many = _refused(create, params={"metadata": {f"k{i}": "v" for i in range(51)}})
    assert too_many.param == "metadata"
    nested = _refused(
        _client(fake_stripe).v1.checkout.sessions.create,
        params=_session_params(payment_intent_data={"metadata": {"k" * 41: "v"}}),
    )
    assert nested.param == "payment_intent_data[metadata]"
    assert fake_stripe.customers == {}

    fine = create(params={"metadata": {f"{i:040d}": "v" * 500 for i in range(50)}})
    assert len(fine.metadata.to_dict()) == 50


def test_types_empty_strings_and_required_keys(fake_stripe: FakeStripe) -> None:
    client = _client(fake_stripe)
    items = [{"price_data": {"unit_amount": 1234, "product_data": {"name": "x"}}, "quantity": 1}]
    missing = _refused(client.v1.checkout.sessions.create, params=_session_params(line_items=items))
    assert (missing.code, missing.param) == (
        "parameter_missing",
        "line_items[0][price_data][currency]",
    )
    empty = _refused(client.v1.customers.create, params={"email": ""})
    assert (empty.code, empty.param) == ("parameter_invalid_empty", "email")
    not_a_number = _refused(client.v1.refunds.list, params={"limit": "ten"})
    assert (not_a_number.code, not_a_number.param) == ("parameter_invalid_integer", "limit")
    not_a_list = _refused(
        client.v1.checkout.sessions.create, params=_session_params(line_items="all")
    )
    assert (not_a_list.user_message, not_a_list.param) == ("Invalid array", "line_items")
    # Literal[''] in the type: the empty string unsets, it is not refused.
    customer = client.v1.customers.create(params={"email": "ann@example.com", "metadata": ""})
    assert customer.metadata.to_dict() == {}
    assert fake_stripe.sessions == {}


def test_refused_parameters_leave_the_key_unused(fake_stripe: FakeStripe) -> None:
    client = _client(fake_stripe)
    options = {"idempotency_key": "customer-9"}
    _refused(client.v1.customers.create, params={"nickname": "x"}, options=options)
    _refused(client.v1.customers.create, params={"nickname": "x"}, options=options)
    customer = client.v1.customers.create(params={"email": "b@example.com"}, options=options)
    assert list(fake_stripe.customers) == [customer.id]
    assert [r.status for r in fake_stripe.requests] == [400, 400, 200]


def test_an_idempotency_key_older_than_24_hours_acts_again(fake_stripe: FakeStripe) -> None:
    client = _client(fake_stripe)
    options = {"idempotency_key": "customer-1"}
    first = client.v1.customers.create(params={"email": "a@example.com"}, options=options)
    fake_stripe.age_idempotency_keys(DAY)
    second = client.v1.customers.create(params={"email": "a@example.com"}, options=options)
    assert second.id != first.id
    assert sorted(fake_stripe.customers) == sorted([first.id, second.id])
    assert [r.replayed for r in fake_stripe.requests] == [False, False]

    # The key now dates from the second request: used again within the day, it replays.
    fake_stripe.age_idempotency_keys(DAY - 60)
    third = client.v1.customers.create(params={"email": "a@example.com"}, options=options)
    assert third.id == second.id
    assert len(fake_stripe.customers) == 2
    assert fake_stripe.requests[-1].replayed


def test_a_fresh_idempotency_key_replays(fake_stripe: FakeStripe) -> None:
    client = _client(fake_stripe)
    options = {"idempotency_key": "customer-2"}
    first = client.v1.customers.create(params={"email": "a@example.com"}, options=options)
    fake_stripe.age_idempotency_keys(DAY - 1)
    again = client.v1.customers.create(params={"email": "a@example.com"}, options=options)
    assert again.id == first.id
    assert list(fake_stripe.customers) == [first.id]
    assert [r.replayed for r in fake_stripe.requests] == [False, True]


def test_schema_covers_every_endpoint_the_fake_serves(fake_stripe: FakeStripe) -> None:
    """Each route of the fake has the library's TypedDict behind it, so a parameter the
    fake does not know is never silently let through."""
    for method, pattern, _ in fake_stripe._routes:
        example = pattern.pattern.replace("([^/]+)", "x_1")
        assert check_params(method, example, {"no_such_parameter": "1"}) is not None, example
