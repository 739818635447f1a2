"""Payment endpoints: Stripe's webhook, and the coordinators' actions on money at the
pickup table (cash collected, money given back by hand)."""

import logging

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.roles import AuthenticatedHttpRequest, coordinator_required
from common.errors import DomainError
from common.money import format_money
from orders.models import Order

from . import credit, gateway, refunds, services, tasks, webhooks

logger = logging.getLogger(__name__)


@csrf_exempt  # Stripe cannot send our CSRF token; the signature proves the sender
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    try:
        event, created = webhooks.event_receive(
            payload=request.body, signature=request.headers.get("Stripe-Signature", "")
        )
    except gateway.InvalidSignature:
        logger.warning("stripe webhook: refused an unsigned or forged request")
        return JsonResponse({"error": "invalid signature"}, status=400)
    if created or event.processed_at is None:
        pk = event.pk
        transaction.on_commit(lambda: tasks.handle_stripe_event.delay(pk))
    return JsonResponse({"received": True, "duplicate": not created})


def _window_url(window_id: int) -> str:
    return reverse("pickup:coordinator_window", args=[window_id])


@require_POST
@coordinator_required
def order_cash(request: AuthenticatedHttpRequest, order_id: int) -> HttpResponse:
    """The coordinator collected what the order still owes, at the pickup point."""
    order = get_object_or_404(Order, pk=order_id)
    try:
        services.links_close(order_id=order.pk)  # no card payment may follow the cash
    except gateway.GatewayError as error:
        logger.warning("order %s: open payment pages not closed: %s", order.pk, error)
        messages.error(request, _("Stripe cannot be reached: try again in a minute."))
        return redirect(f"{_window_url(order.window_id)}#order-{order.pk}")
    try:
        refunds.cash_record(order_id=order.pk, recorded_by_id=request.user.pk)
    except DomainError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Payment of order %(number)s recorded.") % {"number": order.pk})
    return redirect(f"{_window_url(order.window_id)}#order-{order.pk}")


@require_POST
@coordinator_required
def order_refund_by_hand(request: AuthenticatedHttpRequest, order_id: int) -> HttpResponse:
    """The coordinator gave back, by hand, what the order received beyond what it owes."""
    order = get_object_or_404(Order, pk=order_id)
    try:
        refunds.refund_by_hand(order_id=order.pk, recorded_by_id=request.user.pk)
    except DomainError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Refund of order %(number)s recorded.") % {"number": order.pk})
    return redirect(f"{_window_url(order.window_id)}#order-{order.pk}")


@require_POST
@coordinator_required
def order_excess_to_credit(request: AuthenticatedHttpRequest, order_id: int) -> HttpResponse:
    """What the order received beyond what it owes is kept as the customer's credit."""
    order = get_object_or_404(Order, pk=order_id)
    try:
        amount = credit.excess_to_credit(order_id=order.pk, author_id=request.user.pk)
    except DomainError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request,
            _("%(amount)s of order %(number)s kept as store credit.")
            % {"amount": format_money(amount), "number": order.pk},
        )
    return redirect(f"{_window_url(order.window_id)}#order-{order.pk}")
