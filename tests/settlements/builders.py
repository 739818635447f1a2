"""Weeks to settle, built fast with bulk_create: a closed window whose pickup day has
passed, farms with products and offers, orders with lines, shortages and payments.
Rows come from the shared factories (`demo.factories`), built then bulk-inserted."""

import random
from dataclasses import dataclass, field
from decimal import Decimal

import factory

from demo import factories as f
from farms.models import Category, Farm, Product, TaxClass, Unit
from orders import pricing
from orders.models import Offer, Order, OrderLine, OrderWindow, Payment, Refund
from tests import factories

OWING = (Order.Status.LOCKED, Order.Status.PICKED_UP, Order.Status.NOT_COLLECTED)


def closed_window(*, days_ago: int = 4) -> OrderWindow:
    return f.OrderWindowFactory.create(closed=True, days_ago=days_ago)


def owes(lines: list[OrderLine]) -> Decimal:
    return pricing.totals(ln.priced for ln in lines).total  # a weighed line on its weight


def original_total(lines: list[OrderLine]) -> Decimal:
    return pricing.totals((ln.unit_price, ln.quantity, ln.tax_class) for ln in lines).total


def pay_card(order: Order, amount: Decimal, *, refunded: Decimal = Decimal("0.00")) -> Payment:
    """A card hold of `amount` captured at close; `refunded` of it given back (a
    shortage refund Stripe made)."""
    payment = f.PaymentFactory.create(order=order, amount=amount, amount_refunded=refunded)
    if refunded:
        f.RefundFactory.create(payment=payment)
    return payment


def pay_cash(order: Order, amount: Decimal) -> Payment:
    return f.PaymentFactory.create(order=order, cash=True, amount=amount)


def add_line(order: Order, offer: Offer, quantity: int, *, shortage: int = 0) -> OrderLine:
    """A line as given (no stock is taken)."""
    return f.OrderLineFactory.create(order=order, offer=offer, quantity=quantity, shortage=shortage)


@dataclass
class GeneratedWeek:
    window: OrderWindow
    farms: list[Farm]
    unpaid: list[int] = field(default_factory=list)  # orders to write off
    kinds: dict[str, int] = field(default_factory=dict)


def generated_week(*, orders: int = 1000, farms: int = 12, seed: int = 8) -> GeneratedWeek:
    """A closed week of `orders` orders: cancelled ones (some refunded in full), card
    orders captured at close with shortages refunded (some paid in two payments),
    pay-at-pickup orders collected, and unpaid ones (not collected, card declined) to
    write off. Random, but the same every run."""
    rng = random.Random(seed)
    window = closed_window()
    farm_objs = [
        factories.farm(
            name=f"Ferme {i:02d}",
            language="en" if i % 4 == 0 else "fr-ca",
            margin_percent=[None, Decimal("10.00"), Decimal("12.50"), Decimal("0.00")][i % 4],
        )
        for i in range(farms)
    ]
    products = Product.objects.bulk_create(
        f.ProductFactory.build(
            farm=farm,
            name=f"Produit {farm.pk}-{j}",
            category=Category.VEGETABLES,
            unit=Unit.EACH,
            price=Decimal(rng.randint(1, 3000)) / 100,
            tax_class=TaxClass.TAXABLE if rng.random() < 0.3 else TaxClass.ZERO_RATED,
            default_quantity=0,
        )
        for farm in farm_objs
        for j in range(6)
    )
    offers = Offer.objects.bulk_create(
        f.OfferFactory.build(window=window, product=p, quantity=100_000, remaining=50_000)
        for p in products
    )
    customers = f.create_users(
        f.UserFactory.build(
            email=f"client{seed}-{i}@example.org",
            password=factory.Transformer.Force("!"),  # unusable, and not hashed
            email_address=None,
            **factories.NO_NAME,
        )
        for i in range(orders)
    )
    kinds = ["cancelled"] * 8 + ["card"] * 50 + ["cash"] * 30 + ["not_collected"] * 7
    kinds += ["declined"] * 5
    drawn = [rng.choice(kinds) for _ in range(orders)]
    status_of = {
        "cancelled": Order.Status.CANCELLED,
        "card": Order.Status.LOCKED,
        "cash": Order.Status.PICKED_UP,
        "not_collected": Order.Status.NOT_COLLECTED,
        "declined": Order.Status.NOT_COLLECTED,
    }
    order_objs = Order.objects.bulk_create(
        f.OrderFactory.build(
            window=window,
            customer=customer,
            status=status_of[kind],
            payment_method="at_pickup" if kind in ("cash", "not_collected") else "card",
        )
        for customer, kind in zip(customers, drawn, strict=True)
    )
    lines: dict[int, list[OrderLine]] = {}
    for order in order_objs:
        chosen = rng.sample(offers, rng.randint(1, 6))
        lines[order.pk] = []
        for offer in chosen:
            quantity = rng.randint(1, 4)
            shortage = rng.randint(1, quantity) if rng.random() < 0.08 else 0
            lines[order.pk].append(f.order_line(order, offer, quantity, shortage=shortage))
    OrderLine.objects.bulk_create(ln for order_lines in lines.values() for ln in order_lines)

    payments: list[Payment] = []
    refunds: list[tuple[int, Decimal]] = []  # (index in payments, amount)
    week = GeneratedWeek(window=window, farms=farm_objs)
    for order, kind in zip(order_objs, drawn, strict=True):
        week.kinds[kind] = week.kinds.get(kind, 0) + 1
        due, charged = owes(lines[order.pk]), original_total(lines[order.pk])
        if kind == "cancelled" and rng.random() < 0.5:
            payments.append(_card(order, charged, refunded=charged))
            refunds.append((len(payments) - 1, charged))
        elif kind == "card":
            if rng.random() < 0.2 and charged >= Decimal("0.02"):
                # A hold captured for part of it, and a charge of the rest.
                first = pricing.to_cent(charged / 2)
                payments.append(_card(order, first))
                payments.append(_card(order, charged - first, kind=Payment.Kind.CHARGE))
            else:
                payments.append(_card(order, charged))
            if charged > due:  # the shortage was refunded on the last payment
                payment = payments[-1]
                refund = min(charged - due, payment.amount_captured)
                payment.amount_refunded = refund
                refunds.append((len(payments) - 1, refund))
                if charged - due > refund:
                    payments[-2].amount_refunded = charged - due - refund
                    refunds.append((len(payments) - 2, charged - due - refund))
        elif kind == "cash":
            payments.append(f.PaymentFactory.build(order=order, cash=True, amount=due))
        elif kind == "declined":
            payments.append(f.PaymentFactory.build(order=order, declined=True, amount=due))
            if due:
                week.unpaid.append(order.pk)
        elif kind == "not_collected" and due:
            week.unpaid.append(order.pk)
    Payment.objects.bulk_create(payments)
    Refund.objects.bulk_create(
        f.RefundFactory.build(payment=payments[i], amount=amount) for i, amount in refunds if amount
    )
    return week


def _card(
    order: Order,
    amount: Decimal,
    *,
    refunded: Decimal = Decimal("0.00"),
    kind: str = Payment.Kind.HOLD,
) -> Payment:
    return f.PaymentFactory.build(order=order, kind=kind, amount=amount, amount_refunded=refunded)


def names(number: int, text: str) -> bool:
    """The text names order `number`: "#12" in English, "nº 12" in French."""
    import re

    return re.search(rf"(#|nº\s?){number}\b", text) is not None
