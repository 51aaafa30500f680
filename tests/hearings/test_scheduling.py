"""Scheduling a hearing: each check refuses with its code and writes nothing; postponing
records its reasons and moves the invitation; busy time, sittings, a party's unavailable days
and a person's time zone."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from email import message_from_bytes
from typing import Any

import pytest
from django.urls import reverse

from netcourt.cases import actions as case_actions
from netcourt.cases.models import Case, CaseDeadline, CaseEvent
from netcourt.core import clock
from netcourt.core.models import Job
from netcourt.core.problems import Problem
from netcourt.courts.models import Court
from netcourt.hearings import ics, scheduling
from netcourt.hearings.models import Busy, Hearing, HearingStatus, Mode, Sitting, Unavailability
from netcourt.hearings.times import court_zone
from netcourt.service.actions import record_consent
from netcourt.service.models import Service
from tests.conftest import complete_filing, confirmed, signed_in

THURSDAY = date(2026, 11, 12)  # the frozen clock is Monday 2 November 2026, 10:00 Beijing


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A moment in the court's time zone."""
    return datetime.combine(day, time(hour, minute), tzinfo=court_zone())


def sits_on_weekdays(court: Court) -> None:
    """The demo's sittings: Monday to Friday, 09:00–12:00 and 14:00–17:30."""
    for weekday in range(5):
        Sitting.objects.create(court=court, weekday=weekday, starts=time(9), ends=time(12))
        Sitting.objects.create(court=court, weekday=weekday, starts=time(14), ends=time(17, 30))


def in_evidence_exchange(case: Case, staff: dict[str, Any]) -> Case:
    """``case`` with its answer period closed by the clerk: a hearing can be scheduled."""
    case.refresh_from_db()
    if case.state == "answer_period":
        case_actions.fire(staff["clerk-hangzhou"], case.id, "close_answer_period", case.version)
        case.refresh_from_db()
    return case


@pytest.fixture
def ready(exchanging: Case, staff: dict[str, Any]) -> Case:
    return in_evidence_exchange(exchanging, staff)


def schedule(case: Case, when: datetime, **options: Any) -> CaseEvent:
    """The case's judge schedules its hearing at ``when``."""
    case.refresh_from_db()
    return scheduling.schedule(case.judge, case.id, case.version, starts_at=when, **options)


def hearing_of(case: Case) -> Hearing:
    return Hearing.objects.get(case=case)


def second_case(filer: Any, court: Court, staff: dict[str, Any], judge: Any) -> Case:
    """Another case of ``judge``'s in evidence exchange, filed by ``filer``."""
    case = case_actions.file_case(filer, court, "ecommerce_purchase", complete_filing())
    case_actions.fire(filer, case.id, "submit", case.version)
    case.refresh_from_db()
    case_actions.fire(staff["clerk-hangzhou"], case.id, "accept", case.version)
    Case.objects.filter(pk=case.pk).update(judge=judge)
    for step in ("serve_complaint", "confirm_service"):
        case.refresh_from_db()
        case_actions.fire(staff["clerk-hangzhou"], case.id, step, case.version)
    return in_evidence_exchange(case, staff)


def test_the_judge_schedules_the_hearing(ready: Case, frozen: Any) -> None:
    record = schedule(ready, at(THURSDAY, 10), minutes=45)
    hearing = hearing_of(ready)
    assert hearing.starts_at == at(THURSDAY, 10)
    assert (hearing.minutes, hearing.public, hearing.sequence) == (45, True, 0)
    assert hearing.scheduled_by == record
    assert record.payload["inputs"]["hearing_at"] == "2026-11-12"
    assert record.payload["hearing"]["starts_at"] == at(THURSDAY, 10).isoformat()
    notice = CaseDeadline.objects.get(case=ready, time_limit="hearing_notice")
    assert notice.due == date(2026, 11, 9)
    ready.refresh_from_db()
    assert ready.state == "hearing_scheduled"


