"""A coordinator writes to the week's customers: write, preview (the email as sent, in
French and in English, with the count), then send; the week's announcements below."""

import uuid

from django.contrib import messages
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from accounts.roles import AuthenticatedHttpRequest, coordinator_required
from orders.models import OrderWindow, PickupPoint

from . import announcements
from .forms import AnnouncementForm


def _points(window: OrderWindow) -> list[PickupPoint]:
    return list(
        PickupPoint.objects.filter(Q(is_active=True) | Q(orders__window=window))
        .distinct()
        .order_by("name")
    )


@coordinator_required
def coordinator_announcements(request: AuthenticatedHttpRequest, window_id: int) -> HttpResponse:
    window = get_object_or_404(OrderWindow, pk=window_id)
    points = _points(window)
    form = AnnouncementForm(request.POST or None, points=points)
    context: dict[str, object] = {"window": window, "form": form}
    status = 200
    action = request.POST.get("action", "preview") if request.method == "POST" else ""
    if request.method == "POST":
        if action != "edit" and form.is_valid():
            data = form.cleaned_data
            draft = announcements.Draft(
                subject=data["subject"],
                body=data["body"],
                subject_en=data["subject_en"],
                body_en=data["body_en"],
                pickup_point_id=data["pickup_point"],
            )
            if action == "send":
                try:
                    expected = int(request.POST.get("expected", ""))
                    key = uuid.UUID(request.POST.get("draft_key", ""))
                except ValueError:
                    form.add_error(None, _("This preview cannot be sent: preview it again."))
                    return _page(request, context, points, draft, status=400)
                try:
                    sent = announcements.announcement_send(
                        window_id=window.pk,
                        draft=draft,
                        expected=expected,
                        author_id=request.user.pk,
                        now=timezone.now(),
                        draft_key=key,
                    )
                except announcements.AlreadySent as refusal:  # Back, or a double tap
                    messages.error(request, refusal.message)
                    context["form"] = AnnouncementForm(points=points)  # a new one, empty
                    context["sent"] = announcements.announcements_of(window=window)
                    return render(request, "baskets/announcements.html", context, status=409)
                except announcements.AnnouncementError as refusal:
                    form.add_error(None, refusal.message)
                    status = 409
                else:
                    messages.success(
                        request,
                        ngettext(
                            "The announcement is being sent to %(count)d customer.",
                            "The announcement is being sent to %(count)d customers.",
                            sent.recipients,
                        )
                        % {"count": sent.recipients},
                    )
                    return redirect("baskets:coordinator_announcements", window_id=window.pk)
            return _page(request, context, points, draft, status=status)
        if action != "edit":
            status = 422
    context["sent"] = announcements.announcements_of(window=window)
    return render(request, "baskets/announcements.html", context, status=status)


def _page(
    request: AuthenticatedHttpRequest,
    context: dict[str, object],
    points: list[PickupPoint],
    draft: announcements.Draft,
    *,
    status: int,
) -> HttpResponse:
    """The preview: the email as each language reads it (for a customer named
    ‹first name›), the count, whom to call, and a one-time key for the send."""
    window = context["window"]
    assert isinstance(window, OrderWindow)  # noqa: S101
    point = next((p for p in points if p.pk == draft.pickup_point_id), None)
    sample = User(first_name=f"‹{_('first name')}›", email="")
    context["audience"] = announcements.audience(window=window, point_id=draft.pickup_point_id)
    context["to_call"] = announcements.opted_out_people(
        window=window, point_id=draft.pickup_point_id
    )
    context["draft_key"] = uuid.uuid4()
    context["previews"] = [
        (label, *announcements.render(draft, window=window, point=point, user=sample,
                                      language=language, preview=True))
        for language, label in (("fr-ca", _("In French")), ("en", _("In English")))
    ]  # fmt: skip
    context["sent"] = announcements.announcements_of(window=window)
    return render(request, "baskets/announcements.html", context, status=status)
