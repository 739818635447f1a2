"""Pieces sold by weight (#17): ordered at an estimate, held with the co-op's margin, left
alone at the close, weighed after it, then captured for exactly what they weighed, the
customer told the final amount; a weight far from the estimate is asked again; nothing
moves once the week is settled. Against the fake Stripe over real HTTP."""

import io
import re
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation
from pypdf import PdfReader

from orders import basket
from orders.errors import WeekSettled
from orders.models import CoopSettings, Order, OrderLine, OrderWindow, Payment, UnitWeight
from payments import ledger
from pickup import closing, documents, weighing
from pickup.errors import PickupError
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Refusals read in English here (the customer's email stays in French)."""
    with translation.override("en"):
        yield


@pytest.fixture
def week(fake_stripe):  # type: ignore[no-untyped-def]
    """An open window with a chicken (12 $/kg, ≈ 1.8 kg a piece) and carrots."""
    window = factories.window()
    farm = factories.farm(email="volaille@example.org")
    chicken = factories.offer(
        window_=window,
        product_=factories.product(
            farm_=farm,
            name="Poulet entier",
            unit="kg",
            price=Decimal("12.00"),
            estimated_weight=Decimal("1.800"),
        ),
    )
    carrots = factories.offer(
        window_=window,
        product_=factories.product(farm_=farm, name="Carottes", price=Decimal("3.50")),
    )
    point = factories.pickup_point()
    customer = factories.user(email="marie@example.org", language="fr-ca")
    farmer = factories.user(email="eleveur@example.org")
    return window, chicken, carrots, point, customer, farmer


def _card_order(client, fake_stripe, week, chickens: int) -> tuple[Order, Payment]:  # type: ignore[no-untyped-def]
    _window, chicken, carrots, point, customer, _farmer = week
    now = timezone.now()
    basket.basket_line_set(customer_id=customer.pk, offer_id=chicken.pk, quantity=chickens, now=now)
    basket.basket_line_set(customer_id=customer.pk, offer_id=carrots.pk, quantity=1, now=now)
    client.force_login(customer)
    response = client.post(
        reverse("baskets:checkout"),
        {"pickup_point": point.pk, "language": "fr-ca", "payment_method": "card"},
    )
    assert response.status_code == 302, response.content[:500]
    session = re.search(r"(cs_[A-Za-z0-9_]+)", response["Location"])
    assert session
    fake_stripe.complete_session(session.group(1), "ok")
    order = Order.objects.get(customer=customer)
    client.get(reverse("baskets:order_paid", args=[order.pk]), {"session_id": session.group(1)})
    return order, Payment.objects.get(stripe_checkout_session_id=session.group(1))


def _close(window: OrderWindow) -> None:
    OrderWindow.objects.filter(pk=window.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    closing.window_close(window_id=window.pk, now=timezone.now())


def test_the_line_keeps_the_estimate_and_the_basket_shows_it(client, week) -> None:
    window, chicken, _carrots, _point, customer, _farmer = week
    basket.basket_line_set(
        customer_id=customer.pk, offer_id=chicken.pk, quantity=2, now=timezone.now()
    )
    line = OrderLine.objects.get(order__customer=customer)
    assert line.unit_weight_estimate == Decimal("1.800")
    assert line.amount == Decimal("43.20")  # 2 × 1.8 kg × 12 $
    client.force_login(customer)
    page = client.get(reverse("baskets:basket"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "≈ 1.8 kg a piece at $12.00/kg: the final price follows the weight" in page
    assert "≈ $43.20" in page
    shop = client.get(reverse("baskets:shop"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "≈ $21.60</strong> a piece" in shop
    assert window.pk


def test_held_with_the_margin_left_alone_at_close_then_captured_at_its_weight(
    client, fake_stripe, week, django_capture_on_commit_callbacks
) -> None:
    window, chicken, _carrots, _point, customer, farmer = week
    order, hold = _card_order(client, fake_stripe, week, chickens=1)
    # 1 chicken ≈ 1.8 kg × 12 $ = 21.60, + 15 % = 24.84; carrots 3.50.
    assert hold.amount_authorized == Decimal("28.34")
    assert ledger.owed(order) == Decimal("25.10")
    _close(window)
    hold.refresh_from_db()
    assert hold.status == Payment.Status.AUTHORIZED  # nothing taken before it is weighed
    with translation.override("en"):
        state = ledger.payment_state(Order.objects.get(pk=order.pk))
    assert state.label == "To weigh: $28.34 held, charged on the weight"
    assert not state.can_pay_now  # no link to pay before the weight is known
    assert OrderWindow.objects.get(pk=window.pk).status == OrderWindow.Status.CLOSED
    line = OrderLine.objects.get(order=order, offer=chicken)

    with django_capture_on_commit_callbacks(execute=False) as queued:
        result = weighing.weights_record(
            window_id=window.pk, weights={(line.pk, 1): Decimal("1.92")}, by=farmer
        )
    assert result.saved == 1
    assert result.orders_done == [order.pk]
    assert len(queued) == 2  # the money and the lists
    line.refresh_from_db()
    assert line.weight == Decimal("1.920")
    assert ledger.owed(Order.objects.get(pk=order.pk)) == Decimal("26.54")  # 23.04 + 3.50

    assert weighing.order_money_after_weighing(order_id=order.pk)
    hold.refresh_from_db()
    assert hold.status == Payment.Status.CAPTURED
    assert hold.amount_captured == Decimal("26.54")
    assert fake_stripe.intent(hold.stripe_payment_intent_id)["amount_received"] == 2654
    final = [m for m in mail.outbox if "montant final" in m.subject]
    assert len(final) == 1
    assert "1,92 kg" in final[0].body
    assert "26,54" in final[0].body
    # Run twice (a retried task): nothing more is taken, nothing more is sent.
    assert weighing.order_money_after_weighing(order_id=order.pk)
    assert len([m for m in mail.outbox if "montant final" in m.subject]) == 1
    assert ledger.received(order.pk) == Decimal("26.54")


def test_heavier_than_the_hold_charges_the_saved_card_for_the_rest(
    client, fake_stripe, week, django_capture_on_commit_callbacks
) -> None:
    window, chicken, _carrots, _point, _customer, farmer = week
    order, hold = _card_order(client, fake_stripe, week, chickens=1)
    _close(window)
    line = OrderLine.objects.get(order=order, offer=chicken)
    with django_capture_on_commit_callbacks(execute=False):
        far = weighing.weights_record(
            window_id=window.pk, weights={(line.pk, 1): Decimal("2.50")}, by=farmer
        )
    assert far.saved == 1  # 2.5 kg is within three times the estimate
    assert weighing.order_money_after_weighing(order_id=order.pk)
    # 2.5 kg × 12 = 30.00 + 3.50 = 33.50: 28.34 captured, 5.16 charged to the card.
    assert ledger.received(order.pk) == Decimal("33.50")
    hold.refresh_from_db()
    assert hold.amount_captured == Decimal("28.34")
    charge = Payment.objects.get(order=order, kind=Payment.Kind.CHARGE)
    assert charge.amount_captured == Decimal("5.16")


def test_bad_weights_are_refused_with_their_reason_and_nothing_is_saved(
    client, fake_stripe, week, django_capture_on_commit_callbacks
) -> None:
    window, chicken, _carrots, _point, _customer, farmer = week
    order, _hold = _card_order(client, fake_stripe, week, chickens=2)
    translation.activate("en")  # the client's requests left French active
    line = OrderLine.objects.get(order=order, offer=chicken)
    with pytest.raises(PickupError, match="once the week is closed"):
        weighing.weights_record(
            window_id=window.pk, weights={(line.pk, 1): Decimal("1.9")}, by=farmer
        )
    _close(window)
    with pytest.raises(PickupError, match="more than 0 kg"):
        weighing.weights_record(
            window_id=window.pk,
            weights={(line.pk, 1): Decimal("1.9"), (line.pk, 2): Decimal("0")},
            by=farmer,
        )
    with pytest.raises(PickupError, match="2 pieces to weigh, not 3"):
        weighing.weights_record(
            window_id=window.pk, weights={(line.pk, 3): Decimal("1.9")}, by=farmer
        )
    other_farm = factories.farm()
    with pytest.raises(PickupError, match="not one of this week"):
        weighing.weights_record(
            window_id=window.pk,
            weights={(line.pk, 1): Decimal("1.9")},
            by=farmer,
            farm_id=other_farm.pk,
        )
    assert not UnitWeight.objects.exists()
    # More than three times the estimate: asked again, saved once confirmed.
    far = weighing.weights_record(
        window_id=window.pk, weights={(line.pk, 1): Decimal("6.2")}, by=farmer
    )
    assert [(f.unit, f.kg) for f in far.far] == [(1, Decimal("6.2"))]
    assert not UnitWeight.objects.exists()
    with django_capture_on_commit_callbacks(execute=False):
        saved = weighing.weights_record(
            window_id=window.pk, weights={(line.pk, 1): Decimal("6.2")}, by=farmer, confirm_far=True
        )
    assert saved.saved == 1
    assert saved.orders_done == []  # the second chicken is not weighed yet
    line.refresh_from_db()
    assert line.weight is None
    # Once the week is settled, nothing is weighed any more.
    OrderWindow.objects.filter(pk=window.pk).update(settled_at=timezone.now())
    with pytest.raises(WeekSettled):
        weighing.weights_record(
            window_id=window.pk, weights={(line.pk, 2): Decimal("1.9")}, by=farmer
        )


@pytest.mark.parametrize(("typed", "kg"), [("1,92", "1.92"), (" 1.92 kg", "1.92"), ("", None)])
def test_a_weight_is_typed_the_french_or_the_english_way(typed: str, kg: str | None) -> None:
    assert weighing.parse_kg(typed) == (Decimal(kg) if kg else None)


@pytest.mark.parametrize("typed", ["abc", "NaN", "1,9,2", "inf"])
def test_what_is_not_a_weight_says_so(typed: str) -> None:
    with pytest.raises(PickupError, match="is not a weight"):
        weighing.parse_kg(typed)


def test_never_weighed_orders_are_collected_on_their_estimate_on_pickup_day(
    client, fake_stripe, week
) -> None:
    window, _chicken, _carrots, _point, _customer, _farmer = week
    order, hold = _card_order(client, fake_stripe, week, chickens=1)
    _close(window)
    assert weighing.unweighed_collect(now=timezone.now()) == 0  # not pickup day yet
    OrderWindow.objects.filter(pk=window.pk).update(pickup_date=timezone.localdate())
    assert weighing.unweighed_collect(now=timezone.now()) == 1
    hold.refresh_from_db()
    assert hold.amount_captured == Decimal("25.10")  # the estimate, without the margin
    assert weighing.unweighed_collect(now=timezone.now()) == 0  # once


def test_the_margin_is_the_coops_setting(client, fake_stripe, week) -> None:
    settings = CoopSettings.load()
    settings.weighed_hold_margin_percent = Decimal("0")
    settings.save()
    _order, hold = _card_order(client, fake_stripe, week, chickens=1)
    assert hold.amount_authorized == Decimal("25.10")


def test_the_farms_list_says_what_to_weigh_with_a_label_per_piece(
    client, fake_stripe, week
) -> None:  # type: ignore[no-untyped-def]
    window, chicken, _carrots, _point, _customer, _farmer = week
    order, _hold = _card_order(client, fake_stripe, week, chickens=2)
    _close(window)
    data = documents.window_data(OrderWindow.objects.get(pk=window.pk))
    with translation.override("fr"):
        pdf, _pages = documents.farm_list_pdf(data, chicken.product.farm_id)
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    text = re.sub(r"\s+", " ", text)
    assert "à peser : ≈ 1,8 kg la pièce" in text
    assert f"#{order.pk}" in text
    assert "pièce 1 de 2" in text
    assert "pièce 2 de 2" in text
    assert text.count("______ kg") == 2
