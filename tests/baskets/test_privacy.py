"""Québec's Law 25: a privacy page naming the person in charge; a customer downloads
everything we keep on them; a customer erases their account, and the books stay."""

import io
import json
import zipfile
from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from orders.models import CoopSettings, Order, StripeCustomer
from payments import gateway
from payments.tasks import delete_stripe_customer
from settlements import selectors, services
from tests import factories
from tests.settlements import builders

pytestmark = pytest.mark.django_db


def test_the_privacy_page_names_the_person_in_charge_in_both_languages(client) -> None:  # type: ignore[no-untyped-def]
    coop = CoopSettings.load()
    coop.privacy_officer, coop.privacy_email = "Julie Gagnon", "vie-privee@coop.example"
    coop.save()
    fr = client.get(reverse("baskets:privacy"), HTTP_ACCEPT_LANGUAGE="fr-ca").text
    assert "Julie Gagnon" in fr
    assert "vie-privee@coop.example" in fr
    assert "Loi 25" in fr
    en = client.get(reverse("baskets:privacy"), HTTP_ACCEPT_LANGUAGE="en").text
    assert "The person in charge of the protection of personal information is Julie Gagnon" in en
    assert reverse("baskets:privacy") in client.get("/").text  # in every page's footer


def _customer_with_history() -> tuple[User, Order]:
    marie = factories.user(email="marie@example.org", first_name="Marie", last_name="Tremblay")
    window = builders.closed_window()
    order = factories.order(window_=window, customer=marie, status=Order.Status.PICKED_UP)
    offer = factories.offer(window_=window, product_=factories.product(name="Poireaux"))
    builders.add_line(order, offer, 2)
    builders.pay_card(order, builders.owes(list(order.lines.all())))
    return marie, order


def test_a_customer_downloads_all_we_keep_on_them_and_nothing_of_others(client) -> None:  # type: ignore[no-untyped-def]
    marie, order = _customer_with_history()
    paul = factories.user(email="paul@example.org")
    factories.order(window_=order.window, customer=paul)
    client.force_login(marie)
    data = json.loads(client.get(reverse("baskets:my_data_json")).content)
    assert data["profile"]["email"] == "marie@example.org"
    assert data["profile"]["last_name"] == "Tremblay"
    assert [o["number"] for o in data["orders"]] == [order.pk]
    assert [(ln["product"], ln["quantity"]) for ln in data["order_lines"]] == [("Poireaux", 2)]
    assert [(p["method"], p["status"]) for p in data["payments"]] == [("card", "captured")]
    assert data["consents"][0]["email"] == "marie@example.org"
    archive = zipfile.ZipFile(io.BytesIO(client.get(reverse("baskets:my_data_zip")).content))
    assert sorted(archive.namelist()) == [
        "consents.csv",
        "email_consent_history.csv",
        "email_preferences.csv",
        "order_lines.csv",
        "orders.csv",
        "organisations.csv",
        "payments.csv",
        "profile.csv",
        "store_credit.csv",
        "usual_basket.csv",
    ]
    assert "Poireaux" in archive.read("order_lines.csv").decode("utf-8-sig")
    assert "paul@example.org" not in json.dumps(data)


def test_erasing_asks_for_the_password_and_waits_for_orders_under_way(client) -> None:  # type: ignore[no-untyped-def]
    marie = factories.user(email="marie@example.org")
    client.force_login(marie)
    wrong = client.post(
        reverse("baskets:account_erase"), {"password": "pas-le-bon"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert wrong.status_code == 422
    assert "This is not your password" in wrong.text
    going = factories.order(window_=factories.window(), customer=marie, status="confirmed")
    refused = client.post(
        reverse("baskets:account_erase"),
        {"password": factories.PASSWORD},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert refused.status_code == 409
    assert f"Your order #{going.pk} is under way" in refused.text
    marie.refresh_from_db()
    assert (marie.email, marie.is_active) == ("marie@example.org", True)


def test_an_erased_account_keeps_the_books_the_same(
    client, statements_inline, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    """A settled week's reconciliation is the same after one of its customers is
    erased; their person is gone, their orders and payments stay."""
    marie, order = _customer_with_history()
    StripeCustomer.objects.create(user=marie, customer_id="cus_marie")
    window = order.window
    settled = services.settle_window(window_id=window.pk, by=None, now=timezone.now())
    before = selectors.window_accounts(window=window)
    figures = (before.money_in, before.gross, before.margin, before.net_due)
    client.force_login(marie)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(reverse("baskets:account_erase"), {"password": factories.PASSWORD})
    assert response.status_code == 302
    assert len(queued) == 2  # the Stripe customer's deletion, the week's sheets rebuilt
    marie.refresh_from_db()
    assert marie.email == f"erased-{marie.pk}@invalid"
    assert (marie.first_name, marie.last_name, marie.phone, marie.is_active) == ("", "", "", False)
    assert not marie.has_usable_password()
    assert not EmailAddress.objects.filter(user=marie).exists()
    assert not StripeCustomer.objects.filter(user=marie).exists()
    assert Order.objects.get(pk=order.pk).payments.get().amount_captured > Decimal("0")
    after = selectors.window_accounts(window=window)
    assert (after.money_in, after.gross, after.margin, after.net_due) == figures
    assert settled.settlement.money_in == after.money_in
    assert client.get(reverse("baskets:my_orders")).status_code == 302  # signed out
    assert not client.login(email="marie@example.org", password=factories.PASSWORD)


def test_the_erased_customers_card_goes_from_stripe_too(fake_stripe) -> None:  # type: ignore[no-untyped-def]
    customer_id = gateway.customer_create(user_id=7, email="m@example.org", key="customer-7")
    assert customer_id in fake_stripe.customers
    delete_stripe_customer.apply(args=(customer_id,)).get()
    assert customer_id not in fake_stripe.customers
    delete_stripe_customer.apply(args=(customer_id,)).get()  # twice: already gone is done


def test_store_credit_is_in_the_export_and_holds_the_erasing_back(client) -> None:  # type: ignore[no-untyped-def]
    """Store credit is the customer's money: it is in what they download, and erasing
    waits until it is used or paid back (a 409 that says how much)."""
    from decimal import Decimal

    from payments import credit

    marie = factories.user(email="marie@example.org")
    credit.credit_add(
        customer_id=marie.pk,
        amount=Decimal("4.50"),
        reason="goodwill",
        author_id=factories.coordinator().pk,
        note="Tomates abîmées",
    )
    client.force_login(marie)
    exported = client.get(reverse("baskets:my_data_json")).json()
    assert exported["store_credit"] == [
        {
            "date": exported["store_credit"][0]["date"],
            "reason": "goodwill",
            "amount": "4.50",
            "balance_after": "4.50",
            "order": None,
            "note": "Tomates abîmées",
            "containers": 0,
        }
    ]
    refused = client.post(
        reverse("baskets:account_erase"),
        {"password": factories.PASSWORD},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert refused.status_code == 409
    assert "You have $4.50 of store credit" in refused.text
    marie.refresh_from_db()
    assert marie.is_active
