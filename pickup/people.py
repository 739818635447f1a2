"""People, for coordinators: finding an account, what it ordered and paid, and the two
writes a coordinator makes on it (the coordinator role; deactivating and reactivating).

An account is never deleted here: deactivating it (User.is_active = False) stops its
logins and keeps its orders and its accounting as they are.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from accounts.models import User
from common.errors import DomainError
from farms.models import FarmMember, Product
from orders.models import CreditEntry, Order, Payment
from payments import credit, ledger


class SelfChangeRefused(DomainError):
    """A coordinator may not take away their own role nor deactivate themselves."""


def people_search(*, q: str = "") -> QuerySet[User]:
    """Accounts whose name, email or phone contains `q` (case-insensitive), each with its
    roles annotated (`coordinator`, `farmer`), so a page of them is one query."""
    coordinators = User.groups.through.objects.filter(
        user_id=OuterRef("pk"), group__name=settings.COORDINATORS_GROUP
    )
    people = User.objects.annotate(
        in_coordinators=Exists(coordinators),
        farmer=Exists(FarmMember.objects.filter(user_id=OuterRef("pk"))),
    ).order_by("last_name", "first_name", "email")
    for word in q.split():
        people = people.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(email__icontains=word)
            | Q(phone__icontains=word)
        )
    return people


@dataclass(frozen=True, slots=True)
class OrderRow:
    order: Order
    state: ledger.PaymentState


def person_orders(*, person: User) -> list[OrderRow]:
    """The person's orders, newest week first, each with its payment state (what it
    costs, what came in), in a fixed number of queries."""
    orders = (
        Order.objects.filter(customer=person)
        .exclude(status=Order.Status.BASKET)
        .select_related("window", "pickup_point")
        .prefetch_related(
            "lines",
            "receipts",
            Prefetch("payments", queryset=Payment.objects.prefetch_related("refunds")),
        )
        .order_by("-window__pickup_date", "-pk")
    )
    balance = ledger.credit_balance(person.pk)
    return [OrderRow(o, ledger.payment_state(o, list(o.payments.all()), balance)) for o in orders]


def person_payments(*, person: User) -> list[Payment]:
    return list(
        Payment.objects.filter(order__customer=person)
        .select_related("order__window")
        .order_by("-created_at", "-pk")
    )


def _coordinators() -> Group:
    group, _created = Group.objects.get_or_create(name=settings.COORDINATORS_GROUP)
    return group


@transaction.atomic
def person_role_set(*, actor: User, person_id: int, coordinator: bool) -> User:
    """Grant or remove the coordinator role (the group settings.COORDINATORS_GROUP)."""
    person = User.objects.select_for_update().get(pk=person_id)
    if person.pk == actor.pk and not coordinator:
        raise SelfChangeRefused(_("You cannot remove your own coordinator role."))
    if coordinator:
        person.groups.add(_coordinators())
    else:
        person.groups.remove(*Group.objects.filter(name=settings.COORDINATORS_GROUP))
    return person


@transaction.atomic
def person_active_set(*, actor: User, person_id: int, active: bool) -> User:
    """Deactivate or reactivate an account; its orders and accounting stay as they are."""
    person = User.objects.select_for_update().get(pk=person_id)
    if person.pk == actor.pk and not active:
        raise SelfChangeRefused(_("You cannot deactivate your own account."))
    if person.is_active != active:
        person.is_active = active
        person.save(update_fields=["is_active"])
    return person


@dataclass(frozen=True, slots=True)
class PersonCredit:
    balance: Decimal
    entries: list[CreditEntry]


def person_credit(*, person: User) -> PersonCredit:
    """The person's store credit and its latest entries (newest first)."""
    entries = list(
        CreditEntry.objects.filter(account__customer=person)
        .select_related("author", "product")
        .order_by("-created_at", "-pk")[:100]
    )
    return PersonCredit(balance=ledger.credit_balance(person.pk), entries=entries)


def containers_out(*, person: User) -> list[tuple[int, str, int, Decimal]]:
    """(product id, name, count, deposit each) of the containers with a deposit the
    person has out."""
    out = credit.containers_out(person.pk)
    products = {
        pk: (name, deposit)
        for pk, name, deposit in Product.objects.filter(pk__in=out).values_list(
            "pk", "name", "deposit"
        )
    }
    return sorted(
        ((pk, products[pk][0], n, products[pk][1]) for pk, n in out.items()),
        key=lambda row: row[1],
    )