def test_a_hearing_in_private_records_its_ground(ready: Case, frozen: Any) -> None:
    with pytest.raises(Problem) as refused:
        schedule(ready, at(THURSDAY, 10), public=False)
    assert (refused.value.code, refused.value.field) == ("input_invalid", "private_ground")
    record = schedule(ready, at(THURSDAY, 10), public=False, private_ground="privacy")
    assert record.payload["hearing"]["private_ground"] == "privacy"
    assert hearing_of(ready).public is False


def test_the_mode_follows_the_parties_consents(
    ready: Case, alice: Any, bob: Any, frozen: Any
) -> None:
    for user, role in ((alice, "plaintiff"), (bob, "defendant")):
        party = ready.parties.get(role=role)
        record_consent(user, ready.pk, party.pk, "online_litigation", "given")
    schedule(ready, at(THURSDAY, 10))
    assert hearing_of(ready).mode == Mode.ONLINE


def _refused(case: Case, when: datetime, code: str, field: str, **options: Any) -> Problem:
    """Scheduling at ``when`` is refused with ``code`` on ``field``, and nothing is written."""
    case.refresh_from_db()
    events, jobs, version = case.events.count(), Job.objects.count(), case.version
    with pytest.raises(Problem) as refused:
        schedule(case, when, **options)
    assert (refused.value.code, refused.value.field) == (code, field)
    assert refused.value.status == 422
    case.refresh_from_db()
    assert (case.events.count(), Job.objects.count(), case.version) == (events, jobs, version)
    assert not Hearing.objects.filter(case=case).exists()
    assert case.state == "evidence_exchange"
    return refused.value


def test_a_time_in_the_past_or_without_the_notice_is_too_soon(ready: Case, frozen: Any) -> None:
    _refused(ready, at(date(2026, 11, 2), 9), "schedule_too_soon", "hearing_at")
    problem = _refused(ready, at(date(2026, 11, 4), 10), "schedule_too_soon", "hearing_at")
    assert "Civil Procedure Law (2023) Art. 139" in problem.message
    assert "Nov. 5, 2026" in problem.message  # the earliest day
    schedule(ready, at(date(2026, 11, 5), 10))  # three days' notice is possible


def test_a_time_outside_the_sittings_is_refused(ready: Case, hangzhou: Court, frozen: Any) -> None:
    sits_on_weekdays(hangzhou)
    saturday = date(2026, 11, 14)
    problem = _refused(ready, at(saturday, 10), "schedule_outside_sitting", "time")
    assert "Saturday" in problem.message
    problem = _refused(ready, at(THURSDAY, 12, 30), "schedule_outside_sitting", "time")
    assert "09:00–12:00, 14:00–17:30" in problem.message
    # It must end within the sitting too.
    _refused(ready, at(THURSDAY, 11, 45), "schedule_outside_sitting", "time")
    # New Year's Day 2027 is a Friday, and a public holiday.
    problem = _refused(ready, at(date(2027, 1, 1), 10), "schedule_outside_sitting", "time")
    assert "public holiday" in problem.message
    schedule(ready, at(THURSDAY, 11, 30))


def test_a_court_with_no_sittings_accepts_any_time(ready: Case, frozen: Any) -> None:
    schedule(ready, at(date(2026, 11, 14), 20))
    assert hearing_of(ready).starts_at == at(date(2026, 11, 14), 20)


