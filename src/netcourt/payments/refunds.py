"""Refunds of the acceptance fee when a paid case closes early (Measures on the Payment of
Litigation Costs Art. 15: withdrawn or settled by mediation, half the fee; Art. 53: refunded
within 15 days), and of whole payments no case could take (one that came after the case
closed, say deemed withdrawn for not paying while the payment was on its way). The case's
closing step, or the payment itself, records what is owed; `netcourt payments refund` sends
it to the provider; the provider's webhook (or its answer) settles it."""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal
from uuid import UUID

from django.db import transaction
from django.db.models import Sum

from netcourt.cases.models import Case, CaseEvent
from netcourt.core import clock
from netcourt.payments import ledger
from netcourt.payments.models import (
    Account,
    IntentStatus,
    LedgerEntry,
    PaymentIntent,
    Refund,
    RefundReason,
    RefundStatus,
)
from netcourt.payments.policy import PAYMENT_EFFECT
from netcourt.payments.providers import FAILED, SUCCEEDED, Provider, ProviderError, get_provider
from netcourt.procedure import Pack

log = logging.getLogger(__name__)

REFUND_WITHIN = timedelta(days=15)  # Art. 53
# Refunds the provider may yet pay: a success after a refusal still settles the refund.
UNSETTLED = (RefundStatus.OWED, RefundStatus.SENT, RefundStatus.FAILED)


def fee_paid(case: Case, pack: Pack) -> tuple[Decimal, PaymentIntent | None] | None:
    """What was paid on the case and the online payment it came from (None: at the counter);
    None when no payment was recorded."""
    steps = [e.id for e in pack.events.values() if PAYMENT_EFFECT in e.effects]
    record = case.events.filter(event__in=steps).order_by("-seq").first()
    if record is None:
        return None
    raw = record.payload.get("inputs", {}).get("amount")
    paid = Decimal(str(raw)) if raw not in (None, "") else case.fee_due
    if paid is None or paid <= 0:
        return None
    payment = record.payload.get("payment") or {}
    intent = None
    if payment.get("intent"):
        intent = PaymentIntent.objects.filter(
            provider=payment.get("provider", ""),
            provider_id=payment["intent"],
            status=IntentStatus.SUCCEEDED,
        ).first()
    return paid, intent


def record_owed(
    case: Case, record: CaseEvent, paid: Decimal, intent: PaymentIntent | None, fee: Decimal
) -> Refund | None:
    """Record that ``paid - fee`` is owed back, in the closing step's transaction. Paid
    online: the provider refunds it, and the ledger moves it from ``fees_received`` to
    ``refunds_payable``. Paid at the counter: flagged for the counter, no provider, no
    posting (the counter's money is not in this ledger)."""
    amount = paid - fee
    if amount <= 0:
        return None
    return _owe(
        case,
        f"case-{case.id}-refund-{record.seq}",
        intent,
        amount,
        case.currency,
        RefundReason.CLOSED_EARLY,
        debit=Account.FEES_RECEIVED,
        memo=f"refund owed ({record.event})",
    )


def record_unapplied(case: Case, intent: PaymentIntent) -> Refund:
    """Record that a payment the case could not take is owed back whole, in the transaction
    that took the payment: the ledger moves it from ``fees_unapplied`` to
    ``refunds_payable``, once."""
    return _owe(
        case,
        f"intent-{intent.pk}-not-applied",
        intent,
        intent.amount,
        intent.currency,
        RefundReason.NOT_APPLIED,
        debit=Account.FEES_UNAPPLIED,
        memo="refund owed (payment not applied)",
    )


def _owe(
    case: Case,
    key: str,
    intent: PaymentIntent | None,
    amount: Decimal,
    currency: str,
    reason: str,
    *,
    debit: str,
    memo: str,
) -> Refund:
    """The refund under ``key``, recorded now if there is none: owed through the provider
    when paid online, its amount moved from ``debit`` to ``refunds_payable`` once; flagged
    for the counter (no provider, no posting) when not."""
    now = clock.now()
    refund, created = Refund.objects.get_or_create(
        key=key,
        defaults={
            "case": case,
            "intent": intent,
            "amount": amount,
            "currency": currency,
            "provider": intent.provider if intent else "",
            "status": RefundStatus.OWED if intent else RefundStatus.COUNTER,
            "reason": reason,
            "due_by": clock.today() + REFUND_WITHIN,
            "created_at": now,
            "updated_at": now,
        },
    )
    if created and intent is not None:
        ledger.post(
            case,
            amount,
            currency,
            debit=debit,
            credit=Account.REFUNDS_PAYABLE,
            memo=memo,
            intent=intent,
        )
    return refund


