"""Every call to Stripe, and nothing else. Small on purpose.

Rules kept here:
- Amounts cross this boundary as Decimal dollars and become integer cents only in the
  request (`pricing.to_cents`); Stripe's cents come back as Decimal dollars.
- Every POST carries an idempotency key built from our own ids (`key`) after a prefix
  proper to this installation (two databases sharing a Stripe account never collide),
  so a retried call, a rerun after a crash or a second worker makes Stripe act once.
- Callers never hold database locks while calling (see `orders.payments`).
- Stripe's objects do not leave this module: callers get small frozen values.
"""

import functools
import logging
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import stripe
from django.conf import settings

from orders.pricing import to_cents

logger = logging.getLogger(__name__)

# Every call names the API version our code was written and tested against, so a change
# of the account's default version in Stripe's dashboard changes nothing here.
API_VERSION = "2026-10-28.endive"


class GatewayError(Exception):
    """Stripe refused or could not be reached. `code` is Stripe's error code.

    `ambiguous`: the request may or may not have acted at Stripe (a timeout, a lost
    connection, a 5xx, an idempotency conflict, an answer we cannot read). Stripe's
    object must then be read again before anything is decided (see `payments.collect`)."""

    def __init__(
        self,
        message: str,
        *,
        code: str = "",
        intent: "Intent | None" = None,
        ambiguous: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.intent = intent
        self.ambiguous = ambiguous


class CardDeclined(GatewayError):
    """The bank said no."""


class AuthenticationRequired(GatewayError):
    """The bank wants the customer present (3-D Secure): they must pay through a link."""


class InvalidSignature(Exception):
    """A webhook request that Stripe did not sign with our secret, or not an event."""


# What Stripe's ids look like (« evt_1Q… », « pi_3P… », « cs_test_a1… »), and at most
# what our columns hold: anything else is refused before it reaches the database.
STRIPE_ID = re.compile(r"[A-Za-z0-9_]{1,255}")


def is_stripe_id(value: object) -> bool:
    return isinstance(value, str) and STRIPE_ID.fullmatch(value) is not None


@dataclass(frozen=True, slots=True)
class Intent:
    id: str
    status: str
    amount: Decimal
    amount_capturable: Decimal
    amount_received: Decimal
    customer: str
    payment_method: str
    error: str
    metadata: dict[str, str]


@dataclass(frozen=True, slots=True)
class Session:
    id: str
    url: str
    status: str
    payment_intent: str


def enabled() -> bool:
    """Card payments are possible: a secret key is configured."""
    return bool(settings.STRIPE_SECRET_KEY)


def _client() -> stripe.StripeClient:
    if not enabled():  # never call out without a key (the demo, a key removed)
        raise GatewayError("Stripe is not set up (no STRIPE_SECRET_KEY).", code="not_set_up")
    return _client_for(settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE)


@functools.lru_cache(maxsize=4)
def _client_for(key: str, api_base: str) -> stripe.StripeClient:
    """One client per key and address for the process: its HTTP connections are kept
    alive between calls (a close makes one call per card order)."""
    kwargs: dict[str, Any] = {"max_network_retries": 2, "stripe_version": API_VERSION}
    if api_base:
        kwargs["base_addresses"] = {"api": api_base}
    return stripe.StripeClient(key, **kwargs)


def _dollars(cents: int | None) -> Decimal:
    return (Decimal(cents or 0) / 100).quantize(Decimal("0.01"))


def _id(value: Any) -> str:
    """An expandable field: an id string, an object with an id, or nothing."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return str(value["id"])


# What a PaymentIntent's status can be (API 2026-10-28): anything else is not trusted.
INTENT_STATUSES = frozenset(
    (
        "requires_payment_method",
        "requires_confirmation",
        "requires_action",
        "processing",
        "requires_capture",
        "canceled",
        "succeeded",
    )
)


def _intent(obj: Any) -> Intent:
    """Our frozen copy of a PaymentIntent. An answer that is not one (a missing field,
    an unknown status, amounts that are not integers) raises an ambiguous GatewayError:
    it is logged by the caller and left for the next retry, never acted on."""
    try:
        data: dict[str, Any] = obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)
    except (TypeError, ValueError) as problem:
        raise _unreadable("a PaymentIntent", problem) from problem
    try:
        status = data["status"]
        if not is_stripe_id(data["id"]) or status not in INTENT_STATUSES:
            raise ValueError(f"unknown status {status!r}")
        for name in ("amount", "amount_capturable", "amount_received"):
            if not isinstance(data.get(name) or 0, int):
                raise ValueError(f"{name} is not an integer")
        error = data.get("last_payment_error") or {}
        return Intent(
            id=data["id"],
            status=status,
            amount=_dollars(data.get("amount")),
            amount_capturable=_dollars(data.get("amount_capturable")),
            amount_received=_dollars(data.get("amount_received")),
            customer=_id(data.get("customer")),
            payment_method=_id(data.get("payment_method")),
            error=str(error.get("message") or error.get("code") or "") if error else "",
            metadata={str(k): str(v) for k, v in (data.get("metadata") or {}).items()},
        )
    except (KeyError, TypeError, ValueError, AttributeError) as problem:
        raise _unreadable(f"PaymentIntent {data.get('id')!r}", problem) from problem


def _unreadable(what: str, problem: Exception) -> GatewayError:
    logger.error("an answer from Stripe fits no known state: %s: %s", what, problem)
    return GatewayError(
        f"unreadable {what} from Stripe: {problem}", code="unreadable_answer", ambiguous=True
    )


def _session(obj: Any) -> Session:
    return Session(
        id=obj["id"],
        url=obj["url"] or "",
        status=obj["status"] or "",
        payment_intent=_id(obj["payment_intent"]),
    )


def _options(key: str) -> Any:
    return {"idempotency_key": f"{settings.STRIPE_IDEMPOTENCY_PREFIX}-{key}"}


def is_ambiguous(error: stripe.StripeError) -> bool:
    """Whether the request may have acted although we got no clear answer: no answer
    (a timeout, a reset), Stripe's own failure (5xx), or an idempotency conflict (the
    key was used by a request we never heard back from). A 4xx refusal, a card error or
    a rate limit never acted."""
    if isinstance(error, (stripe.APIConnectionError, stripe.IdempotencyError)):
        return True
    return isinstance(error, stripe.APIError) or (error.http_status or 0) >= 500


def _fail(error: stripe.StripeError) -> GatewayError:
    message = error.user_message or str(error) or "Stripe error"
    code = str(error.code or "")
    intent = None
    body = error.error
    if body is not None and getattr(body, "payment_intent", None) is not None:
        try:
            intent = _intent(body.payment_intent)
        except GatewayError:
            intent = None
    if isinstance(error, stripe.CardError):
        cls = AuthenticationRequired if code == "authentication_required" else CardDeclined
        return cls(message, code=code, intent=intent)
    return GatewayError(message, code=code, intent=intent, ambiguous=is_ambiguous(error))


def customer_create(*, user_id: int, email: str, key: str) -> str:
    try:
        customer = _client().v1.customers.create(
            params={"email": email, "metadata": {"user_id": str(user_id)}}, options=_options(key)
        )
    except stripe.StripeError as error:
        raise _fail(error) from error
    return str(customer["id"])


def customer_delete(*, customer_id: str) -> None:
    """Delete a Stripe customer and its saved cards (an erased account). A customer
    Stripe no longer has counts as deleted."""
    try:
        _client().v1.customers.delete(customer_id)
    except stripe.InvalidRequestError as error:
        if error.code == "resource_missing":
            return
        raise _fail(error) from error
    except stripe.StripeError as error:
        raise _fail(error) from error


def checkout_create(
    *,
    key: str,
    customer: str,
    amount: Decimal,
    description: str,
    success_url: str,
    cancel_url: str,
    manual_capture: bool,
    locale: str,
    metadata: dict[str, str],
) -> Session:
    """A hosted Checkout page for `amount`. With `manual_capture` the card is held
    (captured at close) and saved for charges made without the customer. An empty
    `customer` (a walk-in buyer) makes a page for this payment alone."""
    intent_data: dict[str, Any] = {
        "capture_method": "manual" if manual_capture else "automatic",
        "metadata": metadata,
        "description": description,
    }
    if manual_capture:
        intent_data["setup_future_usage"] = "off_session"
    try:
        session = _client().v1.checkout.sessions.create(
            params={  # type: ignore[arg-type]  # a plain dict, as Stripe's docs write it
                "mode": "payment",
                **({"customer": customer} if customer else {}),  # none for a walk-in
                "client_reference_id": metadata.get("order_id", ""),
                "success_url": success_url,
                "cancel_url": cancel_url,
                "locale": locale,
                "line_items": [
                    {
                        "price_data": {
                            "currency": settings.STRIPE_CURRENCY,
                            "unit_amount": to_cents(amount),
                            "product_data": {"name": description},
                        },
                        "quantity": 1,
                    }
                ],
                "payment_intent_data": intent_data,
                "metadata": metadata,
            },
            options=_options(key),
        )
    except stripe.StripeError as error:
        raise _fail(error) from error
    return _session(session)


def checkout_retrieve(session_id: str) -> Session:
    try:
        return _session(_client().v1.checkout.sessions.retrieve(session_id))
    except stripe.StripeError as error:
        raise _fail(error) from error


def checkout_expire(*, session_id: str, key: str) -> None:
    """Close an unused Checkout page (a newer one replaces it). Already closed: fine."""
    try:
        _client().v1.checkout.sessions.expire(session_id, options=_options(key))
    except stripe.InvalidRequestError:
        pass
    except stripe.StripeError as error:
        raise _fail(error) from error


def intent_retrieve(intent_id: str) -> Intent:
    try:
        return _intent(_client().v1.payment_intents.retrieve(intent_id))
    except stripe.StripeError as error:
        raise _fail(error) from error


def intent_capture(*, intent_id: str, amount: Decimal, key: str) -> Intent:
    try:
        intent = _client().v1.payment_intents.capture(
            intent_id, params={"amount_to_capture": to_cents(amount)}, options=_options(key)
        )
    except stripe.StripeError as error:
        raise _fail(error) from error
    return _intent(intent)


def intent_cancel(*, intent_id: str, key: str) -> Intent:
    try:
        intent = _client().v1.payment_intents.cancel(intent_id, options=_options(key))
    except stripe.StripeError as error:
        raise _fail(error) from error
    return _intent(intent)


def intent_create_off_session(
    *,
    key: str,
    customer: str,
    payment_method: str,
    amount: Decimal,
    description: str,
    metadata: dict[str, str],
) -> Intent:
    """A PaymentIntent on the saved card, not confirmed yet: its id is stored before
    any money moves, so a rerun days later finds it instead of creating another."""
    try:
        intent = _client().v1.payment_intents.create(
            params={
                "amount": to_cents(amount),
                "currency": settings.STRIPE_CURRENCY,
                "customer": customer,
                "payment_method": payment_method,
                # A saved card, no customer present: no redirect-based method may be
                # offered, or Stripe refuses the confirmation without a return_url.
                "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
                "description": description,
                "metadata": metadata,
            },
            options=_options(key),
        )
    except stripe.StripeError as error:
        raise _fail(error) from error
    return _intent(intent)


def intent_confirm_off_session(*, intent_id: str, key: str) -> Intent:
    """Charge the saved card without the customer present. Raises CardDeclined or
    AuthenticationRequired (with the intent) when the bank refuses."""
    try:
        intent = _client().v1.payment_intents.confirm(
            intent_id, params={"off_session": True}, options=_options(key)
        )
    except stripe.StripeError as error:
        raise _fail(error) from error
    return _intent(intent)


def refund_create(*, intent_id: str, amount: Decimal, key: str, metadata: dict[str, str]) -> str:
    try:
        refund = _client().v1.refunds.create(
            params={
                "payment_intent": intent_id,
                "amount": to_cents(amount),
                "metadata": metadata,
            },
            options=_options(key),
        )
    except stripe.StripeError as error:
        raise _fail(error) from error
    return str(refund["id"])


def refund_find(*, intent_id: str, refund_id: int) -> str | None:
    """The id of the refund Stripe holds for our Refund row `refund_id` (by the
    ``refund_id`` in its metadata) among the intent's refunds; None if there is none.
    Two refund requests can both act, so this is asked before any new one."""
    try:
        page = _client().v1.refunds.list(params={"payment_intent": intent_id, "limit": 100})
        for refund in page.auto_paging_iter():
            metadata: dict[str, Any] = refund.to_dict().get("metadata") or {}
            if metadata.get("refund_id") == str(refund_id):
                return str(refund["id"])
    except stripe.StripeError as error:
        raise _fail(error) from error
    except (KeyError, TypeError, AttributeError) as problem:
        raise _unreadable(f"the refunds of {intent_id}", problem) from problem
    return None


def event_verify(*, payload: bytes, signature: str) -> dict[str, Any]:
    """The event Stripe sent, if it is signed with our webhook secret."""
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret or not signature:
        raise InvalidSignature("missing signature or secret")
    try:
        event = stripe.Webhook.construct_event(payload, signature, secret)
    # Signed but not an event object ([], "x", null): the library's AttributeError.
    except (stripe.SignatureVerificationError, ValueError, AttributeError) as error:
        raise InvalidSignature(str(error)) from error
    data: dict[str, Any] = event.to_dict()
    if not is_stripe_id(data.get("id")):
        raise InvalidSignature("not an event: no id, or not one Stripe would give")
    return data
