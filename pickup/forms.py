"""Forms of the coordinator's back office: the co-op's settings, the people search."""

from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from common.money import format_money
from farms.forms import PriceField
from orders.models import CoopSettings


class CoopSettingsForm(forms.ModelForm):
    """The co-op's rules other than the weekly rhythm (which has its own page)."""

    class Meta:
        model = CoopSettings
        fields = (
            "basket_hold_minutes",
            "minimum_order_amount",
            "pay_at_pickup",
            "standing_confirm_hours",
            "margin_percent",
            "weighed_hold_margin_percent",
            "address",
            "tps_number",
            "tvq_number",
            "privacy_officer",
            "privacy_email",
        )
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The database refuses a negative minimum; say so beside the field.
        self.fields["minimum_order_amount"].validators.append(MinValueValidator(Decimal("0")))
        hours = self.fields["standing_confirm_hours"]
        hours.validators += [MinValueValidator(1), MaxValueValidator(7 * 24)]


class PeopleSearchForm(forms.Form):
    q = forms.CharField(label=_("Name, email or phone"), max_length=100, required=False)


class SignedAmountField(PriceField):
    """An amount typed as a price (« 5,00 », "5.00", "5 $"), negative allowed (a
    correction takes credit off). A text field: a number field would read « 5,00 » as
    500 in a browser set to English."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("localize", True)
        forms.DecimalField.__init__(
            self,
            max_digits=8,
            decimal_places=2,
            min_value=Decimal("-9999"),
            max_value=Decimal("9999"),
            **kwargs,
        )


class CreditForm(forms.Form):
    """A coordinator's store credit entry: a goodwill gesture, or a correction."""

    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[
            ("goodwill", _("goodwill gesture")),
            ("correction", _("correction (a negative amount takes credit off)")),
        ],
    )
    amount = SignedAmountField(label=_("Amount ($)"))
    note = forms.CharField(
        label=_("Why (the customer sees it)"),
        max_length=200,
        help_text=_('For example: "Tomatoes bruised, week of 12 June".'),
    )


class ContainersForm(forms.Form):
    """Containers brought back at pickup, credited at their deposit."""

    product = forms.TypedChoiceField(label=_("Product"), coerce=int)
    containers = forms.IntegerField(label=_("How many"), min_value=1, max_value=500, initial=1)

    def __init__(self, *args: Any, out: list[tuple[int, str, int, Decimal]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = [  # type: ignore[attr-defined]
            (
                pk,
                _("%(product)s (%(count)s out, %(deposit)s each)")
                % {"product": name, "count": count, "deposit": format_money(deposit)},
            )
            for pk, name, count, deposit in out
        ]
