"""The order confirmation email, in the customer's chosen language."""

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
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
