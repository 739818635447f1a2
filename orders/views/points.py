"""The coordinators' pages of pickup points: the points, their standing slots, the
slots of one week, and points closed for a week. Coordinators only (403 for others).
Writes go through `orders.points`; what a week offers is read by `orders.slots`."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from accounts.roles import AuthenticatedHttpRequest, coordinator_required

from .. import points as services
from ..errors import PointError
from ..forms import ClosureForm, PointForm, SlotForm
from ..models import Order, OrderWindow, PickupPoint, PickupSlot, PointClosure
from ..slots import slots_for_week


def _weeks_ahead() -> list[OrderWindow]:
    """The weeks whose slots and closures may still change."""
    return list(
        OrderWindow.objects.filter(
            status__in=(OrderWindow.Status.SCHEDULED, OrderWindow.Status.OPEN),
            closes_at__gt=timezone.now(),
        ).order_by("opens_at")
    )


@coordinator_required
@require_safe
def point_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request,
        "orders/coordinator/points_list.html",
        {
            "points": PickupPoint.objects.prefetch_related("slots").order_by("name"),
            "weeks": _weeks_ahead(),
        },
    )


@coordinator_required
def point_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = PointForm(request.POST or None, initial={"is_active": True})
    if request.method == "POST":
        if form.is_valid():
            try:
                point = services.point_create(**form.cleaned_data)
            except PointError as refusal:
                form.add_error(None, refusal.message)
            else:
                messages.success(request, _("Pickup point created: add its slots if it has any."))
                return redirect("orders:point_slots", point_id=point.pk)
        return render(request, "orders/coordinator/points_form.html", {"form": form}, status=422)
    return render(request, "orders/coordinator/points_form.html", {"form": form})


@coordinator_required
def point_edit(request: AuthenticatedHttpRequest, point_id: int) -> HttpResponse:
    point = get_object_or_404(PickupPoint, pk=point_id)
    form = PointForm(request.POST or None, initial=PointForm.initial_of(point))
    context = {"form": form, "point": point}
    if request.method == "POST":
        if form.is_valid():
            try:
                services.point_update(point_id=point.pk, **form.cleaned_data)
            except PointError as refusal:
                form.add_error(None, refusal.message)
            else:
                messages.success(request, _("Pickup point saved."))
                return redirect("orders:points")
        return render(request, "orders/coordinator/points_form.html", context, status=422)
    return render(request, "orders/coordinator/points_form.html", context)


def _slots_page(
    request: AuthenticatedHttpRequest,
    *,
    point: PickupPoint,
    window: OrderWindow | None,
    form: SlotForm,
    status: int = 200,
) -> HttpResponse:
    if window is None:
        own = list(PickupSlot.objects.filter(pickup_point=point, window__isnull=True))
        offered = own
    else:
        own = list(PickupSlot.objects.filter(pickup_point=point, window=window))
        offered = slots_for_week(window, point_id=point.pk).get(point.pk, [])
    used = set(
        Order.objects.filter(pickup_slot__in=own)
        .values_list("pickup_slot_id", flat=True)
        .distinct()
    )
    return render(
        request,
        "orders/coordinator/points_slots.html",
        {
            "point": point,
            "window": window,
            "slots": own,
            "offered": offered,
            "used": used,
            "form": form,
            "weeks": _weeks_ahead(),
            "has_standing": PickupSlot.objects.filter(
                pickup_point=point, window__isnull=True
            ).exists(),
        },
        status=status,
    )


def _add_slot(
    request: AuthenticatedHttpRequest, *, point: PickupPoint, window: OrderWindow | None
) -> HttpResponse:
    form = SlotForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.slot_create(
                    point_id=point.pk,
                    window_id=window.pk if window else None,
                    now=timezone.now(),
                    **form.cleaned_data,
                )
            except PointError as refusal:
                form.add_error(None, refusal.message)
            else:
                messages.success(request, _("Slot added."))
                return redirect(request.path)
        return _slots_page(request, point=point, window=window, form=form, status=422)
    return _slots_page(request, point=point, window=window, form=form)


@coordinator_required
def point_slots(request: AuthenticatedHttpRequest, point_id: int) -> HttpResponse:
    """The point's standing slots (every week), and a form to add one."""
    point = get_object_or_404(PickupPoint, pk=point_id)
    return _add_slot(request, point=point, window=None)


@coordinator_required
def point_week_slots(
    request: AuthenticatedHttpRequest, point_id: int, window_id: int
) -> HttpResponse:
    """The point's slots of one week (they replace its standing slots that week)."""
    point = get_object_or_404(PickupPoint, pk=point_id)
    window = get_object_or_404(OrderWindow, pk=window_id)
    return _add_slot(request, point=point, window=window)


