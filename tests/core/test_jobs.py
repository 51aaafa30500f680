"""Jobs and timers: asked for twice, run once; a failed job waits and runs again; a worker
killed halfway leaves the job to be redone exactly once; a restart loses no timer."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from netcourt.cases.models import CaseEvent
from netcourt.core import clock, jobs
from netcourt.core.models import Job
from tests.net import free_port

RUNS: list[str] = []


@jobs.handler("test.note")
def _note(text: str) -> None:
    RUNS.append(text)
    if text == "fail":
        raise ConnectionError("the mail server is down")


@jobs.handler("test.stage_then_fail")
def _stage_then_fail(key: str) -> None:
    jobs.enqueue("test.note", key, {"text": "staged"})
    raise ConnectionError("the store is down")


@jobs.handler("test.stage_then_fail_outside", atomic=False)
def _stage_then_fail_outside(key: str) -> None:
    _stage_then_fail(key)


@pytest.fixture(autouse=True)
def _no_runs() -> None:
    RUNS.clear()


def test_a_job_asked_for_twice_runs_once(db, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        jobs.enqueue("test.note", "note:1", {"text": "hello"})
        jobs.enqueue("test.note", "note:1", {"text": "hello"})
    assert RUNS == ["hello"]
    job = Job.objects.get()
    assert job.done_at is not None and job.attempts == 1
    assert not jobs.run(job.pk) and jobs.run_due() == 0
    assert RUNS == ["hello"]


def test_a_failed_job_waits_then_runs_again_and_its_error_names_no_data(db, frozen) -> None:
    job = jobs.enqueue("test.note", "note:2", {"text": "fail"})
    assert jobs.run(job.pk)
    job.refresh_from_db()
    assert job.done_at is None and job.error == "ConnectionError" and job.attempts == 1
    assert job.due_at == frozen.now() + timedelta(seconds=60)
    assert jobs.run_due() == 0  # not yet due
    frozen.advance(timedelta(seconds=61))
    assert jobs.run_due() == 1 and RUNS == ["fail", "fail"]
    for _ in range(jobs.MAX_ATTEMPTS):
        frozen.advance(timedelta(hours=1))
        jobs.run_due()
    job.refresh_from_db()
    assert job.failed_at is not None and job.attempts == jobs.MAX_ATTEMPTS


def test_a_failed_jobs_writes_are_undone_unless_it_keeps_its_own_transactions(
    transactional_db,
) -> None:
    """A job's writes commit with its "done", so a failure leaves none; a handler registered
    with ``atomic=False`` (a sweep whose file deletions no rollback could undo) commits as it
    goes, and what it committed before failing stays."""
    for name, kept in (("test.stage_then_fail", False), ("test.stage_then_fail_outside", True)):
        job = jobs.enqueue(name, f"{name}:1", {"key": f"{name}:staged"})  # and run at once
        job.refresh_from_db()
        assert job.attempts == 1
        assert job.done_at is None and job.error == "ConnectionError"
        assert Job.objects.filter(key=f"{name}:staged").exists() is kept


def test_a_job_held_by_a_live_worker_is_not_taken_twice(db, frozen) -> None:
    job = jobs.enqueue("test.note", "note:3", {"text": "once"})
    Job.objects.filter(pk=job.pk).update(lease_until=frozen.now() + jobs.lease())
    assert not jobs.run(job.pk)
    frozen.advance(jobs.lease() + timedelta(seconds=1))  # that worker died
    assert jobs.run(job.pk) and RUNS == ["once"]


def test_the_tick_takes_the_steps_of_expired_time_limits(accepted) -> None:
    fee = accepted.deadlines.get(time_limit="pay_fee")
    with clock.use(
        clock.FixedClock(clock.now() + timedelta(days=(fee.due - clock.today()).days + 2))
    ):
        jobs.tick()
    accepted.refresh_from_db()
    assert accepted.state == "deemed_withdrawn"
    assert CaseEvent.objects.get(case=accepted, event="deem_withdrawn").actor is None


class StallingSmtp:
    """An SMTP server whose first message hangs until released (then is refused for now,
    as a server going away would leave it); later messages are taken."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.received: list[bytes] = []
        self.first = True

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.first:
            self.first = False
            self.entered.set()
            self.release.wait(60)
            return "451 4.3.0 try again later"
        self.received.append(envelope.content)
        return "250 OK"


