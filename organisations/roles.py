"""Who may see and do what in an organisation: its members see its page; its approvers
(and coordinators) manage its people. Anyone else gets a 404, as for a farm one is not
in: the page does not say that the organisation exists."""

from django.http import Http404

from accounts.models import User

from .models import Organisation, OrganisationMember

Role = OrganisationMember.Role


def membership(user: User, organisation: Organisation) -> OrganisationMember | None:
    return OrganisationMember.objects.filter(organisation=organisation, user=user).first()


def organisation_for(user: User, slug: str) -> tuple[Organisation, OrganisationMember | None]:
    """The organisation of `slug` and the user's membership (None for a coordinator
    who is not in it); a 404 for anyone else."""
    organisation = Organisation.objects.filter(slug=slug, is_active=True).first()
    if organisation is None:
        raise Http404
    member = membership(user, organisation)
    if member is None and not user.is_coordinator:
        raise Http404
    return organisation, member


def may_manage_people(user: User, member: OrganisationMember | None) -> bool:
    return user.is_coordinator or (member is not None and member.role == Role.APPROVER)


def organisations_of(user: User) -> list[OrganisationMember]:
    return list(
        OrganisationMember.objects.filter(user=user, organisation__is_active=True)
        .select_related("organisation")
        .order_by("organisation__legal_name")
    )
