"""The order confirmation email, in the customer's chosen language."""

import logging
from datetime import datetime, timedelta
from urllib.parse import urljoin

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from orders.models import Order

from . import selectors

logger = logging.getLogger(__name__)


def send_order_confirmation(*, order_id: int, updated: bool = False) -> None:
    """Send after the order is committed. A failure to send is logged, never shown to
    the customer as a failed order: the order stands and is visible in their account."""
    order = Order.objects.select_related("customer", "window", "pickup_point", "pickup_slot").get(
        pk=order_id
    )
    if order.customer is None:  # a walk-in sale: no account, no email
        return
    basket = selectors.basket_of(customer_id=order.customer_id, window=order.window)
    with translation.override(order.language):
        context = {
            "order": order,
            "basket": basket,
            "updated": updated,
            "coop_name": settings.COOP_NAME,
            "customer": order.customer,
            "order_url": order_url(order.pk),
        }
        subject = render_to_string("baskets/email/order_confirmed_subject.txt", context).strip()
        text = render_to_string("baskets/email/order_confirmed.txt", context)
        html = render_to_string("baskets/email/order_confirmed.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[order.customer.email])
    message.attach_alternative(html, "text/html")
    try:
        message.send()
    except Exception:
        logger.exception("order %s: the confirmation email could not be sent", order_id)


def order_url(order_id: int) -> str:
    """The order's page, as a full address for an email."""
    return urljoin(settings.COOP_BASE_URL, reverse("baskets:order", args=[order_id]))


def send_order_cancelled(*, order_id: int) -> None:
    """Tell the customer their order is cancelled (after commit; a failure is logged)."""
    order = Order.objects.select_related("customer", "window").get(pk=order_id)
    if order.customer is None:
        return
    with translation.override(order.language):
        context = {
            "order": order,
            "customer": order.customer,
            "coop_name": settings.COOP_NAME,
            "orders_url": urljoin(settings.COOP_BASE_URL, reverse("baskets:my_orders")),
            "shop_url": urljoin(settings.COOP_BASE_URL, reverse("baskets:shop")),
        }
        subject = render_to_string("baskets/email/order_cancelled_subject.txt", context).strip()
        text = render_to_string("baskets/email/order_cancelled.txt", context)
    try:
        EmailMultiAlternatives(subject=subject, body=text, to=[order.customer.email]).send()
    except Exception:
        logger.exception("order %s: the cancellation email could not be sent", order_id)


QUIET = timedelta(minutes=10)  # no change for this long: the customer is done


def order_updates_send(*, now: datetime) -> int:
    """Email « your order was updated » once per burst of changes: for each confirmed
    (or since locked) order changed and left alone for QUIET. Claimed first (the
    timestamp cleared by a conditional UPDATE), so two ticks send it once."""
    due = Order.objects.filter(
        status__in=(Order.Status.CONFIRMED, Order.Status.LOCKED),
        update_email_due__isnull=False,
        last_activity_at__lte=now - QUIET,
    ).values_list("pk", "update_email_due")
    sent = 0
    for order_id, since in list(due):
        if Order.objects.filter(pk=order_id, update_email_due=since).update(update_email_due=None):
            send_order_confirmation(order_id=order_id, updated=True)
            sent += 1
    return sent
