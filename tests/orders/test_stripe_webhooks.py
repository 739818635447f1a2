"""Stripe's webhooks, signed with the real scheme: forged events are refused, an event
replayed five times is stored and handled once, and events out of order cannot move a
payment backwards (the PaymentIntent is re-read, not trusted from the event)."""

import json
import time
from decimal import Decimal

import pytest
import stripe
from django.urls import reverse
from django.utils import timezone

from orders import basket
from orders.models import Order, Payment, WebhookEvent
from payments import collect, webhooks
from payments import services as payment_services
from tests import factories

pytestmark = pytest.mark.django_db

URL = "/stripe/webhook/"


def _event(event_id: str, kind: str, obj: dict[str, object]) -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": kind,
            "created": int(time.time()),
            "livemode": False,
            "api_version": "2025-01-27.acacia",
            "data": {"object": obj},
        }
    ).encode()


def _signed(payload: bytes, secret: str) -> str:
    timestamp = int(time.time())
    signature = stripe.WebhookSignature._compute_signature(  # the library's own scheme
        f"{timestamp}.{payload.decode()}", secret
    )
    return f"t={timestamp},v1={signature}"


def _post(client, payload: bytes, signature: str):  # type: ignore[no-untyped-def]
    return client.post(
        URL, data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
    )


@pytest.fixture
def held(client, fake_stripe):  # type: ignore[no-untyped-def]
    """A confirmed card order whose Checkout page the customer completed (no return
    to our site yet: only the webhook can tell us)."""
    window = factories.window()
    offer = factories.offer(window_=window)
    point = factories.pickup_point()
    customer = factories.user()
    basket.basket_line_set(
        customer_id=customer.pk, offer_id=offer.pk, quantity=2, now=timezone.now()
    )
    client.force_login(customer)
    client.post(
        reverse("baskets:checkout"),
        {"pickup_point": point.pk, "language": "fr-ca", "payment_method": "card"},
    )
    payment = Payment.objects.get()
    intent_id = fake_stripe.complete_session(payment.stripe_checkout_session_id, "ok")
    return payment, intent_id


def test_a_forged_or_unsigned_event_is_refused_and_not_stored(client, settings, held) -> None:
    payment, intent_id = held
    payload = _event(
        "evt_forged", "payment_intent.succeeded", {"object": "payment_intent", "id": intent_id}
    )
    assert _post(client, payload, _signed(payload, "whsec_not_ours")).status_code == 400
    assert _post(client, payload, "").status_code == 400
    tampered = payload.replace(b"evt_forged", b"evt_forget")
    assert (
        _post(client, tampered, _signed(payload, settings.STRIPE_WEBHOOK_SECRET)).status_code == 400
    )
    assert not WebhookEvent.objects.exists()
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING


def test_an_event_replayed_five_times_is_stored_and_handled_once(
    client, settings, held, django_capture_on_commit_callbacks
) -> None:
    payment, intent_id = held
    payload = _event(
        "evt_1",
        "payment_intent.amount_capturable_updated",
        {"object": "payment_intent", "id": intent_id},
    )
    queued = []
    for _ in range(5):
        with django_capture_on_commit_callbacks() as callbacks:
            response = _post(client, payload, _signed(payload, settings.STRIPE_WEBHOOK_SECRET))
        assert response.status_code == 200
        queued.append(len(callbacks))
    # Each delivery before it is handled queues the task (a lost task is re-queued by
    # the next delivery); the task itself acts once.
    assert queued == [1, 1, 1, 1, 1]
    assert WebhookEvent.objects.count() == 1
    event = WebhookEvent.objects.get()
    assert webhooks.event_handle(event_pk=event.pk) == f"payment {payment.pk} synced"
    for _ in range(4):
        assert webhooks.event_handle(event_pk=event.pk) == "already processed"
    payment.refresh_from_db()
    assert payment.status == Payment.Status.AUTHORIZED
    assert payment.amount_authorized == Decimal("7.00")


