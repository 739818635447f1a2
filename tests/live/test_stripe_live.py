"""The payment gateway against Stripe's real test mode, before going live.

Collected only when STRIPE_TEST_SECRET_KEY holds a test-mode key (see conftest.py):

    STRIPE_TEST_SECRET_KEY=sk_test_... .venv/bin/python -m pytest -m stripe_live tests/live

Everything goes through `payments.gateway`, as the shop calls it. Stripe's client is used
directly only for what the shop leaves to Stripe's hosted pages: saving a card on a
customer (Checkout does it when a hold is paid) and holding a card (a paid hold page).
Cards are Stripe's documented test PaymentMethods (https://docs.stripe.com/testing).
Each run has its own idempotency prefix, so a rerun never replays an earlier answer.
"""

import os
import uuid
from collections.abc import Iterator
from decimal import Decimal

import pytest
import stripe
from pytest_django import Settings

from payments import gateway

pytestmark = pytest.mark.stripe_live

KEY = os.environ.get("STRIPE_TEST_SECRET_KEY", "")
RUN = f"live-{uuid.uuid4().hex[:12]}"

# Stripe's test PaymentMethods. A card that declines is declined already when it is
# attached to a customer (pm_card_visa_chargeDeclined); the saved card that attaches and
# is declined when charged later is pm_card_chargeCustomerFail (4000 0000 0000 0341).
VISA = "pm_card_visa"
DECLINED_WHEN_CHARGED = "pm_card_chargeCustomerFail"
ALWAYS_3DS = "pm_card_authenticationRequired"  # 4000 0027 6000 3184: every charge


@pytest.fixture(autouse=True)
def _real_stripe(settings: Settings) -> None:
    settings.STRIPE_SECRET_KEY = KEY
    settings.STRIPE_API_BASE = ""  # Stripe itself
    settings.STRIPE_IDEMPOTENCY_PREFIX = RUN
    settings.STRIPE_CURRENCY = "cad"


@pytest.fixture
def stripe_client() -> stripe.StripeClient:
    """Stripe's client, for what the hosted pages would do (not the gateway's)."""
    return stripe.StripeClient(KEY, stripe_version=gateway.API_VERSION)


@pytest.fixture
def key(request: pytest.FixtureRequest) -> str:
    """A key prefix proper to this test (the run's prefix is added by the gateway)."""
    return str(request.node.name)[:120]


@pytest.fixture
def customer(key: str) -> Iterator[str]:
    customer_id = gateway.customer_create(
        user_id=1, email="membre.test@example.org", key=f"{key}-customer"
    )
    yield customer_id
    gateway.customer_delete(customer_id=customer_id)


def _saved_card(client: stripe.StripeClient, customer: str, test_method: str) -> str:
    """A card saved on the customer, as Checkout leaves it after a paid hold."""
    method = client.v1.payment_methods.attach(test_method, params={"customer": customer})
    return str(method["id"])


def _held(client: stripe.StripeClient, customer: str, amount_cents: int, key: str) -> str:
    """A PaymentIntent holding the card (requires_capture), as a paid hold page leaves it."""
    intent = client.v1.payment_intents.create(
        params={
            "amount": amount_cents,
            "currency": "cad",
            "customer": customer,
            "payment_method": VISA,
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
            "capture_method": "manual",
            "confirm": True,
        },
        options={"idempotency_key": f"{RUN}-{key}"},
    )
    assert intent["status"] == "requires_capture"
    return str(intent["id"])


def test_every_call_names_the_pinned_api_version(customer: str) -> None:
    # The gateway's own client: Stripe answers in the version it was asked for
    # (an unknown version would be refused), whatever the account's default is.
    found = gateway._client().v1.customers.retrieve(customer)
    assert found.last_response is not None
    assert found.last_response.headers["stripe-version"] == gateway.API_VERSION
    assert stripe.api_version == gateway.API_VERSION  # what the stripe library sends


def test_customer_create_then_delete_twice(key: str) -> None:
    customer_id = gateway.customer_create(user_id=7, email="erased@example.org", key=key)
    assert customer_id.startswith("cus_")
    # The same key again is Stripe's first answer, not a second customer.
    assert gateway.customer_create(user_id=7, email="erased@example.org", key=key) == customer_id
    gateway.customer_delete(customer_id=customer_id)
    gateway.customer_delete(customer_id=customer_id)  # already gone: fine


def test_a_key_reused_for_another_request_is_ambiguous(customer: str, key: str) -> None:
    with pytest.raises(gateway.GatewayError) as raised:  # the "customer" fixture's key
        gateway.customer_create(user_id=2, email="someone.else@example.org", key=f"{key}-customer")
    assert raised.value.ambiguous
    assert not isinstance(raised.value, gateway.CardDeclined)


def test_checkout_hold_is_open_with_a_url_then_expired(customer: str, key: str) -> None:
    def page() -> gateway.Session:
        return gateway.checkout_create(
            key=f"{key}-checkout",
            customer=customer,
            amount=Decimal("42.50"),
            description="Coop des Champs – commande 1 (test)",
            success_url="https://coop.example/commandes/1/?session_id={CHECKOUT_SESSION_ID}",
            cancel_url="https://coop.example/commandes/1/",
            manual_capture=True,
            locale="fr",
            metadata={"order_id": "1", "payment_id": "1"},
        )

    session = page()
    assert session.id.startswith("cs_test_")
    assert session.status == "open"
    assert session.url.startswith("https://checkout.stripe.com/")
    # Since API 2022-08-01 the PaymentIntent exists only once the customer pays.
    assert session.payment_intent == ""
    assert page() == session  # the same key: the same page

    assert gateway.checkout_retrieve(session.id) == session

    gateway.checkout_expire(session_id=session.id, key=f"{key}-expire")
    expired = gateway.checkout_retrieve(session.id)
    assert expired.status == "expired"
    assert expired.id == session.id
    gateway.checkout_expire(session_id=session.id, key=f"{key}-expire-again")  # closed: fine


