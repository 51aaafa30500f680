"""The scheduling pages: the calendar of a judge, a clerk and a party (and nothing of a case
for anyone outside it), busy time, sittings, scheduling and postponing through the page, and
times read in two zones."""

from __future__ import annotations

import html
import logging
import re
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client
from django.urls import reverse
from django.utils import translation

from netcourt.accounts.models import SecurityEvent
from netcourt.cases.models import Case, CaseEvent
from netcourt.courts.models import Court
from netcourt.hearings.models import Busy, CalendarAddress, Hearing, Sitting
from tests.conftest import complete_filing, signed_in
from tests.hearings.test_scheduling import (
    THURSDAY,
    at,
    in_evidence_exchange,
    schedule,
    sits_on_weekdays,
)


@pytest.fixture
def ready(exchanging: Case, staff: dict[str, Any]) -> Case:
    return in_evidence_exchange(exchanging, staff)


@pytest.fixture
def scheduled(ready: Case, frozen: Any) -> Hearing:
    schedule(ready, at(THURSDAY, 10))
    return Hearing.objects.get(case=ready)


@pytest.fixture
def outsider(mallory: Any, hangzhou: Court, frozen: Any) -> Any:
    """A party of another case of the same court."""
    from netcourt.cases import actions as case_actions

    case_actions.file_case(mallory, hangzhou, "ecommerce_purchase", complete_filing())
    return mallory


def test_the_judge_the_clerk_and_the_parties_see_the_hearing(
    scheduled: Hearing, staff: dict[str, Any], alice: Any, bob: Any
) -> None:
    url = reverse("hearings:calendar")
    number = scheduled.case.number
    for person in (scheduled.case.judge, staff["clerk-hangzhou"], alice, bob):
        page = signed_in(person).get(url)
        assert page.status_code == 200
        assert number in page.content.decode(), person
    other_judge = next(
        staff[k] for k in ("judge1-hangzhou", "judge2-hangzhou") if staff[k] != scheduled.case.judge
    )
    assert number not in signed_in(other_judge).get(url).content.decode()
    assert number not in signed_in(staff["clerk-beijing"]).get(url).content.decode()


def test_a_party_of_another_case_sees_nothing_of_it(scheduled: Hearing, outsider: Any) -> None:
    client = signed_in(outsider)
    case = scheduled.case
    assert case.number not in client.get(reverse("hearings:calendar")).content.decode()
    assert ics_uid(scheduled) not in client.get(reverse("hearings:calendar-ics")).content.decode()
    # A public hearing's invitation is anyone's (they may watch it); a private one's is not.
    invitation = reverse("hearings:invitation", args=[scheduled.pk])
    assert client.get(invitation).status_code == 200
    Hearing.objects.filter(pk=scheduled.pk).update(public=False)
    for url in (
        invitation,
        reverse("hearings:schedule", args=[case.pk]),
        reverse("hearings:postpone", args=[case.pk]),
        reverse("hearings:unavailable", args=[case.pk]),
    ):
        assert client.get(url).status_code == 404, url


def ics_uid(hearing: Hearing) -> str:
    from netcourt.hearings import ics

    return ics.uid(hearing)


def test_the_party_downloads_the_invitation_and_the_calendar(
    scheduled: Hearing, alice: Any
) -> None:
    client = signed_in(alice)
    invitation = client.get(reverse("hearings:invitation", args=[scheduled.pk]))
    assert invitation.status_code == 200
    assert invitation["Content-Type"].startswith("text/calendar")
    assert f"UID:{ics_uid(scheduled)}" in invitation.content.decode()
    feed = client.get(reverse("hearings:calendar-ics")).content.decode()
    assert "METHOD:PUBLISH" in feed and f"UID:{ics_uid(scheduled)}" in feed


def test_a_person_in_london_reads_the_time_in_both_zones(scheduled: Hearing, bob: Any) -> None:
    bob.time_zone = "Europe/London"
    bob.save()
    page = signed_in(bob).get(reverse("hearings:calendar")).content.decode()
    # Each zone as people call it, not by its identifier.
    assert "British Time" in page and "China Time" in page and "Asia/Shanghai" not in page
    assert "02:00–02:30" in page  # 10:00 in Beijing is 02:00 in London in November
    assert "court time: Nov. 12, 2026 10:00" in page  # the court's time beside it
    court_only = signed_in(scheduled.case.judge).get(reverse("hearings:calendar")).content.decode()
    assert "10:00–10:30" in court_only


