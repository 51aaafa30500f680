"""Hearing statistics for a court's dashboard: how long hearings take, who attends, in which
mode, and what went wrong. Computed from the hearings' rows and logs, never from names."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median

from netcourt.cases.models import CaseEvent
from netcourt.hearings.models import (
    Hearing,
    HearingLog,
    HearingStatus,
    LogKind,
    Participant,
    Presence,
    Recording,
    RecordingStatus,
)


@dataclass(frozen=True)
class CourtHearingStats:
    held: int
    scheduled: int
    median_minutes: float | None
    mean_minutes: float | None
    longest_minutes: float | None
    modes: dict[str, int]
    # Of the people expected (parties and representatives), how many came in.
    expected: int
    attended: int
    recordings_stored: int
    recording_failures: int
    refused_entries: int
    removals: int
    asynchronous_trials: int
    by_month: list[tuple[str, int]] = field(default_factory=list)


def for_court(court_id: int, since: datetime, until: datetime) -> CourtHearingStats:
    """The statistics of the hearings of ``court_id`` that started in [since, until)."""
    hearings = Hearing.objects.filter(
        case__court_id=court_id, starts_at__gte=since, starts_at__lt=until
    )
    held = [
        h
        for h in hearings.filter(status=HearingStatus.ENDED)
        if h.opened_at is not None and h.ended_at is not None
    ]
    minutes = [(h.ended_at - h.opened_at) / timedelta(minutes=1) for h in held]  # type: ignore[operator]
    people = Participant.objects.filter(hearing__in=hearings, party__isnull=False)
    logs = HearingLog.objects.filter(hearing__in=hearings)
    kinds = Counter(logs.values_list("kind", flat=True))
    months = Counter(h.opened_at.strftime("%Y-%m") for h in held if h.opened_at)
    return CourtHearingStats(
        held=len(held),
        scheduled=hearings.filter(status__in=(HearingStatus.SCHEDULED, HearingStatus.OPEN)).count(),
        median_minutes=round(median(minutes), 1) if minutes else None,
        mean_minutes=round(sum(minutes) / len(minutes), 1) if minutes else None,
        longest_minutes=round(max(minutes), 1) if minutes else None,
        modes=dict(Counter(hearings.values_list("mode", flat=True))),
        expected=people.count(),
        attended=people.exclude(first_joined_at__isnull=True)
        .exclude(presence=Presence.INVITED)
        .count(),
        recordings_stored=Recording.objects.filter(
            hearing__in=hearings, status=RecordingStatus.STORED
        ).count(),
        recording_failures=kinds.get(LogKind.RECORDING_FAILED, 0),
        refused_entries=kinds.get(LogKind.REFUSED, 0),
        removals=kinds.get(LogKind.REMOVED, 0),
        asynchronous_trials=CaseEvent.objects.filter(
            case__court_id=court_id,
            event="order_asynchronous_trial",
            at__gte=since,
            at__lt=until,
        ).count(),
        by_month=sorted(months.items()),
    )
