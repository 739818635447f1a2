"""Reads for the customer's pages, with a fixed number of queries whatever the data."""

import hashlib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.files.storage import default_storage
from django.db import connection
from django.db.models import F, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from common.compiled import CompiledQuery
from farms.models import Category, Farm, Product, Unit
from orders import pricing
from orders.models import Offer, Order, OrderLine, OrderWindow
from orders.selectors import LIVE

from .models import StandingBasket, StandingLine, StandingWeek


def fold(text: str) -> str:
    """Lower case without accents: « Épinards » → "epinards", « Œufs » → "oeufs"."""
    text = text.replace("œ", "oe").replace("Œ", "Oe").replace("æ", "ae").replace("Æ", "Ae")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@dataclass
class ShopFilters:
    q: str = ""
    farm: str = ""
    category: str = ""
    certification: str = ""

    @property
    def active(self) -> bool:
        return bool(self.q or self.farm or self.category or self.certification)


@dataclass(slots=True)
class ShopFarm:
    pk: int
    name: str
    slug: str


@dataclass(slots=True)
class ShopProduct:
    name: str
    category: str
    description: str
    unit_label: str
    tax_class: str
    updated_at: object
    farm_id: int
    farm: ShopFarm
    thumbnail_url: str = ""  # the 400 px WebP made at upload; empty: none
    estimated_weight: Decimal | None = None  # kg a piece, for a product sold by weight
    deposit: Decimal = Decimal("0.00")  # on its returnable container, charged apart

    @property
    def weighed(self) -> bool:
        return self.estimated_weight is not None


@dataclass(slots=True)
class ShopOffer:
    """What a shop card shows, read as plain values: hundreds of these are built per
    page, and full model instances cost most of the render."""

    pk: int
    quantity: int
    remaining: int
    price: Decimal
    product: ShopProduct
    action_url: str = ""
    farm_url: str = ""


# What a shop card and the filters show of an offer, in the shop's order. The rows are
# also the shop's cache version: any change to any of them is a new version.
OFFER_COLUMNS = (
    "pk", "quantity", "remaining", "price", "product__name", "product__category",
    "product__description", "product__unit", "product__package_size",
    "product__tax_class", "product__updated_at", "product__farm_id",
    "product__farm__name", "product__farm__slug", "product__thumbnail",
    "product__estimated_weight", "product__deposit", "product__farm__kind",
)  # fmt: skip
FARM_COLUMN = OFFER_COLUMNS.index("product__farm_id")
FARM_SLUG_COLUMN = OFFER_COLUMNS.index("product__farm__slug")
FARM_KIND_COLUMN = OFFER_COLUMNS.index("product__farm__kind")
OfferRow = tuple[Any, ...]


def shop_offers(*, window: OrderWindow) -> QuerySet[Offer]:
    """The window's offers as the shop shows them. A farm paused or archived leaves the
    shop from the next window on: its offers stay in a window that opened before the
    change (customers have them in their baskets)."""
    left_before = Q(product__farm__is_active=False) & (
        Q(product__farm__status_changed_at__isnull=True)
        | Q(product__farm__status_changed_at__lt=F("window__opens_at"))
    )
    return Offer.objects.filter(window=window, quantity__gt=0).exclude(left_before)


def window_offer_rows(*, window: OrderWindow) -> list[OfferRow]:
    """The window's offers as plain rows (OFFER_COLUMNS), in one query."""
    return list(
        shop_offers(window=window)
        .order_by("product__category", "product__name", "product__farm__name")
        .values_list(*OFFER_COLUMNS)
    )


def window_rows_and_certifications(
    *, window: OrderWindow
) -> tuple[list[OfferRow], dict[int, list[tuple[str, str]]]]:
    """What the shop's list is drawn from: the offer rows and their farms'
    certifications, in two queries."""
    rows = window_offer_rows(window=window)
    return rows, farm_certifications(farm_ids={row[FARM_COLUMN] for row in rows})


def offers_from_rows(rows: Iterable[OfferRow]) -> list[ShopOffer]:
    units = {key: str(label) for key, label in Unit.choices}
    action = reverse("baskets:line_update", args=[0]).removesuffix("0/")
    farm_base = reverse("baskets:farm", kwargs={"slug": "x"}).removesuffix("x/")
    farms: dict[int, ShopFarm] = {}
    offers = []
    for (pk, quantity, remaining, price, name, category, description, unit, package,
         tax_class, updated_at, farm_id, farm_name, farm_slug, thumbnail,
         weight, deposit, _kind) in rows:  # fmt: skip
        farm = farms.get(farm_id)
        if farm is None:
            farm = farms[farm_id] = ShopFarm(pk=farm_id, name=farm_name, slug=farm_slug)
        label: str = package if unit == Unit.PACKAGE and package else units.get(unit, str(unit))
        product = ShopProduct(
            name=name, category=category, description=description, unit_label=label,
            tax_class=tax_class, updated_at=updated_at, farm_id=farm_id, farm=farm,
            thumbnail_url=default_storage.url(thumbnail) if thumbnail else "",
            estimated_weight=weight, deposit=deposit,
        )  # fmt: skip
        offers.append(
            ShopOffer(
                pk=pk, quantity=quantity, remaining=remaining, price=price, product=product,
                action_url=f"{action}{pk}/", farm_url=f"{farm_base}{farm_slug}/",
            )
        )  # fmt: skip
    return offers


