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
