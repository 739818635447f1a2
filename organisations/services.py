"""Organisations and their people: created by a coordinator; people invited by email
(the link every invitation shares, `accounts.invitations`) with a role, accepted once,
removed; an organisation always keeps one approver. Who may do what is in
`organisations.roles`."""

from collections.abc import Callable
from functools import partial

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts import invitations as shared
from accounts.errors import InvitationAlreadyUsed, InvitationInvalid
from accounts.models import User

from .errors import OrganisationError
from .models import Organisation, OrganisationInvitation, OrganisationMember

SALT = "organisations.invitation"
Role = OrganisationMember.Role


def unique_slug(name: str) -> str:
    base = slugify(name)[:100] or "organisation"
    slug, n = base, 2
    while Organisation.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def invitation_create(
    *,
    organisation: Organisation,
    email: str,
    role: str,
    invited_by: User,
    link_for: Callable[[str], str],
) -> OrganisationInvitation:
    """Record the invitation and mail its link once committed. A person already in the
    organisation is refused. `link_for` turns the token into the accept page's URL."""
    email = User.objects.normalize_email(email).strip()
    if OrganisationMember.objects.filter(
        organisation=organisation, user__email__iexact=email
    ).exists():
        raise OrganisationError(_("This person is already a member of the organisation."))
    # A new invitation replaces one still waiting for this email: one link works.
    OrganisationInvitation.objects.filter(
        organisation=organisation, email__iexact=email, accepted_at__isnull=True
    ).delete()
    invitation = OrganisationInvitation.objects.create(
        organisation=organisation, email=email, role=role, invited_by=invited_by
    )
    token = shared.invitation_token(salt=SALT, pk=invitation.pk, email=invitation.email)
    transaction.on_commit(
        partial(invitation_send, invitation_id=invitation.pk, link=link_for(token))
    )
    return invitation


def invitation_send(*, invitation_id: int, link: str) -> None:
    invitation = (
        OrganisationInvitation.objects.select_related("organisation", "invited_by")
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None:  # replaced by a newer invitation meanwhile: that one goes
        return
    with translation.override(invitation.organisation.language):
        context = {
            "invitation": invitation,
            "organisation": invitation.organisation,
            "role": invitation.get_role_display(),
            "link": link,
            "days": shared.INVITATION_DAYS,
            "coop_name": settings.COOP_NAME,
        }
        subject = render_to_string("organisations/email/invitation_subject.txt", context)
        text = render_to_string("organisations/email/invitation.txt", context)
    EmailMultiAlternatives(subject=subject.strip(), body=text, to=[invitation.email]).send()


def invitation_from_token(token: str) -> OrganisationInvitation:
    """The invitation of a link, or InvitationInvalid, InvitationExpired,
    InvitationAlreadyUsed."""
    pk, email = shared.invitation_read(token, salt=SALT)
    invitation = (
        OrganisationInvitation.objects.select_related("organisation")
        .filter(pk=pk, email=email, organisation__is_active=True)
        .first()
    )
    if invitation is None:
        raise InvitationInvalid
    if invitation.accepted_at is not None:
        raise InvitationAlreadyUsed
    return invitation


@transaction.atomic
def invitation_accept(*, invitation: OrganisationInvitation, user: User) -> OrganisationMember:
    """Make `user` (whose email is the invitation's) a member with the invited role,
    claimed first so that two clicks make one membership. A member already in it takes
    the invited role."""
    claimed = OrganisationInvitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True
    ).update(accepted_at=timezone.now())
    if not claimed:
        raise InvitationAlreadyUsed
    _pending_for(invitation.organisation, invitation.email).delete()
    member, created = OrganisationMember.objects.get_or_create(
        organisation=invitation.organisation, user=user, defaults={"role": invitation.role}
    )
    if not created and member.role != invitation.role:
        member.role = invitation.role
        member.save(update_fields=["role"])
    return member


@transaction.atomic
def invitation_accept_new_user(
    *, invitation: OrganisationInvitation, first_name: str, last_name: str, password: str
) -> User:
    user = shared.invited_user_create(
        email=invitation.email,
        first_name=first_name,
        last_name=last_name,
        password=password,
        language=invitation.organisation.language,
    )
    invitation_accept(invitation=invitation, user=user)
    return user


@transaction.atomic
def member_remove(*, member_id: int, organisation: Organisation) -> OrganisationMember:
    """Take a person out of the organisation; its last approver stays (someone must
    approve its orders above the limit). Members are read under lock, so two removals
    at once cannot both pass the check."""
    members = list(
        OrganisationMember.objects.select_for_update(of=("self",))
        .filter(organisation=organisation)
        .select_related("user")
    )
    member = next((m for m in members if m.pk == member_id), None)
    if member is None:
        raise OrganisationError(_("This person is not a member of the organisation."))
    approvers = [m for m in members if m.role == Role.APPROVER]
    if member.role == Role.APPROVER and len(approvers) == 1:
        raise OrganisationError(
            _("An organisation keeps at least one approver: invite another one first.")
        )
    member.delete()
    # No link still waiting lets them back in on their own.
    _pending_for(organisation, member.user.email).delete()
    return member


def _pending_for(organisation: Organisation, email: str) -> "QuerySet[OrganisationInvitation]":
    return OrganisationInvitation.objects.filter(
        organisation=organisation, email__iexact=email, accepted_at__isnull=True
    )
