"""Deadlines: CPL Art. 85 counting on the PRC working-day calendar."""

import json
from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netcourt.procedure import (
    Deadline,
    Suspension,
    add_period,
    compute_deadline,
    deadline_to_dict,
    load_pack,
    suspend_deadline,
)

PACK = load_pack("cn_internet_court")
CAL = PACK.calendar
AFTER = sorted(t.id for t in PACK.time_limits.values() if t.direction == "after")


def test_a_period_ending_on_national_day_moves_to_the_first_working_day_after_it() -> None:
    deadline = compute_deadline(PACK, "filing_decision", date(2026, 9, 24))
    assert date(2026, 9, 24) + timedelta(days=7) == date(2026, 10, 1)
    assert deadline.due == date(2026, 10, 8)
    assert deadline.basis.article.en == "Civil Procedure Law (2023) Art. 126"
    assert not deadline.provisional


def test_a_period_ending_on_a_make_up_saturday_stays_there() -> None:
    assert not CAL.is_working_day(date(2026, 10, 3))
    assert CAL.is_working_day(date(2026, 10, 10))
    assert compute_deadline(PACK, "filing_decision", date(2026, 10, 3)).due == date(2026, 10, 10)


def test_a_period_ending_on_an_ordinary_weekend_moves_to_monday() -> None:
    assert compute_deadline(PACK, "answer", date(2026, 2, 20)).due == date(2026, 3, 9)


def test_spring_festival_calendar_2026() -> None:
    assert CAL.is_working_day(date(2026, 2, 14))
    assert not CAL.is_working_day(date(2026, 2, 16))
    assert not CAL.is_working_day(date(2026, 2, 23))
    assert CAL.is_working_day(date(2026, 2, 24))
    assert CAL.is_working_day(date(2026, 2, 28))


@pytest.mark.parametrize(
    "start, months, end",
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 3, 15), 1, date(2026, 4, 15)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 12, 31), -6, date(2026, 6, 30)),
    ],
)
def test_month_periods_use_calendar_months(start: date, months: int, end: date) -> None:
    assert add_period(start, months, "months") == end


def test_simplified_trial_period_from_january_31() -> None:
    assert compute_deadline(PACK, "duration_simplified", date(2026, 1, 31)).due == date(2026, 4, 30)
    extended = compute_deadline(PACK, "duration_simplified", date(2026, 1, 31), extended=True)
    assert extended.due == date(2026, 6, 1)
    assert extended.extended
    assert "one month" in extended.basis.text.en


def test_deadline_in_an_unpublished_year_is_provisional() -> None:
    deadline = compute_deadline(PACK, "duration_small_claims", date(2026, 12, 31))
    assert deadline.due == date(2027, 3, 1)
    assert deadline.provisional


def test_hearing_notice_counts_back_and_is_not_moved() -> None:
    deadline = compute_deadline(PACK, "hearing_notice", date(2026, 10, 9))
    assert deadline.direction == "before"
    assert deadline.due == date(2026, 10, 6)
    assert "三日前" in deadline.basis.text.zh


def test_small_claims_have_seven_days_for_evidence_where_other_tracks_have_fifteen() -> None:
    """SPC Evidence Provisions Art. 51: at most seven days, as a rule, in small claims."""
    start = date(2026, 12, 1)  # a Tuesday: both ends fall on working days
    assert compute_deadline(PACK, "evidence_period", start, track="small_claims").due == date(
        2026, 12, 8
    )
    for track in (None, "ordinary", "simplified"):
        assert compute_deadline(PACK, "evidence_period", start, track=track).due == date(
            2026, 12, 16
        )
    assert compute_deadline(PACK, "answer", start, track="small_claims").due == date(2026, 12, 16)


def test_extension_only_where_the_law_gives_one() -> None:
    with pytest.raises(ValueError, match="cannot be extended"):
        compute_deadline(PACK, "answer", date(2026, 3, 2), extended=True)
    with pytest.raises(KeyError):
        compute_deadline(PACK, "no_such_limit", date(2026, 3, 2))


