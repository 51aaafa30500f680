"""Deadlines computed from a pack's time limits and holiday calendar.

The rules (CPL 2023 Art. 85; Civil Code Art. 201): the day on which a period starts is not
counted; a period in months ends on the corresponding day of the last month, or on that month's
last day if it has no such day; if the last day of a period falls on a non-working day, the
period ends on the first working day after it. A "before" period (e.g. notice at least three
days before a hearing) counts back from its date and is never moved.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from netcourt.procedure.pack import Pack
from netcourt.procedure.schema import Basis, Text, Unit


@dataclass(frozen=True)
class Deadline:
    """A computed deadline. `due` is the last day to act ("after") or the latest day by which
    to act ("before"). `provisional` is true when the State Council has not yet published the
    holiday arrangement of a year the due date depends on, so it may still move."""

    time_limit_id: str
    label: Text
    start: date
    due: date
    basis: Basis
    direction: str
    extended: bool = False
    provisional: bool = False


def add_period(start: date, length: int, unit: Unit) -> date:
    """`start` moved by `length` days or calendar months (negative counts back); a month
    period that lands on a day the month lacks ends on the month's last day."""
    if unit == "days":
        return start + timedelta(days=length)
    index = start.year * 12 + start.month - 1 + length
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def compute_deadline(
    pack: Pack, time_limit_id: str, start: date, *, extended: bool = False
) -> Deadline:
    """The deadline of a time limit that starts on `start`.

    `extended` applies the time limit's extension (e.g. a simplified-procedure case extended by
    one month); ValueError if it has none. KeyError for an unknown time limit.
    """
    limit = pack.time_limit(time_limit_id)
    basis = limit.basis
    if extended:
        if limit.extension is None:
            raise ValueError(f"time limit {time_limit_id!r} cannot be extended")
        basis = limit.extension.basis
    if limit.direction == "before":
        due = add_period(start, -limit.length, limit.unit)
        return Deadline(time_limit_id, limit.label, start, due, basis, "before", extended)
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
    due = pack.calendar.first_working_day_from(nominal)
    provisional = any(
        not pack.calendar.is_published(year) for year in range(nominal.year, due.year + 1)
    )
    return Deadline(time_limit_id, limit.label, start, due, basis, "after", extended, provisional)
