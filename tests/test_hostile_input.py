"""Hostile input, property-based: every form and every htmx endpoint of our own apps
(farms, orders, baskets, settlements, and Stripe's webhook; not allauth or the admin)
gets random, hostile values. Card payment runs against the fake Stripe
(tests/fake_stripe.py) or without Stripe at all; no request leaves the machine.

What is thrown at them: negative and huge numbers (10**30, "1e309", "NaN", "sNaN",
"Infinity"), non-numbers, unicode (RTL marks, emoji, NUL, combining characters), strings
of 10,000+ characters, random bytes as files, and the ids of other people's objects
(another customer's order, another farm's product, offer and slug).

What must hold for every example:

- the answer is never a 5xx (the test client does not re-raise: a crash is a failing
  example, reported with the last frames of its traceback);
- nobody else's data changes: the rows of the other customer, the other farm, the other
  windows... are snapshot before the request and compared after;
- stock adds up: for every offer, quantity - remaining == the units in order lines;
- clearly invalid numbers on htmx endpoints and forms are refused with a 4xx.

Each example runs in a savepoint rolled back afterwards, so examples do not pile up and
a failing example replays the same. Examples are derandomized (no example database) so
CI is reproducible. Ids are drawn as ``Ref("name")`` (an object of the world, see
``World.ids``) or as raw integers, so a failing example reads the same on any database.
"""

import csv
import hashlib
import hmac
import io
import json
import os
import time as clock
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import pytest
from django.contrib.messages import get_messages
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import QuerySet, Sum
from django.http import HttpResponse
from django.test import Client, override_settings
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from hypothesis import HealthCheck, Phase, event, example, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from PIL import Image

from accounts.models import User
from farms.models import Category, Certification, Farm, Product, Region, TaxClass, Unit
from orders import basket as basket_service
from orders import services
from orders.models import (
    CoopSettings,
    Offer,
    Order,
    OrderLine,
    OrderWindow,
    Payment,
    PickupPoint,
    PickupSlot,
    Refund,
    WebhookEvent,
)
from payments import ledger, refunds
from pickup import tasks
from settlements.models import FarmStatement, Settlement, WriteOff
from tests import factories
from tests.fake_stripe import FakeStripe

pytestmark = pytest.mark.django_db

