"""The demo's last week, paid and settled, so a demo farmer finds a statement to
download and the coordinator a payout file (called by ``seed_demo``).

Last week's orders are paid: those still marked "to pick up" and the demo customer's by
card (captured at close), the others in cash at pickup; one unit of a demo farm's
product is short; one generated customer did not come and is written off. Then the
week is settled. A handful of rows and one statement per farm: well under a second.
"""

from datetime import datetime

from accounts.models import User
from farms.models import Farm
from orders.models import Order, OrderLine, OrderWindow, Payment
from payments import ledger
from settlements import services

from . import catalogue as demo_data
from . import factories


def settle_demo_week(*, closed_window: OrderWindow, now: datetime) -> None:
    owing = (Order.Status.LOCKED, Order.Status.PICKED_UP)
    if Payment.objects.filter(order__window=closed_window).exists():
        return  # the week's payments were seeded elsewhere: leave them alone
    customer = User.objects.filter(email=demo_data.DEMO_ACCOUNTS[0].email).first()
    farmer = User.objects.filter(email=demo_data.DEMO_ACCOUNTS[1].email).first()
    coordinator = User.objects.get(email=demo_data.DEMO_ACCOUNTS[2].email)
    demo_farms = list(
        Farm.objects.filter(members__user=farmer).order_by("pk").values_list("pk", flat=True)
    )
    orders = list(
        Order.objects.filter(window=closed_window, status__in=owing).order_by("confirmed_at", "pk")
    )
    if not orders:
        return
    demo_order = next((o for o in orders if o.customer_id == getattr(customer, "pk", None)), None)

    demo_people = {u.pk for u in (customer, farmer) if u is not None}
    generated = [o for o in orders if o.customer_id not in demo_people]
    cash_orders = [o for o in generated if o.status == Order.Status.PICKED_UP]
    absent = cash_orders[-1] if len(cash_orders) > 1 else None
    _short_one_unit(cash_orders[:-1] if absent else cash_orders, demo_farms)

    payments = []
    for order in orders:
        if order is absent:
            order.status, order.payment_method = Order.Status.NOT_COLLECTED, "at_pickup"
            continue
        owes = ledger.owed(order)  # the one rule of what an order owes
        if order.status == Order.Status.LOCKED or order is demo_order:
            order.payment_method = "card"
            # A card hold captured at close.
            payments.append(factories.PaymentFactory.build(order=order, amount=owes))
        else:
            order.payment_method = "at_pickup"
            payments.append(
                factories.PaymentFactory.build(
                    order=order, cash=True, amount=owes, recorded_by=coordinator
                )
            )
    Payment.objects.bulk_create(payments)
    Order.objects.bulk_update(orders, ["status", "payment_method"])
    if absent is not None:
        services.write_off_order(
            order_id=absent.pk,
            by=coordinator,
            reason="Pas venu chercher sa commande (paiement à la cueillette).",
            now=now,
        )
    settled = services.settle_window(window_id=closed_window.pk, by=coordinator, now=now)
    # Seeding is not a request: write the statements now, so they are there at once.
    services.statements_render(settlement_id=settled.settlement.pk)


def _short_one_unit(orders: list[Order], farm_ids: list[int]) -> None:
    """One unit did not come (a demo farm's when it can): the cash order paid less."""
    lines = OrderLine.objects.filter(order__in=orders).order_by("-quantity", "pk")
    line = lines.filter(offer__product__farm_id__in=farm_ids).first() or lines.first()
    if line is not None:
        OrderLine.objects.filter(pk=line.pk).update(shortage=1)
