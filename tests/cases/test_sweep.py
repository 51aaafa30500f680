"""Time limits that run out move the case by themselves."""

from __future__ import annotations

from datetime import timedelta

from netcourt.cases import actions
from netcourt.cases.models import Case
from netcourt.procedure import compute_deadline


def advance(case: Case, actor, *steps: str) -> None:
    for step in steps:
        case.refresh_from_db()
        actions.fire(actor, case.id, step, case.version)
    case.refresh_from_db()


def test_the_answer_period_runs_out_and_the_case_moves_on_once(accepted, staff, frozen) -> None:
    advance(
        accepted, staff["clerk-hangzhou"], "record_payment", "serve_complaint", "confirm_service"
    )
    assert accepted.state == "answer_period"
    assert actions.sweep_expired() == []
    frozen.advance(timedelta(days=15))
    assert actions.sweep_expired() == []  # the last day of the period is still the party's
    frozen.advance(timedelta(days=1))
    fired = actions.sweep_expired()
    assert [e.event for e in fired] == ["close_answer_period"]
    assert fired[0].actor is None and fired[0].payload["expired"] == "answer"
    accepted.refresh_from_db()
    assert accepted.state == "evidence_exchange"
    assert actions.sweep_expired() == []


def test_an_unpaid_fee_deems_the_case_withdrawn_but_a_late_clerk_does_not(
    accepted, staff, frozen
) -> None:
    frozen.advance(timedelta(days=30))
    fired = actions.sweep_expired()
    assert [e.event for e in fired] == ["deem_withdrawn"]
    accepted.refresh_from_db()
    assert accepted.state == "deemed_withdrawn"
    assert not accepted.deadlines.filter(stopped_by__isnull=True, time_limit="pay_fee").exists()


def test_serving_the_complaint_first_leaves_the_fee_to_pay_and_its_time_limit_running(
    accepted, staff, frozen
) -> None:
    """The clerk may send the complaint before the fee is paid (five days against seven): the
    plaintiff can still pay, and unpaid, the case is still deemed withdrawn."""
    from netcourt.payments.policy import payment_step

    advance(accepted, staff["clerk-hangzhou"], "serve_complaint", "confirm_service")
    assert accepted.state == "answer_period"
    step = payment_step(accepted)
    assert step is not None and step.id == "record_payment"
    frozen.advance(timedelta(days=30))
    fired = [e.event for e in actions.sweep_expired()]
    assert "deem_withdrawn" in fired
    accepted.refresh_from_db()
    assert accepted.state == "deemed_withdrawn"


def test_a_paid_fee_keeps_the_case_alive(accepted, staff, frozen) -> None:
    advance(accepted, staff["clerk-hangzhou"], "record_payment")
    frozen.advance(timedelta(days=30))
    assert [e.event for e in actions.sweep_expired()] == []
    accepted.refresh_from_db()
    assert accepted.state == "accepted"


def test_the_evidence_period_stops_when_the_case_closes(accepted, staff) -> None:
    """A withdrawn case shows no evidence period running on, overdue, for ever."""
    from tests.conftest import confirmed

    advance(
        accepted, staff["clerk-hangzhou"], "record_payment", "serve_complaint", "confirm_service"
    )
    period = accepted.deadlines.get(time_limit="evidence_period")
    assert period.stopped_by is None
    actions.fire(
        accepted.created_by, accepted.id, "withdraw", accepted.version, {}, step_up=confirmed()
    )
    period.refresh_from_db()
    assert period.stopped_by is not None


def test_a_small_claims_case_has_seven_days_for_evidence(accepted, staff) -> None:
    """The case page shows the time the law gives the case's own track, with its basis."""
    assert accepted.track == "small_claims"
    advance(
        accepted, staff["clerk-hangzhou"], "record_payment", "serve_complaint", "confirm_service"
    )
    period = accepted.deadlines.get(time_limit="evidence_period")
    pack = accepted.court.pack
    seven = compute_deadline(pack, "evidence_period", period.start, track="small_claims")
    assert period.due == seven.due < compute_deadline(pack, "evidence_period", period.start).due
    assert "小额诉讼案件的举证期限一般不得超过七日" in period.basis["text"]["zh"]


def _rejected(submitted, clerk):
    actions.fire(clerk, submitted.id, "reject", submitted.version, {"reasons": "Not ours."})
    submitted.refresh_from_db()
    return submitted


def test_a_ruling_not_to_accept_can_be_appealed(submitted, staff, frozen) -> None:
    from tests.conftest import confirmed

    case = _rejected(submitted, staff["clerk-hangzhou"])
    actions.fire(
        case.created_by,
        case.id,
        "appeal_rejection",
        case.version,
        {"grounds": "The court is competent."},
        step_up=confirmed(),
    )
    case.refresh_from_db()
    assert case.state == "appealed"
    assert not case.deadlines.filter(time_limit="appeal_ruling", stopped_by__isnull=True).exists()


def test_a_ruling_not_to_accept_not_appealed_in_ten_days_becomes_effective(
    submitted, staff, frozen
) -> None:
    case = _rejected(submitted, staff["clerk-hangzhou"])
    frozen.advance(timedelta(days=11))
    assert [e.event for e in actions.sweep_expired()] == ["close_ruling_appeal_period"]
    case.refresh_from_db()
    assert case.state == "rejection_final"
