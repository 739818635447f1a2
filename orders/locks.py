"""The row locks of the market, one helper per aggregate.

The order in which they are taken, written once, so concurrent work cannot deadlock:

1. the window row: FOR SHARE by every write to an order while the window is open (the
   close's claim, an UPDATE of that row, waits for them), FOR UPDATE by the close, by
   settling and by every change of money after the close (`window_lock_unsettled`);
2. the order row (`order_lock`);
3. offer rows, in pk order (`offer_lock`; a single-row UPDATE takes stock without one),
   then the order lines of an offer (a shortage);
4. an order's payment rows, last (`payments`' own `select_for_update` on them).

A helper is called inside the caller's `transaction.atomic()`; the lock lasts until it
commits. No call to Stripe, no PDF and no email is made while one is held.
"""

from django.db import connection

from .errors import WeekSettled
from .models import Offer, Order, OrderWindow


def window_share(window: OrderWindow) -> OrderWindow:
    """Re-read the window's status and deadline under FOR SHARE (PostgreSQL): customers
    do not block each other, but a write after the close's claim sees CLOSING. On
    SQLite, which locks the whole database on write, the row as given."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT status, closes_at FROM orders_orderwindow WHERE id = %s FOR SHARE",
                [window.pk],
            )
            row = cursor.fetchone()
        if row is not None:
            window.status, window.closes_at = row[0], row[1]
    return window


def window_lock(window_id: int) -> OrderWindow:
    """The window row FOR UPDATE."""
    return OrderWindow.objects.select_for_update().get(pk=window_id)


def window_lock_unsettled(window_id: int) -> OrderWindow:
    """The window row FOR UPDATE, refusing a week settled with the farms (its statements
    are final). Settling takes the same lock: one waits for the other."""
    window = OrderWindow.objects.select_for_update().get(pk=window_id)
    if window.settled_at is not None:
        raise WeekSettled
    return window


def order_lock(order_id: int) -> Order:
    """The order row FOR UPDATE."""
    return Order.objects.select_for_update().get(pk=order_id)


def offer_lock(offer_id: int) -> Offer:
    """The offer row FOR UPDATE (with its window and product, not locked)."""
    return (
        Offer.objects.select_for_update(of=("self",))
        .select_related("window", "product")
        .get(pk=offer_id)
    )
