"""Every write of the court's payments: start a payment, take an outcome (from a webhook, the
payer's return or reconciliation), each in one transaction with its ledger postings."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction
from django.utils import translation

from netcourt.cases import actions as case_actions
from netcourt.cases.models import Case
from netcourt.core import clock
from netcourt.core.problems import NotFound, Problem
from netcourt.payments import ledger, policy, refunds
from netcourt.payments.models import Account, IntentStatus, PaymentIntent, ProcessedWebhook
from netcourt.payments.providers import (
    FAILED,
    SUCCEEDED,
    Provider,
    ProviderError,
    WebhookEvent,
    WebhookRejected,
    get_provider,
)

log = logging.getLogger(__name__)


def _unavailable() -> Problem:
    return Problem(
        "payment_unavailable",
        translation.gettext(
            "The payment service cannot be reached just now. Nothing was charged; try again "
            "in a few minutes."
        ),
        status=503,
    )


def start_payment(user: Any, case_id: UUID | str, return_url: str) -> PaymentIntent:
    """The intent to pay the fee due on the case, at the provider and here. One per case and
    amount: asking again (a second click, a retry after a declined card) gives the same one."""
    from netcourt.cases.policy import get_case

    case = get_case(user, case_id)
    if not policy.may_pay_online(user, case):
        raise Problem(
            "payment_not_due",
            translation.gettext("No fee is waiting to be paid online on this case."),
            status=409,
        )
    assert case.fee_due is not None  # may_pay_online checked it
    provider = get_provider()
    key = f"case-{case.id}-fee-{case.fee_due:f}"
    now = clock.now()
    # The court's record first, committed before the provider is asked: every intent the
    # provider makes for this key is one the court knows of.
    try:
        with transaction.atomic():
            intent, _ = PaymentIntent.objects.get_or_create(
                key=key,
                defaults={
                    "case": case,
                    "amount": case.fee_due,
                    "currency": case.currency,
                    "provider": provider.name,
                    "created_at": now,
                    "updated_at": now,
                },
            )
    except IntegrityError:
        intent = PaymentIntent.objects.get(key=key)
    try:
        remote = provider.create_intent(
            key, intent.amount, intent.currency, case.number or str(case.id), return_url
        )
    except ProviderError as error:
        log.warning("payment provider: %s", error)
        raise _unavailable() from None
    PaymentIntent.objects.filter(pk=intent.pk).exclude(status=IntentStatus.SUCCEEDED).update(
        provider_id=remote.id,
        checkout_url=remote.checkout_url,
        status=IntentStatus.PENDING,
        updated_at=now,
    )
    intent.refresh_from_db()
    return intent


def apply_outcome(intent_id: UUID, status: str) -> bool:
    """Take the provider's word on an intent; True if anything changed. A success posts the
    fee to the ledger and takes the pack's payment step (stopping the time limit to pay), in
    one transaction; taking it twice changes nothing. A failure never undoes a success."""
    with transaction.atomic():
        case_id = PaymentIntent.objects.values_list("case_id", flat=True).get(pk=intent_id)
        case = Case.objects.select_for_update().select_related("court").get(pk=case_id)
        intent = PaymentIntent.objects.select_for_update().get(pk=intent_id)
        if intent.status == IntentStatus.SUCCEEDED or status not in (SUCCEEDED, FAILED):
            return False
        if status == FAILED:
            if intent.status == IntentStatus.FAILED:
                return False
            intent.status = IntentStatus.FAILED
            intent.updated_at = clock.now()
            intent.save(update_fields=["status", "updated_at"])
            return True
        intent.status = IntentStatus.SUCCEEDED
        intent.updated_at = clock.now()
        intent.save(update_fields=["status", "updated_at"])
        applied = _record_payment(case, intent)
        ledger.post(
            case,
            intent.amount,
            intent.currency,
            debit=Account.PROVIDER_CLEARING,
            credit=Account.FEES_RECEIVED if applied else Account.FEES_UNAPPLIED,
            memo=f"{intent.provider} {intent.provider_id}",
            intent=intent,
        )
        if not applied:
            refunds.record_unapplied(case, intent)
        return True


def _record_payment(case: Case, intent: PaymentIntent) -> bool:
    """Take the pack's payment step for ``intent`` on the locked case; False when the case
    cannot take it (already paid, withdrawn, or the fee changed): the money is unapplied,
    and owed back whole."""
    step = policy.payment_step(case)
    if step is None:
        return False
    try:
        with transaction.atomic():
            case_actions.fire_as_system(
                case,
                step.id,
                {"amount": f"{intent.amount:f}"},
                {"payment": {"provider": intent.provider, "intent": intent.provider_id}},
            )
            case.save()
    except Problem as problem:
        log.warning("payment %s not applied to its case: %s", intent.pk, problem.code)
        case.refresh_from_db()
        return False
    return True


def refresh(intent: PaymentIntent, provider: Provider | None = None) -> PaymentIntent:
    """Ask the provider how ``intent`` stands and take the answer."""
    if not intent.provider_id:
        return intent
    remote = (provider or get_provider(intent.provider)).retrieve(intent.provider_id)
    apply_outcome(intent.pk, remote.status)
    intent.refresh_from_db()
    return intent


def receive_webhook(provider_name: str, headers: Mapping[str, str], body: bytes) -> str:
    """Take one webhook: "applied", "unchanged", or "duplicate" for an event seen before.
    Raises WebhookRejected for a forged or stale one; ProviderError if a check failed."""
    provider = get_provider()
    if provider.name != provider_name:
        raise WebhookRejected("not this court's provider")
    event = provider.verify_webhook(headers, body, clock.now())
    if event.refund_id:
        return _receive_refund_event(provider, event)
    intent = PaymentIntent.objects.filter(
        provider=provider.name, provider_id=event.intent_id
    ).first()
    if intent is None:
        raise WebhookRejected("unknown intent")
    status = event.status
    if status == SUCCEEDED and intent.status == IntentStatus.FAILED:
        # Out of order or a retry after a decline: a success after a failure is taken
        # only when the provider confirms it.
        status = provider.retrieve(event.intent_id).status
    try:
        with transaction.atomic():
            ProcessedWebhook.objects.create(
                provider=provider.name, event_id=event.id, received_at=clock.now()
            )
            changed = apply_outcome(intent.pk, status)
    except IntegrityError:
        return "duplicate"
    return "applied" if changed else "unchanged"


def _receive_refund_event(provider: Provider, event: WebhookEvent) -> str:
    """A refund's event: settles the court's refund once; the same event again is a
    duplicate."""
    refund = refunds.find_refund(provider.name, event.refund_id, event.reference)
    if refund is None or refund.intent is None or refund.intent.provider_id != event.intent_id:
        raise WebhookRejected("unknown refund")
    try:
        with transaction.atomic():
            ProcessedWebhook.objects.create(
                provider=provider.name, event_id=event.id, received_at=clock.now()
            )
            changed = refunds.apply_refund(refund.pk, event.status, event.refund_id)
    except IntegrityError:
        return "duplicate"
    return "applied" if changed else "unchanged"


def reconcile() -> list[PaymentIntent]:
    """Ask the provider about every intent still pending and take the answers: what a lost
    webhook (a crash between the provider's success and its webhook) would have brought."""
    done = []
    for intent in PaymentIntent.objects.filter(status=IntentStatus.PENDING).exclude(provider_id=""):
        try:
            done.append(refresh(intent))
        except ProviderError as error:
            log.warning("reconcile %s: %s", intent.pk, error)
    return done


def intent_for_return(user: Any, case_id: UUID | str, provider_id: str) -> PaymentIntent:
    """The intent the payer came back from, brought up to date; 404 if not theirs to see."""
    from netcourt.cases.policy import get_case

    case = get_case(user, case_id)
    intent = PaymentIntent.objects.filter(case=case, provider_id=provider_id).first()
    if intent is None or not provider_id:
        raise NotFound()
    if intent.status != IntentStatus.SUCCEEDED:
        try:
            intent = refresh(intent)
        except ProviderError as error:
            log.warning("payment provider: %s", error)
    return intent
