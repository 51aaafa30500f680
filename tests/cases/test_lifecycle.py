"""Filing through acceptance, as the litigant and the clerk experience it."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest

from netcourt.accounts.mfa import StepUp
from netcourt.cases import actions
from netcourt.cases.models import Case, CaseDeadline, CaseEvent, JudgeDraw
from netcourt.core.problems import Problem
from netcourt.hearings import scheduling
from netcourt.hearings.times import court_zone
from tests.conftest import complete_filing, confirmed


def test_submit_checks_the_filing_writes_the_statement_and_starts_the_decision_clock(
    submitted: Case,
) -> None:
    assert submitted.state == "submitted"
    assert submitted.track == "small_claims"
    assert "张伟" in submitted.statement
    assert submitted.statement_language == "en"
    decision = CaseDeadline.objects.get(case=submitted, time_limit="filing_decision")
    assert decision.start == date(2026, 11, 2)
    assert decision.due == date(2026, 11, 9)
    assert "126" in decision.basis["article"]["en"]
    assert decision.stopped_by is None


def test_accept_assigns_the_number_draws_a_judge_and_records_the_draw(accepted: Case) -> None:
    assert accepted.state == "accepted"
    assert accepted.number == "(2026)浙0192民初1号"
    assert accepted.judge is not None
    draw = JudgeDraw.objects.get(case=accepted)
    assert draw.chosen_id == accepted.judge.pk
    assert actions.run_draw(draw.eligible, draw.seed) == accepted.judge.pk
    assert len(draw.eligible) == 2
    assert draw.seed == accepted.events.get(event="accept").hash
    assigned = accepted.events.get(event="assign_judge")
    assert assigned.payload["draw"]["eligible"] == draw.eligible
    events = list(accepted.events.values_list("event", flat=True))
    assert events[-3:] == ["accept", "assign_judge", "give_judge_notice"]
    decision = CaseDeadline.objects.get(case=accepted, time_limit="filing_decision")
    assert decision.stopped_by is not None


def test_the_parties_are_told_who_the_judge_is_once_per_assignment(accepted: Case, staff) -> None:
    """Told with the draw; the clerk cannot send the same notice again, only after another
    judge is assigned (then it goes by itself too)."""
    clerk = staff["clerk-hangzhou"]
    with pytest.raises(Problem) as again:
        actions.fire(clerk, accepted.id, "give_judge_notice", accepted.version)
    assert (again.value.code, again.value.status) == ("wrong_state", 409)
    other = next(j for j in actions.eligible_judges(accepted) if j != accepted.judge_id)
    actions.fire(clerk, accepted.id, "assign_judge", accepted.version, {"judge": str(other)})
    accepted.refresh_from_db()
    events = list(accepted.events.values_list("event", flat=True))
    assert events[-2:] == ["assign_judge", "give_judge_notice"]
    assert events.count("give_judge_notice") == 2


def test_case_numbers_count_up_per_court_and_year(alice, hangzhou, staff, frozen) -> None:
    numbers = []
    for _ in range(3):
        case = actions.file_case(alice, hangzhou, "ecommerce_purchase", complete_filing())
        actions.fire(alice, case.id, "submit", case.version)
        case.refresh_from_db()
        actions.fire(staff["clerk-hangzhou"], case.id, "accept", case.version)
        case.refresh_from_db()
        numbers.append(case.number)
    assert numbers == ["(2026)浙0192民初1号", "(2026)浙0192民初2号", "(2026)浙0192民初3号"]


def test_every_event_is_chained_and_the_chain_detects_tampering(accepted: Case) -> None:
    assert actions.verify_chain(accepted)
    event = accepted.events.order_by("seq")[1]
    CaseEvent.objects.filter(pk=event.pk).update(payload={"inputs": {"forged": True}})
    assert not actions.verify_chain(accepted)
    CaseEvent.objects.filter(pk=event.pk).update(payload=event.payload)
    assert actions.verify_chain(accepted)
    CaseEvent.objects.filter(pk=event.pk).update(actor=None)
    assert not actions.verify_chain(accepted)


def test_corrections_can_be_requested_once_then_the_filer_resubmits(submitted: Case, staff) -> None:
    clerk = staff["clerk-hangzhou"]
    actions.fire(
        clerk,
        submitted.id,
        "request_corrections",
        submitted.version,
        {"defects": ["Give the defendant's registration number", "Attach the order"]},
    )
    submitted.refresh_from_db()
    assert submitted.state == "corrections_requested"
    actions.amend_filing(
        submitted.created_by,
        submitted.id,
        submitted.version,
        actions.FilingData(facts="More facts, with the order attached."),
    )
    submitted.refresh_from_db()
    actions.fire(submitted.created_by, submitted.id, "resubmit", submitted.version)
    submitted.refresh_from_db()
    assert submitted.state == "submitted"
    with pytest.raises(Problem) as refused:
        actions.fire(
            clerk, submitted.id, "request_corrections", submitted.version, {"defects": ["again"]}
        )
    assert refused.value.code == "limit_reached"


def test_reject_needs_reasons(submitted: Case, staff) -> None:
    clerk = staff["clerk-hangzhou"]
    with pytest.raises(Problem) as refused:
        actions.fire(clerk, submitted.id, "reject", submitted.version, {})
    assert refused.value.code == "input_missing"
    actions.fire(
        clerk, submitted.id, "reject", submitted.version, {"reasons": "Not a civil dispute."}
    )
    submitted.refresh_from_db()
    assert submitted.state == "rejected"


def test_a_stale_form_is_refused_and_changes_nothing(submitted: Case, staff) -> None:
    clerk = staff["clerk-hangzhou"]
    before = submitted.events.count()
    with pytest.raises(Problem) as refused:
        actions.fire(clerk, submitted.id, "accept", submitted.version - 1)
    assert refused.value.code == "stale_version"
    assert refused.value.status == 409
    submitted.refresh_from_db()
    assert submitted.state == "submitted"
    assert submitted.events.count() == before


def test_a_party_cannot_take_the_clerks_step(submitted: Case) -> None:
    with pytest.raises(Problem) as refused:
        actions.fire(submitted.created_by, submitted.id, "accept", submitted.version)
    assert refused.value.code == "role_not_allowed"


def test_an_incomplete_filing_is_refused_with_every_gap(alice, hangzhou, frozen) -> None:
    case = actions.create_draft(alice, hangzhou, "ecommerce_purchase")
    with pytest.raises(Problem) as refused:
        actions.fire(alice, case.id, "submit", case.version)
    assert refused.value.code == "incomplete_filing"
    fields = {m["field"] for m in refused.value.extra["missing"]}
    assert {"parties", "amount", "claims", "facts", "factors"} <= fields
    case.refresh_from_db()
    assert case.state == "draft"


def test_a_court_without_territory_refuses_and_names_the_court_that_can(
    alice, courts, staff, frozen
) -> None:
    case = actions.file_case(
        alice,
        courts["hangzhou"],
        "ecommerce_purchase",
        complete_filing(factors={"buyer_domicile": "beijing"}),
    )
    with pytest.raises(Problem) as refused:
        actions.fire(alice, case.id, "submit", case.version)
    assert refused.value.code == "not_competent"
    assert refused.value.extra["alternatives"] == ["beijing"]
    case.refresh_from_db()
    actions.move_filing(alice, case.id, case.version, "beijing")
    case.refresh_from_db()
    actions.fire(alice, case.id, "submit", case.version)
    case.refresh_from_db()
    assert case.state == "submitted"
    assert case.court.slug == "beijing"


def test_bad_amounts_write_nothing(alice, hangzhou, frozen) -> None:
    before = Case.objects.count()
    for amount in (Decimal("-1"), Decimal("0"), Decimal("1e20")):
        with pytest.raises(Problem):
            actions.file_case(alice, hangzhou, "ecommerce_purchase", complete_filing(amount=amount))
    assert Case.objects.count() == before


def test_withdrawal_by_the_plaintiff(accepted: Case) -> None:
    actions.fire(
        accepted.created_by, accepted.id, "withdraw", accepted.version, {}, step_up=confirmed()
    )
    accepted.refresh_from_db()
    assert accepted.state == "withdrawn"


def test_a_discarded_draft_cannot_be_submitted(draft: Case) -> None:
    actions.fire(draft.created_by, draft.id, "discard", draft.version)
    draft.refresh_from_db()
    assert draft.state == "discarded"
    with pytest.raises(Problem) as refused:
        actions.fire(draft.created_by, draft.id, "submit", draft.version)
    assert refused.value.code == "wrong_state"


def test_the_clerk_cannot_put_a_large_claim_on_the_small_claims_track(
    alice, hangzhou, staff, frozen
) -> None:
    case = actions.file_case(
        alice, hangzhou, "ecommerce_purchase", complete_filing(amount=Decimal("5000000"))
    )
    actions.fire(alice, case.id, "submit", case.version)
    case.refresh_from_db()
    clerk = staff["clerk-hangzhou"]
    for track in ("small_claims", "administrative_simplified"):
        with pytest.raises(Problem) as refused:
            actions.fire(clerk, case.id, "accept", case.version, {"track": track})
        assert refused.value.code == "input_invalid"
        assert refused.value.field == "track"
    actions.fire(clerk, case.id, "accept", case.version, {"track": "ordinary"})
    case.refresh_from_db()
    assert case.track == "ordinary"


def test_a_judge_who_is_a_party_is_never_drawn(alice, hangzhou, staff, frozen) -> None:
    judge = staff["judge1-hangzhou"]
    case = actions.file_case(alice, hangzhou, "ecommerce_purchase", complete_filing())
    defendant = case.parties.get(role="defendant")
    defendant.user = judge
    defendant.save()
    case.refresh_from_db()
    assert actions.eligible_judges(case) == [staff["judge2-hangzhou"].pk]


def test_a_hearing_needs_the_statutory_notice(accepted: Case, staff) -> None:
    clerk = staff["clerk-hangzhou"]
    for step in ("serve_complaint", "confirm_service", "close_answer_period"):
        accepted.refresh_from_db()
        actions.fire(clerk, accepted.id, step, accepted.version)
    accepted.refresh_from_db()
    assert accepted.state == "evidence_exchange"
    for too_soon in (date(2020, 1, 1), date(2026, 11, 3)):
        with pytest.raises(Problem) as refused:
            scheduling.schedule(
                accepted.judge,
                accepted.id,
                accepted.version,
                starts_at=datetime.combine(too_soon, time(10), tzinfo=court_zone()),
            )
        assert refused.value.code == "schedule_too_soon"
        assert refused.value.field == "hearing_at"
    scheduling.schedule(
        accepted.judge,
        accepted.id,
        accepted.version,
        starts_at=datetime.combine(date(2026, 11, 9), time(10), tzinfo=court_zone()),
    )
    notice = CaseDeadline.objects.get(case=accepted, time_limit="hearing_notice")
    assert notice.due == date(2026, 11, 6)


def test_a_time_limit_ending_in_an_unpublished_year_is_marked_provisional(
    alice, hangzhou, staff
) -> None:
    from datetime import UTC, datetime

    from netcourt.core import clock

    with clock.use(clock.FixedClock(datetime(2026, 12, 28, 2, 0, tzinfo=UTC))):
        case = actions.file_case(alice, hangzhou, "ecommerce_purchase", complete_filing())
        actions.fire(alice, case.id, "submit", case.version)
    decision = CaseDeadline.objects.get(case=case, time_limit="filing_decision")
    assert decision.due.year == 2027
    assert decision.provisional


def test_a_sensitive_step_needs_a_recent_second_factor(accepted: Case, frozen) -> None:
    plaintiff = accepted.created_by
    for step_up in (None, StepUp(method="totp", at=frozen.now() - timedelta(minutes=16))):
        with pytest.raises(Problem) as refused:
            actions.fire(plaintiff, accepted.id, "withdraw", accepted.version, {}, step_up=step_up)
        assert (refused.value.code, refused.value.status) == ("step_up_required", 403)
        assert refused.value.extra == {"within_minutes": 15}
    recent = StepUp(method="webauthn", at=frozen.now() - timedelta(minutes=14))
    record = actions.fire(plaintiff, accepted.id, "withdraw", accepted.version, {}, step_up=recent)
    assert record.payload["step_up"] == {"method": "webauthn", "at": recent.at.isoformat()}