def test_off_session_charge_on_a_saved_card(
    customer: str, key: str, stripe_client: stripe.StripeClient
) -> None:
    card = _saved_card(stripe_client, customer, VISA)
    created = gateway.intent_create_off_session(
        key=f"{key}-create",
        customer=customer,
        payment_method=card,
        amount=Decimal("23.45"),
        description="Coop des Champs – commande 2 (test)",
        metadata={"order_id": "2", "payment_id": "2"},
    )
    assert created.status == "requires_confirmation"
    assert (created.customer, created.payment_method) == (customer, card)
    assert created.amount == Decimal("23.45")
    assert created.metadata == {"order_id": "2", "payment_id": "2"}
    assert gateway.intent_retrieve(created.id) == created

    charged = gateway.intent_confirm_off_session(intent_id=created.id, key=f"{key}-confirm")
    assert charged.id == created.id
    assert charged.status == "succeeded"
    assert charged.amount_received == Decimal("23.45")
    assert charged.error == ""
    # A retried confirmation (same key) is Stripe's first answer, not a second charge.
    again = gateway.intent_confirm_off_session(intent_id=created.id, key=f"{key}-confirm")
    assert again == charged
    assert gateway.intent_retrieve(created.id).amount_received == Decimal("23.45")


@pytest.mark.parametrize(
    ("test_method", "refusal", "code"),
    [
        (DECLINED_WHEN_CHARGED, gateway.CardDeclined, "card_declined"),
        (ALWAYS_3DS, gateway.AuthenticationRequired, "authentication_required"),
    ],
)
def test_off_session_charge_refused_by_the_bank(
    customer: str,
    key: str,
    stripe_client: stripe.StripeClient,
    test_method: str,
    refusal: type[gateway.GatewayError],
    code: str,
) -> None:
    card = _saved_card(stripe_client, customer, test_method)
    created = gateway.intent_create_off_session(
        key=f"{key}-create",
        customer=customer,
        payment_method=card,
        amount=Decimal("15.00"),
        description="Coop des Champs – commande 3 (test)",
        metadata={"order_id": "3", "payment_id": "3"},
    )
    with pytest.raises(refusal) as raised:
        gateway.intent_confirm_off_session(intent_id=created.id, key=f"{key}-confirm")
    error = raised.value
    assert type(error) is refusal  # AuthenticationRequired is not taken for a decline
    assert error.code == code
    assert not error.ambiguous  # a refusal never acted: no re-reading needed
    assert error.message
    # The intent comes with the refusal, waiting for another card (a payment link).
    assert error.intent is not None
    assert error.intent.id == created.id
    assert error.intent.status == "requires_payment_method"
    assert error.intent.amount_received == Decimal("0.00")
    assert gateway.intent_retrieve(created.id).status == "requires_payment_method"


def test_hold_captured_in_part_then_refunded_in_part(
    customer: str, key: str, stripe_client: stripe.StripeClient
) -> None:
    intent_id = _held(stripe_client, customer, 5000, f"{key}-hold")
    held = gateway.intent_retrieve(intent_id)
    assert (held.status, held.amount_capturable) == ("requires_capture", Decimal("50.00"))

    captured = gateway.intent_capture(
        intent_id=intent_id, amount=Decimal("37.25"), key=f"{key}-cap"
    )
    assert captured.status == "succeeded"
    assert captured.amount_received == Decimal("37.25")
    assert captured.amount_capturable == Decimal("0.00")  # the rest of the hold is released
    # A retried capture (same key) is Stripe's first answer, not an error.
    again = gateway.intent_capture(intent_id=intent_id, amount=Decimal("37.25"), key=f"{key}-cap")
    assert again == captured

    assert gateway.refund_find(intent_id=intent_id, refund_id=901) is None
    refund = gateway.refund_create(
        intent_id=intent_id,
        amount=Decimal("4.10"),
        key=f"{key}-refund-901",
        metadata={"order_id": "4", "refund_id": "901"},
    )
    assert refund.startswith("re_")
    replayed = gateway.refund_create(
        intent_id=intent_id,
        amount=Decimal("4.10"),
        key=f"{key}-refund-901",
        metadata={"order_id": "4", "refund_id": "901"},
    )
    assert replayed == refund  # the same key: the same refund, not a second one
    assert gateway.refund_find(intent_id=intent_id, refund_id=901) == refund
    assert gateway.refund_find(intent_id=intent_id, refund_id=902) is None

    with pytest.raises(gateway.GatewayError) as raised:  # more than is left to refund
        gateway.refund_create(
            intent_id=intent_id,
            amount=Decimal("40.00"),
            key=f"{key}-refund-903",
            metadata={"order_id": "4", "refund_id": "903"},
        )
    assert not raised.value.ambiguous


def test_a_held_card_released(customer: str, key: str, stripe_client: stripe.StripeClient) -> None:
    intent_id = _held(stripe_client, customer, 2000, f"{key}-hold")
    released = gateway.intent_cancel(intent_id=intent_id, key=f"{key}-cancel")
    assert released.id == intent_id
    assert released.status == "canceled"
    assert released.amount_received == Decimal("0.00")
    assert gateway.intent_retrieve(intent_id).status == "canceled"