@given(
    st.sampled_from(AFTER),
    st.dates(date(2025, 1, 1), date(2027, 10, 31)),
    st.booleans(),
)
def test_after_deadlines_end_on_the_first_working_day_at_or_after_the_period(
    limit_id: str, start: date, extended: bool
) -> None:
    limit = PACK.time_limit(limit_id)
    extended = extended and limit.extension is not None
    deadline = compute_deadline(PACK, limit_id, start, extended=extended)
    length = limit.length
    nominal = add_period(start, length, limit.unit)
    if extended and limit.extension is not None:
        nominal = add_period(start, length + limit.extension.length, limit.unit)
    assert deadline.basis == (
        limit.extension.basis if extended and limit.extension else limit.basis
    )
    assert deadline.basis.article.en and deadline.basis.text.zh
    assert deadline.label == limit.label
    assert deadline.start == start
    assert deadline.due >= nominal > start
    assert CAL.is_working_day(deadline.due)
    day = nominal
    while day < deadline.due:
        assert not CAL.is_working_day(day)
        day += timedelta(days=1)
    assert deadline.provisional == any(
        not CAL.is_published(y) for y in range(nominal.year, deadline.due.year + 1)
    )


@pytest.mark.parametrize(
    "limit_id, start, period_end, due",
    [
        # Spring Festival 2026: off 15-23 February; Saturdays 14 and 28 February are working days.
        ("filing_decision", date(2026, 2, 7), date(2026, 2, 14), date(2026, 2, 14)),
        ("filing_decision", date(2026, 2, 9), date(2026, 2, 16), date(2026, 2, 24)),
        ("pay_fee", date(2026, 2, 8), date(2026, 2, 15), date(2026, 2, 24)),
        ("answer", date(2026, 2, 13), date(2026, 2, 28), date(2026, 2, 28)),
        # Spring Festival 2025: off 28 January to 4 February.
        ("answer", date(2025, 1, 15), date(2025, 1, 30), date(2025, 2, 5)),
        # National Day 2025: off 1-8 October; Sunday 28 September and Saturday 11 October work.
        ("filing_decision", date(2025, 9, 21), date(2025, 9, 28), date(2025, 9, 28)),
        ("answer", date(2025, 9, 16), date(2025, 10, 1), date(2025, 10, 9)),
        ("filing_decision", date(2025, 10, 4), date(2025, 10, 11), date(2025, 10, 11)),
        # Mid-Autumn (25-27 September) and National Day 2026 (1-7 October); Sunday 20
        # September and Saturday 10 October work.
        ("answer", date(2026, 9, 5), date(2026, 9, 20), date(2026, 9, 20)),
        ("filing_decision", date(2026, 9, 18), date(2026, 9, 25), date(2026, 9, 28)),
        ("answer", date(2026, 9, 16), date(2026, 10, 1), date(2026, 10, 8)),
    ],
)
def test_periods_across_the_festivals_and_make_up_working_days(
    limit_id: str, start: date, period_end: date, due: date
) -> None:
    deadline = compute_deadline(PACK, limit_id, start)
    assert (deadline.period_end, deadline.due) == (period_end, due)
    assert not deadline.provisional


@pytest.mark.parametrize(
    "limit_id, start, extended, period_end, due",
    [
        # Six months from 31 August end on 28 February, in 2026 a make-up Saturday.
        ("duration_ordinary", date(2025, 8, 31), False, date(2026, 2, 28), date(2026, 2, 28)),
        ("duration_ordinary", date(2025, 8, 31), True, date(2026, 8, 31), date(2026, 8, 31)),
        ("duration_simplified", date(2025, 11, 30), True, date(2026, 3, 30), date(2026, 3, 30)),
        ("duration_small_claims", date(2025, 12, 31), False, date(2026, 2, 28), date(2026, 2, 28)),
    ],
)
def test_month_periods_end_on_the_month_end(
    limit_id: str, start: date, extended: bool, period_end: date, due: date
) -> None:
    deadline = compute_deadline(PACK, limit_id, start, extended=extended)
    assert (deadline.period_end, deadline.due, deadline.extended) == (period_end, due, extended)


@pytest.mark.parametrize(
    "start, months, end",
    [
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2023, 12, 31), 2, date(2024, 2, 29)),
        (date(2027, 12, 31), 2, date(2028, 2, 29)),
        (date(2024, 2, 29), -1, date(2024, 1, 29)),
    ],
)
def test_leap_years_in_month_periods(start: date, months: int, end: date) -> None:
    assert add_period(start, months, "months") == end


