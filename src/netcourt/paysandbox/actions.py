"""What the sandbox payment service does: intents, the checkout, signed webhooks."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse

from netcourt.core import clock, loopback
from netcourt.paysandbox.models import (
    IntentStatus,
    SandboxIntent,
    SandboxRefund,
    WebhookDelivery,
)

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "Sandbox-Signature"
# Test cards: these two numbers, with any spaces or hyphens; every other number is refused.
CARD_SUCCEEDS = "4242424242424242"
CARD_DECLINED = "4000000000000002"
MAX_ATTEMPTS = 10
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=6)
# Where deliveries go when NETCOURT_SANDBOX_PAY_WEBHOOK_URL is unset: this server's court.
COURT_WEBHOOK_PATH = "/payments/webhooks/sandbox/"
transport: loopback.Transport | None = None  # None: in-process or over HTTP, by setting


class KeyReused(Exception):
    """The Idempotency-Key was used before with a different request."""


class RefundRefused(Exception):
    """A refund the intent cannot give: ``code`` is ``intent_not_paid`` or
    ``amount_too_large`` (more than was paid less what was refunded already)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def intent_json(intent: SandboxIntent, checkout_url: str) -> dict[str, Any]:
    return {
        "id": intent.id,
        "status": intent.status,
        "last_error": intent.last_error or None,
        "amount": f"{intent.amount:f}",
        "currency": intent.currency,
        "reference": intent.reference,
        "checkout_url": checkout_url,
        "created": int(intent.created_at.timestamp()),
    }


def checkout_path(intent: SandboxIntent) -> str:
    return reverse("paysandbox:checkout", args=[intent.id])


def create_intent(
    key: str, amount: Decimal, currency: str, reference: str, return_url: str
) -> tuple[SandboxIntent, bool]:
    """The intent for ``key``, created now or before; (intent, created). The same key with
    different terms raises :class:`KeyReused`."""
    fingerprint = hashlib.sha256(
        json.dumps([f"{amount:f}", currency, reference, return_url]).encode()
    ).hexdigest()
    existing = SandboxIntent.objects.filter(idempotency_key=key).first()
    if existing is None:
        now = clock.now()
        try:
            with transaction.atomic():
                return SandboxIntent.objects.create(
                    id=f"pi_{secrets.token_hex(12)}",
                    idempotency_key=key,
                    fingerprint=fingerprint,
                    amount=amount,
                    currency=currency,
                    reference=reference,
                    return_url=return_url,
                    created_at=now,
                    updated_at=now,
                ), True
        except IntegrityError:
            existing = SandboxIntent.objects.get(idempotency_key=key)  # lost a race: replay
    if existing.fingerprint != fingerprint:
        raise KeyReused()
    return existing, False


def pay(intent_id: str, card_number: str) -> SandboxIntent | None:
    """Pay ``intent_id`` with a test card; None when the number is not a test card. The card
    number is never stored or logged, only its last four digits."""
    digits = "".join(c for c in card_number if c not in " -")
    if digits not in (CARD_SUCCEEDS, CARD_DECLINED):
        return None
    with transaction.atomic():
        intent = SandboxIntent.objects.select_for_update().get(id=intent_id)
        if intent.status == IntentStatus.SUCCEEDED:
            return intent  # paid already (a second tab, a resubmitted form): nothing more
        now = clock.now()
        intent.card_last4 = digits[-4:]
        intent.updated_at = now
        if digits == CARD_SUCCEEDS:
            intent.status = IntentStatus.SUCCEEDED
            intent.last_error = ""
            event_type = "payment_intent.succeeded"
        else:
            intent.last_error = "card_declined"
            event_type = "payment_intent.payment_failed"
        intent.save()
        mode = settings.NETCOURT_SANDBOX_PAY_WEBHOOKS
        delivery = WebhookDelivery.objects.create(
            event_id=f"evt_{secrets.token_hex(12)}",
            intent=intent,
            type=event_type,
            payload={
                "type": event_type,
                "created": int(now.timestamp()),
                "data": {"intent": intent_json(intent, "")},
            },
            created_at=now,
            next_attempt_at=None if mode == "never" else now,
        )
    if mode == "now":
        attempt(delivery.event_id)
    return intent


def refund_json(refund: SandboxRefund) -> dict[str, Any]:
    return {
        "id": refund.id,
        "intent": refund.intent_id,
        "status": refund.status,
        "amount": f"{refund.amount:f}",
        "reference": refund.reference,
        "created": int(refund.created_at.timestamp()),
    }


