"""The clerk's queue: filings waiting for a decision, the most urgent first, and the open
cases whose judge is no longer a judge of the court."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from netcourt.cases.models import Case, CaseDeadline
from netcourt.core import clock
from netcourt.courts.models import Court, CourtMembership, CourtRole


@dataclass(frozen=True)
class QueueItem:
    case: Case
    due: date | None
    days_left: int | None


def filing_queue(court: Court) -> list[QueueItem]:
    """Cases where a clerk can act now, each with its running deadline for the clerk."""
    pack = court.pack
    clerk_states = sorted(
        {s for e in pack.events.values() if "clerk" in e.roles for s in e.from_states}
        - {pack.initial_state}
    )
    cases = Case.objects.filter(court=court, state__in=clerk_states, submitted_at__isnull=False)
    clerk_limits = {t for e in pack.events.values() if "clerk" in e.roles for t in e.stops}
    today = clock.today()
    waiting = list(cases.order_by("submitted_at"))
    earliest: dict[object, date] = {}
    running = CaseDeadline.objects.filter(
        case__in=waiting, stopped_by__isnull=True, time_limit__in=clerk_limits
    ).values_list("case_id", "due")
    for case_id, day in running:
        if case_id not in earliest or day < earliest[case_id]:
            earliest[case_id] = day
    items = []
    for case in waiting:
        due = earliest.get(case.pk)
        items.append(QueueItem(case, due, (due - today).days if due else None))
    items.sort(key=lambda i: (i.due is None, i.due or today))
    return items


def without_judge(court: Court) -> list[Case]:
    """The court's open cases assigned to someone who is no longer an active judge of it: they
    lost the case with their membership (`cases.policy.is_judge_of`), so it needs another."""
    terminal = [s.id for s in court.pack.states.values() if s.terminal]
    judges = CourtMembership.objects.filter(court=court, role=CourtRole.JUDGE, active=True)
    return list(
        Case.objects.filter(court=court, judge__isnull=False, submitted_at__isnull=False)
        .exclude(state__in=terminal)
        .exclude(judge__in=judges.values("user"))
        .select_related("court", "judge")
        .order_by("submitted_at")
    )
