"""The hearing's calendar invitation: RFC 5545 text that reads back as it was written, with
Chinese text folded at 75 octets without splitting a character."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.utils import translation

from netcourt.cases.models import Case
from netcourt.hearings import ics
from netcourt.hearings.models import Hearing, HearingStatus, Mode
from tests.hearings.test_scheduling import THURSDAY, at, in_evidence_exchange, schedule


@pytest.fixture
def ready(exchanging: Case, staff: dict[str, Any]) -> Case:
    return in_evidence_exchange(exchanging, staff)


def unfold(text: str) -> list[str]:
    """The content lines of an iCalendar text (RFC 5545 §3.1), checking every physical line:
    CRLF-ended, at most 75 octets, and whole UTF-8 characters on its own."""
    raw = text.encode()
    assert raw.endswith(b"\r\n")
    physical = raw[:-2].split(b"\r\n")
    for line in physical:
        assert len(line) <= 75, line
        assert b"\n" not in line and b"\r" not in line
        line.decode()  # raises if a character was split between lines
    lines: list[str] = []
    for line in physical:
        if line.startswith(b" "):
            lines[-1] += line[1:].decode()
        else:
            lines.append(line.decode())
    return lines


def unescape(value: str) -> str:
    out, chars = [], iter(value)
    for char in chars:
        if char == "\\":
            nxt = next(chars)
            out.append("\n" if nxt in "nN" else nxt)
        else:
            out.append(char)
    return "".join(out)


def parse(text: str) -> dict[str, Any]:
    """A small reader: the calendar's properties and its events', by name (parameters
    kept apart)."""
    calendar: dict[str, Any] = {"events": []}
    current: dict[str, Any] = calendar
    for line in unfold(text):
        head, _, value = line.partition(":")
        name, *params = head.split(";")
        if name == "BEGIN" and value == "VEVENT":
            current = {}
        elif name == "END" and value == "VEVENT":
            calendar["events"].append(current)
            current = calendar
        elif name not in ("BEGIN", "END"):
            current[name] = unescape(value)
            current[f"{name};params"] = params
    return calendar


def utc(value: str) -> datetime:
    return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def test_folding_keeps_chinese_characters_whole() -> None:
    line = "DESCRIPTION:" + "杭州互联网法院开庭通知，" * 20
    folded = ics.fold(line)
    assert folded.replace("\r\n ", "") == line
    unfold(folded + "\r\n")
    assert ics.fold("SHORT:line") == "SHORT:line"
    # A line of exactly 75 octets is not folded; one more octet is.
    assert "\r\n" not in ics.fold("X:" + "a" * 73)
    assert ics.fold("X:" + "a" * 74).split("\r\n ")[1] == "a"


def test_text_is_escaped() -> None:
    assert ics.escape("a;b,c\\d\ne\r\nf") == "a\\;b\\,c\\\\d\\ne\\nf"
    assert ics.escape("bell\x07") == "bell"
    assert ics.parameter('Li, "Qiang"') == '"Li, Qiang"'
    assert ics.parameter("张伟") == "张伟"


def test_the_invitation_reads_back(ready: Case, alice: Any, frozen: Any) -> None:
    schedule(ready, at(THURSDAY, 10), minutes=40)
    hearing = Hearing.objects.get(case=ready)
    with translation.override("zh-hans"):
        text = ics.invitation(hearing, alice)
    calendar = parse(text)
    assert (calendar["VERSION"], calendar["METHOD"]) == ("2.0", "REQUEST")
    [event] = calendar["events"]
    assert event["UID"] == f"{hearing.pk}@127.0.0.1"
    assert event["SEQUENCE"] == "0"
    assert utc(event["DTSTART"]) == at(THURSDAY, 10)
    assert utc(event["DTSTART"]).hour == 2  # 10:00 in Beijing is 02:00 UTC
    assert utc(event["DTEND"]) - utc(event["DTSTART"]) == timedelta(minutes=40)
    assert event["STATUS"] == "CONFIRMED"
    assert ready.number in event["SUMMARY"]
    assert "杭州互联网法院" in event["DESCRIPTION"]
    assert ready.title in event["DESCRIPTION"].split("\n")
    assert event["ATTENDEE"] == f"mailto:{alice.email}"
    assert "CN=张伟" in event["ATTENDEE;params"]
    assert event["ORGANIZER;params"] == ["CN=杭州互联网法院"]
    assert len(text.encode()) > len(text)  # Chinese text, folded by octets


@pytest.mark.parametrize(
    ("mode", "where"),
    [
        (Mode.ONLINE, "/hearing/"),
        (Mode.OFFLINE, "Courtroom of the Hangzhou Internet Court"),
    ],
)
def test_the_place_follows_the_mode(ready: Case, frozen: Any, mode: str, where: str) -> None:
    schedule(ready, at(THURSDAY, 10))
    hearing = Hearing.objects.get(case=ready)
    hearing.mode = mode
    with translation.override("en"):
        event = parse(ics.invitation(hearing))["events"][0]
    assert where in event["LOCATION"]
    assert event["URL"].endswith(f"/cases/{ready.pk}/hearing/")
    assert "ATTENDEE" not in event


def test_a_cancelled_hearing_is_struck_out(ready: Case, frozen: Any) -> None:
    schedule(ready, at(THURSDAY, 10))
    hearing = Hearing.objects.get(case=ready)
    hearing.status = HearingStatus.CANCELLED
    hearing.sequence = 2
    calendar = parse(ics.invitation(hearing))
    assert calendar["METHOD"] == "CANCEL"
    [event] = calendar["events"]
    assert (event["STATUS"], event["SEQUENCE"]) == ("CANCELLED", "2")


def test_a_calendar_holds_one_event_per_hearing(ready: Case, frozen: Any) -> None:
    schedule(ready, at(THURSDAY, 10))
    hearing = Hearing.objects.get(case=ready)
    calendar = parse(ics.calendar([hearing, hearing]))
    assert calendar["METHOD"] == "PUBLISH"
    assert [e["UID"] for e in calendar["events"]] == [ics.uid(hearing)] * 2
