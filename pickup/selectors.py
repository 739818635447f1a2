"""Reads of pickup day: what /healthz says about the week's machinery."""

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from orders.models import OrderWindow

from .closing import LEASE
from .models import Heartbeat

BEAT_SILENCE = timedelta(minutes=3)  # three ticks missed
OVERDUE_GRACE = timedelta(minutes=5)  # the tick closes a window within a minute


def machinery_problems(*, now: datetime) -> list[str]:
    """Why the co-op's week is not running as it should, in words for whoever is on
    call: beat silent, a window open past its deadline, a close that stopped."""
    problems = []
    beat = Heartbeat.objects.filter(name="beat").values_list("at", flat=True).first()
    if beat is None or beat < now - BEAT_SILENCE:
        problems.append(_("beat has not ticked for 3 minutes (or no worker runs its ticks)"))
    for pk, closes_at in OrderWindow.objects.filter(
        status__in=(OrderWindow.Status.SCHEDULED, OrderWindow.Status.OPEN),
        closes_at__lt=now - OVERDUE_GRACE,
    ).values_list("pk", "closes_at"):
        problems.append(
            _("window %(id)s is open past its deadline (%(deadline)s)")
            % {"id": pk, "deadline": timezone.localtime(closes_at).isoformat(timespec="minutes")}
        )
    for pk, heartbeat in OrderWindow.objects.filter(status=OrderWindow.Status.CLOSING).values_list(
        "pk", "close_heartbeat"
    ):
        if heartbeat is None or heartbeat < now - LEASE:
            problems.append(
                _("window %(id)s is closing with no progress for 10 minutes") % {"id": pk}
            )
    return problems