def test_events_out_of_order_follow_stripe_not_the_arrival(
    client, settings, fake_stripe, held
) -> None:
    """The capture's `succeeded` event arrives before the hold's older
    `amount_capturable_updated`: the payment stays captured."""
    payment, intent_id = held
    payment_services.payment_sync(payment_id=payment.pk)
    Order.objects.filter(pk=payment.order_id).update(status=Order.Status.LOCKED)
    assert collect.order_collect(order_id=payment.order_id)
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CAPTURED
    late = [
        ("evt_2", "payment_intent.succeeded"),
        ("evt_1", "payment_intent.amount_capturable_updated"),
        ("evt_0", "checkout.session.completed"),
    ]
    for event_id, kind in late:
        obj = (
            {
                "object": "checkout.session",
                "id": payment.stripe_checkout_session_id,
                "payment_intent": intent_id,
            }
            if kind.startswith("checkout")
            else {"object": "payment_intent", "id": intent_id, "status": "requires_capture"}
        )
        payload = _event(event_id, kind, obj)
        assert (
            _post(client, payload, _signed(payload, settings.STRIPE_WEBHOOK_SECRET)).status_code
            == 200
        )
    for event in WebhookEvent.objects.order_by("received_at"):
        webhooks.event_handle(event_pk=event.pk)
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CAPTURED
    assert payment.amount_captured == Decimal("7.00")
    assert fake_stripe.captures(intent_id) == 1


def test_the_webhook_task_runs_on_a_real_worker(  # type: ignore[no-untyped-def]
    client, settings, fake_stripe, celery_worker, wait_for, transactional_db
) -> None:
    window = factories.window()
    offer = factories.offer(window_=window)
    point = factories.pickup_point()
    customer = factories.user()
    basket.basket_line_set(
        customer_id=customer.pk, offer_id=offer.pk, quantity=1, now=timezone.now()
    )
    client.force_login(customer)
    client.post(
        reverse("baskets:checkout"),
        {"pickup_point": point.pk, "language": "fr-ca", "payment_method": "card"},
    )
    payment = Payment.objects.get()
    intent_id = fake_stripe.complete_session(payment.stripe_checkout_session_id, "ok")
    payload = _event(
        "evt_worker",
        "payment_intent.amount_capturable_updated",
        {"object": "payment_intent", "id": intent_id},
    )
    assert (
        _post(client, payload, _signed(payload, settings.STRIPE_WEBHOOK_SECRET)).status_code == 200
    )
    wait_for(
        lambda: WebhookEvent.objects.get().processed_at is not None,
        what="the worker to handle the event",
    )
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.AUTHORIZED


@pytest.mark.parametrize(
    ("event_id", "object_id"),
    [
        ("evt_" + "x" * 300, "pi_ok"),  # the hostile probe: a 500 (DataError) before
        ("evt_ok\x00", "pi_ok"),
        ("evt_ok<script>", "pi_ok"),
        ("evt_fine_1", "pi_" + "y" * 400),  # an object id no column could hold
    ],
)
def test_a_signed_event_with_an_id_stripe_would_not_give_is_refused_or_ignored(
    client, settings, event_id: str, object_id: str
) -> None:  # type: ignore[no-untyped-def]
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test_ids"
    payload = _event(
        event_id, "payment_intent.succeeded", {"object": "payment_intent", "id": object_id}
    )
    response = _post(client, payload, _signed(payload, "whsec_test_ids"))
    if event_id == "evt_fine_1":
        assert response.status_code == 200  # stored; its object matches no payment
        event = WebhookEvent.objects.get(event_id=event_id)
        assert webhooks.event_handle(event_pk=event.pk) == "no matching payment"
    else:
        assert response.status_code == 400
        assert response.json() == {"error": "invalid signature"}
        assert not WebhookEvent.objects.exists()
