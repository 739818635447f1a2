"""``manage.py seed_demo``: a demo co-op with farms, a week on sale, orders and logins.

Deterministic (a fixed random seed) and fast (bulk inserts), so it also seeds the
benchmarks: ``seed_demo --farms 40 --customers 1000 --orders 1000``.
"""

import random
import time as clock
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User
from demo import catalogue as demo_data
from demo.catalogue import FarmSpec, ProductTemplate
from demo.settlement import settle_demo_week
from farms.models import Certification, Farm, FarmMember, Product, Region, Unit
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

SEED = 2026
LAST_WEEK_GENERATED_ORDERS = 10  # plus the demo customer's and the demo farmer's
OFFERED_SHARE = 88  # percent of the active products offered in a window
INACTIVE_SHARE = 4  # percent of the products retired from the catalogue
NO_DEFAULT_SHARE = 12  # percent of the products without a default weekly quantity
MEAN_UNITS_PER_ORDER = 8  # 5 lines of about 1.6 units, to size the offers
BATCH = 500


@dataclass(slots=True)
class Pickup:
    point: PickupPoint
    weight: int
    slots: list[PickupSlot] = field(default_factory=list)


@dataclass(slots=True)
class Placed:
    orders: list[Order] = field(default_factory=list)
    lines: list[OrderLine] = field(default_factory=list)


