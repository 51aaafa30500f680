"""The asynchronous trial: ordered only when every condition holds (each refusal says which do
not), then questions and answers in writing, late answers marked, and the exchange filed as
the record of the trial with its hash in the transparency log."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pytest

from netcourt.cases import actions
from netcourt.cases.models import AccessLogEntry, Case
from netcourt.core.problems import Problem
from netcourt.evidence import actions as evidence_actions
from netcourt.evidence.store import plaintext
from netcourt.hearings import asynchronous
from netcourt.hearings.models import AsynchronousRecord
from netcourt.service import actions as service_actions
from netcourt.transparency.models import LogEntry
from tests.conftest import confirmed, signed_in
from tests.evidence.test_pdf import squeezed, text_of
from tests.evidence.test_submission import pdf, submit

ALL = [
    asynchronous.TRACK,
    asynchronous.APPLICATION,
    asynchronous.CONSENT,
    asynchronous.UNDISPUTED,
]


@pytest.fixture
def exchange(exchanging: Case, staff: dict[str, Any], frozen: Any) -> Case:
    """A small-claims case in its evidence exchange: nothing applied, consented or submitted."""
    actions.fire(staff["clerk-hangzhou"], exchanging.id, "close_answer_period", exchanging.version)
    exchanging.refresh_from_db()
    assert (exchanging.state, exchanging.track) == ("evidence_exchange", "small_claims")
    return exchanging


def apply(case: Case, user: Any) -> None:
    case.refresh_from_db()
    actions.fire(
        user,
        case.id,
        asynchronous.APPLY_EVENT,
        case.version,
        {"reasons": "双方对事实没有争议，原告在外地工作，无法同时在线。"},
    )


def consent(case: Case, alice: Any, bob: Any, *, bob_agrees: bool = True) -> None:
    service_actions.record_consent(
        alice, case.pk, case.parties.get(role="plaintiff").pk, "asynchronous", "given"
    )
    service_actions.record_consent(
        bob,
        case.pk,
        case.parties.get(role="defendant").pk,
        "asynchronous",
        "given" if bob_agrees else "refused",
    )


def exchange_evidence(case: Case, alice: Any, bob: Any, relevance: str = "accepted") -> None:
    item = submit(alice, case, pdf())
    evidence_actions.examine(
        bob,
        case.id,
        item.pk,
        authenticity="accepted",
        legality="disputed",  # legality is not among the conditions
        relevance=relevance,
        step_up=confirmed(),
    )


@pytest.fixture
def eligible(exchange: Case, alice: Any, bob: Any) -> Case:
    apply(exchange, alice)
    consent(exchange, alice, bob)
    exchange_evidence(exchange, alice, bob)
    exchange.refresh_from_db()
    return exchange


def codes(case: Case) -> list[str]:
    return [code for code, _ in asynchronous.eligibility(case)]


def order_refused(case: Case) -> tuple[Problem, Problem]:
    """The refusals of ordering the trial: through the page's action, and the plain step."""
    case.refresh_from_db()
    with pytest.raises(Problem) as by_action:
        asynchronous.order(case.judge, case.id, case.version)
    with pytest.raises(Problem) as by_step:
        actions.fire(case.judge, case.id, asynchronous.ORDER_EVENT, case.version)
    assert case.events.filter(event=asynchronous.ORDER_EVENT).count() == 0
    return by_action.value, by_step.value


def test_an_eligible_case_meets_every_condition(eligible) -> None:
    assert asynchronous.eligibility(eligible) == []
    assert asynchronous.conditions_guard(eligible) is None


def test_only_small_claims_or_simplified_cases_are_tried_asynchronously(eligible) -> None:
    Case.objects.filter(pk=eligible.pk).update(track="ordinary")
    eligible.refresh_from_db()
    assert codes(eligible) == [asynchronous.TRACK]
    action, step = order_refused(eligible)
    assert (action.code, action.status) == ("asynchronous_not_allowed", 409)
    assert action.extra == {"conditions": [asynchronous.TRACK]}
    assert "small-claims or the simplified procedure" in action.message
    assert (step.code, step.message) == ("wrong_state", action.message)


def test_a_party_must_apply_in_writing(exchange, alice, bob, staff) -> None:
    consent(exchange, alice, bob)
    exchange_evidence(exchange, alice, bob)
    assert codes(exchange) == [asynchronous.APPLICATION]
    action, step = order_refused(exchange)
    assert "applied in writing" in action.message and step.message == action.message


