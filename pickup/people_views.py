"""People, for coordinators (403 for others): the accounts with their roles, a person's
orders, payments and store credit (goodwill, corrections, containers returned),
granting or removing the coordinator role, deactivating and reactivating an account."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.models import User
from accounts.roles import AuthenticatedHttpRequest, coordinator_required
from common.errors import DomainError
from common.money import format_money
from payments import credit

from . import people
from .forms import ContainersForm, CreditForm, PeopleSearchForm

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
    return _detail(request, person)


def _detail(
    request: AuthenticatedHttpRequest,
    person: User,
    *,
    credit_form: CreditForm | None = None,
    containers_form: ContainersForm | None = None,
    status: int = 200,
) -> HttpResponse:
    out = people.containers_out(person=person)
    return render(
        request,
        "pickup/people_detail.html",
        {
            "person": person,
            "orders": people.person_orders(person=person),
            "payments": people.person_payments(person=person),
            "is_self": person.pk == request.user.pk,
            "credit": people.person_credit(person=person),
            "containers": out,
            "credit_form": credit_form or CreditForm(),
            "containers_form": containers_form or ContainersForm(out=out),
        },
        status=status,
    )


@require_POST
@coordinator_required
def person_credit_add(request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
    """A goodwill gesture or a correction of the person's store credit."""
    person = get_object_or_404(people.people_search(), pk=user_id)
    form = CreditForm(request.POST)
    if form.is_valid():
        try:
            entry = credit.credit_add(
                customer_id=person.pk,
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
                author_id=request.user.pk,
                note=form.cleaned_data["note"],
            )
        except DomainError as refusal:
            form.add_error("amount", refusal.message)
        else:
            messages.success(
                request,
                _("%(person)s's store credit is now %(balance)s.")
                % {"person": person, "balance": format_money(entry.balance_after)},
            )
            return redirect(f"{reverse('pickup:coordinator_person', args=[person.pk])}#credit")
    return _detail(request, person, credit_form=form, status=422)


@require_POST
@coordinator_required
def person_containers_return(request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
    """Containers the person brought back: their deposit goes to the store credit."""
    person = get_object_or_404(people.people_search(), pk=user_id)
    form = ContainersForm(request.POST, out=people.containers_out(person=person))
    if form.is_valid():
        try:
            entry = credit.containers_return(
                customer_id=person.pk,
                product_id=form.cleaned_data["product"],
                containers=form.cleaned_data["containers"],
                author_id=request.user.pk,
            )
        except DomainError as refusal:
            form.add_error("containers", refusal.message)
        else:
            messages.success(
                request,
                _("%(amount)s of deposits credited to %(person)s.")
                % {"amount": format_money(entry.amount), "person": person},
            )
            return redirect(f"{reverse('pickup:coordinator_person', args=[person.pk])}#credit")
    return _detail(request, person, containers_form=form, status=422)


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
