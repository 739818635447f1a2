"""Factories of the co-op's rows (factory_boy), shared by the demo, the tests and the
benchmarks, so a farm, an order or a payment is built one way only.

Each factory makes one valid row with sensible defaults: people with French (Canada)
names, phones and addresses from Faker (``fr_CA``), prices as ``Decimal``, aware
datetimes. ``Factory.create()`` saves (with what the row needs around it: a user's
verified email address, a coordinator's group, a farmer's membership);
``Factory.build()`` / ``build_batch()`` only instantiate, for ``bulk_create`` through
the helpers at the end (`create_users`), which also add what ``build()`` leaves out.

What these factories never do is take stock: an ``OrderLineFactory`` row is written as
given and ``Offer.remaining`` is not touched. Orders that hold stock go through the
market's services (``orders.basket.basket_line_set``, ``order_confirm``), as in
``seed_demo``; a test or a benchmark that builds lines by hand sets ``remaining``
itself, knowingly.

Values come from factory_boy's random generator (shared with Faker): call
``factory.random.reseed_random(seed)`` first for the same rows at every run.
"""

from collections.abc import Iterable
from datetime import time, timedelta
from decimal import Decimal
from typing import Any

import factory
import factory.random
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import Group
from django.utils import timezone
from django.utils.text import slugify
from factory.django import DjangoModelFactory

from accounts.models import User
from farms.models import Category, Certification, Farm, FarmMember, Product, Region, TaxClass, Unit
from orders.models import (
    Offer,
    Order,
    OrderLine,
    OrderWindow,
    Payment,
    PickupPoint,
    PickupSlot,
    Refund,
)

PASSWORD = "correct-horse-battery-staple"  # noqa: S105 - the factories' test password.
AREA_CODES = ("514", "438", "450", "579", "418", "581", "819", "873")
BATCH = 500


def phone_number() -> Any:
    """A Québec phone number in the 555 exchange kept for fiction: « 514 555-0193 »."""
    return factory.LazyFunction(_phone)


def _phone() -> str:
    area = factory.random.randgen.choice(AREA_CODES)
    return f"{area} 555-{factory.random.randgen.randrange(10000):04d}"


# --- People ---------------------------------------------------------------------------------


class EmailAddressFactory(DjangoModelFactory[EmailAddress]):
    """allauth's record of a user's address: verified and primary unless told."""

    class Meta:
        model = EmailAddress

    user = factory.SubFactory("demo.factories.UserFactory", email_address=None)
    email = factory.SelfAttribute("user.email")
    verified = True
    primary = True