def window_offers(*, window: OrderWindow) -> list[ShopOffer]:
    """The window's offers with what a card shows, in one query."""
    return offers_from_rows(window_offer_rows(window=window))


def farm_certifications(*, farm_ids: Iterable[int]) -> dict[int, list[tuple[str, str]]]:
    """(slug, name) of each farm's certifications, in one query."""
    through = Farm.certifications.through
    result: dict[int, list[tuple[str, str]]] = {}
    rows = (
        through.objects.filter(farm_id__in=set(farm_ids))
        .order_by("farm_id", "certification__slug")
        .values_list("farm_id", "certification__slug", "certification__name")
    )
    for farm_id, slug, name in rows:
        result.setdefault(farm_id, []).append((slug, name))
    return result


def filter_offers(
    offers: Iterable[ShopOffer],
    filters: ShopFilters,
    certifications: dict[int, list[tuple[str, str]]],
) -> list[ShopOffer]:
    """Filter in Python: the window's offers are loaded once (a few hundred rows), and
    accent-insensitive search then works the same on SQLite and PostgreSQL."""
    words = fold(filters.q).split()
    labels = dict(Category.choices)
    result = []
    for offer in offers:
        product = offer.product
        if filters.farm and product.farm.slug != filters.farm:
            continue
        if filters.category and product.category != filters.category:
            continue
        if filters.certification and filters.certification not in {
            slug for slug, _name in certifications.get(product.farm_id, [])
        }:
            continue
        if words:
            haystack = fold(
                f"{product.name} {product.description} {product.farm.name} "
                f"{labels.get(product.category, '')}"
            )
            if not all(word in haystack for word in words):
                continue
        result.append(offer)
    return result


def group_by_category(
    offers: Iterable[ShopOffer],
) -> list[tuple[str, str, list[ShopOffer]]]:
    labels = dict(Category.choices)
    groups: dict[str, list[ShopOffer]] = {}
    for offer in offers:
        groups.setdefault(offer.product.category, []).append(offer)
    order = [c for c, _ in Category.choices]
    return [
        (key, str(labels.get(key, key)), groups[key])
        for key in sorted(groups, key=lambda k: order.index(k) if k in order else 99)
    ]


@dataclass
class Basket:
    """The customer's order for a window, its lines and its totals."""

    order: Order | None
    lines: list[OrderLine] = field(default_factory=list)

    @property
    def totals(self) -> pricing.Totals:
        return pricing.totals(ln.priced for ln in self.lines)

    @property
    def quantities(self) -> dict[int, int]:
        return {line.offer_id: line.quantity for line in self.lines}

    @property
    def estimated(self) -> bool:
        """Some pieces sold by weight are not weighed yet: the totals are an estimate."""
        return any(ln.weighed and ln.weight is None and ln.delivered for ln in self.lines)

    @property
    def confirmed(self) -> bool:
        return self.order is not None and self.order.status == Order.Status.CONFIRMED


def _columns(model: Any, prefix: str) -> list[str]:
    return [f"{prefix}{f.attname}" for f in model._meta.concrete_fields]


# Every stored value of a basket line, its order, offer, product and farm.
BASKET_COLUMNS = (
    *_columns(OrderLine, ""),
    *_columns(Order, "order__"),
    *_columns(Offer, "offer__"),
    *_columns(Product, "offer__product__"),
    *_columns(Farm, "offer__product__farm__"),
)
BASKET_RELEASED_COLUMN = BASKET_COLUMNS.index("order__released")


_BASKET_ROWS = CompiledQuery(
    lambda customer, window: (
        OrderLine.objects.filter(order__window_id=window, order__customer_id=customer)
        .order_by("pk")
        .values_list(*BASKET_COLUMNS)
    ),
    "customer",
    "window",
    # On PostgreSQL the rows stay in the database: their digest, count and note.
    postgresql_around=(
        "SELECT coalesce(md5(string_agg(t::text, '|' ORDER BY t.id)), ''), count(*),"
        " coalesce(bool_or(t.order__released::text <> '[]'), false),"
        " max(t.order__last_activity_at) FROM ({sql}) t"
    ),
)
BASKET_ACTIVITY_COLUMN = BASKET_COLUMNS.index("order__last_activity_at")


