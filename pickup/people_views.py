"""People, for coordinators (403 for others): the accounts with their roles, a person's
orders and payments, granting or removing the coordinator role, deactivating and
reactivating an account."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.models import User
from accounts.roles import AuthenticatedHttpRequest, coordinator_required

from . import people
from .forms import PeopleSearchForm

PER_PAGE = 50


@coordinator_required
@require_safe
def people_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = PeopleSearchForm(request.GET)
    q = form.cleaned_data["q"].strip() if form.is_valid() else ""
    page = Paginator(people.people_search(q=q), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "pickup/people.html", {"form": form, "q": q, "page": page})


@coordinator_required
@require_safe
def person_detail(request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
    person = get_object_or_404(people.people_search(), pk=user_id)
    return render(
        request,
        "pickup/people_detail.html",
        {
            "person": person,
            "orders": people.person_orders(person=person),
            "payments": people.person_payments(person=person),
            "is_self": person.pk == request.user.pk,
        },
    )


@require_POST
@coordinator_required
def person_role(request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
    person = get_object_or_404(User, pk=user_id)
    grant = request.POST.get("coordinator") == "1"
    try:
        people.person_role_set(actor=request.user, person_id=person.pk, coordinator=grant)
    except people.SelfChangeRefused as refusal:
        messages.error(request, refusal.message)
    else:
        if grant:
            messages.success(request, _("%(person)s is now a coordinator.") % {"person": person})
        else:
            messages.success(
                request, _("%(person)s is no longer a coordinator.") % {"person": person}
            )
    return redirect("pickup:coordinator_person", user_id=person.pk)


@require_POST
@coordinator_required
def person_active(request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
    person = get_object_or_404(User, pk=user_id)
    active = request.POST.get("active") == "1"
    try:
        people.person_active_set(actor=request.user, person_id=person.pk, active=active)
    except people.SelfChangeRefused as refusal:
        messages.error(request, refusal.message)
    else:
        if active:
            messages.success(
                request, _("%(person)s's account is active again.") % {"person": person}
            )
        else:
            messages.success(
                request,
                _("%(person)s's account is deactivated; their orders and payments are kept.")
                % {"person": person},
            )
    return redirect("pickup:coordinator_person", user_id=person.pk)