# HOSTILE_EXAMPLES=500 explores further (still derandomized: the same run every time).
EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "40"))
HOSTILE = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    # No "explain" phase: it replays a failing example hundreds of times (a minute).
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FEW = settings(HOSTILE, max_examples=max(25, EXAMPLES * 5 // 8))

# --------------------------------------------------------------------------------------
# Hostile values
# --------------------------------------------------------------------------------------

HOSTILE_NUMBERS = (
    "-1",
    "-0",
    "0",
    "1",
    "-999999",
    str(10**30),
    str(-(10**30)),
    "2147483648",
    "9223372036854775808",
    "-9223372036854775809",
    "1e309",
    "-1e309",
    "1e-400",
    "1e3",
    "NaN",
    "-NaN",
    "nan",
    "sNaN",
    "-sNaN",
    "Infinity",
    "-Infinity",
    "inf",
    "1.5",
    "0.001",
    "4,50",
    "4,50 $",
    "$4.50",
    "1,234.50",
    "1 000",
    "1\u00a0000",
    "0x1F",
    "1_000",
    "\u0661\u0662",  # Arabic-Indic digits
    "\uff11\uff12",  # full-width digits
    "\u22125",  # a real minus sign
    "+1",
    " 3 ",
    "9" * 5000,  # over Python's int-from-str digit limit
)
HOSTILE_STRINGS = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "\u202e\u2066evil\u2069",  # RTL override, isolates
    "\u200f\u200e",
    "\ufeff",
    "\uffff",
    "🥕🧅👩‍🌾" * 3,
    "e\u0301\u0301\u0301\u0301",  # stacked combining accents
    "Z\u0334\u0321\u031b\u0316a\u0337l\u0338g\u0336o\u0335",
    "<script>alert(1)</script>",
    "' OR '1'='1' --",
    "{{ request }}{% debug %}",
    "%s%s%(x)s%n",
    "../../../etc/passwd",
    "\r\nSet-Cookie: x=1",
    "javascript:alert(1)",
    "//evil.example",
    "https://evil.example/",
    "\\\\evil.example",
    "null",
    "None",
    "[]",
)
EVIL_URLS = (
    "https://evil.example/",
    "//evil.example/",
    "///evil.example",
    "\\\\evil.example",
    "/\\evil.example",
    "http:/evil.example",
    "javascript:alert(1)",
    "\x00/evil",
    " //evil.example",
    "/shop/?q=\u202e",
    "/shop/\r\nLocation: https://evil.example/",
)


def _first(values: tuple[Any]) -> Any:
    return values[0]


def either(*strategies: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Each strategy as likely as the others. (st.one_of flattens the branches of the
    strategies inside it, even through .map(), so a strategy of seven branches would come
    seven times as often as a Ref; a tuple has no branches to flatten.)"""
    return st.one_of(*(st.tuples(s).map(_first) for s in strategies))


LONG_TEXT = st.builds(
    lambda chunk, n: chunk * n,
    st.sampled_from(["A", "é", "🥕", "\u202e", "e\u0301", "9", "\x00", "<>", "1,"]),
    st.integers(min_value=10_000, max_value=12_000),
)
ANY_TEXT = either(
    st.sampled_from(HOSTILE_NUMBERS),
    st.sampled_from(HOSTILE_STRINGS),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats().map(repr),
    st.text(max_size=40),
    LONG_TEXT,
)
NUMBER_TEXT = either(
    st.sampled_from(HOSTILE_NUMBERS),
    st.sampled_from(HOSTILE_NUMBERS),
    st.sampled_from(HOSTILE_NUMBERS),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.integers(min_value=0, max_value=50).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats().map(repr),
    ANY_TEXT,
)
LETTERS = st.text(
    alphabet=st.characters(categories=["L", "So", "Sm", "Mn"], exclude_characters="+"),
    min_size=1,
    max_size=20,
)
# Never a whole number from 0 to 999, whatever the parser: for the basket's quantity.
BAD_BASKET_QUANTITY = either(
    st.integers(max_value=-1).map(str),
    st.integers(min_value=1000, max_value=10**40).map(str),
    st.sampled_from(
        (
            "NaN",
            "sNaN",
            "-sNaN",
            "Infinity",
            "-Infinity",
            "inf",
            "1e309",
            "-1e309",
            "1e3",
            "1.5",
            "0.5",
            "-0.5",
            "deux",
            "\x00",
            "1\x00",
            "🥕",
            "0x10",
            "\u202e5",
            "5\u200f",
            "9" * 5000,
            "1" * 10_001,
        )
    ),
    LETTERS,
)
# Never a whole number from 0 to 100,000: for a row of the farmer's stock grid.
BAD_STOCK_QUANTITY = either(
    st.integers(max_value=-1).map(str),
    st.integers(min_value=100_001, max_value=10**40).map(str),
    st.sampled_from(
        ("NaN", "-NaN", "Infinity", "-Infinity", "1e309", "1.5", "0,5", "douze", "\x00", "🥕")
    ),
    LETTERS,
)
ANY_BYTES = either(st.binary(max_size=3000), st.text(max_size=300).map(str.encode))


@dataclass(frozen=True)
class Ref:
    """An object of the world, by name: resolved to its id when the request is made."""

    name: str

    def __repr__(self) -> str:
        return f"Ref({self.name!r})"


def refs(*names: str) -> st.SearchStrategy[Ref]:
    return st.sampled_from([Ref(n) for n in names])


# Where integer columns end: 32-bit (PostgreSQL's integer), 64-bit (bigint, SQLite), beyond.
BOUNDARY_IDS = (0, 2**31 - 1, 2**31, 2**63 - 1, 2**63, 10**30)


def id_or_int(*names: str) -> st.SearchStrategy[Ref | int]:
    """For URL path ids (<int:...> takes digits only): a world object or any int ≥ 0."""
    return either(
        refs(*names),
        st.integers(min_value=0, max_value=10**30),
        st.sampled_from(BOUNDARY_IDS),
    )


def id_or_text(*names: str) -> st.SearchStrategy[Ref | str]:
    """For POST fields that name an object: a world object's id or anything at all."""
    return either(refs(*names), ANY_TEXT)


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """None means the field is not sent at all (now and then: a branch among many)."""
    return st.one_of(st.none(), strategy)


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (2, 2), "orange").save(out, format="PNG")
    return out.getvalue()


PHOTO = either(
    st.none(),
    st.tuples(st.sampled_from(["photo.png", "../../x.jpg", "\u202egnp.exe", "a" * 300]), ANY_BYTES),
    st.tuples(st.just("real.png"), st.just(png_bytes())),
)

# --------------------------------------------------------------------------------------
# The world: two customers, two farms, four windows, orders in the open and closed ones
# --------------------------------------------------------------------------------------

Snapshot = tuple[Any, ...]
ROLES = ("anonymous", "customer", "other_customer", "farmer", "other_farmer", "coordinator")


@dataclass(repr=False)
class World:
    customer: User
    other_customer: User
    farmer: User
    other_farmer: User
    coordinator: User
    farm: Farm
    other_farm: Farm
    open_window: OrderWindow
    upcoming_window: OrderWindow
    closed_window: OrderWindow
    cancelled_window: OrderWindow
    ids: dict[str, int] = field(default_factory=dict)
    slugs: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        return "world"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # Hypothesis's printer
        printer.text("world")

    def id(self, value: Ref | int | str) -> str:
        """The value as a request sends it: a Ref becomes its object's id."""
        if isinstance(value, Ref):
            return str(self.ids[value.name])
        return str(value)

    def slug(self, value: Ref | str) -> str:
        """A Ref becomes its object's slug; any other text is put in the URL quoted."""
        if isinstance(value, Ref):
            return self.slugs[value.name]
        return quote(value, safe="") or "-"

    def user(self, role: str) -> User | None:
        return None if role == "anonymous" else getattr(self, role)


@pytest.fixture(autouse=True)
def _stripe_unreachable() -> Iterator[None]:
    """No Stripe unless a test asks for the fake one: no keys, and an address that
    refuses at once, so no request of these tests ever leaves the machine."""
    with override_settings(
        STRIPE_SECRET_KEY="", STRIPE_WEBHOOK_SECRET="", STRIPE_API_BASE="http://127.0.0.1:9"
    ):
        yield


@pytest.fixture
def world() -> World:
    now = timezone.now()
    customer = factories.user(first_name="Léa")
    other_customer = factories.user(first_name="Autre")
    farm = factories.farm(name="Ferme du Rang", slug="ferme-du-rang", email="rang@example.org")
    other_farm = factories.farm(name="Fromagerie Voisine", slug="fromagerie-voisine")
    farmer = factories.farmer(farm_=farm)
    other_farmer = factories.farmer(farm_=other_farm)
    cert = Certification.objects.create(name="Biologique Canada", slug="bio")
    other_cert = Certification.objects.create(name="Bien-être animal", slug="bien-etre")
    farm.certifications.add(cert)
    other_farm.certifications.add(other_cert)

    closed_window = factories.window(
        opens_at=now - timedelta(days=10),
        closes_at=now - timedelta(days=6),
        pickup_date=(now - timedelta(days=4)).date(),
        status=OrderWindow.Status.CLOSED,
    )
    open_window = factories.window()
    upcoming_window = factories.window(
        opens_at=now + timedelta(days=7),
        closes_at=now + timedelta(days=10),
        pickup_date=(now + timedelta(days=12)).date(),
    )
    cancelled_window = factories.window(
        opens_at=now + timedelta(days=14),
        closes_at=now + timedelta(days=17),
        pickup_date=(now + timedelta(days=19)).date(),
        status=OrderWindow.Status.CANCELLED,
    )

    product = factories.product(farm_=farm, name="Carottes", price=Decimal("3.50"))
    package_product = factories.product(
        farm_=farm, name="Ail", unit=Unit.PACKAGE, package_size="500 g", price=Decimal("6.00")
    )
    inactive_product = factories.product(farm_=farm, name="Panais", is_active=False)
    other_product = factories.product(
        farm_=other_farm, name="Fromage", price=Decimal("9.00"), tax_class=TaxClass.ZERO_RATED
    )

    offer = factories.offer(window_=open_window, product_=product, quantity=20)
    other_offer = factories.offer(window_=open_window, product_=other_product, quantity=20)
    upcoming_offer = factories.offer(window_=upcoming_window, product_=product, quantity=5)
    closed_offer = factories.offer(window_=closed_window, product_=product, quantity=10)
    closed_other_offer = factories.offer(window_=closed_window, product_=other_product, quantity=10)

    point = factories.pickup_point(name="Marché Jean-Talon")
    slotted_point = factories.pickup_point(name="Plateau")
    slot = PickupSlot.objects.create(
        pickup_point=slotted_point, starts_at=time(16), ends_at=time(17), capacity=5
    )
    full_slot = PickupSlot.objects.create(
        pickup_point=slotted_point, starts_at=time(17), ends_at=time(18), capacity=1
    )
    inactive_point = factories.pickup_point(name="Fermé", is_active=False)

    # The closed week: the customer's previous order (picked up), the other's (locked).
    customer_previous = factories.order(
        window_=closed_window,
        customer=customer,
        status=Order.Status.PICKED_UP,
        pickup_point=point,
        confirmed_at=now - timedelta(days=8),
    )
    other_locked = factories.order(
        window_=closed_window,
        customer=other_customer,
        status=Order.Status.LOCKED,
        pickup_point=point,
        confirmed_at=now - timedelta(days=7),
    )
    for order, line_offer, units in (
        (customer_previous, closed_offer, 2),
        (customer_previous, closed_other_offer, 1),
        (other_locked, closed_offer, 3),
    ):
        OrderLine.objects.create(
            order=order,
            offer=line_offer,
            quantity=units,
            unit_price=line_offer.price,
            tax_class=TaxClass.ZERO_RATED,
        )
        Offer.objects.filter(pk=line_offer.pk).update(remaining=line_offer.remaining - units)
        line_offer.refresh_from_db()

    # The open week: the other customer confirmed (and took the full slot's place);
    # the customer has a basket.
    basket_service.basket_line_set(
        customer_id=other_customer.pk, offer_id=offer.pk, quantity=3, now=now
    )
    basket_service.basket_line_set(
        customer_id=other_customer.pk, offer_id=other_offer.pk, quantity=1, now=now
    )
    other_order = basket_service.order_confirm(
        customer_id=other_customer.pk,
        window_id=open_window.pk,
        pickup_point_id=slotted_point.pk,
        pickup_slot_id=full_slot.pk,
        language="fr-ca",
        now=now,
    )
    basket_service.basket_line_set(customer_id=customer.pk, offer_id=offer.pk, quantity=2, now=now)
    customer_order = Order.objects.get(customer=customer, window=open_window)

    # Money: the other's open order is held on a card, their locked one paid by card;
    # the customer's previous order is a card order still owing (an old page expired).
    Order.objects.filter(pk__in=[other_order.pk, other_locked.pk, customer_previous.pk]).update(
        payment_method=Payment.Method.CARD
    )
    card = {"method": Payment.Method.CARD, "stripe_customer_id": "cus_hostile"}
    Payment.objects.create(
        order=other_order,
        kind=Payment.Kind.HOLD,
        status=Payment.Status.AUTHORIZED,
        amount_authorized=Decimal("19.50"),
        stripe_checkout_session_id="cs_other_hold",
        stripe_payment_intent_id="pi_other_hold",
        **card,
    )
    other_paid = Payment.objects.create(
        order=other_locked,
        kind=Payment.Kind.CHARGE,
        status=Payment.Status.CAPTURED,
        amount_requested=closed_offer.price * 4,
        amount_captured=closed_offer.price * 4,
        amount_refunded=closed_offer.price,
        stripe_payment_intent_id="pi_other_locked",
        **card,
    )
    Refund.objects.create(
        payment=other_paid,
        amount=closed_offer.price,
        reason=Refund.Reason.SHORTAGE,
        status=Refund.Status.SUCCEEDED,
        stripe_refund_id="re_other_locked",
    )
    Payment.objects.create(
        order=customer_previous,
        kind=Payment.Kind.LINK,
        status=Payment.Status.CANCELLED,
        stripe_checkout_session_id="cs_customer_expired",
        **card,
    )

    # A settled week: the other customer bought from both farms and paid cash; the other
    # farm's payout is marked paid, the farm's is not.
    settled_window = factories.window(
        opens_at=now - timedelta(days=24),
        closes_at=now - timedelta(days=20),
        pickup_date=(now - timedelta(days=18)).date(),
        status=OrderWindow.Status.CLOSED,
    )
    settled_order = factories.order(
        window_=settled_window,
        customer=other_customer,
        status=Order.Status.PICKED_UP,
        pickup_point=point,
        confirmed_at=now - timedelta(days=22),
    )
    for line_product, units in ((product, 2), (other_product, 1)):
        settled_offer = factories.offer(window_=settled_window, product_=line_product, quantity=5)
        OrderLine.objects.create(
            order=settled_order,
            offer=settled_offer,
            quantity=units,
            unit_price=settled_offer.price,
            tax_class=TaxClass.ZERO_RATED,
        )
        Offer.objects.filter(pk=settled_offer.pk).update(remaining=5 - units)
    Payment.objects.create(
        order=settled_order,
        method=Payment.Method.AT_PICKUP,
        kind=Payment.Kind.CASH,
        status=Payment.Status.COLLECTED,
        amount_captured=Decimal("16.00"),
    )
    settlement = Settlement.objects.create(
        window=settled_window,
        settled_at=now - timedelta(days=17),
        orders_counted=1,
        cash_collected=Decimal("16.00"),
        money_in=Decimal("16.00"),
        gross=Decimal("16.00"),
        margin=Decimal("2.40"),
        net_due=Decimal("13.60"),
    )
    statements = {}
    for name, statement_farm, gross, margin in (
        ("statement", farm, "7.00", "1.05"),
        ("other_statement", other_farm, "9.00", "1.35"),
    ):
        statement = FarmStatement(
            settlement=settlement,
            farm=statement_farm,
            units=2 if statement_farm == farm else 1,
            gross=Decimal(gross),
            margin_rate=Decimal("15.00"),
            margin=Decimal(margin),
            net_due=Decimal(gross) - Decimal(margin),
        )
        statement.pdf.save(f"{name}.pdf", ContentFile(b"%PDF-1.4 hostile"), save=False)
        statement.csv.save(f"{name}.csv", ContentFile(b"product,units\r\n"), save=False)
        if statement_farm == other_farm:
            statement.paid_on = settled_window.pickup_date + timedelta(days=1)
            statement.payout_reference = "VIR-1"
        statement.save()
        statements[name] = statement

    w = World(
        customer=customer,
        other_customer=other_customer,
        farmer=farmer,
        other_farmer=other_farmer,
        coordinator=factories.coordinator(),
        farm=farm,
        other_farm=other_farm,
        open_window=open_window,
        upcoming_window=upcoming_window,
        closed_window=closed_window,
        cancelled_window=cancelled_window,
    )
    objects: dict[str, Any] = {
        "product": product,
        "package_product": package_product,
        "inactive_product": inactive_product,
        "other_product": other_product,
        "offer": offer,
        "other_offer": other_offer,
        "upcoming_offer": upcoming_offer,
        "closed_offer": closed_offer,
        "closed_other_offer": closed_other_offer,
        "customer_order": customer_order,
        "customer_previous": customer_previous,
        "other_order": other_order,
        "other_locked": other_locked,
        "open_window": open_window,
        "upcoming_window": upcoming_window,
        "closed_window": closed_window,
        "cancelled_window": cancelled_window,
        "point": point,
        "slotted_point": slotted_point,
        "inactive_point": inactive_point,
        "slot": slot,
        "full_slot": full_slot,
        "cert": cert,
        "other_cert": other_cert,
        "farm": farm,
        "other_farm": other_farm,
        "settled_window": settled_window,
        "settled_order": settled_order,
        "settlement": settlement,
        **statements,
    }
    w.ids = {name: obj.pk for name, obj in objects.items()}
    w.slugs = {
        "farm": farm.slug,
        "other_farm": other_farm.slug,
        "cert": "bio",
        "other_cert": "bien-etre",
    }
    return w


class Clients:
    """A client per role, signed in before any example (a session opened inside an
    example's savepoint would be rolled back with it); it never re-raises a crash."""

    def __init__(self, world: World) -> None:
        self.made: dict[str, Client] = {}
        for role in ROLES:
            client = Client(raise_request_exception=False)
            user = world.user(role)
            if user is not None:
                client.force_login(user)
            self.made[role] = client

    def __call__(self, role: str) -> Client:
        return self.made[role]

    def __repr__(self) -> str:
        return "clients"


@pytest.fixture
def clients(world: World) -> Clients:
    return Clients(world)


# --------------------------------------------------------------------------------------
# Requests, snapshots and properties
# --------------------------------------------------------------------------------------


@contextmanager
def rolled_back() -> Iterator[None]:
    """One example's writes, undone after it (the world stays as it was built)."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def send(
    client: Client,
    method: str,
    url: str,
    data: Any = None,
    *,
    htmx: bool = False,
    headers: dict[str, str] | None = None,
    content_type: str | None = None,
) -> HttpResponse:
    """The request, checked: a 5xx fails the example with the end of the traceback."""
    extra: dict[str, Any] = {"HTTP_ACCEPT_LANGUAGE": "en", **(headers or {})}
    if htmx:
        extra["HTTP_HX_REQUEST"] = "true"
    if content_type is not None:  # a raw body (bytes), as a webhook sends it
        extra["content_type"] = content_type
    if method == "get":
        response = client.get(url, data or {}, **extra)
    else:
        response = client.post(url, data if content_type else (data or {}), **extra)
    if currently_in_test_context():
        event(f"{method.upper()} answered {response.status_code}")
    if response.status_code >= 500:
        exc_info = getattr(response, "exc_info", None)
        frames = _last_frames(exc_info[1]) if exc_info else ""
        raise AssertionError(
            f"{method.upper()} {url[:300]} answered {response.status_code}\n"
            f"data: {_short(data)}\n{frames}"
        )
    return response  # type: ignore[return-value]


def _last_frames(error: BaseException) -> str:
    """The project's own frames (where the fix belongs), the call into the library,
    the last frames, and the error."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [
        i
        for i, f in enumerate(frames)
        if "/.venv/" not in f.filename and "/tests/" not in f.filename
    ]
    shown = sorted({*ours[-4:], *([ours[-1] + 1] if ours else []), *range(len(frames))[-3:]})
    lines = traceback.format_list([frames[i] for i in shown if i < len(frames)])
    return "".join([*lines, *traceback.format_exception_only(error)])


def _short(data: Any) -> str:
    text = repr(data)
    return text if len(text) < 2000 else text[:2000] + "…"


def _form(data: dict[str, Any]) -> dict[str, Any]:
    """Fields that are None are not sent."""
    return {k: v for k, v in data.items() if v is not None}


def _as_pk(text: str) -> int | None:
    """The id a text names, as Django's pk lookups read it (int()), else None."""
    try:
        value = int(text) if len(text) < 30 else None
    except ValueError:
        return None
    return value if value is not None and 0 < value < 2**63 else None


def rows(queryset: QuerySet[Any], *fields: str) -> Snapshot:
    return tuple(queryset.order_by("pk").values_list("pk", *fields))


def customer_rows(user: User) -> Snapshot:
    return (
        rows(
            Order.objects.filter(customer=user),
            "window_id",
            "status",
            "pickup_point_id",
            "pickup_slot_id",
            "language",
            "confirmed_at",
            "released",
        ),
        rows(
            OrderLine.objects.filter(order__customer=user),
            "order_id",
            "offer_id",
            "quantity",
            "unit_price",
            "tax_class",
            "shortage",
        ),
        payment_rows(Payment.objects.filter(order__customer=user)),
        rows(
            Refund.objects.filter(payment__order__customer=user),
            "payment_id",
            "amount",
            "reason",
            "status",
        ),
    )