@dataclass(frozen=True, slots=True)
class BasketState:
    """A digest of every stored value of the customer's basket for the window (each
    line, its order, offer, product and farm: BASKET_COLUMNS), what the shop shows of a
    basket follows from them; the number of lines; and whether the order has released
    units to tell of."""

    digest: str
    lines: int
    released: bool
    last_activity: datetime | None = None


def basket_state(*, customer_id: int, window: OrderWindow) -> BasketState:
    """One query, compiled once (and prepared, on PostgreSQL, which digests the rows)."""
    found = _BASKET_ROWS.rows(customer=customer_id, window=window.pk)
    if connection.vendor == "postgresql":
        digest, lines, released, last_activity = found[0]
        return BasketState(
            digest=digest, lines=lines, released=bool(released), last_activity=last_activity
        )
    return BasketState(
        digest=hashlib.md5(repr(found).encode(), usedforsecurity=False).hexdigest()
        if found
        else "",
        lines=len(found),
        released=any(row[BASKET_RELEASED_COLUMN] not in (None, "", "[]", []) for row in found),
        last_activity=_aware(found[0][BASKET_ACTIVITY_COLUMN]) if found else None,
    )


def _aware(value: Any) -> datetime | None:
    """A time read raw from SQLite (text, or naive, in UTC as Django stores it)."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if isinstance(value, datetime) and timezone.is_naive(value):
        value = value.replace(tzinfo=UTC)
    return value if isinstance(value, datetime) else None


# A customer back within the last minutes of their hold is offered to keep their units.
HOLD_WARNING = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Hold:
    """How long the units of a basket never confirmed stay held for the customer: the
    co-op's hold time after their last change (`orders.basket.basket_release_idle`)."""

    minutes: int
    ends_at: datetime
    near: bool  # within HOLD_WARNING of its end, or past it (the release has not run)


def hold_near(*, last_activity: datetime | None, minutes: int, now: datetime) -> bool:
    return last_activity is not None and (
        last_activity + timedelta(minutes=minutes) - now <= HOLD_WARNING
    )


def hold_of(*, basket: "Basket", minutes: int, now: datetime) -> Hold | None:
    """The hold of a basket with lines, not confirmed, not filled for the customer (a
    standing basket, held until it is due); None otherwise."""
    order = basket.order
    if order is None or not basket.lines or order.status != Order.Status.BASKET:
        return None
    if order.prepared_until is not None and order.prepared_until > now:
        return None
    return Hold(
        minutes=minutes,
        ends_at=order.last_activity_at + timedelta(minutes=minutes),
        near=hold_near(last_activity=order.last_activity_at, minutes=minutes, now=now),
    )


def basket_items(*, customer_id: int, now: datetime) -> int:
    """The units in the customer's basket for the window taking orders now, for the
    header's « Basket (3) » on every page: one query."""
    window = (
        OrderWindow.objects.filter(status__in=LIVE, opens_at__lte=now, closes_at__gt=now)
        .order_by("closes_at")
        .values("pk")[:1]
    )
    found = OrderLine.objects.filter(
        order__customer_id=customer_id,
        order__window=window,
        order__status__in=(Order.Status.BASKET, Order.Status.CONFIRMED),
    ).aggregate(items=Sum(F("quantity") - F("shortage")))
    return int(found["items"] or 0)


def basket_of(*, customer_id: int | None, window: OrderWindow | int | None) -> Basket:
    """The customer's basket for the window (a row or its id): two queries."""
    if customer_id is None or window is None:
        return Basket(order=None)
    order = (
        Order.objects.filter(window=window, customer_id=customer_id)
        .select_related("pickup_point", "pickup_slot")
        .first()
    )
    if order is None:
        return Basket(order=None)
    lines = list(
        order.lines.select_related("offer__product__farm").order_by("offer__product__name")
    )
    return Basket(order=order, lines=lines)


def shop_choices(
    *, offers: Iterable[ShopOffer], certifications: dict[int, list[tuple[str, str]]]
) -> dict[str, list[tuple[str, str]]]:
    """The filter menus, from the offers already loaded (no extra query)."""
    farms: dict[str, str] = {}
    certs: dict[str, str] = {}
    certifications_of = certifications
    categories: set[str] = set()
    for offer in offers:
        farm = offer.product.farm
        farms[farm.slug] = farm.name
        categories.add(offer.product.category)
        for slug, name in certifications_of.get(farm.pk, []):
            certs[slug] = name
    return {
        "farms": sorted(farms.items(), key=lambda kv: fold(kv[1])),
        "categories": [(k, str(v)) for k, v in Category.choices if k in categories],
        "certifications": sorted(certs.items(), key=lambda kv: fold(kv[1])),
    }


