"""Pickup points and their slots, written by coordinators: the points themselves, their
standing slots (every week), the slots of one week (which replace the standing ones
for that week), and a point closed for one week.

Each write is one function with keyword arguments in one transaction. A refusal is a
PointError with a message for the coordinator; the database constraints on slots
(capacity > 0, ends after it starts, one start per point and week) back the checks
made here, and a race that slips past them is refused the same way. What the week
offers is read by `orders.slots.slots_for_week`.
"""

import functools
import logging
from datetime import datetime, time
from urllib.parse import urljoin

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User

from .audit import audit_record
from .errors import PointError
from .models import AuditEvent, Order, OrderWindow, PickupPoint, PickupSlot, PointClosure

logger = logging.getLogger(__name__)


# --- Points -------------------------------------------------------------------------------


def _check_hours(opens_at: time, closes_at: time) -> None:
    if closes_at <= opens_at:
        raise PointError(_("The point must close after it opens."))


def _unique_slug(name: str, *, exclude_pk: int | None = None) -> str:
    base = (slugify(name) or "point")[:110]
    slug, n = base, 1
    while PickupPoint.objects.filter(slug=slug).exclude(pk=exclude_pk or 0).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def point_create(
    *,
    name: str,
    address: str,
    city: str,
    opens_at: time,
    closes_at: time,
    instructions: str = "",
    is_active: bool = True,
) -> PickupPoint:
    _check_hours(opens_at, closes_at)
    return PickupPoint.objects.create(
        name=name,
        slug=_unique_slug(name),
        address=address,
        city=city,
        opens_at=opens_at,
        closes_at=closes_at,
        instructions=instructions,
        is_active=is_active,
    )


@transaction.atomic
def point_update(
    *,
    point_id: int,
    name: str,
    address: str,
    city: str,
    opens_at: time,
    closes_at: time,
    instructions: str,
    is_active: bool,
) -> PickupPoint:
    """Change a point (its slug stays: links and sheets keep working)."""
    _check_hours(opens_at, closes_at)
    point = PickupPoint.objects.select_for_update().get(pk=point_id)
    point.name, point.address, point.city = name, address, city
    point.opens_at, point.closes_at = opens_at, closes_at
    point.instructions, point.is_active = instructions, is_active
    point.save()
    return point


# --- Slots --------------------------------------------------------------------------------


def _check_week_editable(window: OrderWindow, now: datetime) -> None:
    """A week's slots change only before its deadline (orders are locked after)."""
    open_states = (OrderWindow.Status.SCHEDULED, OrderWindow.Status.OPEN)
    if window.status not in open_states or window.closes_at <= now:
        raise PointError(_("This week has closed: its slots can no longer change."))


def _check_slot(
    *,
    point_id: int,
    window_id: int | None,
    starts_at: time,
    ends_at: time,
    capacity: int,
    exclude_pk: int | None = None,
) -> None:
    if ends_at <= starts_at:
        raise PointError(_("A slot must end after it starts."))
    if capacity <= 0:
        raise PointError(_("A slot holds at least one order."))
    twin = PickupSlot.objects.filter(
        pickup_point_id=point_id, window_id=window_id, starts_at=starts_at
    ).exclude(pk=exclude_pk or 0)
    if twin.exists():
        raise PointError(
            _("This point already has a slot starting at %(time)s.")
            % {"time": starts_at.strftime("%H:%M")}
        )


def _saved(slot: PickupSlot) -> PickupSlot:
    """Save the slot; a constraint broken by a concurrent write is refused, not a 500."""
    try:
        with transaction.atomic():
            slot.save()
    except IntegrityError as error:
        raise PointError(_("This slot conflicts with another one: check its times.")) from error
    return slot


@transaction.atomic
def slot_create(
    *,
    point_id: int,
    starts_at: time,
    ends_at: time,
    capacity: int,
    now: datetime,
    window_id: int | None = None,
) -> PickupSlot:
    """A standing slot (no `window_id`), or a slot of that week only."""
    point = PickupPoint.objects.select_for_update().get(pk=point_id)
    if window_id is not None:
        _check_week_editable(OrderWindow.objects.get(pk=window_id), now)
    _check_slot(
        point_id=point.pk,
        window_id=window_id,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
    )
    return _saved(
        PickupSlot(
            pickup_point=point,
            window_id=window_id,
            starts_at=starts_at,
            ends_at=ends_at,
            capacity=capacity,
        )
    )


@transaction.atomic
def slot_update(
    *, slot_id: int, starts_at: time, ends_at: time, capacity: int, now: datetime
) -> PickupSlot:
    slot = (
        PickupSlot.objects.select_for_update(of=("self",)).select_related("window").get(pk=slot_id)
    )
    if slot.window is not None:
        _check_week_editable(slot.window, now)
    _check_slot(
        point_id=slot.pickup_point_id,
        window_id=slot.window_id,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
        exclude_pk=slot.pk,
    )
    slot.starts_at, slot.ends_at, slot.capacity = starts_at, ends_at, capacity
    return _saved(slot)


