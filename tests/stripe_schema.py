"""What Stripe accepts as parameters, for the fake Stripe server (tests/fake_stripe.py).

The ``stripe`` library ships, for every endpoint, the TypedDict of its parameters
(``stripe.params``, generated from Stripe's OpenAPI spec at the API version it pins:
stripe 16.1, ``2026-10-28.endive``). `check_params` walks the TypedDict of the endpoint a
request is for and returns the first thing Stripe would refuse, or None:

- a key the TypedDict does not have, at any depth: ``parameter_unknown``;
- a required key missing (``__required_keys__``): ``parameter_missing``;
- a value of the wrong kind: a dict or a list where a string is expected and the
  reverse, an integer, boolean or decimal that does not parse;
- an empty string where the type has no ``Literal['']`` (Stripe reads ``""`` as "unset",
  allowed only where a value can be unset): ``parameter_invalid_empty``;
- a string outside a ``Literal[...]`` enum. The library types many enums as
  ``Literal[...] | str`` so that values Stripe adds later still type-check; the API at
  the pinned version refuses them all the same, so the Literal is the rule here;
- a string longer than Stripe allows (`MAX_LENGTHS`; 5000 when not listed);
- metadata (any ``metadata`` map): at most 50 keys, keys of at most 40 characters
  without ``[`` or ``]``, string values of at most 500 characters.

``Dict[str, str]`` other than metadata takes any keys; a ``Union`` is satisfied by any of
its members; ``NotRequired``/``Required`` are unwrapped. The keys of ``RequestOptions``
(``api_key``, ``idempotency_key``, ...) are the library's own, never sent as parameters,
so they are not parameters here either. A request for an endpoint not in `ENDPOINTS` is
not checked (the fake answers it 404 or as it likes).

The messages follow what Stripe answers, as seen in real answers quoted in public
issues (``Received unknown parameter: x``; ``Invalid locale: must be one of auto, bg,
..., or zh-TW``; ``Invalid string: BAh7CEkiCG...7b80c2b880; must be at most 200
characters``; ``Invalid val: ... must be a string under 500 characters``). Stripe puts
no ``code`` on the enum, length, string, array and metadata refusals (its list of error
codes, shipped in the library as the ``code`` Literal of ``last_payment_error``, has
``parameter_unknown``, ``parameter_missing``, ``parameter_invalid_empty`` and
``parameter_invalid_integer`` but no ``parameter_invalid_string``), so neither does this.
A dict where an object is expected keeps the fake's ``parameter_invalid_object``.

Standard library and ``stripe`` only; tests/fake_stripe.py imports this module lazily,
on its first API request, so that it can itself import only the standard library.
"""

from __future__ import annotations

import functools
import json
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal, Union, get_args, get_origin, get_type_hints

import stripe.params
import stripe.params.checkout
from stripe._request_options import RequestOptions
from stripe._stripe_context import StripeContext
from stripe._stripe_object import UntypedStripeObject

# The endpoints the fake serves, with the parameters the library types for each. The
# route names ("POST /v1/payment_intents/*/capture") are the keys of MAX_LENGTHS.
ENDPOINTS: Final[dict[str, tuple[re.Pattern[str], Any]]] = {
    "POST /v1/customers": (re.compile(r"/v1/customers"), stripe.params.CustomerCreateParams),
    "GET /v1/customers/*": (
        re.compile(r"/v1/customers/[^/]+"),
        stripe.params.CustomerRetrieveParams,
    ),
    "DELETE /v1/customers/*": (
        re.compile(r"/v1/customers/[^/]+"),
        stripe.params.CustomerDeleteParams,
    ),
    "POST /v1/checkout/sessions": (
        re.compile(r"/v1/checkout/sessions"),
        stripe.params.checkout.SessionCreateParams,
    ),
    "GET /v1/checkout/sessions/*": (
        re.compile(r"/v1/checkout/sessions/[^/]+"),
        stripe.params.checkout.SessionRetrieveParams,
    ),
    "POST /v1/checkout/sessions/*/expire": (
        re.compile(r"/v1/checkout/sessions/[^/]+/expire"),
        stripe.params.checkout.SessionExpireParams,
    ),
    "POST /v1/payment_intents": (
        re.compile(r"/v1/payment_intents"),
        stripe.params.PaymentIntentCreateParams,
    ),
    "GET /v1/payment_intents/*": (
        re.compile(r"/v1/payment_intents/[^/]+"),
        stripe.params.PaymentIntentRetrieveParams,
    ),
    "POST /v1/payment_intents/*/capture": (
        re.compile(r"/v1/payment_intents/[^/]+/capture"),
        stripe.params.PaymentIntentCaptureParams,
    ),
    "POST /v1/payment_intents/*/cancel": (
        re.compile(r"/v1/payment_intents/[^/]+/cancel"),
        stripe.params.PaymentIntentCancelParams,
    ),
    "POST /v1/payment_intents/*/confirm": (
        re.compile(r"/v1/payment_intents/[^/]+/confirm"),
        stripe.params.PaymentIntentConfirmParams,
    ),
    "GET /v1/payment_methods/*": (
        re.compile(r"/v1/payment_methods/[^/]+"),
        stripe.params.PaymentMethodRetrieveParams,
    ),
    "POST /v1/refunds": (re.compile(r"/v1/refunds"), stripe.params.RefundCreateParams),
    "GET /v1/refunds": (re.compile(r"/v1/refunds"), stripe.params.RefundListParams),
    "GET /v1/refunds/*": (re.compile(r"/v1/refunds/[^/]+"), stripe.params.RefundRetrieveParams),
}

