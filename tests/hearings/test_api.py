"""Hearings through the API: scheduling (idempotent, with the page's checks), postponing with
reasons, and the list — recordings only for the court and the parties."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from netcourt.cases.models import Case
from netcourt.hearings.models import Hearing
from netcourt.hearings.times import court_zone
from tests.conftest import api_client
from tests.hearings.test_scheduling import in_evidence_exchange

THURSDAY = date(2026, 11, 12)  # the frozen clock is Monday 2 November 2026, 10:00 Beijing


def _at(day: date, hour: int) -> str:
    return datetime.combine(day, time(hour), tzinfo=court_zone()).isoformat()


def test_the_judge_schedules_and_postpones_over_the_api(
    exchanging: Case, staff: dict[str, Any], bob: Any, mallory: Any, frozen: Any
) -> None:
    case = in_evidence_exchange(exchanging, staff)
    judge = api_client(case.judge)
    url = f"/api/v1/cases/{case.pk}/hearings"
    body = {"version": case.version, "starts_at": _at(THURSDAY, 10), "minutes": 40}
    too_soon = judge.post(
        url,
        {**body, "starts_at": _at(date(2026, 11, 3), 10)},
        content_type="application/json",
    )
    assert too_soon.status_code == 422 and too_soon.json()["code"] == "schedule_too_soon"
    assert too_soon.json()["field"] == "starts_at"  # the body's field, not the page's
    naive = judge.post(
        url, {**body, "starts_at": "2026-11-12T10:00:00"}, content_type="application/json"
    )
    assert naive.status_code == 422 and not Hearing.objects.exists()
    for far in ("9999-12-31T23:59:59+00:00", "2029-11-12T10:00:00+08:00"):
        too_far = judge.post(url, {**body, "starts_at": far}, content_type="application/json")
        assert too_far.status_code == 422 and too_far.json()["code"] == "input_invalid"
        assert too_far.json()["field"] == "starts_at" and not Hearing.objects.exists()
    made = judge.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="h-1")
    assert made.status_code == 201, made.content
    again = judge.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="h-1")
    assert again.json() == made.json() and Hearing.objects.count() == 1
    assert (made.json()["minutes"], made.json()["sequence"]) == (40, 0)
    case.refresh_from_db()
    postponement = {
        "version": case.version,
        "starts_at": _at(THURSDAY, 15),
        "minutes": 30,
        "reasons": "A witness is abroad.",
    }
    moved = judge.post(
        f"{url}/postpone", postponement, content_type="application/json", HTTP_IDEMPOTENCY_KEY="p-1"
    )
    assert moved.status_code == 200 and moved.json()["sequence"] == 1
    # A client retrying after a timeout gets the same answer, not a stale version.
    retried = judge.post(
        f"{url}/postpone", postponement, content_type="application/json", HTTP_IDEMPOTENCY_KEY="p-1"
    )
    assert (retried.status_code, retried.json()) == (200, moved.json())
    [listed] = api_client(bob).get(url).json()
    assert listed["starts_at"] == moved.json()["starts_at"] and listed["recordings"] == []
    assert api_client(mallory).get(url).status_code == 404
    as_party = api_client(bob).post(url, body, content_type="application/json")
    assert as_party.status_code == 403, as_party.content


def test_reading_the_hearings_is_in_the_access_log(exchanging: Case, alice: Any) -> None:
    from netcourt.cases.models import AccessLogEntry

    assert api_client(alice).get(f"/api/v1/cases/{exchanging.pk}/hearings").status_code == 200
    entry = AccessLogEntry.objects.get(case=exchanging, what="api.hearings")
    assert entry.user == alice and entry.roles == ["plaintiff"]
