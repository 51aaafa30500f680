"""The clerk's queue: filings waiting for a decision, the most urgent first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from netcourt.cases.models import Case, CaseDeadline
from netcourt.core import clock
from netcourt.courts.models import Court


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
