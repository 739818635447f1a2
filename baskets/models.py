"""Standing baskets (« mon panier habituel »): what a customer usually takes, filled
for them when each week opens, reviewed, then confirmed at a time the co-op sets,
unless they skip that week. The week's basket itself is an ordinary Order: the
standing basket only says what to put in it and how to confirm it."""

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from farms.models import Product
from orders.models import Order, OrderWindow, Payment, PickupPoint, PickupSlot


class StandingBasket(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        PAUSED = "paused", _("paused")
        STOPPED = "stopped", _("stopped")

    customer = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="standing_basket",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    # Paused: no basket for the weeks picked up before this day (none: until resumed).
    paused_until = models.DateField(_("paused until"), null=True, blank=True)
    pickup_point = models.ForeignKey(
        PickupPoint, verbose_name=_("pickup point"), on_delete=models.PROTECT
    )
    # A standing slot of the point (a week's own slots are matched by their start).
    pickup_slot = models.ForeignKey(
        PickupSlot,
        verbose_name=_("time slot"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    payment_method = models.CharField(
        _("payment method"), max_length=10, choices=Payment.Method.choices
    )
    # A product that is not offered may be replaced by the same product from another farm.
    allow_substitutes = models.BooleanField(_("replacements from another farm"), default=False)
    language = models.CharField(_("language"), max_length=10, default="fr-ca")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("standing basket")
        verbose_name_plural = _("standing baskets")
        constraints = [
            models.CheckConstraint(
                condition=Q(status="paused") | Q(paused_until__isnull=True),
                name="standing_paused_until_only_when_paused",
            )
        ]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} – {self.customer}"

    def fills_for(self, pickup_date: date) -> bool:
        """Whether a week picked up that day is filled (`standing._eligible`, for one)."""
        return self.status == self.Status.ACTIVE or (
            self.status == self.Status.PAUSED
            and self.paused_until is not None
            and self.paused_until <= pickup_date
        )


class StandingLine(models.Model):
    standing = models.ForeignKey(
        StandingBasket,
        verbose_name=_("standing basket"),
        on_delete=models.CASCADE,
        related_name="lines",
    )
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.CASCADE)
    quantity = models.PositiveSmallIntegerField(_("quantity"))

    class Meta:
        verbose_name = _("standing basket line")
        verbose_name_plural = _("standing basket lines")
        constraints = [
            models.UniqueConstraint(
                fields=("standing", "product"), name="standing_line_one_per_product"
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=1) & Q(quantity__lte=99),
                name="standing_line_quantity_1_to_99",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product}"


class StandingWeek(models.Model):
    """What became of a standing basket in one week. The row is the claim: it is
    created once (a unique pair), by the one worker that fills, or by the customer who
    skips ahead; its timestamps are claimed before each email is sent."""

    class Status(models.TextChoices):
        FILLING = "filling", _("being filled")
        FILLED = "filled", _("to review")
        SKIPPED = "skipped", _("skipped")
        CONFIRMED = "confirmed", _("confirmed")
        NOT_CONFIRMED = "not_confirmed", _("not confirmed")
        EMPTY = "empty", _("nothing on offer")
        OWN_ORDER = "own_order", _("ordered already")

    standing = models.ForeignKey(
        StandingBasket,
        verbose_name=_("standing basket"),
        on_delete=models.CASCADE,
        related_name="weeks",
    )
    window = models.ForeignKey(
        OrderWindow, verbose_name=_("window"), on_delete=models.CASCADE, related_name="+"
    )
    order = models.ForeignKey(
        Order,
        verbose_name=_("order"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(_("status"), max_length=15, choices=Status.choices)
    # What could not be put in the basket: [{"product": name, "wanted": n, "got": n}].
    missing = models.JSONField(_("missing"), default=list, blank=True)
    # Replacements from another farm: [{"wanted": name, "farm": name, "quantity": n}].
    substituted = models.JSONField(_("replacements"), default=list, blank=True)
    # The units the fill itself took, by offer id ({"12": 2}): a skip gives back these,
    # not what the customer put in their basket by hand.
    added = models.JSONField(_("units added by the fill"), default=dict, blank=True)
    problem = models.CharField(_("problem"), max_length=300, blank=True)
    filled_at = models.DateTimeField(_("filled"), null=True, blank=True)
    review_sent_at = models.DateTimeField(_("review sent"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    skipped_at = models.DateTimeField(_("skipped"), null=True, blank=True)

    class Meta:
        verbose_name = _("standing basket week")
        verbose_name_plural = _("standing basket weeks")
        constraints = [
            models.UniqueConstraint(
                fields=("standing", "window"), name="standing_week_once_per_window"
            )
        ]

    def __str__(self) -> str:
        return f"{self.standing} – {self.window}"


class WeekBasket(models.Model):
    """« Le panier de la semaine »: a basket a coordinator composes from the week's
    offers (« Panier découverte ~35 $ »). A customer adds it in one tap; each item then
    is an ordinary line of their basket, taking its own stock."""

    window = models.ForeignKey(
        OrderWindow, verbose_name=_("window"), on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(_("name"), max_length=80)
    description = models.TextField(_("description"), max_length=500, blank=True)
    # Shown as « ~35 $ »; empty: the sum of its items at this week's prices.
    indicative_price = models.DecimalField(
        _("indicative price"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    photo = models.ImageField(_("photo"), upload_to="week-baskets/", blank=True)
    thumbnail = models.ImageField(_("thumbnail"), upload_to="week-baskets/thumbs/", blank=True)
    is_published = models.BooleanField(_("shown in the shop"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("basket of the week")
        verbose_name_plural = _("baskets of the week")
        constraints = [
            models.UniqueConstraint(fields=("window", "name"), name="week_basket_name_once"),
            models.CheckConstraint(
                condition=Q(indicative_price__isnull=True) | Q(indicative_price__gt=0),
                name="week_basket_price_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class WeekBasketItem(models.Model):
    basket = models.ForeignKey(
        WeekBasket, verbose_name=_("basket of the week"), on_delete=models.CASCADE,
        related_name="items",
    )  # fmt: skip
    offer = models.ForeignKey(
        "orders.Offer", verbose_name=_("offer"), on_delete=models.CASCADE, related_name="+"
    )
    quantity = models.PositiveSmallIntegerField(_("quantity"))

    class Meta:
        verbose_name = _("item of a basket of the week")
        verbose_name_plural = _("items of a basket of the week")
        constraints = [
            models.UniqueConstraint(fields=("basket", "offer"), name="week_basket_item_once"),
            models.CheckConstraint(
                condition=Q(quantity__gte=1) & Q(quantity__lte=99),
                name="week_basket_item_quantity_1_to_99",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.offer}"


class CustomerNotice(models.Model):
    """A reminder sent to a customer about a week, once: the row is the claim, created
    before the email is sent (a unique triple), removed again if sending fails."""

    class Kind(models.TextChoices):
        SHOP_OPEN = "shop_open", _("ordering is open")
        DEADLINE = "deadline", _("the deadline is near")
        IDLE = "idle", _("held units about to go back")
        PICKUP_DAY = "pickup_day", _("pickup day")

    window = models.ForeignKey(
        OrderWindow, verbose_name=_("window"), on_delete=models.CASCADE, related_name="+"
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("customer"), on_delete=models.CASCADE,
        related_name="+",
    )  # fmt: skip
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices)
    claimed_at = models.DateTimeField(_("claimed"))
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [
            models.UniqueConstraint(
                fields=("window", "customer", "kind"), name="customer_notice_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} – {self.customer_id} – {self.window_id}"


class Announcement(models.Model):
    """A coordinator's message to the customers of a week, or of one of its pickup
    points (« cueillette déplacée »). Its recipients are fixed when it is sent (the count
    the coordinator saw), one `AnnouncementDelivery` each, sent by a task."""

    SUBJECT_MAX = 150
    BODY_MAX = 5000

    window = models.ForeignKey(
        OrderWindow, verbose_name=_("window"), on_delete=models.CASCADE,
        related_name="announcements",
    )  # fmt: skip
    # None: every point of the week.
    pickup_point = models.ForeignKey(
        PickupPoint, verbose_name=_("pickup point"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    subject = models.CharField(_("subject"), max_length=SUBJECT_MAX)
    body = models.TextField(_("message"), max_length=BODY_MAX)
    # For the customers who read English; the French text when left empty.
    subject_en = models.CharField(_("subject in English"), max_length=SUBJECT_MAX, blank=True)
    body_en = models.TextField(_("message in English"), max_length=BODY_MAX, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("sent by"), on_delete=models.SET_NULL,
        null=True, related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("sent"))
    recipients = models.PositiveIntegerField(_("recipients"))
    # The preview's one-time key: the same preview sent twice (Back, a double tap) is
    # refused by the unique constraint.
    draft_key = models.UUIDField(_("preview key"), unique=True, null=True, blank=True)

    class Meta:
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")
        ordering = ("-created_at", "-pk")

    def __str__(self) -> str:
        return self.subject


class AnnouncementDelivery(models.Model):
    """One customer's copy of an announcement: claimed (`claimed_at`, by a conditional
    UPDATE) before the email is sent, `sent_at` after; a failed send gives the claim back,
    a claim left by a worker that died is taken again after `announcements.CLAIM_FOR`."""

    announcement = models.ForeignKey(
        Announcement, verbose_name=_("announcement"), on_delete=models.CASCADE,
        related_name="deliveries",
    )  # fmt: skip
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("customer"), on_delete=models.CASCADE,
        related_name="+",
    )  # fmt: skip
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    # Sent to none: the customer turned announcements off after it was written.
    dropped = models.BooleanField(_("not sent (unsubscribed)"), default=False)

    class Meta:
        verbose_name = _("announcement sent")
        verbose_name_plural = _("announcements sent")
        constraints = [
            models.UniqueConstraint(
                fields=("announcement", "customer"), name="announcement_delivery_once"
            )
        ]
        indexes = [
            models.Index(
                fields=("announcement",),
                condition=Q(sent_at__isnull=True, dropped=False),
                name="announcement_delivery_todo",
            )
        ]

    def __str__(self) -> str:
        return f"{self.announcement_id} – {self.customer_id}"
