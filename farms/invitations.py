"""Inviting people to a farm, and their accepting the invitation.

The link and the new account are those every invitation shares (`accounts.invitations`,
with this kind's salt); `accepted_at` makes a link work once. The email goes after
commit, in the farm's language.
"""

from collections.abc import Callable
from functools import partial

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts import invitations as shared
from accounts.models import User

from .errors import InvitationAlreadyUsed, InvitationInvalid, MemberError
from .models import Farm, FarmInvitation, FarmMember

SALT = "farms.invitation"
INVITATION_DAYS = shared.INVITATION_DAYS


def invitation_token(invitation: FarmInvitation) -> str:
    return shared.invitation_token(salt=SALT, pk=invitation.pk, email=invitation.email)


def invitation_from_token(token: str) -> FarmInvitation:
    """The invitation of a link, or InvitationInvalid (altered or made up),
    InvitationExpired (older than INVITATION_DAYS), InvitationAlreadyUsed."""
    pk, email = shared.invitation_read(token, salt=SALT)
    invitation = FarmInvitation.objects.select_related("farm").filter(pk=pk, email=email).first()
    if invitation is None:
        raise InvitationInvalid
    if invitation.accepted_at is not None:
        raise InvitationAlreadyUsed
    return invitation


@transaction.atomic
def invitation_create(
    *, farm: Farm, email: str, role: str, invited_by: User, link_for: Callable[[str], str]
) -> FarmInvitation:
    """Record the invitation and mail its link once committed. A person already in the
    farm is refused (MemberError). `link_for` turns the token into the accept page's
    absolute URL (the view knows the host)."""
    email = User.objects.normalize_email(email).strip()
    if FarmMember.objects.filter(farm=farm, user__email__iexact=email).exists():
        raise MemberError(_("This person is already a member of the farm."))
    invitation = FarmInvitation.objects.create(
        farm=farm, email=email, role=role, invited_by=invited_by
    )
    link = link_for(invitation_token(invitation))
    transaction.on_commit(partial(send_invitation, invitation_id=invitation.pk, link=link))
    return invitation


def send_invitation(*, invitation_id: int, link: str) -> None:
    invitation = FarmInvitation.objects.select_related("farm", "invited_by").get(pk=invitation_id)
    with translation.override(invitation.farm.language):
        context = {
            "invitation": invitation,
            "farm": invitation.farm,
            "role": invitation.get_role_display(),
            "link": link,
            "days": INVITATION_DAYS,
            "coop_name": settings.COOP_NAME,
        }
        subject = render_to_string("farms/email/invitation_subject.txt", context).strip()
        text = render_to_string("farms/email/invitation.txt", context)
    EmailMultiAlternatives(subject=subject, body=text, to=[invitation.email]).send()


@transaction.atomic
def invitation_accept(*, invitation: FarmInvitation, user: User) -> FarmMember:
    """Make `user` (whose email is the invitation's) a member with the invited role.
    The invitation is claimed first, so two clicks make one membership."""
    claimed = FarmInvitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).update(
        accepted_at=timezone.now()
    )
    if not claimed:
        raise InvitationAlreadyUsed
    member, created = FarmMember.objects.get_or_create(
        farm=invitation.farm, user=user, defaults={"role": invitation.role}
    )
    if not created and invitation.role == FarmMember.Role.OWNER:
        member.role = FarmMember.Role.OWNER  # an invitation never lowers a role
        member.save(update_fields=["role"])
    return member


@transaction.atomic
def invitation_accept_new_user(
    *, invitation: FarmInvitation, first_name: str, last_name: str, password: str
) -> User:
    """Create the account of the invited email (verified: the link proves it), then
    accept. Refused (InvitationInvalid) if the email has an account meanwhile."""
    user = shared.invited_user_create(
        email=invitation.email,
        first_name=first_name,
        last_name=last_name,
        password=password,
        language=invitation.farm.language,
    )
    invitation_accept(invitation=invitation, user=user)
    return user
