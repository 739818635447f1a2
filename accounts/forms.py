"""The sign-up form's own fields (allauth adds email and passwords), and the form an
existing account without a name fills once."""

from typing import Any

from django import forms
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import User


class NameFields(forms.Form):
    first_name = forms.CharField(
        label=_("Given name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label=_("Family name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
        help_text=_("The pickup sheets are sorted by family name."),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        help_text=_("Optional: to reach you about an order."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for key in ("first_name", "last_name", "phone"):
            if isinstance(data.get(key), str):
                data[key] = " ".join(data[key].split())
        return data


class SignupNames(NameFields):
    """ACCOUNT_SIGNUP_FORM_CLASS: allauth's sign-up form asks these first."""

    def signup(self, request: HttpRequest, user: User) -> None:
        user.first_name = self.cleaned_data["first_name"]
        user.last_name = self.cleaned_data["last_name"]
        user.phone = self.cleaned_data.get("phone", "")
        user.save(update_fields=["first_name", "last_name", "phone"])