def test_the_judges_other_hearing_or_busy_time_is_a_clash(
    ready: Case, alice: Any, hangzhou: Court, staff: dict[str, Any], frozen: Any
) -> None:
    judge = ready.judge
    other = second_case(alice, hangzhou, staff, judge)
    schedule(other, at(THURSDAY, 10), minutes=60)
    problem = _refused(ready, at(THURSDAY, 10, 45), "schedule_clash", "time")
    assert "another hearing" in problem.message
    Busy.objects.create(
        user=judge, starts_at=at(THURSDAY, 14), ends_at=at(THURSDAY, 18), reason="training"
    )
    problem = _refused(ready, at(THURSDAY, 13, 45), "schedule_clash", "time")
    assert "not available" in problem.message and "training" not in problem.message
    # Another judge's busy time, and back-to-back hearings, are no clash.
    Busy.objects.create(
        user=staff["clerk-hangzhou"], starts_at=at(THURSDAY, 11), ends_at=at(THURSDAY, 12)
    )
    schedule(ready, at(THURSDAY, 11))


def test_a_day_a_party_cannot_attend_is_refused(ready: Case, bob: Any, frozen: Any) -> None:
    defendant = ready.parties.get(role="defendant")
    scheduling.add_unavailable(
        bob, ready.id, defendant.pk, date(2026, 11, 11), date(2026, 11, 13), "surgery"
    )
    problem = _refused(ready, at(THURSDAY, 10), "schedule_party_unavailable", "hearing_at")
    assert defendant.name in problem.message and "surgery" in problem.message
    schedule(ready, at(date(2026, 11, 16), 10))


def test_the_length_is_between_ten_minutes_and_eight_hours(ready: Case, frozen: Any) -> None:
    for minutes in (5, 481):
        _refused(ready, at(THURSDAY, 10), "input_invalid", "minutes", minutes=minutes)


def test_only_the_judge_or_clerk_schedules_and_only_on_the_latest_version(
    ready: Case, alice: Any, mallory: Any, staff: dict[str, Any], frozen: Any
) -> None:
    when = at(THURSDAY, 10)
    with pytest.raises(Problem) as refused:
        scheduling.schedule(alice, ready.id, ready.version, starts_at=when)
    assert refused.value.code == "role_not_allowed"
    with pytest.raises(Problem) as refused:
        scheduling.schedule(mallory, ready.id, ready.version, starts_at=when)
    assert refused.value.status == 404
    with pytest.raises(Problem) as refused:
        scheduling.schedule(ready.judge, ready.id, ready.version - 1, starts_at=when)
    assert refused.value.code == "stale_version"
    assert not Hearing.objects.exists()
    clerk = staff["clerk-hangzhou"]
    scheduling.schedule(clerk, ready.id, ready.version, starts_at=when)
    assert hearing_of(ready).starts_at == when
    ready.refresh_from_db()
    with pytest.raises(Problem) as refused:  # scheduled already: it is postponed instead
        schedule(ready, at(THURSDAY, 15))
    assert refused.value.code in ("wrong_state", "role_not_allowed")


def test_postponing_records_the_reasons_and_moves_the_invitation(ready: Case, frozen: Any) -> None:
    schedule(ready, at(THURSDAY, 10))
    first = ics.invitation(hearing_of(ready))
    ready.refresh_from_db()
    judge = ready.judge
    with pytest.raises(Problem) as refused:
        scheduling.postpone(
            judge,
            ready.id,
            ready.version,
            starts_at=at(THURSDAY, 15),
            minutes=30,
            reasons="  ",
        )
    assert (refused.value.code, refused.value.field) == ("input_invalid", "reasons")
    # Moving it by a quarter of an hour does not clash with itself.
    record = scheduling.postpone(
        judge,
        ready.id,
        ready.version,
        starts_at=at(THURSDAY, 10, 15),
        minutes=40,
        reasons="The defendant asked for time to bring a witness.",
    )
    assert record.event == "postpone_hearing"
    assert record.payload["inputs"]["reasons"] == "The defendant asked for time to bring a witness."
    hearing = hearing_of(ready)
    assert (hearing.starts_at, hearing.minutes, hearing.sequence) == (at(THURSDAY, 10, 15), 40, 1)
    moved = ics.invitation(hearing)
    assert "SEQUENCE:0" in first and "SEQUENCE:1" in moved
    assert ics.uid(hearing) in first and ics.uid(hearing) in moved
    notices = CaseDeadline.objects.filter(case=ready, time_limit="hearing_notice")
    assert notices.filter(stopped_by__isnull=True).get().due == date(2026, 11, 9)


