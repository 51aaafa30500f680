"""The evidence timers: uploads abandoned past their expiry are removed at every tick, and
once a day stored files that no row names (`sweep_orphaned_files`)."""

from __future__ import annotations

from netcourt.core import clock, jobs
from netcourt.evidence.actions import sweep_orphaned_files, sweep_uploads

ORPHANS = "evidence.sweep_orphaned_files"

jobs.every_tick(sweep_uploads)


@jobs.handler(ORPHANS, atomic=False)
def _sweep_orphaned_files() -> None:
    """Outside one long transaction: each held document's row is deleted (and committed)
    before its file, and walking the store holds no lock that would stop the court's writes
    (SQLite's writer lock, for a store of many files)."""
    sweep_orphaned_files()


@jobs.every_tick
def sweep_orphaned_files_daily() -> None:
    """Once a day: a job under the day's key, made by whichever worker ticks first."""
    jobs.enqueue(ORPHANS, f"{ORPHANS}:{clock.now().date().isoformat()}")
