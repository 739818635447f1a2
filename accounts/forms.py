"""The sign-up form's own fields (allauth adds email and passwords), and the form an
existing account without a name fills once."""

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
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


class AcceptInvitationForm(forms.Form):
    """The new account of an invited person: their names and a password (checked by
    the project's password validators)."""

    first_name = forms.CharField(
        label=_("Given name"),
        max_length=150,
        widget=forms.TextInput({"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label=_("Family name"),
        max_length=150,
        widget=forms.TextInput({"autocomplete": "family-name"}),
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput({"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password (again)"),
        strip=False,
        widget=forms.PasswordInput({"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        elif first:
            probe = User(
                email=self.email,
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
            )
            try:
                password_validation.validate_password(first, probe)
            except ValidationError as error:
                self.add_error("password1", error)
        return data