def test_leap_day_starts_and_years_without_a_published_calendar() -> None:
    small = compute_deadline(PACK, "duration_small_claims", date(2024, 2, 29))
    assert (small.due, small.provisional) == (date(2024, 4, 29), True)
    assert compute_deadline(PACK, "answer", date(2024, 2, 14)).due == date(2024, 2, 29)
    # The start lies in a year the pack has no calendar for, the end does not: not provisional.
    extended = compute_deadline(PACK, "duration_ordinary", date(2024, 2, 29), extended=True)
    assert (extended.due, extended.provisional) == (date(2025, 2, 28), False)
    after_leap_day = compute_deadline(PACK, "answer", date(2028, 2, 20))
    assert (after_leap_day.due, after_leap_day.provisional) == (date(2028, 3, 6), True)
    # 2027 has only its fixed-date holidays: 28 February 2027 is a Sunday, so 1 March, provisional.
    ordinary = compute_deadline(PACK, "duration_ordinary", date(2026, 8, 31))
    assert (ordinary.period_end, ordinary.due, ordinary.provisional) == (
        date(2027, 2, 28),
        date(2027, 3, 1),
        True,
    )


def _suspend(deadline: Deadline, *periods: tuple[date, date]) -> Deadline:
    for suspended_on, resumed_on in periods:
        deadline = suspend_deadline(PACK, deadline, Suspension(suspended_on, resumed_on))
    return deadline


def test_suspension_during_the_period_counts_the_days_left_after_resumption() -> None:
    deadline = compute_deadline(PACK, "answer", date(2026, 9, 16))
    suspended = _suspend(deadline, (date(2026, 9, 20), date(2026, 9, 25)))
    # 17-19 September count (3 days); 12 days are left on the 20th and run from the 26th:
    # 7 October, a holiday, so the first working day after it.
    assert (suspended.period_end, suspended.due) == (date(2026, 10, 7), date(2026, 10, 8))
    assert suspended.suspensions == (Suspension(date(2026, 9, 20), date(2026, 9, 25)),)
    assert (suspended.start, suspended.basis, suspended.label) == (
        deadline.start,
        deadline.basis,
        deadline.label,
    )


def test_suspension_on_the_last_day_leaves_that_day_after_resumption() -> None:
    deadline = compute_deadline(PACK, "answer", date(2026, 9, 16))
    suspended = _suspend(deadline, (date(2026, 10, 1), date(2026, 10, 10)))
    # One day was left (1 October): the 11th, a Sunday, so Monday the 12th.
    assert (suspended.period_end, suspended.due) == (date(2026, 10, 11), date(2026, 10, 12))


def test_suspension_while_the_last_day_is_carried_over_holidays_leaves_one_day() -> None:
    deadline = compute_deadline(PACK, "filing_decision", date(2026, 9, 24))
    assert (deadline.period_end, deadline.due) == (date(2026, 10, 1), date(2026, 10, 8))
    suspended = _suspend(deadline, (date(2026, 10, 5), date(2026, 10, 20)))
    assert (suspended.period_end, suspended.due) == (date(2026, 10, 21), date(2026, 10, 21))


def test_suspension_from_the_start_day_runs_the_whole_period_from_resumption() -> None:
    deadline = compute_deadline(PACK, "answer", date(2026, 3, 2))
    suspended = _suspend(deadline, (date(2026, 3, 2), date(2026, 3, 10)))
    assert suspended.due == compute_deadline(PACK, "answer", date(2026, 3, 10)).due
    assert _suspend(deadline, (date(2026, 3, 2), date(2026, 3, 2))) == replace(
        deadline, suspensions=(Suspension(date(2026, 3, 2), date(2026, 3, 2)),)
    )


def test_suspensions_chain_and_keep_month_periods_and_extensions() -> None:
    deadline = compute_deadline(PACK, "duration_simplified", date(2026, 1, 31), extended=True)
    assert deadline.period_end == date(2026, 5, 31)
    once = _suspend(deadline, (date(2026, 3, 1), date(2026, 3, 31)))
    # 92 days were left on 1 March (1 March to 31 May): from 1 April, 1 July.
    assert (once.period_end, once.due, once.extended) == (date(2026, 7, 1), date(2026, 7, 1), True)
    assert once.basis == deadline.basis
    twice = _suspend(once, (date(2026, 6, 1), date(2026, 6, 10)))
    # 31 days left on 1 June (1 June to 1 July), from 11 June: 11 July, a Saturday.
    assert (twice.period_end, twice.due) == (date(2026, 7, 11), date(2026, 7, 13))
    assert len(twice.suspensions) == 2