class Command(BaseCommand):
    help = (
        "Seed a demo co-op: farms and their catalogue, pickup points, last week's, this "
        "week's and next week's order windows, offers, confirmed orders and one demo login "
        f"per role (password {demo_data.DEMO_PASSWORD}). Does nothing if demo data exists, "
        "unless --reset is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--farms",
            type=int,
            default=40,
            help="Number of farms (default 40; more than 40 generates extra farm names).",
        )
        parser.add_argument(
            "--customers",
            type=int,
            default=30,
            help="Number of generated customers besides the demo accounts (default 30).",
        )
        parser.add_argument(
            "--orders",
            type=int,
            default=40,
            help=(
                "Confirmed orders in the open window, one per generated customer (default 40); "
                "more customers are generated when needed."
            ),
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help=(
                "Delete the domain data (orders, offers, windows, products, farms, pickup "
                "points) and the demo users first, then seed again."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        farms, customers, orders = options["farms"], options["customers"], options["orders"]
        if farms < 2:
            raise CommandError("--farms must be at least 2 (the demo farmer has two farms).")
        if customers < 0 or orders < 0:
            raise CommandError("--customers and --orders cannot be negative.")

        started = clock.perf_counter()
        with transaction.atomic():
            if options["reset"]:
                self._reset()
            elif self._demo_exists():
                self.stdout.write(
                    "Demo data already exists (client@demo.coop or a demo farm is there): "
                    "nothing done. Use --reset to delete it and seed again."
                )
                return
            seeder = Seeder(farms=farms, customers=max(customers, orders), orders=orders)
            seeder.run()
        self._summary(seeder, clock.perf_counter() - started)

    def _demo_exists(self) -> bool:
        slugs = [slugify(spec.name) for spec in demo_data.FARMS]
        return (
            User.objects.filter(email=demo_data.DEMO_ACCOUNTS[0].email).exists()
            or User.objects.filter(
                email__iendswith=f"@{demo_data.DEMO_EMAIL_DOMAIN}", is_superuser=False
            ).exists()
            or Farm.objects.filter(slug__in=slugs).exists()
        )

    def _reset(self) -> None:
        """Delete the domain data, children first (orders protect offers, users, points)."""
        deleted: Counter[str] = Counter()
        querysets = (
            Refund.objects.all(),
            Payment.objects.all(),
            OrderLine.objects.all(),
            Order.objects.all(),
            Offer.objects.all(),
            OrderWindow.objects.all(),
            PickupSlot.objects.all(),
            PickupPoint.objects.all(),
            Product.objects.all(),
            Farm.objects.all(),
            # Demo and generated users; a superuser (admin@demo.coop too) is kept and updated.
            User.objects.filter(
                email__iendswith=f"@{demo_data.DEMO_EMAIL_DOMAIN}", is_superuser=False
            ),
        )
        for queryset in querysets:
            _, per_model = queryset.delete()
            deleted.update(per_model)
        summary = ", ".join(
            f"{count} {label.split('.')[-1]}" for label, count in deleted.items() if count
        )
        self.stdout.write(f"Reset: deleted {summary or 'nothing'}.")

    def _summary(self, seeder: "Seeder", seconds: float) -> None:
        counts = seeder.counts
        self.stdout.write(self.style.SUCCESS(f"Demo co-op seeded in {seconds:.1f} s:"))
        rows = (
            ("farms", f"{counts['farms']} ({counts['certified']} certified)"),
            ("products", f"{counts['products']} ({counts['active']} active)"),
            ("pickup points", f"{counts['points']} ({counts['slots']} time slots)"),
            ("order windows", "3 (last week closed, this week open, next week scheduled)"),
            (
                "offers",
                f"{counts['offers']} (last week {counts['offers_last']}, "
                f"this week {counts['offers_current']}, next week none yet)",
            ),
            (
                "orders",
                f"{counts['orders']} (this week {counts['orders_current']} confirmed, "
                f"last week {counts['orders_last']} locked or picked up)",
            ),
            ("order lines", str(counts["lines"])),
            ("customers", f"{counts['customers']} generated, plus the demo accounts"),
        )
        for label, value in rows:
            self.stdout.write(f"  {label:<14} {value}")
        if counts["orders_current"] < seeder.orders_wanted:
            self.stdout.write(
                self.style.WARNING(
                    f"Only {counts['orders_current']} of {seeder.orders_wanted} orders fit in "
                    "this week's offers."
                )
            )
        self.stdout.write(f"Demo accounts (password: {demo_data.DEMO_PASSWORD}):")
        for account in demo_data.DEMO_ACCOUNTS:
            self.stdout.write(f"  {account.role:<12} {account.email}")


class Seeder:
    """Builds the demo data in memory with one random generator, then bulk-inserts it."""

    def __init__(self, *, farms: int, customers: int, orders: int) -> None:
        self.rng = random.Random(SEED)  # noqa: S311 - demo data, not secrets.
        self.farms_wanted = farms
        self.customers_wanted = customers
        self.orders_wanted = orders
        self.now = timezone.now()
        self.tz = timezone.get_default_timezone()
        self.password = make_password(demo_data.DEMO_PASSWORD)  # hashed once, it is slow
        self.counts: Counter[str] = Counter()

    def run(self) -> None:
        certifications = self._certifications()
        farms = self._farms(certifications)
        products = self._products(farms)
        pickups = self._pickup_points()
        last, current, _next = self._windows()
        # Offers before people, so that --customers and --orders change no offer.
        last_offers = self._offers(last, products)
        current_offers = self._offers(current, products, expected_orders=self.orders_wanted)
        accounts, customers = self._users(farms)

        history = [accounts["customer"], accounts["farmer"]]
        history += self.rng.sample(customers, min(LAST_WEEK_GENERATED_ORDERS, len(customers)))
        last_placed = self._place_orders(
            window=last, customers=history, offers=last_offers, pickups=pickups, closed=True
        )
        current_placed = self._place_orders(
            window=current,
            customers=customers[: self.orders_wanted],
            offers=current_offers,
            pickups=pickups,
            closed=False,
        )

        offers = last_offers + current_offers
        Offer.objects.bulk_create(offers, batch_size=BATCH)
        orders = sorted(
            last_placed.orders + current_placed.orders,
            key=lambda order: order.confirmed_at or self.now,
        )
        Order.objects.bulk_create(orders, batch_size=BATCH)
        OrderLine.objects.bulk_create(last_placed.lines + current_placed.lines, batch_size=BATCH)
        # created_at is auto_now_add: backdate it to just before each confirmation.
        Order.objects.filter(window__in=(last, current)).update(
            created_at=F("confirmed_at") - timedelta(minutes=12)
        )

        self.counts.update(
            offers=len(offers),
            offers_last=len(last_offers),
            offers_current=len(current_offers),
            orders=len(orders),
            orders_last=len(last_placed.orders),
            orders_current=len(current_placed.orders),
            lines=len(last_placed.lines) + len(current_placed.lines),
        )
        # Last week is paid and settled, so farmers find a statement to download.
        settle_demo_week(closed_window=last, now=self.now)

    # --- Farms and catalogue -------------------------------------------------------------

    def _certifications(self) -> dict[str, Certification]:
        certifications = {}
        for name in demo_data.CERTIFICATIONS:
            certifications[name], _ = Certification.objects.get_or_create(
                name=name, defaults={"slug": slugify(name)}
            )
        return certifications

    def _farm_specs(self) -> list[FarmSpec]:
        specs = list(demo_data.FARMS[: self.farms_wanted])
        missing = self.farms_wanted - len(specs)
        if missing <= 0:
            return specs
        # Extra farms: every (kind, complement) pair in a fixed shuffled order, then again
        # with a number. A separate generator keeps the first 40 farms the same.
        rng = random.Random(SEED + 1)  # noqa: S311 - demo data, not secrets.
        pairs = [
            (kind, complement)
            for kind in demo_data.EXTRA_FARM_KINDS
            for complement in demo_data.NAME_COMPLEMENTS
        ]
        rng.shuffle(pairs)
        used = {slugify(spec.name) for spec in specs}
        regions = sorted(demo_data.REGION_TOWNS)
        round_number = 1
        while missing > 0:
            for kind, complement in pairs:
                name = f"{kind.prefix} {complement}"
                if round_number > 1:
                    name = f"{name} {round_number}"
                if slugify(name) in used:
                    continue
                used.add(slugify(name))
                region = rng.choice(regions)
                town = rng.choice(demo_data.REGION_TOWNS[region])
                label = Region(region).label
                specs.append(
                    FarmSpec(
                        name=name,
                        region=region,
                        town=town,
                        kinds=kind.kinds,
                        description=kind.description.format(
                            of_town=demo_data.of_town(town), region=label
                        ),
                        practices=kind.practices,
                        certifications=tuple(
                            cert for cert in demo_data.CERTIFICATIONS if rng.randrange(100) < 15
                        ),
                    )
                )
                missing -= 1
                if missing == 0:
                    break
            round_number += 1
        return specs

    def _farms(self, certifications: dict[str, Certification]) -> list[Farm]:
        specs = self._farm_specs()
        farmer_email = demo_data.DEMO_ACCOUNTS[1].email
        farms: list[Farm] = []
        for index, spec in enumerate(specs):
            slug = slugify(spec.name)
            area = demo_data.AREA_CODES.get(spec.region, "418")
            farms.append(
                Farm(
                    name=spec.name,
                    slug=slug,
                    region=spec.region,
                    town=spec.town,
                    description=spec.description,
                    practices=spec.practices,
                    # The demo farmer receives the pickup lists of both farms.
                    email=farmer_email if index < 2 else f"bonjour@{slug}.example",
                    phone=f"{area} 555-01{index % 100:02d}",
                    website=f"https://{slug}.example" if index % 3 == 0 else "",
                    language=spec.language,
                )
            )
        Farm.objects.bulk_create(farms, batch_size=BATCH)
        through = Farm.certifications.through
        links = [
            through(farm_id=farm.pk, certification_id=certifications[name].pk)
            for farm, spec in zip(farms, specs, strict=True)
            for name in spec.certifications
        ]
        through.objects.bulk_create(links, batch_size=BATCH)
        self.counts.update(
            farms=len(farms), certified=sum(1 for spec in specs if spec.certifications)
        )
        self.specs = specs
        return farms

    def _pick_templates(self, kinds: tuple[str, ...]) -> list[ProductTemplate]:
        """6 to 9 products: two of each kind of the farm, the rest from all its kinds."""
        pool: list[ProductTemplate] = []
        for kind in kinds:
            pool += [t for t in demo_data.CATALOGUE[kind] if t not in pool]
        wanted = min(self.rng.randint(6, 9), len(pool))
        picked: list[ProductTemplate] = []
        for kind in kinds:
            choices = [t for t in demo_data.CATALOGUE[kind] if t not in picked]
            picked += self.rng.sample(choices, min(2, len(choices), wanted - len(picked)))
        rest = [t for t in pool if t not in picked]
        picked += self.rng.sample(rest, wanted - len(picked))
        return picked

    def _price(self, base: Decimal) -> Decimal:
        """The template's price, give or take 10 %, rounded to 5 cents (no pennies)."""
        cents = int(base * 100) * self.rng.randint(90, 112) // 100
        cents = max(5, (cents + 2) // 5 * 5)
        return (Decimal(cents) / 100).quantize(Decimal("0.01"))

    def _products(self, farms: list[Farm]) -> list[Product]:
        products: list[Product] = []
        for farm, spec in zip(farms, self.specs, strict=True):
            for template in self._pick_templates(spec.kinds):
                default = 0
                if self.rng.randrange(100) >= NO_DEFAULT_SHARE:
                    default = max(2, template.default_quantity * self.rng.randint(70, 130) // 100)
                products.append(
                    Product(
                        farm=farm,
                        name=template.name,
                        category=template.category,
                        description=template.description,
                        unit=template.unit,
                        package_size=template.package_size,
                        price=self._price(template.price),
                        tax_class=template.tax_class,
                        default_quantity=default,
                        is_active=self.rng.randrange(100) >= INACTIVE_SHARE,
                    )
                )
        Product.objects.bulk_create(products, batch_size=BATCH)
        self.counts.update(
            products=len(products), active=sum(1 for product in products if product.is_active)
        )
        return products

    # --- The market ----------------------------------------------------------------------

    def _pickup_points(self) -> list[Pickup]:
        pickups: list[Pickup] = []
        for spec in demo_data.PICKUP_POINTS:
            point = PickupPoint.objects.create(
                name=spec.name,
                slug=spec.slug,
                address=spec.address,
                city=spec.city,
                instructions=spec.instructions,
                opens_at=spec.opens_at,
                closes_at=spec.closes_at,
            )
            slots = PickupSlot.objects.bulk_create(
                PickupSlot(
                    pickup_point=point,
                    starts_at=slot.starts_at,
                    ends_at=slot.ends_at,
                    capacity=slot.capacity,
                )
                for slot in spec.slots
            )
            pickups.append(Pickup(point=point, weight=spec.weight, slots=slots))
            self.counts.update(points=1, slots=len(slots))
        return pickups

    def _at(self, day: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute), tzinfo=self.tz)

    def _windows(self) -> tuple[OrderWindow, OrderWindow, OrderWindow]:
        """Last week's (closed), this week's (open now) and next week's (scheduled)."""
        today = timezone.localdate(self.now)
        windows = []
        for weeks, status in (
            (-1, OrderWindow.Status.CLOSED),
            (0, OrderWindow.Status.OPEN),
            (1, OrderWindow.Status.SCHEDULED),
        ):
            opens_on = today + timedelta(days=7 * weeks - 1)
            closes_on = today + timedelta(days=7 * weeks + 4)
            windows.append(
                OrderWindow(
                    opens_at=self._at(opens_on, 8),
                    closes_at=self._at(closes_on, 23, 59),
                    pickup_date=closes_on + timedelta(days=2),
                    status=status,
                    note="Apportez vos sacs réutilisables !" if weeks == 0 else "",
                )
            )
        OrderWindow.objects.bulk_create(windows)
        last, current, upcoming = windows
        return last, current, upcoming

    def _offers(
        self, window: OrderWindow, products: list[Product], expected_orders: int = 0
    ) -> list[Offer]:
        """Unsaved offers for most active products, about their default quantity.

        When many orders are expected (benchmarks), quantities grow so that the orders
        take about half of what is offered instead of selling everything out.
        """
        offers: list[Offer] = []
        for product in products:
            if not product.is_active or self.rng.randrange(100) >= OFFERED_SHARE:
                continue
            base = product.default_quantity or 12
            quantity = max(1, base * self.rng.randint(75, 125) // 100)
            offers.append(
                Offer(
                    window=window,
                    product=product,
                    quantity=quantity,
                    remaining=quantity,
                    price=product.price,
                )
            )
        capacity = sum(offer.quantity for offer in offers)
        demand = expected_orders * MEAN_UNITS_PER_ORDER
        if capacity and demand * 2 > capacity:
            percent = -(-demand * 2 * 100 // capacity)  # ceiling
            for offer in offers:
                offer.quantity = offer.remaining = -(-offer.quantity * percent // 100)
        return offers

    # --- People --------------------------------------------------------------------------

    def _users(self, farms: list[Farm]) -> tuple[dict[str, User], list[User]]:
        accounts = {
            account.role: self._demo_account(account) for account in demo_data.DEMO_ACCOUNTS
        }
        coordinators, _ = Group.objects.get_or_create(name=settings.COORDINATORS_GROUP)
        coordinators.user_set.add(accounts["coordinator"], accounts["admin"])
        FarmMember.objects.bulk_create(
            FarmMember(farm=farm, user=accounts["farmer"], role=FarmMember.Role.OWNER)
            for farm in farms[:2]
        )

        customers: list[User] = []
        for number in range(1, self.customers_wanted + 1):
            english = self.rng.randrange(100) < 20
            first = self.rng.choice(
                demo_data.FIRST_NAMES_EN if english else demo_data.FIRST_NAMES_FR
            )
            last = self.rng.choice(
                demo_data.LAST_NAMES_EN
                if english and self.rng.randrange(100) < 80
                else demo_data.LAST_NAMES_FR
            )
            local = f"{slugify(first)}.{slugify(last)}{number}"
            customers.append(
                User(
                    email=f"{local}@{demo_data.DEMO_EMAIL_DOMAIN}",
                    password=self.password,
                    first_name=first,
                    last_name=last,
                    language="en" if english else "fr-ca",
                    date_joined=self.now - timedelta(days=self.rng.randint(1, 400)),
                )
            )
        User.objects.bulk_create(customers, batch_size=BATCH)
        EmailAddress.objects.bulk_create(
            (
                EmailAddress(user=user, email=user.email, verified=True, primary=True)
                for user in customers
            ),
            batch_size=BATCH,
        )
        self.counts.update(customers=len(customers))
        return accounts, customers

    def _demo_account(self, account: demo_data.DemoAccount) -> User:
        """Create the account, or bring back to its demo state one a reset kept (admin)."""
        user = User.objects.filter(email=account.email).first() or User(email=account.email)
        user.password = self.password
        user.first_name = account.first_name
        user.last_name = account.last_name
        user.language = account.language
        user.phone = account.phone
        user.is_active = True
        user.is_staff = user.is_superuser = account.role == "admin"
        user.save()
        EmailAddress.objects.update_or_create(
            user=user, email=account.email, defaults={"verified": True, "primary": True}
        )
        return user

    # --- Orders --------------------------------------------------------------------------

    def _choose_pickup(
        self, pickups: list[Pickup], taken: Counter[int]
    ) -> tuple[PickupPoint, PickupSlot | None]:
        """A weighted pickup point; at a point with slots, a slot that still has room."""
        open_pickups = [
            pickup
            for pickup in pickups
            if not pickup.slots or any(taken[s.pk] < s.capacity for s in pickup.slots)
        ]
        pickup = self.rng.choices(open_pickups, weights=[p.weight for p in open_pickups])[0]
        if not pickup.slots:
            return pickup.point, None
        slot = self.rng.choice([s for s in pickup.slots if taken[s.pk] < s.capacity])
        taken[slot.pk] += 1
        return pickup.point, slot

    def _units(self, offer: Offer) -> int:
        """Mostly one unit; up to 3 of cheap items, at most 2 by the kg, dozen or litre."""
        draws: tuple[int, ...] = (1, 1, 1, 2, 2, 3)
        if offer.price >= 15 or offer.product.unit in (Unit.KG, Unit.DOZEN, Unit.LITRE):
            draws = (1, 1, 1, 2)
        return min(self.rng.choice(draws), offer.remaining)

    def _place_orders(
        self,
        *,
        window: OrderWindow,
        customers: list[User],
        offers: list[Offer],
        pickups: list[Pickup],
        closed: bool,
    ) -> Placed:
        """Confirmed orders of 2 to 8 lines, each line taken from its offer's remaining."""
        placed = Placed()
        taken: Counter[int] = Counter()
        available = [offer for offer in offers if offer.remaining > 0]
        start = window.opens_at + timedelta(hours=1)
        end = min(window.closes_at, self.now) - timedelta(minutes=1)
        span = max(1, int((end - start).total_seconds()))
        for customer in customers:
            if len(available) < 2:
                break
            if closed:
                status = Order.Status.LOCKED if self.rng.randrange(4) == 0 else None
                status = status or Order.Status.PICKED_UP
            else:
                status = Order.Status.CONFIRMED
            if customer.email == demo_data.DEMO_ACCOUNTS[0].email:
                status = Order.Status.PICKED_UP
            # random() draws the same bits whatever the span: the hour changes no other draw.
            confirmed_at = start + timedelta(seconds=int(self.rng.random() * span))
            point, slot = self._choose_pickup(pickups, taken)
            order = Order(
                window=window,
                customer=customer,
                status=status,
                pickup_point=point,
                pickup_slot=slot,
                language=customer.language,
                last_activity_at=confirmed_at,
                confirmed_at=confirmed_at,
            )
            placed.orders.append(order)
            chosen = self.rng.sample(available, min(self.rng.randint(2, 8), len(available)))
            for offer in chosen:
                quantity = self._units(offer)
                offer.remaining -= quantity
                placed.lines.append(
                    OrderLine(
                        order=order,
                        offer=offer,
                        quantity=quantity,
                        unit_price=offer.price,
                        tax_class=offer.product.tax_class,
                    )
                )
            if any(offer.remaining == 0 for offer in chosen):
                available = [offer for offer in available if offer.remaining > 0]
        return placed