def test_a_judge_marks_time_busy_and_removes_it(
    scheduled: Hearing, staff: dict[str, Any], alice: Any
) -> None:
    judge = scheduled.case.judge
    client = signed_in(judge)
    refused = client.post(
        reverse("hearings:busy-add"),
        {"starts_at": "2026-11-13T12:00", "ends_at": "2026-11-13T09:00"},
    )
    assert refused.status_code == 422
    done = client.post(
        reverse("hearings:busy-add"),
        {"starts_at": "2026-11-13T09:00", "ends_at": "2026-11-13T12:00", "reason": "培训"},
    )
    assert done.status_code == 302
    busy = Busy.objects.get(user=judge)
    assert busy.starts_at == at(date(2026, 11, 13), 9)  # read in the court's zone, the judge's
    assert "培训" in client.get(reverse("hearings:calendar")).content.decode()
    assert signed_in(alice).post(reverse("hearings:busy-add"), {}).status_code in (403, 422)
    other = signed_in(staff["clerk-hangzhou"])
    assert other.post(reverse("hearings:busy-remove", args=[busy.pk])).status_code == 404
    assert client.post(reverse("hearings:busy-remove", args=[busy.pk])).status_code == 302
    assert not Busy.objects.exists()


def test_busy_time_is_read_in_the_persons_zone(staff: dict[str, Any], frozen: Any) -> None:
    judge = staff["judge1-hangzhou"]
    judge.time_zone = "Europe/London"
    judge.save()
    signed_in(judge).post(
        reverse("hearings:busy-add"),
        {"starts_at": "2026-11-13T09:00", "ends_at": "2026-11-13T12:00"},
    )
    assert Busy.objects.get().starts_at == at(date(2026, 11, 13), 17)


def test_the_clerk_edits_the_courts_sittings(
    hangzhou: Court, staff: dict[str, Any], frozen: Any
) -> None:
    url = reverse("hearings:sittings", args=["hangzhou"])
    assert signed_in(staff["judge1-hangzhou"]).get(url).status_code == 404
    assert signed_in(staff["clerk-beijing"]).get(url).status_code == 404
    client = signed_in(staff["clerk-hangzhou"])
    assert client.get(url).status_code == 200
    assert client.post(url, {"weekday": "0", "starts": "09:00", "ends": "12:00"}).status_code == 302
    assert client.post(url, {"weekday": "0", "starts": "12:00", "ends": "09:00"}).status_code == 422
    sitting = Sitting.objects.get()
    assert "09:00–12:00" in client.get(url).content.decode()
    remove = reverse("hearings:sitting-remove", args=["hangzhou", sitting.pk])
    assert client.post(remove).status_code == 302
    assert not Sitting.objects.exists()


def test_the_judge_schedules_through_the_page(
    ready: Case, hangzhou: Court, alice: Any, frozen: Any
) -> None:
    sits_on_weekdays(hangzhou)
    url = reverse("hearings:schedule", args=[ready.pk])
    assert signed_in(alice).get(url).status_code == 403
    client = signed_in(ready.judge)
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    # The first time with three days' notice, within the sittings, is suggested.
    assert 'value="2026-11-05"' in text and 'value="09:00"' in text
    assert "in the courtroom" in text  # no party agreed to take part online
    form = {"version": ready.version, "hearing_at": "2026-11-03", "time": "10:00", "minutes": 30}
    refused = client.post(url, {**form, "public": "on"})
    assert refused.status_code == 422
    assert "too soon" in refused.content.decode()
    assert not Hearing.objects.exists()
    private = {**form, "hearing_at": "2026-11-12"}
    assert client.post(url, private).status_code == 422  # not public needs its ground
    stale = client.post(
        url, {**form, "hearing_at": "2026-11-12", "public": "on", "version": ready.version - 1}
    )
    assert stale.status_code == 302 and not Hearing.objects.exists()
    done = client.post(url, {**form, "hearing_at": "2026-11-12", "public": "on"})
    assert done.status_code == 302
    assert done["Location"] == reverse("hearings:case", args=[ready.pk])
    assert Hearing.objects.get(case=ready).starts_at == at(THURSDAY, 10)
    assert client.get(url)["Location"] == reverse("hearings:postpone", args=[ready.pk])


