"""Writes of the farmer portal: a farm's profile and its catalogue.

Each function is one transaction. Views, the admin and commands call these; forms only
parse and check what people type.
"""

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from decimal import Decimal
from functools import partial

from django.core.cache import cache
from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from . import photos
from .errors import MemberError, ProductAlreadyExists
from .models import Certification, Farm, FarmMember, Product, Unit
from .selectors import SUPPLIERS_KEY


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
    estimated_weight: Decimal | None = None  # kg a piece, for a product sold by weight
    deposit: Decimal = Decimal("0.00")  # on its returnable container, charged apart


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
    """Only a package has a size: « 500 g » means nothing for a bunch; only a product
    priced per kg has a weight per piece."""
    if data.unit != Unit.PACKAGE and data.package_size:
        data = ProductData(**{**asdict(data), "package_size": ""})
    if data.unit != Unit.KG and data.estimated_weight is not None:
        data = ProductData(**{**asdict(data), "estimated_weight": None})
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


# The co-op's back office: farms created, paused, archived; their people and payouts.


@dataclass(frozen=True, kw_only=True)
class NewFarmData:
    name: str
    region: str
    town: str
    email: str
    language: str
    kind: str = "farm"


@dataclass(frozen=True, kw_only=True)
class PayoutData:
    payout_name: str
    payout_institution: str
    payout_transit: str
    payout_account: str


def _unique_slug(name: str) -> str:
    base = slugify(name)[:100] or "ferme"
    slug, n = base, 2
    # "new" is the address of the coordinators' form, next to the farms' pages.
    while slug == "new" or Farm.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def farm_create(*, data: NewFarmData) -> Farm:
    """A new, active farm (or supplier); its slug is made from its name (with -2, -3… if
    taken). Pages that say « producteur » when suppliers sell know at once."""
    farm = Farm.objects.create(slug=_unique_slug(data.name), **asdict(data))
    cache.delete(SUPPLIERS_KEY)
    return farm


@transaction.atomic
def farm_set_status(*, farm_id: int, status: str) -> Farm:
    """Pause, archive or reactivate a farm. Nothing is deleted: its weeks, statements
    and payouts stay. `is_active` (what the shop and the directory read) follows."""
    farm = Farm.objects.select_for_update().get(pk=farm_id)
    if farm.status != status:
        farm.status = status
        farm.is_active = status == Farm.Status.ACTIVE
        farm.status_changed_at = timezone.now()
        farm.save(update_fields=["status", "is_active", "status_changed_at"])
        cache.delete(SUPPLIERS_KEY)
    return farm


@transaction.atomic
def member_remove(*, farm: Farm, member_id: int) -> None:
    """Remove a member of the farm; the last owner stays (MemberError)."""
    members = list(FarmMember.objects.select_for_update().filter(farm=farm).order_by("pk"))
    member = next((m for m in members if m.pk == member_id), None)
    if member is None:
        raise MemberError(_("This person is not a member of the farm."))
    owners = [m for m in members if m.role == FarmMember.Role.OWNER]
    if member.role == FarmMember.Role.OWNER and len(owners) == 1:
        raise MemberError(_("The farm's last owner cannot be removed."))
    member.delete()


@transaction.atomic
def farm_update_payout(*, farm: Farm, data: PayoutData) -> Farm:
    values = asdict(data)
    for field, value in values.items():
        setattr(farm, field, value)
    farm.save(update_fields=list(values))
    return farm