def payment_rows(queryset: QuerySet[Payment]) -> Snapshot:
    return rows(
        queryset,
        "order_id",
        "method",
        "kind",
        "status",
        "amount_authorized",
        "amount_requested",
        "amount_captured",
        "amount_refunded",
        "stripe_payment_intent_id",
        "stripe_checkout_session_id",
        "checkout_url",
        "recorded_by_id",
    )


def settlement_rows() -> Snapshot:
    """The settled weeks, the farms' statements and payouts, the write-offs."""
    return (
        rows(Settlement.objects.all(), "window_id", "money_in", "gross", "margin", "net_due"),
        rows(
            FarmStatement.objects.all(),
            "settlement_id",
            "farm_id",
            "gross",
            "margin",
            "net_due",
            "pdf",
            "csv",
            "paid_on",
            "payout_reference",
            "paid_marked_by_id",
        ),
        rows(WriteOff.objects.all(), "order_id", "amount", "reason"),
    )


def farm_rows(farm: Farm) -> Snapshot:
    return (
        rows(
            Farm.objects.filter(pk=farm.pk),
            "name",
            "slug",
            "region",
            "town",
            "description",
            "practices",
            "photo",
            "email",
            "phone",
            "website",
            "language",
            "is_active",
        ),
        tuple(farm.certifications.order_by("pk").values_list("pk", flat=True)),
        rows(
            Product.objects.filter(farm=farm),
            "name",
            "category",
            "description",
            "unit",
            "package_size",
            "price",
            "tax_class",
            "photo",
            "is_active",
            "default_quantity",
        ),
        rows(
            Offer.objects.filter(product__farm=farm), "window_id", "product_id", "quantity", "price"
        ),
    )


def window_rows(queryset: QuerySet[OrderWindow] | None = None) -> Snapshot:
    queryset = OrderWindow.objects.all() if queryset is None else queryset
    return rows(queryset, "opens_at", "closes_at", "pickup_date", "status", "note")


def all_orders() -> Snapshot:
    return (
        rows(Order.objects.all(), "customer_id", "window_id", "status", "pickup_point_id"),
        rows(OrderLine.objects.all(), "order_id", "offer_id", "quantity", "shortage"),
    )


def everything(world: World) -> Snapshot:
    return (
        *shop_and_money(world),
        settlement_rows(),
        rows(WebhookEvent.objects.all(), "event_id", "type", "processed_at"),
    )


def shop_and_money(world: World) -> Snapshot:
    """Everything but the settlements and Stripe's stored events."""
    return (
        customer_rows(world.customer),
        customer_rows(world.other_customer),
        farm_rows(world.farm),
        farm_rows(world.other_farm),
        rows(Offer.objects.all(), "remaining"),
        window_rows(),
        rows(CoopSettings.objects.all(), "basket_hold_minutes", "minimum_order_amount"),
        rows(PickupPoint.objects.all(), "name", "is_active"),
        rows(PickupSlot.objects.all(), "capacity"),
        payment_rows(Payment.objects.all()),
        rows(Refund.objects.all(), "payment_id", "amount", "status"),
    )


def assert_stock_adds_up() -> None:
    """Never oversold, never lost: what left an offer is in its order lines."""
    taken = dict(
        OrderLine.objects.order_by()
        .values("offer_id")
        .annotate(units=Sum("quantity"))
        .values_list("offer_id", "units")
    )
    for pk, quantity, remaining in Offer.objects.values_list("pk", "quantity", "remaining"):
        assert 0 <= remaining <= quantity, (pk, quantity, remaining)
        assert quantity - remaining == taken.get(pk, 0), (pk, quantity, remaining, taken)


def assert_local_redirect(response: HttpResponse) -> None:
    if response.status_code in (301, 302, 303, 307, 308):
        location = response["Location"]
        assert url_has_allowed_host_and_scheme(location, allowed_hosts={"testserver"}), location


# --------------------------------------------------------------------------------------
# Customers: the shop's filters, the basket (htmx and plain), checkout, repeat, cancel
# --------------------------------------------------------------------------------------


@HOSTILE
@given(
    role=st.sampled_from(["anonymous", "customer"]),
    q=maybe(ANY_TEXT),
    farm=maybe(either(refs("farm", "other_farm"), ANY_TEXT)),
    category=maybe(either(st.sampled_from(Category.values), ANY_TEXT)),
    certification=maybe(either(refs("cert", "other_cert"), ANY_TEXT)),
    htmx=st.booleans(),
)
def test_shop_filters(
    world: World,
    clients: Clients,
    role: str,
    q: str | None,
    farm: Ref | str | None,
    category: str | None,
    certification: Ref | str | None,
    htmx: bool,
) -> None:
    params = _form(
        {
            "q": q,
            "farm": world.slugs[farm.name] if isinstance(farm, Ref) else farm,
            "category": category,
            "certification": (
                world.slugs[certification.name] if isinstance(certification, Ref) else certification
            ),
        }
    )
    with rolled_back():
        before = everything(world)
        response = send(clients(role), "get", "/shop/", params, htmx=htmx)
        assert response.status_code == 200
        assert everything(world) == before


@HOSTILE
@given(
    offer=id_or_int("offer", "other_offer", "upcoming_offer", "closed_offer"),
    delta=maybe(either(st.sampled_from(["1", "-1"]), NUMBER_TEXT)),
    quantity=maybe(NUMBER_TEXT),
    next_url=maybe(either(st.sampled_from(EVIL_URLS), ANY_TEXT)),
    where=maybe(either(st.sampled_from(["shop", "basket"]), ANY_TEXT)),
    htmx=st.booleans(),
)
def test_basket_line_update(
    world: World,
    clients: Clients,
    offer: Ref | int,
    delta: str | None,
    quantity: str | None,
    next_url: str | None,
    where: str | None,
    htmx: bool,
) -> None:
    url = f"/basket/lines/{world.id(offer)}/"
    data = _form({"delta": delta, "quantity": quantity, "next": next_url, "where": where})
    with rolled_back():
        others = (customer_rows(world.other_customer), farm_rows(world.farm), window_rows())
        others_offers = farm_rows(world.other_farm)
        response = send(clients("customer"), "post", url, data, htmx=htmx)
        if htmx:
            assert response.status_code in (200, 404, 409, 422), response.status_code
        else:
            assert response.status_code in (200, 302, 404, 409, 422), response.status_code
            assert_local_redirect(response)
        assert (
            customer_rows(world.other_customer),
            farm_rows(world.farm),
            window_rows(),
        ) == others
        assert farm_rows(world.other_farm) == others_offers
        own = OrderLine.objects.filter(order__customer=world.customer)
        assert all(0 < line.quantity <= basket_service.MAX_UNITS_PER_LINE for line in own)
        assert_stock_adds_up()


@HOSTILE
@given(
    offer=refs("offer", "other_offer", "upcoming_offer", "closed_offer"),
    quantity=BAD_BASKET_QUANTITY,
    delta=maybe(either(st.sampled_from(["1", "-1"]), ANY_TEXT)),
    htmx=st.booleans(),
)
def test_basket_line_update_refuses_clearly_invalid_quantities(
    world: World,
    clients: Clients,
    offer: Ref,
    quantity: str,
    delta: str | None,
    htmx: bool,
) -> None:
    url = f"/basket/lines/{world.id(offer)}/"
    with rolled_back():
        before = everything(world)
        response = send(
            clients("customer"),
            "post",
            url,
            _form({"quantity": quantity, "delta": delta}),
            htmx=htmx,
        )
        assert response.status_code == 422, response.status_code
        assert everything(world) == before  # a refused change changes nothing at all


@contextmanager
def stripe(fake: FakeStripe, on: bool) -> Iterator[None]:
    """Card payment set up against the fake Stripe (on), or not set up at all (off: no
    secret key; the fake's address stays, so a stray call still goes nowhere else)."""
    with override_settings(
        STRIPE_SECRET_KEY="sk_test_fake" if on else "",
        STRIPE_PUBLISHABLE_KEY="pk_test_fake" if on else "",
        STRIPE_API_BASE=fake.base_url,
    ):
        yield


def _to_stripe(response: HttpResponse, fake: FakeStripe) -> bool:
    """The answer sends the customer to the (fake) Stripe's Checkout page."""
    return response.status_code == 302 and response["Location"].startswith(fake.base_url)


PAYMENT_METHOD = either(st.none(), st.sampled_from(["card", "at_pickup"]), ANY_TEXT)


@HOSTILE
@given(
    pickup_point=either(st.none(), refs("point", "slotted_point", "inactive_point"), ANY_TEXT),
    pickup_slot=either(st.none(), refs("slot", "full_slot"), ANY_TEXT),
    language=either(st.none(), st.sampled_from(["fr-ca", "en"]), ANY_TEXT),
    payment_method=PAYMENT_METHOD,
    stripe_on=st.booleans(),
)
def test_checkout(
    world: World,
    clients: Clients,
    fake_stripe: FakeStripe,
    pickup_point: Ref | str | None,
    pickup_slot: Ref | str | None,
    language: str | None,
    payment_method: str | None,
    stripe_on: bool,
) -> None:
    data = _form(
        {
            "pickup_point": None if pickup_point is None else world.id(pickup_point),
            "pickup_slot": None if pickup_slot is None else world.id(pickup_slot),
            "language": language,
            "payment_method": payment_method,
        }
    )
    with rolled_back(), stripe(fake_stripe, stripe_on):
        before = (customer_rows(world.other_customer), farm_rows(world.farm), window_rows())
        methods = services.payment_methods_offered()
        response = send(clients("customer"), "post", "/checkout/", data)
        assert response.status_code in (302, 422), response.status_code
        active_points = {world.ids["point"], world.ids["slotted_point"]}
        if pickup_point is None or _as_pk(world.id(pickup_point)) not in active_points:
            assert response.status_code == 422
        if language not in ("fr-ca", "en"):
            assert response.status_code == 422
        if payment_method not in (None, "", *methods) or (not payment_method and len(methods) > 1):
            assert response.status_code == 422  # card without Stripe, or anything else
        order = Order.objects.get(pk=world.ids["customer_order"])
        if response.status_code == 302:
            assert order.status == Order.Status.CONFIRMED
            assert order.language in ("fr-ca", "en")
            assert order.pickup_point is not None
            assert order.pickup_point.is_active
            assert order.pickup_slot_id != world.ids["full_slot"]  # it was full
            assert order.payment_method in methods
            if _to_stripe(response, fake_stripe):
                assert order.payment_method == Payment.Method.CARD
            else:
                assert_local_redirect(response)
        else:
            assert order.status == Order.Status.BASKET
            assert not order.payments.exists()
        assert (
            customer_rows(world.other_customer),
            farm_rows(world.farm),
            window_rows(),
        ) == before
        assert_stock_adds_up()


@FEW
@given(
    role=st.sampled_from(["customer", "other_customer", "farmer", "coordinator"]),
    extra=st.dictionaries(st.text(max_size=20), ANY_TEXT, max_size=4),
)
def test_basket_repeat(world: World, clients: Clients, role: str, extra: dict[str, str]) -> None:
    with rolled_back():
        user = world.user(role)
        assert user is not None
        others = [u for u in (world.customer, world.other_customer) if u != user]
        before = tuple(customer_rows(u) for u in others)
        before_catalogue = (farm_rows(world.farm), farm_rows(world.other_farm), window_rows())
        response = send(clients(role), "post", "/basket/repeat/", extra)
        assert response.status_code == 302
        assert tuple(customer_rows(u) for u in others) == before
        assert (farm_rows(world.farm), farm_rows(world.other_farm), window_rows()) == (
            before_catalogue
        )
        assert_stock_adds_up()


