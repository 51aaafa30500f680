"""The case state machine, driven only by the pack's data."""

import dataclasses
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import netcourt.procedure
from netcourt.procedure import (
    ERROR_CODES,
    Event,
    Input,
    Pack,
    TransitionError,
    available_events,
    load_pack,
    taken_by_party,
    transition,
)

PACK = load_pack("cn_internet_court")
ROLES = sorted(PACK.roles)


def _refused(
    state: str, event: str, role: str, inputs: Mapping[str, object], **kw: object
) -> TransitionError:
    with pytest.raises(TransitionError) as caught:
        transition(PACK, state, event, role, inputs, **kw)  # type: ignore[arg-type]
    assert caught.value.code in ERROR_CODES
    return caught.value


def _walk(steps: list[tuple[str, str, dict[str, object]]]) -> tuple[str, list[str], str | None]:
    state, history, track = PACK.initial_state, [], None
    for event_id, role, inputs in steps:
        result = transition(PACK, state, event_id, role, inputs, history, track=track)
        state = result.state_after
        track = result.track or track
        history.append(event_id)
    return state, history, track


def test_a_simplified_case_runs_from_filing_to_final_judgment() -> None:
    state, history, track = _walk(
        [
            ("submit", "plaintiff", {}),
            ("accept", "clerk", {"track": "simplified"}),
            ("record_payment", "system", {"amount": "1025"}),
            ("assign_judge", "system", {"judge": "王法官"}),
            ("serve_complaint", "clerk", {}),
            ("confirm_service", "system", {}),
            ("file_answer", "defendant", {"answer": "不同意原告的诉讼请求。"}),
            ("schedule_hearing", "judge", {"hearing_at": "2026-12-10"}),
            ("hold_hearing", "judge", {}),
            (
                "issue_judgment",
                "judge",
                {
                    "findings": "被告收款后未发货。",
                    "reasoning": "出卖人应当交付标的物。",
                    "orders": ["被告退还货款4299元。"],
                    "costs": "由被告负担。",
                },
            ),
            ("serve_judgment", "system", {}),
            ("close_appeal_period", "system", {}),
        ]
    )
    assert state == "final"
    assert track == "simplified"
    assert PACK.state(state).terminal


def test_docketing_puts_the_case_on_a_track_and_starts_its_duration() -> None:
    result = transition(PACK, "submitted", "accept", "clerk", {"track": "small_claims"})
    assert result.state_after == "accepted"
    assert result.track == "small_claims"
    assert result.stops == ("filing_decision",)
    assert result.starts == ("serve_complaint", "pay_fee", "duration_small_claims")


def test_a_small_claims_judgment_is_final_on_service_and_cannot_be_appealed() -> None:
    steps = transition(
        PACK, "judgment_issued", "serve_final_judgment", "system", {}, track="small_claims"
    )
    assert steps.state_after == "final"
    error = _refused("judgment_issued", "serve_judgment", "system", {}, track="small_claims")
    assert error.code == "wrong_state"
    assert "Small-claims procedure" in error.message.en
    assert "小额诉讼程序" in error.message.zh
    assert [
        e.id
        for e in available_events(PACK, "judgment_issued", ["system"], track="small_claims")
        if e.id not in ("record_service", "store_recording", "join_online")
    ] == ["serve_final_judgment"]


def test_assigning_a_judge_keeps_the_state_and_starts_the_notice_period() -> None:
    result = transition(PACK, "accepted", "assign_judge", "clerk", {"judge": "李法官"})
    assert result.state_before == result.state_after == "accepted"
    assert result.starts == ("notify_judge",)


def test_hearing_notice_runs_back_from_the_hearing_date() -> None:
    result = transition(
        PACK, "evidence_exchange", "schedule_hearing", "judge", {"hearing_at": "2026-10-08"}
    )
    assert result.inputs == {"hearing_at": date(2026, 10, 8)}
    assert result.anchors == {"hearing_notice": date(2026, 10, 8)}


