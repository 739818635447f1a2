"""The fake Stripe server, driven by the real `stripe` library over HTTP."""

import http.client
import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import stripe

from tests.fake_stripe import FakeCheckoutDeclined, FakeStripe, parse_params

SECRET = "whsec_test_fake"


def _client(server: FakeStripe, *, retries: int = 2, key: str = "sk_test_fake") -> Any:
    return stripe.StripeClient(
        key, base_addresses={"api": server.base_url}, max_network_retries=retries
    )


def _checkout(
    client: Any, *, capture: str = "manual", amount: int = 1234, customer: str | None = None
) -> Any:
    if customer is None:
        customer = client.v1.customers.create(params={"email": "ann@example.com"}).id
    return client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "customer": customer,
            "client_reference_id": "5",
            "success_url": "http://shop.test/paid/?session={CHECKOUT_SESSION_ID}",
            "cancel_url": "http://shop.test/basket/",
            "locale": "fr",
            "line_items": [
                {
                    "price_data": {
                        "currency": "cad",
                        "unit_amount": amount,
                        "product_data": {"name": "Order 5"},
                    },
                    "quantity": 1,
                }
            ],
            "payment_intent_data": {
                "capture_method": capture,
                "setup_future_usage": "off_session",
                "metadata": {"order_id": "5"},
            },
            "metadata": {"order_id": "5", "kind": "order"},
        }
    )


def _charge(client: Any, customer: str, payment_method: str, key: str | None = None) -> Any:
    options = {"idempotency_key": key} if key else None
    return client.v1.payment_intents.create(
        params={
            "amount": 900,
            "currency": "cad",
            "customer": customer,
            "payment_method": payment_method,
            "off_session": True,
            "confirm": True,
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
            "metadata": {"order_id": "6"},
            "description": "Extra",
        },
        options=options,
    )


def test_parse_params_nests_like_stripe_encodes() -> None:
    pairs = [
        ("line_items[0][price_data][unit_amount]", "1234"),
        ("line_items[0][quantity]", "1"),
        ("line_items[1][quantity]", "2"),
        ("payment_intent_data[metadata][order_id]", "5"),
        ("metadata[7]", "seven"),
        ("expand[0]", "payment_intent"),
    ]
    assert parse_params(pairs) == {
        "line_items": [{"price_data": {"unit_amount": "1234"}, "quantity": "1"}, {"quantity": "2"}],
        "payment_intent_data": {"metadata": {"order_id": "5"}},
        "metadata": {"7": "seven"},
        "expand": ["payment_intent"],
    }


def test_checkout_hold_capture_and_refund(fake_stripe: FakeStripe) -> None:
    client = _client(fake_stripe)
    customer = client.v1.customers.create(
        params={"email": "ann@example.com", "name": "Ann", "metadata": {"user_id": "3"}}
    )
    assert customer.object == "customer"
    assert customer.id.startswith("cus_")
    assert customer.metadata["user_id"] == "3"

    session = _checkout(client, customer=customer.id)
    assert session.object == "checkout.session"
    assert session.id.startswith("cs_test_")
    assert session.url == f"{fake_stripe.base_url}/pay/{session.id}"
    assert (session.status, session.payment_status, session.payment_intent) == (
        "open",
        "unpaid",
        None,
    )
    assert (session.amount_total, session.currency) == (1234, "cad")
    assert session.metadata.to_dict() == {"order_id": "5", "kind": "order"}
    assert session.client_reference_id == "5"

    pi_id = fake_stripe.complete_session(session.id)
    done = client.v1.checkout.sessions.retrieve(session.id)
    assert (done.status, done.payment_status, done.payment_intent) == ("complete", "unpaid", pi_id)

    intent = client.v1.payment_intents.retrieve(pi_id)
    assert intent.status == "requires_capture"
    assert (intent.amount, intent.amount_capturable, intent.amount_received) == (1234, 1234, 0)
    assert intent.capture_method == "manual"
    assert intent.customer == customer.id
    assert intent.metadata.to_dict() == {"order_id": "5"}
    assert intent.latest_charge.startswith("ch_")
    method = client.v1.payment_methods.retrieve(intent.payment_method)
    assert (method.customer, method.card.last4) == (customer.id, "4242")

    captured = client.v1.payment_intents.capture(pi_id, params={"amount_to_capture": 1000})
    assert (captured.status, captured.amount_received, captured.amount_capturable) == (
        "succeeded",
        1000,
        0,
    )
    assert fake_stripe.captures(pi_id) == 1

    refund = client.v1.refunds.create(params={"payment_intent": pi_id, "amount": 300})
    assert (refund.object, refund.amount, refund.status, refund.payment_intent) == (
        "refund",
        300,
        "succeeded",
        pi_id,
    )
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        client.v1.refunds.create(params={"payment_intent": pi_id, "amount": 701})
    assert too_much.value.code == "amount_too_large"
    assert too_much.value.http_status == 400
    rest = client.v1.refunds.create(params={"payment_intent": pi_id})
    assert rest.amount == 700
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.refunds.create(params={"payment_intent": pi_id, "amount": 1})
    assert again.value.code == "charge_already_refunded"
    assert fake_stripe.refunds_for(pi_id) == [300, 700]


