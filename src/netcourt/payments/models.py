"""Payment intents, the webhooks taken, and the double-entry fee ledger."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class IntentStatus(models.TextChoices):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class PaymentIntent(models.Model):
    """One attempt to collect a fee through a provider, keyed by the court's own idempotency
    key (one per case and amount), so asking twice never makes two intents."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(max_digits=18, decimal_places=2)
    currency = models.CharField(max_length=3)
    key = models.CharField(max_length=255, unique=True)
    provider = models.CharField(max_length=40)
    provider_id = models.CharField(max_length=100, blank=True)
    checkout_url = models.URLField(max_length=1000, blank=True)
    status = models.CharField(
        max_length=20, choices=IntentStatus.choices, default=IntentStatus.PENDING
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_id"],
                condition=~Q(provider_id=""),
                name="payment_intent_provider_id_unique",
            )
        ]


class ProcessedWebhook(models.Model):
    """A provider's event the court has taken: the same event id again changes nothing."""

    provider = models.CharField(max_length=40)
    event_id = models.CharField(max_length=100)
    received_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="webhook_once")
        ]


class Account(models.TextChoices):
    PROVIDER_CLEARING = "provider_clearing"  # money the provider holds for the court
    FEES_RECEIVED = "fees_received"  # fees paid and applied to a case
    FEES_UNAPPLIED = "fees_unapplied"  # money received that no case could take (to refund)
    REFUNDS_PAYABLE = "refunds_payable"  # fees the court owes back (Measures Art. 53)


class RefundStatus(models.TextChoices):
    # Recorded when the case closed; not yet sent to the provider.
    OWED = "owed", _("owed, not yet sent")
    # The provider has it; not yet confirmed.
    SENT = "sent", _("sent to the payment service")
    # The provider confirmed it: the money went back.
    SUCCEEDED = "succeeded", _("refunded")
    # Paid at the counter: the finance office refunds it by hand.
    COUNTER = "counter", _("to be refunded at the counter")
    # The provider refused it for good (the account it would go back to is closed, say):
    # still owed, and the finance office refunds it by other means.
    FAILED = "failed", _("refused by the payment service: the finance office refunds it")


class RefundReason(models.TextChoices):
    # The case closed early: withdrawn or settled (Measures Art. 15), part of the fee back.
    CLOSED_EARLY = "closed_early", _("the case closed early: part of the fee comes back")
    # A payment the case could not take (it had closed, was paid, or its fee had changed).
    NOT_APPLIED = "not_applied", _("a payment the case could no longer take: all of it comes back")


class Refund(models.Model):
    """Money the court owes back, keyed by the court's idempotency key: part of a fee because
    the case closed early (Measures on the Payment of Litigation Costs Arts. 15, 53), or a
    whole payment that no case could take."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="refunds")
    intent = models.ForeignKey(
        PaymentIntent, on_delete=models.PROTECT, null=True, blank=True, related_name="refunds"
    )
    amount = models.DecimalField(max_digits=18, decimal_places=2)
    currency = models.CharField(max_length=3)
    key = models.CharField(max_length=255, unique=True)
    provider = models.CharField(max_length=40, blank=True)
    provider_id = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=20, choices=RefundStatus.choices)
    reason = models.CharField(
        max_length=20, choices=RefundReason.choices, default=RefundReason.CLOSED_EARLY
    )
    due_by = models.DateField()
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()


class LedgerEntry(models.Model):
    """One side of a movement of money. Every transaction is entries whose debits and
    credits balance; entries are only ever added."""

    transaction = models.UUIDField(db_index=True)
    account = models.CharField(max_length=40, choices=Account.choices)
    debit = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    credit = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    currency = models.CharField(max_length=3)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="ledger")
    intent = models.ForeignKey(
        PaymentIntent, on_delete=models.PROTECT, null=True, related_name="ledger"
    )
    memo = models.CharField(max_length=200)
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(debit=0) & Q(credit__gt=0)) | (Q(credit=0) & Q(debit__gt=0)),
                name="ledger_entry_one_side",
            )
        ]