def test_wrong_state_names_the_state_and_the_step_in_both_languages() -> None:
    error = _refused("draft", "accept", "clerk", {"track": "ordinary"})
    assert error.code == "wrong_state"
    assert error.message.en == (
        "“Docket the case” is not possible while the case is “Draft”;"
        " it is possible only when the case is “Submitted”."
    )
    assert (
        error.message.zh == "案件处于“草稿”状态，不能进行“立案受理”；该步骤仅适用于“已提交”状态。"
    )


def test_unknown_event_and_unknown_state_are_refused() -> None:
    assert _refused("draft", "teleport", "plaintiff", {}).code == "unknown_event"
    assert _refused("limbo", "submit", "plaintiff", {}).code == "wrong_state"


def test_a_party_may_not_take_a_court_step() -> None:
    error = _refused("submitted", "accept", "defendant", {"track": "ordinary"})
    assert error.code == "role_not_allowed"
    assert error.message.zh == "被告无权进行“立案受理”；仅“立案庭工作人员”可以进行。"


def test_corrections_may_be_requested_only_once() -> None:
    state, history, _ = _walk(
        [
            ("submit", "plaintiff", {}),
            ("request_corrections", "clerk", {"defects": ["缺少被告身份信息"]}),
            ("resubmit", "plaintiff", {}),
        ]
    )
    error = _refused(
        state, "request_corrections", "clerk", {"defects": ["证据目录不完整"]}, history=history
    )
    assert error.code == "limit_reached"
    assert "at most 1 time(s)" in error.message.en
    assert "request_corrections" not in [
        e.id for e in available_events(PACK, state, ["clerk"], history)
    ]


def test_a_step_taken_once_per_party_is_refused_only_to_a_party_that_took_it() -> None:
    """Any step may be made one each party takes once: the engine reads the events taken on
    behalf of the party the step is for."""
    event = PACK.events["apply_asynchronous_trial"].model_copy(update={"once_per_party": True})
    pack = dataclasses.replace(PACK, events={**PACK.events, event.id: event})
    reasons = {"reasons": "双方对事实无争议。"}
    on = {"track": "simplified"}
    mine = ["answer_questions"]
    assert not taken_by_party(event, mine)
    done = transition(
        pack, "evidence_exchange", event.id, "plaintiff", reasons, party_history=mine, **on
    )
    assert done.state_after == "evidence_exchange"
    mine.append(event.id)
    assert taken_by_party(event, mine)
    assert not taken_by_party(PACK.events[event.id], mine)  # as shipped: no limit per party
    with pytest.raises(TransitionError) as refused:
        transition(
            pack, "evidence_exchange", event.id, "plaintiff", reasons, party_history=mine, **on
        )
    assert refused.value.code == "limit_reached"
    assert refused.value.message.en == (
        "Each party may take the step “Apply for an asynchronous trial” once;"
        " it has already been taken for this party."
    )
    assert refused.value.message.zh == (
        "每一方当事人只能进行一次“申请非同步审理”；该当事人已经进行过。"
    )
    theirs = transition(pack, "evidence_exchange", event.id, "defendant", reasons, **on)
    assert theirs.event == event


GROUNDS = {"grounds": "原审认定事实错误。"}


def test_each_party_lodges_its_own_appeal_once_and_the_time_to_appeal_keeps_running() -> None:
    first = transition(PACK, "appeal_period", "lodge_appeal", "plaintiff", GROUNDS)
    assert (first.state_after, first.stops) == ("appeal_lodged", ())
    assert not PACK.state("appeal_lodged").terminal
    second = transition(PACK, "appeal_lodged", "lodge_appeal", "defendant", GROUNDS)
    assert second.state_after == "appeal_lodged"
    error = _refused(
        "appeal_lodged", "lodge_appeal", "plaintiff", GROUNDS, party_history=["lodge_appeal"]
    )
    assert error.code == "limit_reached"


