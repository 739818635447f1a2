"""Reads: the pickup slots a week offers, and the points closed that week.

A point's slots for a week are its slots of that week (PickupSlot.window set) when it
has any, else its standing slots (window empty). Checkout, confirmation and the
coordinators' pages all ask `slots_for_week`, so they never disagree.
"""

from collections import defaultdict

from django.db.models import Q

from .models import OrderWindow, PickupSlot, PointClosure


def slots_for_week(
    window: OrderWindow | int, *, point_id: int | None = None
) -> dict[int, list[PickupSlot]]:
    """The slots offered in the week, by pickup point id, in time order (one query).
    A point without slots is absent: its customers choose no slot."""
    window_id = window if isinstance(window, int) else window.pk
    found = PickupSlot.objects.filter(Q(window_id=window_id) | Q(window__isnull=True))
    if point_id is not None:
        found = found.filter(pickup_point_id=point_id)
    standing: dict[int, list[PickupSlot]] = defaultdict(list)
    weekly: dict[int, list[PickupSlot]] = defaultdict(list)
    for slot in found.select_related("pickup_point").order_by("pickup_point_id", "starts_at"):
        (standing if slot.window_id is None else weekly)[slot.pickup_point_id].append(slot)
    return {pk: weekly.get(pk) or standing[pk] for pk in {*standing, *weekly}}


def closed_point_ids(window: OrderWindow | int) -> set[int]:
    """The points closed for the week (PointClosure)."""
    window_id = window if isinstance(window, int) else window.pk
    return set(
        PointClosure.objects.filter(window_id=window_id).values_list("pickup_point_id", flat=True)
    )