# Max lengths are not in the TypedDicts. These are the `maxLength`s other than 5000 in
# the request bodies of Stripe's OpenAPI spec, github.com/stripe/openapi
# openapi/spec3.yaml at tag v526 (commit f276814e, 2023-09-13, API version
# 2023-08-16): the newest version of the spec whose file the mirror we could read
# holds (later ones were too large to be stored). Every other string of those bodies
# has `maxLength: 5000` or none (DEFAULT_MAX_LENGTH applies to all). Left out, as the
# shop sends none of them: payment_method_options[...], custom_fields[...],
# invoice_creation[...], invoice_settings[...] and shipping_options[...]. List items
# are written `[]`. Metadata limits (METADATA_*) are not in the spec either: they are
# Stripe's documented ones (docs.stripe.com/metadata: 50 keys, keys of 40 characters
# without square brackets, values of 500 characters).
DEFAULT_MAX_LENGTH: Final = 5000
MAX_LENGTHS: Final[dict[str, dict[str, int]]] = {
    "POST /v1/customers": {"email": 512, "name": 256, "phone": 20},
    "POST /v1/checkout/sessions": {
        "client_reference_id": 200,
        "custom_text[shipping_address][message]": 1000,
        "custom_text[submit][message]": 1000,
        "line_items[][price_data][product_data][description]": 40000,
        "payment_intent_data[description]": 1000,
        "payment_intent_data[statement_descriptor]": 22,
        "payment_intent_data[statement_descriptor_suffix]": 22,
        "setup_intent_data[description]": 1000,
        "subscription_data[description]": 500,
    },
    "POST /v1/payment_intents": {
        "description": 1000,
        "statement_descriptor": 22,
        "statement_descriptor_suffix": 22,
    },
    "POST /v1/payment_intents/*/capture": {
        "statement_descriptor": 22,
        "statement_descriptor_suffix": 22,
    },
}
METADATA_MAX_KEYS: Final = 50
METADATA_KEY_MAX_LENGTH: Final = 40
METADATA_VALUE_MAX_LENGTH: Final = 500

# Names the library's annotations use without importing them at run time.
_LOCALNS: Final[dict[str, Any]] = {"StripeContext": StripeContext, "Mapping": typing.Mapping}
_OPTIONS: Final = frozenset(RequestOptions.__annotations__)
_SCALARS: Final = (str, int, float, bool)
_INTEGER: Final = re.compile(r"-?[0-9]+")
_DECIMAL: Final = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_INDEX: Final = re.compile(r"\[[0-9]+\]")


@dataclass(frozen=True, slots=True)
class Problem:
    """Why Stripe would refuse the request: the error's message, param and code."""

    message: str
    param: str
    code: str | None = None


def endpoint_for(method: str, path: str) -> str | None:
    """The name of the endpoint in `ENDPOINTS` that `method` `path` is for, if any."""
    for name, (pattern, _) in ENDPOINTS.items():
        if name.startswith(method + " ") and pattern.fullmatch(path):
            return name
    return None


