from typing import ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _


class EmailUserManager(UserManager["User"]):
    """Users are known by their email address; there is no username."""

    def _create_user_object(self, username, email, password, **extra_fields):  # type: ignore[no-untyped-def, override]
        email = self.normalize_email(email or username)
        user = self.model(email=email, **extra_fields)
        user.password = ""
        user.set_password(password)
        return user

    def create_user(self, email=None, password=None, **extra_fields):  # type: ignore[no-untyped-def, override]
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        user = self._create_user_object(None, email, password, **extra_fields)
        user.save(using=self._db)
        return user

    def create_superuser(self, email=None, password=None, **extra_fields):  # type: ignore[no-untyped-def, override]
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person with an account: every user is a customer; some are also farmers
    (through FarmMember) or coordinators (through the Coordinators group)."""

    username = None  # type: ignore[assignment]
    email = models.EmailField(_("email address"), unique=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    # An account made before sign-up asked for names is asked once, at its next login.
    name_asked_at = models.DateTimeField(_("asked for a name"), null=True, blank=True)
    language = models.CharField(
        _("language of emails"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects = EmailUserManager()  # type: ignore[misc]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ("email",)

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    @cached_property
    def is_coordinator(self) -> bool:
        return self.is_active and (
            self.is_superuser or self.groups.filter(name=settings.COORDINATORS_GROUP).exists()
        )

    @cached_property
    def is_farmer(self) -> bool:
        return self.is_active and self.farm_memberships.exists()


class UndeliveredEmail(models.Model):
    """An email the mail server kept refusing after every retry: coordinators see it
    (to send it another way, or fix the address)."""

    to = models.CharField(_("to"), max_length=300)
    subject = models.CharField(_("subject"), max_length=300)
    error = models.CharField(_("error"), max_length=300)
    failed_at = models.DateTimeField(_("failed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("undelivered email")
        verbose_name_plural = _("undelivered emails")
        ordering = ("-failed_at",)

    def __str__(self) -> str:
        return f"{self.to}: {self.subject}"


class EmailPreferences(models.Model):
    """Which emails beyond the transactional ones a person wants, and when each consent
    was given or withdrawn (Canada's anti-spam law and Québec's Law 25 ask that it be
    provable). Order confirmations, changes, cancellations and payment links are always
    sent. No row: the defaults (reminders and announcements yes, news no)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="email_preferences",
    )
    reminders = models.BooleanField(_("reminders"), default=True)
    announcements = models.BooleanField(_("announcements"), default=True)
    news = models.BooleanField(_("news"), default=False)  # express consent only
    reminders_changed_at = models.DateTimeField(_("reminders changed"), null=True, blank=True)
    announcements_changed_at = models.DateTimeField(
        _("announcements changed"), null=True, blank=True
    )
    news_changed_at = models.DateTimeField(_("news changed"), null=True, blank=True)
    # How the last change was made: « page » (signed in) or « link » (an unsubscribe link).
    changed_by = models.CharField(_("changed by"), max_length=10, blank=True)

    class Meta:
        verbose_name = _("email preferences")
        verbose_name_plural = _("email preferences")

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} – {self.user_id}"


class ConsentRecord(models.Model):
    """One change of a person's email consent, kept as it happened: what, given or
    withdrawn, when and how (proof of consent for Canada's anti-spam law; Law 25's
    record of choices). Written in the same transaction as the change."""

    class How(models.TextChoices):
        PAGE = "page", _("on their email page")
        LINK = "link", _("from an unsubscribe link")
        ONE_CLICK = "one-click", _("by their mail program's one-click unsubscribe")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
        related_name="consent_records",
    )  # fmt: skip
    kind = models.CharField(_("emails"), max_length=15)
    given = models.BooleanField(_("given"))
    at = models.DateTimeField(_("when"))
    how = models.CharField(_("how"), max_length=10, choices=How.choices)

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        ordering = ("user", "at", "pk")

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.given} {self.at:%Y-%m-%d}"
