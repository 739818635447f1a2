"""The customer's side of card payment: off to Stripe Checkout to authorize (or pay
after close), and back. Card numbers never reach us: Stripe's hosted page takes them."""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.roles import AuthenticatedHttpRequest
from orders.models import Order, Payment
from payments import gateway, services
from payments.errors import PaymentError
from payments.ledger import payment_state

logger = logging.getLogger(__name__)


def _checkout_url(request: AuthenticatedHttpRequest, order: Order) -> str:
    return services.checkout_begin(
        order_id=order.pk,
        customer_id=request.user.pk,
        return_url=request.build_absolute_uri(reverse("baskets:order_paid", args=[order.pk])),
        cancel_url=request.build_absolute_uri(reverse("baskets:order", args=[order.pk])),
    )


def _unavailable(request: AuthenticatedHttpRequest, error: Exception) -> None:
    logger.warning("checkout could not start: %s", error)
    messages.error(
        request,
        _(
            "Card payment is unavailable for the moment. Your order stands; "
            "try again from this page in a few minutes."
        ),
    )


def after_confirm(request: AuthenticatedHttpRequest, order: Order) -> HttpResponse:
    """After the checkout form: a card order whose hold does not cover it goes to
    Stripe; everything else to the order page. Holds of a method given up are freed."""
    if order.payment_method != Payment.Method.CARD:
        release_after_cancel(order.pk)
        return redirect("baskets:order", order_id=order.pk)
    if not payment_state(order).can_authorize:
        return redirect("baskets:order", order_id=order.pk)
    try:
        return redirect(_checkout_url(request, order))
    except PaymentError as refusal:
        messages.warning(request, refusal.message)
    except gateway.GatewayError as error:
        _unavailable(request, error)
    return redirect("baskets:order", order_id=order.pk)


def release_after_cancel(order_id: int) -> None:
    """Give back the card holds of an order cancelled or switched to pay at pickup."""
    try:
        services.holds_release(order_id=order_id)
    except gateway.GatewayError as error:  # the hold lapses by itself within days
        logger.warning("order %s: holds not released: %s", order_id, error)


def _own(request: AuthenticatedHttpRequest, order_id: int) -> Order:
    order = Order.objects.filter(pk=order_id, customer=request.user).first()
    if order is None:
        raise Http404
    return order


@require_POST
@login_required
def order_pay(request: AuthenticatedHttpRequest, order_id: int) -> HttpResponse:
    """Authorize the order's total (before close) or pay what is owed (after close)."""
    order = _own(request, order_id)
    try:
        return redirect(_checkout_url(request, order))
    except PaymentError as refusal:
        messages.info(request, refusal.message)
    except gateway.GatewayError as error:
        _unavailable(request, error)
    return redirect("baskets:order", order_id=order.pk)


@require_safe
@login_required
def order_paid(request: AuthenticatedHttpRequest, order_id: int) -> HttpResponse:
    """Back from Stripe: read the session now rather than wait for the webhook."""
    order = _own(request, order_id)
    session_id = request.GET.get("session_id", "")[:255]
    payment = (  # PostgreSQL refuses a NUL in a query (a 500): no session has one
        Payment.objects.filter(order=order, stripe_checkout_session_id=session_id).first()
        if "\x00" not in session_id
        else None
    )
    if payment is None:
        messages.error(request, _("This payment page does not belong to this order."))
        return redirect("baskets:order", order_id=order.pk)
    try:
        payment = services.payment_sync(payment_id=payment.pk)
    except gateway.GatewayError as error:
        logger.warning("payment %s: sync on return failed: %s", payment.pk, error)
    if payment.status == Payment.Status.AUTHORIZED:
        messages.success(request, _("Thank you: your card is authorized. It is charged at close."))
    elif payment.status == Payment.Status.CAPTURED:
        messages.success(request, _("Thank you: your payment is received."))
    else:
        messages.info(request, _("Stripe has not confirmed the payment yet; this page updates."))
    return redirect("baskets:order", order_id=order.pk)
