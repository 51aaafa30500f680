"""Who may pay a case's fee online and when, read a receipt, or see a court's finances."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from netcourt.cases import policy
from netcourt.cases.models import Case
from netcourt.core.problems import NotFound
from netcourt.courts.admin import administered_courts
from netcourt.courts.models import Court
from netcourt.payments.models import IntentStatus, PaymentIntent
from netcourt.procedure import Event, available_events

PAYMENT_EFFECT = "check_payment"  # the pack's step that records a fee paid carries it


def payment_step(case: Case) -> Event | None:
    """The pack's step recording the fee paid, if the system may take it on the case now."""
    pack = case.court.pack
    for event in available_events(
        pack, case.state, [policy.SYSTEM_ROLE], case.event_ids(), track=case.track or None
    ):
        if PAYMENT_EFFECT in event.effects:
            return event
    return None


def may_pay_online(user: Any, case: Case) -> bool:
    """A party on the plaintiff's side (or its representative), while a fee is due unpaid."""
    return (
        case.fee_due is not None
        and case.fee_due > 0
        and "plaintiff" in policy.case_roles(user, case)
        and payment_step(case) is not None
    )


def paid_intent(user: Any, case_id: UUID | str, intent_id: UUID | str) -> PaymentIntent:
    """The succeeded payment ``intent_id`` of a case ``user`` may see; 404 otherwise."""
    case = policy.get_case(user, case_id)
    intent = PaymentIntent.objects.filter(
        pk=intent_id, case=case, status=IntentStatus.SUCCEEDED
    ).first()
    if intent is None:
        raise NotFound()
    return intent


def finance_court(user: Any, slug: str) -> Court:
    """The court, if ``user`` is one of its clerks or administrators; 404 otherwise."""
    court = Court.objects.filter(slug=slug).first()
    if court is None or not user.is_authenticated:
        raise NotFound()
    if not (policy.is_clerk_of(user, court.pk) or administered_courts(user).filter(pk=court.pk)):
        raise NotFound()
    return court
