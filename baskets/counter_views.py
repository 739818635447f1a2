"""A phone order: a coordinator finds the customer, then sets their order for the
week through the customer's own services (pickup.counter). Coordinators only (403);
the customer gets the same confirmation email as when they order themselves."""

from django.contrib import messages
from django.db import transaction
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import AuthenticatedHttpRequest, coordinator_required
from common.errors import DomainError
from orders import services as market
from orders.models import Offer, Order, OrderLine, OrderWindow, PickupPoint
from orders.slots import closed_point_ids, slots_for_week
from pickup import counter

from . import emails

MAX_RESULTS = 30


def _people(q: str) -> list[User]:
    words = q.split()[:4]
    if not words:
        return []
    found = Q()
    for word in words:
        found &= (
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(email__icontains=word)
            | Q(phone__icontains=word)
        )
    return list(
        User.objects.filter(found, is_active=True).order_by("last_name", "email")[:MAX_RESULTS]
    )


@coordinator_required
def phone_order_find(request: AuthenticatedHttpRequest, window_id: int) -> HttpResponse:
    window = get_object_or_404(OrderWindow, pk=window_id)
    if request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405)
    q = request.GET.get("q", "")[:100].strip()
    return render(
        request,
        "baskets/counter/phone_find.html",
        {"window": window, "q": q, "people": _people(q), "open": window.accepts_orders()},
    )


def _wanted(
    request: AuthenticatedHttpRequest, offers: list[Offer]
) -> tuple[list[tuple[int, int]], dict[int, str]]:
    wanted, errors = [], {}
    for offer in offers:
        raw = request.POST.get(f"q-{offer.pk}", "").strip() or "0"
        if not raw.isdigit() or len(raw) > 3:
            errors[offer.pk] = _("Enter a whole number of units (0 if none).")
            continue
        wanted.append((offer.pk, int(raw)))
    return wanted, errors


@coordinator_required
def phone_order(request: AuthenticatedHttpRequest, window_id: int, user_id: int) -> HttpResponse:
    window = get_object_or_404(OrderWindow, pk=window_id)
    customer = get_object_or_404(User, pk=user_id, is_active=True)
    offers = list(
        Offer.objects.filter(window=window)
        .select_related("product__farm")
        .order_by("product__farm__name", "product__name")
    )
    order = Order.objects.filter(window=window, customer=customer).first()
    current = (
        dict(OrderLine.objects.filter(order=order).values_list("offer_id", "quantity"))
        if order
        else {}
    )
    # The points and slots the week offers, as at checkout (`orders.slots`).
    closed = closed_point_ids(window)
    points = [
        p for p in PickupPoint.objects.filter(is_active=True).order_by("name") if p.pk not in closed
    ]
    offered = slots_for_week(window)
    slots = [slot for point in points for slot in offered.get(point.pk, [])]
    errors: dict[int, str] = {}
    problem = ""
    status = 200
    posted: dict[str, str] = {}
    if request.method == "POST":
        posted = {key: str(request.POST.get(key, "")) for key in request.POST}
        wanted, errors = _wanted(request, offers)
        point = request.POST.get("pickup_point", "")
        slot = request.POST.get("pickup_slot", "")
        if "at_pickup" not in market.payment_methods_offered():
            problem = _("Phone orders are paid at pickup, which this co-op does not offer.")
        elif not errors:
            try:
                with transaction.atomic():
                    result = counter.order_on_behalf(
                        by=request.user,
                        customer_id=customer.pk,
                        window_id=window.pk,
                        wanted=wanted,
                        pickup_point_id=int(point) if point.isdigit() and len(point) < 10 else 0,
                        pickup_slot_id=int(slot) if slot.isdigit() and len(slot) < 10 else None,
                        payment_method="at_pickup",
                        now=timezone.now(),
                    )
                    if result.order is not None:
                        order_id = result.order.pk
                        transaction.on_commit(
                            lambda: emails.send_order_confirmation(order_id=order_id, updated=True)
                        )
            except DomainError as refusal:
                problem = refusal.message
            else:
                for message in result.messages:
                    messages.warning(request, message)
                if result.order is None:
                    messages.success(
                        request, _("The order of %(name)s is cancelled.") % {"name": customer}
                    )
                else:
                    messages.success(
                        request,
                        _("Order %(number)s of %(name)s is confirmed; they are emailed.")
                        % {"number": result.order.pk, "name": customer},
                    )
                return redirect(
                    "baskets:coordinator_phone_order", window_id=window.pk, user_id=customer.pk
                )
        status = 422
    rows = [
        {
            "offer": offer,
            "value": posted.get(f"q-{offer.pk}", current.get(offer.pk, 0)),
            "error": errors.get(offer.pk, ""),
        }
        for offer in offers
    ]
    return render(
        request,
        "baskets/counter/phone_order.html",
        {
            "window": window,
            "customer": customer,
            "order": order,
            "rows": rows,
            "points": points,
            "slots": slots,
            "chosen_point": posted.get(
                "pickup_point", str(order.pickup_point_id or "") if order else ""
            ),
            "chosen_slot": posted.get(
                "pickup_slot", str(order.pickup_slot_id or "") if order else ""
            ),
            "problem": problem,
            "has_errors": bool(errors),
            "open": window.accepts_orders(),
        },
        status=status,
    )
