"""Extending the trial period with the president's approval, and suspending proceedings:
the time limits follow, and the steps are open only when they make sense."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from netcourt.cases import actions
from netcourt.cases.models import Case, CaseDeadline, CaseEvent
from netcourt.core.problems import Problem
from netcourt.courts.models import CourtMembership, CourtRole
from netcourt.procedure import Suspension, compute_deadline, suspend_deadline
from netcourt.service.models import Notification
from tests.conftest import make_user, with_second_factor


@pytest.fixture
def president(hangzhou: Any) -> Any:
    user = with_second_factor(make_user("president-hangzhou"))
    CourtMembership.objects.create(court=hangzhou, user=user, role=CourtRole.PRESIDENT)
    return user


def _fire(user: Any, case: Case, event: str, inputs: dict[str, object] | None = None) -> Any:
    case.refresh_from_db()
    return actions.fire(user, case.id, event, case.version, inputs or {})


def _open(user: Any, case: Case) -> set[str]:
    from netcourt.cases import policy

    case.refresh_from_db()
    return {e.id for e in actions.open_steps(case, policy.case_roles(user, case))}


def test_the_president_approves_one_extension_of_the_trial_period(
    accepted: Case, president: Any, django_capture_on_commit_callbacks
) -> None:
    judge = accepted.judge
    duration = CaseDeadline.objects.get(case=accepted, time_limit="duration_small_claims")
    assert "approve_extension" not in _open(president, accepted)
    with pytest.raises(Problem) as refused:
        _fire(president, accepted, "approve_extension")
    assert refused.value.code == "wrong_state"
    with django_capture_on_commit_callbacks(execute=True):
        _fire(judge, accepted, "request_extension", {"reasons": "Expert opinion awaited."})
    [asked] = Notification.objects.filter(user=president)
    assert accepted.number in asked.subject
    assert "request_extension" not in _open(judge, accepted)  # one waits already
    assert {"approve_extension", "refuse_extension"} <= _open(president, accepted)
    assert _open(accepted.created_by, accepted).isdisjoint({"approve_extension"})
    record = _fire(president, accepted, "approve_extension")
    duration.refresh_from_db()
    expected = compute_deadline(
        accepted.court.pack, "duration_small_claims", duration.start, extended=True
    )
    assert duration.extended and duration.due == expected.due
    assert record.payload["due"] == expected.due.isoformat()
    assert "Art. 168" in duration.basis["article"]["en"]
    with pytest.raises(Problem) as again:
        _fire(judge, accepted, "request_extension", {"reasons": "More time."})
    assert again.value.code == "wrong_state"
    assert "higher court" in again.value.message


def test_a_refused_extension_can_be_asked_again(accepted: Case, president: Any) -> None:
    judge = accepted.judge
    _fire(judge, accepted, "request_extension", {"reasons": "Expert opinion awaited."})
    _fire(president, accepted, "refuse_extension", {"reasons": "Not special enough."})
    duration = CaseDeadline.objects.get(case=accepted, time_limit="duration_small_claims")
    assert not duration.extended
    assert "request_extension" in _open(judge, accepted)
    assert "approve_extension" not in _open(president, accepted)


def test_suspension_pauses_every_running_time_limit_and_resumption_gives_back_its_days(
    accepted: Case, frozen
) -> None:
    judge = accepted.judge
    pack = accepted.court.pack
    assert "resume_proceedings" not in _open(judge, accepted)
    fee = CaseDeadline.objects.get(case=accepted, time_limit="pay_fee")
    plain = compute_deadline(pack, "pay_fee", fee.start)
    frozen.advance(timedelta(days=2))
    suspended_on = frozen.now().date()
    record = _fire(
        judge, accepted, "suspend_proceedings", {"ground": "force_majeure", "reasons": "Flood."}
    )
    assert "pay_fee" in record.payload["suspended"]
    assert {"suspend_proceedings"}.isdisjoint(_open(judge, accepted))
    frozen.advance(timedelta(days=20))  # the fee's last day passes while suspended
    assert actions.sweep_expired() == []
    accepted.refresh_from_db()
    assert accepted.state == "accepted"
    resumed_on = frozen.now().date()
    _fire(judge, accepted, "resume_proceedings")
    fee.refresh_from_db()
    expected = suspend_deadline(pack, plain, Suspension(suspended_on, resumed_on))
    assert fee.due == expected.due and fee.due > resumed_on
    assert fee.suspended_on is None and fee.suspensions == [
        [suspended_on.isoformat(), resumed_on.isoformat()]
    ]
    with pytest.raises(Problem) as refused:
        _fire(judge, accepted, "resume_proceedings")
    assert refused.value.code == "wrong_state"
    frozen.advance(timedelta(days=(fee.due - resumed_on).days + 1))
    fired = actions.sweep_expired()
    assert [e.event for e in fired] == ["deem_withdrawn"]
    assert CaseEvent.objects.filter(case=accepted, event="resume_proceedings").count() == 1
