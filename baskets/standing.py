"""Standing baskets (« mon panier habituel »), the La Mauve way: a customer saves what
they usually take; when a week opens their basket is filled with it from what is on
offer, they are emailed to review it and may change anything until the deadline; at a
time the co-op sets (`CoopSettings.standing_confirm_hours` before the deadline) it is
confirmed for them, unless they skipped the week. Pause until a date, resume, stop.

Rules kept here:
- Stock is taken by the basket's own service (`orders.basket.basket_fill`): never
  oversold, each basket in its own transaction, so one that fails never stops the
  others.
- Fair when stock runs short: the baskets are filled in an order drawn afresh each week
  (a hash of the week and the basket), so the same customers do not always come last.
- Exactly once, on any number of workers: a `StandingWeek` row (one per basket and
  week, a unique pair) is the claim to fill; each email is claimed by a conditional
  UPDATE of its timestamp before it is sent; a confirmation by a conditional UPDATE of
  the week's status, in the same transaction as the order's.
- What could not be filled is kept on the week and told in the review email.
"""

import hashlib
import logging
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from farms.models import Product
from orders import basket, locks
from orders.errors import BasketError, WindowClosed
from orders.models import CoopSettings, Order, OrderWindow, PickupPoint, PickupSlot
from orders.selectors import current_window
from orders.services import payment_methods_offered
from orders.slots import slots_for_week

from .models import StandingBasket, StandingLine, StandingWeek
from .selectors import shop_offers

logger = logging.getLogger(__name__)

MAX_LINES = 60


# The customer's own changes --------------------------------------------------------------


@transaction.atomic
def standing_save(
    *,
    customer_id: int,
    lines: Sequence[tuple[int, int]],
    pickup_point_id: int,
    pickup_slot_id: int | None,
    payment_method: str,
    allow_substitutes: bool,
    language: str,
) -> StandingBasket:
    """Save (or replace) the customer's usual basket: (product id, quantity) lines, how
    it is picked up and paid. Saving a stopped or paused basket makes it active."""
    wanted = {product_id: quantity for product_id, quantity in lines if quantity > 0}
    if not wanted:
        raise BasketError(_("Your usual basket needs at least one product."))
    if len(wanted) > MAX_LINES:
        raise BasketError(_("A usual basket holds at most %(max)d products.") % {"max": MAX_LINES})
    if any(q > basket.MAX_UNITS_PER_LINE for q in wanted.values()):
        raise BasketError(
            _("At most %(max)d units per product.") % {"max": basket.MAX_UNITS_PER_LINE}
        )
    known = set(Product.objects.filter(pk__in=wanted, is_active=True).values_list("pk", flat=True))
    if known != set(wanted):
        raise BasketError(_("Some of these products are no longer sold."))
    point = PickupPoint.objects.filter(pk=pickup_point_id, is_active=True).first()
    if point is None:
        raise BasketError(_("Choose a pickup point."))
    slot = None
    if pickup_slot_id is not None:
        slot = PickupSlot.objects.filter(
            pk=pickup_slot_id, pickup_point=point, window__isnull=True
        ).first()
        if slot is None:
            raise BasketError(
                _("This time slot is not at %(point)s: choose one of its slots, or no preference.")
                % {"point": point.name}
            )
    if payment_method not in payment_methods_offered():
        raise BasketError(_("Choose how you will pay."))
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    standing, _created = StandingBasket.objects.select_for_update().update_or_create(
        customer_id=customer_id,
        defaults={
            "status": StandingBasket.Status.ACTIVE,
            "paused_until": None,
            "pickup_point": point,
            "pickup_slot": slot,
            "payment_method": payment_method,
            "allow_substitutes": allow_substitutes,
            "language": language,
        },
    )
    StandingLine.objects.filter(standing=standing).delete()
    StandingLine.objects.bulk_create(
        StandingLine(standing=standing, product_id=product_id, quantity=quantity)
        for product_id, quantity in sorted(wanted.items())
    )
    return standing


def _own(customer_id: int) -> StandingBasket:
    standing = StandingBasket.objects.select_for_update().filter(customer_id=customer_id).first()
    if standing is None:
        raise BasketError(_("You have no usual basket yet."))
    return standing


