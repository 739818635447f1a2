from datetime import timedelta
from decimal import Decimal

from django import forms
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from farms.models import Farm

MAX_REPORT_DAYS = 3 * 366


class WriteOffForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, strip=True)


class PayoutForm(forms.Form):
    paid_on = forms.DateField(label=_("Paid on"), input_formats=["%Y-%m-%d"])
    reference = forms.CharField(label=_("Reference"), max_length=100, strip=True)


class ReportForm(forms.Form):
    """The period of a sales report (pickup days, both ends included) and its grouping."""

    start = forms.DateField(label=_("From"), input_formats=["%Y-%m-%d"])
    end = forms.DateField(label=_("To"), input_formats=["%Y-%m-%d"])
    by = forms.ChoiceField(
        label=_("By"), choices=[("week", _("week")), ("month", _("month"))], initial="month"
    )

    @classmethod
    def default_data(cls) -> dict[str, str]:
        today = timezone.localdate()
        start = (today.replace(day=1) - timedelta(days=62)).replace(day=1)
        return {"start": start.isoformat(), "end": today.isoformat(), "by": "month"}

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end:
            if start > end:
                raise forms.ValidationError(_("The period must start before it ends."))
            if (end - start).days > MAX_REPORT_DAYS:
                raise forms.ValidationError(_("Choose a period of three years at most."))
        return data


class MarginsForm(forms.Form):
    """The co-op's margin for each farm that differs from the co-op's own rate: one
    field per farm, empty for "the co-op's rate"."""

    def __init__(self, data: QueryDict | None = None, *, farms: list[Farm]) -> None:
        if data is not None:  # « 12,5 » or 12.5, whatever the page's language
            data = data.copy()
            for key in list(data):
                if key.startswith("m-"):
                    data[key] = str(data.get(key, "")).replace(",", ".").strip()
        super().__init__(data)
        self.farms = farms
        for farm in farms:
            self.fields[f"m-{farm.pk}"] = forms.DecimalField(
                label=farm.name,
                required=False,
                min_value=Decimal("0"),
                max_value=Decimal("100"),
                max_digits=5,
                decimal_places=2,
                initial=farm.margin_percent,
                error_messages={
                    "invalid": _("Enter a percentage such as 12 or 12,5."),
                    "min_value": _("A margin cannot be negative."),
                    "max_value": _("A margin is at most 100 percent."),
                    "max_decimal_places": _("Two decimals at most."),
                    "max_digits": _("A margin is at most 100 percent."),
                    "max_whole_digits": _("A margin is at most 100 percent."),
                },
            )

    def rows(self) -> list[tuple[Farm, forms.BoundField]]:
        return [(farm, self[f"m-{farm.pk}"]) for farm in self.farms]

    def rates(self) -> dict[int, Decimal | None]:
        """The rates sent: a farm missing from the request keeps its rate."""
        return {
            farm.pk: self.cleaned_data.get(f"m-{farm.pk}")
            for farm in self.farms
            if f"m-{farm.pk}" in self.data
        }