def test_automatic_capture_checkout_is_paid(fake_stripe: FakeStripe) -> None:
    client = _client(fake_stripe)
    session = _checkout(client, capture="automatic")
    pi_id = fake_stripe.complete_session(session.id)
    assert fake_stripe.sessions[session.id]["payment_status"] == "paid"
    intent = client.v1.payment_intents.retrieve(pi_id)
    assert (intent.status, intent.amount_received, intent.amount_capturable) == (
        "succeeded",
        1234,
        0,
    )
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.payment_intents.capture(pi_id)
    assert error.value.code == "payment_intent_unexpected_state"


def test_capture_replays_with_the_same_key_and_refuses_other_uses(fake_stripe: FakeStripe) -> None:
    client = _client(fake_stripe)
    pi_id = fake_stripe.complete_session(_checkout(client).id)
    options = {"idempotency_key": "close-7-capture"}
    first = client.v1.payment_intents.capture(
        pi_id, params={"amount_to_capture": 1200}, options=options
    )
    second = client.v1.payment_intents.capture(
        pi_id, params={"amount_to_capture": 1200}, options=options
    )
    assert first.to_dict() == second.to_dict()
    assert second.amount_received == 1200
    assert fake_stripe.captures(pi_id) == 1
    captures = [r for r in fake_stripe.requests if r.path.endswith("/capture")]
    assert [(r.status, r.replayed, r.idempotency_key) for r in captures] == [
        (200, False, "close-7-capture"),
        (200, True, "close-7-capture"),
    ]
    assert captures[0].params == {"amount_to_capture": "1200"}

    with pytest.raises(stripe.IdempotencyError) as other_params:
        client.v1.payment_intents.capture(pi_id, params={"amount_to_capture": 5}, options=options)
    assert other_params.value.http_status == 400
    assert other_params.value.error is not None
    assert other_params.value.error.type == "idempotency_error"
    with pytest.raises(stripe.IdempotencyError):
        client.v1.payment_intents.cancel(pi_id, options=options)
    assert fake_stripe.captures(pi_id) == 1
    assert fake_stripe.intent(pi_id)["status"] == "succeeded"


def test_declined_off_session_charge_is_a_card_error_with_the_intent(
    fake_stripe: FakeStripe,
) -> None:
    client = _client(fake_stripe)
    session = _checkout(client)
    pi_id = fake_stripe.complete_session(session.id)
    first = fake_stripe.intent(pi_id)
    fake_stripe.set_behaviour(first["payment_method"], "declined")

    with pytest.raises(stripe.CardError) as declined:
        _charge(client, first["customer"], first["payment_method"], key="extra-6")
    error = declined.value
    assert (error.http_status, error.code) == (402, "card_declined")
    assert error.error is not None
    assert error.error.decline_code == "generic_decline"
    assert error.user_message == "Your card was declined."
    intent = error.error.payment_intent
    assert isinstance(intent, stripe.PaymentIntent)
    assert intent.status == "requires_payment_method"
    assert intent.last_payment_error is not None
    assert intent.last_payment_error.code == "card_declined"
    assert fake_stripe.intent(intent.id)["metadata"] == {"order_id": "6"}

    # The same key replays the 402 and creates nothing more.
    with pytest.raises(stripe.CardError) as replayed:
        _charge(client, first["customer"], first["payment_method"], key="extra-6")
    assert replayed.value.error is not None
    assert replayed.value.error.payment_intent is not None
    assert replayed.value.error.payment_intent.id == intent.id
    assert (replayed.value.headers or {}).get("idempotent-replayed") == "true"
    assert len(fake_stripe.intents) == 2

    fake_stripe.set_behaviour(first["payment_method"], "ok")
    paid = _charge(client, first["customer"], first["payment_method"])
    assert (paid.status, paid.amount_received, paid.capture_method) == (
        "succeeded",
        900,
        "automatic_async",
    )


