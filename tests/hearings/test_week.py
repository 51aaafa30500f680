"""The judge's week on the scheduling and postponing pages: each hearing under the day it
begins on in the court's time (Asia/Shanghai), and in no other week, at midnight and at the
week's edges too."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from django.urls import reverse

from netcourt.cases.models import Case
from netcourt.courts.models import Court
from netcourt.hearings.models import Busy, Hearing
from tests.conftest import signed_in
from tests.hearings.test_scheduling import at, ready, schedule, second_case

__all__ = ["ready"]  # the fixture, used below

SUNDAY = date(2026, 11, 29)  # the week shown is Monday 30 November to Sunday 6 December
MONDAY = date(2026, 11, 30)


def week(client: Any, url: str, day: date) -> dict[str, str]:
    """The rows of the judge's week shown for ``day``: what each day's row says, by the
    row's heading (the date, as the page writes it)."""
    answer = client.get(url, {"week": day.isoformat()})
    assert answer.status_code == 200
    page = answer.content.decode()
    section = page[page.index('id="week-h"') :]
    rows = re.findall(r'<th scope="row">(.*?)</th>\s*<td>.*?</td>\s*<td>(.*?)</td>', section, re.S)
    return {heading: " ".join(re.sub(r"<[^>]+>", " ", cell).split()) for heading, cell in rows}


def heading(day: date) -> str:
    return f"{day:%A}, {day:%b}. {day.day}, {day.year}"


def test_each_hearing_is_under_the_day_it_begins_in_the_courts_time(
    ready: Case, alice: Any, hangzhou: Court, staff: dict[str, Any], frozen: Any
) -> None:
    judge = ready.judge
    other = second_case(alice, hangzhou, staff, judge)
    scheduled_by = other.events.order_by("seq").last()

    def hearing(when: datetime, minutes: int = 30) -> None:
        Hearing.objects.create(
            case=other, scheduled_by=scheduled_by, starts_at=when, minutes=minutes
        )

    hearing(at(SUNDAY, 23, 51))  # the week before, running past midnight into this one
    hearing(at(MONDAY, 0, 0))  # the first minute of the week
    hearing(at(MONDAY, 7, 30))  # Sunday 23:30 in UTC
    hearing(at(MONDAY + timedelta(days=6), 23, 59))  # the last minute of the week
    hearing(at(MONDAY + timedelta(days=7), 0, 5))  # the week after
    Busy.objects.create(  # busy from Saturday evening to Monday morning: both weeks
        user=judge,
        starts_at=at(MONDAY + timedelta(days=5), 20),
        ends_at=at(MONDAY + timedelta(days=7), 8),
    )
    client = signed_in(judge)
    url = reverse("hearings:schedule", args=[ready.pk])

    shown = week(client, url, MONDAY + timedelta(days=2))
    assert list(shown) == [heading(MONDAY + timedelta(days=n)) for n in range(7)]
    assert re.findall(r"\d\d:\d\d–\d\d:\d\d", shown[heading(MONDAY)]) == [
        "00:00–00:30",
        "07:30–08:00",
    ]
    assert "23:51" not in " ".join(shown.values())  # it began the Sunday before
    sunday = shown[heading(MONDAY + timedelta(days=6))]
    assert "23:59–00:29" in sunday and "00:05" not in sunday and "judge is busy" in sunday
    assert "busy" in shown[heading(MONDAY + timedelta(days=5))]
    assert "busy" not in shown[heading(MONDAY + timedelta(days=4))]

    before = week(client, url, SUNDAY)
    assert "23:51–00:21" in before[heading(SUNDAY)]
    assert "00:00–00:30" not in " ".join(before.values())

    after = week(client, url, MONDAY + timedelta(days=7))
    first = after[heading(MONDAY + timedelta(days=7))]
    assert "00:05–00:35" in first and "23:59" not in first and "judge is busy" in first

    # The postponing page shows the same week.
    schedule(ready, at(MONDAY + timedelta(days=2), 10))
    moving = week(client, reverse("hearings:postpone", args=[ready.pk]), MONDAY)
    assert moving == {
        **shown,
        heading(MONDAY + timedelta(days=2)): moving[heading(MONDAY + timedelta(days=2))],
    }
    assert "this case's hearing" in moving[heading(MONDAY + timedelta(days=2))]
