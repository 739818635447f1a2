"""Receipts for the coordinators (#17): download one, reissue it (same number, drawn
again from the order as it stands) or cancel it with a credit note. The customer's own
download is `baskets.views.order_receipt`."""

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.roles import AuthenticatedHttpRequest, coordinator_required
from orders.models import Receipt

from . import receipts
from .errors import PickupError


def receipt_file(receipt: Receipt) -> FileResponse:
    """The receipt's PDF, shown in the browser; 404 while it is being drawn."""
    if not receipt.pdf:
        raise Http404(_("This receipt is being prepared: try again in a minute."))
    name = f"{receipt.get_kind_display()}-{receipt.number}.pdf".replace(" ", "-")
    return FileResponse(receipt.pdf.open("rb"), content_type="application/pdf", filename=name)


@coordinator_required
@require_safe
def receipt_download(request: AuthenticatedHttpRequest, number: int) -> FileResponse:
    return receipt_file(get_object_or_404(Receipt, number=number))


def _back(receipt: Receipt) -> str:
    if receipt.order.customer_id:
        return reverse("pickup:coordinator_person", args=[receipt.order.customer_id])
    return reverse("pickup:coordinator_window", args=[receipt.order.window_id])


@coordinator_required
@require_POST
def receipt_reissue(request: AuthenticatedHttpRequest, number: int) -> HttpResponse:
    receipt = get_object_or_404(Receipt.objects.select_related("order"), number=number)
    try:
        receipts.receipt_reissue(receipt_id=receipt.pk, by=request.user)
    except PickupError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request, _("Receipt %(number)s reissued, with its number.") % {"number": number}
        )
    return redirect(_back(receipt))


@coordinator_required
@require_POST
def credit_note_create(request: AuthenticatedHttpRequest, number: int) -> HttpResponse:
    receipt = get_object_or_404(Receipt.objects.select_related("order"), number=number)
    try:
        note = receipts.credit_note_issue(receipt_id=receipt.pk, by=request.user)
    except PickupError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request,
            _("Credit note %(note)s issued: it cancels receipt %(number)s.")
            % {"note": note.number, "number": number},
        )
    return redirect(_back(receipt))