def test_card_that_needs_authentication_off_session(fake_stripe: FakeStripe) -> None:
    client = _client(fake_stripe)
    pi_id = fake_stripe.complete_session(_checkout(client).id, outcome="authentication_required")
    first = fake_stripe.intent(pi_id)
    assert first["status"] == "requires_capture"  # 3-D Secure passed with the customer there

    with pytest.raises(stripe.CardError) as needs_auth:
        _charge(client, first["customer"], first["payment_method"])
    error = needs_auth.value
    assert error.code == "authentication_required"
    assert error.error is not None
    assert error.error.decline_code == "authentication_required"
    assert error.error.payment_intent is not None
    assert error.error.payment_intent.status == "requires_payment_method"
    body = error.json_body  # the raw JSON, for those who want dicts
    assert isinstance(body, dict)
    assert body["error"]["payment_intent"]["amount"] == 900


def test_unknown_ids(fake_stripe: FakeStripe) -> None:
    client = _client(fake_stripe)
    customer = client.v1.customers.create(params={"email": "bob@example.com"})
    with pytest.raises(stripe.InvalidRequestError) as unknown_method:
        _charge(client, customer.id, "pm_nope")
    assert (unknown_method.value.http_status, unknown_method.value.code) == (
        400,
        "resource_missing",
    )
    with pytest.raises(stripe.InvalidRequestError) as unknown_intent:
        client.v1.payment_intents.retrieve("pi_nope")
    assert (unknown_intent.value.http_status, unknown_intent.value.code) == (
        404,
        "resource_missing",
    )


def test_refused_parameters_do_not_use_up_the_key(fake_stripe: FakeStripe) -> None:
    client = _client(fake_stripe)
    options = {"idempotency_key": "customer-1"}
    with pytest.raises(stripe.InvalidRequestError) as bad:
        client.v1.customers.create(params={"metadata": "x"}, options=options)
    assert bad.value.code == "parameter_invalid_object"
    customer = client.v1.customers.create(params={"email": "d@example.com"}, options=options)
    assert list(fake_stripe.customers) == [customer.id]


def test_lapsed_hold_cannot_be_captured_or_canceled(fake_stripe: FakeStripe) -> None:
    client = _client(fake_stripe)
    pi_id = fake_stripe.complete_session(_checkout(client).id)
    fake_stripe.expire_hold(pi_id)
    with pytest.raises(stripe.InvalidRequestError) as capture:
        client.v1.payment_intents.capture(pi_id)
    assert capture.value.code == "payment_intent_unexpected_state"
    with pytest.raises(stripe.InvalidRequestError) as cancel:
        client.v1.payment_intents.cancel(pi_id)
    assert cancel.value.code == "payment_intent_unexpected_state"
    intent = client.v1.payment_intents.retrieve(pi_id)
    assert (intent.status, intent.amount_capturable, intent.cancellation_reason) == (
        "canceled",
        0,
        "automatic",
    )
    assert fake_stripe.captures(pi_id) == 0

    other = fake_stripe.complete_session(_checkout(client).id)
    canceled = client.v1.payment_intents.cancel(other)
    assert (canceled.status, canceled.amount_capturable) == ("canceled", 0)


def test_session_expire(fake_stripe: FakeStripe) -> None:
    client = _client(fake_stripe)
    session = _checkout(client)
    expired = client.v1.checkout.sessions.expire(session.id)
    assert (expired.status, expired.url) == ("expired", None)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.checkout.sessions.expire(session.id)
    with pytest.raises(ValueError, match="expired"):
        fake_stripe.complete_session(session.id)


def _page_request(
    server: FakeStripe, method: str, path: str, form: dict[str, str] | None = None
) -> tuple[int, dict[str, str], str]:
    host, port = urllib.parse.urlsplit(server.base_url).netloc.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    body = urllib.parse.urlencode(form) if form is not None else None
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    text = response.read().decode()
    connection.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, text


