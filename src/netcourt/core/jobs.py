"""Jobs and timers: durable rows in the database, run by huey workers.

Work that must happen after a step (send a document, a notification) or at a time (a reminder)
is a :class:`~netcourt.core.models.Job` row, written in the step's transaction under a unique
key, so asking twice makes one job. After commit huey is nudged to run it (at its time); the
jobs made inside :func:`batch` (a case step with its effects) share one nudge, since each
message to huey's SQLite queue is a write of its own, flushed to disk. A nudge can be lost (a
worker killed after taking it, a queue that was down) without losing the job, because the
worker's tick, every minute and once at start, runs every job that is due and not held by a
live lease. A worker marks a job done in the same transaction as the job's database writes: a
worker killed halfway changes nothing, and the job runs again once its lease ends; a job that
finished never runs again. What a job sends outside (an e-mail) is sent at least once;
handlers record what they sent so that a second run can skip it.

Timers are not held in the queue at all: deadlines are rows, and the tick fires what expired
(``netcourt.cases.actions.sweep_expired``), so a restart loses none.

``NETCOURT_JOBS`` picks the queue: ``sqlite`` (default, DATA_DIR/jobs.sqlite3), a
``redis://`` URL, or ``immediate`` (run on commit in the same process: tests and tools).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, close_old_connections, transaction
from django.db.models import F, Q
from huey import Huey, RedisHuey, SqliteHuey, crontab

from netcourt.core import clock
from netcourt.core.models import Job
from netcourt.core.private import private_database

log = logging.getLogger(__name__)

HANDLERS: dict[str, Callable[..., None]] = {}
_OUTSIDE_TRANSACTION: set[str] = set()  # handlers that keep their own transactions
_local = threading.local()  # the jobs of the current batch
PERIODIC: list[Callable[[], object]] = []
MAX_ATTEMPTS = 8  # then the job is marked failed and shown to administrators


def handler(
    name: str, *, atomic: bool = True
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register ``fn`` as the handler of jobs named ``name`` (called with the job's args).

    A handler runs in one transaction with the job's completion, so its writes and the job's
    "done" commit together. A long handler that keeps its own transactions short (a sweep
    walking the blob store, whose file deletions no rollback could undo) says
    ``atomic=False``: it must then be safe to run again after a failure part-way."""

    def register(fn: Callable[..., None]) -> Callable[..., None]:
        HANDLERS[name] = fn
        if atomic:
            _OUTSIDE_TRANSACTION.discard(name)
        else:
            _OUTSIDE_TRANSACTION.add(name)
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
    return enqueue_many([(name, key, args, at)])[0]


def enqueue_many(
    wanted: Sequence[tuple[str, str, dict[str, Any] | None, datetime | None]],
    *,
    new_keys: bool = False,
) -> list[Job]:
    """The jobs (name, key, args, at) under their keys, each created now if there is none, in
    one insert (in the caller's transaction); in the order asked. With ``new_keys`` the caller
    made the keys for these jobs (a random id, a row of this transaction), so none can exist:
    the insert needs no savepoint to survive a conflict, and inside :func:`batch` it waits for
    the batch's end, to go with the others."""
    for name, *_ in wanted:
        if name not in HANDLERS:
            raise LookupError(f"no job handler named {name!r}")
    now = clock.now()
    new = [
        Job(name=name, key=key, args=args or {}, due_at=at or now, created_at=now)
        for name, key, args, at in wanted
    ]
    step: _Batch | None = getattr(_local, "batch", None)
    if new_keys and step is not None:
        step.unsaved.extend(new)
        step.made.extend(new)
        return new
    made = new
    if new_keys:
        Job.objects.bulk_create(new)
    else:
        try:
            with transaction.atomic():
                Job.objects.bulk_create(new)
        except IntegrityError:  # some keys have their job already: one by one, as asked
            made, found_all = [], []
            for job in new:
                found, created = Job.objects.get_or_create(
                    key=job.key,
                    defaults={
                        "name": job.name,
                        "args": job.args,
                        "due_at": job.due_at,
                        "created_at": now,
                    },
                )
                found_all.append(found)
                if created:
                    made.append(found)
            new = found_all
    if step is not None:
        step.made.extend(made)
    elif made:
        transaction.on_commit(lambda: _nudge(made))
    return new


@dataclass
class _Batch:
    made: list[Job] = field(default_factory=list)  # to nudge once the transaction commits
    unsaved: list[Job] = field(default_factory=list)  # new keys: inserted at the batch's end


@contextlib.contextmanager
def batch() -> Iterator[None]:
    """The jobs made inside (a case step with its effects' steps): those with new keys
    inserted together at the end, and all of them nudged once, after commit. Nested: the
    outermost batch does both."""
    if getattr(_local, "batch", None) is not None:
        yield
        return
    step = _Batch()
    _local.batch = step
    try:
        yield
    finally:
        _local.batch = None
    if step.unsaved:
        Job.objects.bulk_create(step.unsaved)
    if step.made:
        transaction.on_commit(lambda: _nudge(step.made))


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
    outside = job.name in _OUTSIDE_TRANSACTION
    try:
        with contextlib.nullcontext() if outside else transaction.atomic():
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


def _work(*job_ids: int) -> None:
    """A worker thread's run of the jobs of one nudge, on a fresh database connection if the
    old one died."""
    close_old_connections()
    try:
        for job_id in job_ids:
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
        private_database(settings.DATA_DIR / "jobs.sqlite3")
        huey = SqliteHuey("netcourt", filename=str(settings.DATA_DIR / "jobs.sqlite3"))
    task = huey.task(name="netcourt.job")(_work)
    huey.periodic_task(crontab(minute="*"), name="netcourt.tick")(_tick)
    return huey, task


def _nudge(jobs: list[Job]) -> None:
    if settings.NETCOURT_JOBS == "immediate":
        for job in jobs:
            run(job.pk)
        return
    now = clock.now()
    try:
        _, task = queue()
        due = [job.pk for job in jobs if job.due_at <= now]
        if due:
            task(*due)
        for job in jobs:
            if job.due_at > now:
                task.schedule(args=(job.pk,), eta=job.due_at)
    except Exception as error:  # the tick runs them: the rows are what counts
        log.warning(
            "jobs not queued: ids=%s error=%s", [job.pk for job in jobs], type(error).__name__
        )


def work(workers: int = 2) -> None:
    """Run the worker until stopped (SIGINT, SIGTERM): a tick at once, then huey's consumer."""
    huey, _ = queue()
    _tick()
    huey.create_consumer(workers=workers, worker_type="thread", periodic=True).run()