def test_suspension_into_an_unpublished_year_makes_the_deadline_provisional() -> None:
    deadline = compute_deadline(PACK, "duration_ordinary", date(2026, 6, 1))
    assert (deadline.due, deadline.provisional) == (date(2026, 12, 1), False)
    suspended = _suspend(deadline, (date(2026, 11, 1), date(2026, 12, 15)))
    assert (suspended.period_end, suspended.provisional) == (date(2027, 1, 15), True)


def test_suspension_refusals() -> None:
    answer = compute_deadline(PACK, "answer", date(2026, 9, 16))
    with pytest.raises(ValueError, match="resumed on 2026-10-01, before it was suspended on"):
        Suspension(date(2026, 10, 2), date(2026, 10, 1))
    with pytest.raises(ValueError, match="before the period started on 2026-09-16"):
        _suspend(answer, (date(2026, 9, 15), date(2026, 9, 20)))
    with pytest.raises(ValueError, match="after the period ran out on 2026-10-08"):
        _suspend(answer, (date(2026, 10, 9), date(2026, 10, 20)))
    with pytest.raises(ValueError, match="before the period resumed on 2026-09-25"):
        _suspend(
            answer, (date(2026, 9, 20), date(2026, 9, 25)), (date(2026, 9, 22), date(2026, 9, 30))
        )
    notice = compute_deadline(PACK, "hearing_notice", date(2026, 10, 9))
    with pytest.raises(ValueError, match="counts back from a date and is not suspended"):
        _suspend(notice, (date(2026, 10, 1), date(2026, 10, 2)))


def test_deadline_as_json_data() -> None:
    deadline = _suspend(
        compute_deadline(PACK, "answer", date(2026, 9, 16)), (date(2026, 10, 1), date(2026, 10, 10))
    )
    data = deadline_to_dict(deadline)
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data
    assert data["due"] == "2026-10-12"
    assert data["period_end"] == "2026-10-11"
    assert data["suspensions"] == [{"suspended_on": "2026-10-01", "resumed_on": "2026-10-10"}]
    assert data["basis"]["article"]["zh"].endswith("第一百二十八条")
    assert data["label"] == {"en": "Defendant's answer", "zh": "答辩期"}


STARTS = st.dates(date(2025, 1, 1), date(2026, 12, 31))


@given(st.sampled_from(AFTER), STARTS, st.booleans())
def test_an_after_deadline_is_a_working_day_and_never_before_the_plain_count(
    limit_id: str, start: date, extended: bool
) -> None:
    limit = PACK.time_limit(limit_id)
    extended = extended and limit.extension is not None
    deadline = compute_deadline(PACK, limit_id, start, extended=extended)
    assert CAL.is_working_day(deadline.due)
    assert deadline.due >= deadline.period_end >= add_period(start, limit.length, limit.unit)


@given(
    st.sampled_from(AFTER),
    STARTS,
    st.booleans(),
    st.integers(0, 400),
    st.integers(0, 120),
)
def test_a_suspension_never_makes_a_deadline_earlier(
    limit_id: str, start: date, extended: bool, offset: int, length: int
) -> None:
    limit = PACK.time_limit(limit_id)
    deadline = compute_deadline(
        PACK, limit_id, start, extended=extended and limit.extension is not None
    )
    suspended_on = min(start + timedelta(days=offset), deadline.due)
    resumed_on = suspended_on + timedelta(days=length)
    after = suspend_deadline(PACK, deadline, Suspension(suspended_on, resumed_on))
    assert after.due >= deadline.due
    assert after.period_end > resumed_on
    assert CAL.is_working_day(after.due)
    if start < suspended_on <= deadline.period_end:
        # Exactly the period's length counts: the days after the start, less the suspension.
        counted = (after.period_end - start).days - (resumed_on - suspended_on).days - 1
        assert counted == (deadline.period_end - start).days