@transaction.atomic
def standing_pause(*, customer_id: int, until: date | None, today: date) -> StandingBasket:
    """No basket for the weeks picked up before `until` (none: until resumed)."""
    if until is not None and until <= today:
        raise BasketError(_("Choose a day after today."))
    standing = _own(customer_id)
    if standing.status == StandingBasket.Status.STOPPED:
        raise BasketError(_("Your usual basket is stopped: save it again to restart it."))
    standing.status = StandingBasket.Status.PAUSED
    standing.paused_until = until
    standing.save(update_fields=["status", "paused_until", "updated_at"])
    return standing


@transaction.atomic
def standing_resume(*, customer_id: int) -> StandingBasket:
    standing = _own(customer_id)
    standing.status = StandingBasket.Status.ACTIVE
    standing.paused_until = None
    standing.save(update_fields=["status", "paused_until", "updated_at"])
    return standing


@transaction.atomic
def standing_stop(*, customer_id: int) -> StandingBasket:
    """No more baskets; what it holds is kept, to start again by saving it."""
    standing = _own(customer_id)
    standing.status = StandingBasket.Status.STOPPED
    standing.paused_until = None
    standing.save(update_fields=["status", "paused_until", "updated_at"])
    return standing


def _check_before_deadline(window: OrderWindow, now: datetime) -> None:
    if window.status not in (OrderWindow.Status.SCHEDULED, OrderWindow.Status.OPEN) or (
        now >= window.closes_at
    ):
        raise BasketError(_("This week is closed for orders."))


@transaction.atomic
def standing_skip(*, customer_id: int, window_id: int, now: datetime) -> StandingWeek:
    """No basket this week: before it opens, none is filled; once filled, its units go
    back on sale. Refused once the basket was confirmed (the order can be cancelled)."""
    window = OrderWindow.objects.get(pk=window_id)
    _check_before_deadline(window, now)
    standing = _own(customer_id)
    week, _created = StandingWeek.objects.select_for_update().get_or_create(
        standing=standing,
        window=window,
        defaults={"status": StandingWeek.Status.SKIPPED, "skipped_at": now},
    )
    if week.status == StandingWeek.Status.SKIPPED:
        return week
    if week.status == StandingWeek.Status.CONFIRMED:
        raise BasketError(
            _(
                "Your basket for this week is confirmed already: cancel the order if you "
                "want nothing."
            )
        )
    if week.status == StandingWeek.Status.OWN_ORDER:
        raise BasketError(
            _("You ordered this week yourself: cancel the order if you want nothing.")
        )
    if week.order_id is not None:
        locks.window_share(window)  # as every write to an order of an open week
        order = locks.order_lock(week.order_id)
        if order.status == Order.Status.BASKET:
            # What the fill put in goes back; what the customer added by hand stays, as
            # an ordinary basket (confirmed only if they confirm it).
            basket.basket_give_back_units(
                order, {int(offer_id): units for offer_id, units in week.added.items()}
            )
            Order.objects.filter(pk=order.pk).update(prepared_until=None)
    week.status = StandingWeek.Status.SKIPPED
    week.skipped_at = now
    week.save(update_fields=["status", "skipped_at"])
    return week


@transaction.atomic
def standing_unskip(*, customer_id: int, window_id: int, now: datetime) -> None:
    """Take the week back: its basket is filled at the next tick (at once if open)."""
    window = OrderWindow.objects.get(pk=window_id)
    _check_before_deadline(window, now)
    standing = _own(customer_id)
    StandingWeek.objects.filter(
        standing=standing, window=window, status=StandingWeek.Status.SKIPPED
    ).delete()


# Filling when a week opens ---------------------------------------------------------------


def _fold(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in plain if not unicodedata.combining(c)).strip()


def confirm_time(window: OrderWindow) -> datetime:
    """When the week's standing baskets are confirmed for their customers."""
    at = window.closes_at - timedelta(hours=CoopSettings.load().standing_confirm_hours)
    # A week shorter than the review time: halfway through it.
    return (
        at if at > window.opens_at else window.opens_at + (window.closes_at - window.opens_at) / 2
    )


def _eligible(window: OrderWindow) -> Q:
    resumed = Q(status=StandingBasket.Status.PAUSED, paused_until__lte=window.pickup_date)
    return Q(status=StandingBasket.Status.ACTIVE) | resumed


def fills_in(standing: StandingBasket, window: OrderWindow) -> bool:
    """Whether the week's fill takes this usual basket (`_eligible`, for one)."""
    return standing.fills_for(window.pickup_date)


def _fair_order(window_id: int, standing_id: int) -> bytes:
    return hashlib.sha256(f"{window_id}:{standing_id}".encode()).digest()


