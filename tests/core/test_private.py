"""The data directory and its databases are the server's alone (netcourt.core.private):
after `netcourt migrate` on a fresh data directory, and on one made looser before."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from netcourt.core import jobs
from netcourt.core.private import private_dir
from tests.test_cli import run


def test_a_fresh_data_dir_and_its_databases_are_the_servers_alone(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert run("migrate", env_dir=data).returncode == 0
    database = data / "netcourt.sqlite3"
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    # SQLite gives the write-ahead log and its index the database's mode.
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE t (x)")
        for each in ("netcourt.sqlite3-wal", "netcourt.sqlite3-shm"):
            assert stat.S_IMODE((data / each).stat().st_mode) == 0o600, each


def test_a_looser_data_dir_of_ours_is_narrowed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    (data / "netcourt.sqlite3").touch(mode=0o644)
    (data / "netcourt.sqlite3").chmod(0o644)
    assert run("migrate", env_dir=data).returncode == 0
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "netcourt.sqlite3").stat().st_mode) == 0o600


def test_the_jobs_database_is_made_for_its_owner_alone(tmp_path: Path, settings) -> None:
    settings.DATA_DIR, settings.NETCOURT_JOBS = tmp_path, "sqlite"
    jobs.queue.cache_clear()
    try:
        huey, _ = jobs.queue()
        huey.pending_count()  # huey opens (and SQLite makes) its database
    finally:
        jobs.queue.cache_clear()
    assert stat.S_IMODE((tmp_path / "jobs.sqlite3").stat().st_mode) == 0o600


def test_a_looser_data_dir_of_someone_elses_is_left_with_a_warning(tmp_path: Path, caplog) -> None:
    if os.getuid() != 0:
        pytest.skip("only root can give a directory to someone else")
    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o755)
    os.chown(data, 4242, 4242)
    private_dir(data)
    assert stat.S_IMODE(data.stat().st_mode) == 0o755
    assert f"{data} can be read by other users of this machine" in caplog.text
