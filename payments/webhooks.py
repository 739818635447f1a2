"""Stripe's webhooks: each event is checked against the signing secret, stored once by
its id, and handled by a Celery task that re-reads the PaymentIntent from Stripe. So a
forged event is refused, a replayed one does nothing new, and events arriving out of
order cannot move a payment backwards (see `services.payment_sync`)."""

import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from orders.models import Payment, WebhookEvent

from . import gateway, services

logger = logging.getLogger(__name__)

HANDLED = (
    "checkout.session.completed",
    "checkout.session.expired",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "payment_intent.amount_capturable_updated",
    "payment_intent.succeeded",
    "payment_intent.canceled",
    "payment_intent.payment_failed",
    "payment_intent.processing",
    "payment_intent.requires_action",
    "charge.refunded",
)


def event_receive(*, payload: bytes, signature: str) -> tuple[WebhookEvent, bool]:
    """Verify and store the event. Returns (event, created). Raises
    gateway.InvalidSignature for anything Stripe did not sign."""
    event = gateway.event_verify(payload=payload, signature=signature)
    if event.get("api_version") != gateway.API_VERSION:
        # Written in another version's shape: stored, but only ever used for the ids it
        # names; the handler re-reads every object through our pinned version.
        logger.warning(
            "stripe event %s (%s) has API version %r, not %s: re-read through %s",
            event.get("id"),
            event.get("type"),
            event.get("api_version"),
            gateway.API_VERSION,
            gateway.API_VERSION,
        )
    try:
        with transaction.atomic():
            stored, created = WebhookEvent.objects.get_or_create(
                event_id=str(event["id"]),
                defaults={"type": str(event.get("type", ""))[:100], "payload": event},
            )
    except IntegrityError:  # the same event delivered twice at once
        return WebhookEvent.objects.get(event_id=str(event["id"])), False
    return stored, created


def _payment_for(obj: dict[str, Any]) -> Payment | None:
    kind = obj.get("object")
    intent_id = session_id = ""
    if kind == "payment_intent":
        intent_id = str(obj.get("id", ""))
    elif kind == "checkout.session":
        session_id = str(obj.get("id", ""))
        intent_id = str(obj.get("payment_intent") or "")
    elif kind in ("charge", "refund"):
        intent_id = str(obj.get("payment_intent") or "")
    # An id Stripe would never give (too long, odd characters) matches nothing of ours.
    intent_id = intent_id if gateway.is_stripe_id(intent_id) else ""
    session_id = session_id if gateway.is_stripe_id(session_id) else ""
    query = Q(pk__in=[])
    if intent_id:
        query |= Q(stripe_payment_intent_id=intent_id)
    if session_id:
        query |= Q(stripe_checkout_session_id=session_id)
    payment = Payment.objects.filter(query).first()
    if payment is None and intent_id:
        # An intent we have not linked yet (the customer completed Checkout; the return
        # to our site has not happened): ask Stripe whose it is, via our own metadata.
        intent = gateway.intent_retrieve(intent_id)
        payment = Payment.objects.filter(
            pk=_int(intent.metadata.get("payment_id")),
            order_id=_int(intent.metadata.get("order_id")),
            stripe_payment_intent_id__isnull=True,
        ).first()
    return payment


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0


def event_handle(*, event_pk: int) -> str:
    """Handle a stored event once; a second run of a processed event does nothing."""
    event = WebhookEvent.objects.filter(pk=event_pk).first()
    if event is None:
        return "unknown event"
    if event.processed_at is not None:
        return "already processed"
    WebhookEvent.objects.filter(pk=event_pk).update(attempts=F("attempts") + 1)
    outcome = "ignored"
    if event.type in HANDLED:
        obj = event.payload.get("data", {}).get("object", {})
        try:
            payment = _payment_for(obj) if isinstance(obj, dict) else None
        except gateway.GatewayError as error:
            WebhookEvent.objects.filter(pk=event_pk).update(error=str(error)[:300])
            raise
        if payment is None:
            outcome = "no matching payment"
        else:
            try:
                services.payment_sync(payment_id=payment.pk)
            except gateway.GatewayError as error:
                WebhookEvent.objects.filter(pk=event_pk).update(error=str(error)[:300])
                raise
            outcome = f"payment {payment.pk} synced"
    WebhookEvent.objects.filter(pk=event_pk, processed_at__isnull=True).update(
        processed_at=timezone.now(), error=""
    )
    logger.info("stripe event %s (%s): %s", event.event_id, event.type, outcome)
    return outcome
