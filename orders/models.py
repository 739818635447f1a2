import copy
import os
import threading
from datetime import datetime, time
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from farms.models import Farm, Product, TaxClass

from .pricing import kg as pricing_kg
from .pricing import line_amount


class PrivateStorage(FileSystemStorage):
    """Lists and sheets: on disk under PRIVATE_ROOT (read at each use), never under
    MEDIA_URL; views that check who may see them serve the files."""

    @property  # type: ignore[override]
    def base_location(self) -> str:
        return str(settings.PRIVATE_ROOT)

    @property  # type: ignore[override]
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    @property  # type: ignore[override]
    def base_url(self) -> None:  # type: ignore[override]
        return None


private_storage = PrivateStorage()


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class CoopSettings(models.Model):
    """The co-op's own rules, set by coordinators in the admin (one row)."""

    basket_hold_minutes = models.PositiveIntegerField(
        _("basket hold (minutes)"),
        default=60,
        validators=[MinValueValidator(5), MaxValueValidator(7 * 24 * 60)],
        help_text=_("Units in a basket never confirmed go back on sale after this idle time."),
    )
    minimum_order_amount = models.DecimalField(
        _("minimum order amount"), max_digits=8, decimal_places=2, default=Decimal("0.00")
    )
    # The weekly rhythm: windows are created ahead from it (each can then be edited).
    open_weekday = models.PositiveSmallIntegerField(
        _("ordering opens on"), choices=Weekday.choices, default=Weekday.FRIDAY
    )
    open_time = models.TimeField(_("at"), default=time(8, 0))
    close_weekday = models.PositiveSmallIntegerField(
        _("ordering closes on"), choices=Weekday.choices, default=Weekday.TUESDAY
    )
    close_time = models.TimeField(_("at"), default=time(23, 59))
    pickup_weekday = models.PositiveSmallIntegerField(
        _("pickup day"), choices=Weekday.choices, default=Weekday.THURSDAY
    )
    weeks_ahead = models.PositiveSmallIntegerField(
        _("weeks created ahead"),
        default=3,
        validators=[MinValueValidator(2), MaxValueValidator(12)],
    )
    pay_at_pickup = models.BooleanField(
        _("customers may pay at pickup"),
        default=True,
        help_text=_(
            "Cash or debit at the pickup point. Card payment is offered when Stripe is set up."
        ),
    )
    standing_confirm_hours = models.PositiveSmallIntegerField(
        _("standing baskets confirmed (hours before the deadline)"),
        default=24,
        help_text=_(
            "Standing baskets are confirmed for their customers this many hours before the "
            "deadline, unless they skip the week; until then they review them."
        ),
    )
    margin_percent = models.DecimalField(
        _("co-op margin (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("15.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_("Kept by the co-op on each farm's sales; a farm may have its own rate."),
    )
    weighed_hold_margin_percent = models.DecimalField(
        _("margin held on weighed products (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("15.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_(
            "A card hold covers the estimate of products sold by weight plus this margin; "
            "above it, the saved card is charged for the difference."
        ),
    )
    # Printed on each receipt (#17): Québec and Canada ask for the registration numbers
    # on an invoice of taxable goods.
    address = models.TextField(_("co-op's address (on receipts)"), max_length=300, blank=True)
    tps_number = models.CharField(_("GST registration number"), max_length=30, blank=True)
    tvq_number = models.CharField(_("QST registration number"), max_length=30, blank=True)
    # Québec's Law 25: the person in charge of personal information, named on the
    # privacy page.
    privacy_officer = models.CharField(
        _("person in charge of personal information"), max_length=120, blank=True
    )
    privacy_email = models.EmailField(_("privacy contact email"), blank=True)

    class Meta:
        verbose_name = _("co-op settings")
        verbose_name_plural = _("co-op settings")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="coopsettings_single_row"),
            models.CheckConstraint(
                condition=Q(basket_hold_minutes__gte=5) & Q(basket_hold_minutes__lte=7 * 24 * 60),
                name="coopsettings_hold_5_min_to_a_week",
            ),
            models.CheckConstraint(
                condition=Q(minimum_order_amount__gte=0), name="coopsettings_minimum_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(weeks_ahead__gte=2), name="coopsettings_two_weeks_ahead_at_least"
            ),
            models.CheckConstraint(
                condition=Q(weighed_hold_margin_percent__gte=0)
                & Q(weighed_hold_margin_percent__lte=100),
                name="coopsettings_weighed_margin_0_to_100",
            ),
            models.CheckConstraint(
                condition=Q(margin_percent__gte=0) & Q(margin_percent__lte=100),
                name="coopsettings_margin_0_to_100",
            ),
            models.CheckConstraint(
                condition=Q(standing_confirm_hours__gte=1) & Q(standing_confirm_hours__lte=7 * 24),
                name="coopsettings_standing_confirm_1_hour_to_a_week",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Co-op settings"))

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def load(cls) -> "CoopSettings":
        """The co-op's settings: read once per request or task (see `settings_scope`),
        read again after they are saved. A copy, so a caller's changes stay its own."""
        memo = getattr(_settings_memo, "row", None)
        if memo is None:
            memo, _created = cls.objects.get_or_create(pk=1)
            if getattr(_settings_memo, "active", False):
                _settings_memo.row = memo
        return copy.copy(memo)


# The settings row of the request or task in progress (one thread serves one at a time).
_settings_memo = threading.local()


def settings_scope_open(**kwargs: Any) -> None:
    """A request or a task begins: its first `CoopSettings.load()` reads the row."""
    _settings_memo.active, _settings_memo.row = True, None


def settings_scope_close(**kwargs: Any) -> None:
    """A request or a task ends: the next one reads the row again."""
    _settings_memo.active, _settings_memo.row = False, None


def settings_forget(**kwargs: Any) -> None:
    """The row was saved: read it again at the next `load()`."""
    _settings_memo.row = None


class OrderWindow(models.Model):
    """One week of the market: when ordering opens and closes, and the pickup day.

    The deadline is `closes_at`, checked at every write; `status` records what the
    periodic task has done (opened, closed), never whether a write is allowed.
    """

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("scheduled")
        OPEN = "open", _("open")
        CLOSING = "closing", _("closing")
        CLOSED = "closed", _("closed")
        CANCELLED = "cancelled", _("cancelled")

    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    pickup_date = models.DateField(_("pickup day"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED
    )
    note = models.CharField(_("note to customers"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # The closing job's progress, for the coordinator's dashboard.
    close_progress = models.PositiveSmallIntegerField(_("closing progress (percent)"), default=0)
    close_step = models.CharField(_("closing step"), max_length=100, blank=True)
    close_heartbeat = models.DateTimeField(_("closing heartbeat"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Lists and sheets asked to be rebuilt after a change (a shortage, a cancellation),
    # and the rebuild task that holds the work: the page says « rebuilding » meanwhile.
    documents_wanted_at = models.DateTimeField(_("lists to rebuild since"), null=True, blank=True)
    documents_claimed_at = models.DateTimeField(_("lists rebuilt since"), null=True, blank=True)
    # Set when the week is settled with the farms: its money is final from then on.
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("order window")
        verbose_name_plural = _("order windows")
        ordering = ("-opens_at",)
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=F("opens_at")),
                name="window_closes_after_it_opens",
                violation_error_message=_("The window must close after it opens."),
            ),
        ]
        indexes = [models.Index(fields=("status", "closes_at"), name="window_status_closes")]

    def __str__(self) -> str:
        return str(_("Week of %(date)s")) % {"date": self.pickup_date.isoformat()}

    @property
    def awaiting_close(self) -> bool:
        """Past its deadline, but the closing job has not claimed it yet."""
        return (
            self.status in (self.Status.SCHEDULED, self.Status.OPEN)
            and self.closes_at <= timezone.now()
        )

    def accepts_orders(self, now: datetime | None = None) -> bool:
        """Whether customers and farmers may write now. Time decides, not the task."""
        now = now or timezone.now()
        return (
            self.status in (self.Status.SCHEDULED, self.Status.OPEN)
            and self.opens_at <= now < self.closes_at
        )


class PickupPoint(models.Model):
    """Where customers collect their orders, with its hours on pickup day."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    address = models.CharField(_("address"), max_length=200)
    city = models.CharField(_("city"), max_length=80)
    instructions = models.TextField(_("instructions"), max_length=1000, blank=True)
    opens_at = models.TimeField(_("opens at"))
    closes_at = models.TimeField(_("closes at"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("pickup point")
        verbose_name_plural = _("pickup points")
        ordering = ("name",)
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=F("opens_at")), name="pickuppoint_closes_after_it_opens"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PickupSlot(models.Model):
    """An optional time slot at a pickup point, holding at most `capacity` orders."""

    pickup_point = models.ForeignKey(
        PickupPoint, verbose_name=_("pickup point"), on_delete=models.CASCADE, related_name="slots"
    )
    starts_at = models.TimeField(_("starts at"))
    ends_at = models.TimeField(_("ends at"))
    capacity = models.PositiveIntegerField(_("capacity"))
    # Empty: a standing slot, the same every week. Set: a slot of that week only; a
    # point with slots of its own for a week uses those instead of its standing ones.
    window = models.ForeignKey(
        "OrderWindow",
        verbose_name=_("week"),
        on_delete=models.CASCADE,
        related_name="pickup_slots",
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("pickup slot")
        verbose_name_plural = _("pickup slots")
        ordering = ("pickup_point", "starts_at")
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gt=0), name="slot_capacity_positive"),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="slot_ends_after_it_starts"
            ),
            models.UniqueConstraint(
                fields=("pickup_point", "starts_at"),
                condition=Q(window__isnull=True),
                name="slot_unique_start_per_point",
            ),
            models.UniqueConstraint(
                fields=("pickup_point", "window", "starts_at"),
                condition=Q(window__isnull=False),
                name="slot_unique_start_per_point_week",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pickup_point} {self.starts_at:%H:%M}–{self.ends_at:%H:%M}"


class PointClosure(models.Model):
    """A pickup point closed for one week (a holiday): customers cannot choose it, and
    those who had are told to choose another; their orders are kept."""

    window = models.ForeignKey(
        OrderWindow, verbose_name=_("week"), on_delete=models.CASCADE, related_name="closures"
    )
    pickup_point = models.ForeignKey(
        PickupPoint,
        verbose_name=_("pickup point"),
        on_delete=models.CASCADE,
        related_name="closures",
    )
    reason = models.CharField(_("reason shown to customers"), max_length=200, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("pickup point closure")
        verbose_name_plural = _("pickup point closures")
        constraints = [
            models.UniqueConstraint(
                fields=("window", "pickup_point"), name="pointclosure_once_per_week"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pickup_point} – {self.window}"


class Offer(models.Model):
    """A product offered in one window: how many units, at what price that week.

    `remaining` is what customers can still take; units in baskets have left it.
    """

    window = models.ForeignKey(
        OrderWindow, verbose_name=_("window"), on_delete=models.CASCADE, related_name="offers"
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="offers"
    )
    quantity = models.PositiveIntegerField(_("quantity offered"))
    remaining = models.IntegerField(_("remaining"))
    price = models.DecimalField(_("price per unit"), max_digits=8, decimal_places=2)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        ordering = ("window", "product")
        constraints = [
            models.UniqueConstraint(fields=("window", "product"), name="offer_unique_per_window"),
            models.CheckConstraint(
                condition=Q(remaining__gte=0), name="offer_remaining_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(remaining__lte=F("quantity")), name="offer_remaining_within_quantity"
            ),
            models.CheckConstraint(condition=Q(price__gt=0), name="offer_price_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.product} – {self.window}"

    @property
    def ordered(self) -> int:
        return self.quantity - self.remaining


class Order(models.Model):
    """A customer's order for one window; a basket until it is confirmed."""

    class Status(models.TextChoices):
        BASKET = "basket", _("basket")
        CONFIRMED = "confirmed", _("confirmed")
        CANCELLED = "cancelled", _("cancelled")
        LOCKED = "locked", _("to pick up")
        PICKED_UP = "picked_up", _("picked up")
        NOT_COLLECTED = "not_collected", _("not collected")

    # An order of a closed week: locked by the close, then picked up or not. Defined
    # here once; lists, pickup day, payments and settlements all read it.
    CLOSED_STATUSES = (Status.LOCKED, Status.PICKED_UP, Status.NOT_COLLECTED)

    window = models.ForeignKey(
        OrderWindow, verbose_name=_("window"), on_delete=models.PROTECT, related_name="orders"
    )
    # Empty only for a walk-in sale at the pickup table, which has a name instead.
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="orders",
        null=True,
        blank=True,
    )
    walk_in_name = models.CharField(_("walk-in buyer"), max_length=120, blank=True)
    # The coordinator who entered the order for the customer (a phone order), if any.
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
    )
    status = models.CharField(
        _("status"), max_length=15, choices=Status.choices, default=Status.BASKET
    )
    pickup_point = models.ForeignKey(
        PickupPoint,
        verbose_name=_("pickup point"),
        on_delete=models.PROTECT,
        related_name="orders",
        null=True,
        blank=True,
    )
    pickup_slot = models.ForeignKey(
        PickupSlot,
        verbose_name=_("pickup slot"),
        on_delete=models.PROTECT,
        related_name="orders",
        null=True,
        blank=True,
    )
    language = models.CharField(
        _("language of emails"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    last_activity_at = models.DateTimeField(_("last activity"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    payment_method = models.CharField(
        _("payment method"),
        max_length=10,
        choices=[("card", _("card")), ("at_pickup", _("pay at pickup"))],
        blank=True,
    )
    # Set when the co-op gives up collecting it (settlements): it owes nothing from then on.
    written_off_at = models.DateTimeField(_("written off at"), null=True, blank=True)
    # What an idle basket gave back, to tell the customer on return; cleared once shown.
    released = models.JSONField(_("released items"), default=list, blank=True)
    # Filled for the customer (a standing basket): held, not released when idle, until
    # this time, when it is confirmed for them unless they skip the week.
    prepared_until = models.DateTimeField(_("prepared until"), null=True, blank=True)
    # When the customer was told the final amount of the pieces weighed after the close.
    weighed_notified_at = models.DateTimeField(_("final amount sent"), null=True, blank=True)
    # A confirmed order changed since its last email: « updated » is sent once the
    # customer has stopped changing it for a while (`baskets.emails.order_updates_send`).
    update_email_due = models.DateTimeField(_("update email due"), null=True, blank=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ("-created_at",)
        constraints = [
            models.UniqueConstraint(
                fields=("window", "customer"), name="order_one_per_customer_per_window"
            ),
            # A customer's order, or a walk-in sale with a name: never both, never neither.
            models.CheckConstraint(
                condition=Q(customer__isnull=False, walk_in_name="")
                | Q(customer__isnull=True) & ~Q(walk_in_name=""),
                name="order_customer_or_walk_in",
            ),
        ]
        indexes = [models.Index(fields=("window", "status"), name="order_window_status")]

    def __str__(self) -> str:
        return str(_("Order %(number)s")) % {"number": self.pk}

    @property
    def buyer_name(self) -> str:
        """Who the order is for: the customer, or the walk-in buyer's name."""
        return str(self.customer) if self.customer_id else self.walk_in_name


class OrderLine(models.Model):
    """Units of one offer in an order, at the price the customer took them."""

    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="lines"
    )
    offer = models.ForeignKey(
        Offer, verbose_name=_("offer"), on_delete=models.PROTECT, related_name="lines"
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = models.DecimalField(_("unit price"), max_digits=8, decimal_places=2)
    tax_class = models.CharField(_("tax class"), max_length=10, choices=TaxClass.choices)
    shortage = models.PositiveIntegerField(_("units short"), default=0)
    # A product sold by weight: unit_price is per kg, each unit weighs about this (the
    # product's estimate when the line was made); `weight` is what the units delivered
    # weighed in all, set once each is weighed (UnitWeight).
    unit_weight_estimate = models.DecimalField(
        _("estimated weight per unit (kg)"), max_digits=6, decimal_places=3, null=True, blank=True
    )
    weight = models.DecimalField(
        _("weight delivered (kg)"), max_digits=9, decimal_places=3, null=True, blank=True
    )
    # A returnable container's deposit per unit (the product's when the line was made):
    # charged with the line, untaxed, not a farm sale; credited back when returned.
    deposit = models.DecimalField(
        _("deposit per unit"), max_digits=6, decimal_places=2, default=Decimal("0.00")
    )

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ("order", "offer")
        constraints = [
            models.UniqueConstraint(fields=("order", "offer"), name="orderline_unique_offer"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orderline_quantity_positive"),
            models.CheckConstraint(
                condition=Q(shortage__lte=F("quantity")), name="orderline_shortage_within_quantity"
            ),
            models.CheckConstraint(
                condition=Q(weight__isnull=True)
                | (Q(unit_weight_estimate__isnull=False) & Q(weight__gte=0)),
                name="orderline_weight_of_a_weighed_line",
            ),
            models.CheckConstraint(condition=Q(deposit__gte=0), name="orderline_deposit_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.offer.product}"

    @property
    def delivered(self) -> int:
        return self.quantity - self.shortage

    @property
    def weighed(self) -> bool:
        return self.unit_weight_estimate is not None

    @property
    def kg(self) -> Decimal | None:
        """What a weighed line is priced on: its weight once weighed, else the estimate."""
        return pricing_kg(
            estimate=self.unit_weight_estimate, weight=self.weight, delivered=self.delivered
        )

    @property
    def priced(self) -> tuple[Decimal, int, str, Decimal | None, Decimal]:
        """The line as `pricing.totals` takes it: on what is delivered."""
        return (self.unit_price, self.delivered, self.tax_class, self.kg, self.deposit)

    @property
    def amount(self) -> Decimal:
        return line_amount(unit_price=self.unit_price, quantity=self.delivered, kg=self.kg)


class UnitWeight(models.Model):
    """What one unit of a weighed line weighed, entered by its farm or a coordinator
    after the close (the packing page or its CSV)."""

    line = models.ForeignKey(
        OrderLine, verbose_name=_("order line"), on_delete=models.CASCADE, related_name="weights"
    )
    unit = models.PositiveSmallIntegerField(_("unit"))  # 1 … the line's quantity
    kg = models.DecimalField(_("weight (kg)"), max_digits=7, decimal_places=3)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    entered_at = models.DateTimeField(_("entered"), default=timezone.now)

    class Meta:
        verbose_name = _("unit weight")
        verbose_name_plural = _("unit weights")
        ordering = ("line", "unit")
        constraints = [
            models.UniqueConstraint(fields=("line", "unit"), name="unitweight_once_per_unit"),
            models.CheckConstraint(condition=Q(kg__gt=0), name="unitweight_positive"),
            models.CheckConstraint(condition=Q(unit__gte=1), name="unitweight_unit_from_one"),
        ]

    def __str__(self) -> str:
        return f"{self.line_id}#{self.unit}: {self.kg} kg"


class Payment(models.Model):
    """Money for one order: a Stripe card hold and its capture, an off-session charge,
    or cash collected at pickup. An order may have several (a hold replaced by a larger
    one, a top-up charge); what came in for the order is the sum of
    `amount_captured - amount_refunded` over them.

    Amounts are Decimal dollars; integer cents exist only at the Stripe boundary.
    """

    class Method(models.TextChoices):
        CARD = "card", _("card")
        AT_PICKUP = "at_pickup", _("pay at pickup")
        CREDIT = "credit", _("store credit")

    class Kind(models.TextChoices):
        HOLD = "hold", _("card hold")  # Checkout, manual capture, card saved
        CHARGE = "charge", _("card charge")  # off-session, at close
        LINK = "link", _("payment link")  # Checkout, automatic capture, after close
        CASH = "cash", _("at pickup")
        CREDIT = "credit", _("store credit")  # the customer's balance, used at close

    class Status(models.TextChoices):
        PENDING = "pending", _("awaiting authorization")
        AUTHORIZED = "authorized", _("authorized")
        CAPTURING = "capturing", _("being charged")
        ACTION_REQUIRED = "action_required", _("payment pending")
        CAPTURED = "captured", _("paid")
        DECLINED = "declined", _("declined")
        CANCELLED = "cancelled", _("released")
        COLLECTED = "collected", _("collected at pickup")
        # Stripe took the payment and has not confirmed it yet (some banks): no second try.
        PROCESSING = "processing", _("payment processing")
        # Stripe's answer fits no known state, or never came after every attempt: a
        # coordinator checks the payment in Stripe's dashboard. Nothing is retried.
        REVIEW = "review", _("to check")

    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.PROTECT, related_name="payments"
    )
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.HOLD)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    amount_authorized = models.DecimalField(
        _("amount authorized"), max_digits=10, decimal_places=2, default=Decimal("0.00")
    )
    # What the close asked Stripe to capture or charge (set when the call is claimed).
    amount_requested = models.DecimalField(
        _("amount requested"), max_digits=10, decimal_places=2, default=Decimal("0.00")
    )
    amount_captured = models.DecimalField(
        _("amount captured"), max_digits=10, decimal_places=2, default=Decimal("0.00")
    )
    amount_refunded = models.DecimalField(
        _("amount refunded"), max_digits=10, decimal_places=2, default=Decimal("0.00")
    )
    stripe_payment_intent_id = models.CharField(
        _("Stripe PaymentIntent"), max_length=255, unique=True, null=True, blank=True
    )
    stripe_checkout_session_id = models.CharField(
        _("Stripe Checkout session"), max_length=255, unique=True, null=True, blank=True
    )
    checkout_url = models.URLField(_("Stripe Checkout address"), max_length=1000, blank=True)
    stripe_customer_id = models.CharField(_("Stripe customer"), max_length=255, blank=True)
    stripe_payment_method_id = models.CharField(
        _("Stripe payment method"), max_length=255, blank=True
    )
    failure_message = models.CharField(_("message"), max_length=300, blank=True)
    # Calls to Stripe that got no answer; after a few the customer is asked to pay.
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # Bumped when an ambiguous answer left the intent still to capture or confirm: the
    # next call carries a new idempotency key (`payments.collect.call_key`).
    key_round = models.PositiveSmallIntegerField(_("key round"), default=0)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ("-created_at", "-id")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_authorized__gte=0)
                & Q(amount_requested__gte=0)
                & Q(amount_captured__gte=0)
                & Q(amount_refunded__gte=0),
                name="payment_amounts_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(amount_refunded__lte=F("amount_captured")),
                name="payment_refund_within_capture",
            ),
            # The close charges a saved card at most once per order, whatever the
            # number of workers or reruns; after that the customer pays by link.
            models.UniqueConstraint(
                fields=("order",), condition=Q(kind="charge"), name="payment_one_charge_per_order"
            ),
        ]
        indexes = [models.Index(fields=("order", "status"), name="payment_order_status")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} – {self.order}"

    @property
    def net(self) -> Decimal:
        """What this payment brought in, after refunds."""
        return self.amount_captured - self.amount_refunded


class Refund(models.Model):
    """Money given back on a captured card payment, for a shortage or a cancellation.

    The row is written (PENDING) before Stripe is called, and its id is the call's
    idempotency key: a rerun repeats the same call and Stripe refunds once."""

    class Reason(models.TextChoices):
        SHORTAGE = "shortage", _("shortage")
        CANCELLATION = "cancellation", _("cancellation")
        OVERPAYMENT = "overpayment", _("overpayment")
        WEIGHED = "weighed", _("weighed less than estimated")
        BY_HAND = "by_hand", _("given back by hand")
        TO_CREDIT = "to_credit", _("given back as store credit")

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SUCCEEDED = "succeeded", _("refunded")
        FAILED = "failed", _("failed")

    payment = models.ForeignKey(
        Payment, verbose_name=_("payment"), on_delete=models.PROTECT, related_name="refunds"
    )
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=15, choices=Reason.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    stripe_refund_id = models.CharField(
        _("Stripe refund"), max_length=255, unique=True, null=True, blank=True
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ("created_at", "id")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} – {self.payment}"


class StripeCustomer(models.Model):
    """A customer's Stripe Customer, so a saved card can be charged in later weeks."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stripe_customer"
    )
    customer_id = models.CharField(max_length=255, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Stripe customer")
        verbose_name_plural = _("Stripe customers")

    def __str__(self) -> str:
        return self.customer_id


class WebhookEvent(models.Model):
    """A Stripe event, stored once by its id; a Celery task handles it."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("Stripe event")
        verbose_name_plural = _("Stripe events")
        ordering = ("-received_at",)

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class PickupDocument(models.Model):
    """A list or sheet produced when a window closes: a farm's pickup list, a pickup
    point's sheet, or the coordinators' summary. Files live in private storage and are
    served only through views that check who may see them."""

    class Kind(models.TextChoices):
        FARM_LIST = "farm_list", _("farm pickup list")
        POINT_SHEET = "point_sheet", _("pickup point sheet")
        SUMMARY = "summary", _("coordinator summary")

    window = models.ForeignKey(
        OrderWindow, verbose_name=_("window"), on_delete=models.CASCADE, related_name="documents"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    farm = models.ForeignKey(
        Farm,
        verbose_name=_("farm"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    pickup_point = models.ForeignKey(
        PickupPoint,
        verbose_name=_("pickup point"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    csv = models.FileField(_("CSV"), storage=private_storage, upload_to="lists/")
    pdf = models.FileField(_("PDF"), storage=private_storage, upload_to="lists/", blank=True)
    pages = models.PositiveIntegerField(_("pages"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now=True)

    class Meta:
        verbose_name = _("pickup document")
        verbose_name_plural = _("pickup documents")
        ordering = ("window", "kind", "id")
        constraints = [
            models.UniqueConstraint(
                fields=("window", "farm"),
                condition=Q(kind="farm_list"),
                name="document_one_list_per_farm",
            ),
            models.UniqueConstraint(
                fields=("window", "pickup_point"),
                condition=Q(kind="point_sheet"),
                name="document_one_sheet_per_point",
            ),
            models.UniqueConstraint(
                fields=("window",), condition=Q(kind="summary"), name="document_one_summary"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} – {self.farm or self.pickup_point or self.window}"


class FarmNotice(models.Model):
    """The one email a farm receives when a window closes. The row is claimed before
    sending, so a rerun or a second worker never sends it twice."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    window = models.ForeignKey(OrderWindow, on_delete=models.CASCADE, related_name="farm_notices")
    farm = models.ForeignKey(Farm, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("farm notice")
        verbose_name_plural = _("farm notices")
        constraints = [
            models.UniqueConstraint(
                fields=("window", "farm"), name="farmnotice_one_per_farm_per_window"
            )
        ]

    def __str__(self) -> str:
        return f"{self.farm} – {self.window}: {self.status}"


class AuditEvent(models.Model):
    """Who did what to a week, and when: kept, and shown on the week's page."""

    class Action(models.TextChoices):
        WINDOW_CLOSED_EARLY = "window_closed_early", _("closed the week early")
        ORDER_CANCELLED = "order_cancelled", _("cancelled an order")
        SHORTAGE_RECORDED = "shortage_recorded", _("recorded a shortage")
        ORDER_ON_BEHALF = "order_on_behalf", _("entered an order for a customer")
        WALK_IN_SALE = "walk_in_sale", _("recorded a walk-in sale")
        PRICE_CHANGED = "price_changed", _("changed a price after orders were placed")
        POINT_CLOSED = "point_closed", _("closed a pickup point for the week")
        WEIGHTS_RECORDED = "weights_recorded", _("recorded what pieces weighed")

    window = models.ForeignKey(
        OrderWindow, verbose_name=_("week"), on_delete=models.CASCADE, related_name="audit_events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The actor's name when it happened: kept if the account is later erased.
    actor_name = models.CharField(_("by (name)"), max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=30, choices=Action.choices)
    order = models.ForeignKey(
        Order,
        verbose_name=_("order"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_events",
    )
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ("-at", "-pk")
        indexes = [models.Index(fields=("window", "at"), name="audit_window_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.get_action_display()}"


class ReceiptCounter(models.Model):
    """The next receipt number, one row: taken under its lock in the transaction that
    writes the receipt, so numbers follow each other with no gap and none is reused."""

    next_number = models.PositiveIntegerField(_("next number"), default=1)

    class Meta:
        verbose_name = _("receipt counter")
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="receiptcounter_single_row")]

    def __str__(self) -> str:
        return str(self.next_number)


class Receipt(models.Model):
    """A numbered receipt of an order, given after pickup (PDF, in the customer's
    language), or a credit note that cancels one. Reissued, a receipt keeps its number."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("receipt")
        CREDIT_NOTE = "credit_note", _("credit note")

    number = models.PositiveIntegerField(_("number"), unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.RECEIPT)
    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.PROTECT, related_name="receipts"
    )
    cancels = models.ForeignKey(
        "self",
        verbose_name=_("cancels receipt"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_notes",
    )
    total = models.DecimalField(_("total"), max_digits=10, decimal_places=2)
    language = models.CharField(_("language"), max_length=10)
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reissued_at = models.DateTimeField(_("reissued"), null=True, blank=True)
    reissues = models.PositiveSmallIntegerField(_("times reissued"), default=0)
    pdf = models.FileField(_("PDF"), storage=private_storage, upload_to="receipts/", blank=True)

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        ordering = ("number",)
        constraints = [
            models.UniqueConstraint(
                fields=("order",), condition=Q(kind="receipt"), name="receipt_one_per_order"
            ),
            models.UniqueConstraint(
                fields=("cancels",),
                condition=Q(kind="credit_note"),
                name="receipt_one_credit_note_each",
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="receipt_number_from_one"),
            models.CheckConstraint(
                condition=Q(kind="receipt", cancels__isnull=True)
                | Q(kind="credit_note", cancels__isnull=False),
                name="receipt_credit_note_cancels_one",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"


class CreditAccount(models.Model):
    """A customer's store credit. The balance is the sum of the account's entries, kept
    on this row, which every entry updates under its lock (`payments.credit`): two
    coordinators crediting at once write two entries, and the database keeps the
    balance at zero or above."""

    customer = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="credit_account",
    )
    balance = models.DecimalField(
        _("balance"), max_digits=10, decimal_places=2, default=Decimal("0.00")
    )
    keep_refunds = models.BooleanField(
        _("keep money owed back as store credit"),
        default=False,
        help_text=_(
            "When an item is short or weighs less than estimated, the difference goes to "
            "your store credit instead of back to your card."
        ),
    )

    class Meta:
        verbose_name = _("store credit")
        verbose_name_plural = _("store credits")
        constraints = [
            models.CheckConstraint(
                condition=Q(balance__gte=0), name="creditaccount_balance_never_negative"
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.balance}"


class CreditEntry(models.Model):
    """One movement of a customer's store credit, with its reason, author and date."""

    class Reason(models.TextChoices):
        SHORTAGE = "shortage", _("money owed back on an order")
        GOODWILL = "goodwill", _("goodwill gesture")
        DEPOSIT = "deposit", _("containers returned")
        REFUND = "refund", _("refund kept as credit")
        PAYMENT = "payment", _("used on an order")
        CORRECTION = "correction", _("correction")

    account = models.ForeignKey(
        CreditAccount,
        verbose_name=_("store credit"),
        on_delete=models.PROTECT,
        related_name="entries",
    )
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    balance_after = models.DecimalField(_("balance after"), max_digits=10, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    order = models.ForeignKey(
        Order,
        verbose_name=_("order"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_entries",
    )
    # Containers returned: which product's, and how many.
    product = models.ForeignKey(
        Product,
        verbose_name=_("container of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    containers = models.PositiveIntegerField(_("containers"), default=0)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("date"), default=timezone.now)

    class Meta:
        verbose_name = _("store credit entry")
        verbose_name_plural = _("store credit entries")
        ordering = ("-created_at", "-pk")
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="creditentry_amount_not_zero"),
            models.CheckConstraint(
                condition=Q(balance_after__gte=0), name="creditentry_balance_never_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.amount} ({self.reason})"
