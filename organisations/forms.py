"""Forms of the organisations: the coordinator's form of an organisation, inviting a
person with a role."""

import re
from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from farms.forms import PriceField

from .models import (
    Organisation,
    OrganisationMember,
    validate_neq,
    validate_tps,
    validate_tvq,
)


class OrganisationForm(forms.ModelForm):  # type: ignore[type-arg]
    # Read as typed first (`_tidy`), then checked: the model's own rules come after.
    neq = forms.CharField(
        label=_("Québec enterprise number (NEQ)"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "input-short"}),
        help_text=_("10 digits, on the enterprise register (Registraire des entreprises)."),
    )
    tps_number = forms.CharField(label=_("GST registration number"), max_length=30, required=False)
    tvq_number = forms.CharField(label=_("QST registration number"), max_length=30, required=False)
    approval_limit = PriceField(
        label=_("Approval above ($)"),
        required=False,
        help_text=_("An order above this amount waits for an approver. Empty: no approval."),
    )

    class Meta:
        model = Organisation
        fields = (
            "legal_name",
            "kind",
            "neq",
            "tps_number",
            "tvq_number",
            "billing_address",
            "delivery_address",
            "email",
            "approval_limit",
            "payment_terms",
            "language",
        )
        widgets = {
            "billing_address": forms.Textarea(attrs={"rows": 3}),
            "delivery_address": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("tps_number", "tvq_number"):  # as the model's, capitalised
            field = Organisation._meta.get_field(name)
            self.fields[name].label = capfirst(getattr(field, "verbose_name", name))

    def clean_neq(self) -> str:
        neq = _tidy("neq", self.cleaned_data["neq"], validate_neq)
        same = Organisation.objects.filter(neq=neq).exclude(pk=self.instance.pk).first()
        if same is not None:
            raise ValidationError(
                _("This NEQ is already that of %(name)s.") % {"name": same.legal_name},
                code="neq_taken",
            )
        return neq

    def clean_tps_number(self) -> str:
        return _tidy("tps", self.cleaned_data["tps_number"], validate_tps)

    def clean_tvq_number(self) -> str:
        return _tidy("tvq", self.cleaned_data["tvq_number"], validate_tvq)


def _tidy(kind: str, value: str, validate: Callable[[str], None]) -> str:
    """As people type them, « 1171 234 567 » or "123456789rt0001": spaces out, letters
    up, then the numbers' own rule (its message beside the field)."""
    value = re.sub(r"\s+", "", value or "").upper()
    match = re.fullmatch(r"(\d+)(RT|TQ)(\d+)", value)
    if kind != "neq" and match:
        value = f"{match.group(1)} {match.group(2)}{match.group(3)}"
    validate(value)
    return value


class InviteForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "off"})
    )
    role = forms.ChoiceField(
        label=_("Role"),
        choices=OrganisationMember.Role.choices,
        initial=OrganisationMember.Role.BUYER,
        help_text=_(
            "Buyers compose the orders; approvers approve those above the limit and manage "
            "the people; accountants see the invoices and statements."
        ),
    )
