from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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
