"""Each party may appeal the judgment within the time to appeal (CPL Art. 171): one party's
appeal leaves the others theirs; when the time ends the case goes up if anyone appealed, and
the judgment is final if no one did."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from netcourt.cases import actions, policy
from netcourt.cases.models import Case, CaseEvent
from netcourt.core.problems import Problem
from netcourt.service.models import Notification
from tests.cases.test_judgment import JUDGMENT
from tests.cases.test_representation import appoint
from tests.conftest import api_client, confirmed, make_user, signed_in, verified
from tests.hearings.test_record import clerk, heard, hearing  # noqa: F401 (fixtures)

LODGE = "lodge_appeal"
GROUNDS = {"grounds": "The court misread the delivery record."}


@pytest.fixture
def accepted(submitted: Case, staff: dict[str, Any]) -> Case:
    """Docketed on the simplified track: a small-claims judgment cannot be appealed."""
    actions.fire(
        staff["clerk-hangzhou"], submitted.id, "accept", submitted.version, {"track": "simplified"}
    )
    submitted.refresh_from_db()
    return submitted


@pytest.fixture
def served(heard: Any, clerk: Any) -> Case:  # noqa: F811
    """A judgment pronounced and served on both parties (alice, the plaintiff, works in
    Chinese; bob, the defendant, in English): the time to appeal runs."""
    case = heard.case
    case.refresh_from_db()
    actions.fire(case.judge, case.id, "issue_judgment", case.version, JUDGMENT, step_up=confirmed())
    case.refresh_from_db()
    actions.fire(clerk, case.id, "serve_judgment", case.version)
    case.refresh_from_db()
    assert case.state == "appeal_period"
    return case


def lodge(case: Case, person: Any) -> CaseEvent:
    case.refresh_from_db()
    event = actions.fire(person, case.id, LODGE, case.version, GROUNDS)
    case.refresh_from_db()
    return event


def may_lodge(case: Case, person: Any) -> bool:
    case.refresh_from_db()
    roles = policy.case_roles(person, case)
    return LODGE in [e.id for e in actions.open_steps_for(person, case, roles)]


def time_to_appeal_runs(case: Case) -> bool:
    return case.deadlines.filter(time_limit="appeal_judgment", stopped_by__isnull=True).exists()


def run_out(case: Case, frozen: Any) -> list[str]:
    """The days to appeal pass; the worker's sweep runs the day after the last one."""
    due = case.deadlines.get(time_limit="appeal_judgment").due
    frozen.advance(timedelta(days=(due - frozen.now().date()).days))
    assert actions.sweep_expired() == []  # the last day is still the parties'
    frozen.advance(timedelta(days=1))
    fired = [e.event for e in actions.sweep_expired()]
    case.refresh_from_db()
    return fired


def test_one_party_appeals_the_other_still_may_and_the_case_goes_up_when_the_time_ends(
    served: Case, alice: Any, bob: Any, frozen: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        record = lodge(served, alice)
    assert (record.state_before, record.state_after) == ("appeal_period", "appeal_lodged")
    assert record.on_behalf_of == served.parties.get(role="plaintiff")
    assert served.state == "appeal_lodged" and time_to_appeal_runs(served)
    assert not may_lodge(served, alice) and may_lodge(served, bob)
    told = Notification.objects.get(user=bob, case=served)
    assert "the other parties may still appeal until the time to appeal ends" in told.body
    assert "其他当事人仍可以提起上诉" in Notification.objects.get(user=alice, case=served).body
    with django_capture_on_commit_callbacks(execute=True):
        assert run_out(served, frozen) == ["close_appeal_period_appealed"]
    assert served.state == "appealed" and not time_to_appeal_runs(served)
    assert not may_lodge(served, bob)
    sent_up = Notification.objects.filter(user=bob, case=served).first()
    assert sent_up is not None and "court of second instance" in sent_up.body
    assert "报送第二审人民法院" in Notification.objects.filter(user=alice).first().body


def test_both_parties_appeal_each_once_and_the_case_goes_up_when_the_time_ends(
    served: Case, alice: Any, bob: Any, frozen: Any
) -> None:
    lodge(served, alice)
    second = lodge(served, bob)
    assert (second.state_before, second.state_after) == ("appeal_lodged", "appeal_lodged")
    assert second.on_behalf_of == served.parties.get(role="defendant")
    assert not may_lodge(served, alice) and not may_lodge(served, bob)
    assert time_to_appeal_runs(served)  # everyone appealed: the case waits for the time to end
    assert run_out(served, frozen) == ["close_appeal_period_appealed"]
    assert served.state == "appealed"
    assert served.events.filter(event=LODGE).count() == 2


def test_no_one_appeals_and_the_judgment_becomes_final(
    served: Case, alice: Any, bob: Any, frozen: Any
) -> None:
    assert may_lodge(served, alice) and may_lodge(served, bob)
    assert run_out(served, frozen) == ["close_appeal_period"]
    assert served.state == "final" and not time_to_appeal_runs(served)
    assert not may_lodge(served, alice)


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("en", "Each party may take the step “Lodge an appeal” once"),
        ("zh-hans", "每一方当事人只能进行一次“提起上诉”"),
    ],
)
def test_a_party_that_appealed_cannot_appeal_again(
    served: Case, alice: Any, lang: str, said: str
) -> None:
    from django.utils import translation

    lodge(served, alice)
    version, events = served.version, served.events.count()
    with translation.override(lang), pytest.raises(Problem) as refused:
        actions.fire(alice, served.id, LODGE, served.version, GROUNDS)
    assert (refused.value.code, refused.value.status) == ("limit_reached", 409)
    assert said in refused.value.message
    served.refresh_from_db()
    assert (served.version, served.events.count()) == (version, events)


