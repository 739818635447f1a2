from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Region(models.TextChoices):
    """The administrative regions of Québec."""

    BAS_SAINT_LAURENT = "bas-saint-laurent", "Bas-Saint-Laurent"
    SAGUENAY = "saguenay-lac-saint-jean", "Saguenay–Lac-Saint-Jean"
    CAPITALE_NATIONALE = "capitale-nationale", "Capitale-Nationale"
    MAURICIE = "mauricie", "Mauricie"
    ESTRIE = "estrie", "Estrie"
    MONTREAL = "montreal", "Montréal"
    OUTAOUAIS = "outaouais", "Outaouais"
    ABITIBI = "abitibi-temiscamingue", "Abitibi-Témiscamingue"
    COTE_NORD = "cote-nord", "Côte-Nord"
    NORD_DU_QUEBEC = "nord-du-quebec", "Nord-du-Québec"
    GASPESIE = "gaspesie", "Gaspésie–Îles-de-la-Madeleine"
    CHAUDIERE_APPALACHES = "chaudiere-appalaches", "Chaudière-Appalaches"
    LAVAL = "laval", "Laval"
    LANAUDIERE = "lanaudiere", "Lanaudière"
    LAURENTIDES = "laurentides", "Laurentides"
    MONTEREGIE = "monteregie", "Montérégie"
    CENTRE_DU_QUEBEC = "centre-du-quebec", "Centre-du-Québec"


