"""Organisations that buy together (#18): a daycare (CPE), a community kitchen, a
social-economy restaurant, another co-op, with their legal identity and their people,
each with one role: buyer, approver or accountant."""

import re
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


def validate_neq(value: str) -> None:
    """A Québec enterprise number: 10 digits (spaces allowed when typed)."""
    if not re.fullmatch(r"\d{10}", value):
        raise ValidationError(
            _("A Québec enterprise number (NEQ) has 10 digits, such as 1171234567."),
            code="neq",
        )


def validate_tps(value: str) -> None:
    if value and not re.fullmatch(r"\d{9} ?RT ?\d{4}", value):
        raise ValidationError(
            _("A GST number reads 9 digits, RT and 4 digits, such as 123456789 RT0001."),
            code="tps",
        )


def validate_tvq(value: str) -> None:
    if value and not re.fullmatch(r"\d{10} ?TQ ?\d{4}", value):
        raise ValidationError(
            _("A QST number reads 10 digits, TQ and 4 digits, such as 1234567890 TQ0001."),
            code="tvq",
        )


class Organisation(models.Model):
    class Kind(models.TextChoices):
        CPE = "cpe", _("daycare (CPE)")
        KITCHEN = "kitchen", _("community kitchen")
        RESTAURANT = "restaurant", _("social-economy restaurant")
        COOP = "coop", _("co-operative")
        OTHER = "other", _("other organisation")

    class Terms(models.IntegerChoices):
        NET_15 = 15, _("net 15 days")
        NET_30 = 30, _("net 30 days")

    legal_name = models.CharField(_("legal name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.OTHER)
    neq = models.CharField(
        _("Québec enterprise number (NEQ)"), max_length=10, unique=True, validators=[validate_neq]
    )
    tps_number = models.CharField(
        _("GST registration number"), max_length=30, blank=True, validators=[validate_tps]
    )
    tvq_number = models.CharField(
        _("QST registration number"), max_length=30, blank=True, validators=[validate_tvq]
    )
    billing_address = models.TextField(_("billing address"), max_length=300)
    delivery_address = models.TextField(
        _("delivery address"),
        max_length=300,
        blank=True,
        help_text=_("Where orders are delivered, if not picked up. Empty: the billing address."),
    )
    email = models.EmailField(
        _("accounts email"), blank=True, help_text=_("Where invoices and statements go.")
    )
    approval_limit = models.DecimalField(
        _("approval above ($)"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("An order above this amount waits for an approver. Empty: no approval."),
    )
    payment_terms = models.PositiveSmallIntegerField(
        _("payment terms"), choices=Terms.choices, default=Terms.NET_30
    )
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default="fr-ca"
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ("legal_name",)
        constraints = [
            models.CheckConstraint(
                condition=Q(approval_limit__isnull=True) | Q(approval_limit__gte=Decimal("0")),
                name="organisation_approval_limit_positive",
            ),
            models.CheckConstraint(
                condition=Q(payment_terms__in=(15, 30)), name="organisation_terms_15_or_30"
            ),
        ]

    def __str__(self) -> str:
        return self.legal_name


class OrganisationMember(models.Model):
    class Role(models.TextChoices):
        BUYER = "buyer", _("buyer")
        APPROVER = "approver", _("approver")
        ACCOUNTANT = "accountant", _("accountant")

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE,
        related_name="members",
    )  # fmt: skip
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.CASCADE,
        related_name="organisation_memberships",
    )  # fmt: skip
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    created_at = models.DateTimeField(_("since"), auto_now_add=True)

    class Meta:
        verbose_name = _("organisation member")
        verbose_name_plural = _("organisation members")
        ordering = ("organisation", "role", "pk")
        constraints = [
            models.UniqueConstraint(
                fields=("organisation", "user"), name="organisationmember_once_per_person"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.organisation} ({self.role})"


class OrganisationInvitation(models.Model):
    """An email invited to an organisation with a role; the link mailed carries a
    signed token (`accounts.invitations`); accepting it sets `accepted_at`."""

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE,
        related_name="invitations",
    )  # fmt: skip
    email = models.EmailField(_("email"))
    role = models.CharField(_("role"), max_length=10, choices=OrganisationMember.Role.choices)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("invited by"), on_delete=models.SET_NULL,
        null=True, related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)

    class Meta:
        verbose_name = _("organisation invitation")
        verbose_name_plural = _("organisation invitations")
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.email} – {self.organisation}"
