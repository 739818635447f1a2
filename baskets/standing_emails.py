"""The standing basket's emails, and the signed links in them: the review when a week's
basket is filled (with what could not be), each sent once whatever the number of
workers (its timestamp claimed by a conditional UPDATE before sending)."""

import logging
from datetime import datetime, timedelta
from urllib.parse import urljoin

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from . import selectors
from .models import StandingWeek
from .standing import confirm_time

logger = logging.getLogger(__name__)

SALT = "baskets.standing-week"
LINK_DAYS = 14  # a week's link outlives its week: it then says the week is closed


def week_token(standing_id: int, window_id: int) -> str:
    """The link names the customer's usual basket and the week, not the week's row: a
    week skipped then taken back is filled again as a new row, and the link still works."""
    return signing.dumps({"s": standing_id, "w": window_id}, salt=SALT, compress=True)


def week_from_token(token: str) -> tuple[int, int]:
    """The usual basket and the week a link names. Raises signing.SignatureExpired (an
    old link) or signing.BadSignature (a tampered one)."""
    data = signing.loads(token, salt=SALT, max_age=timedelta(days=LINK_DAYS))
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("s"), int)
        or not isinstance(data.get("w"), int)
    ):
        raise signing.BadSignature("not a week link")
    return int(data["s"]), int(data["w"])


def _url(path: str) -> str:
    return urljoin(settings.COOP_BASE_URL, path)


def review_send(*, week_id: int, now: datetime) -> bool:
    """Email the customer their filled basket to review, once. True if sent now."""
    claimed = StandingWeek.objects.filter(pk=week_id, review_sent_at__isnull=True).update(
        review_sent_at=now
    )
    if not claimed:
        return False
    week = StandingWeek.objects.select_related(
        "standing__customer", "standing__pickup_point", "window", "order"
    ).get(pk=week_id)
    standing = week.standing
    customer = standing.customer
    basket = selectors.basket_of(customer_id=customer.pk, window=week.window)
    with translation.override(standing.language):
        context = {
            "week": week,
            "standing": standing,
            "basket": basket,
            "window": week.window,
            "confirm_at": confirm_time(week.window),
            "customer": customer,
            "coop_name": settings.COOP_NAME,
            "basket_url": _url(reverse("baskets:basket")),
            "week_url": _url(
                reverse(
                    "baskets:standing_week", args=[week_token(week.standing_id, week.window_id)]
                )
            ),
            "standing_url": _url(reverse("baskets:standing")),
        }
        subject = render_to_string("baskets/email/standing_review_subject.txt", context).strip()
        text = render_to_string("baskets/email/standing_review.txt", context)
        html = render_to_string("baskets/email/standing_review.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[customer.email])
    message.attach_alternative(html, "text/html")
    try:
        message.send()
    except Exception:
        # Sent at the next tick: the claim is given back.
        logger.exception("standing week %s: the review email could not be sent", week_id)
        StandingWeek.objects.filter(pk=week_id).update(review_sent_at=None)
        return False
    return True