class UserFactory(DjangoModelFactory[User]):
    """A customer with a verified email address (``verified=False`` for one that is not)
    and the password ``PASSWORD`` (hashed with the project's hasher)."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    class Params:
        verified = True

    email = factory.Sequence(lambda n: f"personne{n}@example.org")
    first_name = factory.Faker("first_name", locale="fr_CA")
    last_name = factory.Faker("last_name", locale="fr_CA")
    phone = phone_number()
    language = "fr-ca"
    password = factory.django.Password(PASSWORD)
    email_address = factory.RelatedFactory(
        EmailAddressFactory,
        factory_related_name="user",
        email=factory.SelfAttribute("..email"),
        verified=factory.SelfAttribute("..verified"),
    )


def coordinators_group() -> Group:
    # get_or_create: a transactional test may have flushed the migration's row.
    return Group.objects.get_or_create(name=settings.COORDINATORS_GROUP)[0]


class CoordinatorFactory(UserFactory):
    """A user of the Coordinators group."""

    @factory.post_generation
    def coordinator_group(obj: User, create: bool, extracted: Any, **kwargs: Any) -> None:  # noqa: N805
        if create:
            obj.groups.add(coordinators_group())


# --- Farms ----------------------------------------------------------------------------------


class CertificationFactory(DjangoModelFactory[Certification]):
    class Meta:
        model = Certification
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Certification {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))


class FarmFactory(DjangoModelFactory[Farm]):
    """A farm of Estrie, its slug made from its name."""

    class Meta:
        model = Farm

    name = factory.Sequence(lambda n: f"Ferme {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    region = Region.ESTRIE
    town = factory.Faker("city", locale="fr_CA")
    phone = phone_number()
    language = "fr-ca"


class FarmMemberFactory(DjangoModelFactory[FarmMember]):
    class Meta:
        model = FarmMember

    farm = factory.SubFactory(FarmFactory)
    user = factory.SubFactory(UserFactory)
    role = FarmMember.Role.OWNER


class FarmerFactory(UserFactory):
    """A user who is the owner of a farm: ``FarmerFactory(membership__farm=farm)``, or of
    a new farm when none is given."""

    membership = factory.RelatedFactory(FarmMemberFactory, factory_related_name="user")


class ProductFactory(DjangoModelFactory[Product]):
    """A bunch of carrots at 3.50, zero-rated, 20 a week by default."""

    class Meta:
        model = Product

    farm = factory.SubFactory(FarmFactory)
    name = factory.Sequence(lambda n: f"Carottes {n}")
    category = Category.VEGETABLES
    unit = Unit.BUNCH
    price = Decimal("3.50")
    tax_class = TaxClass.ZERO_RATED
    default_quantity = 20


# --- The market -----------------------------------------------------------------------------


class PickupPointFactory(DjangoModelFactory[PickupPoint]):
    """A pickup point open from 16 h to 19 h."""

    class Meta:
        model = PickupPoint

    name = factory.Sequence(lambda n: f"Point {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    address = factory.Faker("street_address", locale="fr_CA")
    city = factory.Faker("city", locale="fr_CA")
    opens_at = time(16)
    closes_at = time(19)


class PickupSlotFactory(DjangoModelFactory[PickupSlot]):
    """The point's first hour, for 10 orders."""

    class Meta:
        model = PickupSlot

    pickup_point = factory.SubFactory(PickupPointFactory)
    starts_at = factory.SelfAttribute("pickup_point.opens_at")
    ends_at = factory.LazyAttribute(lambda o: time(o.starts_at.hour + 1, o.starts_at.minute))
    capacity = 10


def _opens(o: Any) -> Any:
    now = timezone.now()
    return now - timedelta(days=1) if o.open_now else now + timedelta(days=3)


class OrderWindowFactory(DjangoModelFactory[OrderWindow]):
    """A week of the market: open since yesterday for four days (``open_now=False``:
    opening in three days), pickup two days after it closes. The ``closed`` trait: a
    closed week whose pickup day was ``days_ago`` days ago (4 by default)."""

    class Meta:
        model = OrderWindow

    class Params:
        open_now = True
        days_ago = 4
        closed = factory.Trait(
            opens_at=factory.LazyAttribute(
                lambda o: timezone.now() - timedelta(days=o.days_ago + 6)
            ),
            closes_at=factory.LazyAttribute(
                lambda o: timezone.now() - timedelta(days=o.days_ago + 2)
            ),
            pickup_date=factory.LazyAttribute(
                lambda o: timezone.localdate() - timedelta(days=o.days_ago)
            ),
            status=OrderWindow.Status.CLOSED,
        )

    opens_at = factory.LazyAttribute(_opens)
    closes_at = factory.LazyAttribute(lambda o: o.opens_at + timedelta(days=4))
    pickup_date = factory.LazyAttribute(lambda o: (o.opens_at + timedelta(days=6)).date())


class OfferFactory(DjangoModelFactory[Offer]):
    """Ten units of a product in a window, at the product's price, none taken yet."""

    class Meta:
        model = Offer

    window = factory.SubFactory(OrderWindowFactory)
    product = factory.SubFactory(ProductFactory)
    quantity = 10
    remaining = factory.SelfAttribute("quantity")
    price = factory.SelfAttribute("product.price")


class OrderFactory(DjangoModelFactory[Order]):
    """A customer's order for a window: a basket unless told. The ``confirmed`` trait:
    confirmed now, at a new pickup point, to pay at pickup."""

    class Meta:
        model = Order

    class Params:
        confirmed = factory.Trait(
            status=Order.Status.CONFIRMED,
            confirmed_at=factory.LazyFunction(timezone.now),
            pickup_point=factory.SubFactory(PickupPointFactory),
            payment_method=Payment.Method.AT_PICKUP,
        )

    window = factory.SubFactory(OrderWindowFactory)
    customer = factory.SubFactory(UserFactory)


