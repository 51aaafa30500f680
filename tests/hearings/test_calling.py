"""Calling a witness or an interpreter from the hearing's page: no one who takes part in the
case is called as one, a person has one role at a hearing (and their notice says which), and
a refused call comes back on the page, next to its field, with what was typed."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse

from netcourt.cases.models import Case, Representative, RepresentativeKind
from netcourt.core import clock
from netcourt.hearings import actions
from netcourt.hearings.models import Hearing, Mode, Participant, Presence, Role
from netcourt.service.models import Notification
from tests.conftest import make_user, signed_in
from tests.hearings.test_pages import in_five_days

NO_PARTY = "This person is a party to the case or represents one"


@pytest.fixture
def hearing(exchanging: Case, staff: dict[str, Any], frozen: Any) -> Hearing:
    """A public hearing of the Hangzhou case in five days."""
    return in_five_days(exchanging, staff["clerk-hangzhou"], public=True)


def call(client: Any, hearing: Hearing, email: str, role: str = "witness", **extra: Any) -> Any:
    return client.post(
        reverse("hearings:invite", args=[hearing.pk]), {"email": email, "role": role}, **extra
    )


def field_error(page: str, hearing: Hearing, field: str) -> str:
    """The error shown next to ``field`` of the hearing's form, tied to it for screen
    readers (aria-describedby names the error's id); '' when there is none."""
    error_id = f"invite-{hearing.pk}-{field}_error"
    found = re.search(rf'<ul class="errorlist" id="{error_id}">(.*?)</ul>', page, re.S)
    if found is None:
        return ""
    described = re.search(rf'aria-describedby="[^"]*\b{re.escape(error_id)}\b', page)
    assert described is not None, f"{error_id} is not tied to its field"
    return re.sub(r"<[^>]+>", "", found.group(1))


@pytest.mark.parametrize("who", ["plaintiff", "defendant", "representative", "contact e-mail"])
def test_a_party_or_its_representative_is_not_called_as_a_witness(
    hearing: Hearing, alice: Any, bob: Any, who: str, django_capture_on_commit_callbacks: Any
) -> None:
    case = hearing.case
    if who == "plaintiff":
        email = alice.email.upper()
    elif who == "defendant":
        email = bob.email
    elif who == "representative":
        lawyer = make_user("lawyer")
        Representative.objects.create(
            party=case.parties.get(role="defendant"), user=lawyer, kind=RepresentativeKind.LAWYER
        )
        email = lawyer.email
    else:  # a party served at an e-mail address: the account of that address is the party's
        carol = make_user("carol")
        case.parties.filter(role="plaintiff").update(contact_email="Carol@Example.test")
        email = carol.email
    judge = signed_in(case.judge)
    with django_capture_on_commit_callbacks(execute=True):
        answer = call(judge, hearing, email, "interpreter")
    assert answer.status_code == 422
    page = answer.content.decode()
    assert NO_PARTY in field_error(page, hearing, "email")
    assert not Participant.objects.filter(hearing=hearing, role__in=actions.CALLED_ROLES).exists()
    assert not Notification.objects.filter(subject="You are called to a hearing").exists()
    if who == "defendant":  # they keep their own place in the hearing
        assert actions.place_for(bob, hearing) == (Role.PARTY, case.parties.get(role="defendant"))


def test_the_judge_is_not_called_as_a_witness_of_their_own_hearing(hearing: Hearing) -> None:
    judge = hearing.case.judge
    answer = call(signed_in(judge), hearing, judge.email)
    assert answer.status_code == 422
    assert "take part in the hearing as the court" in field_error(
        answer.content.decode(), hearing, "email"
    )
    assert actions.place_for(judge, hearing) == (Role.JUDGE, None)


def test_called_again_as_the_other_role_they_are_told_their_new_role(
    hearing: Hearing, django_capture_on_commit_callbacks: Any
) -> None:
    person = make_user("witness")
    judge = signed_in(hearing.case.judge)
    with django_capture_on_commit_callbacks(execute=True):
        call(judge, hearing, person.email, "witness")
        answer = call(judge, hearing, person.email, "interpreter", follow=True)
    assert "They were called as witness; they are now called as interpreter" in (
        answer.content.decode()
    )
    assert actions.place_for(person, hearing) == (Role.INTERPRETER, None)
    latest = Notification.objects.filter(user=person).order_by("-pk").first()
    assert latest is not None
    assert "You are now called as interpreter, no longer as witness" in latest.body

    # Once they have taken part as interpreter, they stay the interpreter.
    Participant.objects.filter(hearing=hearing, user=person).update(
        first_joined_at=clock.now(), presence=Presence.LEFT
    )
    answer = call(judge, hearing, person.email, "witness")
    assert answer.status_code == 422
    assert "has taken part in the hearing as interpreter already" in field_error(
        answer.content.decode(), hearing, "role"
    )
    assert actions.place_for(person, hearing) == (Role.INTERPRETER, None)


def test_a_witness_called_to_a_courtroom_hearing_is_told_to_come_in_person(
    hearing: Hearing, django_capture_on_commit_callbacks: Any
) -> None:
    Hearing.objects.filter(pk=hearing.pk).update(mode=Mode.OFFLINE)
    hearing.refresh_from_db()
    person = make_user("witness-in-court")
    with django_capture_on_commit_callbacks(execute=True):
        call(signed_in(hearing.case.judge), hearing, person.email, "witness")
    notice = Notification.objects.filter(user=person).get()
    assert "held in the courtroom of the Hangzhou Internet Court" in notice.body
    assert "come to the court in person" in notice.body and "waiting room" not in notice.body


def test_a_member_of_the_public_who_watched_can_be_called_as_a_witness(
    hearing: Hearing, mallory: Any, django_capture_on_commit_callbacks: Any
) -> None:
    viewer = actions.participant_for(mallory, hearing)
    assert viewer is not None and viewer.role == Role.VIEWER
    with django_capture_on_commit_callbacks(execute=True):
        answer = call(signed_in(hearing.case.judge), hearing, mallory.email)
    assert answer.status_code == 302
    assert actions.place_for(mallory, hearing) == (Role.WITNESS, None)
    told = Notification.objects.get(user=mallory)
    assert "You are called as witness" in told.body


def test_a_refused_call_comes_back_on_the_hearings_page_with_what_was_typed(
    hearing: Hearing,
) -> None:
    staff = hearing.case.court.memberships.get(role="clerk").user
    clerk = signed_in(staff)
    answer = call(clerk, hearing, "nobody@mail.example", "interpreter")
    assert answer.status_code == 422
    page = answer.content.decode()
    # The case's hearings page, not an error page with a link to "My cases".
    assert "<h1>Hearings" in page and "Call a witness or an interpreter" in page
    assert "No account of the court has this e-mail address." in field_error(page, hearing, "email")
    email_input = re.search(rf'<input[^>]*id="invite-{hearing.pk}-email"[^>]*>', page)
    assert email_input is not None
    assert 'value="nobody@mail.example"' in email_input.group(0)
    assert 'aria-invalid="true"' in email_input.group(0)
    checked = re.search(r'<input[^>]*name="role"[^>]*checked[^>]*>', page)
    assert checked is not None and 'value="interpreter"' in checked.group(0)
    assert re.search(r"<details open>\s*<summary>Call a witness", page)  # shown open
    assert f'href="#invite-{hearing.pk}-email"' in page  # the summary leads to the field
    assert not Participant.objects.filter(hearing=hearing, role__in=actions.CALLED_ROLES).exists()

    bad = call(clerk, hearing, "not an address")
    assert bad.status_code == 422 and field_error(bad.content.decode(), hearing, "email")

    staff.preferred_language = "zh-hans"  # in Chinese, too
    staff.save(update_fields=["preferred_language"])
    page = call(signed_in(staff), hearing, "nobody@mail.example").content.decode()
    assert "本院没有使用此电子邮箱的账户" in field_error(page, hearing, "email")


def test_a_person_the_judge_removed_is_not_called_back(
    hearing: Hearing, django_capture_on_commit_callbacks: Any
) -> None:
    person = make_user("witness")
    judge = signed_in(hearing.case.judge)
    with django_capture_on_commit_callbacks(execute=True):
        call(judge, hearing, person.email)
    Participant.objects.filter(hearing=hearing, user=person).update(presence=Presence.REMOVED)
    for role in ("witness", "interpreter"):
        with django_capture_on_commit_callbacks(execute=True):
            answer = call(judge, hearing, person.email, role)
        assert answer.status_code == 409
        assert "cannot be called back" in field_error(answer.content.decode(), hearing, "email")
    assert Notification.objects.filter(user=person).count() == 1  # the first call only


def test_a_witness_s_invitation_names_no_case_title_and_links_a_page_they_can_open(
    hearing: Hearing, django_capture_on_commit_callbacks: Any
) -> None:
    from django.urls import reverse

    person = make_user("witness-with-calendar")
    with django_capture_on_commit_callbacks(execute=True):
        call(signed_in(hearing.case.judge), hearing, person.email, "witness")
    witness = signed_in(person)
    text = witness.get(reverse("hearings:invitation", args=[hearing.pk])).content.decode()
    unfolded = text.replace("\r\n ", "")
    assert hearing.case.title not in unfolded
    own_page = reverse("hearings:hearing", args=[hearing.pk])
    assert f"URL:http://127.0.0.1:8000{own_page}" in unfolded
    assert witness.get(own_page).status_code == 200
    case_page = reverse("hearings:case", args=[hearing.case.pk])
    assert case_page not in unfolded


def test_a_witness_is_told_when_the_hearing_moves_and_when_it_is_cancelled(
    hearing: Hearing, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from netcourt.cases import actions as case_actions
    from netcourt.hearings import scheduling
    from tests.conftest import confirmed

    person = make_user("witness-on-the-move")
    with django_capture_on_commit_callbacks(execute=True):
        call(signed_in(hearing.case.judge), hearing, person.email, "witness")
    case = hearing.case
    case.refresh_from_db()
    mailoutbox.clear()
    later = hearing.starts_at + timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        scheduling.postpone(
            case.judge, case.id, case.version, starts_at=later, minutes=30, reasons="Ill."
        )
    [moved] = [m for m in mailoutbox if m.to == [person.email]]
    assert moved.subject == "A hearing you are called to has moved"
    assert case.number in moved.body and case.title not in moved.body
    [(name, text, mime)] = moved.attachments
    assert "SEQUENCE:1" in text and "METHOD:REQUEST" in text and case.title not in text
    mailoutbox.clear()
    case.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        case_actions.fire(
            case.created_by,
            case.id,
            "withdraw",
            case.version,
            {"reasons": "Settled."},
            step_up=confirmed(),
        )
    [cancelled] = [m for m in mailoutbox if m.to == [person.email]]
    assert "cancelled" in cancelled.subject and "do not come" in cancelled.body
    assert "METHOD:CANCEL" in cancelled.attachments[0][1]


def test_a_witness_s_inbox_notice_links_the_hearing_s_own_page(
    hearing: Hearing, django_capture_on_commit_callbacks: Any
) -> None:
    person = make_user("witness-inbox")
    with django_capture_on_commit_callbacks(execute=True):
        call(signed_in(hearing.case.judge), hearing, person.email, "witness")
    note = Notification.objects.get(user=person)
    assert note.link == reverse("hearings:hearing", args=[hearing.pk])
    inbox = signed_in(person).get(reverse("service:inbox")).content.decode()
    assert f'href="{note.link}"' in inbox


def test_a_judge_who_left_the_court_has_no_judges_place_at_the_hearing(hearing: Hearing) -> None:
    from netcourt.courts.models import CourtMembership, CourtRole

    judge = hearing.case.judge
    CourtMembership.objects.filter(user=judge, role=CourtRole.JUDGE).update(active=False)
    assert actions.place_for(judge, hearing) == (Role.VIEWER, None)  # a public hearing
    assert not actions.may_call(judge, hearing)
    answer = call(signed_in(judge), hearing, make_user("witness").email)
    assert answer.status_code == 403  # a viewer of the public hearing, who calls no one
    assert not Participant.objects.filter(hearing=hearing, role=Role.WITNESS).exists()