def test_a_representative_appeals_for_the_party_and_the_party_cannot_appeal_again(
    served: Case, alice: Any, bob: Any
) -> None:
    lawyer = verified(make_user("lawyer-sun"))
    appoint(served, bob, lawyer.email)
    assert may_lodge(served, lawyer) and may_lodge(served, bob)
    record = lodge(served, lawyer)
    assert (record.actor, record.on_behalf_of) == (lawyer, served.parties.get(role="defendant"))
    assert not may_lodge(served, bob) and not may_lodge(served, lawyer)
    assert may_lodge(served, alice)
    with pytest.raises(Problem) as refused:
        lodge(served, bob)
    assert refused.value.code == "limit_reached"


def post(client: Any, path: str, body: Any) -> Any:
    return client.post(path, data=json.dumps(body), content_type="application/json")


def test_over_the_api_each_party_appeals_once(served: Case, alice: Any, bob: Any) -> None:
    path = f"/api/v1/cases/{served.id}"
    plaintiff, defendant = api_client(alice), api_client(bob)
    assert LODGE in defendant.get(path).json()["available_events"]
    body = {"event": LODGE, "version": served.version, "inputs": GROUNDS}
    first = post(plaintiff, f"{path}/events", body)
    assert first.status_code == 201, first.content
    assert first.json()["case"]["state"] == "appeal_lodged"
    assert LODGE not in plaintiff.get(path).json()["available_events"]
    assert LODGE in defendant.get(path).json()["available_events"]
    version = first.json()["case"]["version"]
    again = post(plaintiff, f"{path}/events", {**body, "version": version})
    assert again.status_code == 409
    assert again["Content-Type"] == "application/problem+json"
    assert again.json()["code"] == "limit_reached"
    assert "提起上诉" in again.json()["detail"]  # alice works in Chinese
    theirs = post(defendant, f"{path}/events", {**body, "version": version})
    assert theirs.status_code == 201, theirs.content
    assert LODGE not in defendant.get(path).json()["available_events"]


def test_on_the_case_page_the_other_party_still_sees_the_appeal_form(
    served: Case, alice: Any, bob: Any
) -> None:
    form = f'name="event" value="{LODGE}"'
    plaintiff, defendant = signed_in(alice), signed_in(bob)
    page = f"/cases/{served.id}/"
    step = {"event": LODGE, "version": served.version, f"{LODGE}-grounds": GROUNDS["grounds"]}
    done = plaintiff.post(f"{page}steps/", step, follow=True)
    assert "已有当事人上诉" in done.content.decode()  # the case's state, in alice's language
    assert form not in done.content.decode()
    served.refresh_from_db()
    assert served.state == "appeal_lodged"
    assert form in defendant.get(page).content.decode()
    again = plaintiff.post(f"{page}steps/", {**step, "version": served.version}, follow=True)
    assert "每一方当事人只能进行一次“提起上诉”" in again.content.decode()
    assert served.events.filter(event=LODGE).count() == 1
    theirs = defendant.post(f"{page}steps/", {**step, "version": served.version}, follow=True)
    assert "Done: Lodge an appeal." in theirs.content.decode()
    assert form not in theirs.content.decode()
    assert served.events.filter(event=LODGE).count() == 2
