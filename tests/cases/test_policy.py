"""Deny by default: no role, no case — not even the knowledge that it exists."""

from __future__ import annotations

import uuid

import pytest

from netcourt.accounts.models import User
from netcourt.cases import actions, policy
from netcourt.cases.models import AccessLogEntry, Case, Representative
from netcourt.core.problems import Problem
from netcourt.courts.models import Court
from tests.conftest import complete_filing, make_user, verified


def test_a_stranger_gets_the_same_404_as_for_a_case_that_does_not_exist(
    submitted: Case, mallory
) -> None:
    with pytest.raises(Problem) as real:
        policy.get_case(mallory, submitted.id)
    with pytest.raises(Problem) as missing:
        policy.get_case(mallory, uuid.uuid4())
    assert real.value.status == missing.value.status == 404
    assert real.value.code == missing.value.code == "not_found"
    assert not policy.visible_cases(mallory).exists()


def test_a_draft_is_the_filers_alone(draft: Case, staff) -> None:
    clerk = staff["clerk-hangzhou"]
    assert policy.case_roles(clerk, draft) == set()
    assert not policy.visible_cases(clerk).filter(id=draft.id).exists()


def test_a_defendant_learns_of_a_draft_against_them_only_once_it_is_submitted(
    draft: Case, bob: User
) -> None:
    from netcourt.accounts.tokens import create_token
    from tests.conftest import signed_in

    defendant = draft.parties.get(role="defendant")
    defendant.user = bob  # the filer named someone with an account (or the demo linked them)
    defendant.save(update_fields=["user"])
    assert policy.case_roles(bob, draft) == set()
    assert not policy.visible_cases(bob).exists()
    assert draft.title not in signed_in(bob).get("/dashboard/").content.decode()
    token = create_token(bob)
    listed = signed_in(bob).get("/api/v1/cases", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert listed.status_code == 200 and str(draft.id) not in listed.content.decode()
    assert set(policy.visible_cases(draft.created_by)) == {draft}
    actions.fire(draft.created_by, draft.id, "submit", draft.version)
    assert set(policy.visible_cases(bob)) == {draft}
    assert draft.title in signed_in(bob).get("/dashboard/").content.decode()


def test_clerks_see_their_own_courts_cases_only(submitted: Case, staff) -> None:
    assert "clerk" in policy.case_roles(staff["clerk-hangzhou"], submitted)
    assert policy.case_roles(staff["clerk-beijing"], submitted) == set()


def test_only_the_assigned_judge_sees_the_case(accepted: Case, staff) -> None:
    judges = [staff["judge1-hangzhou"], staff["judge2-hangzhou"]]
    seeing = [j for j in judges if policy.case_roles(j, accepted)]
    assert seeing == [accepted.judge]


def test_a_defendant_with_an_account_sees_the_case_once_linked(accepted: Case, mallory) -> None:
    party = accepted.parties.get(role="defendant")
    party.user = mallory
    party.save()
    assert policy.case_roles(mallory, accepted) == {"defendant"}


def test_reads_are_logged_for_the_parties_to_see(accepted: Case, staff) -> None:
    actions.log_access(accepted.judge, accepted, "case.view")
    entry = AccessLogEntry.objects.get(case=accepted)
    assert entry.user == accepted.judge
    assert entry.roles == ["judge"]


def filed_by_lawyer(username: str, court: Court) -> tuple[User, Case]:
    lawyer = verified(make_user(username))
    case = actions.file_case(
        lawyer,
        court,
        "ecommerce_purchase",
        complete_filing(),
        acting_as="lawyer",
        licence_number="13301201910123456",
    )
    return lawyer, case


def test_a_lawyer_files_for_a_client_and_acts_on_their_behalf(hangzhou, staff, frozen) -> None:
    lawyer, case = filed_by_lawyer("lawyer", hangzhou)
    actions.fire(lawyer, case.id, "submit", case.version)
    submitted = case.events.get(event="submit")
    assert submitted.actor == lawyer
    assert submitted.on_behalf_of is not None
    assert submitted.on_behalf_of.name == "张伟"


def test_a_lawyer_whose_representation_ends_loses_the_case(hangzhou, staff, frozen) -> None:
    lawyer, case = filed_by_lawyer("former-lawyer", hangzhou)
    Representative.objects.filter(user=lawyer).update(active=False)
    case.refresh_from_db()
    assert policy.case_roles(lawyer, case) == set()
    assert not policy.visible_cases(lawyer).exists()
    with pytest.raises(Problem) as refused:
        actions.fire(lawyer, case.id, "submit", case.version)
    assert refused.value.status == 404


def test_a_judge_whose_membership_ends_loses_their_cases(accepted: Case, staff) -> None:
    """A judge made inactive at the court keeps no power over the cases they were given: the
    case is a 404 on the page and in the API, no step goes through either way, and the clerk's
    queue shows the case as needing another judge."""
    from netcourt.courts.models import CourtMembership, CourtRole
    from tests.conftest import api_client, signed_in

    judge = accepted.judge
    assert judge is not None
    step = {"event": "request_extension", "version": accepted.version}
    page, api = signed_in(judge), api_client(judge)
    assert page.get(f"/cases/{accepted.id}/").status_code == 200
    clerk = signed_in(staff["clerk-hangzhou"])
    assert "need another judge" not in clerk.get("/courts/hangzhou/queue/").content.decode()

    CourtMembership.objects.filter(user=judge, role=CourtRole.JUDGE).update(active=False)

    assert policy.case_roles(judge, accepted) == set()
    assert not policy.visible_cases(judge).exists()
    assert page.get(f"/cases/{accepted.id}/").status_code == 404
    assert accepted.title not in page.get("/dashboard/").content.decode()
    assert api.get(f"/api/v1/cases/{accepted.id}").status_code == 404
    assert api.get(f"/api/v1/cases/{accepted.id}/docket").status_code == 404
    taken = api.post(
        f"/api/v1/cases/{accepted.id}/events",
        {**step, "inputs": {"reasons": "More time."}},
        content_type="application/json",
    )
    assert taken.status_code == 404 and taken.json()["code"] == "not_found"
    posted = page.post(
        f"/cases/{accepted.id}/steps/", {**step, "request_extension-reasons": "More time."}
    )
    assert posted.status_code == 404
    accepted.refresh_from_db()
    assert not accepted.events.filter(event="request_extension").exists()
    queue = clerk.get("/courts/hangzhou/queue/").content.decode()
    assert "Cases that need another judge" in queue
    assert f"/cases/{accepted.id}/" in queue.split("Cases that need another judge")[1]

    # Active again at the court, as a judge: the case comes back.
    CourtMembership.objects.filter(user=judge, role=CourtRole.JUDGE).update(active=True)
    assert policy.case_roles(judge, accepted) == {"judge"}


def test_a_judge_of_another_court_does_not_judge_a_case_assigned_to_them_here(
    accepted: Case, staff
) -> None:
    """Being an active judge somewhere is not enough: of the case's own court."""
    from netcourt.courts.models import CourtMembership, CourtRole

    judge = accepted.judge
    CourtMembership.objects.filter(user=judge, role=CourtRole.JUDGE).update(active=False)
    beijing = Court.objects.get(slug="beijing")
    CourtMembership.objects.create(court=beijing, user=judge, role=CourtRole.JUDGE)
    assert policy.case_roles(judge, accepted) == set()
    assert not policy.visible_cases(judge).exists()