@dataclass(slots=True)
class _Offers:
    """The week's offers, read once for every basket: by product, and by what a product
    is (its name and unit) for replacements from another farm."""

    by_product: dict[int, int]
    by_kind: dict[tuple[str, str], list[tuple[int, int, str]]]  # offer, farm id, farm name

    @classmethod
    def of(cls, window: OrderWindow) -> "_Offers":
        by_product: dict[int, int] = {}
        by_kind: dict[tuple[str, str], list[tuple[int, int, str]]] = defaultdict(list)
        rows = (
            shop_offers(window=window)
            .order_by("price", "pk")
            .values_list("pk", "product_id", "product__name", "product__unit", "product__farm_id",
                         "product__farm__name")
        )  # fmt: skip
        for offer_id, product_id, name, unit, farm_id, farm in rows:
            by_product[product_id] = offer_id
            by_kind[(_fold(name), unit)].append((offer_id, farm_id, farm))
        return cls(by_product, by_kind)


@dataclass(frozen=True, slots=True)
class FillReport:
    filled: int
    empty: int
    own_order: int


def standing_fill(*, window_id: int, now: datetime) -> FillReport:
    """Fill every eligible standing basket for the open week that has none yet."""
    window = OrderWindow.objects.get(pk=window_id)
    if not (window.opens_at <= now < window.closes_at) or window.status not in (
        OrderWindow.Status.SCHEDULED,
        OrderWindow.Status.OPEN,
    ):
        return FillReport(0, 0, 0)
    done = StandingWeek.objects.filter(window=window).values("standing_id")
    standings = list(
        StandingBasket.objects.filter(_eligible(window))
        .exclude(pk__in=done)
        .prefetch_related("lines__product__farm")
    )
    if not standings:
        return FillReport(0, 0, 0)
    offers = _Offers.of(window)
    until = confirm_time(window)
    counts: dict[str, int] = dict.fromkeys(
        (StandingWeek.Status.FILLED, StandingWeek.Status.EMPTY, StandingWeek.Status.OWN_ORDER), 0
    )
    for standing in sorted(standings, key=lambda s: _fair_order(window.pk, s.pk)):
        try:
            status = _fill_one(standing, window=window, offers=offers, until=until, now=now)
        except WindowClosed as refusal:  # the week closed meanwhile: the others too
            logger.info("standing baskets of window %s: %s", window.pk, refusal.message)
            break
        except BasketError as refusal:  # this customer's order cannot change: theirs only
            logger.info("standing basket %s: %s", standing.pk, refusal.message)
            continue
        except Exception:  # never fail the opening for the others
            logger.exception("standing basket %s: could not be filled", standing.pk)
            continue
        if status in counts:
            counts[status] += 1
    return FillReport(
        counts[StandingWeek.Status.FILLED],
        counts[StandingWeek.Status.EMPTY],
        counts[StandingWeek.Status.OWN_ORDER],
    )


def _fill_one(
    standing: StandingBasket, *, window: OrderWindow, offers: _Offers, until: datetime,
    now: datetime,
) -> str | None:  # fmt: skip
    """Fill one basket in its own transaction, its week row written last: the row is the
    claim, and if another worker (or the customer skipping) wrote it first, the unique
    pair refuses this one and the whole fill is rolled back: theirs stands."""
    try:
        with transaction.atomic():
            week = _fill_week(standing, window=window, offers=offers, until=until, now=now)
            week.save(force_insert=True)
    except IntegrityError:
        return None
    return week.status


def _fill_week(
    standing: StandingBasket, *, window: OrderWindow, offers: _Offers, until: datetime,
    now: datetime,
) -> StandingWeek:  # fmt: skip
    asked: dict[int, int] = {}
    names: dict[int, str] = {}
    substituted = []
    missing = []
    for line in standing.lines.all():
        product = line.product
        offer_id = offers.by_product.get(product.pk)
        if offer_id is None and standing.allow_substitutes:
            others = [
                o for o in offers.by_kind.get((_fold(product.name), product.unit), [])
                if o[1] != product.farm_id and o[0] not in asked
            ]  # fmt: skip
            if others:
                offer_id = others[0][0]
                substituted.append(
                    {"wanted": product.name, "farm": others[0][2], "quantity": line.quantity}
                )
        if offer_id is None:
            missing.append({"product": product.name, "wanted": line.quantity, "got": 0})
            continue
        asked[offer_id] = asked.get(offer_id, 0) + line.quantity
        names[offer_id] = product.name
    filled = basket.basket_fill_standing(
        customer_id=standing.customer_id,
        window=window,
        wanted=sorted(asked.items()),
        now=now,
        prepared_until=until,
    )
    if filled is None:  # the customer confirmed an order of the week already
        order = Order.objects.only("pk").get(window=window, customer_id=standing.customer_id)
        return StandingWeek(
            standing=standing, window=window, order=order, status=StandingWeek.Status.OWN_ORDER
        )
    got = 0
    for result in filled.results:
        got += result.quantity
        if result.quantity < result.requested:
            missing.append(
                {
                    "product": names[result.offer_id],
                    "wanted": result.requested,
                    "got": result.quantity,
                }
            )
    return StandingWeek(
        standing=standing,
        window=window,
        order_id=filled.order_id,
        status=StandingWeek.Status.FILLED if got else StandingWeek.Status.EMPTY,
        missing=missing,
        substituted=substituted,
        added={str(offer_id): units for offer_id, units in filled.added.items()},
        filled_at=now,
    )


