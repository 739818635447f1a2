from django import forms
from django.utils.translation import gettext_lazy as _

from .models import CoopSettings, OrderWindow, PickupPoint

TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


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


class PointForm(forms.Form):
    """A pickup point, as a coordinator creates or edits it (`orders.points`)."""

    name = forms.CharField(label=_("Name"), max_length=120)
    address = forms.CharField(label=_("Address"), max_length=200)
    city = forms.CharField(label=_("City"), max_length=80)
    opens_at = forms.TimeField(label=_("Opens at"), widget=TIME)
    closes_at = forms.TimeField(label=_("Closes at"), widget=TIME)
    instructions = forms.CharField(
        label=_("Instructions for customers"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown at checkout, on the order page and in the confirmation email."),
    )
    is_active = forms.BooleanField(label=_("Active (offered at checkout)"), required=False)

    @classmethod
    def initial_of(cls, point: PickupPoint) -> dict[str, object]:
        return {name: getattr(point, name) for name in cls.base_fields}

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        opens, closes = data.get("opens_at"), data.get("closes_at")
        if opens is not None and closes is not None and closes <= opens:  # type: ignore[operator]
            self.add_error("closes_at", _("The point must close after it opens."))
        return data


class SlotForm(forms.Form):
    """A time slot at a point: standing, or for one week."""

    starts_at = forms.TimeField(label=_("Starts at"), widget=TIME)
    ends_at = forms.TimeField(label=_("Ends at"), widget=TIME)
    capacity = forms.IntegerField(
        label=_("Capacity (orders)"),
        min_value=1,
        max_value=10_000,
        error_messages={"min_value": _("A slot holds at least one order.")},
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts is not None and ends is not None and ends <= starts:  # type: ignore[operator]
            self.add_error("ends_at", _("A slot must end after it starts."))
        return data


class ClosureForm(forms.Form):
    """Close a pickup point for one week."""

    pickup_point = forms.ModelChoiceField(
        label=_("Pickup point"),
        queryset=PickupPoint.objects.all(),
        error_messages={"invalid_choice": _("Choose a pickup point.")},
    )
    reason = forms.CharField(
        label=_("Reason shown to customers"),
        max_length=200,
        required=False,
        help_text=_("Customers with an order there are emailed and asked to choose another point."),
    )
