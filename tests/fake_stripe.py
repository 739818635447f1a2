"""A small fake Stripe API server over real HTTP, for tests and demos.

The real ``stripe`` library talks to it unmodified::

    server = FakeStripe()
    server.start()
    client = stripe.StripeClient(
        "sk_test_x", base_addresses={"api": server.base_url}, max_network_retries=2
    )

Nothing in ``stripe`` is patched: requests are form-encoded by the library (nested keys
such as ``payment_intent_data[metadata][order_id]``), sent over HTTP to a
``ThreadingHTTPServer`` in a daemon thread, and answered with Stripe-shaped JSON (every
object has an ``"object"`` field, so the library builds its own classes). Manual demo::

    python -m tests.fake_stripe --port 12111 \\
        [--webhook-url http://127.0.0.1:8000/stripe/webhook/ --webhook-secret whsec_...]

What is imitated (Stripe's real behaviours):

- Customers; Checkout Sessions in ``mode=payment`` with ``price_data`` line items, a
  hosted page (``session.url``) with three outcomes (a good card, a declined card, a card
  that passes 3-D Secure now but always asks for it off-session); completion creates the
  PaymentIntent (``requires_capture`` for ``capture_method=manual``, ``succeeded``
  otherwise) and a saved PaymentMethod, then redirects (303) to ``success_url`` with
  ``{CHECKOUT_SESSION_ID}`` replaced. ``payment_status`` is ``"unpaid"`` after a manual
  capture checkout, as on Stripe. Sessions can be expired.
- PaymentIntents: retrieve, create + confirm off-session with a saved card (success, a
  402 ``card_error`` ``card_declined``/``generic_decline`` or ``authentication_required``
  with the PaymentIntent, now ``requires_payment_method``, inside the error), partial
  capture (the rest is released), cancel, and the state errors Stripe gives
  (``payment_intent_unexpected_state``, ``amount_too_large``). An uncaptured hold can be
  made to lapse (``expire_hold``: canceled with ``cancellation_reason="automatic"``).
- Refunds against a succeeded PaymentIntent, partial or whole, refusing more than what
  is left (``amount_too_large``, ``charge_already_refunded``).
- Idempotency keys on POST: the same key on the same endpoint with the same parameters
  replays the first answer (same status and body, ``Idempotent-Replayed: true``) without
  acting again; other parameters or another endpoint is a 400 ``idempotency_error``; a
  key whose first request is still running is a 409 (the library retries on 409). Every
  answer of an endpoint that ran is kept, errors included (a 402 replays as a 402), but
  not a refusal of the parameters themselves (``parameter_*`` codes), as on Stripe. A
  key is forgotten once 24 hours old (then the request acts again), as on Stripe.
- Parameters checked as strictly as Stripe does, against the types the ``stripe``
  library ships for each endpoint served (``stripe.params``; tests/stripe_schema.py,
  imported on the first API request): every key at every depth, enums, integers,
  booleans, empty strings, Stripe's max lengths and metadata limits. A refusal is a 400
  ``invalid_request_error`` naming the ``param``, with Stripe's message and code
  (``parameter_unknown``, ``parameter_missing``, ``parameter_invalid_empty``,
  ``parameter_invalid_integer``; none for a bad enum or an over-long string, as on
  Stripe), given before anything acts, ``fail_next`` included; the key stays unused.
- Errors in Stripe's shape and statuses: 400 invalid request (400 ``resource_missing``
  for an unknown id in the parameters), 404 for an unknown id in the URL, 401 without a
  ``Bearer sk_test_``/``rk_test_`` key, 402 card errors, 500 ``api_error`` on demand.
- ``expand[]`` one level deep for ids of objects it knows (customer, payment intent,
  payment method).
- Signed webhooks (``Stripe-Signature: t=...,v1=...``, HMAC-SHA256 of ``"t.payload"``,
  exactly Stripe's scheme) sent in order from a background thread, failures only logged:
  ``checkout.session.completed``, ``checkout.session.expired``,
  ``payment_intent.amount_capturable_updated``, ``payment_intent.succeeded``,
  ``payment_intent.canceled``, ``payment_intent.payment_failed``, ``refund.created``,
  ``payment_intent.processing``, ``payment_intent.requires_action``,
  ``checkout.session.async_payment_succeeded``/``_failed``, ``charge.refunded``.
- Checkout's rule for its PaymentIntents: cancelled directly only in
  ``requires_capture`` (otherwise a 400: expire the session, which cancels a payment
  it had begun: ``start_session_payment``). Cards that leave a payment ``processing``
  until ``settle`` (Checkout's async payments, off-session charges), or answer an
  off-session confirm with ``requires_action`` (``set_behaviour``).

What is not: one account and one currency per PaymentIntent; no Charges, Prices,
Products, Setup Intents, subscriptions, taxes, lists (but refunds') or search; no
automatic expiry of sessions (24 h) or holds (7 days) with time (call
``expire_hold``); no webhook retries;
``expand`` is not recursive; parameters are checked by their types, not by the rules
that tie one to another (``parameters_exclusive``, a mode that needs a field); the max
lengths are those of Stripe's spec of 2023-08-16 (the newest we could read), and an
endpoint the schema does not list is not checked. The saved card is attached to the
session's customer even without ``setup_future_usage`` (Stripe attaches it only with
it). 500 answers from ``fail_next`` are not kept under the idempotency key (like a
failure before the request started executing), so the library's retry with the same
key goes through.

Test controls (no HTTP needed, all thread-safe under one lock): ``requests``,
``captures``, ``refunds_for``, ``intent``, ``sessions``, ``intents``, ``customers``,
``events``, ``deliveries``/``wait_deliveries``, ``complete_session``, ``expire_hold``,
``set_behaviour``, ``add_payment_method``, ``start_session_payment``, ``settle``,
``hold_capture``/``release_captures``/
``wait_captures_received``, ``age_idempotency_keys`` (moves the keys' clock on),
``fail_next``, ``fail_after``/``drop_after`` (act, then
answer 500 or close the connection: Stripe did it, the client never heard),
``set_latency``, ``truncated``, ``set_webhook``, ``sign``. A request whose body is
shorter than its Content-Length (a client killed while writing) acts on nothing. The module imports
only the standard library at load; tests/stripe_schema.py (``stripe``) comes with the
first API request.
"""

from __future__ import annotations

import argparse
import copy
import hmac
import html
import json
import logging
import queue
import re
import secrets
import string
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from hashlib import sha256
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final, Literal, cast
from urllib.parse import parse_qsl, unquote, urlsplit

logger = logging.getLogger(__name__)

JSON = dict[str, Any]
Behaviour = Literal["ok", "declined", "authentication_required", "processing", "requires_action"]
BEHAVIOURS: Final[tuple[str, ...]] = (
    "ok",
    "declined",
    "authentication_required",
    "processing",  # taken, confirmed later (`settle`): Checkout's async payments
    "requires_action",  # an off-session confirm answered 200 in requires_action
)
API_VERSION: Final = "2026-10-28.endive"  # what stripe 16.1 sends
MINIMUM_AMOUNT: Final = 50  # Stripe refuses charges under 0.50 in CAD/USD

_ID_CHARS: Final = string.ascii_letters + string.digits
_KEY_RE: Final = re.compile(r"([^\[\]]+)((?:\[[^\[\]]*\])*)")
_CAPTURE_RE: Final = re.compile(r"/v1/payment_intents/[^/]+/capture")
_CANCELABLE: Final = (
    "requires_payment_method",
    "requires_capture",
    "requires_confirmation",
    "requires_action",
    "processing",
)
_LAST4: Final[dict[str, str]] = {
    "ok": "4242",
    "declined": "0002",
    "authentication_required": "3184",
    "processing": "6205",
    "requires_action": "3220",
}


def new_id(prefix: str, length: int = 24) -> str:
    """A Stripe-looking id: ``prefix_`` and random letters and digits."""
    return prefix + "_" + "".join(secrets.choice(_ID_CHARS) for _ in range(length))