def test_an_application_is_spent_when_the_case_returns_to_a_hearing(eligible, alice) -> None:
    asynchronous.order(eligible.judge, eligible.id, eligible.version)
    eligible.refresh_from_db()
    actions.fire(
        eligible.judge,
        eligible.id,
        asynchronous.RETURN_EVENT,
        eligible.version,
        {"reasons": "被告申请同步开庭。"},
    )
    eligible.refresh_from_db()
    assert eligible.state == "evidence_exchange"
    assert codes(eligible) == [asynchronous.APPLICATION]


def test_every_party_must_consent(exchange, alice, bob) -> None:
    apply(exchange, alice)
    consent(exchange, alice, bob, bob_agrees=False)
    exchange_evidence(exchange, alice, bob)
    assert codes(exchange) == [asynchronous.CONSENT]
    action, _ = order_refused(exchange)
    assert "Yungou E-commerce Co., Ltd." in action.message and "张伟" not in action.message


def test_the_evidence_exchange_must_have_taken_place(exchange, alice, bob) -> None:
    apply(exchange, alice)
    consent(exchange, alice, bob)
    assert codes(exchange) == [asynchronous.UNDISPUTED]
    action, _ = order_refused(exchange)
    assert "no evidence was submitted" in action.message


def test_the_main_facts_must_be_undisputed(exchange, alice, bob) -> None:
    apply(exchange, alice)
    consent(exchange, alice, bob)
    exchange_evidence(exchange, alice, bob, relevance="disputed")
    assert codes(exchange) == [asynchronous.UNDISPUTED]
    action, _ = order_refused(exchange)
    assert "in dispute" in action.message and "Plaintiff's evidence 1" in action.message


def test_an_item_the_other_side_has_not_examined_is_not_yet_undisputed(
    exchange, alice, bob
) -> None:
    apply(exchange, alice)
    consent(exchange, alice, bob)
    exchange_evidence(exchange, alice, bob)
    submit(alice, exchange, pdf())  # a second item, which bob has not examined yet
    assert codes(exchange) == [asynchronous.UNDISPUTED]
    action, _ = order_refused(exchange)
    assert "not finished" in action.message and "Plaintiff's evidence 2" in action.message


def test_every_failing_condition_is_said_at_once(exchange) -> None:
    Case.objects.filter(pk=exchange.pk).update(track="ordinary")
    exchange.refresh_from_db()
    failing = asynchronous.eligibility(exchange)
    assert [code for code, _ in failing] == ALL
    action, step = order_refused(exchange)
    assert action.extra == {"conditions": ALL}
    for _, message in failing:
        assert message in step.message
    assert asynchronous.conditions_guard(exchange) == step.message


def test_the_trial_runs_in_writing_and_its_record_is_filed(
    eligible, alice, bob, frozen, django_capture_on_commit_callbacks
) -> None:
    judge = eligible.judge
    asynchronous.order(judge, eligible.id, eligible.version)
    eligible.refresh_from_db()
    assert eligible.state == "asynchronous_trial"
    with pytest.raises(Problem) as early:
        actions.fire(alice, eligible.id, "answer_questions", eligible.version, {"answers": "?"})
    assert (early.value.code, early.value.message) == (
        "wrong_state",
        "The court has not put any questions yet.",
    )
    actions.fire(
        judge,
        eligible.id,
        "put_questions",
        eligible.version,
        {"questions": "一、原告何时付款？二、被告是否发货？"},
    )
    eligible.refresh_from_db()
    due = eligible.deadlines.get(time_limit=asynchronous.ANSWER_LIMIT, stopped_by__isnull=True).due
    on_time = actions.fire(
        alice, eligible.id, "answer_questions", eligible.version, {"answers": "8月3日付款。"}
    )
    assert (on_time.payload["late"], on_time.payload["round"]) == (False, 1)
    frozen.advance(timedelta(days=(due - frozen.now().date()).days + 2))
    eligible.refresh_from_db()
    late = actions.fire(
        bob, eligible.id, "answer_questions", eligible.version, {"answers": "没有发货。"}
    )
    assert (late.payload["late"], late.payload["round"]) == (True, 1)
    eligible.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        concluded = actions.fire(judge, eligible.id, asynchronous.CONCLUDE_EVENT, eligible.version)
    eligible.refresh_from_db()
    assert eligible.state == "heard"
    assert not eligible.deadlines.filter(
        time_limit=asynchronous.ANSWER_LIMIT, stopped_by__isnull=True
    ).exists()
    stored = AsynchronousRecord.objects.select_related("blob", "event").get(case=eligible)
    assert stored.concluded_by == concluded
    assert (stored.event.event, stored.event.actor, stored.event.seq) == (
        asynchronous.STORE_EVENT,
        None,
        concluded.seq + 1,
    )
    data = b"".join(plaintext(stored.blob))
    digest = hashlib.sha256(data).hexdigest()
    assert digest == stored.blob.sha256 == stored.event.payload["record"]["sha256"]
    assert LogEntry.objects.filter(ref=actions.event_leaf_ref(stored.event)).exists()
    assert actions.verify_chain(eligible)
    text = squeezed(text_of(data))
    order = ["原告在外地工作", "原告何时付款", "8月3日付款", "answeredlate", "没有发货"]
    positions = [text.find(piece) for piece in order]
    assert -1 not in positions and positions == sorted(positions)
    thread = asynchronous.thread(eligible)
    [round_] = thread.rounds
    assert [(a.event.actor, a.late) for a in round_.answers] == [(alice, False), (bob, True)]
    assert round_.due == due and thread.ended is not None


