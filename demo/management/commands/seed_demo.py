"""``manage.py seed_demo``: a demo co-op with farms, a week on sale, orders and logins.

Rows are made by the shared factories (`demo.factories`): farms, products, people,
pickup points, windows and offers are built in memory and bulk-inserted. The orders'
stock is taken through the market's services (`orders.basket.basket_fill` for an
order's lines, then `order_confirm`), at the moment each order was placed; last week is
closed only once its orders are in.

Deterministic (fixed seeds for our generator and for factory_boy's, which Faker
shares), so it also seeds the benchmarks: ``seed_demo --farms 40 --customers 1000
--orders 1000``.
"""

import random
import time as clock
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import factory
import factory.random
from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User
from baskets import week_baskets
from demo import catalogue as demo_data
from demo import factories as f
from demo.catalogue import FarmSpec, ProductTemplate
from demo.settlement import settle_demo_week
from farms.models import Certification, Farm, FarmMember, Product, Region, Unit
from orders import basket
from orders.models import (
    CoopSettings,
    Offer,
    Order,
    OrderLine,
    OrderWindow,
    Payment,
    PickupPoint,
    PickupSlot,
    Refund,
)
from pickup.closing import build_documents

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
class Planned:
    """An order as drawn: who, when, where, what (units per offer), and its status
    once its week is over (a closed week's orders are picked up or locked)."""

    customer: User
    confirmed_at: datetime
    point: PickupPoint
    slot: PickupSlot | None
    status: str
    lines: list[tuple[Offer, int]] = field(default_factory=list)


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
        factory.random.reseed_random(SEED)  # factory_boy's generator, and Faker's
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
        last_planned = self._plan_orders(
            window=last, customers=history, offers=last_offers, pickups=pickups, closed=True
        )
        current_planned = self._plan_orders(
            window=current,
            customers=customers[: self.orders_wanted],
            offers=current_offers,
            pickups=pickups,
            closed=False,
        )

        offers = last_offers + current_offers
        # Offers are inserted whole; the orders take their units through the services.
        for offer in offers:
            offer.remaining = offer.quantity
        Offer.objects.bulk_create(offers, batch_size=BATCH)
        self._take_orders(window=last, planned=last_planned)
        self._make_sure_a_demo_farm_sold(last, last_planned, last_offers)
        self._close(last, last_planned)
        self._take_orders(window=current, planned=current_planned)
        self._week_basket(current, current_offers)
        # created_at is auto_now_add: backdate it to just before each confirmation.
        Order.objects.filter(window__in=(last, current)).update(
            created_at=F("confirmed_at") - timedelta(minutes=12)
        )

        self.counts.update(
            offers=len(offers),
            offers_last=len(last_offers),
            offers_current=len(current_offers),
            orders=len(last_planned) + len(current_planned),
            orders_last=len(last_planned),
            orders_current=len(current_planned),
            lines=OrderLine.objects.filter(order__window__in=(last, current)).count(),
        )
        # Last week is paid and settled, so farmers find a statement to download.
        settle_demo_week(closed_window=last, now=self.now)

    def _week_basket(self, window: OrderWindow, offers: list[Offer]) -> None:
        """A published basket of the week: five vegetables with stock left, one each."""
        vegetables = [o for o in offers if o.product.category == "vegetables" and o.remaining >= 5]
        chosen = self.rng.sample(vegetables, min(5, len(vegetables)))
        if not chosen:
            return
        week_baskets.week_basket_save(
            window_id=window.pk,
            data=week_baskets.WeekBasketData(
                name="Panier découverte",
                description="Cinq légumes de la semaine, choisis par la coordination.",
                indicative_price=None,
                is_published=True,
                items=[(o.pk, 1) for o in sorted(chosen, key=lambda o: o.product.name)],
            ),
        )

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
                f.FarmFactory.build(
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
        self.farms = farms
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
                    f.ProductFactory.build(
                        farm=farm,
                        name=template.name,
                        category=template.category,
                        description=template.description,
                        unit=template.unit,
                        package_size=template.package_size,
                        price=self._price(template.price),
                        tax_class=template.tax_class,
                        estimated_weight=template.estimated_weight,
                        deposit=template.deposit,
                        default_quantity=default,
                        # Weighed and returnable products always show (the demo's only
                        # ones); the draw is made all the same, so the rest stays put.
                        is_active=self.rng.randrange(100) >= INACTIVE_SHARE
                        or bool(template.estimated_weight or template.deposit),
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
            point = f.PickupPointFactory.create(
                name=spec.name,
                slug=spec.slug,
                address=spec.address,
                city=spec.city,
                instructions=spec.instructions,
                opens_at=spec.opens_at,
                closes_at=spec.closes_at,
            )
            slots = PickupSlot.objects.bulk_create(
                f.PickupSlotFactory.build(
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
                f.OrderWindowFactory.build(
                    opens_at=self._at(opens_on, 8),
                    closes_at=self._at(closes_on, 23, 59),
                    pickup_date=closes_on + timedelta(days=2),
                    # Last week takes its orders open, then closes (see `_close`).
                    status=OrderWindow.Status.OPEN if weeks < 0 else status,
                    note="Apportez vos sacs réutilisables !" if weeks == 0 else "",
                )
            )
        OrderWindow.objects.bulk_create(windows)
        last, current, upcoming = windows
        self._rhythm_of(current)
        return last, current, upcoming

    @staticmethod
    def _rhythm_of(window: OrderWindow) -> None:
        """The co-op's weekly rhythm is the one the seeded weeks follow (they are placed
        around today, so the shop is open whatever the day): the schedule page and the
        weeks it plans ahead agree with the demo's weeks."""
        coop = CoopSettings.load()
        opens, closes = timezone.localtime(window.opens_at), timezone.localtime(window.closes_at)
        coop.open_weekday, coop.open_time = opens.weekday(), opens.time()
        coop.close_weekday, coop.close_time = closes.weekday(), closes.time()
        coop.pickup_weekday = window.pickup_date.weekday()
        # Law 25: the demo names the person in charge on its privacy page.
        coop.privacy_officer = coop.privacy_officer or "Julie Gagnon, coordination"
        coop.privacy_email = coop.privacy_email or "coordination@demo.coop"
        coop.save()

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
            offers.append(f.OfferFactory.build(window=window, product=product, quantity=quantity))
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
        f.coordinators_group().user_set.add(accounts["coordinator"], accounts["admin"])
        FarmMember.objects.bulk_create(
            f.FarmMemberFactory.build(farm=farm, user=accounts["farmer"]) for farm in farms[:2]
        )

        customers: list[User] = []
        for number in range(1, self.customers_wanted + 1):
            english = self.rng.randrange(100) < 20
            locale = "en_CA" if english else "fr_CA"
            customer = f.UserFactory.build(
                first_name=factory.Faker("first_name", locale=locale),
                last_name=factory.Faker("last_name", locale=locale),
                # Hashed once (it is slow): the factory would hash it for each user.
                password=factory.Transformer.Force(self.password),
                email_address=None,  # made in bulk by create_users
                language="en" if english else "fr-ca",
                date_joined=self.now - timedelta(days=self.rng.randint(1, 400)),
            )
            local = f"{slugify(customer.first_name)}.{slugify(customer.last_name)}{number}"
            customer.email = f"{local}@{demo_data.DEMO_EMAIL_DOMAIN}"
            customers.append(customer)
        f.create_users(customers)
        self.counts.update(customers=len(customers))
        return accounts, customers

    def _demo_account(self, account: demo_data.DemoAccount) -> User:
        """Create the account, or bring back to its demo state one a reset kept (admin)."""
        # Its values given, so a kept admin or a new one draws nothing from Faker.
        user = User.objects.filter(email=account.email).first() or f.UserFactory.build(
            email=account.email,
            first_name=account.first_name,
            last_name=account.last_name,
            phone=account.phone,
            password=factory.Transformer.Force(self.password),
        )
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

    def _plan_orders(
        self,
        *,
        window: OrderWindow,
        customers: list[User],
        offers: list[Offer],
        pickups: list[Pickup],
        closed: bool,
    ) -> list[Planned]:
        """Orders of 2 to 8 lines, drawn in memory: each line fits in what its offer
        still has once the orders drawn before it are counted (`Offer.remaining` here is
        that count; the offers are inserted whole and the services take the units)."""
        planned: list[Planned] = []
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
            order = Planned(
                customer=customer,
                confirmed_at=confirmed_at,
                point=point,
                slot=slot,
                status=status,
            )
            planned.append(order)
            chosen = self.rng.sample(available, min(self.rng.randint(2, 8), len(available)))
            for offer in chosen:
                quantity = self._units(offer)
                offer.remaining -= quantity
                order.lines.append((offer, quantity))
            if any(offer.remaining == 0 for offer in chosen):
                available = [offer for offer in available if offer.remaining > 0]
        return planned

    def _take_orders(self, *, window: OrderWindow, planned: list[Planned]) -> None:
        """Each order as its customer placed it, in the order they confirmed: its units
        taken from the offers by `basket_fill` (the guarded UPDATE that never oversells,
        for all its lines in one transaction), then `order_confirm` with its pickup
        point and slot."""
        for order in sorted(planned, key=lambda o: o.confirmed_at):
            results = basket.basket_fill(
                customer_id=order.customer.pk,
                window_id=window.pk,
                wanted=[(offer.pk, quantity) for offer, quantity in order.lines],
                now=order.confirmed_at,
            )
            for result in results:
                if result.short:  # the plan counted the stock: this would be a bug
                    raise CommandError(f"Offer {result.offer_id} is short: {result.message}")
            basket.order_confirm(
                customer_id=order.customer.pk,
                window_id=window.pk,
                pickup_point_id=order.point.pk,
                pickup_slot_id=order.slot.pk if order.slot else None,
                language=order.customer.language,
                now=order.confirmed_at,
            )

    def _make_sure_a_demo_farm_sold(
        self, window: OrderWindow, planned: list[Planned], offers: list[Offer]
    ) -> None:
        """The demo farmer's first farm sells at least one unit last week (its statement
        is then not empty): one unit more in the demo customer's order if need be."""
        if not planned:
            return
        farm = self.farms[0]
        if any(offer.product.farm_id == farm.pk for o in planned for offer, _ in o.lines):
            return
        offer = next((o for o in offers if o.product.farm_id == farm.pk and o.remaining), None)
        if offer is None:
            return
        order = next(
            (o for o in planned if o.customer.email == demo_data.DEMO_ACCOUNTS[0].email),
            planned[0],
        )
        basket.basket_line_set(
            customer_id=order.customer.pk,
            offer_id=offer.pk,
            delta=1,
            now=order.confirmed_at,
            offer=offer,
        )
        offer.remaining -= 1
        order.lines.append((offer, 1))

    def _close(self, window: OrderWindow, planned: list[Planned]) -> None:
        """Last week is over: the window is closed and its orders picked up or locked
        (what the close and the pickup marks did), with its lists and sheets."""
        for status in (Order.Status.PICKED_UP, Order.Status.LOCKED):
            Order.objects.filter(
                window=window, customer__in=[o.customer for o in planned if o.status == status]
            ).update(status=status)
        window.status = OrderWindow.Status.CLOSED
        window.save(update_fields=["status"])
        # Its lists and sheets, as the close made them: farmers and coordinators find
        # last week's pickup list, sheets and summary to download.
        build_documents(window=window)