def test_each_person_summoned_gets_the_invitation_in_their_language(
    ready: Case,
    alice: Any,
    bob: Any,
    frozen: Any,
    mailoutbox: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        schedule(ready, at(THURSDAY, 10))
    invitations = {}
    for mail in mailoutbox:
        parsed = message_from_bytes(mail.message().as_bytes())
        for part in parsed.walk():
            if part.get_content_type() == "text/calendar":
                assert part.get_param("method") == "REQUEST"
                payload = part.get_payload(decode=True)
                invitations[mail.to[0]] = payload.decode()
    assert set(invitations) == {alice.email, bob.email}
    hearing = hearing_of(ready)
    for text in invitations.values():
        assert f"UID:{ics.uid(hearing)}" in text and "METHOD:REQUEST" in text
    # Mail carries text in the lines of its own transport: unfolded after normalising them.
    english, chinese = (
        invitations[p.email].replace("\r\n", "\n").replace("\n ", "") for p in (bob, alice)
    )
    assert "Hangzhou Internet Court" in english
    assert "杭州互联网法院" in chinese
    assert f"mailto:{bob.email}" in english


def test_a_free_time_is_suggested(ready: Case, hangzhou: Court, frozen: Any) -> None:
    sits_on_weekdays(hangzhou)
    event = scheduling.scheduling_step(ready, {"judge"})
    assert event is not None
    Busy.objects.create(
        user=ready.judge, starts_at=at(date(2026, 11, 5), 0), ends_at=at(date(2026, 11, 6), 0)
    )
    # Thursday 5 November is the first day with the notice, but the judge is away all day.
    assert scheduling.first_free(ready, event, 30, clock.now()) == at(date(2026, 11, 6), 9)


def test_busy_time_is_the_staff_members_own(staff: dict[str, Any], alice: Any, frozen: Any) -> None:
    judge, other = staff["judge1-hangzhou"], staff["judge2-hangzhou"]
    with pytest.raises(Problem) as refused:
        scheduling.add_busy(alice, at(THURSDAY, 9), at(THURSDAY, 12))
    assert refused.value.status == 403
    with pytest.raises(Problem) as refused:
        scheduling.add_busy(judge, at(THURSDAY, 12), at(THURSDAY, 9))
    assert refused.value.field == "ends_at"
    busy = scheduling.add_busy(judge, at(THURSDAY, 9), at(THURSDAY, 12), "training")
    with pytest.raises(Problem) as refused:
        scheduling.remove_busy(other, busy.pk)
    assert refused.value.status == 404
    scheduling.remove_busy(judge, busy.pk)
    assert not Busy.objects.exists()


def test_only_the_courts_clerk_changes_its_sittings(
    hangzhou: Court, staff: dict[str, Any], db: Any
) -> None:
    with pytest.raises(Problem) as refused:
        scheduling.add_sitting(staff["judge1-hangzhou"], "hangzhou", 0, time(9), time(12))
    assert refused.value.status == 404
    with pytest.raises(Problem) as refused:
        scheduling.add_sitting(staff["clerk-beijing"], "hangzhou", 0, time(9), time(12))
    assert refused.value.status == 404
    clerk = staff["clerk-hangzhou"]
    sitting = scheduling.add_sitting(clerk, "hangzhou", 0, time(9), time(12))
    with pytest.raises(Problem) as refused:
        scheduling.add_sitting(clerk, "hangzhou", 0, time(11), time(13))
    assert refused.value.field == "starts"
    scheduling.remove_sitting(clerk, "hangzhou", sitting.pk)
    assert not Sitting.objects.exists()


def test_a_party_says_which_days_it_cannot_attend(
    ready: Case, alice: Any, bob: Any, frozen: Any
) -> None:
    plaintiff = ready.parties.get(role="plaintiff")
    defendant = ready.parties.get(role="defendant")
    with pytest.raises(Problem) as refused:  # not for the other side
        scheduling.add_unavailable(bob, ready.id, plaintiff.pk, THURSDAY, THURSDAY)
    assert refused.value.code == "role_not_allowed"
    for first, last, field in (
        (date(2026, 11, 2), date(2026, 11, 3), "starts_on"),  # today is not to come
        (THURSDAY, THURSDAY - timedelta(days=1), "ends_on"),
        (THURSDAY, THURSDAY + timedelta(days=60), "ends_on"),  # 61 days
    ):
        with pytest.raises(Problem) as refused:
            scheduling.add_unavailable(alice, ready.id, plaintiff.pk, first, last)
        assert refused.value.field == field
    entry = scheduling.add_unavailable(
        alice, ready.id, plaintiff.pk, THURSDAY, THURSDAY + timedelta(days=59), "abroad"
    )
    with pytest.raises(Problem) as refused:
        scheduling.remove_unavailable(bob, ready.id, entry.pk)
    assert refused.value.status == 404
    scheduling.add_unavailable(bob, ready.id, defendant.pk, THURSDAY, THURSDAY)
    scheduling.remove_unavailable(alice, ready.id, entry.pk)
    assert list(Unavailability.objects.values_list("party", flat=True)) == [defendant.pk]


def test_the_unavailable_page_shows_each_side_its_own(
    ready: Case, alice: Any, bob: Any, frozen: Any
) -> None:
    plaintiff = ready.parties.get(role="plaintiff")
    url = reverse("hearings:unavailable", args=[ready.id])
    response = signed_in(alice).post(
        url,
        {
            "party": plaintiff.pk,
            "starts_on": "2026-11-20",
            "ends_on": "2026-11-21",
            "reason": "去北京出差",
        },
    )
    assert response.status_code == 302
    assert "去北京出差" in signed_in(alice).get(url).content.decode()
    assert "去北京出差" not in signed_in(bob).get(url).content.decode()
    judge_page = signed_in(ready.judge).get(url).content.decode()
    assert "去北京出差" in judge_page
    refused = signed_in(alice).post(
        url, {"party": plaintiff.pk, "starts_on": "2026-11-01", "ends_on": "2026-11-21"}
    )
    assert refused.status_code == 422  # today is not a day to come
    assert Unavailability.objects.count() == 1


def test_a_person_chooses_their_time_zone(bob: Any, frozen: Any) -> None:
    client = signed_in(bob)
    url = reverse("account_security")
    assert 'name="time_zone"' in client.get(url).content.decode()
    refused = client.post(url, {"time_zone": "Mars/Olympus_Mons"})
    assert refused.status_code == 422
    assert "Choose a time zone from the list" in refused.content.decode()
    bob.refresh_from_db()
    assert bob.time_zone == ""
    with pytest.raises(Problem) as problem:
        scheduling.set_time_zone(bob, "Mars/Olympus_Mons")
    assert (problem.value.code, problem.value.field) == ("time_zone_invalid", "time_zone")
    assert client.post(url, {"time_zone": "Europe/London"}).status_code == 302
    bob.refresh_from_db()
    assert bob.time_zone == "Europe/London"
    assert client.post(url, {"time_zone": ""}).status_code == 302
    bob.refresh_from_db()
    assert bob.time_zone == ""


def test_a_party_without_an_account_still_lets_the_court_schedule(
    accepted: Case, staff: dict[str, Any], frozen: Any
) -> None:
    clerk = staff["clerk-hangzhou"]
    for step in ("serve_complaint", "confirm_service"):
        accepted.refresh_from_db()
        case_actions.fire(clerk, accepted.id, step, accepted.version)
    schedule(in_evidence_exchange(accepted, staff), at(THURSDAY, 10))
    assert hearing_of(accepted).mode == Mode.OFFLINE


def test_a_case_withdrawn_before_its_hearing_cancels_it(ready: Case, frozen: Any) -> None:
    """The hearing no longer blocks the judge's time, and its invitation says cancelled."""
    schedule(ready, at(THURSDAY, 10))
    ready.refresh_from_db()
    case_actions.fire(
        ready.created_by, ready.id, "withdraw", ready.version, {}, step_up=confirmed()
    )
    hearing = hearing_of(ready)
    assert (hearing.status, hearing.sequence) == (HearingStatus.CANCELLED, 1)
    invitation = ics.invitation(hearing)
    assert "STATUS:CANCELLED" in invitation and "SEQUENCE:1" in invitation


def test_a_case_does_not_close_while_its_hearing_is_in_session(ready: Case, frozen: Any) -> None:
    """Its recordings must reach the case's log first: the judge ends the hearing, then the
    settlement (or withdrawal) is recorded."""
    schedule(ready, at(THURSDAY, 10))
    Hearing.objects.filter(case=ready).update(status=HearingStatus.OPEN)
    ready.refresh_from_db()
    with pytest.raises(Problem) as refused:
        case_actions.fire(
            ready.created_by, ready.id, "withdraw", ready.version, {}, step_up=confirmed()
        )
    assert refused.value.code == "wrong_state" and "in session" in refused.value.message
    assert hearing_of(ready).status == HearingStatus.OPEN


@pytest.mark.parametrize("typed", ["\u0663", "\u0661_\u0660", "1_0", "\u00b2", "9" * 5000])
def test_the_scheduling_forms_take_ascii_digits_only(typed) -> None:
    """Django's IntegerField reads other scripts' digits and underscores (int() does)."""
    from netcourt.hearings.schedule_forms import ScheduleForm

    good = {"version": "3", "hearing_at": "2026-11-20", "time": "10:00", "minutes": "30"}
    assert ScheduleForm(data=good).is_valid()
    for field in ("version", "minutes"):
        form = ScheduleForm(data={**good, field: typed})
        assert not form.is_valid() and field in form.errors


def test_the_parties_are_told_the_hearing_was_scheduled_and_when(
    ready: Case,
    alice: Any,
    bob: Any,
    frozen: Any,
    mailoutbox: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        schedule(ready, at(THURSDAY, 10), minutes=45)
    [to_bob] = [m for m in mailoutbox if m.to == [bob.email] and "scheduled" in m.subject]
    assert to_bob.subject == f"Case {ready.number}: The hearing was scheduled"
    assert "Schedule the online hearing" not in to_bob.body  # the button, not what happened
    assert "Nov. 12, 2026, 10 a.m. (China Time" in to_bob.body
    assert "planned for 45 minutes" in to_bob.body
    [to_alice] = [m for m in mailoutbox if m.to == [alice.email] and "确定开庭" in m.subject]
    assert "法院已确定开庭时间。" in to_alice.body
    assert "2026年11月12日 10:00（中国时间，本院时间）" in to_alice.body
    # Postponed: the reasons go with the notice, as the form says.
    ready.refresh_from_db()
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        scheduling.postpone(
            ready.judge,
            ready.id,
            ready.version,
            starts_at=at(THURSDAY, 15),
            minutes=30,
            reasons="A witness is abroad.",
        )
    [moved] = [m for m in mailoutbox if m.to == [bob.email] and "postponed" in m.subject]
    assert "Reasons: A witness is abroad." in moved.body or "A witness is abroad." in moved.body
    # The summons served on each party says when too.
    summons = Service.objects.filter(case=ready, served_by__event="schedule_hearing")
    assert summons.count() == 2
    for served in summons:
        assert "Nov. 12, 2026, 10 a.m." in served.body["en"]
        assert "2026年11月12日 10:00" in served.body["zh-hans"]
