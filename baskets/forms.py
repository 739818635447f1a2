from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from farms.forms import PhotoField, PriceField
from orders.basket import MAX_UNITS_PER_LINE
from orders.models import PickupPoint, PickupSlot


class LineForm(forms.Form):
    """One change to a basket line: `delta` (+1 or −1) or a typed `quantity` (0 removes)."""

    delta = forms.TypedChoiceField(
        choices=[("1", "+1"), ("-1", "-1")], coerce=int, required=False, empty_value=None
    )
    quantity = forms.IntegerField(
        min_value=0,
        max_value=MAX_UNITS_PER_LINE,
        required=False,
        error_messages={
            "invalid": _("Enter a whole number of units."),
            "min_value": _("The quantity cannot be negative."),
            "max_value": _("At most %(limit_value)s units per product."),
        },
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("delta") is None and data.get("quantity") is None and not self.errors:
            raise forms.ValidationError(_("Enter a quantity."))
        return data

    def first_error(self) -> str:
        for errors in self.errors.values():
            return str(errors[0])
        return str(_("Enter a quantity."))


class CheckoutForm(forms.Form):
    pickup_point = forms.ModelChoiceField(
        queryset=PickupPoint.objects.filter(is_active=True),
        widget=forms.RadioSelect,
        label=_("Pickup point"),
        error_messages={
            "required": _("Choose a pickup point."),
            "invalid_choice": _("Choose a pickup point."),
        },
    )
    pickup_slot = forms.TypedChoiceField(
        coerce=int, required=False, empty_value=None, label=_("Time slot"), choices=[]
    )
    language = forms.ChoiceField(
        choices=settings.LANGUAGES, label=_("Language of my emails"), widget=forms.RadioSelect
    )
    payment_method = forms.ChoiceField(
        label=_("Payment"),
        widget=forms.RadioSelect,
        choices=[],
        required=False,  # with a single way to pay, there is nothing to choose
        error_messages={
            "required": _("Choose how you will pay."),
            "invalid_choice": _("Choose how you will pay."),
        },
    )

    def __init__(
        self,
        *args: object,
        points: list[PickupPoint],
        room: dict[int, int],
        methods: list[str],
        slots: dict[int, list[PickupSlot]],
        **kwargs: object,
    ) -> None:
        """`points`: those offered this week (active, not closed); `slots`: the week's
        slots by point id (`orders.slots.slots_for_week`)."""
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.points = points
        self.room = room
        self.slots = slots
        labels = {
            "card": _("By card now: the total is held on your card and charged at close"),
            "at_pickup": _("At pickup, cash or debit"),
        }
        self.methods = methods
        self.fields["payment_method"].choices = [(m, labels[m]) for m in methods]  # type: ignore[attr-defined]
        self.fields["pickup_slot"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (slot.pk, str(slot)) for point in points for slot in slots.get(point.pk, [])
        ]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if not data.get("payment_method") and "payment_method" not in self.errors:
            if len(self.methods) == 1:
                data["payment_method"] = self.methods[0]
            else:
                self.add_error("payment_method", _("Choose how you will pay."))
        point = data.get("pickup_point")
        slot_id = data.get("pickup_slot")
        if isinstance(point, PickupPoint) and point.pk not in {p.pk for p in self.points}:
            # Active, yet not offered: closed this week.
            self.add_error(
                "pickup_point",
                _("%(point)s is closed this week: choose another pickup point.")
                % {"point": point.name},
            )
        elif isinstance(point, PickupPoint):
            slots = {s.pk: s for s in self.slots.get(point.pk, [])}
            if slots and slot_id not in slots:
                self.add_error(
                    "pickup_slot", _("Choose a time slot at %(point)s.") % {"point": point.name}
                )
            elif not slots:
                data["pickup_slot"] = None
        return data


class StandingForm(forms.Form):
    """How the usual basket is picked up and paid (its lines are `q-<product id>`)."""

    pickup_point = forms.ModelChoiceField(
        queryset=PickupPoint.objects.filter(is_active=True),
        label=_("Pickup point"),
        error_messages={
            "required": _("Choose a pickup point."),
            "invalid_choice": _("Choose a pickup point."),
        },
    )
    pickup_slot = forms.TypedChoiceField(
        coerce=int, required=False, empty_value=None, label=_("Time slot"), choices=[]
    )
    payment_method = forms.ChoiceField(
        label=_("Payment"),
        widget=forms.RadioSelect,
        choices=[],
        error_messages={
            "required": _("Choose how you will pay."),
            "invalid_choice": _("Choose how you will pay."),
        },
    )
    allow_substitutes = forms.BooleanField(
        required=False,
        label=_("When a product is not offered, the same product from another farm may replace it"),
    )
    language = forms.ChoiceField(
        choices=settings.LANGUAGES, label=_("Language of my emails"), widget=forms.RadioSelect
    )

    def __init__(self, *args: object, methods: list[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        from orders.models import Payment  # the labels of the ways to pay

        labels = dict(Payment.Method.choices)
        method_field = self.fields["payment_method"]
        assert isinstance(method_field, forms.ChoiceField)  # noqa: S101
        method_field.choices = [(m, labels[m]) for m in methods]
        slot_field = self.fields["pickup_slot"]
        assert isinstance(slot_field, forms.TypedChoiceField)  # noqa: S101
        standing_slots = PickupSlot.objects.filter(
            window__isnull=True, pickup_point__is_active=True
        ).select_related("pickup_point")
        slot_field.choices = [("", _("No preference"))] + [
            (
                s.pk,
                f"{s.pickup_point.name} · {s.starts_at:%H:%M}–{s.ends_at:%H:%M}",
            )
            for s in standing_slots.order_by("pickup_point__name", "starts_at")
        ]


class StandingStatusForm(forms.Form):
    action = forms.ChoiceField(choices=[("pause", "pause"), ("resume", "resume"), ("stop", "stop")])
    until = forms.DateField(
        required=False,
        label=_("Paused until"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("Enter a date.")},
    )


class WeekBasketForm(forms.Form):
    """A basket of the week, as a coordinator composes it (its items are `q-<offer id>`)."""

    name = forms.CharField(label=_("Name"), max_length=80)
    description = forms.CharField(
        label=_("Description"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    indicative_price = PriceField(
        label=_("Indicative price"),
        required=False,
        help_text=_("Shown as « ~35 $ ». Empty: the sum of its products at this week's prices."),
    )
    is_published = forms.BooleanField(label=_("Shown in the shop"), required=False, initial=True)
    photo = PhotoField()
    remove_photo = forms.BooleanField(label=_("Remove the photo"), required=False)


class AnnouncementForm(forms.Form):
    """A coordinator's announcement to the week's customers, or one point's."""

    pickup_point = forms.TypedChoiceField(
        label=_("To the customers of"), coerce=int, empty_value=None, required=False
    )
    subject = forms.CharField(label=_("Subject, in French"), max_length=150)
    body = forms.CharField(
        label=_("Message, in French"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "The greeting (« Bonjour Marie, »), the co-op's name and the way to stop "
            "announcements are added to each email: write only the message. At most 5000 "
            "characters."
        ),
    )
    subject_en = forms.CharField(
        label=_("Subject in English"),
        max_length=150,
        required=False,
        help_text=_("For the customers who read English. Empty: they get the French text."),
    )
    body_en = forms.CharField(
        label=_("Message in English"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
    )

    def __init__(self, *args: object, points: list[PickupPoint], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["pickup_point"]
        assert isinstance(field, forms.TypedChoiceField)  # noqa: S101
        field.choices = [("", _("every pickup point of the week"))] + [
            (p.pk, p.name) for p in points
        ]

    def clean_subject(self) -> str:
        return self._one_line("subject")

    def clean_subject_en(self) -> str:
        return self._one_line("subject_en")

    def _one_line(self, name: str) -> str:
        value = str(self.cleaned_data.get(name) or "")
        if "\n" in value or "\r" in value:
            raise forms.ValidationError(_("A subject is one line."))
        return value

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if bool(data.get("subject_en")) != bool(data.get("body_en")):
            raise forms.ValidationError(
                _("Write both the English subject and the English message, or neither.")
            )
        return data