# --- the page ------------------------------------------------------------------------------


def test_the_page_shows_the_checklist_and_the_judge_s_closed_order(exchange, alice, bob) -> None:
    apply(exchange, alice)
    answer = signed_in(exchange.judge).get(f"/cases/{exchange.pk}/asynchronous/")
    assert answer.status_code == 200
    body = answer.content.decode()
    assert body.count(">Not met<") == 2 and body.count(">Met<") == 2
    assert "disabled" in body and "No party has applied" not in body
    assert "双方对事实没有争议" in body
    assert AccessLogEntry.objects.filter(case=exchange, what="asynchronous.view").exists()
    refused = signed_in(exchange.judge).post(
        f"/cases/{exchange.pk}/asynchronous/step",
        {"event": asynchronous.ORDER_EVENT, "version": exchange.version},
        follow=True,
    )
    assert "Not every party has agreed" in refused.content.decode()


def test_a_step_with_an_unreadable_version_is_refused_on_the_page(eligible) -> None:
    judge = signed_in(eligible.judge)
    state, version_before = eligible.state, eligible.version
    for version in ("\u00b2", "9" * 5000, ""):
        refused = judge.post(
            f"/cases/{eligible.pk}/asynchronous/step",
            {"event": asynchronous.ORDER_EVENT, "version": version},
            follow=True,
        )
        assert refused.status_code == 200
        assert "did not say which version of the case you saw" in refused.content.decode()
    eligible.refresh_from_db()
    assert (eligible.state, eligible.version) == (state, version_before)


def test_the_parties_answer_from_the_page_and_download_the_record(eligible, alice) -> None:
    asynchronous.order(eligible.judge, eligible.id, eligible.version)
    eligible.refresh_from_db()
    judge = signed_in(eligible.judge)
    url = f"/cases/{eligible.pk}/asynchronous/step"
    asked = judge.post(
        url,
        {
            "event": "put_questions",
            "version": eligible.version,
            "put_questions-questions": "何时付款？",
        },
    )
    assert asked.status_code == 302, asked.content.decode()
    eligible.refresh_from_db()
    page = signed_in(alice).get(f"/cases/{eligible.pk}/asynchronous/").content.decode()
    assert "何时付款？" in page and 'value="answer_questions"' in page
    answered = signed_in(alice).post(
        url,
        {
            "event": "answer_questions",
            "version": eligible.version,
            "answer_questions-answers": "8月3日。",
        },
    )
    assert answered.status_code == 302
    eligible.refresh_from_db()
    assert judge.post(url, {"event": "settle", "version": eligible.version}).status_code == 422
    judge.post(url, {"event": asynchronous.CONCLUDE_EVENT, "version": eligible.version})
    download = signed_in(alice).get(f"/cases/{eligible.pk}/asynchronous/pdf")
    assert download.status_code == 200
    assert hashlib.sha256(b"".join(download.streaming_content)).hexdigest() == (
        AsynchronousRecord.objects.get(case=eligible).blob.sha256
    )