def check_params(method: str, path: str, params: Mapping[str, Any]) -> Problem | None:
    """The first parameter of the request that Stripe would refuse, or None.

    `params` is the request's form (POST) or query (GET) decoded into nested dicts and
    lists (tests.fake_stripe.parse_params)."""
    name = endpoint_for(method, path)
    if name is None:
        return None
    return _Walker(MAX_LENGTHS.get(name, {})).fields(ENDPOINTS[name][1], params, "", top=True)


@functools.cache
def _fields(typed_dict: Any) -> tuple[dict[str, Any], frozenset[str]]:
    hints = get_type_hints(typed_dict, localns=_LOCALNS, include_extras=True)
    return {k: _unwrap(v) for k, v in hints.items()}, frozenset(typed_dict.__required_keys__)


def _unwrap(tp: Any) -> Any:
    while get_origin(tp) in (typing.NotRequired, typing.Required, typing.Annotated):
        tp = get_args(tp)[0]
    return tp


def _is_typed_dict(tp: Any) -> bool:
    # Not typing.is_typeddict: the library's TypedDicts are typing_extensions' own class.
    return isinstance(tp, type) and issubclass(tp, dict) and hasattr(tp, "__required_keys__")


def _is_map(tp: Any) -> bool:
    return get_origin(tp) in (dict, Mapping, UntypedStripeObject) or tp in (
        dict,
        UntypedStripeObject,
    )


def _kind(tp: Any) -> str:
    """What a form value must look like for `tp`: "object", "list" or "scalar"."""
    if _is_typed_dict(tp) or _is_map(tp):
        return "object"
    if get_origin(tp) is list or tp is list:
        return "list"
    return "scalar"


def _value_kind(value: Any) -> str:
    return "object" if isinstance(value, dict) else "list" if isinstance(value, list) else "scalar"


def _child(param: str, key: str | int) -> str:
    return f"{param}[{key}]" if param else str(key)


def _shown(value: str) -> str:
    """A long value the way Stripe quotes it in an error: its ends."""
    return value if len(value) <= 20 else f"{value[:10]}...{value[-10:]}"


def _one_of(values: list[str]) -> str:
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + f", or {values[-1]}"


def _invalid_kind(tp: Any, value: Any, param: str) -> Problem:
    kind = _kind(tp)
    if kind == "object":
        return Problem("Invalid object", param, "parameter_invalid_object")
    if kind == "list":
        return Problem("Invalid array", param)
    return Problem(f"Invalid string: {json.dumps(value)}", param)


def _empty(param: str) -> Problem:
    return Problem(
        f"You passed an empty string for '{param}'. We assume empty values are an attempt to "
        f"unset a parameter; however '{param}' cannot be unset. You should remove '{param}' "
        "from your request or supply a non-empty value.",
        param,
        "parameter_invalid_empty",
    )


