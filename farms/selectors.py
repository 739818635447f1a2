"""Reads about farms, with their joins."""

from django.db.models import Count, Prefetch, Q, QuerySet

from .models import Certification, Farm, FarmMember


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