@pytest.fixture
def stalling_smtp() -> Iterator[tuple[StallingSmtp, int]]:
    handler = StallingSmtp()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        handler.release.set()
        controller.stop()


ENQUEUE = """
import sys
from datetime import timedelta
import django
django.setup()
from django.db import transaction
from netcourt.accounts.models import User
from netcourt.core import clock, jobs
user, _ = User.objects.get_or_create(username="tester", defaults={"email": "t@example.test"})
with transaction.atomic():
    jobs.enqueue(
        "notify.person",
        sys.argv[1],
        {"user": user.pk, "case": None, "subject": sys.argv[1], "body": "Hello", "link": ""},
        at=clock.now() + timedelta(seconds=float(sys.argv[2])),
    )
"""


def _job(data: Path, key: str) -> tuple[Any, ...]:
    with sqlite3.connect(data / "netcourt.sqlite3") as db:
        row = db.execute("SELECT done_at, attempts FROM core_job WHERE key = ?", (key,)).fetchone()
    return tuple(row)


def _wait(condition: Any, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


REDIS = "redis://127.0.0.1:6379/15"  # a database of its own (.ci/run starts Redis)


def _redis_up() -> bool:
    import redis

    try:
        client = redis.Redis.from_url(REDIS, socket_connect_timeout=1)
        client.flushdb()
    except redis.RedisError:
        return False
    return True


@pytest.mark.slow
@pytest.mark.parametrize("queue", ["sqlite", REDIS])
def test_a_killed_worker_redoes_its_job_exactly_once_and_a_restart_loses_no_timer(
    tmp_path: Path, stalling_smtp: tuple[StallingSmtp, int], queue: str
) -> None:
    if queue == REDIS and not _redis_up():
        pytest.skip("no Redis on 127.0.0.1:6379 (.ci/run starts one)")
    smtp, port = stalling_smtp
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETCOURT_")}
    env |= {
        "NETCOURT_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "netcourt.core.settings",
        "NETCOURT_JOBS": queue,
        "NETCOURT_JOB_LEASE": "2",
        "NETCOURT_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "NETCOURT_SMTP_HOST": "127.0.0.1",
        "NETCOURT_SMTP_PORT": str(port),
    }
    netcourt = str(Path(sys.executable).parent / "netcourt")
    subprocess.run([netcourt, "migrate"], env=env, check=True, capture_output=True)

    def enqueue(key: str, in_seconds: float) -> None:
        subprocess.run([sys.executable, "-c", ENQUEUE, key, str(in_seconds)], env=env, check=True)

    def worker() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [netcourt, "worker", "--workers", "1"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    enqueue("mail:now", 0)
    enqueue("mail:timer", 8)  # a timer due while no worker runs
    first = worker()
    try:
        assert smtp.entered.wait(60), "the worker never sent the message"
        first.send_signal(signal.SIGKILL)  # in the middle of the job
        first.wait(10)
    finally:
        first.kill()
    smtp.release.set()
    assert _job(tmp_path, "mail:now") == (None, 1) and smtp.received == []
    time.sleep(9)  # the lease ends, and the timer falls due, with no worker running
    second = worker()
    try:
        _wait(lambda: _job(tmp_path, "mail:timer")[0] is not None, 60)
        _wait(lambda: _job(tmp_path, "mail:now")[0] is not None, 60)
        time.sleep(2)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(20)
    assert _job(tmp_path, "mail:now")[1] == 2  # redone once
    assert _job(tmp_path, "mail:timer")[1] == 1
    subjects = sorted(m.split(b"Subject: ")[1].split(b"\n")[0].strip() for m in smtp.received)
    assert subjects == [b"mail:now", b"mail:timer"]