def apply_refund(refund_id: UUID, status: str, provider_id: str = "") -> bool:
    """Take the provider's word on a refund; True if anything changed. A success posts
    ``refunds_payable`` → ``provider_clearing`` once; taking it again changes nothing. A
    refusal marks the refund ``failed``: still owed (nothing is posted), no longer sent, for
    the finance office to refund by other means; a success that comes after it still counts."""
    with transaction.atomic():
        case_id = Refund.objects.values_list("case_id", flat=True).get(pk=refund_id)
        case = Case.objects.select_for_update().get(pk=case_id)
        refund = (
            Refund.objects.select_for_update(of=("self",))
            .select_related("intent")
            .get(pk=refund_id)
        )
        if status == FAILED and refund.status in (RefundStatus.OWED, RefundStatus.SENT):
            log.warning("refund %s: refused by the provider", refund.pk)
            refund.status = RefundStatus.FAILED
            refund.provider_id = refund.provider_id or provider_id
            refund.updated_at = clock.now()
            refund.save(update_fields=["status", "provider_id", "updated_at"])
            return True
        if status != SUCCEEDED or refund.status not in UNSETTLED:
            return False
        refund.status = RefundStatus.SUCCEEDED
        refund.provider_id = refund.provider_id or provider_id
        refund.updated_at = clock.now()
        refund.save(update_fields=["status", "provider_id", "updated_at"])
        ledger.post(
            case,
            refund.amount,
            refund.currency,
            debit=Account.REFUNDS_PAYABLE,
            credit=Account.PROVIDER_CLEARING,
            memo=f"refund {refund.provider} {refund.provider_id}",
            intent=refund.intent,
        )
        return True


def find_refund(provider: str, refund_id: str, reference: str) -> Refund | None:
    """The court's refund a provider's event is about: by the provider's id, or (when the
    event came before the provider's answer) by the court's key given as its reference."""
    found = Refund.objects.filter(provider=provider, provider_id=refund_id).first()
    if found is None and reference:
        found = Refund.objects.filter(provider=provider, key=reference).first()
    return found


def owe_unapplied() -> list[Refund]:
    """Record the refund of every payment whose money still sits in ``fees_unapplied``
    with no refund recorded: payments taken before unapplied payments were owed back
    (netcourt before 2026-11-29) would otherwise stay there, unseen. Idempotent."""
    left = (
        LedgerEntry.objects.filter(account=Account.FEES_UNAPPLIED, intent__isnull=False)
        .values("intent")
        .annotate(held=Sum("credit") - Sum("debit"))
        .filter(held__gt=0)
        .values_list("intent", flat=True)
    )
    owed = []
    for intent in PaymentIntent.objects.filter(pk__in=list(left)).select_related("case"):
        with transaction.atomic():
            Case.objects.select_for_update().get(pk=intent.case_id)
            if not Refund.objects.filter(intent=intent, reason=RefundReason.NOT_APPLIED).exists():
                owed.append(record_unapplied(intent.case, intent))
    return owed


def send_refunds(provider: Provider | None = None) -> list[Refund]:
    """Send every refund owed (or sent and not yet confirmed) to the provider, with its key
    as the Idempotency-Key, and take the provider's answer (`netcourt payments refund`).
    Running it twice sends each refund once. Payments left unapplied with no refund are
    owed back first (`owe_unapplied`)."""
    provider = provider or get_provider()
    owe_unapplied()
    done = []
    pending = Refund.objects.filter(
        provider=provider.name, status__in=[RefundStatus.OWED, RefundStatus.SENT]
    ).select_related("intent")
    for refund in pending.order_by("created_at"):
        if refund.intent is None or not refund.intent.provider_id:
            continue
        try:
            remote = provider.refund(refund.intent.provider_id, refund.key, refund.amount)
        except ProviderError as error:
            log.warning("refund %s: %s", refund.pk, error)
            if error.refused:
                apply_refund(refund.pk, FAILED)
                refund.refresh_from_db()
                done.append(refund)
            continue
        # Its webhook may have come (and settled it) while the provider was answering.
        Refund.objects.filter(pk=refund.pk, status=RefundStatus.OWED).update(
            status=RefundStatus.SENT, updated_at=clock.now()
        )
        Refund.objects.filter(pk=refund.pk, provider_id="").update(provider_id=remote.id)
        apply_refund(refund.pk, remote.status, remote.id)
        refund.refresh_from_db()
        done.append(refund)
    return done
