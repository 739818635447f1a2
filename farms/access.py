"""Which farm a portal page is about, and whether the user may manage it.

A farmer manages the farms they are a member of; a coordinator may manage any farm
(co-ops enter stock for farms that phone it in). Anyone else gets a 404, so a farm's
portal URLs reveal nothing to outsiders.
"""

from django.http import Http404

from accounts.models import User

from .models import Farm, FarmMember


def managed_farms(user: User) -> list[Farm]:
    if not user.is_authenticated:
        return []
    if user.is_coordinator:
        return list(Farm.objects.filter(is_active=True).order_by("name"))
    return list(Farm.objects.filter(members__user=user).order_by("name"))


def managed_farm(user: User, slug: str) -> Farm:
    """The farm of this portal URL, or 404 if the user may not manage it."""
    farms = Farm.objects.filter(slug=slug)
    if not user.is_authenticated:
        raise Http404
    if not user.is_coordinator:
        farms = farms.filter(members__user=user)
    farm = farms.first()
    if farm is None:
        raise Http404
    return farm


def owned_farm(user: User, slug: str) -> Farm:
    """The farm of this portal URL if the user is one of its owners (or a coordinator),
    else 404: its staff see the catalogue and the stock, not its people nor payouts."""
    if not user.is_authenticated:
        raise Http404
    farms = Farm.objects.filter(slug=slug)
    if not user.is_coordinator:
        farms = farms.filter(members__user=user, members__role=FarmMember.Role.OWNER)
    farm = farms.first()
    if farm is None:
        raise Http404
    return farm


def owns(user: User, farm: Farm) -> bool:
    return (
        user.is_coordinator or farm.members.filter(user=user, role=FarmMember.Role.OWNER).exists()
    )


def portal_context(user: User, farm: Farm, tab: str) -> dict[str, object]:
    """What templates/farms/portal_base.html needs: the farm, the switch, the tab."""
    return {
        "farm": farm,
        "portal_farms": managed_farms(user),
        "portal_tab": tab,
        "portal_owner": owns(user, farm),
    }