def test_when_the_time_to_appeal_ends_an_appeal_goes_up_and_no_appeal_is_final() -> None:
    expiring = {e.id for e in PACK.events.values() if e.on_expiry == "appeal_judgment"}
    for state, after in (("appeal_period", "final"), ("appeal_lodged", "appealed")):
        [step] = [e for e in available_events(PACK, state, ["system"]) if e.id in expiring]
        result = transition(PACK, state, step.id, "system", {})
        assert result.state_after == after and PACK.state(after).terminal
        assert "appeal_judgment" in result.stops


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["plaintiff", "defendant", "third_party"]), max_size=8))
def test_whatever_the_order_each_party_appeals_at_most_once(lodgers: list[str]) -> None:
    state = "appeal_period"
    taken: dict[str, list[str]] = {role: [] for role in lodgers}
    for role in lodgers:
        try:
            result = transition(
                PACK, state, "lodge_appeal", role, GROUNDS, party_history=taken[role]
            )
        except TransitionError as error:
            assert error.code == "limit_reached" and taken[role] == ["lodge_appeal"]
            continue
        assert taken[role] == []
        taken[role].append("lodge_appeal")
        state = result.state_after
    assert state == ("appeal_lodged" if lodgers else "appeal_period")
    assert all(history == ["lodge_appeal"] for history in taken.values())


@pytest.mark.parametrize(
    "value, expected",
    [
        ("1234.5", Decimal("1234.50")),
        (1000, Decimal("1000.00")),
        (Decimal("0.01"), Decimal("0.01")),
        (" 88 ", Decimal("88.00")),
        ("1,000.5", Decimal("1000.50")),
        ("\uff11\uff12\uff0e\uff15", Decimal("12.50")),  # full-width, a Chinese keyboard's
    ],
)
def test_money_is_normalised_to_exact_decimals(value: object, expected: Decimal) -> None:
    result = transition(PACK, "accepted", "record_payment", "system", {"amount": value})
    assert result.inputs["amount"] == expected


@pytest.mark.parametrize(
    "value, reason",
    [
        ("-5", "must not be negative"),
        ("12abc", "must be an amount written in digits"),
        (12.5, "must be an amount written in digits"),
        (True, "must be an amount written in digits"),
        ("1.005", "at most two decimal places"),
        ("NaN", "must be an amount written in digits"),
        ("Infinity", "must be an amount written in digits"),
        (Decimal("NaN"), "must be a finite amount"),
        ("\u0661\u0662", "must be an amount written in digits"),  # Arabic-Indic digits
        ("\u06f1\u06f2", "must be an amount written in digits"),  # Persian digits
        ("\u0967\u0968", "must be an amount written in digits"),  # Devanagari digits
        ("1_000", "must be an amount written in digits"),
        ("1e3", "must be an amount written in digits"),
        ("+5", "must be an amount written in digits"),
    ],
)
def test_bad_money_is_refused_naming_the_field(value: object, reason: str) -> None:
    error = _refused("accepted", "record_payment", "system", {"amount": value})
    assert error.code == "input_invalid"
    assert error.field == "amount"
    assert reason in error.message.en


def _with_whole_number_input() -> Pack:
    """The pack with a whole-number input on record_payment (the shipped pack has none)."""
    count = Input.model_validate(
        {"name": "count", "label": {"en": "Count", "zh": "数"}, "type": "int", "required": False}
    )
    event = PACK.events["record_payment"]
    changed = event.model_copy(update={"inputs": (*event.inputs, count)})
    return dataclasses.replace(PACK, events={**PACK.events, "record_payment": changed})