def previous_window(*, before: OrderWindow | None = None) -> OrderWindow | None:
    windows = OrderWindow.objects.filter(status=OrderWindow.Status.CLOSED)
    if before is not None:
        windows = windows.filter(opens_at__lt=before.opens_at)
    return windows.order_by("-closes_at").first()


def orders_with_totals(*, customer_id: int) -> list[tuple[Order, pricing.Totals]]:
    orders = (
        Order.objects.filter(customer_id=customer_id)
        .exclude(status=Order.Status.BASKET, lines__isnull=True)
        .select_related("window", "pickup_point", "pickup_slot")
        .prefetch_related("lines")
        .order_by("-window__pickup_date")
        .distinct()
    )
    return [
        (
            o,
            pricing.totals(ln.priced for ln in o.lines.all()),
        )
        for o in orders
    ]


def decorate_offers(offers: Iterable[Offer]) -> None:
    """Attach each offer's form action and farm link, built once per page instead of
    one URL reversal per card (the shop renders hundreds of cards)."""
    action = reverse("baskets:line_update", args=[0]).removesuffix("0/")
    farm_base = reverse("baskets:farm", kwargs={"slug": "x"}).removesuffix("x/")
    for offer in offers:
        offer.action_url = f"{action}{offer.pk}/"  # type: ignore[attr-defined]
        offer.farm_url = f"{farm_base}{offer.product.farm.slug}/"  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class StandingWeekRow:
    window: OrderWindow
    status: str  # a StandingWeek status, or "" when nothing happened yet
    label: str
    can_skip: bool
    can_unskip: bool


@dataclass(frozen=True, slots=True)
class StandingPage:
    standing: Any  # a StandingBasket or None
    lines: list[tuple[Any, int]]  # (product, quantity) shown in the form
    from_basket: bool  # the lines are this week's basket, not yet saved
    weeks: list[StandingWeekRow]


def standing_page(*, customer_id: int, now: Any, use_basket: bool) -> StandingPage:
    """The customer's usual basket, the lines to show in its form (its own, or this
    week's basket when asked or when there is none yet) and the weeks ahead."""
    standing = (
        StandingBasket.objects.filter(customer_id=customer_id)
        .select_related("pickup_point", "pickup_slot")
        .first()
    )
    lines: list[tuple[Any, int]] = []
    if standing is not None and not use_basket:
        lines = [
            (line.product, line.quantity)
            for line in StandingLine.objects.filter(standing=standing)
            .select_related("product__farm")
            .order_by("product__name")
        ]
    from_basket = not lines
    if from_basket:
        current = (
            OrderWindow.objects.filter(
                status__in=(OrderWindow.Status.SCHEDULED, OrderWindow.Status.OPEN),
                opens_at__lte=now,
                closes_at__gt=now,
            )
            .order_by("closes_at")
            .first()
        )
        last = current or previous_window()
        taken = OrderLine.objects.filter(order__customer_id=customer_id, order__window=last)
        products = {p.pk: p for p in Product.objects.filter(
            pk__in=taken.values("offer__product_id")).select_related("farm")}  # fmt: skip
        lines = sorted(
            ((products[pid], qty) for pid, qty in taken.values_list("offer__product_id", "quantity")
             if pid in products),
            key=lambda pair: fold(pair[0].name),
        )  # fmt: skip
    windows = list(
        OrderWindow.objects.filter(
            status__in=(OrderWindow.Status.SCHEDULED, OrderWindow.Status.OPEN), closes_at__gt=now
        ).order_by("opens_at")[:4]
    )
    done = {}
    if standing is not None:
        done = dict(
            StandingWeek.objects.filter(standing=standing, window__in=windows).values_list(
                "window_id", "status"
            )
        )
    labels = dict(StandingWeek.Status.choices)
    active = standing is not None and standing.status != StandingBasket.Status.STOPPED
    weeks = []
    for w in windows:
        status = done.get(w.pk, "")
        paused = standing is not None and not status and not standing.fills_for(w.pickup_date)
        weeks.append(
            StandingWeekRow(
                window=w,
                status=status,
                label=str(_("paused") if paused else labels.get(status, "")),
                can_skip=active
                and not paused
                and status in ("", StandingWeek.Status.FILLED, StandingWeek.Status.EMPTY),
                can_unskip=active and status == StandingWeek.Status.SKIPPED,
            )
        )
    return StandingPage(standing=standing, lines=lines, from_basket=from_basket, weeks=weeks)


def has_order_to_repeat(*, customer_id: int | None, window: OrderWindow | None) -> bool:
    """Whether « Repeat my last basket » has something to repeat: an order placed in an
    earlier week than `window` (one query)."""
    if customer_id is None or window is None:
        return False
    return (
        Order.objects.filter(customer_id=customer_id, window__opens_at__lt=window.opens_at)
        .exclude(status__in=(Order.Status.BASKET, Order.Status.CANCELLED))
        .exists()
    )
