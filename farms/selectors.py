"""Reads about farms, with their joins."""

import unicodedata
from collections import defaultdict
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Count, Prefetch, Q, QuerySet

from .models import Category, Certification, Farm, FarmMember, Product


def farm_directory(*, region: str = "") -> QuerySet[Farm]:
    farms = (
        Farm.objects.filter(is_active=True)
        .prefetch_related(
            Prefetch("certifications", queryset=Certification.objects.order_by("name"))
        )
        .annotate(product_count=Count("products", filter=Q(products__is_active=True)))
    )
    if region:
        farms = farms.filter(region=region)
    return farms


def farms_of_member(*, user_id: int) -> QuerySet[Farm]:
    """The farms a user is a member of: the only farms a farmer may manage."""
    return Farm.objects.filter(
        pk__in=FarmMember.objects.filter(user_id=user_id).values("farm_id")
    ).order_by("name")


@dataclass(frozen=True)
class CatalogueSection:
    category: str
    label: str
    products: list[Product]


def _name_key(name: str) -> str:
    """Sort « Épinards » among the E, as a French reader expects."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def farm_catalogue(*, farm: Farm) -> list[CatalogueSection]:
    """All the farm's products, active or not: by category in the order of Category,
    then by name (accents and case aside). One query."""
    by_category: dict[str, list[Product]] = defaultdict(list)
    for product in Product.objects.filter(farm=farm):
        by_category[product.category].append(product)
    labels = dict(Category.choices)
    order = [*Category.values, *sorted(set(by_category) - set(Category.values))]
    return [
        CatalogueSection(
            category=category,
            label=str(labels.get(category, category)),
            products=sorted(by_category[category], key=lambda p: (_name_key(p.name), p.unit_label)),
        )
        for category in order
        if by_category.get(category)
    ]


SUPPLIERS_KEY = "has-suppliers:v1"
SUPPLIERS_SECONDS = 60  # a change shows within a minute (farm_create forgets it at once)


def has_suppliers() -> bool:
    """Whether a supplier (not a farm) sells in the co-op: from the cache, else one
    query. Pages that list both say « producteur » where a farms-only co-op says
    « ferme » (#18)."""
    found = cache.get(SUPPLIERS_KEY)
    if found is None:
        found = Farm.objects.filter(kind=Farm.Kind.SUPPLIER, is_active=True).exists()
        cache.set(SUPPLIERS_KEY, found, SUPPLIERS_SECONDS)
    return bool(found)
