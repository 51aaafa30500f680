"""Jobs and timers: durable rows in the database, run by huey workers.

Work that must happen after a step (send a document, a notification) or at a time (a reminder)
is a :class:`~netcourt.core.models.Job` row, written in the step's transaction under a unique
key, so asking twice makes one job. After commit huey is nudged to run it (at its time); the
nudge can be lost (a worker killed after taking it, a queue that was down) without losing the
job, because the worker's tick, every minute and once at start, runs every job that is due and
not held by a live lease. A worker marks a job done in the same transaction as the job's
database writes: a worker killed halfway changes nothing, and the job runs again once its lease
ends; a job that finished never runs again. What a job sends outside (an e-mail) is sent at
least once; handlers record what they sent so that a second run can skip it.

Timers are not held in the queue at all: deadlines are rows, and the tick fires what expired
(``netcourt.cases.actions.sweep_expired``), so a restart loses none.

``NETCOURT_JOBS`` picks the queue: ``sqlite`` (default, DATA_DIR/jobs.sqlite3), a
``redis://`` URL, or ``immediate`` (run on commit in the same process: tests and tools).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import close_old_connections, transaction
from django.db.models import F, Q
from huey import Huey, RedisHuey, SqliteHuey, crontab

from netcourt.core import clock
from netcourt.core.models import Job

log = logging.getLogger(__name__)

HANDLERS: dict[str, Callable[..., None]] = {}
PERIODIC: list[Callable[[], object]] = []
MAX_ATTEMPTS = 8  # then the job is marked failed and shown to administrators


def handler(name: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register ``fn`` as the handler of jobs named ``name`` (called with the job's args)."""

    def register(fn: Callable[..., None]) -> Callable[..., None]:
        HANDLERS[name] = fn
        return fn

    return register


def every_tick(fn: Callable[[], object]) -> Callable[[], object]:
    """Run ``fn`` at every tick of the worker (each minute, and when it starts)."""
    PERIODIC.append(fn)
    return fn


def enqueue(
    name: str, key: str, args: dict[str, Any] | None = None, at: datetime | None = None
) -> Job:
    """The job under ``key``, created now if there is none (in the caller's transaction)."""
    if name not in HANDLERS:
        raise LookupError(f"no job handler named {name!r}")
    job, created = Job.objects.get_or_create(
        key=key,
        defaults={
            "name": name,
            "args": args or {},
            "due_at": at or clock.now(),
            "created_at": clock.now(),
        },
    )
    if created:
        transaction.on_commit(lambda: _nudge(job))
    return job


def lease() -> timedelta:
    """How long a worker may hold a job before another may take it over."""
    return timedelta(seconds=settings.NETCOURT_JOB_LEASE)


def run(job_id: int) -> bool:
    """Run one job if it is due and free; True if this call ran it (well or not)."""
    now = clock.now()
    taken = (
        Job.objects.filter(pk=job_id, done_at__isnull=True, failed_at__isnull=True, due_at__lte=now)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + lease(), attempts=F("attempts") + 1)
    )
    if not taken:
        return False
    job = Job.objects.get(pk=job_id)
    try:
        with transaction.atomic():
            HANDLERS[job.name](**job.args)
            Job.objects.filter(pk=job.pk).update(done_at=clock.now(), error="")
    except Exception as error:
        # The type only: a message could carry personal data (an address, a name).
        failed = job.attempts >= MAX_ATTEMPTS
        Job.objects.filter(pk=job.pk).update(
            lease_until=None,
            due_at=clock.now() + timedelta(seconds=min(3600, 30 * 2**job.attempts)),
            error=type(error).__name__,
            failed_at=clock.now() if failed else None,
        )
        log.warning(
            "job failed: id=%s name=%s attempt=%s error=%s",
            job.pk,
            job.name,
            job.attempts,
            type(error).__name__,
        )
    return True


def run_due(limit: int = 500) -> int:
    """Run the jobs that are due and not held by a live lease; how many ran."""
    now = clock.now()
    due = list(
        Job.objects.filter(done_at__isnull=True, failed_at__isnull=True, due_at__lte=now)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .values_list("pk", flat=True)[:limit]
    )
    return sum(run(pk) for pk in due)


def tick() -> None:
    """What the worker does every minute: the timers of every app, then the due jobs."""
    for fn in PERIODIC:
        try:
            fn()
        except Exception as error:
            log.warning("tick failed: %s error=%s", fn.__qualname__, type(error).__name__)
    run_due()


def _work(job_id: int) -> None:
    """A worker thread's run of one job, on a fresh database connection if the old one died."""
    close_old_connections()
    try:
        run(job_id)
    finally:
        close_old_connections()


def _tick() -> None:
    close_old_connections()
    try:
        tick()
    finally:
        close_old_connections()


@functools.cache
def queue() -> tuple[Huey, Any]:
    """The huey instance for ``NETCOURT_JOBS`` and its job task (not used when ``immediate``)."""
    where: str = settings.NETCOURT_JOBS
    if where.startswith(("redis://", "rediss://", "unix://")):
        huey: Huey = RedisHuey("netcourt", url=where)
    else:
        huey = SqliteHuey("netcourt", filename=str(settings.DATA_DIR / "jobs.sqlite3"))
    task = huey.task(name="netcourt.job")(_work)
    huey.periodic_task(crontab(minute="*"), name="netcourt.tick")(_tick)
    return huey, task


def _nudge(job: Job) -> None:
    if settings.NETCOURT_JOBS == "immediate":
        run(job.pk)
        return
    try:
        _, task = queue()
        if job.due_at > clock.now():
            task.schedule(args=(job.pk,), eta=job.due_at)
        else:
            task(job.pk)
    except Exception as error:  # the tick runs it: the row is what counts
        log.warning("job not queued: id=%s error=%s", job.pk, type(error).__name__)


def work(workers: int = 2) -> None:
    """Run the worker until stopped (SIGINT, SIGTERM): a tick at once, then huey's consumer."""
    huey, _ = queue()
    _tick()
    huey.create_consumer(workers=workers, worker_type="thread", periodic=True).run()
