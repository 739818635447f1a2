"""The customer's store credit: the balance, every entry with its reason and date, and
the choice to keep money owed back as credit rather than on the card."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.roles import AuthenticatedHttpRequest
from orders.models import CreditAccount, CreditEntry
from payments import credit, ledger


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def my_credit(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.method == "POST":
        keep = request.POST.get("keep_refunds") == "1"
        credit.keep_refunds_set(customer_id=request.user.pk, keep=keep)
        if keep:
            messages.success(request, _("Money owed back to you will go to your store credit."))
        else:
            messages.success(request, _("Money owed back to you will go back to your card."))
        return redirect("baskets:my_credit")
    account = CreditAccount.objects.filter(customer_id=request.user.pk).first()
    entries = (
        CreditEntry.objects.filter(account__customer_id=request.user.pk)
        .select_related("product")
        .order_by("-created_at", "-pk")[:200]
    )
    return render(
        request,
        "baskets/my_credit.html",
        {
            "balance": ledger.credit_balance(request.user.pk),
            "entries": entries,
            "keep_refunds": bool(account and account.keep_refunds),
        },
    )
