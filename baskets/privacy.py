"""A customer's personal information under Québec's Law 25: what we hold on them, as a
file they can download, and the erasure of their account.

Erasure keeps the accounting: orders, lines, payments, refunds and the settlements
they were counted in stay, without the person. The user row stays as an anonymous,
inactive placeholder (so every order still has a customer id) with no email, name,
phone or password; their email addresses, sessions and saved Stripe customer go; the
lists and sheets of the weeks they appear in are rebuilt without their name; their
Stripe customer (with the saved cards) is deleted at Stripe by a task after commit.
"""

import io
import json
import zipfile
from datetime import datetime
from decimal import Decimal
from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils.translation import gettext as _

from accounts import consent
from accounts.models import ConsentRecord, EmailPreferences, User
from common.errors import DomainError
from common.money import format_money
from common.spreadsheet import csv_bytes
from orders.basket import basket_give_back_all
from orders.models import CreditEntry, Order, OrderLine, OrderWindow, Payment, StripeCustomer
from organisations.models import OrganisationMember
from payments import jobs as payment_jobs
from payments.ledger import credit_balance
from pickup import jobs as pickup_jobs

from .models import StandingBasket, StandingLine

STILL_GOING = (Order.Status.CONFIRMED, Order.Status.LOCKED)


class PrivacyError(DomainError):
    """The account cannot be erased now (an order is under way)."""


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def customer_data(*, user: User) -> dict[str, Any]:
    """Everything we hold on the customer, as plain values (a fixed number of queries)."""
    orders = list(
        Order.objects.filter(customer=user)
        .select_related("window", "pickup_point", "pickup_slot")
        .order_by("window__pickup_date", "pk")
    )
    lines = (
        OrderLine.objects.filter(order__customer=user)
        .select_related("offer__product__farm")
        .order_by("order_id", "pk")
    )
    payments = Payment.objects.filter(order__customer=user).order_by("order_id", "pk")
    return {
        "profile": {
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "phone": user.phone,
            "language": user.language,
            "joined": _plain(user.date_joined),
            "last_login": _plain(user.last_login),
        },
        "consents": [
            {
                "what": "email address" if not address.primary else "email address (primary)",
                "email": address.email,
                "verified": address.verified,
            }
            for address in EmailAddress.objects.filter(user=user).order_by("pk")
        ],
        "email_preferences": consent.preferences_of(user),
        "email_consent_history": [
            {"emails": r.kind, "given": r.given, "at": _plain(r.at), "how": r.how}
            for r in ConsentRecord.objects.filter(user=user).order_by("at", "pk")
        ],
        "orders": [
            {
                "number": o.pk,
                "pickup_date": o.window.pickup_date.isoformat(),
                "status": o.status,
                "pickup_point": o.pickup_point.name if o.pickup_point else "",
                "pickup_slot": str(o.pickup_slot) if o.pickup_slot else "",
                "payment_method": o.payment_method,
                "language": o.language,
                "confirmed_at": _plain(o.confirmed_at),
            }
            for o in orders
        ],
        "order_lines": [
            {
                "order": line.order_id,
                "farm": line.offer.product.farm.name,
                "product": line.offer.product.name,
                "quantity": line.quantity,
                "units_short": line.shortage,
                "unit_price": _plain(line.unit_price),
            }
            for line in lines
        ],
        "payments": [
            {
                "order": p.order_id,
                "method": p.method,
                "kind": p.kind,
                "status": p.status,
                "captured": _plain(p.amount_captured),
                "refunded": _plain(p.amount_refunded),
                "created_at": _plain(p.created_at),
            }
            for p in payments
        ],
        "store_credit": [
            {
                "date": _plain(e.created_at),
                "reason": e.reason,
                "amount": _plain(e.amount),
                "balance_after": _plain(e.balance_after),
                "order": e.order_id,
                "note": e.note,
                "containers": e.containers,
            }
            for e in CreditEntry.objects.filter(account__customer=user).order_by("created_at", "pk")
        ],
        "organisations": [
            {"organisation": m.organisation.legal_name, "role": m.role}
            for m in OrganisationMember.objects.filter(user=user).select_related("organisation")
        ],
        "usual_basket": [
            {
                "farm": line.product.farm.name,
                "product": line.product.name,
                "quantity": line.quantity,
                "status": line.standing.status,
                "pickup_point": line.standing.pickup_point.name,
                "payment_method": line.standing.payment_method,
                "replacements_allowed": line.standing.allow_substitutes,
            }
            for line in StandingLine.objects.filter(standing__customer=user)
            .select_related("product__farm", "standing__pickup_point")
            .order_by("product__name")
        ],
    }


def customer_data_json(*, user: User) -> bytes:
    return json.dumps(customer_data(user=user), ensure_ascii=False, indent=2).encode()


def customer_data_zip(*, user: User) -> bytes:
    """One CSV per part (profile, consents, orders, order lines, payments, store
    credit, organisations, usual basket), zipped."""
    data = customer_data(user=user)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for part, rows in data.items():
            rows = [rows] if isinstance(rows, dict) else rows
            header = list(rows[0]) if rows else []
            table = [header, *([row[key] for key in header] for row in rows)]
            archive.writestr(f"{part}.csv", csv_bytes(table))
    return out.getvalue()


@transaction.atomic
def account_erase(*, user_id: int) -> User:
    """Erase the customer's personal information; keep the accounting without them.
    Refused while one of their orders is confirmed or waiting to be picked up."""
    user = User.objects.select_for_update().get(pk=user_id)
    going = list(
        Order.objects.filter(customer=user, status__in=STILL_GOING).values_list("pk", flat=True)
    )
    if going:
        raise PrivacyError(
            _(
                "Your order %(numbers)s is under way: cancel it, or wait until it is picked "
                "up, then erase your account."
            )
            % {"numbers": ", ".join(f"#{pk}" for pk in going)}
        )
    balance = credit_balance(user.pk)
    if balance:
        raise PrivacyError(
            _(
                "You have %(balance)s of store credit: use it on an order, or ask the co-op "
                "to pay it back, then erase your account."
            )
            % {"balance": format_money(balance)}
        )
    for basket in Order.objects.select_for_update().filter(
        customer=user, status=Order.Status.BASKET
    ):
        basket_give_back_all(basket)
        basket.status = Order.Status.CANCELLED
        basket.save(update_fields=["status", "updated_at"])
    weeks = set(
        OrderWindow.objects.filter(
            orders__customer=user, status=OrderWindow.Status.CLOSED
        ).values_list("pk", flat=True)
    )
    EmailAddress.objects.filter(user=user).delete()
    StandingBasket.objects.filter(customer=user).delete()  # and its lines and weeks
    EmailPreferences.objects.filter(user=user).delete()  # no more email: nothing to prove
    ConsentRecord.objects.filter(user=user).delete()
    OrganisationMember.objects.filter(user=user).delete()  # no longer buys for anyone
    for customer_id in StripeCustomer.objects.filter(user=user).values_list(
        "customer_id", flat=True
    ):
        payment_jobs.stripe_customer_delete_after_commit(customer_id)  # and their cards
    StripeCustomer.objects.filter(user=user).delete()
    for session in Session.objects.all().iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            session.delete()
    user.email = f"erased-{user.pk}@invalid"
    user.first_name = user.last_name = user.phone = ""
    user.is_active = False
    user.set_unusable_password()
    user.save()
    for window_id in sorted(weeks):  # their name leaves the weeks' sheets
        pickup_jobs.documents_rebuild_after_commit(window_id)
    return user
