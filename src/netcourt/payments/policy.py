"""Who may pay a case's fee online, and when."""

from __future__ import annotations

from typing import Any

from netcourt.cases import policy
from netcourt.cases.models import Case
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