def test_the_judge_postpones_through_the_page(scheduled: Hearing, staff: dict[str, Any]) -> None:
    case = scheduled.case
    case.refresh_from_db()
    url = reverse("hearings:postpone", args=[case.pk])
    assert signed_in(staff["clerk-hangzhou"]).get(url).status_code == 403  # the judge's step
    client = signed_in(case.judge)
    page = client.get(url)
    assert page.status_code == 200 and "Reasons for postponing" in page.content.decode()
    form = {"version": case.version, "hearing_at": "2026-11-16", "time": "15:00", "minutes": 30}
    assert client.post(url, form).status_code == 422  # the reasons are required
    done = client.post(url, {**form, "reasons": "The interpreter is ill."})
    assert done.status_code == 302
    scheduled.refresh_from_db()
    assert (scheduled.starts_at, scheduled.sequence) == (at(date(2026, 11, 16), 15), 1)
    record = CaseEvent.objects.get(case=case, event="postpone_hearing")
    assert record.payload["inputs"]["reasons"] == "The interpreter is ill."


def _address(page: Any) -> str:
    match = re.search(r'id="calendar-address" type="text" readonly value="([^"]+)"', page)
    assert match, "the new calendar address is on the page"
    return urlsplit(html.unescape(match.group(1))).path


def test_a_party_subscribes_with_a_calendar_address_shown_once(
    scheduled: Hearing, alice: Any
) -> None:
    alice.preferred_language = "zh-hans"
    alice.save()
    client = signed_in(alice)
    made = client.post(reverse("hearings:calendar-address"), {"action": "new"})
    assert made.status_code == 200
    address = _address(made.content.decode())
    again = client.get(reverse("hearings:calendar")).content.decode()
    assert 'id="calendar-address"' not in again, "the address is shown only when it is made"
    feed = Client().get(address)  # a calendar application: no session
    assert feed.status_code == 200 and feed["Content-Type"].startswith("text/calendar")
    text = feed.content.decode()
    assert f"UID:{ics_uid(scheduled)}" in text
    case = scheduled.case
    assert case.title and case.title not in text, "no titles (party names) in the feed"
    with translation.override("zh-hans"):
        summary = translation.gettext("Hearing in case %(number)s") % {"number": case.number}
    assert summary != f"Hearing in case {case.number}"
    assert f"SUMMARY:{summary}" in text.replace("\r\n ", ""), "in the person's language"
    assert "no-store" in made["Cache-Control"]
    assert SecurityEvent.objects.filter(user=alice, tag="account:calendar:created").exists()


def test_a_new_calendar_address_ends_the_old_and_ending_it_works(
    scheduled: Hearing, alice: Any
) -> None:
    client = signed_in(alice)
    first = _address(client.post(reverse("hearings:calendar-address")).content.decode())
    second = _address(client.post(reverse("hearings:calendar-address")).content.decode())
    assert first != second
    assert Client().get(first).status_code == 404
    assert Client().get(second).status_code == 200
    ended = client.post(reverse("hearings:calendar-address"), {"action": "end"}, follow=True)
    assert ended.status_code == 200
    assert Client().get(second).status_code == 404
    assert not CalendarAddress.objects.filter(user=alice).exists()
    assert SecurityEvent.objects.filter(user=alice, tag="account:calendar:ended").count() == 1
    made_up = reverse("hearings:subscribed-feed", args=["not-a-secret"])
    assert Client().get(made_up).status_code == 404


def test_no_calendar_for_a_closed_account_or_staff_without_a_second_factor(
    scheduled: Hearing, alice: Any, caplog: pytest.LogCaptureFixture
) -> None:
    judge = scheduled.case.judge
    judges = _address(signed_in(judge).post(reverse("hearings:calendar-address")).content.decode())
    assert ics_uid(scheduled) in Client().get(judges).content.decode()
    Authenticator.objects.filter(user=judge).delete()
    with caplog.at_level(logging.DEBUG):
        assert Client().get(judges).status_code == 404
        assert Client().post(judges).status_code == 405  # refused before the view runs
    secret = judges.rsplit("/", 2)[-2]
    assert not [r for r in caplog.records if secret in r.getMessage()], "a live secret logged"
    assert "Method Not Allowed (POST): /hearings/calendar/subscribed/…/hearings.ics" in caplog.text
    alices = _address(signed_in(alice).post(reverse("hearings:calendar-address")).content.decode())
    alice.is_active = False
    alice.save()
    assert Client().get(alices).status_code == 404


def test_the_calendar_address_needs_a_signed_in_post(alice: Any) -> None:
    url = reverse("hearings:calendar-address")
    assert signed_in(alice).get(url).status_code == 405
    assert Client().post(url).status_code == 302  # to the sign-in page
    assert not CalendarAddress.objects.exists()
