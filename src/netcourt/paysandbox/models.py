"""The sandbox payment service's own records: it shares the server, never the court's tables."""

from __future__ import annotations

from django.db import models


class IntentStatus(models.TextChoices):
    REQUIRES_PAYMENT = "requires_payment"
    SUCCEEDED = "succeeded"


class SandboxIntent(models.Model):
    """A payment intent: created once per Idempotency-Key, paid at the hosted checkout. A
    declined card leaves it payable, with the decline in ``last_error``."""

    id = models.CharField(primary_key=True, max_length=40)
    idempotency_key = models.CharField(max_length=255, unique=True)
    fingerprint = models.CharField(max_length=64)
    amount = models.DecimalField(max_digits=18, decimal_places=2)
    currency = models.CharField(max_length=3)
    reference = models.CharField(max_length=200)
    return_url = models.URLField(max_length=1000)
    status = models.CharField(
        max_length=20, choices=IntentStatus.choices, default=IntentStatus.REQUIRES_PAYMENT
    )
    last_error = models.CharField(max_length=40, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()


class WebhookDelivery(models.Model):
    """One event to tell the court about, sent until the court answers 2xx. Retries keep the
    event id (so the court can tell a retry from a new event) and sign afresh each time."""

    event_id = models.CharField(primary_key=True, max_length=40)
    intent = models.ForeignKey(SandboxIntent, on_delete=models.CASCADE, related_name="deliveries")
    type = models.CharField(max_length=60)
    payload = models.JSONField()
    created_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    # When the next attempt is due; None: not to be sent (dropped, or given up).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveIntegerField(null=True, blank=True)  # 0: no answer


class SandboxRefund(models.Model):
    """Money given back on a paid intent: created once per Idempotency-Key; the refunds of an
    intent never add up to more than was paid. The sandbox moves no money, so a refund
    succeeds at once (and a ``refund.succeeded`` webhook is recorded)."""

    id = models.CharField(primary_key=True, max_length=40)
    intent = models.ForeignKey(SandboxIntent, on_delete=models.CASCADE, related_name="refunds")
    idempotency_key = models.CharField(max_length=255, unique=True)
    fingerprint = models.CharField(max_length=64)
    amount = models.DecimalField(max_digits=18, decimal_places=2)
    reference = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=20, default="succeeded")
    created_at = models.DateTimeField()
