from django import forms
from django.utils.translation import gettext_lazy as _

from .models import CoopSettings, OrderWindow


class RhythmForm(forms.ModelForm):
    class Meta:
        model = CoopSettings
        fields = (
            "open_weekday",
            "open_time",
            "close_weekday",
            "close_time",
            "pickup_weekday",
            "weeks_ahead",
            "basket_hold_minutes",
            "minimum_order_amount",
            "pay_at_pickup",
            "margin_percent",
        )
        widgets = {
            "open_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "close_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }


class WindowForm(forms.ModelForm):
    opens_at = forms.DateTimeField(
        label=_("Opens"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    closes_at = forms.DateTimeField(
        label=_("Closes"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    pickup_date = forms.DateField(
        label=_("Pickup day"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    class Meta:
        model = OrderWindow
        fields = ("opens_at", "closes_at", "pickup_date", "note")

    def _within_years(self, name: str) -> object:
        value = self.cleaned_data[name]
        if value is not None and not 2000 <= value.year <= 2100:
            raise forms.ValidationError(_("Choose a date between 2000 and 2100."))
        return value

    def clean_opens_at(self) -> object:
        return self._within_years("opens_at")

    def clean_closes_at(self) -> object:
        return self._within_years("closes_at")

    def clean_pickup_date(self) -> object:
        return self._within_years("pickup_date")