@HOSTILE
@given(
    order=id_or_int("customer_order", "customer_previous", "other_order", "other_locked"),
    extra=st.dictionaries(st.text(max_size=20), ANY_TEXT, max_size=3),
)
def test_order_cancel(
    world: World, clients: Clients, order: Ref | int, extra: dict[str, str]
) -> None:
    with rolled_back():
        before = (customer_rows(world.other_customer), farm_rows(world.farm), window_rows())
        previous = customer_rows(world.customer)
        own = set(Order.objects.filter(customer=world.customer).values_list("pk", flat=True))
        response = send(clients("customer"), "post", f"/my/orders/{world.id(order)}/cancel/", extra)
        if int(world.id(order)) not in own:
            assert response.status_code == 404
            assert customer_rows(world.customer) == previous
        else:
            assert response.status_code == 302
        assert (
            customer_rows(world.other_customer),
            farm_rows(world.farm),
            window_rows(),
        ) == before
        previous_order = Order.objects.get(pk=world.ids["customer_previous"])
        assert previous_order.status == Order.Status.PICKED_UP  # a closed week never changes
        assert_stock_adds_up()


# --------------------------------------------------------------------------------------
# Farmers: the stock grid, the CSV upload, the farm's profile, the catalogue
# --------------------------------------------------------------------------------------

# The farmer's own farm three times in five: hostile values then reach the forms.
OWN_FARM_MOSTLY = either(refs("farm"), refs("farm"), refs("farm"), refs("other_farm"), ANY_TEXT)
GRID_PRODUCTS = ("product", "package_product", "inactive_product", "other_product")


@HOSTILE
@given(
    farm=OWN_FARM_MOSTLY,
    window=id_or_int("open_window", "upcoming_window", "closed_window", "cancelled_window"),
    cells=st.fixed_dictionaries(
        {(kind, Ref(name)): maybe(NUMBER_TEXT) for name in GRID_PRODUCTS for kind in "qp"}
    ),
    extra=st.dictionaries(
        either(
            st.tuples(st.sampled_from(["q", "p"]), st.integers(-(10**30), 10**30)),
            st.text(max_size=30),
        ),
        NUMBER_TEXT,
        max_size=4,
    ),
    bad=maybe(st.tuples(refs("product", "package_product"), BAD_STOCK_QUANTITY)),
)
def test_stock_grid(
    world: World,
    clients: Clients,
    farm: Ref | str,
    window: Ref | int,
    cells: dict[tuple[str, Ref], str | None],
    extra: dict[tuple[str, int] | str, str],
    bad: tuple[Ref, str] | None,
) -> None:
    data: dict[str, str] = {}
    for key, value in [*cells.items(), *extra.items()]:
        name = f"{key[0]}-{world.id(key[1])}" if isinstance(key, tuple) else key
        if value is not None:
            data[name] = value
    if bad is not None:
        data[f"q-{world.id(bad[0])}"] = bad[1]
    url = f"/portal/{world.slug(farm)}/weeks/{world.id(window)}/"
    with rolled_back():
        before = (farm_rows(world.other_farm), all_orders(), window_rows())
        own_before = farm_rows(world.farm)
        response = send(clients("farmer"), "post", url, data)
        assert response.status_code in (302, 404, 409, 422), response.status_code
        if farm != Ref("farm"):
            assert response.status_code == 404
            assert farm_rows(world.farm) == own_before
        editable = window in (Ref("open_window"), Ref("upcoming_window"))
        if farm == Ref("farm") and editable and bad is not None:
            assert response.status_code == 422
        if not editable:
            assert farm_rows(world.farm) == own_before
        assert (farm_rows(world.other_farm), all_orders(), window_rows()) == before
        assert_stock_adds_up()


