"""Forms of the farmer portal: they parse and check what people type, then hand plain
data to farms.services (they are never saved directly)."""

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from . import photos
from .models import Farm, FarmMember, Product, Unit
from .services import FarmProfileData, NewFarmData, PayoutData, ProductData
from .validators import PHOTO_CONTENT_TYPES, photo_filename, photo_format


class PhotoField(forms.FileField):
    """An optional photo, judged by its content (farms.validators): JPEG, PNG or WebP,
    5 MB at most. The stored name gets the extension of what the file really is, and
    the file is drawn again (farms.photos): no trailing data, no EXIF, upright."""

    widget = forms.FileInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Photo"))
        kwargs.setdefault("help_text", _("JPEG, PNG or WebP, 5 MB at most."))
        super().__init__(**kwargs)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        attrs.setdefault("accept", ",".join(PHOTO_CONTENT_TYPES.values()))
        return attrs

    def to_python(self, data: Any) -> UploadedFile | None:
        file = super().to_python(data)  # a name, not empty; None when nothing was sent
        if not isinstance(file, UploadedFile):
            return None
        image_format = photo_format(file)  # the size first, then the content
        file.name = photo_filename(file.name or "", image_format)
        return photos.reencoded(file, image_format)  # never stored as sent


class PriceField(forms.DecimalField):
    """A price as people type it: 4.50, « 4,50 », "4,50 $" or "$4.50", in either
    language. Shown back with the reader's decimal separator."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("localize", True)
        kwargs.setdefault("error_messages", {"min_value": _("Enter a price greater than zero.")})
        super().__init__(max_digits=8, decimal_places=2, min_value=Decimal("0.01"), **kwargs)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        return {**attrs, "inputmode": "decimal", "autocomplete": "off", "class": "input-short"}

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        if isinstance(value, str):
            value = value.strip().replace("$", "")
            for space in (" ", "\u00a0", "\u202f"):
                value = value.replace(space, "")
            if "," in value and "." in value:  # 1,234.50
                value = value.replace(",", "")
            value = value.replace(",", ".")
        return super().to_python(value)


class DepositField(PriceField):
    """A deposit on a returnable container, typed as a price: empty or 0 for none."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("localize", True)
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "error_messages", {"min_value": _("Enter a deposit of 0 or more (0 for none).")}
        )
        forms.DecimalField.__init__(
            self, max_digits=6, decimal_places=2, min_value=Decimal("0"), **kwargs
        )

    def clean(self, value: Any) -> Decimal:
        return super().clean(value) or Decimal("0.00")


class WeightField(forms.DecimalField):
    """A weight in kg as people type it: 1.8, « 1,8 », "1,8 kg"."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("localize", True)
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "error_messages", {"min_value": _("Enter a weight greater than zero, in kg.")}
        )
        super().__init__(max_digits=6, decimal_places=3, min_value=Decimal("0.001"), **kwargs)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        return {**attrs, "inputmode": "decimal", "autocomplete": "off", "class": "input-short"}

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        if isinstance(value, str):
            value = value.strip().lower().removesuffix("kg").strip().replace(",", ".")
        return super().to_python(value)


class PhotoFormMixin:
    """`new_photo` and `photo_removed`, as the services take them."""

    cleaned_data: dict[str, Any]

    @property
    def new_photo(self) -> UploadedFile | None:
        photo = self.cleaned_data.get("photo")
        return photo if isinstance(photo, UploadedFile) else None

    @property
    def photo_removed(self) -> bool:
        return bool(self.cleaned_data.get("remove_photo")) and self.new_photo is None


class BoundedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Refuses ids that no database column can hold before asking the database."""

    def _check_values(self, value):  # type: ignore[no-untyped-def]
        for pk in value:
            try:
                number = int(str(pk))
            except ValueError:
                continue  # the parent says it is not a valid id
            if not 0 < number < 2**63:
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": pk},
                )
        return super()._check_values(value)


class FarmProfileForm(PhotoFormMixin, forms.ModelForm):  # type: ignore[type-arg]
    photo = PhotoField()
    remove_photo = forms.BooleanField(label=_("Remove the current photo"), required=False)

    class Meta:
        model = Farm
        fields = (
            "name",
            "town",
            "region",
            "description",
            "practices",
            "certifications",
            "photo",
            "email",
            "phone",
            "website",
            "language",
        )
        field_classes = {"certifications": BoundedModelMultipleChoiceField}
        widgets = {
            "description": forms.Textarea(attrs={"rows": 5}),
            "practices": forms.Textarea(attrs={"rows": 4}),
            "certifications": forms.CheckboxSelectMultiple,
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "phone": forms.TextInput(
                attrs={"type": "tel", "autocomplete": "tel", "class": "input-short"}
            ),
            "website": forms.URLInput(attrs={"autocomplete": "url"}),
        }
        help_texts = {
            "name": _("Renaming the farm does not change the address of its public page."),
            "description": _("Who you are and what you grow, for your public page."),
            "practices": _("How you grow: soil care, pest control, animal welfare…"),
            "email": _("The co-op writes to the farm at this address."),
            "website": _("Such as https://www.mafermebio.ca"),
        }

    def profile_data(self) -> FarmProfileData:
        data = self.cleaned_data
        return FarmProfileData(
            name=data["name"],
            town=data["town"],
            region=data["region"],
            description=data["description"],
            practices=data["practices"],
            email=data["email"],
            phone=data["phone"],
            website=data["website"],
            language=data["language"],
        )


