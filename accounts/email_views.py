"""The person's email preferences, and the unsubscribe link of every non-transactional
email (it works without logging in: the signed token names the person and the kind)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt

from . import consent
from .models import ConsentRecord, User
from .roles import AuthenticatedHttpRequest

LABELS = {
    "reminders": gettext_lazy("Reminders: ordering is open, the deadline is near, pickup day"),
    "announcements": gettext_lazy("Announcements about my week (a pickup moved, a shortage)"),
    "news": gettext_lazy("News of the co-op and its farms"),
}


class PreferencesForm(forms.Form):
    reminders = forms.BooleanField(required=False, label=LABELS["reminders"])
    announcements = forms.BooleanField(required=False, label=LABELS["announcements"])
    news = forms.BooleanField(required=False, label=LABELS["news"])


@login_required
def email_preferences(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    initial: dict[str, object] = {kind: consent.wants(user, kind) for kind in consent.KINDS}
    form = PreferencesForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        consent.preferences_set(user, form.cleaned_data, how=ConsentRecord.How.PAGE)
        messages.success(request, _("Your email preferences are saved."))
        return redirect("accounts:email_preferences")
    return render(request, "accounts/email_preferences.html", {"form": form})


# One-click unsubscribe (RFC 8058): the mail client POSTs "List-Unsubscribe=One-Click"
# to the link itself, with no cookie and no CSRF token; the signed token in the URL is
# the only authority needed, and it can only turn an email off.
@csrf_exempt
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user_id, kind = consent.token_read(token)
    except signing.BadSignature:
        return render(request, "accounts/unsubscribe_bad.html", status=400)
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return render(request, "accounts/unsubscribe_bad.html", status=400)
    done = False
    if request.method == "POST":
        one_click = request.POST.get("List-Unsubscribe") == "One-Click"  # RFC 8058
        consent.unsubscribe(
            user, kind, how=ConsentRecord.How.ONE_CLICK if one_click else ConsentRecord.How.LINK
        )
        done = True
    return render(
        request,
        "accounts/unsubscribe.html",
        {"what": LABELS[kind], "done": done, "email": user.email},
    )