@require_POST
@coordinator_required
def point_week_copy(
    request: AuthenticatedHttpRequest, point_id: int, window_id: int
) -> HttpResponse:
    point = get_object_or_404(PickupPoint, pk=point_id)
    window = get_object_or_404(OrderWindow, pk=window_id)
    try:
        copies = services.week_slots_copy(
            point_id=point.pk, window_id=window.pk, now=timezone.now()
        )
    except PointError as refusal:
        messages.error(request, refusal.message)
        return _slots_page(request, point=point, window=window, form=SlotForm(), status=409)
    messages.success(
        request,
        ngettext(
            "%(count)d standing slot copied into this week: edit it below.",
            "%(count)d standing slots copied into this week: edit them below.",
            len(copies),
        )
        % {"count": len(copies)},
    )
    return redirect("orders:point_week_slots", point_id=point.pk, window_id=window.pk)


def _back_to_slots(slot: PickupSlot) -> HttpResponse:
    if slot.window_id is None:
        return redirect("orders:point_slots", point_id=slot.pickup_point_id)
    return redirect(
        "orders:point_week_slots", point_id=slot.pickup_point_id, window_id=slot.window_id
    )


@coordinator_required
def slot_edit(request: AuthenticatedHttpRequest, slot_id: int) -> HttpResponse:
    slot = get_object_or_404(
        PickupSlot.objects.select_related("pickup_point", "window"), pk=slot_id
    )
    initial = {"starts_at": slot.starts_at, "ends_at": slot.ends_at, "capacity": slot.capacity}
    form = SlotForm(request.POST or None, initial=initial)
    context = {"form": form, "slot": slot}
    if request.method == "POST":
        if form.is_valid():
            try:
                services.slot_update(slot_id=slot.pk, now=timezone.now(), **form.cleaned_data)
            except PointError as refusal:
                form.add_error(None, refusal.message)
            else:
                messages.success(request, _("Slot saved."))
                return _back_to_slots(slot)
        return render(request, "orders/coordinator/points_slot_edit.html", context, status=422)
    return render(request, "orders/coordinator/points_slot_edit.html", context)


@require_POST
@coordinator_required
def slot_delete(request: AuthenticatedHttpRequest, slot_id: int) -> HttpResponse:
    slot = get_object_or_404(PickupSlot, pk=slot_id)
    try:
        services.slot_delete(slot_id=slot.pk, now=timezone.now())
    except PointError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Slot removed."))
    return _back_to_slots(slot)


def _week_page(
    request: AuthenticatedHttpRequest, *, window: OrderWindow, form: ClosureForm, status: int = 200
) -> HttpResponse:
    closures = {
        c.pickup_point_id: c
        for c in PointClosure.objects.filter(window=window).select_related("closed_by")
    }
    offered = slots_for_week(window)
    week_own = set(
        PickupSlot.objects.filter(window=window).values_list("pickup_point_id", flat=True)
    )
    rows = [
        {
            "point": point,
            "slots": offered.get(point.pk, []),
            "week_slots": point.pk in week_own,
            "closure": closures.get(point.pk),
        }
        for point in PickupPoint.objects.order_by("name")
    ]
    return render(
        request,
        "orders/coordinator/points_week.html",
        {"window": window, "rows": rows, "form": form, "weeks": _weeks_ahead()},
        status=status,
    )


@coordinator_required
@require_safe
def week(request: AuthenticatedHttpRequest, window_id: int) -> HttpResponse:
    """One week's points: the slots each offers, and which are closed."""
    window = get_object_or_404(OrderWindow, pk=window_id)
    return _week_page(request, window=window, form=ClosureForm())


@require_POST
@coordinator_required
def point_close(request: AuthenticatedHttpRequest, window_id: int) -> HttpResponse:
    window = get_object_or_404(OrderWindow, pk=window_id)
    form = ClosureForm(request.POST)
    if form.is_valid():
        point = form.cleaned_data["pickup_point"]
        try:
            services.point_close(
                point_id=point.pk,
                window_id=window.pk,
                reason=form.cleaned_data["reason"],
                by=request.user,
                now=timezone.now(),
            )
        except PointError as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(
                request,
                _("%(point)s is closed that week; its customers are being emailed.")
                % {"point": point.name},
            )
            return redirect("orders:points_week", window_id=window.pk)
    return _week_page(request, window=window, form=form, status=422)


@require_POST
@coordinator_required
def point_reopen(request: AuthenticatedHttpRequest, point_id: int, window_id: int) -> HttpResponse:
    point = get_object_or_404(PickupPoint, pk=point_id)
    window = get_object_or_404(OrderWindow, pk=window_id)
    try:
        services.point_reopen(point_id=point.pk, window_id=window.pk, now=timezone.now())
    except PointError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("%(point)s is open again that week.") % {"point": point.name})
    return redirect("orders:points_week", window_id=window.pk)
