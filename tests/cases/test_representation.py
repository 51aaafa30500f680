"""A party appoints a lawyer or another agent in the app; the representative acts for the
party at once, every event names both, and an ended representation ends access at once."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from allauth.account.models import EmailAddress
from django.test import Client

from netcourt.accounts.mfa import add_totp, current_totp_code
from netcourt.accounts.models import SecurityEvent
from netcourt.cases import actions, policy
from netcourt.cases.models import Case, CaseEvent, Representative
from netcourt.core.problems import NotFound, Problem
from tests.conftest import confirmed, make_user, signed_in, verified

LICENCE = "13301201910123456"
PASSWORD = "a long enough passphrase 42"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def appoint(case: Case, by, email: str, kind: str = "lawyer", licence: str = LICENCE):
    case.refresh_from_db()
    return actions.fire(
        by,
        case.id,
        "appoint_representative",
        case.version,
        {
            "representative_email": email,
            "representative_kind": kind,
            "licence_number": licence,
            "firm": "West Lake Law Firm",
        },
        step_up=confirmed(),
    )


def test_a_party_appoints_a_lawyer_who_then_acts_for_it(accepted: Case, alice) -> None:
    lawyer = verified(make_user("lawyer-zhao"))
    record = appoint(accepted, alice, lawyer.email.upper())
    assert (record.actor_id, record.on_behalf_of.user_id) == (alice.pk, alice.pk)
    accepted.refresh_from_db()
    assert policy.case_roles(lawyer, accepted) == {"plaintiff"}
    assert policy.get_case(lawyer, accepted.id) == accepted
    rep = Representative.objects.get(user=lawyer)
    assert (rep.kind, rep.licence_number, rep.firm) == ("lawyer", LICENCE, "West Lake Law Firm")
    step = actions.fire(
        lawyer,
        accepted.id,
        "withdraw",
        accepted.version,
        {"reasons": "Settled"},
        step_up=confirmed(),
    )
    assert step.actor_id == lawyer.pk and step.on_behalf_of.user_id == alice.pk
    for person in (lawyer, alice):
        assert SecurityEvent.objects.filter(
            user=person, tag="account:representation:appointed"
        ).exists()


@pytest.mark.parametrize(
    ("email", "kind", "licence", "field"),
    [
        ("nobody@example.org", "agent", "", "representative_email"),
        ("lawyer-qian@example.test", "lawyer", "12345", "licence_number"),
        ("clerk-hangzhou@example.test", "agent", "", "representative_email"),
        ("alice@example.test", "agent", "", "representative_email"),
    ],
)
def test_an_appointment_that_cannot_stand_is_refused_and_writes_nothing(
    accepted: Case, alice, email, kind, licence, field
) -> None:
    make_user("lawyer-qian")
    events = CaseEvent.objects.filter(case=accepted).count()
    with pytest.raises(Problem) as refused:
        appoint(accepted, alice, email, kind, licence)
    assert refused.value.field == field
    assert CaseEvent.objects.filter(case=accepted).count() == events
    assert not Representative.objects.filter(party__case=accepted).exists()


def test_at_most_two_representatives(accepted: Case, alice) -> None:
    for name in ("a1", "a2"):
        appoint(accepted, alice, make_user(name).email, "agent", "")
    with pytest.raises(Problem) as refused:
        appoint(accepted, alice, make_user("a3").email, "agent", "")
    assert refused.value.code == "limit_reached"


def test_only_the_party_itself_appoints(accepted: Case, alice) -> None:
    lawyer = verified(make_user("lawyer-sun"))
    appoint(accepted, alice, lawyer.email)
    with pytest.raises(Problem) as refused:
        appoint(accepted, lawyer, make_user("friend").email, "agent", "")
    assert refused.value.code == "role_not_allowed"


def test_ending_a_representation_ends_access_at_once(
    accepted: Case, alice, mailoutbox, django_capture_on_commit_callbacks
) -> None:
    lawyer = verified(make_user("lawyer-li"))
    appoint(accepted, alice, lawyer.email)
    rep = Representative.objects.get(user=lawyer)
    accepted.refresh_from_db()
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        actions.fire(
            alice,
            accepted.id,
            "revoke_representative",
            accepted.version,
            {"representative": str(rep.pk)},
        )
    with pytest.raises(NotFound):
        policy.get_case(lawyer, accepted.id)
    assert not policy.visible_cases(lawyer).exists()
    assert SecurityEvent.objects.filter(user=lawyer, tag="account:representation:ended").exists()
    # The lawyer is told, with no link to the case they can no longer open.
    [told] = [m for m in mailoutbox if m.to == [lawyer.email]]
    assert "representation ended" in told.subject and "/cases/" not in told.body


def test_a_representative_may_withdraw_but_not_dismiss_a_colleague(accepted: Case, alice) -> None:
    first, second = verified(make_user("rep-one")), verified(make_user("rep-two"))
    appoint(accepted, alice, first.email, "agent", "")
    appoint(accepted, alice, second.email, "agent", "")
    other = Representative.objects.get(user=second)
    accepted.refresh_from_db()
    with pytest.raises(Problem) as refused:
        actions.fire(
            first,
            accepted.id,
            "revoke_representative",
            accepted.version,
            {"representative": str(other.pk)},
        )
    assert refused.value.code == "role_not_allowed"
    own = Representative.objects.get(user=first)
    actions.fire(
        first,
        accepted.id,
        "revoke_representative",
        accepted.version,
        {"representative": str(own.pk)},
    )
    own.refresh_from_db()
    assert not own.active


def test_the_case_page_appoints_after_the_second_factor_is_confirmed(
    accepted: Case, alice, frozen
) -> None:
    frozen.advance(datetime.now(UTC) - frozen.now())  # allauth stamps factor use in real time
    alice.set_password(PASSWORD)
    alice.save()
    client = Client()
    client.post("/accounts/login/", {"login": alice.email, "password": PASSWORD})
    page = client.get(f"/cases/{accepted.id}/").content.decode()
    assert "委托诉讼代理人" in page and "律师" in page
    lawyer = verified(make_user("lawyer-web"))
    appointment = {
        "event": "appoint_representative",
        "version": accepted.version,
        "appoint_representative-representative_email": lawyer.email,
        "appoint_representative-representative_kind": "lawyer",
        "appoint_representative-licence_number": LICENCE,
    }
    # No second factor yet: sent to set one up, with the reason.
    first = client.post(f"/cases/{accepted.id}/steps/", appointment)
    assert first["Location"] == f"/accounts/2fa/?next=%2Fcases%2F{accepted.id}%2F"
    # What they typed waits for them on the case page, once, and not in clear in the session.
    session = client.session.load()
    assert LICENCE not in json.dumps(session) and lawyer.email not in json.dumps(session)
    # allauth's set-up pages forget where the person came from: each offers the way back,
    # until they are back on the case's page.
    back = f'<a href="/cases/{accepted.id}/">'
    assert back in client.get("/accounts/2fa/").content.decode()
    returned = client.get(f"/cases/{accepted.id}/").content.decode()
    assert f'value="{lawyer.email}"' in returned and f'value="{LICENCE}"' in returned
    assert f'value="{LICENCE}"' not in client.get(f"/cases/{accepted.id}/").content.decode()
    assert back not in client.get("/accounts/2fa/").content.decode()
    add_totp(alice, SECRET)
    # A factor, but not used in this session: sent to confirm it, then back.
    second = client.post(f"/cases/{accepted.id}/steps/", appointment)
    assert second["Location"].startswith("/accounts/2fa/reauthenticate/?next=")
    client.post("/accounts/2fa/reauthenticate/", {"code": current_totp_code(SECRET)})
    done = client.post(f"/cases/{accepted.id}/steps/", appointment, follow=True)
    page = done.content.decode()
    assert "Lawyer-Web" in page
    assert lawyer.email not in page
    record = CaseEvent.objects.get(case=accepted, event="appoint_representative")
    assert record.payload["step_up"]["method"] == "totp"


def test_an_unconfirmed_address_names_no_one(accepted: Case, alice) -> None:
    """Anyone can sign up with a lawyer's address before the lawyer does: only a confirmed
    address may be appointed, and the refusal reads the same as for no account at all."""
    impostor = verified(make_user("impostor"))
    EmailAddress.objects.filter(user=impostor).update(verified=False)
    with pytest.raises(Problem) as refused:
        appoint(accepted, alice, impostor.email)
    with pytest.raises(Problem) as nobody:
        appoint(accepted, alice, "no-such-person@example.org")
    assert refused.value.message == nobody.value.message
    assert not Representative.objects.filter(user=impostor).exists()


def test_a_lawyer_is_named_as_the_partys_representative_and_does_not_appoint(
    accepted: Case, alice
) -> None:
    lawyer = verified(make_user("lawyer-named", "zh-hans"))
    appoint(accepted, alice, lawyer.email)
    page = signed_in(lawyer).get(f"/cases/{accepted.id}/").content.decode()
    assert "原告的诉讼代理人" in page
    assert 'value="appoint_representative"' not in page
    own = signed_in(alice).get(f"/cases/{accepted.id}/").content.decode()
    assert 'value="appoint_representative"' in own