def test_hosted_page(fake_stripe: FakeStripe) -> None:
    client = _client(fake_stripe)
    session = _checkout(client)
    path = urllib.parse.urlsplit(session.url).path

    status, headers, page = _page_request(fake_stripe, "GET", path)
    assert status == 200
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert '<html lang="en">' in page
    assert "<h1>Fake Stripe Checkout</h1>" in page
    assert "CA$12.34" in page
    assert f'<form method="post" action="{path}">' in page
    for outcome in ("ok", "declined", "authentication_required"):
        assert f'name="outcome" value="{outcome}"' in page
    assert "<script" not in page
    assert "Authorize CA$12.34" in page

    status, _, page = _page_request(fake_stripe, "POST", path, {"outcome": "declined"})
    assert status == 200
    assert "Your card was declined." in page
    assert fake_stripe.sessions[session.id]["status"] == "open"
    with pytest.raises(FakeCheckoutDeclined):
        fake_stripe.complete_session(session.id, outcome="declined")

    status, headers, _ = _page_request(fake_stripe, "POST", path, {"outcome": "ok"})
    assert status == 303
    assert headers["location"] == f"http://shop.test/paid/?session={session.id}"
    pi_id = fake_stripe.sessions[session.id]["payment_intent"]
    assert fake_stripe.intent(pi_id)["status"] == "requires_capture"

    status, _, page = _page_request(fake_stripe, "POST", path, {"outcome": "ok"})
    assert status == 409
    assert "complete" in page
    assert len(fake_stripe.intents) == 1


@pytest.fixture
def webhook_receiver() -> Iterator[tuple[str, list[tuple[bytes, str]]]]:
    received: list[tuple[bytes, str]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((body, self.headers["Stripe-Signature"]))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/stripe/webhook/", received
    finally:
        server.shutdown()
        server.server_close()


def test_webhooks_are_signed_like_stripe(
    fake_stripe: FakeStripe, webhook_receiver: tuple[str, list[tuple[bytes, str]]]
) -> None:
    url, received = webhook_receiver
    fake_stripe.set_webhook(url)
    client = _client(fake_stripe)
    session = _checkout(client)
    pi_id = fake_stripe.complete_session(session.id)

    assert fake_stripe.wait_deliveries(2)
    assert [d.status for d in fake_stripe.deliveries] == [200, 200]
    events = [stripe.Webhook.construct_event(body, header, SECRET) for body, header in received]
    assert [e.type for e in events] == [
        "checkout.session.completed",
        "payment_intent.amount_capturable_updated",
    ]
    assert events[0].data.object.id == session.id
    assert events[0].data.object.payment_intent == pi_id
    assert events[1].data.object.id == pi_id
    assert events[1].data.object.amount_capturable == 1234

    body, header = received[0]
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, header, "whsec_other")
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body.replace(b"1234", b"1235"), header, SECRET)


def test_held_capture_waits_until_released(fake_stripe: FakeStripe) -> None:
    client = _client(fake_stripe)
    pi_id = fake_stripe.complete_session(_checkout(client).id)
    options = {"idempotency_key": "close-9-capture"}
    results: list[Any] = []
    fake_stripe.hold_capture(1)

    def capture() -> None:
        results.append(client.v1.payment_intents.capture(pi_id, options=options))

    worker = threading.Thread(target=capture, daemon=True)
    worker.start()
    assert fake_stripe.wait_captures_received(1, timeout=5)
    worker.join(timeout=0.2)
    assert worker.is_alive()
    assert fake_stripe.captures(pi_id) == 0
    assert fake_stripe.intent(pi_id)["status"] == "requires_capture"

    # The same key while the first request still runs: 409 (the library would retry).
    with pytest.raises(stripe.APIError) as busy:
        _client(fake_stripe, retries=0).v1.payment_intents.capture(pi_id, options=options)
    assert busy.value.http_status == 409

    fake_stripe.release_captures()
    worker.join(timeout=5)
    assert not worker.is_alive()
    assert results[0].status == "succeeded"
    assert fake_stripe.captures(pi_id) == 1
    again = client.v1.payment_intents.capture(pi_id, options=options)
    assert again.status == "succeeded"
    assert fake_stripe.captures(pi_id) == 1
    assert fake_stripe.requests[-1].replayed


def test_failure_is_retried_by_the_library(fake_stripe: FakeStripe) -> None:
    fake_stripe.fail_next("/v1/customers")
    customer = _client(fake_stripe).v1.customers.create(params={"email": "c@example.com"})
    calls = [r for r in fake_stripe.requests if r.path == "/v1/customers"]
    assert [r.status for r in calls] == [500, 200]
    assert calls[0].idempotency_key == calls[1].idempotency_key is not None
    assert list(fake_stripe.customers) == [customer.id]