def create_refund(
    intent_id: str, key: str, amount: Decimal, reference: str
) -> tuple[SandboxRefund, bool]:
    """The refund for ``key`` on ``intent_id``, made now or before; (refund, created). A
    partial refund leaves the rest refundable; the refunds never exceed what was paid. Raises
    SandboxIntent.DoesNotExist, :class:`KeyReused` or :class:`RefundRefused`."""
    fingerprint = hashlib.sha256(
        json.dumps([intent_id, f"{amount:f}", reference]).encode()
    ).hexdigest()
    mode = settings.NETCOURT_SANDBOX_PAY_WEBHOOKS
    with transaction.atomic():
        intent = SandboxIntent.objects.select_for_update().get(id=intent_id)
        existing = SandboxRefund.objects.filter(idempotency_key=key).first()
        if existing is not None:
            if existing.fingerprint != fingerprint:
                raise KeyReused()
            return existing, False
        if intent.status != IntentStatus.SUCCEEDED:
            raise RefundRefused("intent_not_paid")
        refunded = sum((r.amount for r in intent.refunds.all()), Decimal(0))
        if amount > intent.amount - refunded:
            raise RefundRefused("amount_too_large")
        now = clock.now()
        refund = SandboxRefund.objects.create(
            id=f"re_{secrets.token_hex(12)}",
            intent=intent,
            idempotency_key=key,
            fingerprint=fingerprint,
            amount=amount,
            reference=reference,
            created_at=now,
        )
        delivery = WebhookDelivery.objects.create(
            event_id=f"evt_{secrets.token_hex(12)}",
            intent=intent,
            type="refund.succeeded",
            payload={
                "type": "refund.succeeded",
                "created": int(now.timestamp()),
                "data": {"refund": refund_json(refund)},
            },
            created_at=now,
            next_attempt_at=None if mode == "never" else now,
        )
    if mode == "now":
        attempt(delivery.event_id)
    return refund, True


def sign(body: bytes, timestamp: int, secret: str) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def _webhook_url() -> tuple[str, loopback.Transport]:
    configured = settings.NETCOURT_SANDBOX_PAY_WEBHOOK_URL
    if configured:
        return configured, transport or loopback.over_http
    base = settings.NETCOURT_BASE_URL.rstrip("/")
    return base + COURT_WEBHOOK_PATH, transport or loopback.in_process


def attempt(event_id: str) -> bool:
    """Send one delivery if it is still owed; True once the court has taken it. The next
    attempt is booked before sending (exponential backoff), so a crash mid-send retries."""
    now = clock.now()
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(event_id=event_id)
        if delivery.delivered_at is not None or delivery.next_attempt_at is None:
            return delivery.delivered_at is not None
        delivery.attempts += 1
        delivery.next_attempt_at = (
            None
            if delivery.attempts >= MAX_ATTEMPTS
            else now + min(FIRST_RETRY * 2 ** (delivery.attempts - 1), LONGEST_RETRY)
        )
        delivery.save(update_fields=["attempts", "next_attempt_at"])
    body = json.dumps(
        {"id": delivery.event_id, **delivery.payload}, sort_keys=True, separators=(",", ":")
    ).encode()
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(
            body, int(now.timestamp()), settings.NETCOURT_SANDBOX_PAY_WEBHOOK_SECRET
        ),
    }
    url, send = _webhook_url()
    try:
        status, _ = send("POST", url, headers, body)
    except OSError as error:
        log.warning("webhook %s not delivered: %s", delivery.event_id, error)
        status = 0
    delivered = 200 <= status < 300
    WebhookDelivery.objects.filter(event_id=event_id).update(
        last_status=status,
        **({"delivered_at": clock.now(), "next_attempt_at": None} if delivered else {}),
    )
    return delivered


def deliver_due() -> list[WebhookDelivery]:
    """Send every delivery whose next attempt is due (`netcourt paysandbox deliver`)."""
    due = WebhookDelivery.objects.filter(
        delivered_at__isnull=True, next_attempt_at__lte=clock.now()
    ).order_by("created_at")
    ids = list(due.values_list("event_id", flat=True))
    for event_id in ids:
        attempt(event_id)
    return list(WebhookDelivery.objects.filter(event_id__in=ids).order_by("created_at"))