@pytest.mark.parametrize(
    "value", ["\u0663", "\u00b2", "1_0", "9" * 5000, str(2**63), 2**63, "1.0", 1.0]
)
def test_a_whole_number_input_is_ascii_digits_of_a_bounded_size(value: object) -> None:
    """int() takes other scripts' digits and underscores, and fails on 5000 digits."""
    pack = _with_whole_number_input()
    with pytest.raises(TransitionError) as refused:
        transition(pack, "accepted", "record_payment", "system", {"count": value})
    assert (refused.value.code, refused.value.field) == ("input_invalid", "count")
    for typed, read in ((" 12 ", 12), ("-3", -3), (7, 7)):
        done = transition(pack, "accepted", "record_payment", "system", {"count": typed})
        assert done.inputs["count"] == read


def test_optional_input_may_be_left_empty() -> None:
    assert transition(PACK, "accepted", "record_payment", "system", {"amount": ""}).inputs == {}


def test_required_input_missing_or_blank() -> None:
    for inputs in ({}, {"reasons": "   "}):
        error = _refused("submitted", "reject", "clerk", inputs)
        assert (error.code, error.field) == ("input_missing", "reasons")
        assert error.message.zh == "进行“裁定不予受理”须填写“理由”。"


@pytest.mark.parametrize(
    "event, state, role, inputs, field",
    [
        ("accept", "submitted", "clerk", {"track": "fast"}, "track"),
        (
            "schedule_hearing",
            "evidence_exchange",
            "judge",
            {"hearing_at": "2026-02-30"},
            "hearing_at",
        ),
        ("request_corrections", "submitted", "clerk", {"defects": "just one string"}, "defects"),
        ("request_corrections", "submitted", "clerk", {"defects": ["ok", ""]}, "defects"),
        ("assign_judge", "accepted", "clerk", {"judge": "two\nlines"}, "judge"),
        ("submit", "draft", "plaintiff", {"surprise": "x"}, "surprise"),
    ],
)
def test_invalid_inputs_are_refused(
    event: str, state: str, role: str, inputs: dict[str, object], field: str
) -> None:
    error = _refused(state, event, role, inputs)
    assert (error.code, error.field) == ("input_invalid", field)


def test_terminal_states_admit_nothing() -> None:
    for state in PACK.states.values():
        if state.terminal:
            assert available_events(PACK, state.id, ROLES) == []
            for event in PACK.events:
                with pytest.raises(TransitionError):
                    transition(PACK, state.id, event, "system", {})


def test_the_engine_names_no_state_event_or_court() -> None:
    package = Path(netcourt.procedure.__file__).parent
    ids = set(PACK.states) | set(PACK.events) | set(PACK.courts) | set(PACK.categories)
    for source in package.glob("*.py"):
        text = source.read_text(encoding="utf-8")
        named = sorted(i for i in ids if f'"{i}"' in text or f"'{i}'" in text)
        assert named == [], f"{source.name} names {named}"


def _value(draw: st.DrawFn, item: Input) -> object:
    if item.type == "choice":
        return draw(st.sampled_from(item.choices))
    if item.type == "date":
        return draw(st.dates(date(2025, 1, 1), date(2027, 12, 31)))
    if item.type == "money":
        return draw(st.decimals(0, 10**9, places=2))
    if item.type == "list":
        return draw(st.lists(st.text("abc补正", min_size=1), min_size=1, max_size=3))
    if item.type == "int":
        return draw(st.integers())
    if item.type == "bool":
        return draw(st.booleans())
    if item.type == "document":
        return {
            "blob": draw(st.uuids()).hex,
            "sha256": draw(st.text("0123456789abcdef", min_size=64, max_size=64)),
            "filename": "proof.pdf",
            "size": draw(st.integers(1, 10**9)),
            "mime": "application/pdf",
        }
    return draw(st.text("abc 起诉", min_size=1).filter(str.strip))


