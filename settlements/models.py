"""Settling a week with the farms: what came in, what each farm is owed, and the payouts.

A Settlement is written once per window, when every order's money is final; it keeps
the week's totals as they were (the reconciliation), and one FarmStatement per farm
with that farm's figures, its PDF and CSV, and the payout (paid on, reference).
A WriteOff records a coordinator's decision that an order will not be paid (a
pay-at-pickup order not collected, a card declined): it is left out of every farm's
sales.

The database holds the identities: money in = net due + margin + taxes for the week,
gross = net due + margin for each farm.
"""

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.lookups import GreaterThan, LessThan
from django.utils.translation import gettext_lazy as _

from farms.models import Farm
from orders.models import Order, OrderWindow, private_storage


def _money(verbose_name: Any) -> "models.DecimalField[Decimal, Decimal]":
    return models.DecimalField(
        verbose_name, max_digits=12, decimal_places=2, default=Decimal("0.00")
    )


HALF_CENT = Value(Decimal("0.005"))


def _equal(left: Any, right: Any) -> Q:
    """left == right to the cent. Written as a half-cent band because SQLite keeps
    decimals as floats (0.1 + 0.2 != 0.3 there); on PostgreSQL's numeric it is equality."""
    return Q(GreaterThan(left, right - HALF_CENT)) & Q(LessThan(left, right + HALF_CENT))


class Settlement(models.Model):
    """A window settled with the farms: the week's reconciliation, frozen."""

    window = models.OneToOneField(
        OrderWindow, verbose_name=_("window"), on_delete=models.CASCADE, related_name="settlement"
    )
    settled_at = models.DateTimeField(_("settled at"))
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("settled by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    orders_counted = models.PositiveIntegerField(_("orders counted"), default=0)
    orders_written_off = models.PositiveIntegerField(_("orders written off"), default=0)
    # Money in.
    card_captured = _money(_("card payments captured"))
    cash_collected = _money(_("cash collected at pickup"))
    refunded = _money(_("refunds"))
    money_in = _money(_("money in"))
    # Money out.
    gross = _money(_("gross sales"))
    margin = _money(_("co-op margin"))
    tps = _money(_("GST collected"))
    tvq = _money(_("QST collected"))
    net_due = _money(_("net due to farms"))
    # Store credit and deposits (#17): credit used pays like money in; money received
    # and given back as credit, and deposits on containers, are what it pays for besides
    # the farms. Deposits returned (credited back) are shown, outside the balance.
    credit_used = _money(_("store credit used"))
    credit_issued = _money(_("store credit issued"))
    deposits = _money(_("deposits held"))
    deposits_returned = _money(_("deposits returned as credit"))

    class Meta:
        verbose_name = _("settlement")
        verbose_name_plural = _("settlements")
        ordering = ("-window__pickup_date",)
        constraints = [
            models.CheckConstraint(
                condition=_equal(
                    F("money_in"), F("card_captured") + F("cash_collected") - F("refunded")
                ),
                name="settlement_money_in_adds_up",
            ),
            models.CheckConstraint(
                condition=_equal(
                    F("money_in") + F("credit_used"),
                    F("net_due")
                    + F("margin")
                    + F("tps")
                    + F("tvq")
                    + F("deposits")
                    + F("credit_issued"),
                ),
                name="settlement_money_in_equals_money_out",
            ),
            models.CheckConstraint(
                condition=_equal(F("gross"), F("net_due") + F("margin")),
                name="settlement_gross_splits",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Settlement of %(window)s")) % {"window": self.window}

    @property
    def taxes(self) -> Decimal:
        return self.tps + self.tvq

    @property
    def money_out(self) -> Decimal:
        return self.net_due + self.margin + self.tps + self.tvq + self.deposits + self.credit_issued

    @property
    def difference(self) -> Decimal:
        return self.money_in + self.credit_used - self.money_out  # 0.00: the database checks it


class FarmStatement(models.Model):
    """One farm's statement for a settled window, and its payout."""

    settlement = models.ForeignKey(
        Settlement,
        verbose_name=_("settlement"),
        on_delete=models.CASCADE,
        related_name="statements",
    )
    farm = models.ForeignKey(
        Farm, verbose_name=_("farm"), on_delete=models.PROTECT, related_name="+"
    )
    units = models.PositiveIntegerField(_("units sold"), default=0)
    units_short = models.PositiveIntegerField(_("units short"), default=0)
    gross = _money(_("gross sales"))
    margin_rate = models.DecimalField(_("margin rate (%)"), max_digits=5, decimal_places=2)
    margin = _money(_("co-op margin"))
    # For information: the taxes collected on this farm's taxable lines (an allocation of
    # each order's taxes that sums exactly to the week's total). The co-op remits them.
    tps = _money(_("GST collected"))
    tvq = _money(_("QST collected"))
    net_due = _money(_("net due"))
    pdf = models.FileField(_("PDF"), storage=private_storage, upload_to="statements/", blank=True)
    csv = models.FileField(_("CSV"), storage=private_storage, upload_to="statements/", blank=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    payout_reference = models.CharField(_("payment reference"), max_length=100, blank=True)
    paid_marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("marked paid by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    paid_marked_at = models.DateTimeField(_("marked paid at"), null=True, blank=True)

    class Meta:
        verbose_name = _("farm statement")
        verbose_name_plural = _("farm statements")
        ordering = ("settlement", "farm__name")
        constraints = [
            models.UniqueConstraint(
                fields=("settlement", "farm"), name="statement_one_per_farm_per_settlement"
            ),
            models.CheckConstraint(
                condition=_equal(F("net_due"), F("gross") - F("margin")),
                name="statement_net_is_gross_less",
            ),
            models.CheckConstraint(
                condition=Q(margin__gte=0) & Q(margin__lte=F("gross")),
                name="statement_margin_within_gross",
            ),
            models.CheckConstraint(
                condition=Q(paid_on__isnull=True, payout_reference="")
                | Q(paid_on__isnull=False) & ~Q(payout_reference=""),
                name="statement_paid_with_date_and_reference",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.farm} – {self.settlement.window}"

    @property
    def taxes(self) -> Decimal:
        return self.tps + self.tvq

    @property
    def is_paid(self) -> bool:
        return self.paid_on is not None


class WriteOff(models.Model):
    """An order the co-op gave up collecting: not counted in any farm's sales.

    Only an order for which no money came in can be written off (refund first)."""

    order = models.OneToOneField(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="write_off"
    )
    amount = _money(_("amount owed"))
    reason = models.CharField(_("reason"), max_length=200)
    written_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written off by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    written_off_at = models.DateTimeField(_("written off at"))

    class Meta:
        verbose_name = _("write-off")
        verbose_name_plural = _("write-offs")
        ordering = ("-written_off_at",)

    def __str__(self) -> str:
        return str(_("Write-off of order %(number)s")) % {"number": self.order_id}
