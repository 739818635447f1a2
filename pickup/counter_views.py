"""Walk-in sales at the pickup table (coordinators only, 403 for others)."""

from urllib.parse import urljoin

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import AuthenticatedHttpRequest, coordinator_required
from common.errors import DomainError
from common.money import format_money
from orders.models import Offer, OrderWindow
from payments import gateway
from payments.errors import PaymentError
from payments.ledger import owed
from payments.services import walk_in_checkout

from . import counter


@coordinator_required
def walk_in(request: AuthenticatedHttpRequest, window_id: int) -> HttpResponse:
    window = get_object_or_404(OrderWindow, pk=window_id)
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponse(status=405)
    offers = list(
        Offer.objects.filter(window=window, remaining__gt=0)
        .select_related("product__farm")
        .order_by("product__farm__name", "product__name")
    )
    problem = ""
    posted: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        posted = {key: str(request.POST.get(key, "")) for key in request.POST}
        wanted: list[tuple[int, int]] = []
        for offer in offers:
            raw = request.POST.get(f"q-{offer.pk}", "").strip() or "0"
            if not raw.isdigit() or len(raw) > 3:
                problem = _("Enter a whole number of units (0 if none).")
                break
            wanted.append((offer.pk, int(raw)))
        card = request.POST.get("method") == "card"
        if card and not gateway.enabled():
            problem = _("Card payment is not set up for this co-op.")
        if not problem:
            try:
                sale = counter.walk_in_sale(
                    by=request.user,
                    window_id=window.pk,
                    name=request.POST.get("name", ""),
                    wanted=wanted,
                    now=timezone.now(),
                    card=card,
                )
            except DomainError as refusal:
                problem = refusal.message
            else:
                if card:
                    return _card_page(request, window, sale.pk)
                messages.success(
                    request,
                    _("Walk-in sale %(number)s to %(name)s: %(amount)s collected in cash.")
                    % {
                        "number": sale.pk,
                        "name": sale.walk_in_name,
                        "amount": format_money(owed(sale)),
                    },
                )
                return redirect("pickup:coordinator_window", window_id=window.pk)
        status = 422
    return render(
        request,
        "pickup/walk_in.html",
        {
            "window": window,
            "rows": [{"offer": o, "value": posted.get(f"q-{o.pk}", "")} for o in offers],
            "name": posted.get("name", ""),
            "problem": problem,
        },
        status=status,
    )


def _card_page(
    request: AuthenticatedHttpRequest, window: OrderWindow, sale_id: int
) -> HttpResponse:
    """The sale is recorded (picked up, to pay by card): open its payment page. Stripe
    unreachable or the amount too small: say so; the week's table can take it in cash."""
    back = urljoin(settings.COOP_BASE_URL, reverse("pickup:coordinator_window", args=[window.pk]))
    try:
        url = walk_in_checkout(order_id=sale_id, return_url=back, cancel_url=back)
    except PaymentError as refusal:
        messages.error(
            request,
            _(
                "Sale %(number)s is recorded but its card payment could not start: %(reason)s "
                "Collect it in cash from the table below."
            )
            % {"number": sale_id, "reason": refusal.message},
        )
        return redirect("pickup:coordinator_window", window_id=window.pk)
    return render(
        request, "pickup/walk_in_card.html", {"window": window, "url": url, "sale_id": sale_id}
    )
