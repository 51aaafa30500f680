"""Deadlines: CPL Art. 85 counting on the PRC working-day calendar."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netcourt.procedure import add_period, compute_deadline, load_pack

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