def test_api_key_is_required(fake_stripe: FakeStripe) -> None:
    url = f"{fake_stripe.base_url}/v1/payment_intents/pi_x"
    with pytest.raises(urllib.error.HTTPError) as anonymous:
        urllib.request.urlopen(url, timeout=5)  # noqa: S310 (a local http URL)
    assert anonymous.value.code == 401
    assert json.loads(anonymous.value.read())["error"]["type"] == "invalid_request_error"
    with pytest.raises(stripe.AuthenticationError):
        _client(fake_stripe, key="sk_test_other").v1.customers.create(params={})


def test_a_body_cut_off_before_its_content_length_acts_on_nothing(fake_stripe: FakeStripe) -> None:
    """A client killed while writing: the server never hands the half body on."""
    import socket

    host, port = urllib.parse.urlsplit(fake_stripe.base_url).netloc.split(":")
    body = b"email=cut%40example.com&metadata[user_id]=7"
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(
            b"POST /v1/customers HTTP/1.1\r\nHost: x\r\n"
            b"Authorization: Bearer sk_test_fake\r\nIdempotency-Key: cut-1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body[:10]
        )
        sock.shutdown(socket.SHUT_WR)  # the writer died here
        assert sock.recv(100) == b""  # no answer: nothing to answer to
    assert fake_stripe.truncated == [("POST", "/v1/customers", 10, len(body))]
    assert fake_stripe.customers == {}
    # The key was never used: the same request, whole, acts once.
    created = _client(fake_stripe).v1.customers.create(
        params={"email": "cut@example.com"}, options={"idempotency_key": "cut-1"}
    )
    assert list(fake_stripe.customers) == [created.id]


def test_fail_after_acts_then_answers_500_to_the_request_and_its_retries(
    fake_stripe: FakeStripe,
) -> None:
    fake_stripe.fail_after("/v1/customers")
    with pytest.raises(stripe.APIError):
        _client(fake_stripe).v1.customers.create(params={"email": "lost@example.com"})
    calls = [r for r in fake_stripe.requests if r.path == "/v1/customers"]
    assert [(r.status, r.replayed) for r in calls] == [(500, False), (500, True), (500, True)]
    assert len(fake_stripe.customers) == 1  # it acted once, and the client never heard


def test_drop_after_acts_then_closes_the_connection(fake_stripe: FakeStripe) -> None:
    fake_stripe.drop_after("/v1/customers", times=3)
    with pytest.raises(stripe.APIConnectionError):
        _client(fake_stripe).v1.customers.create(params={"email": "lost@example.com"})
    assert len(fake_stripe.customers) == 1
    fake_stripe.drop_after("/v1/customers")  # once: the library's retry gets the replay
    customer = _client(fake_stripe).v1.customers.create(params={"email": "two@example.com"})
    assert customer.id in fake_stripe.customers
    assert len(fake_stripe.customers) == 2


def test_refunds_are_listed_per_intent_newest_first(fake_stripe: FakeStripe) -> None:
    client = _client(fake_stripe)
    customer = client.v1.customers.create(params={})
    intent = _charge(client, customer.id, fake_stripe.add_payment_method(customer.id))
    for n in (1, 2):
        client.v1.refunds.create(
            params={"payment_intent": intent.id, "amount": 100, "metadata": {"refund_id": str(n)}}
        )
    listed = client.v1.refunds.list(params={"payment_intent": intent.id, "limit": 1})
    assert [r.metadata["refund_id"] for r in listed.data] == ["2"]
    assert listed.has_more
    every = list(listed.auto_paging_iter())
    assert [r.metadata["refund_id"] for r in every] == ["2", "1"]
    with pytest.raises(stripe.InvalidRequestError, match="No such payment_intent"):
        client.v1.refunds.list(params={"payment_intent": "pi_unknown"})


def test_an_off_session_confirm_that_may_redirect_needs_a_return_url(
    fake_stripe: FakeStripe,
) -> None:
    """Stripe's default (the dashboard's methods, redirects allowed) cannot confirm a
    saved card without a return_url: callers must say no redirect."""
    client = _client(fake_stripe)
    customer = client.v1.customers.create(params={})
    method = fake_stripe.add_payment_method(customer.id)
    with pytest.raises(stripe.InvalidRequestError, match="allow_redirects") as refused:
        client.v1.payment_intents.create(
            params={
                "amount": 900,
                "currency": "cad",
                "customer": customer.id,
                "payment_method": method,
                "off_session": True,
                "confirm": True,
            }
        )
    assert refused.value.param == "return_url"
    assert _charge(client, customer.id, method).status == "succeeded"
