"""The SQLite backend for the threaded server: reused connections and one writer at a time."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections, transaction

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the SQLite backend is used only on SQLite"
)

ALIAS = "sqlite_file"


@pytest.fixture
def file_db(tmp_path: Path, django_db_blocker: Any) -> Iterator[str]:
    """A second alias on an on-disk SQLite file, with the settings `make run` uses."""
    settings = dict(connections["default"].settings_dict)
    settings["NAME"] = str(tmp_path / "threads.sqlite3")
    settings["ENGINE"] = "netcourt.core.sqlite"
    settings["OPTIONS"] = {**settings["OPTIONS"], "timeout": 5}
    connections.settings[ALIAS] = settings
    with django_db_blocker.unblock():
        with connections[ALIAS].cursor() as cursor:
            cursor.execute("CREATE TABLE entry (who TEXT, at REAL)")
        connections[ALIAS].close()
        yield ALIAS
        connections[ALIAS].close()
    del connections.settings[ALIAS]
    if hasattr(connections._connections, ALIAS):
        delattr(connections._connections, ALIAS)


def _raw(alias: str) -> Any:
    connections[alias].ensure_connection()
    return connections[alias].connection


def _in_thread(target: Any) -> threading.Thread:
    """Run ``target`` in a thread of its own, closing its connection afterwards, as a request."""

    def run() -> None:
        try:
            target()
        finally:
            connections[ALIAS].close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_closed_connection_is_reused_by_the_next_request(file_db: str) -> None:
    first = _raw(file_db)
    connections[file_db].close()
    second: list[Any] = []
    _in_thread(lambda: second.append(_raw(file_db))).join()
    assert second == [first]


def test_a_connection_closed_inside_a_transaction_is_not_reused(file_db: str) -> None:
    with transaction.atomic(using=file_db):
        first = _raw(file_db)
        connections[file_db].close()
    again: list[Any] = []
    _in_thread(lambda: again.append(_raw(file_db))).join()
    assert again and again[0] is not first


def test_writers_queue_in_the_process_not_in_sqlite(file_db: str) -> None:
    """With SQLite's own busy wait turned off, a second writer would fail at once with
    "database is locked". Twenty concurrent writers, each holding its transaction a while,
    all succeed one after another: they wait for each other in the process."""
    connections[file_db].close()
    connections.settings[file_db]["OPTIONS"]["init_command"] = "PRAGMA busy_timeout=0;"
    spans: list[tuple[float, float]] = []
    failures: list[Exception] = []

    def write(who: int) -> None:
        try:
            with transaction.atomic(using=file_db):
                start = time.monotonic()
                with connections[file_db].cursor() as cursor:
                    cursor.execute("INSERT INTO entry VALUES (%s, %s)", [str(who), start])
                time.sleep(0.005)
                spans.append((start, time.monotonic()))
        except Exception as error:  # noqa: BLE001 - the test reports every failure
            failures.append(error)

    threads = [_in_thread(lambda who=who: write(who)) for who in range(20)]
    for thread in threads:
        thread.join()
    assert failures == []
    with connections[file_db].cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM entry")
        assert cursor.fetchone()[0] == 20
    spans.sort()
    assert all(
        end <= next_start for (_, end), (next_start, _) in zip(spans, spans[1:], strict=False)
    )


def test_a_failed_transaction_lets_the_next_writer_in(file_db: str) -> None:
    with pytest.raises(RuntimeError), transaction.atomic(using=file_db):
        with connections[file_db].cursor() as cursor:
            cursor.execute("INSERT INTO entry VALUES ('rolled back', 0)")
        raise RuntimeError("the step failed")
    done: list[bool] = []

    def write() -> None:
        with transaction.atomic(using=file_db), connections[file_db].cursor() as cursor:
            cursor.execute("INSERT INTO entry VALUES ('next', 1)")
        done.append(True)

    thread = _in_thread(write)
    thread.join(timeout=10)
    assert done == [True]
    with connections[file_db].cursor() as cursor:
        cursor.execute("SELECT who FROM entry")
        assert [row[0] for row in cursor.fetchall()] == ["next"]
