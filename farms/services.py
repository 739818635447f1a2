"""Writes of the farmer portal: a farm's profile and its catalogue.

Each function is one transaction. Views, the admin and commands call these; forms only
parse and check what people type.
"""

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from decimal import Decimal
from functools import partial

from django.core.files import File
from django.db import IntegrityError, transaction

from . import photos
from .errors import ProductAlreadyExists
from .models import Certification, Farm, Product, Unit


@dataclass(frozen=True, kw_only=True)
class FarmProfileData:
    """What a farm says about itself. Its slug is not here: it never changes, since
    it is in every link already shared."""

    name: str
    town: str
    region: str
    description: str
    practices: str
    email: str
    phone: str
    website: str
    language: str


@dataclass(frozen=True, kw_only=True)
class ProductData:
    name: str
    category: str
    description: str
    unit: str
    package_size: str
    price: Decimal
    tax_class: str
    is_active: bool
    default_quantity: int


@transaction.atomic
def farm_update_profile(
    *,
    farm: Farm,
    data: FarmProfileData,
    certifications: Iterable[Certification],
    photo: File | None = None,
    remove_photo: bool = False,
) -> Farm:
    """Save the farm's profile. `photo` replaces the current photo; `remove_photo`
    (without a new photo) leaves the farm without one."""
    values = asdict(data)
    for field, value in values.items():
        setattr(farm, field, value)
    replaced = _set_photo(farm, photo=photo, remove=remove_photo)
    farm.save(update_fields=[*values, "photo", "thumbnail"])
    farm.certifications.set(certifications)
    _delete_files_after_commit(farm, replaced)
    return farm


@transaction.atomic
def product_create(*, farm: Farm, data: ProductData, photo: File | None = None) -> Product:
    """Add a product to the farm's catalogue; ProductAlreadyExists if it has it already."""
    product = Product(farm=farm, **asdict(_normalized(data)))
    _set_photo(product, photo=photo, remove=False)
    _save_unique(product)
    return product


@transaction.atomic
def product_update(
    *,
    product: Product,
    data: ProductData,
    photo: File | None = None,
    remove_photo: bool = False,
) -> Product:
    """Change a catalogue entry and return it as saved; the `product` given is left as
    it was, so a refused change (ProductAlreadyExists) shows nowhere. Offers already
    published keep their own price."""
    saved = Product.objects.select_for_update().get(pk=product.pk)
    for field, value in asdict(_normalized(data)).items():
        setattr(saved, field, value)
    replaced = _set_photo(saved, photo=photo, remove=remove_photo)
    _save_unique(saved)
    _delete_files_after_commit(saved, replaced)
    return saved


def _normalized(data: ProductData) -> ProductData:
    """Only a package has a size: « 500 g » means nothing for a bunch."""
    if data.unit != Unit.PACKAGE and data.package_size:
        return ProductData(**{**asdict(data), "package_size": ""})
    return data


def _duplicate_exists(product: Product) -> bool:
    return (
        Product.objects.filter(
            farm_id=product.farm_id,
            name=product.name,
            unit=product.unit,
            package_size=product.package_size,
        )
        .exclude(pk=product.pk)
        .exists()
    )


def _save_unique(product: Product) -> None:
    """Save, turning the farm's unique-product rule into ProductAlreadyExists (checked
    first for a clear answer; the constraint still decides between two racing saves)."""
    if _duplicate_exists(product):
        raise ProductAlreadyExists
    try:
        with transaction.atomic():  # a savepoint, so the check below can still query
            product.save()
    except IntegrityError as error:
        if _duplicate_exists(product):
            raise ProductAlreadyExists from error
        raise


def _set_photo(instance: Farm | Product, *, photo: File | None, remove: bool) -> list[str]:
    """Put the new photo (with its thumbnail), or none, on the instance; the names of
    the files it replaces, to delete once the change is committed."""
    current = [name for name in (instance.photo.name, instance.thumbnail.name) if name]
    if photo is not None:
        instance.photo = photo  # type: ignore[assignment]  # stored by save()
        instance.thumbnail = photos.thumbnail(photo)  # type: ignore[arg-type,assignment]
    elif remove:
        instance.photo = ""  # type: ignore[assignment]
        instance.thumbnail = ""  # type: ignore[assignment]
    else:
        return []
    return current


def _delete_files_after_commit(instance: Farm | Product, names: list[str]) -> None:
    storage = instance.photo.storage
    for name in names:
        transaction.on_commit(partial(storage.delete, name))
