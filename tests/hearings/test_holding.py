"""A hearing is held, or a party found absent from it, only once it can have taken place:
the judge cannot record a hearing in the courtroom as held days before it, nor treat the
claim as withdrawn for the plaintiff's absence before the hearing has begun."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse

from netcourt.cases.models import Case
from netcourt.hearings import actions
from netcourt.hearings.models import Hearing, HearingStatus, Mode
from tests.conftest import signed_in
from tests.hearings.test_pages import in_five_days

ABSENCE_EVENT = "deem_withdrawn_absence"


@pytest.fixture
def hearing(exchanging: Case, staff: dict[str, Any], frozen: Any) -> Hearing:
    """A hearing in the courtroom (no party agreed to take part online) in five days."""
    hearing = in_five_days(exchanging, staff["clerk-hangzhou"], public=False)
    assert hearing.mode == Mode.OFFLINE
    return hearing


def _case_page(client: Any, case: Case) -> str:
    return str(client.get(reverse("cases:detail", args=[case.pk])).content.decode())


def _take(client: Any, case: Case, event: str) -> str:
    """Take ``event`` from the case page as a person would; the page that follows."""
    case.refresh_from_db()
    answer = client.post(
        reverse("cases:fire", args=[case.pk]),
        {"event": event, "version": case.version},
        follow=True,
    )
    return str(answer.content.decode())


def test_a_hearing_in_the_courtroom_is_not_recorded_as_held_before_it_can_begin(
    hearing: Hearing, frozen: Any
) -> None:
    case = hearing.case
    judge = signed_in(case.judge)
    assert "Hold the hearing" not in _case_page(judge, case)  # not offered days before
    page = _take(judge, case, "hold_hearing")
    assert "it cannot be held before" in page
    case.refresh_from_db()
    hearing.refresh_from_db()
    assert case.state == "hearing_scheduled"
    assert (hearing.status, hearing.opened_at, hearing.ended_at) == (
        HearingStatus.SCHEDULED,
        None,
        None,
    )
    shown = judge.get(reverse("hearings:case", args=[case.pk])).content.decode()
    assert "Held" not in shown  # no time of a hearing that has not happened

    # The same rule as the room's: from thirty minutes before the start.
    frozen.advance(hearing.starts_at - actions.ENTRY_OPENS - frozen.now() - timedelta(minutes=1))
    assert "Hold the hearing" not in _case_page(signed_in(case.judge), case)
    frozen.advance(timedelta(minutes=11))
    judge = signed_in(case.judge)
    assert "Hold the hearing" in _case_page(judge, case)
    _take(judge, case, "hold_hearing")
    case.refresh_from_db()
    hearing.refresh_from_db()
    assert case.state == "heard"
    assert hearing.status == HearingStatus.ENDED and hearing.opened_at == frozen.now()


def test_the_plaintiff_is_not_found_absent_before_the_hearing_begins(
    hearing: Hearing, frozen: Any
) -> None:
    case = hearing.case
    reason = actions.absence_guard(case)
    assert reason is not None and "no one can be found absent" in reason
    frozen.advance(hearing.starts_at - frozen.now() - timedelta(seconds=1))
    assert actions.absence_guard(case) is not None  # a second before: not yet
    frozen.advance(timedelta(seconds=1))
    assert actions.absence_guard(case) is None  # the hearing has begun: the plaintiff is not there


def test_the_judge_cannot_treat_the_claim_as_withdrawn_for_absence_before_the_hearing(
    hearing: Hearing, frozen: Any
) -> None:
    case = hearing.case
    label = "Treat as withdrawn (plaintiff absent)"
    judge = signed_in(case.judge)
    assert label not in _case_page(judge, case)  # not offered days before
    page = _take(judge, case, ABSENCE_EVENT)
    assert "no one can be found absent" in page
    case.refresh_from_db()
    hearing.refresh_from_db()
    assert (case.state, hearing.status) == ("hearing_scheduled", HearingStatus.SCHEDULED)

    frozen.advance(hearing.starts_at - frozen.now() + timedelta(minutes=15))
    judge = signed_in(case.judge)
    assert label in _case_page(judge, case)
    _take(judge, case, ABSENCE_EVENT)
    case.refresh_from_db()
    hearing.refresh_from_db()
    assert (case.state, hearing.status) == ("deemed_withdrawn", HearingStatus.CANCELLED)