def _now() -> int:
    return int(time.time())


def _money(cents: int) -> str:
    return f"CA${cents // 100}.{cents % 100:02d}"


def parse_params(pairs: list[tuple[str, str]]) -> JSON:
    """Stripe's form encoding back into nested values: ``a[b][c]=v`` is a dict,
    ``a[0][b]=v`` a list (keys under ``metadata`` stay keys even when numeric)."""
    root: JSON = {}
    for key, value in pairs:
        match = _KEY_RE.fullmatch(key)
        parts = [key] if match is None else [match[1], *re.findall(r"\[([^\[\]]*)\]", match[2])]
        node = root
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
                node[part] = child
            node = child
        last = parts[-1] or str(len(node))  # "a[]=x" appends
        node[last] = value
    return cast(JSON, _listify(root, ""))


def _listify(value: Any, key: str) -> Any:
    if not isinstance(value, dict):
        return value
    converted = {k: _listify(v, k) for k, v in value.items()}
    if key != "metadata" and converted and all(k.isdigit() for k in converted):
        return [converted[k] for k in sorted(converted, key=int)]
    return converted


def sign_payload(payload: str, secret: str, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header for `payload`: ``t=<ts>,v1=<HMAC-SHA256 of "t.payload">``."""
    ts = _now() if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{ts}.{payload}".encode(), sha256).hexdigest()
    return f"t={ts},v1={digest}"


class FakeCheckoutDeclined(Exception):
    """`complete_session(..., outcome="declined")`: the card was refused, the session
    stays open (the hosted page shows "Your card was declined.")."""


class _ApiError(Exception):
    """An error answer in Stripe's shape."""

    def __init__(
        self,
        status: int,
        type_: str,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body: JSON = {"type": type_, "message": message}
        if code is not None:
            self.body["code"] = code
            self.body["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"
        if param is not None:
            self.body["param"] = param
        self.body.update(extra)


def _invalid(message: str, *, code: str | None = None, param: str | None = None) -> _ApiError:
    return _ApiError(400, "invalid_request_error", message, code=code, param=param)


def _missing(kind: str, object_id: str, *, param: str, status: int = 404) -> _ApiError:
    return _ApiError(
        status,
        "invalid_request_error",
        f"No such {kind}: '{object_id}'",
        code="resource_missing",
        param=param,
    )


def _str(params: Mapping[str, Any], name: str) -> str | None:
    """An optional string parameter; the empty string means unset, as on Stripe."""
    value = params.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _invalid(f"Invalid string: {name}", code="parameter_invalid_string", param=name)
    return value


def _required_str(params: Mapping[str, Any], name: str) -> str:
    value = _str(params, name)
    if value is None:
        raise _invalid(f"Missing required param: {name}.", code="parameter_missing", param=name)
    return value


def _int(params: Mapping[str, Any], name: str) -> int | None:
    value = _str(params, name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise _invalid(
            f"Invalid integer: {value}", code="parameter_invalid_integer", param=name
        ) from None


def _required_int(params: Mapping[str, Any], name: str) -> int:
    value = _int(params, name)
    if value is None:
        raise _invalid(f"Missing required param: {name}.", code="parameter_missing", param=name)
    return value


def _bool(params: Mapping[str, Any], name: str) -> bool:
    return _str(params, name) == "true"


def _dict(params: Mapping[str, Any], name: str) -> JSON:
    value = params.get(name)
    if value is None or value == "":
        return {}
    if not isinstance(value, dict):
        raise _invalid(f"Invalid object: {name}", code="parameter_invalid_object", param=name)
    return value


def _metadata(params: Mapping[str, Any], name: str = "metadata") -> dict[str, str]:
    value = _dict(params, name)
    if not all(isinstance(v, str) for v in value.values()):
        raise _invalid("Metadata values must be strings.", param=name)
    return {k: v for k, v in value.items() if v != ""}


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One HTTP request the server answered."""

    method: str
    path: str
    params: JSON
    idempotency_key: str | None
    replayed: bool
    status: int


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    """One webhook POST: `status` is the receiver's HTTP status, None if unreachable."""

    event_id: str
    type: str
    url: str
    status: int | None
    error: str = ""


@dataclass(frozen=True, slots=True)
class _Response:
    status: int
    body: bytes
    headers: dict[str, str]


@dataclass(slots=True)
class _Idempotent:
    method: str
    path: str
    fingerprint: tuple[tuple[str, str], ...]
    response: _Response | None = None
    request_id: str = ""
    # When the key was first used (time.monotonic(); `age_idempotency_keys` moves it
    # back). Stripe forgets a key once it is 24 hours old: it then acts again.
    first_used: float = field(default_factory=time.monotonic)
    LIFETIME = 24 * 3600.0  # seconds (not a field: no annotation)

    def expired(self) -> bool:
        return time.monotonic() - self.first_used >= self.LIFETIME


@dataclass(slots=True)
class _SessionSetup:
    """What a Checkout Session keeps for the PaymentIntent it will create."""

    lines: list[tuple[str, int, int]]  # name, unit amount, quantity
    capture_method: str
    setup_future_usage: str | None
    metadata: dict[str, str]
    description: str | None


@dataclass(slots=True)
class _Webhook:
    url: str = ""
    secret: str = ""
    events: frozenset[str] | None = None  # None: every type


@dataclass(slots=True)
class _Holds:
    targets: set[int] = field(default_factory=set)
    gate: threading.Event = field(default_factory=threading.Event)


_DROPPED: Final = _Response(0, b"", {})  # no answer at all: the connection is closed


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeStripe


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # one request per connection: nothing lingers at stop()
    server_version = "FakeStripe/1.0"

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._dispatch("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch("POST")

    def do_DELETE(self) -> None:  # noqa: N802
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        fake = cast(_Server, self.server).fake
        if len(body) < length:
            # The client died while writing (a worker killed mid-request): an HTTP
            # server never hands a cut-off body to the application, so nothing acts.
            fake._truncated(method, self.path, len(body), length)
            self.close_connection = True
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        response = fake._handle(method, self.path, headers, body)
        if response is _DROPPED:  # `drop_after`: acted, then the connection is lost
            self.close_connection = True
            with suppress(OSError):
                self.connection.shutdown(2)  # SHUT_RDWR: the client reads an empty answer
            return
        try:
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if method != "HEAD":
                self.wfile.write(response.body)
        except OSError as error:  # the client went away (killed mid-request)
            logger.info("fake stripe: could not answer %s %s: %s", method, self.path, error)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        logger.debug("fake stripe: " + format, *args)


class FakeStripe:
    """A fake Stripe API on ``http://127.0.0.1:<port>`` (port 0: a free one)."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = None,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        public_url: str | None = None,
    ) -> None:
        """`api_key`: if given, the only key accepted (otherwise any ``sk_test_``/
        ``rk_test_`` key). `webhook_url`/`webhook_secret`: where to send signed events.
        `public_url`: the base URL to hand out when clients reach the server by another
        name (a container, ``--host 0.0.0.0``); otherwise ``http://host:port``."""
        self._public_url = public_url.rstrip("/") if public_url else None
        self._host = host
        self._port = port
        self._api_key = api_key
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._outbox: queue.Queue[tuple[str, str, JSON] | None] = queue.Queue()
        self._sender: threading.Thread | None = None
        self._webhook = _Webhook()
        # The Stripe-Version header of every API request, in order (None when absent).
        self.versions_sent: list[str | None] = []
        if webhook_secret:
            self._webhook.secret = webhook_secret
        if webhook_url:
            self.set_webhook(webhook_url, webhook_secret)

        self._customers: dict[str, JSON] = {}
        self._sessions: dict[str, JSON] = {}
        self._session_setup: dict[str, _SessionSetup] = {}
        self._intents: dict[str, JSON] = {}
        self._payment_methods: dict[str, JSON] = {}
        self._intent_session: dict[str, str] = {}  # PaymentIntents made by a Checkout Session
        self._behaviours: dict[str, str] = {}
        self._refunds: dict[str, JSON] = {}
        self._refunded: dict[str, list[int]] = {}
        self._captures: dict[str, int] = {}
        self._requests: list[RequestRecord] = []
        self._idempotency: dict[str, _Idempotent] = {}
        self._failures: list[tuple[str, int]] = []
        self._after: list[tuple[str, int | None]] = []  # act, then fail (status) or drop (None)
        self._latency = 0.0
        self.truncated: list[tuple[str, str, int, int]] = []  # method, path, got, announced
        self._capture_requests = 0
        self._holds = _Holds()
        self._events: list[JSON] = []
        self._deliveries: list[WebhookDelivery] = []

        self._routes: list[tuple[str, re.Pattern[str], Callable[..., JSON]]] = [
            ("POST", re.compile(r"/v1/customers"), self._create_customer),
            ("GET", re.compile(r"/v1/customers/([^/]+)"), self._get_customer),
            ("DELETE", re.compile(r"/v1/customers/([^/]+)"), self._delete_customer),
            ("POST", re.compile(r"/v1/checkout/sessions"), self._create_session),
            ("GET", re.compile(r"/v1/checkout/sessions/([^/]+)"), self._get_session),
            ("POST", re.compile(r"/v1/checkout/sessions/([^/]+)/expire"), self._expire_session),
            ("POST", re.compile(r"/v1/payment_intents"), self._create_intent),
            ("GET", re.compile(r"/v1/payment_intents/([^/]+)"), self._get_intent),
            ("POST", re.compile(r"/v1/payment_intents/([^/]+)/capture"), self._capture),
            ("POST", re.compile(r"/v1/payment_intents/([^/]+)/cancel"), self._cancel),
            ("POST", re.compile(r"/v1/payment_intents/([^/]+)/confirm"), self._confirm),
            ("GET", re.compile(r"/v1/payment_methods/([^/]+)"), self._get_payment_method),
            ("POST", re.compile(r"/v1/refunds"), self._create_refund),
            ("GET", re.compile(r"/v1/refunds"), self._list_refunds),
            ("GET", re.compile(r"/v1/refunds/([^/]+)"), self._get_refund),
        ]

    # ----------------------------------------------------------------- life cycle

    def start(self) -> FakeStripe:
        """Listen and serve in daemon threads. Returns self."""
        if self._server is not None:
            return self
        server = _Server((self._host, self._port), _Handler)
        server.fake = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.name = "fake-stripe"
        self._thread.start()
        self._sender = threading.Thread(target=self._send_webhooks, daemon=True)
        self._sender.name = "fake-stripe-webhooks"
        self._sender.start()
        return self

    def stop(self) -> None:
        """Release held captures, stop serving, flush queued webhooks (a few seconds at
        most). Safe to call twice."""
        self.release_captures()
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._sender is not None:
            self._outbox.put(None)
            self._sender.join(timeout=5)
            self._sender = None

    def __enter__(self) -> FakeStripe:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``, for ``base_addresses={"api": ...}``."""
        if self._server is None:
            raise RuntimeError("FakeStripe is not started")
        if self._public_url:
            return self._public_url
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # --------------------------------------------------------------- test controls

    @property
    def requests(self) -> list[RequestRecord]:
        """Every request answered so far, oldest first (a copy)."""
        with self._lock:
            return list(self._requests)

    @property
    def sessions(self) -> dict[str, JSON]:
        """Checkout Sessions by id (deep copies)."""
        with self._lock:
            return copy.deepcopy(self._sessions)

    @property
    def intents(self) -> dict[str, JSON]:
        """PaymentIntents by id (deep copies)."""
        with self._lock:
            return copy.deepcopy(self._intents)

    @property
    def customers(self) -> dict[str, JSON]:
        """Customers by id (deep copies)."""
        with self._lock:
            return copy.deepcopy(self._customers)

    @property
    def events(self) -> list[JSON]:
        """Every event created, oldest first, whether or not a webhook is set."""
        with self._lock:
            return copy.deepcopy(self._events)

    @property
    def deliveries(self) -> list[WebhookDelivery]:
        """Webhook POSTs made so far, oldest first."""
        with self._lock:
            return list(self._deliveries)

    def intent(self, pi_id: str) -> JSON:
        """The PaymentIntent as the API shows it (a copy). KeyError if unknown."""
        with self._lock:
            return copy.deepcopy(self._intents[pi_id])

    def captures(self, pi_id: str) -> int:
        """How many captures were really applied to `pi_id` (replays not counted)."""
        with self._lock:
            return self._captures.get(pi_id, 0)

    def refunds_for(self, pi_id: str) -> list[int]:
        """Amounts (cents) of the refunds applied to `pi_id`, oldest first."""
        with self._lock:
            return list(self._refunded.get(pi_id, []))

    def complete_session(self, session_id: str, outcome: Behaviour = "ok") -> str:
        """Pay on the hosted page as the customer would; returns the PaymentIntent id.
        ``"authentication_required"`` passes 3-D Secure now and saves a card that needs
        it for every later off-session charge. ``"declined"`` raises
        FakeCheckoutDeclined and leaves the session open."""
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                raise KeyError(session_id)
            if session["status"] != "open":
                raise ValueError(f"checkout session {session_id} is {session['status']}")
            if outcome == "declined":
                raise FakeCheckoutDeclined("Your card was declined.")
            return self._complete(session, outcome)

    def start_session_payment(
        self, session_id: str, status: str = "requires_action", outcome: Behaviour = "ok"
    ) -> str:
        """The customer began paying on the open page and stopped there (at 3-D Secure,
        ``requires_action``, or before confirming, ``requires_confirmation``): the
        session stays open with its PaymentIntent, which only the session's expiry
        may cancel (Stripe refuses to cancel it directly). Returns the intent's id."""
        if status not in ("requires_action", "requires_confirmation"):
            raise ValueError(status)
        with self._lock:
            session = self._sessions[session_id]
            if session["status"] != "open" or session["payment_intent"]:
                raise ValueError(f"checkout session {session_id} cannot start a payment")
            intent = self._session_intent(session, outcome)
            intent["status"] = status
            if status == "requires_action":
                intent["next_action"] = {"type": "use_stripe_sdk", "use_stripe_sdk": {}}
            session["payment_intent"] = intent["id"]
            return str(intent["id"])

    def settle(self, pi_id: str, *, ok: bool = True) -> None:
        """A ``processing`` payment is confirmed by the bank (``succeeded``) or fails
        (``requires_payment_method``), with the events Stripe sends, Checkout's async
        ones included when a session made the intent."""
        with self._lock:
            intent = self._intents[pi_id]
            if intent["status"] != "processing":
                raise ValueError(f"{pi_id} is {intent['status']}, not processing")
            session = self._sessions.get(self._intent_session.get(pi_id, ""))
            if ok:
                intent.update(status="succeeded", amount_received=intent["amount"])
                self._event("payment_intent.succeeded", intent)
            else:
                intent.update(
                    status="requires_payment_method",
                    last_payment_error={
                        "type": "card_error",
                        "code": "card_declined",
                        "decline_code": "generic_decline",
                        "message": "Your card was declined.",
                    },
                )
                self._event("payment_intent.payment_failed", intent)
            if session is not None:
                session["payment_status"] = "paid" if ok else "unpaid"
                kind = "succeeded" if ok else "failed"
                self._event(f"checkout.session.async_payment_{kind}", session)

    def expire_hold(self, pi_id: str) -> None:
        """The authorization lapsed (Stripe cancels an uncaptured PaymentIntent after
        about 7 days): canceled, ``cancellation_reason="automatic"``."""
        with self._lock:
            intent = self._intents[pi_id]
            if intent["status"] != "requires_capture":
                raise ValueError(f"{pi_id} is {intent['status']}, not requires_capture")
            self._cancel_intent(intent, "automatic")

    def set_behaviour(self, payment_method_id: str, behaviour: Behaviour) -> None:
        """How the saved card answers later off-session charges."""
        if behaviour not in BEHAVIOURS:
            raise ValueError(behaviour)
        with self._lock:
            if payment_method_id not in self._payment_methods:
                raise KeyError(payment_method_id)
            self._behaviours[payment_method_id] = behaviour

    def add_payment_method(self, customer: str | None = None, behaviour: Behaviour = "ok") -> str:
        """A saved card for `customer` without going through Checkout; returns its id."""
        with self._lock:
            if customer is not None and customer not in self._customers:
                raise KeyError(customer)
            return str(self._new_payment_method(customer, behaviour)["id"])

    def hold_capture(self, n: int = 1) -> None:
        """The `n`-th capture request from now (1-based) waits, before anything is
        applied, until `release_captures()` or `stop()`. Its idempotency key is in use
        meanwhile (the same key gets a 409); a replay or a refused key is answered at once."""
        if n < 1:
            raise ValueError("n counts from 1")
        with self._lock:
            if self._holds.gate.is_set():
                self._holds = _Holds()
            self._holds.targets.add(self._capture_requests + n)

    def release_captures(self) -> None:
        """Let held capture requests go on; holds not yet reached are dropped."""
        with self._lock:
            self._holds.targets.clear()
            self._holds.gate.set()

    def wait_captures_received(self, n: int, timeout: float = 5.0) -> bool:
        """Wait until `n` capture requests have arrived in all (held ones included, those
        answered by `fail_next` not); False on timeout."""
        with self._changed:
            return self._changed.wait_for(lambda: self._capture_requests >= n, timeout)

    def wait_deliveries(self, n: int, timeout: float = 5.0) -> bool:
        """Wait until `n` webhook POSTs were made (answered or failed); False on timeout."""
        with self._changed:
            return self._changed.wait_for(lambda: len(self._deliveries) >= n, timeout)

    def age_idempotency_keys(self, seconds: float) -> None:
        """Every idempotency key used so far becomes `seconds` older, as if the fake's
        clock moved on: one 24 hours old or more is forgotten at its next use (the
        request acts again, as on Stripe); a younger one still replays."""
        with self._lock:
            for entry in self._idempotency.values():
                entry.first_used -= seconds

    def fail_next(self, path_prefix: str, status: int = 500) -> None:
        """The next request whose path starts with `path_prefix` answers `status` with an
        ``api_error`` and applies nothing. Calls queue up, one failure each."""
        with self._lock:
            self._failures.append((path_prefix, status))

    def fail_after(self, path_prefix: str, status: int = 500, times: int = 1) -> None:
        """The next request whose path starts with `path_prefix` acts, then answers
        `status` with an ``api_error``; the answer is kept under its idempotency key, as
        Stripe keeps the result of a request that started executing, so the library's
        retries replay it. `times` answers in a row (replays included) fail so."""
        with self._lock:
            self._after.extend([(path_prefix, status)] * times)

    def drop_after(self, path_prefix: str, times: int = 1) -> None:
        """The next request whose path starts with `path_prefix` acts, then the
        connection is closed with no answer (a timeout, a reset). The stored answer
        replays normally to a retry, unless `times` > 1 drops the retries too."""
        with self._lock:
            self._after.extend([(path_prefix, None)] * times)

    def patch_intent(self, pi_id: str, **fields: Any) -> None:
        """Make the API show `fields` on the PaymentIntent from now on, even values
        Stripe would never send (for tests of answers that fit no known state)."""
        with self._lock:
            self._intents[pi_id].update(copy.deepcopy(fields))

    def set_latency(self, seconds: float) -> None:
        """Every API request waits `seconds` before it is handled (Stripe's 0.2–0.5 s)."""
        with self._lock:
            self._latency = max(0.0, seconds)

    def _truncated(self, method: str, path: str, got: int, announced: int) -> None:
        logger.info(
            "fake stripe: %s %s cut off (%s of %s bytes): ignored", method, path, got, announced
        )
        with self._lock:
            self.truncated.append((method, path, got, announced))

    def set_webhook(
        self, url: str, secret: str | None = None, events: list[str] | None = None
    ) -> None:
        """Send signed events to `url` from now on (`secret`: keep the current one;
        `events`: only these types, like an endpoint's ``enabled_events``)."""
        if urlsplit(url).scheme not in ("http", "https"):
            raise ValueError(f"webhook url must be http(s): {url!r}")
        with self._lock:
            secret = secret or self._webhook.secret
            if not secret:
                raise ValueError("a webhook needs a secret (whsec_...)")
            self._webhook = _Webhook(url, secret, frozenset(events) if events else None)

    def sign(self, payload: str, timestamp: int | None = None) -> str:
        """A ``Stripe-Signature`` header for `payload` with the webhook secret (to post
        an event from `events` to the app by hand)."""
        with self._lock:
            if not self._webhook.secret:
                raise ValueError("no webhook secret configured")
            return sign_payload(payload, self._webhook.secret, timestamp)

    # ---------------------------------------------------------------- HTTP entry

    def _handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> _Response:
        split = urlsplit(raw_path)
        path = split.path
        text = body.decode("utf-8", errors="replace")
        pairs = parse_qsl(split.query if method == "GET" else text, keep_blank_values=True)
        params = parse_params(pairs)
        key = headers.get("idempotency-key") if method == "POST" else None
        if path.startswith("/v1/"):
            self.versions_sent.append(headers.get("stripe-version"))
        try:
            if path.startswith("/pay/"):
                key, replayed = None, False
                response = self._page(method, unquote(path.removeprefix("/pay/")), params)
            else:
                if self._latency:
                    time.sleep(self._latency)
                response, replayed = self._api(method, path, headers, pairs, params, key)
                response = self._after_acting(path, response)
        except Exception:  # a bug here must show as a 500, not a dropped connection
            logger.exception("fake stripe: %s %s failed", method, path)
            response = self._error(_ApiError(500, "api_error", "FakeStripe crashed"))
            replayed = False
        self._record(method, path, params, key, replayed=replayed, status=response.status)
        logger.info(
            "fake stripe: %s %s -> %s%s", method, path, response.status, " (replay)" * replayed
        )
        return response

    def _api(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        pairs: list[tuple[str, str]],
        params: JSON,
        key: str | None,
    ) -> tuple[_Response, bool]:
        try:
            self._authenticate(headers.get("authorization", ""))
        except _ApiError as error:
            return self._error(error), False
        # Parameters outside the stripe library's own types for the endpoint are refused
        # before anything else, as on Stripe: nothing acts, the key stays unused. Imported
        # here, not at the top: tests.stripe_schema needs the `stripe` package.
        from tests.stripe_schema import check_params

        problem = check_params(method, path, params)
        if problem is not None:
            refusal = _invalid(problem.message, code=problem.code, param=problem.param)
            return self._error(refusal), False
        gate: threading.Event | None = None
        with self._lock:
            for i, (prefix, status) in enumerate(self._failures):
                if path.startswith(prefix):
                    del self._failures[i]
                    failure = _ApiError(
                        status, "api_error", "An unknown error occurred (FakeStripe.fail_next)."
                    )
                    return self._error(failure), False
            if method == "POST" and _CAPTURE_RE.fullmatch(path):
                self._capture_requests += 1
                if self._capture_requests in self._holds.targets:
                    self._holds.targets.discard(self._capture_requests)
                    gate = self._holds.gate
                self._changed.notify_all()
            entry: _Idempotent | None = None
            if key:
                fingerprint = tuple(sorted(pairs))
                entry = self._idempotency.get(key)
                if entry is not None and entry.response is not None and entry.expired():
                    entry = None  # over 24 hours old: forgotten, the request acts again
                if entry is None:
                    entry = _Idempotent(method, path, fingerprint)
                    self._idempotency[key] = entry
                elif (entry.method, entry.path, entry.fingerprint) != (method, path, fingerprint):
                    return self._error(_idempotency_error(key, entry, method, path)), False
                elif entry.response is None:
                    return self._error(_in_progress(key)), False
                else:  # a replay applies nothing, so it is never held
                    return _replayed(entry.response, entry.request_id), True
        if gate is not None:
            logger.info("fake stripe: holding %s", path)
            gate.wait()
        keep = False
        try:
            with self._lock:
                try:
                    status, result = 200, self._route(method, path, params)
                    keep = True
                except _ApiError as error:
                    status, result = error.status, {"error": error.body}
                    # Stripe keeps no result for parameters that failed validation.
                    keep = not str(error.body.get("code", "")).startswith("parameter_")
                response = _json_response(status, result)
                if entry is not None and keep:
                    entry.response = response
                    entry.request_id = response.headers["Request-Id"]
                return response, False
        finally:
            if entry is not None and not keep:
                with self._lock:  # invalid parameters, or crashed: the key is free again
                    self._idempotency.pop(key or "", None)

    def _after_acting(self, path: str, response: _Response) -> _Response:
        """`fail_after` / `drop_after`: what the client gets once the request acted."""
        with self._lock:
            found = next((i for i, (p, _) in enumerate(self._after) if path.startswith(p)), None)
            if found is None:
                return response
            status = self._after.pop(found)[1]
        if status is None:
            return _DROPPED
        failure = _ApiError(
            status, "api_error", "An unknown error occurred (FakeStripe.fail_after)."
        )
        failed = self._error(failure)
        with self._lock:  # the failure is the result Stripe keeps for the key
            for entry in self._idempotency.values():
                if entry.response is response:
                    entry.response = failed
        return failed

    def _authenticate(self, authorization: str) -> None:
        scheme, _, api_key = authorization.partition(" ")
        if scheme.lower() != "bearer" or not api_key:
            raise _ApiError(
                401,
                "invalid_request_error",
                "You did not provide an API key. You need to provide your API key in the "
                "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
                "YOUR_SECRET_KEY').",
            )
        good = (
            api_key == self._api_key
            if self._api_key is not None
            else api_key.startswith(("sk_test_", "rk_test_"))
        )
        if not good:
            raise _ApiError(
                401,
                "invalid_request_error",
                f"Invalid API Key provided: {api_key[:8]}****{api_key[-4:]}",
            )

    def _route(self, method: str, path: str, params: JSON) -> JSON:
        for route_method, pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if match and route_method == method:
                return handler(params, *(unquote(g) for g in match.groups()))
        raise _ApiError(
            404,
            "invalid_request_error",
            f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs.",
        )

    def _error(self, error: _ApiError) -> _Response:
        return _json_response(error.status, {"error": error.body})

    def _record(
        self,
        method: str,
        path: str,
        params: JSON,
        key: str | None,
        *,
        replayed: bool,
        status: int,
    ) -> None:
        with self._lock:
            self._requests.append(RequestRecord(method, path, params, key, replayed, status))
            self._changed.notify_all()

    # ------------------------------------------------------------------ objects

    def _expand(self, obj: JSON, params: JSON) -> JSON:
        result = copy.deepcopy(obj)
        expand = params.get("expand") or []
        for name in expand if isinstance(expand, list) else [expand]:
            value = result.get(name)
            if isinstance(value, str):
                for table in (self._customers, self._intents, self._payment_methods):
                    if value in table:
                        result[name] = copy.deepcopy(table[value])
        return result

    def _customer_ref(self, params: JSON, name: str = "customer") -> str | None:
        customer = _str(params, name)
        if customer is not None and customer not in self._customers:
            raise _missing("customer", customer, param=name, status=400)
        return customer

    def _create_customer(self, params: JSON) -> JSON:
        customer: JSON = {
            "id": new_id("cus", 14),
            "object": "customer",
            "created": _now(),
            "description": _str(params, "description"),
            "email": _str(params, "email"),
            "livemode": False,
            "metadata": _metadata(params),
            "name": _str(params, "name"),
        }
        self._customers[customer["id"]] = customer
        return copy.deepcopy(customer)

    def _get_customer(self, params: JSON, customer_id: str) -> JSON:
        if customer_id not in self._customers:
            raise _missing("customer", customer_id, param="id")
        return self._expand(self._customers[customer_id], params)

    def _delete_customer(self, params: JSON, customer_id: str) -> JSON:
        """Stripe deletes the customer and its saved cards for good."""
        if self._customers.pop(customer_id, None) is None:
            raise _missing("customer", customer_id, param="id")
        return {"id": customer_id, "object": "customer", "deleted": True}

    def _create_session(self, params: JSON) -> JSON:
        mode = _required_str(params, "mode")
        if mode != "payment":
            raise _invalid(f"FakeStripe only supports mode=payment, not {mode}.", param="mode")
        success_url = _required_str(params, "success_url")
        customer = self._customer_ref(params)
        items = params.get("line_items")
        if not isinstance(items, list) or not items:
            raise _invalid(
                "Missing required param: line_items.", code="parameter_missing", param="line_items"
            )
        lines: list[tuple[str, int, int]] = []
        currencies: set[str] = set()
        for i, item in enumerate(items):
            if not isinstance(item, dict) or not isinstance(item.get("price_data"), dict):
                raise _invalid(
                    "FakeStripe only supports line_items with price_data.",
                    param=f"line_items[{i}][price_data]",
                )
            price = item["price_data"]
            currencies.add(_required_str(price, "currency").lower())
            unit = _required_int(price, "unit_amount")
            quantity = _required_int(item, "quantity")
            if unit < 0 or quantity < 1:
                raise _invalid("Invalid amount or quantity.", param=f"line_items[{i}]")
            name = _required_str(_dict(price, "product_data"), "name")
            lines.append((name, unit, quantity))
        if len(currencies) != 1:
            raise _invalid("All line items must use the same currency.", param="line_items")
        total = sum(unit * quantity for _, unit, quantity in lines)
        if total < MINIMUM_AMOUNT:
            raise _invalid(
                "The Checkout Session's total amount due must add up to at least $0.50 cad",
                param="line_items",
            )
        intent_data = _dict(params, "payment_intent_data")
        capture_method = _str(intent_data, "capture_method") or "automatic_async"
        if capture_method not in ("manual", "automatic", "automatic_async"):
            raise _invalid(
                f"Invalid capture_method: {capture_method}",
                code="parameter_invalid_string",
                param="payment_intent_data[capture_method]",
            )
        future = _str(intent_data, "setup_future_usage")
        if future not in (None, "off_session", "on_session"):
            raise _invalid(
                f"Invalid setup_future_usage: {future}",
                param="payment_intent_data[setup_future_usage]",
            )
        session_id = new_id("cs_test", 58)
        created = _now()
        session: JSON = {
            "id": session_id,
            "object": "checkout.session",
            "amount_subtotal": total,
            "amount_total": total,
            "cancel_url": _str(params, "cancel_url"),
            "client_reference_id": _str(params, "client_reference_id"),
            "created": created,
            "currency": currencies.pop(),
            "customer": customer,
            "customer_email": _str(params, "customer_email"),
            "expires_at": created + 24 * 3600,
            "livemode": False,
            "locale": _str(params, "locale"),
            "metadata": _metadata(params),
            "mode": "payment",
            "payment_intent": None,
            "payment_method_types": ["card"],
            "payment_status": "unpaid",
            "status": "open",
            "success_url": success_url,
            "url": f"{self.base_url}/pay/{session_id}",
        }
        self._sessions[session_id] = session
        self._session_setup[session_id] = _SessionSetup(
            lines=lines,
            capture_method=capture_method,
            setup_future_usage=future,
            metadata=_metadata(intent_data),
            description=_str(intent_data, "description"),
        )
        return copy.deepcopy(session)

    def _get_session(self, params: JSON, session_id: str) -> JSON:
        if session_id not in self._sessions:
            raise _missing("checkout.session", session_id, param="session")
        return self._expand(self._sessions[session_id], params)

    def _expire_session(self, params: JSON, session_id: str) -> JSON:
        session = self._sessions.get(session_id)
        if session is None:
            raise _missing("checkout.session", session_id, param="session")
        if session["status"] != "open":
            raise _invalid(
                f'Only Checkout Sessions with a status in ["open"] can be expired. '
                f'This Checkout Session has a status of "{session["status"]}".'
            )
        session.update(status="expired", url=None)
        started = self._intents.get(session["payment_intent"] or "")
        if started is not None and started["status"] in _CANCELABLE:
            self._cancel_intent(started, "abandoned")
        self._event("checkout.session.expired", session)
        return copy.deepcopy(session)

    def _session_intent(self, session: JSON, outcome: str) -> JSON:
        """The PaymentIntent a Checkout Session makes when the customer pays."""
        setup = self._session_setup[session["id"]]
        method = self._new_payment_method(session["customer"], outcome)
        intent = self._new_intent(
            amount=session["amount_total"],
            currency=session["currency"],
            customer=session["customer"],
            payment_method=method["id"],
            capture_method=setup.capture_method,
            metadata=dict(setup.metadata),
            description=setup.description,
            setup_future_usage=setup.setup_future_usage,
        )
        self._intent_session[intent["id"]] = session["id"]
        return intent

    def _complete(self, session: JSON, outcome: str) -> str:
        started = session["payment_intent"]
        intent = self._intents[started] if started else self._session_intent(session, outcome)
        if self._behaviours[intent["payment_method"]] == "processing":
            intent.update(status="processing", latest_charge=new_id("ch"))
        else:
            self._authorize(intent)
        session.update(
            status="complete",
            payment_status="paid" if intent["status"] == "succeeded" else "unpaid",
            payment_intent=intent["id"],
            url=None,
        )
        self._event("checkout.session.completed", session)
        self._intent_event(intent)
        return str(intent["id"])

    def _new_payment_method(self, customer: str | None, behaviour: str) -> JSON:
        method: JSON = {
            "id": new_id("pm"),
            "object": "payment_method",
            "billing_details": {"email": None, "name": None},
            "card": {
                "brand": "visa",
                "country": "CA",
                "exp_month": 12,
                "exp_year": time.gmtime().tm_year + 3,
                "funding": "credit",
                "last4": _LAST4[behaviour],
            },
            "created": _now(),
            "customer": customer,
            "livemode": False,
            "metadata": {},
            "type": "card",
        }
        self._payment_methods[method["id"]] = method
        self._behaviours[method["id"]] = behaviour
        return method

    def _get_payment_method(self, params: JSON, method_id: str) -> JSON:
        if method_id not in self._payment_methods:
            raise _missing("payment_method", method_id, param="payment_method")
        return self._expand(self._payment_methods[method_id], params)

    def _new_intent(
        self,
        *,
        amount: int,
        currency: str,
        customer: str | None,
        payment_method: str | None,
        capture_method: str,
        metadata: dict[str, str],
        description: str | None,
        setup_future_usage: str | None,
    ) -> JSON:
        intent_id = new_id("pi")
        intent: JSON = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": amount,
            "amount_capturable": 0,
            "amount_received": 0,
            "canceled_at": None,
            "cancellation_reason": None,
            "capture_method": capture_method,
            "client_secret": f"{intent_id}_secret_{new_id('x')[2:]}",
            "confirmation_method": "automatic",
            "created": _now(),
            "currency": currency,
            "customer": customer,
            "description": description,
            "last_payment_error": None,
            "latest_charge": None,
            "livemode": False,
            "metadata": metadata,
            "next_action": None,
            "payment_method": payment_method,
            "payment_method_types": ["card"],
            "setup_future_usage": setup_future_usage,
            "status": "requires_payment_method"
            if payment_method is None
            else "requires_confirmation",
        }
        self._intents[intent_id] = intent
        return intent

    def _authorize(self, intent: JSON) -> None:
        """The card said yes: held (manual capture) or paid."""
        intent["latest_charge"] = new_id("ch")
        intent["last_payment_error"] = None
        intent["next_action"] = None
        if intent["capture_method"] == "manual":
            intent.update(status="requires_capture", amount_capturable=intent["amount"])
        else:
            intent.update(status="succeeded", amount_received=intent["amount"])

    def _intent_event(self, intent: JSON) -> None:
        if intent["status"] == "requires_capture":
            self._event("payment_intent.amount_capturable_updated", intent)
        elif intent["status"] == "succeeded":
            self._event("payment_intent.succeeded", intent)
        elif intent["status"] == "processing":
            self._event("payment_intent.processing", intent)
        elif intent["status"] == "requires_action":
            self._event("payment_intent.requires_action", intent)

    def _get_intent(self, params: JSON, intent_id: str) -> JSON:
        if intent_id not in self._intents:
            raise _missing("payment_intent", intent_id, param="intent")
        return self._expand(self._intents[intent_id], params)

    def _find_intent(self, intent_id: str) -> JSON:
        intent = self._intents.get(intent_id)
        if intent is None:
            raise _missing("payment_intent", intent_id, param="intent")
        return intent

    def _create_intent(self, params: JSON) -> JSON:
        amount = _required_int(params, "amount")
        currency = _required_str(params, "currency").lower()
        if amount < MINIMUM_AMOUNT:
            raise _invalid(
                f"Amount must be at least $0.50 {currency}", code="amount_too_small", param="amount"
            )
        customer = self._customer_ref(params)
        method_id = _str(params, "payment_method")
        method: JSON | None = None
        if method_id is not None:
            method = self._payment_methods.get(method_id)
            if method is None:
                raise _missing("PaymentMethod", method_id, param="payment_method", status=400)
            if method["customer"] is not None and method["customer"] != customer:
                raise _invalid(
                    f"The provided PaymentMethod {method_id} belongs to another customer, or "
                    "you did not pass the customer it is attached to.",
                    param="payment_method",
                )
        capture_method = _str(params, "capture_method") or "automatic_async"
        if capture_method not in ("manual", "automatic", "automatic_async"):
            raise _invalid(
                f"Invalid capture_method: {capture_method}",
                code="parameter_invalid_string",
                param="capture_method",
            )
        confirm = _bool(params, "confirm")
        if confirm and method is None:
            raise _invalid(
                "You cannot confirm this PaymentIntent because it's missing a payment method.",
                code="payment_intent_unexpected_state",
                param="payment_method",
            )
        intent = self._new_intent(
            amount=amount,
            currency=currency,
            customer=customer,
            payment_method=method_id,
            capture_method=capture_method,
            metadata=_metadata(params),
            description=_str(params, "description"),
            setup_future_usage=_str(params, "setup_future_usage"),
        )
        automatic = _dict(params, "automatic_payment_methods")
        if automatic or not params.get("payment_method_types"):
            # Stripe's default since 2023-08-16: the dashboard's methods, redirects included.
            intent["automatic_payment_methods"] = {
                "enabled": _str(automatic, "enabled") != "false",
                "allow_redirects": _str(automatic, "allow_redirects") or "always",
            }
        if not confirm or method is None:
            return copy.deepcopy(intent)
        return self._confirm_with(intent, method, params)

    def _confirm(self, params: JSON, intent_id: str) -> JSON:
        """POST /v1/payment_intents/{id}/confirm: only from requires_confirmation."""
        intent = self._find_intent(intent_id)
        if intent["status"] != "requires_confirmation" or intent["payment_method"] is None:
            raise _ApiError(
                400,
                "invalid_request_error",
                f"This PaymentIntent's status is {intent['status']}: it cannot be confirmed.",
                code="payment_intent_unexpected_state",
                payment_intent=copy.deepcopy(intent),
            )
        method = self._payment_methods[intent["payment_method"]]
        return self._confirm_with(intent, method, params)

    def _confirm_with(self, intent: JSON, method: JSON, params: JSON) -> JSON:
        automatic = intent.get("automatic_payment_methods") or {}
        if (
            automatic.get("enabled")
            and automatic.get("allow_redirects") != "never"
            and _str(params, "return_url") is None
        ):
            raise _invalid(
                "This PaymentIntent is configured to accept payment methods enabled in your "
                "Dashboard, some of which require a full page redirect to succeed. If you do "
                "not want to accept redirect-based payment methods, set "
                "`automatic_payment_methods[enabled]` to `true` and "
                "`automatic_payment_methods[allow_redirects]` to `never` when creating Setup "
                "Intents and Payment Intents.",
                param="return_url",
            )
        behaviour = self._behaviours[method["id"]]
        if behaviour == "ok":
            self._authorize(intent)
            self._intent_event(intent)
            return copy.deepcopy(intent)
        if behaviour == "processing":
            intent.update(status="processing", latest_charge=new_id("ch"))
            self._intent_event(intent)
            return copy.deepcopy(intent)
        if behaviour == "requires_action":
            intent.update(
                status="requires_action",
                next_action={"type": "use_stripe_sdk", "use_stripe_sdk": {}},
            )
            self._intent_event(intent)
            return copy.deepcopy(intent)
        if behaviour == "authentication_required" and not _bool(params, "off_session"):
            intent.update(
                status="requires_action",
                next_action={"type": "use_stripe_sdk", "use_stripe_sdk": {}},
            )
            return copy.deepcopy(intent)
        if behaviour == "declined":
            code, decline_code = "card_declined", "generic_decline"
            message = "Your card was declined."
            intent["latest_charge"] = new_id("ch")
        else:
            code, decline_code = "authentication_required", "authentication_required"
            message = "Your card was declined. This transaction requires authentication."
        intent["last_payment_error"] = {
            "type": "card_error",
            "code": code,
            "decline_code": decline_code,
            "message": message,
            "payment_method": copy.deepcopy(method),
        }
        intent["status"] = "requires_payment_method"
        self._event("payment_intent.payment_failed", intent)
        raise _ApiError(
            402,
            "card_error",
            message,
            code=code,
            decline_code=decline_code,
            charge=intent["latest_charge"],
            payment_intent=copy.deepcopy(intent),
            payment_method=copy.deepcopy(method),
        )

    def _capture(self, params: JSON, intent_id: str) -> JSON:
        intent = self._find_intent(intent_id)
        if intent["status"] != "requires_capture":
            raise _ApiError(
                400,
                "invalid_request_error",
                f"This PaymentIntent could not be captured because it has a status of "
                f"{intent['status']}. Only a PaymentIntent with one of the following statuses "
                "may be captured: requires_capture.",
                code="payment_intent_unexpected_state",
                payment_intent=copy.deepcopy(intent),
            )
        amount = _int(params, "amount_to_capture")
        if amount is None:
            amount = intent["amount_capturable"]
        if amount <= 0:
            raise _invalid(
                "Invalid amount_to_capture: must be positive.",
                code="parameter_invalid_integer",
                param="amount_to_capture",
            )
        if amount > intent["amount_capturable"]:
            raise _invalid(
                f"The amount to capture ({amount}) is greater than the amount capturable "
                f"({intent['amount_capturable']}).",
                code="amount_too_large",
                param="amount_to_capture",
            )
        intent.update(status="succeeded", amount_received=amount, amount_capturable=0)
        if "metadata" in params:
            intent["metadata"] = {**intent["metadata"], **_metadata(params)}
        self._captures[intent_id] = self._captures.get(intent_id, 0) + 1
        self._event("payment_intent.succeeded", intent)
        return copy.deepcopy(intent)

    def _cancel(self, params: JSON, intent_id: str) -> JSON:
        intent = self._find_intent(intent_id)
        if intent_id in self._intent_session and intent["status"] != "requires_capture":
            raise _ApiError(
                400,
                "invalid_request_error",
                "You can directly cancel the PaymentIntent for a Checkout Session only when "
                "the PaymentIntent has a status of requires_capture. Otherwise, you must "
                "expire the Checkout Session.",
                code="payment_intent_unexpected_state",
                payment_intent=copy.deepcopy(intent),
            )
        if intent["status"] not in _CANCELABLE:
            raise _ApiError(
                400,
                "invalid_request_error",
                f"You cannot cancel this PaymentIntent because it has a status of "
                f"{intent['status']}. Only a PaymentIntent with one of the following statuses "
                f"may be canceled: {', '.join(_CANCELABLE)}.",
                code="payment_intent_unexpected_state",
                payment_intent=copy.deepcopy(intent),
            )
        self._cancel_intent(intent, _str(params, "cancellation_reason"))
        return copy.deepcopy(intent)

    def _cancel_intent(self, intent: JSON, reason: str | None) -> None:
        intent.update(
            status="canceled",
            amount_capturable=0,
            canceled_at=_now(),
            cancellation_reason=reason,
            next_action=None,
        )
        self._event("payment_intent.canceled", intent)

    def _create_refund(self, params: JSON) -> JSON:
        intent_id = _str(params, "payment_intent")
        charge = _str(params, "charge")
        if intent_id is None and charge is not None:
            found = [i for i, pi in self._intents.items() if pi["latest_charge"] == charge]
            if not found:
                raise _missing("charge", charge, param="charge", status=400)
            intent_id = found[0]
        if intent_id is None:
            raise _invalid(
                "One of the following params should be provided for this request: "
                "payment_intent or charge.",
                code="parameter_missing",
                param="payment_intent",
            )
        intent = self._intents.get(intent_id)
        if intent is None:
            raise _missing("payment_intent", intent_id, param="payment_intent", status=400)
        if intent["status"] != "succeeded":
            raise _invalid(
                f"This PaymentIntent ({intent_id}) does not have a successful charge to refund "
                f"(status {intent['status']}).",
                code="payment_intent_unexpected_state",
                param="payment_intent",
            )
        refunded = self._refunded.setdefault(intent_id, [])
        left = intent["amount_received"] - sum(refunded)
        if left <= 0:
            raise _invalid(
                f"Charge {intent['latest_charge']} has already been refunded.",
                code="charge_already_refunded",
            )
        amount = _int(params, "amount")
        if amount is None:
            amount = left
        if amount <= 0:
            raise _invalid(
                "Invalid amount: must be positive.",
                code="parameter_invalid_integer",
                param="amount",
            )
        if amount > left:
            raise _invalid(
                f"Refund amount ({_money(amount)}) is greater than unrefunded amount on charge "
                f"({_money(left)})",
                code="amount_too_large",
                param="amount",
            )
        refund: JSON = {
            "id": new_id("re"),
            "object": "refund",
            "amount": amount,
            "charge": intent["latest_charge"],
            "created": _now(),
            "currency": intent["currency"],
            "metadata": _metadata(params),
            "payment_intent": intent_id,
            "reason": _str(params, "reason"),
            "status": "succeeded",
        }
        refunded.append(amount)
        self._refunds[refund["id"]] = refund
        self._event("refund.created", refund)
        self._event(
            "charge.refunded",
            {
                "id": intent["latest_charge"],
                "object": "charge",
                "amount": intent["amount_received"],
                "amount_refunded": sum(refunded),
                "currency": intent["currency"],
                "payment_intent": intent_id,
                "refunded": sum(refunded) >= intent["amount_received"],
                "status": "succeeded",
            },
        )
        return copy.deepcopy(refund)

    def _list_refunds(self, params: JSON) -> JSON:
        """GET /v1/refunds: newest first, optionally of one PaymentIntent, paged by
        ``limit`` (1–100, default 10) and ``starting_after``."""
        intent_id = _str(params, "payment_intent")
        if intent_id is not None and intent_id not in self._intents:
            raise _missing("payment_intent", intent_id, param="payment_intent", status=400)
        limit = _int(params, "limit") or 10
        if not 1 <= limit <= 100:
            raise _invalid(
                "Invalid limit: must be between 1 and 100.",
                code="parameter_invalid_integer",
                param="limit",
            )
        rows = [
            r
            for r in reversed(self._refunds.values())
            if intent_id is None or r["payment_intent"] == intent_id
        ]
        after = _str(params, "starting_after")
        if after is not None:
            ids = [r["id"] for r in rows]
            if after not in ids:
                raise _missing("refund", after, param="starting_after", status=400)
            rows = rows[ids.index(after) + 1 :]
        return {
            "object": "list",
            "data": copy.deepcopy(rows[:limit]),
            "has_more": len(rows) > limit,
            "url": "/v1/refunds",
        }

    def _get_refund(self, params: JSON, refund_id: str) -> JSON:
        if refund_id not in self._refunds:
            raise _missing("refund", refund_id, param="id")
        return self._expand(self._refunds[refund_id], params)

    # ------------------------------------------------------------------ hosted page

    def _page(self, method: str, session_id: str, form: JSON) -> _Response:
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return _html(404, "Not found", "<p>This checkout page does not exist.</p>")
            if session["status"] != "open":
                status = 200 if method == "GET" else 409
                if session["status"] == "complete":
                    link = html.escape(
                        session["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id)
                    )
                    text = "This payment is complete."
                else:
                    link = html.escape(session["cancel_url"] or "")
                    text = "This checkout session has expired."
                back = f' <a href="{link}">Return to the shop</a>' if link else ""
                return _html(status, "Fake Stripe Checkout", f"<p>{text}{back}</p>")
            if method != "POST":
                return self._checkout_page(session, error="")
            outcome = form.get("outcome")
            if outcome == "declined":
                return self._checkout_page(session, error="Your card was declined.")
            if outcome not in ("ok", "authentication_required"):
                return self._checkout_page(session, error="Choose one of the buttons.")
            self._complete(session, str(outcome))
            target = session["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id)
            return _Response(303, b"", {"Location": target, "Cache-Control": "no-store"})

    def _checkout_page(self, session: JSON, *, error: str) -> _Response:
        setup = self._session_setup[session["id"]]
        total = _money(session["amount_total"])
        verb = "Authorize" if setup.capture_method == "manual" else "Pay"
        items = "".join(
            f"<li>{html.escape(name)} × {qty}: {_money(unit * qty)}</li>"
            for name, unit, qty in setup.lines
        )
        alert = f'<p role="alert"><strong>{html.escape(error)}</strong></p>' if error else ""
        cancel = session["cancel_url"]
        back = f'<p><a href="{html.escape(cancel)}">Cancel and go back</a></p>' if cancel else ""
        action = html.escape(f"/pay/{session['id']}")
        body = f"""<p>A test payment page: no real card is involved.</p>
{alert}<h2>Order summary</h2>
<ul>{items}</ul>
<p>Total: <strong>{total}</strong></p>
<form method="post" action="{action}">
<p><button type="submit" name="outcome" value="ok">{verb} {total}</button></p>
<p><button type="submit" name="outcome" value="declined">Use a card that is declined</button></p>
<p><button type="submit" name="outcome" value="authentication_required">Use a card \
that needs authentication for later charges</button></p>
</form>
{back}"""
        return _html(200, "Fake Stripe Checkout", body)

    # ------------------------------------------------------------------ webhooks

    def _event(self, type_: str, obj: JSON) -> None:
        event: JSON = {
            "id": new_id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": _now(),
            "data": {"object": copy.deepcopy(obj)},
            "livemode": False,
            "pending_webhooks": 1 if self._webhook.url else 0,
            "request": {"id": None, "idempotency_key": None},
            "type": type_,
        }
        self._events.append(event)
        hook = self._webhook
        if hook.url and (hook.events is None or type_ in hook.events):
            self._outbox.put((hook.url, hook.secret, copy.deepcopy(event)))

    def _send_webhooks(self) -> None:
        while (item := self._outbox.get()) is not None:
            url, secret, event = item
            payload = json.dumps(event, indent=2)
            request = urllib.request.Request(  # noqa: S310 (set_webhook allows http(s) only)
                url,
                data=payload.encode(),
                method="POST",
                headers={
                    "Content-Type": "application/json; charset=utf-8",
                    "Stripe-Signature": sign_payload(payload, secret),
                    "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                },
            )
            status: int | None = None
            problem = ""
            try:
                with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
                    status = int(answer.status)
            except urllib.error.HTTPError as error:
                status, problem = error.code, str(error)
            except (OSError, ValueError) as error:
                problem = str(error)
            if problem:
                logger.warning("fake stripe: webhook %s to %s: %s", event["type"], url, problem)
            with self._changed:
                self._deliveries.append(
                    WebhookDelivery(event["id"], event["type"], url, status, problem)
                )
                self._changed.notify_all()


def _idempotency_error(key: str, entry: _Idempotent, method: str, path: str) -> _ApiError:
    if (entry.method, entry.path) != (method, path):
        message = (
            "Keys for idempotent requests can only be used for the same endpoint they were "
            f"first used for ('{entry.method} {entry.path}' vs '{method} {path}'). Try using "
            f"a key other than '{key}' if you meant to execute a different request."
        )
    else:
        message = (
            "Keys for idempotent requests can only be used with the same parameters they "
            f"were first used with. Try using a key other than '{key}' if you meant to "
            "execute a different request."
        )
    return _ApiError(400, "idempotency_error", message)


def _in_progress(key: str) -> _ApiError:
    return _ApiError(
        409,
        "idempotency_error",
        "There is currently another in-progress request using this Idempotent Key (that "
        "probably means you submitted twice, and the other request is still going "
        f"through): {key}. Please try again later.",
        code="idempotency_key_in_use",
    )


def _json_response(status: int, body: JSON) -> _Response:
    return _Response(
        status,
        json.dumps(body, indent=2).encode(),
        {
            "Content-Type": "application/json",
            "Request-Id": new_id("req", 14),
            "Stripe-Version": API_VERSION,
            "Cache-Control": "no-cache, no-store",
        },
    )


def _replayed(response: _Response, original_request: str) -> _Response:
    headers = {
        **response.headers,
        "Request-Id": new_id("req", 14),
        "Idempotent-Replayed": "true",
        "Original-Request": original_request,
    }
    return _Response(response.status, response.body, headers)


def _html(status: int, title: str, body: str) -> _Response:
    page = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
</head>
<body>
<main>
<h1>Fake Stripe Checkout</h1>
{body}
</main>
</body>
</html>
"""
    return _Response(
        status,
        page.encode(),
        {
            "Content-Type": "text/html; charset=utf-8",
            "Cache-Control": "no-store",
            # No form-action: Chrome applies it to the redirect to success_url.
            "Content-Security-Policy": "default-src 'none'; base-uri 'none'; "
            "frame-ancestors 'none'",
            "X-Content-Type-Options": "nosniff",
        },
    )


def main(argv: list[str] | None = None) -> None:
    """``python -m tests.fake_stripe``: serve until Ctrl-C."""
    parser = argparse.ArgumentParser(description="A fake Stripe API for demos.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument("--public-url", help="base URL to hand out (default http://host:port)")
    parser.add_argument("--webhook-url", help="where to POST signed events")
    parser.add_argument("--webhook-secret", help="whsec_... shared with the app")
    args = parser.parse_args(argv)
    if args.webhook_url and not args.webhook_secret:
        parser.error("--webhook-url needs --webhook-secret")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    server = FakeStripe(
        host=args.host,
        port=args.port,
        webhook_url=args.webhook_url,
        webhook_secret=args.webhook_secret,
        public_url=args.public_url,
    )
    server.start()
    print(f"Fake Stripe listening on {server.base_url}", flush=True)
    print(f"  STRIPE_API_BASE={server.base_url} STRIPE_SECRET_KEY=sk_test_anything", flush=True)
    if args.webhook_url:
        print(f"  webhooks -> {args.webhook_url}", flush=True)
    print("Ctrl-C to stop.", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    with suppress(KeyboardInterrupt):
        main()
