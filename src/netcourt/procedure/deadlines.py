"""Deadlines computed from a pack's time limits and holiday calendar.

The rules (CPL 2023 Art. 85; Civil Code Art. 201): the day on which a period starts is not
counted; a period in months ends on the corresponding day of the last month, or on that month's
last day if it has no such day; if the last day of a period falls on a non-working day, the
period ends on the first working day after it. A "before" period (e.g. notice at least three
days before a hearing) counts back from its date and is never moved.

Suspension (中止, CPL 2023 Art. 153; the time from suspension to resumption is not counted,
SPC Provisions on Strictly Implementing the Trial Period System (2008) Art. 9(9)): on the day
the case is suspended the period stops, and it runs again after the day it resumes. Neither the
suspension day, nor the resumption day, nor any day between counts. The days the period had
left, from the suspension day to its last day, are counted again from the day after
resumption; then the last day is carried past non-working days as above.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from netcourt.procedure.pack import Pack
from netcourt.procedure.schema import Basis, Text, Unit


@dataclass(frozen=True)
class Suspension:
    """The case was suspended on `suspended_on` and resumed on `resumed_on` (the same day or
    later)."""

    suspended_on: date
    resumed_on: date

    def __post_init__(self) -> None:
        if self.resumed_on < self.suspended_on:
            raise ValueError(
                f"resumed on {self.resumed_on.isoformat()}, before it was suspended on"
                f" {self.suspended_on.isoformat()}"
            )


@dataclass(frozen=True)
class Deadline:
    """A computed deadline. `due` is the last day to act ("after") or the latest day by which
    to act ("before"). `period_end` is the period's last day as counted (with any extension and
    suspensions), before a non-working last day is carried over to `due`; for a "before"
    period it is `due`. `provisional` is true when the State Council has not yet published the
    holiday arrangement of a year the due date depends on, so it may still move."""

    time_limit_id: str
    label: Text
    start: date
    period_end: date
    due: date
    basis: Basis
    direction: str
    extended: bool = False
    provisional: bool = False
    suspensions: tuple[Suspension, ...] = ()


def add_period(start: date, length: int, unit: Unit) -> date:
    """`start` moved by `length` days or calendar months (negative counts back); a month
    period that lands on a day the month lacks ends on the month's last day."""
    if unit == "days":
        return start + timedelta(days=length)
    index = start.year * 12 + start.month - 1 + length
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def _carried(pack: Pack, deadline: Deadline, period_end: date) -> Deadline:
    """`deadline` ending on `period_end`, carried to the first working day (CPL Art. 85)."""
    due = pack.calendar.first_working_day_from(period_end)
    provisional = any(
        not pack.calendar.is_published(year) for year in range(period_end.year, due.year + 1)
    )
    return replace(deadline, period_end=period_end, due=due, provisional=provisional)


def compute_deadline(
    pack: Pack,
    time_limit_id: str,
    start: date,
    *,
    extended: bool = False,
    track: str | None = None,
) -> Deadline:
    """The deadline of a time limit that starts on `start`, in a case on `track` (a track the
    time limit names in its `track_lengths` has a length of its own).

    `extended` applies the time limit's extension (e.g. a simplified-procedure case extended by
    one month); ValueError if it has none. KeyError for an unknown time limit.
    """
    limit = pack.time_limit(time_limit_id)
    if track in limit.track_lengths:
        limit = limit.model_copy(update={"length": limit.track_lengths[track]})
    basis = limit.basis
    if extended:
        if limit.extension is None:
            raise ValueError(f"time limit {time_limit_id!r} cannot be extended")
        basis = limit.extension.basis
    if limit.direction == "before":
        due = add_period(start, -limit.length, limit.unit)
        return Deadline(
            time_limit_id, limit.label, start, due, due, basis, "before", extended=extended
        )
    if extended and limit.extension is not None:
        if limit.extension.unit == limit.unit:
            nominal = add_period(start, limit.length + limit.extension.length, limit.unit)
        else:
            nominal = add_period(
                add_period(start, limit.length, limit.unit),
                limit.extension.length,
                limit.extension.unit,
            )
    else:
        nominal = add_period(start, limit.length, limit.unit)
    counted = Deadline(
        time_limit_id, limit.label, start, nominal, nominal, basis, "after", extended=extended
    )
    return _carried(pack, counted, nominal)


def suspend_deadline(pack: Pack, deadline: Deadline, suspension: Suspension) -> Deadline:
    """`deadline` after the case was suspended and resumed (see the module's rule).

    The period had `period_end - suspended_on + 1` days left (counted from the first day that
    counts, if the suspension began on the start day or the last resumption day); they run
    again from the day after `resumed_on`. A suspension that begins after `period_end` but by
    `due` (the last day was being carried over non-working days) leaves one day. Apply several
    suspensions in order. ValueError for a "before" period, a suspension that begins before
    the period started (or before the last resumption), or after the period ran out.
    """
    if deadline.direction != "after":
        raise ValueError(
            f"time limit {deadline.time_limit_id!r} counts back from a date and is not suspended"
        )
    resumed = deadline.suspensions[-1].resumed_on if deadline.suspensions else deadline.start
    if suspension.suspended_on < resumed:
        what = "resumed" if deadline.suspensions else "started"
        raise ValueError(
            f"suspended on {suspension.suspended_on.isoformat()}, before the period {what} on"
            f" {resumed.isoformat()}"
        )
    if suspension.suspended_on > deadline.due:
        raise ValueError(
            f"suspended on {suspension.suspended_on.isoformat()}, after the period ran out on"
            f" {deadline.due.isoformat()}"
        )
    first_counted = max(suspension.suspended_on, resumed + timedelta(days=1))
    left = max((deadline.period_end - first_counted).days + 1, 1)
    suspended = replace(deadline, suspensions=(*deadline.suspensions, suspension))
    return _carried(pack, suspended, suspension.resumed_on + timedelta(days=left))


def deadline_to_dict(deadline: Deadline) -> dict[str, Any]:
    """A deadline as JSON-serialisable data: dates in ISO format, texts in both languages."""
    return {
        "time_limit": deadline.time_limit_id,
        "label": deadline.label.model_dump(mode="json"),
        "direction": deadline.direction,
        "start": deadline.start.isoformat(),
        "period_end": deadline.period_end.isoformat(),
        "due": deadline.due.isoformat(),
        "extended": deadline.extended,
        "suspensions": [
            {"suspended_on": s.suspended_on.isoformat(), "resumed_on": s.resumed_on.isoformat()}
            for s in deadline.suspensions
        ],
        "provisional": deadline.provisional,
        "basis": deadline.basis.model_dump(mode="json"),
    }
