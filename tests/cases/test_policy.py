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