class OrderLineFactory(DjangoModelFactory[OrderLine]):
    """One unit of an offer at its price. Takes no stock (see the module's docstring)."""

    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    offer = factory.SubFactory(OfferFactory, window=factory.SelfAttribute("..order.window"))
    quantity = 1
    unit_price = factory.SelfAttribute("offer.price")
    tax_class = factory.SelfAttribute("offer.product.tax_class")
    unit_weight_estimate = factory.SelfAttribute("offer.product.estimated_weight")
    deposit = factory.SelfAttribute("offer.product.deposit")


class PaymentFactory(DjangoModelFactory[Payment]):
    """A card hold of ``amount``, captured at close (the default); traits: ``cash``
    (collected at pickup), ``declined`` (an off-session charge the bank refused),
    ``charge`` (a captured off-session charge)."""

    class Meta:
        model = Payment

    class Params:
        amount = Decimal("0.00")
        cash = factory.Trait(
            method=Payment.Method.AT_PICKUP,
            kind=Payment.Kind.CASH,
            status=Payment.Status.COLLECTED,
            amount_authorized=Decimal("0.00"),
            amount_requested=Decimal("0.00"),
        )
        charge = factory.Trait(kind=Payment.Kind.CHARGE, amount_authorized=Decimal("0.00"))
        declined = factory.Trait(
            kind=Payment.Kind.CHARGE,
            status=Payment.Status.DECLINED,
            amount_authorized=Decimal("0.00"),
            amount_captured=Decimal("0.00"),
        )

    order = factory.SubFactory(OrderFactory)
    method = Payment.Method.CARD
    kind = Payment.Kind.HOLD
    status = Payment.Status.CAPTURED
    amount_authorized = factory.SelfAttribute("amount")
    amount_requested = factory.SelfAttribute("amount")
    amount_captured = factory.SelfAttribute("amount")
    amount_refunded = Decimal("0.00")


class RefundFactory(DjangoModelFactory[Refund]):
    """A shortage refund Stripe made, of the whole of what the payment refunded."""

    class Meta:
        model = Refund

    payment = factory.SubFactory(PaymentFactory)
    amount = factory.SelfAttribute("payment.amount_refunded")
    reason = Refund.Reason.SHORTAGE
    status = Refund.Status.SUCCEEDED


# --- In bulk --------------------------------------------------------------------------------


def create_users(users: Iterable[User], *, verified: bool = True) -> list[User]:
    """Insert users made with ``UserFactory.build()`` (in batches) and their primary
    email addresses, which ``build()`` leaves out."""
    created = User.objects.bulk_create(list(users), batch_size=BATCH)
    EmailAddress.objects.bulk_create(
        (EmailAddress(user=u, email=u.email, verified=verified, primary=True) for u in created),
        batch_size=BATCH,
    )
    return created


def order_line(order: Order, offer: Offer, quantity: int, *, shortage: int = 0) -> OrderLine:
    """An unsaved line as `OrderLineFactory` makes it (the offer's price, its product's
    tax class), without factory_boy's cost per row: for the benchmarks' 100 000 lines.
    Takes no stock."""
    return OrderLine(
        order=order,
        offer=offer,
        quantity=quantity,
        unit_price=offer.price,
        tax_class=offer.product.tax_class,
        shortage=shortage,
        unit_weight_estimate=offer.product.estimated_weight,
        deposit=offer.product.deposit,
    )


__all__ = [
    "AREA_CODES",
    "PASSWORD",
    "CertificationFactory",
    "CoordinatorFactory",
    "EmailAddressFactory",
    "FarmFactory",
    "FarmMemberFactory",
    "FarmerFactory",
    "OfferFactory",
    "OrderFactory",
    "OrderLineFactory",
    "OrderWindowFactory",
    "PaymentFactory",
    "PickupPointFactory",
    "PickupSlotFactory",
    "ProductFactory",
    "RefundFactory",
    "UserFactory",
    "coordinators_group",
    "create_users",
    "order_line",
    "phone_number",
]
