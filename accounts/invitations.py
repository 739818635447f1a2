"""What every invitation by email shares (a farm's people, an organisation's): the
signed link and the account an invited person creates from it.

The link carries `signing.dumps({"i": <invitation id>, "e": <email>})` with a salt of
its own per kind: a signed, timestamped token, valid INVITATION_DAYS. Nothing secret is
in it, but it cannot be forged nor altered; the invitation's `accepted_at` (each kind's
row) makes it work once."""

from datetime import timedelta

from allauth.account.models import EmailAddress
from django.core import signing

from .errors import InvitationExpired, InvitationInvalid
from .models import User

INVITATION_DAYS = 14


def invitation_token(*, salt: str, pk: int, email: str) -> str:
    return signing.dumps({"i": pk, "e": email}, salt=salt, compress=True)


def invitation_read(token: str, *, salt: str) -> tuple[int, str]:
    """The (invitation id, email) a link carries, or InvitationInvalid (altered or
    made up), InvitationExpired (older than INVITATION_DAYS)."""
    try:
        data = signing.loads(token, salt=salt, max_age=timedelta(days=INVITATION_DAYS))
    except signing.SignatureExpired as error:
        raise InvitationExpired from error
    except signing.BadSignature as error:
        raise InvitationInvalid from error
    if not isinstance(data, dict) or not isinstance(data.get("i"), int):
        raise InvitationInvalid
    return data["i"], str(data.get("e", ""))


def invited_user_create(
    *, email: str, first_name: str, last_name: str, password: str, language: str
) -> User:
    """The account of an invited email, verified (the link proves the address).
    Refused (InvitationInvalid) if the email has an account meanwhile."""
    if User.objects.filter(email__iexact=email).exists():
        raise InvitationInvalid
    user = User.objects.create_user(
        email=email,
        password=password,
        first_name=first_name,
        last_name=last_name,
        language=language,
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user