class Certification(models.Model):
    """A practice or a label a farm holds, such as « Biologique Canada »."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("certification")
        verbose_name_plural = _("certifications")
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class Farm(models.Model):
    class Status(models.TextChoices):
        """An active farm sells in the shop; a paused one takes a break (its offers leave
        the shop from the next window on); an archived one has left the co-op. Neither
        is ever deleted: its history, statements and payouts stay."""

        ACTIVE = "active", pgettext_lazy("farm status", "active")
        PAUSED = "paused", pgettext_lazy("farm status", "paused")
        ARCHIVED = "archived", pgettext_lazy("farm status", "archived")

    class Kind(models.TextChoices):
        """A farm grows what it sells; a supplier (a coffee roaster, a cleaning-products
        co-op) sells next to the farms in the same windows (#18). Pages say « fournisseur »
        for a supplier, and « producteur » where both are listed; a co-op of farms only
        sees nothing change."""

        FARM = "farm", _("farm")
        SUPPLIER = "supplier", _("supplier")

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.FARM)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    region = models.CharField(_("region"), max_length=40, choices=Region.choices)
    town = models.CharField(_("town"), max_length=80, blank=True)
    # Limits on free text: a public page stays light (a 2 MB description was once saved).
    description = models.TextField(_("description"), max_length=3000, blank=True)
    practices = models.TextField(_("practices"), max_length=2000, blank=True)
    certifications = models.ManyToManyField(
        Certification, verbose_name=_("certifications"), blank=True, related_name="farms"
    )
    photo = models.ImageField(_("photo"), upload_to="farms/", blank=True)
    thumbnail = models.ImageField(_("thumbnail"), upload_to="farms/thumbs/", blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    website = models.URLField(_("website"), blank=True)
    language = models.CharField(
        _("language of emails"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
    )
    # Shown in the shop and the directory: kept equal to `status == ACTIVE` by
    # farms.services.farm_set_status (the shop's queries read this one).
    is_active = models.BooleanField(_("active"), default=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True)
    # Where the co-op pays the farm (a Canadian account: institution, transit, account).
    payout_name = models.CharField(_("account holder"), max_length=120, blank=True)
    payout_institution = models.CharField(
        _("institution number"),
        max_length=3,
        blank=True,
        validators=[RegexValidator(r"^\d{3}$", _("Enter the 3 digits of the institution."))],
    )
    payout_transit = models.CharField(
        _("transit number"),
        max_length=5,
        blank=True,
        validators=[RegexValidator(r"^\d{5}$", _("Enter the 5 digits of the transit number."))],
    )
    payout_account = models.CharField(
        _("account number"),
        max_length=12,
        blank=True,
        validators=[RegexValidator(r"^\d{7,12}$", _("Enter the account number: 7 to 12 digits."))],
    )
    # The co-op's margin on this farm's sales, when it differs from the co-op's rate.
    margin_percent = models.DecimalField(
        _("co-op margin for this farm (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_("Leave empty to use the co-op's margin."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("farm")
        verbose_name_plural = _("farms")
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("baskets:farm", kwargs={"slug": self.slug})


class FarmMember(models.Model):
    """A user's membership of a farm: what makes the user a farmer of it."""

    class Role(models.TextChoices):
        OWNER = "owner", _("owner")
        STAFF = "staff", _("staff")

    farm = models.ForeignKey(
        Farm, verbose_name=_("farm"), on_delete=models.CASCADE, related_name="members"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="farm_memberships",
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.OWNER)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("farm member")
        verbose_name_plural = _("farm members")
        constraints = [
            models.UniqueConstraint(fields=("farm", "user"), name="farmmember_unique_farm_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.farm}"


class FarmInvitation(models.Model):
    """An email invited to join a farm with a role. The link mailed carries a signed
    token (farms.invitations); accepting it sets `accepted_at`, so it works once."""

    farm = models.ForeignKey(
        Farm, verbose_name=_("farm"), on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("email"))
    role = models.CharField(
        _("role"), max_length=10, choices=FarmMember.Role.choices, default=FarmMember.Role.STAFF
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invited by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)

    class Meta:
        verbose_name = _("farm invitation")
        verbose_name_plural = _("farm invitations")
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.email} – {self.farm}"


class Category(models.TextChoices):
    VEGETABLES = "vegetables", _("Vegetables")
    FRUITS = "fruits", _("Fruits")
    EGGS = "eggs", _("Eggs")
    MEAT = "meat", _("Meat")
    DAIRY = "dairy", _("Dairy products")
    BAKERY = "bakery", _("Bakery")
    MAPLE = "maple", _("Maple products")
    PANTRY = "pantry", _("Pantry")
    OTHER = "other", _("Other")


class Unit(models.TextChoices):
    EACH = "each", _("each")
    BUNCH = "bunch", _("bunch")
    DOZEN = "dozen", _("dozen")
    KG = "kg", _("kg")
    G = "g", _("g")
    LITRE = "l", _("L")
    PACKAGE = "package", _("package")


class TaxClass(models.TextChoices):
    """Basic groceries are zero-rated in Québec; other goods carry TPS and TVQ."""

    ZERO_RATED = "zero", _("zero-rated basic grocery")
    TAXABLE = "taxable", _("taxable (GST + QST)")


class Product(models.Model):
    """A farm's catalogue entry. What is offered in a given week is an orders.Offer."""

    farm = models.ForeignKey(
        Farm, verbose_name=_("farm"), on_delete=models.CASCADE, related_name="products"
    )
    name = models.CharField(_("name"), max_length=120)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    description = models.TextField(_("description"), max_length=1000, blank=True)
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices, default=Unit.EACH)
    package_size = models.CharField(
        _("package size"),
        max_length=30,
        blank=True,
        help_text=_("For a package, what it holds, such as « 500 g »."),
    )
    price = models.DecimalField(
        _("price per unit"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    tax_class = models.CharField(
        _("tax class"), max_length=10, choices=TaxClass.choices, default=TaxClass.ZERO_RATED
    )
    # Sold by the piece, priced by weight (a chicken ≈ 1.8 kg at 12 $/kg): the customer
    # orders pieces at an estimate; each piece is weighed after the close (#17).
    estimated_weight = models.DecimalField(
        _("estimated weight of one piece (kg)"),
        max_digits=6,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.001"))],
        help_text=_(
            "For a product priced per kg but sold by the piece (a chicken, a cheese): "
            "customers order pieces at this estimate, and pay what each piece weighs."
        ),
    )
    deposit = models.DecimalField(
        _("deposit on the container"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0.00"))],
        help_text=_(
            "A returnable jar, carton or crate (0.50 for a jar): charged apart from the "
            "price, without tax, and credited back when the container is returned."
        ),
    )
    photo = models.ImageField(_("photo"), upload_to="products/", blank=True)
    thumbnail = models.ImageField(_("thumbnail"), upload_to="products/thumbs/", blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    default_quantity = models.PositiveIntegerField(_("default weekly quantity"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ("farm", "category", "name")
        constraints = [
            models.CheckConstraint(condition=Q(price__gt=0), name="product_price_positive"),
            models.CheckConstraint(
                condition=Q(default_quantity__gte=0), name="product_default_quantity_non_negative"
            ),
            models.UniqueConstraint(
                fields=("farm", "name", "unit", "package_size"), name="product_unique_per_farm"
            ),
            models.CheckConstraint(
                condition=Q(estimated_weight__isnull=True)
                | (Q(unit="kg") & Q(estimated_weight__gt=0)),
                name="product_estimated_weight_per_kg",
            ),
            models.CheckConstraint(condition=Q(deposit__gte=0), name="product_deposit_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.unit_label})"

    @property
    def weighed(self) -> bool:
        return self.estimated_weight is not None

    @property
    def thumbnail_url(self) -> str:
        """The shop row's picture (the 400 px WebP made at upload), or empty."""
        return self.thumbnail.url if self.thumbnail else ""

    @property
    def unit_label(self) -> str:
        if self.unit == Unit.PACKAGE and self.package_size:
            return self.package_size
        return str(self.get_unit_display())