def _inputs(draw: st.DrawFn, event: Event) -> dict[str, object]:
    return {i.name: _value(draw, i) for i in event.inputs if i.required or draw(st.booleans())}


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_random_steps_only_ever_follow_the_packs_edges(data: st.DataObject) -> None:
    """Mostly legal steps (to get deep into the procedure) mixed with arbitrary ones; each
    party role stands for one party, with the steps taken on its behalf."""
    state, history, track = PACK.initial_state, [], None
    parties: dict[str, list[str]] = {r.id: [] for r in PACK.roles.values() if r.kind == "party"}
    for _ in range(data.draw(st.integers(0, 40))):
        legal = available_events(PACK, state, ROLES, history, track=track)
        onward = [e for e in legal if not (e.to_state and PACK.state(e.to_state).terminal)]
        if legal and data.draw(st.integers(0, 3)):
            event = data.draw(
                st.sampled_from(onward if onward and data.draw(st.booleans()) else legal)
            )
            role = data.draw(st.sampled_from(event.roles))
        else:
            event = data.draw(st.sampled_from(list(PACK.events.values())))
            role = data.draw(st.sampled_from(ROLES))
        inputs = data.draw(st.composite(_inputs)(event))
        mine = parties.get(role, [])
        allowed = [
            e
            for e in available_events(PACK, state, [role], history, track=track)
            if not taken_by_party(e, mine)
        ]
        try:
            result = transition(
                PACK, state, event.id, role, inputs, history, track=track, party_history=mine
            )
        except TransitionError as error:
            assert error.code in ERROR_CODES
            assert event not in allowed
            continue
        assert event in allowed
        assert not PACK.state(state).terminal
        assert state in event.from_states
        assert result.state_after == (event.to_state or state)
        assert result.state_after in PACK.states
        assert set(event.starts) <= set(result.starts)
        state = result.state_after
        track = result.track or track
        history.append(event.id)
        mine.append(event.id)
    for event in PACK.events.values():
        if event.max_per_case is not None:
            assert history.count(event.id) <= event.max_per_case
        if event.once_per_party:
            assert all(taken.count(event.id) <= 1 for taken in parties.values())
    if PACK.state(state).terminal:
        assert available_events(PACK, state, ROLES, history, track=track) == []


@given(st.one_of(st.text(max_size=12), st.integers(), st.floats(), st.decimals(), st.none()))
def test_any_money_value_is_either_an_exact_non_negative_amount_or_refused(value: object) -> None:
    try:
        result = transition(PACK, "accepted", "record_payment", "system", {"amount": value})
    except TransitionError as error:
        assert (error.code, error.field) == ("input_invalid", "amount")
        return
    amount = result.inputs.get("amount")
    if amount is not None:
        assert isinstance(amount, Decimal)
        assert amount >= 0
        assert amount == amount.quantize(Decimal("0.01"))


@pytest.mark.parametrize(
    "value",
    [
        "an upload id",
        {"blob": "b", "sha256": "0" * 64, "filename": "f", "size": 1},
        {"blob": "b", "sha256": "X" * 64, "filename": "f", "size": 1, "mime": "m"},
        {"blob": "b", "sha256": "0" * 64, "filename": "", "size": 1, "mime": "m"},
        {"blob": "b", "sha256": "0" * 64, "filename": "f", "size": "1", "mime": "m"},
        {"blob": "b", "sha256": "0" * 64, "filename": "f", "size": 1, "mime": "m", "x": 1},
    ],
)
def test_a_document_input_is_only_a_complete_description_of_a_stored_file(value: object) -> None:
    event = PACK.events["apply_fee_aid"]
    with pytest.raises(TransitionError) as refused:
        transition(
            PACK,
            "accepted",
            "apply_fee_aid",
            "plaintiff",
            {"aid_kind": "deferral", "grounds": "No income.", "proof": value},
            ["submit", "accept"],
        )
    assert refused.value.code == "input_invalid" and refused.value.field == "proof"
    assert event.inputs[-1].type == "document"
