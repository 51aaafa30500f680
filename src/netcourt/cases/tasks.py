"""The case timers: time limits that run out take the pack's ``on_expiry`` steps."""

from __future__ import annotations

from netcourt.cases.actions import sweep_expired
from netcourt.core import jobs


@jobs.every_tick
def expired_time_limits() -> None:
    sweep_expired()
