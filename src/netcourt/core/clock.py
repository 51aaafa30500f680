"""The injected clock. Logic asks this module for the time, never ``datetime.now()``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from django.conf import settings


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until moved; used by tests and the demo loader."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self.at = at

    def now(self) -> datetime:
        return self.at

    def advance(self, delta: timedelta) -> None:
        self.at = self.at + delta


_current: Clock = SystemClock()


def now() -> datetime:
    return _current.now()


def today() -> date:
    """The court's local date (settings.TIME_ZONE), which is what statutory periods count in."""
    return now().astimezone(ZoneInfo(settings.TIME_ZONE)).date()


@contextmanager
def use(clock: Clock) -> Iterator[Clock]:
    global _current
    previous = _current
    _current = clock
    try:
        yield clock
    finally:
        _current = previous