@transaction.atomic
def slot_delete(*, slot_id: int, now: datetime) -> PickupSlot:
    """Remove a slot that no order uses (orders keep their slot: refused otherwise)."""
    slot = (
        PickupSlot.objects.select_for_update(of=("self",)).select_related("window").get(pk=slot_id)
    )
    if slot.window is not None:
        _check_week_editable(slot.window, now)
    used = Order.objects.filter(pickup_slot=slot).count()
    if used:
        raise PointError(
            ngettext(
                "%(count)d order uses this slot: it cannot be removed.",
                "%(count)d orders use this slot: it cannot be removed.",
                used,
            )
            % {"count": used}
        )
    slot.delete()
    return slot


@transaction.atomic
def week_slots_copy(*, point_id: int, window_id: int, now: datetime) -> list[PickupSlot]:
    """Copy the point's standing slots into slots of the week, to edit them for that
    week. Starts the week already has are left as they are; the week's orders that
    chose a standing slot move to its copy, so they keep their time."""
    point = PickupPoint.objects.select_for_update().get(pk=point_id)
    window = OrderWindow.objects.get(pk=window_id)
    _check_week_editable(window, now)
    taken = set(
        PickupSlot.objects.filter(pickup_point=point, window=window).values_list(
            "starts_at", flat=True
        )
    )
    standing = list(PickupSlot.objects.filter(pickup_point=point, window__isnull=True))
    if not standing:
        raise PointError(_("This point has no standing slots to copy."))
    copies = []
    for slot in standing:
        if slot.starts_at in taken:
            continue
        copy = _saved(
            PickupSlot(
                pickup_point=point,
                window=window,
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
                capacity=slot.capacity,
            )
        )
        Order.objects.filter(window=window, pickup_slot=slot).update(pickup_slot=copy)
        copies.append(copy)
    return copies


# --- Closed for a week --------------------------------------------------------------------


def _orders_to_tell(*, point_id: int, window_id: int) -> list[int]:
    return list(
        Order.objects.filter(
            window_id=window_id,
            pickup_point_id=point_id,
            status=Order.Status.CONFIRMED,
            customer__isnull=False,
        ).values_list("pk", flat=True)
    )


@transaction.atomic
def point_close(
    *, point_id: int, window_id: int, reason: str, by: User | None, now: datetime
) -> PointClosure:
    """Close the point for the week: checkout no longer offers it, confirming with it
    is refused, and after commit each customer with a confirmed order there is asked
    by email to choose another point. Their orders are kept as they are."""
    point = PickupPoint.objects.select_for_update().get(pk=point_id)
    window = OrderWindow.objects.get(pk=window_id)
    _check_week_editable(window, now)
    if PointClosure.objects.filter(window=window, pickup_point=point).exists():
        raise PointError(_("%(point)s is already closed that week.") % {"point": point.name})
    try:
        with transaction.atomic():
            closure = PointClosure.objects.create(
                window=window, pickup_point=point, reason=reason[:200], closed_by=by
            )
    except IntegrityError as error:  # closed by a concurrent request
        raise PointError(
            _("%(point)s is already closed that week.") % {"point": point.name}
        ) from error
    audit_record(
        window_id=window.pk, action=AuditEvent.Action.POINT_CLOSED, by=by, detail=point.name
    )
    for order_id in _orders_to_tell(point_id=point.pk, window_id=window.pk):
        transaction.on_commit(
            functools.partial(email_point_closed, order_id=order_id, closure_id=closure.pk)
        )
    return closure


@transaction.atomic
def point_reopen(*, point_id: int, window_id: int, now: datetime) -> None:
    """Open the point again that week (its closure is removed; nobody is emailed)."""
    window = OrderWindow.objects.get(pk=window_id)
    _check_week_editable(window, now)
    deleted, _rows = PointClosure.objects.filter(window=window, pickup_point_id=point_id).delete()
    if not deleted:
        raise PointError(_("This point is not closed that week."))


def email_point_closed(*, order_id: int, closure_id: int) -> None:
    """Tell the customer their point is closed that week, in their order's language,
    with a link to their order (where they choose another point). Sent after commit;
    a failure is logged, the closure stands."""
    order = Order.objects.select_related("customer", "window", "pickup_point").get(pk=order_id)
    closure = PointClosure.objects.filter(pk=closure_id).first()
    if order.customer is None or closure is None:  # reopened meanwhile: nothing to say
        return
    link = urljoin(settings.COOP_BASE_URL, reverse("baskets:order", args=[order.pk]))
    with translation.override(order.language):
        context = {
            "order": order,
            "point": order.pickup_point,
            "reason": closure.reason,
            "link": link,
            "customer": order.customer,
            "coop_name": settings.COOP_NAME,
        }
        subject = render_to_string("orders/email/point_closed_subject.txt", context).strip()
        body = render_to_string("orders/email/point_closed.txt", context)
    try:
        EmailMessage(subject=subject, body=body, to=[order.customer.email]).send()
    except Exception:
        logger.exception("order %s: the point-closed email could not be sent", order.pk)