def _csv(header: list[str], records: list[list[str]], delimiter: str, encoding: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(records)
    return out.getvalue().encode(encoding, errors="replace")


CSV_COLUMNS = ["product_id", "product", "unit", "quantity", "price"]
CSV_CELL = either(NUMBER_TEXT, st.text(max_size=20))
PRODUCT_CELL = either(refs(*GRID_PRODUCTS).map(lambda r: f"<<{r.name}>>"), CSV_CELL)


def _csv_by_columns(
    header: list[str], records: list[dict[str, str]], delimiter: str, encoding: str
) -> bytes:
    return _csv(header, [[r[c] for c in header] for r in records], delimiter, encoding)


# The columns the co-op asks for (in any order), with hostile values in every cell.
WELL_FORMED_CSV = st.builds(
    _csv_by_columns,
    header=either(st.just(CSV_COLUMNS), st.permutations(CSV_COLUMNS)),
    records=st.lists(
        st.fixed_dictionaries(
            {
                "product_id": PRODUCT_CELL,
                "product": ANY_TEXT,
                "unit": ANY_TEXT,
                "quantity": NUMBER_TEXT,
                "price": NUMBER_TEXT,
            }
        ),
        max_size=6,
    ),
    delimiter=st.sampled_from([",", ";", "\t"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
)
# Anything shaped like a CSV: random headers, ragged rows.
CSV_FILE = st.builds(
    _csv,
    header=either(
        st.just(["product_id", "product", "unit", "quantity", "price"]),
        st.permutations(["product_id", "product", "unit", "quantity", "price"]),
        st.lists(either(st.sampled_from(["product_id", "quantity", "price"]), ANY_TEXT)),
    ),
    records=st.lists(
        st.lists(
            PRODUCT_CELL,
            min_size=0,
            max_size=7,
        ),
        max_size=8,
    ),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
)


@HOSTILE
@given(
    farm=OWN_FARM_MOSTLY,
    window=id_or_int("open_window", "upcoming_window", "closed_window"),
    content=either(ANY_BYTES, CSV_FILE, WELL_FORMED_CSV, WELL_FORMED_CSV),
    filename=st.sampled_from(["stock.csv", "", "../../stock.csv", "\u202evsc.exe", "x" * 300]),
    field_name=st.sampled_from(["file", "file", "file", "other"]),
)
def test_stock_csv_upload(
    world: World,
    clients: Clients,
    farm: Ref | str,
    window: Ref | int,
    content: bytes,
    filename: str,
    field_name: str,
) -> None:
    # Cells naming a product of the world (« <<other_product>> »...) become its id.
    for name in GRID_PRODUCTS:
        content = content.replace(f"<<{name}>>".encode(), str(world.ids[name]).encode())
    url = f"/portal/{world.slug(farm)}/weeks/{world.id(window)}/upload/"
    with rolled_back():
        before = (farm_rows(world.other_farm), all_orders(), window_rows())
        response = send(
            clients("farmer"),
            "post",
            url,
            {field_name: SimpleUploadedFile(filename or "x", content, content_type="text/csv")},
        )
        assert response.status_code in (200, 404, 409, 422), response.status_code
        if farm != Ref("farm"):
            assert response.status_code == 404
        assert (farm_rows(world.other_farm), all_orders(), window_rows()) == before
        assert_stock_adds_up()


@HOSTILE
@given(
    farm=OWN_FARM_MOSTLY,
    fields=st.fixed_dictionaries(
        {
            "name": maybe(ANY_TEXT),
            "town": maybe(ANY_TEXT),
            "region": maybe(either(st.sampled_from(Region.values), ANY_TEXT)),
            "description": maybe(ANY_TEXT),
            "practices": maybe(ANY_TEXT),
            "email": maybe(
                either(st.sampled_from(["a@example.org", "é@é.example", "a@b"]), ANY_TEXT)
            ),
            "phone": maybe(ANY_TEXT),
            "website": maybe(
                either(st.sampled_from(["https://ferme.example", *EVIL_URLS]), ANY_TEXT)
            ),
            "language": maybe(either(st.sampled_from(["fr-ca", "en"]), ANY_TEXT)),
            "remove_photo": maybe(either(st.just("on"), ANY_TEXT)),
        }
    ),
    certifications=st.lists(id_or_text("cert", "other_cert"), max_size=3),
    photo=PHOTO,
)
def test_farm_profile(
    world: World,
    clients: Clients,
    farm: Ref | str,
    fields: dict[str, str | None],
    certifications: list[Ref | str],
    photo: tuple[str, bytes] | None,
) -> None:
    data: dict[str, Any] = _form(fields)
    data["certifications"] = [world.id(c) for c in certifications]
    if photo is not None:
        data["photo"] = SimpleUploadedFile(photo[0], photo[1])
    url = f"/portal/{world.slug(farm)}/profile/"
    with rolled_back():
        before = (farm_rows(world.other_farm), all_orders(), window_rows())
        own_slug = world.farm.slug
        response = send(clients("farmer"), "post", url, data)
        assert response.status_code in (302, 404, 422), response.status_code
        if farm != Ref("farm"):
            assert response.status_code == 404
        elif fields["region"] not in Region.values or fields["language"] not in ("fr-ca", "en"):
            assert response.status_code == 422
        assert (farm_rows(world.other_farm), all_orders(), window_rows()) == before
        assert Farm.objects.get(pk=world.farm.pk).slug == own_slug  # links never break


PRODUCT_FIELDS = st.fixed_dictionaries(
    {
        "name": maybe(either(st.sampled_from(["Carottes", "Ail", "Fromage"]), ANY_TEXT)),
        "category": maybe(either(st.sampled_from(Category.values), ANY_TEXT)),
        "description": maybe(ANY_TEXT),
        "unit": maybe(either(st.sampled_from(Unit.values), ANY_TEXT)),
        "package_size": maybe(ANY_TEXT),
        "price": maybe(either(st.sampled_from(["4.50", "4,50 $", "$4.50"]), NUMBER_TEXT)),
        "tax_class": maybe(either(st.sampled_from(TaxClass.values), ANY_TEXT)),
        "is_active": maybe(either(st.just("on"), ANY_TEXT)),
        "default_quantity": maybe(NUMBER_TEXT),
        "remove_photo": maybe(either(st.just("on"), ANY_TEXT)),
    }
)
CLEARLY_BAD_PRICES = ("NaN", "sNaN", "Infinity", "-Infinity", "1e309", "-1", "0", "douze", "\x00")


@HOSTILE
@given(
    farm=OWN_FARM_MOSTLY,
    product=maybe(id_or_int("product", "package_product", "inactive_product", "other_product")),
    fields=PRODUCT_FIELDS,
    photo=PHOTO,
)
@example(
    farm=Ref("farm"),
    product=Ref("other_product"),
    fields={
        "name": "Volé",
        "category": "dairy",
        "description": "",
        "unit": "each",
        "package_size": "",
        "price": "1.00",
        "tax_class": "zero",
        "is_active": "on",
        "default_quantity": "1",
        "remove_photo": None,
    },
    photo=None,
)
def test_product_create_and_edit(
    world: World,
    clients: Clients,
    farm: Ref | str,
    product: Ref | int | None,
    fields: dict[str, str | None],
    photo: tuple[str, bytes] | None,
) -> None:
    data: dict[str, Any] = _form(fields)
    if photo is not None:
        data["photo"] = SimpleUploadedFile(photo[0], photo[1])
    slug = world.slug(farm)
    url = (
        f"/portal/{slug}/products/new/"
        if product is None
        else f"/portal/{slug}/products/{world.id(product)}/"
    )
    with rolled_back():
        before = (farm_rows(world.other_farm), all_orders(), window_rows())
        response = send(clients("farmer"), "post", url, data)
        assert response.status_code in (302, 404, 422), response.status_code
        if farm != Ref("farm"):
            assert response.status_code == 404
        if product is not None and product not in (
            Ref("product"),
            Ref("package_product"),
            Ref("inactive_product"),
        ):
            assert response.status_code == 404
        if fields["price"] in CLEARLY_BAD_PRICES or fields["price"] is None:
            assert response.status_code in (404, 422)
        assert (farm_rows(world.other_farm), all_orders(), window_rows()) == before
        for offer in Offer.objects.filter(product__farm=world.farm):
            assert offer.price > 0  # a published week keeps its own (valid) price


# --------------------------------------------------------------------------------------
# Coordinators: the rhythm, a window's dates, cancel/close, shortages, pickup marks
# --------------------------------------------------------------------------------------

WEEKDAY = maybe(either(st.integers(0, 6).map(str), NUMBER_TEXT))
TIME_TEXT = maybe(
    either(
        st.times().map(lambda t: t.strftime("%H:%M")),
        st.sampled_from(["24:00", "23:60", "-1:00", "08:00:00.999999", "8h", "25:61"]),
        ANY_TEXT,
    )
)


@HOSTILE
@given(
    fields=st.fixed_dictionaries(
        {
            "open_weekday": WEEKDAY,
            "open_time": TIME_TEXT,
            "close_weekday": WEEKDAY,
            "close_time": TIME_TEXT,
            "pickup_weekday": WEEKDAY,
            "weeks_ahead": maybe(either(st.integers(0, 14).map(str), NUMBER_TEXT)),
            "basket_hold_minutes": maybe(either(st.integers(0, 120).map(str), NUMBER_TEXT)),
            "minimum_order_amount": maybe(
                either(st.sampled_from(["0", "25.00", "25,00"]), NUMBER_TEXT)
            ),
        }
    )
)
def test_rhythm_form(world: World, clients: Clients, fields: dict[str, str | None]) -> None:
    with rolled_back():
        existing = list(OrderWindow.objects.values_list("pk", flat=True))
        before = (window_rows(OrderWindow.objects.filter(pk__in=existing)), all_orders())
        response = send(clients("coordinator"), "post", "/coordinator/schedule/", _form(fields))
        assert response.status_code in (302, 422), response.status_code
        # Planning may add windows ahead; it never changes those that exist.
        assert (window_rows(OrderWindow.objects.filter(pk__in=existing)), all_orders()) == before
        rhythm = CoopSettings.load()
        assert rhythm.basket_hold_minutes >= 5
        assert 2 <= rhythm.weeks_ahead <= 12
        assert rhythm.minimum_order_amount >= 0


@settings(FEW, phases=[Phase.explicit, Phase.generate])  # each example plans windows: slow
@given(
    minutes=either(
        st.integers(min_value=5, max_value=10**5),
        st.integers(min_value=10**5, max_value=2**63 - 1),
    ),
)
@example(minutes=1_065_600_000)  # about 2,026 years: now - hold is before year 1
@example(minutes=2**31 - 1)  # the largest PositiveIntegerField on PostgreSQL
@example(minutes=1_440_000_000_000)  # 10**9 days: more than a timedelta holds
def test_an_accepted_rhythm_keeps_the_periodic_jobs_working(
    world: World, clients: Clients, minutes: int
) -> None:
    """Whatever the rhythm form accepts, the jobs that read it must still run."""
    data = {
        "open_weekday": "4",
        "open_time": "08:00",
        "close_weekday": "1",
        "close_time": "23:59",
        "pickup_weekday": "3",
        "weeks_ahead": "3",
        "basket_hold_minutes": str(minutes),
        "minimum_order_amount": "0",
    }
    with rolled_back():
        response = send(clients("coordinator"), "post", "/coordinator/schedule/", data)
        assert response.status_code in (302, 422), response.status_code
        if response.status_code == 302:
            now = timezone.now()
            try:
                basket_service.basket_release_idle(now=now)
                services.windows_plan(now=now)
            except Exception as error:  # any crash is the finding
                raise AssertionError(
                    f"basket_hold_minutes={minutes} was accepted, then the periodic job "
                    f"crashed: {error!r}\n{''.join(traceback.format_exc().splitlines(True)[-6:])}"
                ) from error


def _datetime_text(value: datetime) -> str:
    return value.isoformat(timespec="minutes")


EDGE_DATETIMES = (
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "2030-03-10T02:30",  # does not exist in Montréal (spring forward)
    "2030-11-03T01:30",  # happens twice in Montréal (fall back)
    "2030-02-30T10:00",
    "2030-01-01T24:00",
    "2030-01-01",
)
DATETIME_TEXT = maybe(
    either(
        st.sampled_from(EDGE_DATETIMES),
        st.integers(-30, 60).map(
            lambda days: _datetime_text(timezone.localtime() + timedelta(days=days))
        ),
        st.datetimes().map(_datetime_text),
        ANY_TEXT,
    )
)
DATE_TEXT = maybe(
    either(
        st.sampled_from(["0001-01-01", "9999-12-31", "2030-02-30", "2030-13-01"]),
        st.integers(-30, 60).map(
            lambda days: (timezone.localdate() + timedelta(days=days)).isoformat()
        ),
        st.dates().map(date.isoformat),
        ANY_TEXT,
    )
)


@HOSTILE
@given(
    window=id_or_int("open_window", "upcoming_window", "closed_window", "cancelled_window"),
    opens_at=DATETIME_TEXT,
    closes_at=DATETIME_TEXT,
    pickup_date=DATE_TEXT,
    note=maybe(ANY_TEXT),
)
@example(
    window=Ref("upcoming_window"),
    opens_at="2030-01-01T08:00",
    closes_at="9999-12-31T23:59",
    pickup_date="9999-12-31",
    note="",
)
def test_window_edit(
    world: World,
    clients: Clients,
    window: Ref | int,
    opens_at: str | None,
    closes_at: str | None,
    pickup_date: str | None,
    note: str | None,
) -> None:
    data = _form(
        {"opens_at": opens_at, "closes_at": closes_at, "pickup_date": pickup_date, "note": note}
    )
    target = int(world.id(window))
    with rolled_back():
        others = (window_rows(OrderWindow.objects.exclude(pk=target)), all_orders())
        closed = window_rows(
            OrderWindow.objects.filter(
                pk__in=[world.ids["closed_window"], world.ids["cancelled_window"]]
            )
        )
        response = send(
            clients("coordinator"), "post", f"/coordinator/windows/{target}/edit/", data
        )
        assert response.status_code in (302, 404, 422), response.status_code
        assert (window_rows(OrderWindow.objects.exclude(pk=target)), all_orders()) == others
        assert (
            window_rows(
                OrderWindow.objects.filter(
                    pk__in=[world.ids["closed_window"], world.ids["cancelled_window"]]
                )
            )
            == closed
        )
        for edited in OrderWindow.objects.filter(pk=target):
            assert edited.closes_at > edited.opens_at


@FEW
@given(
    action=st.sampled_from(["cancel", "close"]),
    window=id_or_int("open_window", "upcoming_window", "closed_window", "cancelled_window"),
    extra=st.dictionaries(st.text(max_size=20), ANY_TEXT, max_size=3),
    htmx=st.booleans(),
)
def test_window_cancel_and_close_now(
    world: World,
    clients: Clients,
    monkeypatch: pytest.MonkeyPatch,
    action: str,
    window: Ref | int,
    extra: dict[str, str],
    htmx: bool,
) -> None:
    queued: list[int] = []
    monkeypatch.setattr(tasks.close_window, "delay", queued.append)
    target = int(world.id(window))
    with rolled_back():
        others = (window_rows(OrderWindow.objects.exclude(pk=target)), all_orders())
        url = f"/coordinator/windows/{target}/{action}/"
        response = send(clients("coordinator"), "post", url, extra, htmx=htmx)
        assert response.status_code in (302, 404, 409), response.status_code
        assert (window_rows(OrderWindow.objects.exclude(pk=target)), all_orders()) == others
        with_orders = OrderWindow.objects.filter(pk__in=[world.ids["open_window"]])
        assert all(w.status != OrderWindow.Status.CANCELLED for w in with_orders)
        assert all(pk != world.ids["open_window"] for pk in queued)  # not yet due


@HOSTILE
@given(
    window=id_or_int("closed_window", "open_window", "upcoming_window"),
    offer=maybe(id_or_text("closed_offer", "closed_other_offer", "offer", "other_offer")),
    units=maybe(either(st.integers(-3, 8).map(str), NUMBER_TEXT)),
)
def test_shortage(
    world: World,
    clients: Clients,
    window: Ref | int,
    offer: Ref | str | None,
    units: str | None,
) -> None:
    data = _form({"offer": None if offer is None else world.id(offer), "units": units})
    target = int(world.id(window))
    with rolled_back():
        named = _as_pk(world.id(offer)) if offer is not None else None
        untouched = OrderLine.objects.exclude(offer_id=named or -1)
        before = (
            rows(untouched, "quantity", "shortage"),
            rows(
                OrderLine.objects.exclude(order__window_id=world.ids["closed_window"]), "shortage"
            ),
            rows(Order.objects.all(), "status", "customer_id"),
            rows(Offer.objects.all(), "quantity", "remaining", "price"),
            window_rows(),
        )
        response = send(
            clients("coordinator"), "post", f"/coordinator/windows/{target}/shortage/", data
        )
        assert response.status_code in (302, 404), response.status_code
        assert (
            rows(untouched, "quantity", "shortage"),
            rows(
                OrderLine.objects.exclude(order__window_id=world.ids["closed_window"]), "shortage"
            ),
            rows(Order.objects.all(), "status", "customer_id"),
            rows(Offer.objects.all(), "quantity", "remaining", "price"),
            window_rows(),
        ) == before
        for line in OrderLine.objects.all():
            assert 0 <= line.shortage <= line.quantity


@HOSTILE
@given(
    role=st.sampled_from(["coordinator", "coordinator", "customer", "farmer"]),
    order=id_or_int("customer_order", "customer_previous", "other_order", "other_locked"),
    picked_up=maybe(either(st.sampled_from(["1", "0"]), ANY_TEXT)),
    htmx=st.booleans(),
)
def test_pickup_marks(
    world: World,
    clients: Clients,
    role: str,
    order: Ref | int,
    picked_up: str | None,
    htmx: bool,
) -> None:
    target = int(world.id(order))
    with rolled_back():
        all_before = rows(Order.objects.all(), "status", "customer_id", "window_id")
        others = rows(Order.objects.exclude(pk=target), "status")
        live = rows(Order.objects.filter(status__in=basket_service.EDITABLE), "status")
        lines = rows(OrderLine.objects.all(), "quantity", "shortage")
        response = send(
            clients(role),
            "post",
            f"/coordinator/orders/{target}/pickup/",
            _form({"picked_up": picked_up}),
            htmx=htmx,
        )
        if role != "coordinator":
            assert response.status_code == 403
            assert rows(Order.objects.all(), "status", "customer_id", "window_id") == all_before
        else:
            assert response.status_code in (200, 302, 404), response.status_code
        assert rows(Order.objects.exclude(pk=target), "status") == others
        assert rows(Order.objects.filter(pk__in=[r[0] for r in live]), "status") == live
        assert rows(OrderLine.objects.all(), "quantity", "shortage") == lines


# --------------------------------------------------------------------------------------
# Money: paying by card, back from Stripe, cash at pickup, cancel with refund, webhook
# --------------------------------------------------------------------------------------

ORDERS = ("customer_order", "customer_previous", "other_order", "other_locked", "settled_order")
CUSTOMER_ROLES = ("customer", "customer", "customer", "other_customer", "coordinator", "anonymous")
COORDINATOR_MOSTLY = ("coordinator", "coordinator", "coordinator", "customer", "farmer")
SESSION_ID = maybe(
    either(st.sampled_from(["cs_other_hold", "cs_customer_expired", "cs_other_locked"]), ANY_TEXT)
)


def _messages(response: HttpResponse) -> list[str]:
    """The messages of this request (see `_fresh`)."""
    return [str(m) for m in get_messages(response.wsgi_request)]  # type: ignore[attr-defined]


def _fresh(client: Client) -> Client:
    """The client without the messages cookie earlier examples left (the database rolls
    back, the cookie does not): the next answer's messages are its own."""
    client.cookies.pop("messages", None)
    return client


def _owner_check(world: World, role: str, target: int, response: HttpResponse) -> bool:
    """Anonymous goes to sign in, anyone but the order's customer gets a 404; True when
    the request was the customer's own."""
    user = world.user(role)
    if user is None:
        assert response.status_code == 302, response.status_code
        assert_local_redirect(response)
        return False
    if not Order.objects.filter(pk=target, customer=user).exists():
        assert response.status_code == 404, response.status_code
        return False
    return True


@HOSTILE
@given(
    role=st.sampled_from(CUSTOMER_ROLES),
    order=id_or_int(*ORDERS),
    extra=st.dictionaries(st.text(max_size=20), ANY_TEXT, max_size=3),
    stripe_on=st.booleans(),
)
@example(role="customer", order=Ref("customer_previous"), extra={}, stripe_on=True)  # to Stripe
@example(role="customer", order=Ref("customer_previous"), extra={}, stripe_on=False)
def test_order_pay(
    world: World,
    clients: Clients,
    fake_stripe: FakeStripe,
    role: str,
    order: Ref | int,
    extra: dict[str, str],
    stripe_on: bool,
) -> None:
    target = _as_pk(world.id(order)) or 0  # the path's id; an id past the column finds none
    with rolled_back(), stripe(fake_stripe, stripe_on):
        before = everything(world)
        orders = all_orders()
        others = payment_rows(Payment.objects.exclude(order_id=target))
        response = send(_fresh(clients(role)), "post", f"/my/orders/{world.id(order)}/pay/", extra)
        if not _owner_check(world, role, target, response):
            assert everything(world) == before
            return
        assert response.status_code == 302, response.status_code
        if _to_stripe(response, fake_stripe):
            assert stripe_on
            page = Payment.objects.get(checkout_url=response["Location"])
            assert page.order_id == target
            assert page.status == Payment.Status.PENDING
        else:
            assert_local_redirect(response)
            assert _messages(response)  # refused, with a reason the customer reads
            assert everything(world) == before
        assert payment_rows(Payment.objects.exclude(order_id=target)) == others
        assert all_orders() == orders


@HOSTILE
@given(
    role=st.sampled_from(CUSTOMER_ROLES),
    order=id_or_int(*ORDERS),
    session_id=SESSION_ID,
    stripe_on=st.booleans(),
)
@example(  # the customer's own page: synced with (the fake) Stripe, which does not know it
    role="customer",
    order=Ref("customer_previous"),
    session_id="cs_customer_expired",
    stripe_on=True,
)
@example(role="customer", order=Ref("customer_previous"), session_id="\x00", stripe_on=True)
@example(
    role="customer", order=Ref("customer_previous"), session_id="cs_other_hold", stripe_on=True
)
def test_order_paid_return(
    world: World,
    clients: Clients,
    fake_stripe: FakeStripe,
    role: str,
    order: Ref | int,
    session_id: str | None,
    stripe_on: bool,
) -> None:
    target = _as_pk(world.id(order)) or 0  # the path's id; an id past the column finds none
    with rolled_back(), stripe(fake_stripe, stripe_on):
        before = everything(world)
        others = payment_rows(Payment.objects.exclude(order_id=target))
        rest = (all_orders(), settlement_rows(), farm_rows(world.farm), window_rows())
        response = send(
            _fresh(clients(role)),
            "get",
            f"/my/orders/{world.id(order)}/paid/",
            _form({"session_id": session_id}),
        )
        if not _owner_check(world, role, target, response):
            assert everything(world) == before
            return
        assert response.status_code == 302, response.status_code
        assert_local_redirect(response)
        assert _messages(response)
        assert payment_rows(Payment.objects.exclude(order_id=target)) == others
        assert (all_orders(), settlement_rows(), farm_rows(world.farm), window_rows()) == rest


@HOSTILE
@given(
    action=st.sampled_from(["cash", "cancel"]),
    role=st.sampled_from(COORDINATOR_MOSTLY),
    order=id_or_int(*ORDERS),
    extra=st.dictionaries(st.text(max_size=20), ANY_TEXT, max_size=3),
)
@example(action="cash", role="coordinator", order=Ref("customer_previous"), extra={})
@example(action="cash", role="coordinator", order=Ref("other_locked"), extra={})  # paid
@example(action="cancel", role="coordinator", order=Ref("other_locked"), extra={})
@example(action="cancel", role="coordinator", order=Ref("other_order"), extra={})  # open week
def test_coordinator_cash_and_cancel(
    world: World,
    clients: Clients,
    action: str,
    role: str,
    order: Ref | int,
    extra: dict[str, str],
) -> None:
    target = _as_pk(world.id(order)) or 0
    with rolled_back():
        before = everything(world)
        target_status = Order.objects.filter(pk=target).values_list("status", flat=True).first()
        others = (
            payment_rows(Payment.objects.exclude(order_id=target)),
            rows(Order.objects.exclude(pk=target), "status", "customer_id", "window_id"),
            rows(OrderLine.objects.all(), "order_id", "offer_id", "quantity", "shortage"),
            rows(Refund.objects.all(), "payment_id", "amount", "status"),
            settlement_rows(),
            farm_rows(world.farm),
            farm_rows(world.other_farm),
            window_rows(),
        )
        own_payments = payment_rows(Payment.objects.filter(order_id=target))
        url = f"/coordinator/orders/{world.id(order)}/{action}/"
        response = send(clients(role), "post", url, extra)
        if role != "coordinator":
            assert response.status_code == 403, response.status_code
            assert everything(world) == before
            return
        assert response.status_code in (302, 404), response.status_code
        assert_local_redirect(response)
        assert (
            payment_rows(Payment.objects.exclude(order_id=target)),
            rows(Order.objects.exclude(pk=target), "status", "customer_id", "window_id"),
            rows(OrderLine.objects.all(), "order_id", "offer_id", "quantity", "shortage"),
            rows(Refund.objects.all(), "payment_id", "amount", "status"),
            settlement_rows(),
            farm_rows(world.farm),
            farm_rows(world.other_farm),
            window_rows(),
        ) == others
        closed = (Order.Status.LOCKED, Order.Status.PICKED_UP, Order.Status.NOT_COLLECTED)
        status = Order.objects.filter(pk=target).values_list("status", flat=True).first()
        if action == "cash":
            assert status == target_status
            new = Payment.objects.filter(order_id=target).exclude(
                pk__in=[r[0] for r in own_payments]
            )
            assert len(new) <= 1
            for cash in new:
                assert target_status in closed
                assert cash.kind == Payment.Kind.CASH
                assert cash.amount_captured > 0
                order_obj = Order.objects.get(pk=target)
                assert ledger.received(target) == ledger.owed(order_obj)
        else:
            assert payment_rows(Payment.objects.filter(order_id=target)) == own_payments
            if status != target_status:
                assert target_status in closed
                assert status == Order.Status.CANCELLED
        assert_stock_adds_up()


WEBHOOK_SECRET = "whsec_hostile_test"


def _signature(payload: bytes, secret: str, at: int | None = None) -> str:
    at = int(clock.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{at}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


JSON_LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    # Finite, and no NUL: PostgreSQL's jsonb takes neither (see the report of this file).
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(alphabet=st.characters(exclude_characters="\x00"), max_size=30),
)
JSON_VALUE = st.recursive(
    JSON_LEAF,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.text(max_size=10), inner, max_size=3),
    ),
    max_leaves=8,
)
EVENT = st.fixed_dictionaries(
    {
        "id": either(st.text(min_size=1, max_size=40).map(lambda t: f"evt_{t}"), JSON_VALUE),
        "type": either(
            st.sampled_from(["payment_intent.succeeded", "charge.refunded"]), JSON_VALUE
        ),
        "data": either(
            st.fixed_dictionaries({"object": either(JSON_VALUE, st.just({"object": "x"}))}),
            JSON_VALUE,
        ),
    },
    optional={"object": st.just("event"), "livemode": st.booleans()},
)
GOOD_EVENT = json.dumps(
    {"id": "evt_hostile", "object": "event", "type": "payment_intent.succeeded", "data": {}}
).encode()
WEBHOOK_BODY = either(
    ANY_BYTES,
    JSON_VALUE.map(lambda v: json.dumps(v).encode()),
    EVENT.map(lambda v: json.dumps(v).encode()),
    st.sampled_from([b"", b"{}", b"[]", b"null", b"NaN", b'{"id": "evt_1"}', b"\xff\xfe{"]),
)


@HOSTILE
@given(
    body=WEBHOOK_BODY,
    signature=either(
        st.none(),
        ANY_TEXT,
        st.sampled_from(["t=1,v1=00", "v1=", "t=,v1=", "t=9999999999,v1=" + "a" * 64]),
        st.tuples(st.sampled_from(["whsec_other", WEBHOOK_SECRET]), st.integers(0, 2**40)),
        st.just("signed"),
    ),
    secret=st.sampled_from([WEBHOOK_SECRET, WEBHOOK_SECRET, ""]),
    content_type=st.sampled_from(["application/json", "text/plain", "multipart/form-data"]),
)
@example(
    body=GOOD_EVENT, signature="signed", secret=WEBHOOK_SECRET, content_type="application/json"
)
@example(body=GOOD_EVENT, signature="signed", secret="", content_type="application/json")
@example(
    body=GOOD_EVENT,
    signature=(WEBHOOK_SECRET, 1_000_000_000),  # signed in 2001: too old to be taken
    secret=WEBHOOK_SECRET,
    content_type="application/json",
)
def test_stripe_webhook(
    world: World,
    clients: Clients,
    body: bytes,
    signature: str | tuple[str, int] | None,
    secret: str,
    content_type: str,
) -> None:
    if signature == "signed":  # correctly signed with the secret the site holds
        header: str | None = _signature(body, WEBHOOK_SECRET)
    elif isinstance(signature, tuple):  # a good-looking signature: wrong secret or time
        header = _signature(body, signature[0], signature[1])
    else:
        header = signature
    signed = signature == "signed" and secret == WEBHOOK_SECRET
    with rolled_back(), override_settings(STRIPE_WEBHOOK_SECRET=secret):
        before = shop_and_money(world)
        events = WebhookEvent.objects.count()
        response = send(
            clients("anonymous"),
            "post",
            "/stripe/webhook/",
            body,
            headers={} if header is None else {"HTTP_STRIPE_SIGNATURE": header},
            content_type=content_type,
        )
        if not signed:
            assert response.status_code == 400, response.status_code
            assert WebhookEvent.objects.count() == events
        else:
            assert response.status_code in (200, 400), response.status_code
            assert WebhookEvent.objects.count() <= events + 1
        assert shop_and_money(world) == before  # handling waits for the task


# --------------------------------------------------------------------------------------
# Settling: settle a week, write an order off, mark a payout paid, the sales reports
# --------------------------------------------------------------------------------------

WINDOWS = ("open_window", "upcoming_window", "closed_window", "cancelled_window", "settled_window")


@FEW
@given(
    role=st.sampled_from(COORDINATOR_MOSTLY),
    window=id_or_int(*WINDOWS),
    cash_first=st.booleans(),
    extra=st.dictionaries(st.text(max_size=20), ANY_TEXT, max_size=3),
)
@example(role="coordinator", window=Ref("closed_window"), cash_first=True, extra={})  # settles
@example(role="coordinator", window=Ref("closed_window"), cash_first=False, extra={})  # unpaid
@example(role="coordinator", window=Ref("settled_window"), cash_first=False, extra={})
def test_settle(
    world: World,
    clients: Clients,
    role: str,
    window: Ref | int,
    cash_first: bool,
    extra: dict[str, str],
) -> None:
    target = int(world.id(window))
    with rolled_back():
        if cash_first:  # the customer's previous order paid: the closed week can settle
            refunds.cash_record(
                order_id=world.ids["customer_previous"], recorded_by_id=world.coordinator.pk
            )
        before = shop_and_money(world)
        settled = settlement_rows()
        statements = list(FarmStatement.objects.values_list("pk", flat=True))
        statements_before = rows(FarmStatement.objects.all(), "net_due", "paid_on")
        url = f"/coordinator/windows/{target}/settle/"
        response = send(clients(role), "post", url, extra)
        if role != "coordinator":
            assert response.status_code == 403, response.status_code
            assert (shop_and_money(world), settlement_rows()) == (before, settled)
            return
        assert response.status_code in (302, 404, 409), response.status_code
        assert_local_redirect(response)
        new = Settlement.objects.exclude(pk__in=[r[0] for r in settled[0]])
        if response.status_code == 302 and target == world.ids["closed_window"]:
            assert [s.window_id for s in new] == [target]
            assert {s.farm_id for s in FarmStatement.objects.filter(settlement__in=new)} <= {
                world.farm.pk,
                world.other_farm.pk,
            }
        else:
            assert not new.exists()
            assert settlement_rows() == settled
        # The settled week stays as it was settled; nothing else moves.
        assert rows(FarmStatement.objects.filter(pk__in=statements), "net_due", "paid_on") == (
            statements_before
        )
        assert shop_and_money(world) == before


@HOSTILE
@given(
    role=st.sampled_from(COORDINATOR_MOSTLY),
    order=id_or_int(*ORDERS),
    reason=maybe(either(st.sampled_from(["not collected", "   ", "\u200b", "a" * 201]), ANY_TEXT)),
)
@example(role="coordinator", order=Ref("customer_previous"), reason="not collected")
@example(role="coordinator", order=Ref("other_locked"), reason="paid by card: refused")
@example(role="coordinator", order=Ref("settled_order"), reason="settled: refused")
def test_write_off(
    world: World, clients: Clients, role: str, order: Ref | int, reason: str | None
) -> None:
    target = _as_pk(world.id(order)) or 0
    with rolled_back():
        before = shop_and_money(world)
        statements = settlement_rows()[:2]
        url = f"/coordinator/orders/{world.id(order)}/write-off/"
        response = send(clients(role), "post", url, _form({"reason": reason}))
        if role != "coordinator":
            assert response.status_code == 403, response.status_code
            assert (shop_and_money(world), settlement_rows()[:2]) == (before, statements)
            assert not WriteOff.objects.exists()
            return
        assert response.status_code in (302, 404, 409, 422), response.status_code
        if reason is None or not reason.strip() or len(reason.strip()) > 200 or "\x00" in reason:
            assert response.status_code in (404, 422)
        assert_local_redirect(response)
        assert settlement_rows()[:2] == statements
        write_offs = list(WriteOff.objects.all())
        assert all(w.order_id == target for w in write_offs)  # the world had none
        for written in write_offs:
            assert written.order.window_id == world.ids["closed_window"]
            assert written.reason.strip()
            assert len(written.reason) <= 200
            assert ledger.received(target) == 0  # nothing came in for it
        assert shop_and_money(world) == before  # orders, payments... never change


RECENTLY = (timezone.localdate() - timedelta(days=3)).isoformat()  # after the settled pickup day
TOMORROW = (timezone.localdate() + timedelta(days=2)).isoformat()
PAID_ON = maybe(
    either(
        st.integers(-40, 5).map(
            lambda days: (timezone.localdate() + timedelta(days=days)).isoformat()
        ),
        st.sampled_from(["0001-01-01", "9999-12-31", "2030-02-30", "2030-13-01", "20300101"]),
        st.dates().map(date.isoformat),
        ANY_TEXT,
    )
)


@HOSTILE
@given(
    role=st.sampled_from(COORDINATOR_MOSTLY),
    statement=id_or_int("statement", "other_statement"),
    paid_on=PAID_ON,
    reference=maybe(either(st.sampled_from(["VIR-2", "  ", "x" * 101]), ANY_TEXT)),
)
@example(role="coordinator", statement=Ref("statement"), paid_on=RECENTLY, reference="VIR-2")
@example(role="coordinator", statement=Ref("statement"), paid_on=TOMORROW, reference="VIR-2")
@example(role="coordinator", statement=Ref("other_statement"), paid_on=RECENTLY, reference="\t")
def test_payout_paid(
    world: World,
    clients: Clients,
    role: str,
    statement: Ref | int,
    paid_on: str | None,
    reference: str | None,
) -> None:
    target = _as_pk(world.id(statement)) or 0
    with rolled_back():
        before = shop_and_money(world)
        others = rows(
            FarmStatement.objects.exclude(pk=target), "paid_on", "payout_reference", "net_due"
        )
        figures = rows(FarmStatement.objects.all(), "gross", "margin", "net_due", "pdf", "csv")
        marks = settlement_rows()
        url = f"/coordinator/statements/{world.id(statement)}/paid/"
        data = _form({"paid_on": paid_on, "reference": reference})
        response = send(clients(role), "post", url, data)
        if role != "coordinator":
            assert response.status_code == 403, response.status_code
            assert (shop_and_money(world), settlement_rows()) == (before, marks)
            return
        assert response.status_code in (302, 404, 422), response.status_code
        assert_local_redirect(response)
        if paid_on is None or reference is None or not reference.strip():
            assert response.status_code in (404, 422)
        assert (
            rows(FarmStatement.objects.exclude(pk=target), "paid_on", "payout_reference", "net_due")
            == others
        )
        assert rows(FarmStatement.objects.all(), "gross", "margin", "net_due", "pdf", "csv") == (
            figures
        )
        for marked in FarmStatement.objects.filter(pk=target, paid_on__isnull=False):
            assert marked.paid_on is not None
            assert marked.settlement.window.pickup_date <= marked.paid_on <= timezone.localdate()
            assert 0 < len(marked.payout_reference) <= 100
        assert shop_and_money(world) == before


REPORT_DATE = maybe(
    either(
        st.sampled_from(["0001-01-01", "0001-01-07", "9999-12-25", "9999-12-31", "2030-02-30"]),
        st.integers(-800, 400).map(
            lambda days: (timezone.localdate() + timedelta(days=days)).isoformat()
        ),
        st.dates().map(date.isoformat),
        ANY_TEXT,
    )
)


@HOSTILE
@given(
    role=st.sampled_from(["coordinator", "coordinator", "coordinator", "customer", "farmer"]),
    csv_file=st.booleans(),
    start=REPORT_DATE,
    end=REPORT_DATE,
    by=maybe(either(st.sampled_from(["week", "month"]), ANY_TEXT)),
    extra=st.dictionaries(st.text(max_size=10), ANY_TEXT, max_size=2),
)
@example(
    role="coordinator", csv_file=False, start="9999-12-25", end="9999-12-31", by="week", extra={}
)
@example(
    role="coordinator", csv_file=True, start="0001-01-01", end="0001-01-07", by="week", extra={}
)
@example(
    role="coordinator", csv_file=False, start="9999-01-01", end="9999-12-31", by="month", extra={}
)
def test_sales_reports(
    world: World,
    clients: Clients,
    role: str,
    csv_file: bool,
    start: str | None,
    end: str | None,
    by: str | None,
    extra: dict[str, str],
) -> None:
    url = "/coordinator/reports/sales.csv" if csv_file else "/coordinator/reports/"
    params = {**extra, **_form({"start": start, "end": end, "by": by})}
    with rolled_back():
        before = everything(world)
        response = send(clients(role), "get", url, params)
        assert everything(world) == before
        if role != "coordinator":
            assert response.status_code == 403, response.status_code
            return
        assert response.status_code in (200, 400), response.status_code
        if params and not _valid_period(start, end, by):
            assert response.status_code == 400


def _valid_period(start: str | None, end: str | None, by: str | None) -> bool:
    try:
        first, last = date.fromisoformat(start or ""), date.fromisoformat(end or "")
    except ValueError:
        return False
    return by in ("week", "month") and len(start or "") == len(end or "") == 10 and first <= last


# --------------------------------------------------------------------------------------
# Everyone: the language switch, and the GET parameters and path segments of pages
# --------------------------------------------------------------------------------------


@HOSTILE
@given(
    method=st.sampled_from(["get", "post"]),
    language=maybe(either(st.sampled_from(["fr-ca", "en", "fr", "EN", "en-us"]), ANY_TEXT)),
    next_url=maybe(either(st.sampled_from(["/shop/", "/farms/", *EVIL_URLS]), ANY_TEXT)),
    referer=maybe(either(st.sampled_from(EVIL_URLS), ANY_TEXT)),
    accept_language=either(st.sampled_from(["en", "fr-ca", "*"]), ANY_TEXT),
)
def test_language_switch(
    world: World,
    method: str,
    language: str | None,
    next_url: str | None,
    referer: str | None,
    accept_language: str,
) -> None:
    client = Client(raise_request_exception=False)  # its language cookie is its own
    headers: dict[str, str] = {"HTTP_ACCEPT_LANGUAGE": accept_language}
    if referer is not None:
        headers["HTTP_REFERER"] = referer
    with rolled_back():
        before = everything(world)
        response = send(
            client,
            method,
            "/i18n/setlang/",
            _form({"language": language, "next": next_url}),
            headers=headers,
        )
        assert response.status_code in (204, 302, 405), response.status_code
        assert_local_redirect(response)
        assert everything(world) == before


PAGES = (
    "/farms/",
    "/",
    "/shop/",
    "/farms/{slug}/",
    "/basket/",
    "/my/orders/",
    "/my/orders/{order}/",
    "/my/orders/{order}/paid/",
    "/checkout/",
    "/portal/",
    "/portal/{slug}/",
    "/portal/{slug}/profile/",
    "/portal/{slug}/products/",
    "/portal/{slug}/products/new/",
    "/portal/{slug}/products/{product}/",
    "/portal/{slug}/weeks/{window}/",
    "/portal/{slug}/weeks/{window}/counts/",
    "/portal/{slug}/weeks/{window}/stock.csv",
    "/portal/{slug}/weeks/{window}/pickup-list.{fmt}",
    "/portal/{slug}/statements/",
    "/portal/{slug}/statements/{statement}.{fmt}",
    "/coordinator/",
    "/coordinator/schedule/",
    "/coordinator/windows/{window}/",
    "/coordinator/windows/{window}/edit/",
    "/coordinator/windows/{window}/progress/",
    "/coordinator/documents/{window}.{fmt}",
    "/coordinator/windows/{window}/settlement/",
    "/coordinator/windows/{window}/payouts.csv",
    "/coordinator/reports/",
    "/coordinator/reports/sales.csv",
)


@settings(HOSTILE, max_examples=EXAMPLES * 3 // 2)
@given(
    role=st.sampled_from(["anonymous", "customer", "farmer", "other_farmer", "coordinator"]),
    page=st.sampled_from(PAGES),
    slug=either(refs("farm", "other_farm"), ANY_TEXT),
    order=id_or_int("customer_order", "other_order", "other_locked"),
    product=id_or_int("product", "other_product"),
    window=id_or_int("open_window", "upcoming_window", "closed_window", "settled_window"),
    statement=id_or_int("statement", "other_statement"),
    fmt=either(st.sampled_from(["pdf", "csv"]), st.text(min_size=1, max_size=10)),
    params=st.dictionaries(
        either(
            st.sampled_from(
                ["region", "farm", "fill", "next", "q", "category", "certification", "page"]
            ),
            st.sampled_from(["start", "end", "by", "session_id"]),
            st.text(max_size=10),
        ),
        either(
            st.sampled_from(["last", "defaults", *Region.values]),
            st.sampled_from(["2030-01-01", "0001-01-01", "9999-12-31", "week", "month"]),
            st.sampled_from(["cs_other_hold", "cs_customer_expired"]),
            ANY_TEXT,
        ),
        max_size=4,
    ),
    accept_language=either(st.sampled_from(["en", "fr-ca"]), ANY_TEXT),
    htmx=st.booleans(),
)
def test_pages_with_hostile_parameters(
    world: World,
    clients: Clients,
    role: str,
    page: str,
    slug: Ref | str,
    order: Ref | int,
    product: Ref | int,
    window: Ref | int,
    statement: Ref | int,
    fmt: str,
    params: dict[str, str],
    accept_language: str,
    htmx: bool,
) -> None:
    url = page.format(
        slug=world.slug(slug),
        order=world.id(order),
        product=world.id(product),
        window=world.id(window),
        statement=world.id(statement),
        fmt=quote(fmt, safe=""),
    )
    with rolled_back():
        before = everything(world)
        response = send(
            clients(role),
            "get",
            url,
            params,
            htmx=htmx,
            headers={"HTTP_ACCEPT_LANGUAGE": accept_language},
        )
        assert response.status_code in (200, 302, 400, 403, 404), response.status_code
        assert everything(world) == before
        if page == "/farms/":
            assert response.status_code == 200  # an unknown region shows every farm


# --------------------------------------------------------------------------------------
# The sweep: every hostile number in every numeric field, each alone in a valid form
# --------------------------------------------------------------------------------------
# Random examples rarely put one given value (say "sNaN") into one given field of an
# otherwise valid request: here each is tried once, the rest of the form being valid,
# so the named hostile values are certain to reach the parsers behind the forms.


@dataclass(frozen=True)
class Case:
    name: str
    role: str
    url: Callable[[World], str]
    data: Callable[[World, str], dict[str, Any]]
    values: tuple[str, ...] = ()  # SWEEP_NUMBERS
    htmx: bool = False

    def __repr__(self) -> str:
        return self.name


def _later(days: int) -> str:
    return _datetime_text(timezone.localtime() + timedelta(days=days))


def _csv_upload(world: World, product_id: str, quantity: str, price: str) -> dict[str, Any]:
    content = _csv(CSV_COLUMNS, [[product_id, "Carottes", "botte", quantity, price]], ",", "utf-8")
    return {"file": SimpleUploadedFile("stock.csv", content, content_type="text/csv")}


def _grid(world: World) -> str:
    return f"/portal/{world.farm.slug}/weeks/{world.ids['upcoming_window']}/"


PRODUCT = {
    "name": "Radis",
    "category": "vegetables",
    "description": "",
    "unit": "bunch",
    "package_size": "",
    "price": "2,50",
    "tax_class": "zero",
    "is_active": "on",
    "default_quantity": "12",
}
PROFILE = {
    "name": "Ferme du Rang",
    "town": "Compton",
    "region": "estrie",
    "description": "",
    "practices": "",
    "email": "rang@example.org",
    "phone": "",
    "website": "",
    "language": "fr-ca",
}
RHYTHM = {
    "open_weekday": "4",
    "open_time": "08:00",
    "close_weekday": "1",
    "close_time": "23:59",
    "pickup_weekday": "3",
    "weeks_ahead": "3",
    "basket_hold_minutes": "60",
    "minimum_order_amount": "0",
}
# The values that break parsers (the ordinary ones are left to the random examples).
SWEEP_NUMBERS = (
    "",
    "-1",
    str(10**30),
    str(-(10**30)),
    "9223372036854775808",
    "-9223372036854775809",
    "1e309",
    "1e-400",
    "NaN",
    "sNaN",
    "-sNaN",
    "Infinity",
    "-Infinity",
    "\u0661\u0662",
    "\uff11\uff12",
    "9" * 5000,
    "\x00",
    "1\x00",
    "🥕",
    "\u202e5",
)
DATETIME_VALUES = (*EDGE_DATETIMES, *SWEEP_NUMBERS)


def _window_form(world: World, name: str, value: str) -> dict[str, Any]:
    data = {
        "opens_at": _later(7),
        "closes_at": _later(10),
        "pickup_date": (timezone.localdate() + timedelta(days=12)).isoformat(),
        "note": "",
    }
    return {**data, name: value}


SWEEP = (
    Case(
        "basket line quantity (htmx)",
        "customer",
        lambda w: f"/basket/lines/{w.ids['offer']}/",
        lambda w, v: {"quantity": v, "where": "shop"},
        htmx=True,
    ),
    Case(
        "basket line delta (htmx)",
        "customer",
        lambda w: f"/basket/lines/{w.ids['offer']}/",
        lambda w, v: {"delta": v},
        htmx=True,
    ),
    Case(
        "basket line quantity (plain form)",
        "customer",
        lambda w: f"/basket/lines/{w.ids['offer']}/",
        lambda w, v: {"quantity": v, "next": "/shop/"},
    ),
    Case(
        "checkout pickup_point",
        "customer",
        lambda w: "/checkout/",
        lambda w, v: {"pickup_point": v, "language": "en"},
    ),
    Case(
        "checkout pickup_slot",
        "customer",
        lambda w: "/checkout/",
        lambda w, v: {"pickup_point": w.ids["slotted_point"], "pickup_slot": v, "language": "en"},
    ),
    Case(
        "checkout payment_method",
        "customer",
        lambda w: "/checkout/",
        lambda w, v: {"pickup_point": w.ids["point"], "language": "en", "payment_method": v},
    ),
    Case(
        "payout paid_on",
        "coordinator",
        lambda w: f"/coordinator/statements/{w.ids['statement']}/paid/",
        lambda w, v: {"paid_on": v, "reference": "VIR-2"},
        values=DATETIME_VALUES,
    ),
    Case(
        "stock grid quantity (q-<id>)",
        "farmer",
        _grid,
        lambda w, v: {f"q-{w.ids['product']}": v, f"p-{w.ids['product']}": "3,50"},
    ),
    Case(
        "stock grid price (p-<id>)",
        "farmer",
        _grid,
        lambda w, v: {f"q-{w.ids['product']}": "5", f"p-{w.ids['product']}": v},
    ),
    Case(
        "stock CSV product_id",
        "farmer",
        lambda w: _grid(w) + "upload/",
        lambda w, v: _csv_upload(w, v, "5", "3.50"),
    ),
    Case(
        "stock CSV quantity",
        "farmer",
        lambda w: _grid(w) + "upload/",
        lambda w, v: _csv_upload(w, str(w.ids["product"]), v, "3.50"),
    ),
    Case(
        "stock CSV price",
        "farmer",
        lambda w: _grid(w) + "upload/",
        lambda w, v: _csv_upload(w, str(w.ids["product"]), "5", v),
    ),
    *(
        Case(
            f"product create {name}",
            "farmer",
            lambda w: f"/portal/{w.farm.slug}/products/new/",
            lambda w, v, name=name: {**PRODUCT, name: v},  # type: ignore[misc]
        )
        for name in ("price", "default_quantity")
    ),
    Case(
        "farm profile certifications",
        "farmer",
        lambda w: f"/portal/{w.farm.slug}/profile/",
        lambda w, v: {**PROFILE, "certifications": [v]},
    ),
    *(
        Case(
            f"rhythm {name}",
            "coordinator",
            lambda w: "/coordinator/schedule/",
            lambda w, v, name=name: {**RHYTHM, name: v},  # type: ignore[misc]
        )
        for name in ("open_time", "weeks_ahead", "basket_hold_minutes", "minimum_order_amount")
    ),
    *(
        Case(
            f"window edit {name}",
            "coordinator",
            lambda w: f"/coordinator/windows/{w.ids['upcoming_window']}/edit/",
            lambda w, v, name=name: _window_form(w, name, v),  # type: ignore[misc]
            values=DATETIME_VALUES,
        )
        for name in ("opens_at", "closes_at", "pickup_date")
    ),
    Case(
        "shortage offer",
        "coordinator",
        lambda w: f"/coordinator/windows/{w.ids['closed_window']}/shortage/",
        lambda w, v: {"offer": v, "units": "1"},
    ),
    Case(
        "shortage units",
        "coordinator",
        lambda w: f"/coordinator/windows/{w.ids['closed_window']}/shortage/",
        lambda w, v: {"offer": w.ids["closed_offer"], "units": v},
    ),
    Case(
        "pickup mark picked_up (htmx)",
        "coordinator",
        lambda w: f"/coordinator/orders/{w.ids['other_locked']}/pickup/",
        lambda w, v: {"picked_up": v},
        htmx=True,
    ),
)


def _guard(world: World, role: str) -> Snapshot:
    """What the role's request must leave alone, whatever it sends."""
    if role == "customer":
        return (customer_rows(world.other_customer), farm_rows(world.farm), window_rows())
    if role == "farmer":
        return (farm_rows(world.other_farm), all_orders(), window_rows())
    return (
        farm_rows(world.farm),
        farm_rows(world.other_farm),
        rows(Offer.objects.all(), "remaining"),
    )


def test_every_hostile_number_in_every_numeric_field(world: World, clients: Clients) -> None:
    failures: dict[str, list[str]] = {}  # the error, and the (field, value) that caused it
    for case in SWEEP:
        for value in case.values or SWEEP_NUMBERS:
            with rolled_back():
                before = _guard(world, case.role)
                try:
                    send(
                        clients(case.role),
                        "post",
                        case.url(world),
                        case.data(world, value),
                        htmx=case.htmx,
                    )
                    assert _guard(world, case.role) == before, "someone else's data changed"
                except AssertionError as error:
                    detail = str(error).split("\n", 2)[-1]  # the frames, without the data
                    failures.setdefault(detail, []).append(f"{case.name} = {value[:40]!r}")
    assert not failures, "\n\n".join(
        f"{len(cases)} failing: {', '.join(cases)}\n{detail}" for detail, cases in failures.items()
    )


# Every URL that takes an id, with ids at the limits of integer columns, for the roles
# that may reach the view behind it (GET, and POST without a form: nothing to parse but
# the path).
ID_URLS = (
    ("get", "/my/orders/{id}/"),
    ("get", "/portal/{farm}/products/{id}/"),
    ("get", "/portal/{farm}/weeks/{id}/"),
    ("get", "/portal/{farm}/weeks/{id}/counts/"),
    ("get", "/portal/{farm}/weeks/{id}/stock.csv"),
    ("get", "/portal/{farm}/weeks/{id}/pickup-list.pdf"),
    ("get", "/portal/{farm}/weeks/{id}/pickup-list.csv"),
    ("get", "/coordinator/windows/{id}/"),
    ("get", "/coordinator/windows/{id}/edit/"),
    ("get", "/coordinator/windows/{id}/progress/"),
    ("get", "/coordinator/documents/{id}.pdf"),
    ("get", "/my/orders/{id}/paid/"),
    ("get", "/coordinator/windows/{id}/settlement/"),
    ("get", "/coordinator/windows/{id}/payouts.csv"),
    ("get", "/portal/{farm}/statements/{id}.pdf"),
    ("get", "/portal/{farm}/statements/{id}.csv"),
    ("post", "/basket/lines/{id}/"),
    ("post", "/my/orders/{id}/cancel/"),
    ("post", "/portal/{farm}/products/{id}/"),
    ("post", "/portal/{farm}/weeks/{id}/"),
    ("post", "/portal/{farm}/weeks/{id}/upload/"),
    ("post", "/coordinator/orders/{id}/pickup/"),
    ("post", "/coordinator/windows/{id}/edit/"),
    ("post", "/coordinator/windows/{id}/cancel/"),
    ("post", "/coordinator/windows/{id}/close/"),
    ("post", "/coordinator/windows/{id}/shortage/"),
    ("post", "/my/orders/{id}/pay/"),
    ("post", "/coordinator/orders/{id}/cash/"),
    ("post", "/coordinator/orders/{id}/cancel/"),
    ("post", "/coordinator/orders/{id}/write-off/"),
    ("post", "/coordinator/windows/{id}/settle/"),
    ("post", "/coordinator/statements/{id}/paid/"),
)


def test_every_url_id_at_the_limits_of_integer_columns(
    world: World, clients: Clients, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tasks.close_window, "delay", lambda window_id: None)
    failures: dict[str, list[str]] = {}
    for method, template in ID_URLS:
        roles = ("farmer", "coordinator") if "{farm}" in template else ("customer", "coordinator")
        for role in roles:
            for value in BOUNDARY_IDS:
                url = template.format(farm=world.farm.slug, id=value)
                with rolled_back():
                    before = everything(world)
                    try:
                        response = send(clients(role), method, url, {"picked_up": "1"})
                        assert response.status_code in (403, 404), response.status_code
                        assert everything(world) == before, "data changed"
                    except AssertionError as error:
                        detail = str(error).split("\n", 2)[-1]
                        failures.setdefault(detail, []).append(f"{role} {method.upper()} {url}")
    assert not failures, "\n\n".join(
        f"{len(urls)} failing: {', '.join(urls)}\n{detail}" for detail, urls in failures.items()
    )


# --------------------------------------------------------------------------------------
# Numbers that are short to type and long to compute
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["grid", "csv"])
def test_a_huge_exponent_is_refused_at_once(world: World, clients: Clients, where: str) -> None:
    """« 1e200000 » is nine characters; turning it into an int takes seconds (quadratic:
    « 1e1000000 » takes about a minute, « 1e999999999 » never ends). A stock quantity
    must be refused without building the number."""
    farm, window, product = world.farm.slug, world.ids["upcoming_window"], world.ids["product"]
    value = "1e200000"  # about 1 s here; the fix refuses it in a few milliseconds
    with rolled_back():
        started = clock.monotonic()
        if where == "grid":
            response = send(
                clients("farmer"),
                "post",
                f"/portal/{farm}/weeks/{window}/",
                {f"q-{product}": value, f"p-{product}": "3,50"},
            )
        else:
            content = f"product_id,quantity,price\n{product},{value},3.50\n".encode()
            response = send(
                clients("farmer"),
                "post",
                f"/portal/{farm}/weeks/{window}/upload/",
                {"file": SimpleUploadedFile("stock.csv", content)},
            )
        elapsed = clock.monotonic() - started
        assert response.status_code == 422
        assert elapsed < 0.25, f"{value!r} took {elapsed:.2f}s to refuse"