@dataclass(frozen=True, slots=True)
class _Walker:
    max_lengths: Mapping[str, int]

    def fields(
        self, typed_dict: Any, value: Any, param: str, *, top: bool = False
    ) -> Problem | None:
        if not isinstance(value, dict):
            return _invalid_kind(typed_dict, value, param)
        hints, required = _fields(typed_dict)
        if top:
            hints = {k: v for k, v in hints.items() if k not in _OPTIONS}
            required = required - _OPTIONS
        for key, item in value.items():
            where = _child(param, key)
            if key not in hints:
                return Problem(f"Received unknown parameter: {where}", where, "parameter_unknown")
            problem = self.value(hints[key], item, where)
            if problem is not None:
                return problem
        for key in sorted(required - value.keys()):
            where = _child(param, key)
            return Problem(f"Missing required param: {where}.", where, "parameter_missing")
        return None

    def value(self, tp: Any, value: Any, param: str) -> Problem | None:
        tp = _unwrap(tp)
        origin = get_origin(tp)
        if tp is Any or tp is object:
            return None
        if origin in (Union, types.UnionType):
            return self.union(get_args(tp), value, param)
        if origin is Literal:
            return self.union((tp,), value, param)
        if _is_typed_dict(tp):
            return self.fields(tp, value, param)
        if _is_map(tp):
            return self.mapping(tp, value, param)
        if origin is list or tp is list:
            return self.items(tp, value, param)
        if tp in _SCALARS:
            return self.scalar(tp, value, param)
        return None  # a type this walker does not know: accepted

    def union(self, options: tuple[Any, ...], value: Any, param: str) -> Problem | None:
        options = tuple(_unwrap(o) for o in options)
        literals = [str(v) for o in options if get_origin(o) is Literal for v in get_args(o)]
        others = [o for o in options if get_origin(o) is not Literal and o is not type(None)]
        if any(o is Any or o is object for o in others):
            return None
        kind = _value_kind(value)
        if kind == "scalar":
            if value == "":
                return None if "" in literals else _empty(param)
            enum = [v for v in literals if v != ""]
            scalars = [o for o in others if o in _SCALARS and (not enum or o is not str)]
            if enum and value in enum:
                return None
            if enum and not scalars:
                return Problem(f"Invalid {param}: must be one of {_one_of(enum)}", param)
            candidates = scalars or others
        else:
            # A list arrives for a map whose keys are all digits (parse_params): a map too.
            candidates = [
                o for o in others if _kind(o) == kind or (kind == "list" and _is_map(o))
            ] or others
        if not candidates:  # a dict or a list for an enum
            return Problem(f"Invalid string: {json.dumps(value)}", param)
        first: Problem | None = None
        for option in candidates:
            problem = self.value(option, value, param)
            if problem is None:
                return None
            first = first or problem
        return first

    def mapping(self, tp: Any, value: Any, param: str) -> Problem | None:
        if isinstance(value, list):
            value = {str(i): v for i, v in enumerate(value)}
        if not isinstance(value, dict):
            return _invalid_kind(tp, value, param)
        args = get_args(tp)
        value_type = args[-1] if args else str
        if _last(param) == "metadata":
            return self.metadata(value, param)
        for key, item in value.items():
            problem = self.value(value_type, item, _child(param, key))
            if problem is not None:
                return problem
        return None

    def metadata(self, value: dict[str, Any], param: str) -> Problem | None:
        if len(value) > METADATA_MAX_KEYS:  # the wording of this one is not Stripe's, unseen
            return Problem(
                f"Invalid {param}: at most {METADATA_MAX_KEYS} keys are allowed, "
                f"{len(value)} were given",
                param,
            )
        for key, item in value.items():
            if len(key) > METADATA_KEY_MAX_LENGTH or "[" in key or "]" in key:
                return Problem(
                    f"Invalid key: {key} must be a string under "
                    f"{METADATA_KEY_MAX_LENGTH} characters",
                    param,
                )
            if not isinstance(item, str) or len(item) > METADATA_VALUE_MAX_LENGTH:
                shown = item if isinstance(item, str) else json.dumps(item)
                return Problem(
                    f"Invalid val: {_shown(shown)} must be a string under "
                    f"{METADATA_VALUE_MAX_LENGTH} characters",
                    param,
                )
        return None

    def items(self, tp: Any, value: Any, param: str) -> Problem | None:
        if not isinstance(value, list):
            return _invalid_kind(tp, value, param)
        args = get_args(tp)
        for i, item in enumerate(value):
            problem = self.value(args[0] if args else Any, item, _child(param, i))
            if problem is not None:
                return problem
        return None

    def scalar(self, tp: Any, value: Any, param: str) -> Problem | None:
        if not isinstance(value, str):
            return _invalid_kind(tp, value, param)
        if value == "":
            return _empty(param)
        if tp is int and not _INTEGER.fullmatch(value):
            return Problem(f"Invalid integer: {_shown(value)}", param, "parameter_invalid_integer")
        if tp is float and not _DECIMAL.fullmatch(value):
            return Problem(f"Invalid decimal: {_shown(value)}", param)
        if tp is bool and value not in ("true", "false"):
            return Problem(f"Invalid boolean: {_shown(value)}", param)
        limit = self.max_lengths.get(_INDEX.sub("[]", param), DEFAULT_MAX_LENGTH)
        if tp is str and len(value) > limit:
            return Problem(
                f"Invalid string: {_shown(value)}; must be at most {limit} characters", param
            )
        return None


def _last(param: str) -> str:
    """``payment_intent_data[capture_method]`` -> ``capture_method``."""
    return param.rsplit("[", 1)[-1].rstrip("]")