class ProductForm(PhotoFormMixin, forms.ModelForm):  # type: ignore[type-arg]
    price = PriceField(
        label=_("Price per unit ($)"),
        help_text=_("Such as 4.50. Weeks already published keep their price."),
    )
    estimated_weight = WeightField(
        label=_("Estimated weight of one piece (kg)"),
        help_text=_(
            "Only for a product priced per kg but sold by the piece (a chicken, a cheese): "
            "customers order pieces at this estimate; after the close you weigh each piece "
            "and they pay what it weighs. Leave empty otherwise."
        ),
    )
    deposit = DepositField(
        label=_("Deposit on the container"),
        help_text=_(
            "In $, for a returnable jar, carton or crate, such as 0.50: charged apart from "
            "the price, without tax, and credited back to the customer when it is "
            "returned. 0 for none."
        ),
    )
    photo = PhotoField()
    remove_photo = forms.BooleanField(label=_("Remove the current photo"), required=False)

    class Meta:
        model = Product
        fields = (
            "name",
            "category",
            "description",
            "unit",
            "package_size",
            "price",
            "estimated_weight",
            "deposit",
            "tax_class",
            "photo",
            "is_active",
            "default_quantity",
        )
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "package_size": forms.TextInput(attrs={"class": "input-short"}),
            "default_quantity": forms.NumberInput(
                attrs={"min": 0, "inputmode": "numeric", "class": "input-short"}
            ),
        }
        help_texts = {
            "unit": _("What a customer buys for the price."),
            "tax_class": _(
                "Most farm food is a zero-rated basic grocery. Candy, snacks, soft drinks, "
                "flowers and non-food goods carry GST and QST."
            ),
            "is_active": _(
                "An inactive product stays in your catalogue but is hidden from your "
                "public page and from the weekly stock grid."
            ),
            "default_quantity": _(
                "The quantity that “Fill with default quantities” puts in the weekly stock grid."
            ),
        }

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("unit") == Unit.PACKAGE:
            if not data.get("package_size") and "package_size" not in self.errors:
                self.add_error(
                    "package_size",
                    ValidationError(
                        _("Say what a package holds, such as 500 g."),
                        code="package_size_required",
                    ),
                )
        elif "unit" in data:
            data["package_size"] = ""  # only a package has a size
        if data.get("estimated_weight") is not None and data.get("unit") != Unit.KG:
            self.add_error(
                "estimated_weight",
                ValidationError(
                    _("A weight per piece is for a product priced per kg: choose the unit kg."),
                    code="estimated_weight_per_kg",
                ),
            )
        return data

    def product_data(self) -> ProductData:
        data = self.cleaned_data
        return ProductData(
            name=data["name"],
            category=data["category"],
            description=data["description"],
            unit=data["unit"],
            package_size=data["package_size"],
            price=data["price"],
            tax_class=data["tax_class"],
            is_active=data["is_active"],
            default_quantity=data["default_quantity"],
            estimated_weight=data.get("estimated_weight"),
            deposit=data.get("deposit") or Decimal("0.00"),
        )

    def add_duplicate_error(self, message: str) -> None:
        self.add_error("name", ValidationError(message, code="duplicate"))


# The co-op's back office, the farm's people and its payout details.


class FarmCreateForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Farm
        fields = ("name", "kind", "region", "town", "email", "language")
        widgets = {"email": forms.EmailInput(attrs={"autocomplete": "email"})}
        help_texts = {
            "name": _("The address of its public page is made from the name."),
            "kind": _(
                "A supplier sells goods it does not grow (coffee, cleaning products) next "
                "to the farms, in the same weeks."
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].required = False  # a farm, unless said otherwise

    def farm_data(self) -> NewFarmData:
        data = self.cleaned_data
        return NewFarmData(
            name=data["name"],
            region=data["region"],
            town=data["town"],
            email=data["email"],
            language=data["language"],
            kind=data.get("kind") or Farm.Kind.FARM,
        )


class FarmStatusForm(forms.Form):
    status = forms.ChoiceField(choices=Farm.Status.choices)


class InviteForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "off"})
    )
    role = forms.ChoiceField(
        label=_("Role"),
        choices=FarmMember.Role.choices,
        initial=FarmMember.Role.STAFF,
        help_text=_(
            "Owners manage the farm's people and payout details; staff the catalogue "
            "and the weekly stock."
        ),
    )


class PayoutForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Farm
        fields = ("payout_name", "payout_institution", "payout_transit", "payout_account")
        widgets = {
            "payout_institution": forms.TextInput(
                attrs={"inputmode": "numeric", "class": "input-short", "autocomplete": "off"}
            ),
            "payout_transit": forms.TextInput(
                attrs={"inputmode": "numeric", "class": "input-short", "autocomplete": "off"}
            ),
            "payout_account": forms.TextInput(
                attrs={"inputmode": "numeric", "autocomplete": "off"}
            ),
        }

    def payout_data(self) -> PayoutData:
        data = self.cleaned_data
        return PayoutData(
            payout_name=data["payout_name"],
            payout_institution=data["payout_institution"],
            payout_transit=data["payout_transit"],
            payout_account=data["payout_account"],
        )
