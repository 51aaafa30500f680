"""SQLite for a multi-threaded ASGI server.

Django's SQLite backend is built for one thread per process. Under uvicorn each request runs
in a thread of its own, which costs us twice:

* Every request opens a new SQLite connection (about 0.9 ms: the file, Django's SQL
  functions, the PRAGMAs) because connections belong to threads. Here a closed connection
  that is idle and healthy goes back to a small per-file pool and the next request reuses it.
* Writers queue inside SQLite's busy handler, which sleeps and polls (up to 100 ms at a
  time) and serves waiters in no order: under 20 concurrent writers some wait seconds while
  others pass. Here a process-wide lock per database file admits one write transaction at a
  time and wakes the next waiter as soon as the lock is free. SQLite's own lock still guards
  the file against other processes (``netcourt sweep``, a second server), which keep waiting
  in the busy handler as before.

Every transaction that Django opens with ``atomic`` is ``BEGIN IMMEDIATE`` (settings), so it
takes SQLite's write lock at once; taking the process lock first changes who waits where,
never what runs together. In-memory databases (the test suite) are left as Django makes them;
a file is made 0600 before SQLite opens it (netcourt.core.private).
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

from django.db import OperationalError
from django.db.backends.sqlite3 import base

from netcourt.core.private import private_database

POOL_SIZE = 32
_pool_guard = threading.Lock()
_idle: dict[str, list[sqlite3.Connection]] = {}
_writers: dict[str, threading.Lock] = {}


def _writer_lock(name: str) -> threading.Lock:
    with _pool_guard:
        return _writers.setdefault(name, threading.Lock())


class DatabaseWrapper(base.DatabaseWrapper):
    _holds_writer: threading.Lock | None = None

    def _pooled(self) -> bool:
        return not self.is_in_memory_db()

    def get_new_connection(self, conn_params: dict[str, Any]) -> sqlite3.Connection:
        if self._pooled():
            with _pool_guard:
                idle = _idle.get(conn_params["database"])
                if idle:
                    return idle.pop()
            private_database(Path(conn_params["database"]))
        connection: sqlite3.Connection = super().get_new_connection(conn_params)
        return connection

    def _close(self) -> None:
        self._release_writer()
        connection = self.connection
        if connection is None:
            return
        reusable = (
            self._pooled()
            and not connection.in_transaction
            and not self.in_atomic_block
            and not self.needs_rollback
        )
        if reusable:
            name = self.settings_dict["NAME"]
            with _pool_guard:
                idle = _idle.setdefault(str(name), [])
                if len(idle) < POOL_SIZE:
                    idle.append(connection)
                    return
        super()._close()  # type: ignore[misc]  # private in django-stubs

    def _start_transaction_under_autocommit(self) -> None:
        if self._pooled() and self._holds_writer is None:
            lock = _writer_lock(str(self.settings_dict["NAME"]))
            timeout = float(self.settings_dict["OPTIONS"].get("timeout", 5))
            if not lock.acquire(timeout=timeout):
                raise OperationalError("database is locked")
            self._holds_writer = lock
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._release_writer()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]
        finally:
            self._release_writer()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            self._release_writer()

    def _release_writer(self) -> None:
        lock, self._holds_writer = self._holds_writer, None
        if lock is not None:
            lock.release()