# Confirming for the customer --------------------------------------------------------------


def _week_slot(standing: StandingBasket, window: OrderWindow) -> int | None:
    """The week's slot at the standing basket's point that starts when its own does (a
    week's own slots replace the standing ones); else the first with room."""
    slots = slots_for_week(window, point_id=standing.pickup_point_id).get(
        standing.pickup_point_id, []
    )
    if not slots:
        return None
    room = basket.slots_with_room(window=window, exclude_order_id=None)
    wanted = standing.pickup_slot
    for slot in slots:
        if wanted is not None and slot.starts_at == wanted.starts_at and room.get(slot.pk, 0):
            return slot.pk
    return next((s.pk for s in slots if room.get(s.pk, 0)), slots[0].pk)


def standing_confirm_due(*, now: datetime) -> list[int]:
    """Confirm the reviewed baskets of the weeks whose confirmation time has come. The
    ids of the orders confirmed now (their emails are sent by the caller)."""
    hours = timedelta(hours=CoopSettings.load().standing_confirm_hours)
    weeks = list(
        StandingWeek.objects.filter(
            status=StandingWeek.Status.FILLED,
            window__closes_at__gt=now,
            window__closes_at__lte=now + hours,
            window__status__in=(OrderWindow.Status.SCHEDULED, OrderWindow.Status.OPEN),
        )
        .select_related("standing", "window", "standing__pickup_slot")
        .order_by("pk")
    )
    confirmed = []
    for week in weeks:
        if now < confirm_time(week.window):
            continue
        try:
            order_id = _confirm_one(week, now=now)
        except BasketError as refusal:
            # The customer can still confirm by hand; the week says why it was not.
            StandingWeek.objects.filter(pk=week.pk, status=StandingWeek.Status.FILLED).update(
                status=StandingWeek.Status.NOT_CONFIRMED, problem=refusal.message[:300]
            )
            logger.info("standing week %s not confirmed: %s", week.pk, refusal.message)
            continue
        if order_id is not None:
            confirmed.append(order_id)
    return confirmed


def _confirm_one(week: StandingWeek, *, now: datetime) -> int | None:
    standing = week.standing
    with transaction.atomic():
        claimed = StandingWeek.objects.filter(pk=week.pk, status=StandingWeek.Status.FILLED).update(
            status=StandingWeek.Status.CONFIRMED, confirmed_at=now
        )
        if not claimed:
            return None
        order = Order.objects.filter(window=week.window, customer_id=standing.customer_id).first()
        if order is not None and order.status == Order.Status.CONFIRMED:
            return None  # the customer confirmed it by hand: emailed then
        confirmed = basket.order_confirm(
            customer_id=standing.customer_id,
            window_id=week.window_id,
            pickup_point_id=standing.pickup_point_id,
            pickup_slot_id=_week_slot(standing, week.window),
            language=standing.language,
            now=now,
            payment_method=standing.payment_method,
        )
        Order.objects.filter(pk=confirmed.pk).update(prepared_until=None)
        return confirmed.pk


def standing_weeks_to_review(*, window_id: int) -> list[int]:
    """The weeks filled whose review email is still to send."""
    return list(
        StandingWeek.objects.filter(
            window_id=window_id,
            status__in=(StandingWeek.Status.FILLED, StandingWeek.Status.EMPTY),
            review_sent_at__isnull=True,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def open_window_ids(*, now: datetime) -> list[int]:
    window = current_window(now=now)
    return [window.pk] if window else []
