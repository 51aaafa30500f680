"""Downloads under the ASGI application: read a chunk at a time on a bounded, shared set of
download threads, whatever their clients do."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.core.signals import request_finished, request_started
from django.db import connections
from django.http import FileResponse, HttpRequest, StreamingHttpResponse
from django.urls import path

from netcourt.core.asgi import SyncStackHandler
from tests.core.test_asgi import _scope

CHUNKS = 5
READER_PREFIX = "netcourt-download"


def content(number: int, index: int) -> bytes:
    return f"download {number}, chunk {index};".encode() * 50


def whole(number: int) -> bytes:
    return b"".join(content(number, index) for index in range(CHUNKS))


class Chunks:
    """A download's file: `CHUNKS` chunks, each read only once `gate` is open; notes what is
    read and closed, and whether it was closed while a chunk was being read."""

    def __init__(self, number: int, gate: threading.Event | None = None) -> None:
        self.number = number
        self.gate = gate
        self.read = 0
        self.reading = False
        self.closed = False
        self.closed_while_reading = False

    def __iter__(self) -> Chunks:
        return self

    def __next__(self) -> bytes:
        self.reading = True
        try:
            if self.gate is not None and not self.gate.wait(10):
                raise TimeoutError("the gate stayed shut")
            if self.read == CHUNKS:
                raise StopIteration
            self.read += 1
            return content(self.number, self.read - 1)
        finally:
            self.reading = False

    def close(self) -> None:
        if self.reading:
            self.closed_while_reading = True
        self.closed = True


downloads: dict[int, Chunks] = {}
gate = threading.Event()


def download_view(request: HttpRequest, number: int) -> StreamingHttpResponse:
    downloads[number] = Chunks(number)
    return StreamingHttpResponse(downloads[number])


def stalled_download_view(request: HttpRequest, number: int) -> StreamingHttpResponse:
    """A download whose store does not answer until `gate` opens."""
    downloads[number] = Chunks(number, gate)
    return StreamingHttpResponse(downloads[number])


DATABASE = "downloads_file"
database_reads: list[Any] = []


def database_download_view(request: HttpRequest) -> StreamingHttpResponse:
    """A download whose every chunk asks the database; notes the reading thread's
    connection."""

    def chunks() -> Iterator[bytes]:
        for index in range(2):
            with connections[DATABASE].cursor() as cursor:
                cursor.execute("SELECT %s", [index])
                (number,) = cursor.fetchone()
            database_reads.append(connections[DATABASE])
            yield str(number).encode()

    return StreamingHttpResponse(chunks())


SITE_FILE = Path(__file__)


def site_file_view(request: HttpRequest) -> FileResponse:
    """One of the site's own files, as WhiteNoise serves a stylesheet."""
    return FileResponse(SITE_FILE.open("rb"))


urlpatterns = [
    path("download/<int:number>/", download_view),
    path("stalled/<int:number>/", stalled_download_view),
    path("database-download/", database_download_view),
    path("site.css", site_file_view),
]


class Client:
    """One download's client as uvicorn presents it: the request, then a disconnect once it
    leaves. A body message waits in `send` until the client takes one (`take`), as uvicorn's
    flow control holds `send` while the socket's buffer is full."""

    def __init__(self, path: str) -> None:
        self.scope = _scope("GET", path)
        self.messages: list[dict[str, Any]] = []
        self.taken = asyncio.Semaphore(0)
        self.gone = asyncio.Event()
        self.asked = False

    async def receive(self) -> dict[str, Any]:
        if not self.asked:
            self.asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            await self.taken.acquire()
        self.messages.append(message)

    def take(self, messages: int = 1) -> None:
        for _ in range(messages):
            self.taken.release()

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.messages[1:])

    @property
    def complete(self) -> bool:
        last = self.messages[-1] if self.messages else {}
        return last.get("type") == "http.response.body" and not last.get("more_body", False)


def reader_threads() -> int:
    return sum(1 for thread in threading.enumerate() if thread.name.startswith(READER_PREFIX))


async def until(condition: Callable[[], bool], timeout: float = 10) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.005)


async def download_whole(handler: SyncStackHandler, number: int) -> Client:
    """A download by a client that takes everything at once."""
    client = Client(f"/download/{number}/")
    client.take(CHUNKS + 1)  # the chunks, and the empty message that ends the body
    await asyncio.wait_for(handler(client.scope, client.receive, client.send), 10)
    return client


@pytest.fixture
def file_database(tmp_path: Path, django_db_blocker: Any) -> Iterator[str]:
    """A database on an SQLite file, whose connections `close` really closes (the test
    database is in memory, and Django never closes an in-memory database's connection)."""
    connections.settings[DATABASE] = {
        **connections["default"].settings_dict,
        "ENGINE": "netcourt.core.sqlite",
        "NAME": str(tmp_path / "downloads.sqlite3"),
        "OPTIONS": {"timeout": 5},
    }
    with django_db_blocker.unblock():
        yield DATABASE
    connections[DATABASE].close()
    del connections.settings[DATABASE]
    if hasattr(connections._connections, DATABASE):
        delattr(connections._connections, DATABASE)


@pytest.fixture
def signals_sent() -> Iterator[dict[str, int]]:
    sent = {"started": 0, "finished": 0}

    def started(**kwargs: Any) -> None:
        sent["started"] += 1

    def finished(**kwargs: Any) -> None:
        sent["finished"] += 1

    request_started.connect(started)
    request_finished.connect(finished)
    try:
        yield sent
    finally:
        request_started.disconnect(started)
        request_finished.disconnect(finished)


@pytest.mark.django_db
def test_slow_downloads_share_a_bounded_set_of_reader_threads(
    settings: Any, signals_sent: dict[str, int]
) -> None:
    """Three times as many downloads as reader threads, their clients slow to take each
    chunk: no more reader threads than `NETCOURT_DOWNLOAD_THREADS`, none held by a client
    that does not read (another download is served meanwhile), every download whole."""
    settings.ROOT_URLCONF = __name__
    downloads.clear()
    limit = settings.NETCOURT_DOWNLOAD_THREADS
    count = 3 * limit

    async def run() -> tuple[list[Client], Client, int]:
        handler = SyncStackHandler()
        clients = [Client(f"/download/{number}/") for number in range(count)]
        serving = [
            asyncio.create_task(handler(client.scope, client.receive, client.send))
            for client in clients
        ]
        # Every download open, its first chunk read and waiting for a client that takes none.
        await until(lambda: all(n in downloads and downloads[n].read >= 1 for n in range(count)))
        await asyncio.sleep(0.05)
        most = reader_threads()
        fast = await download_whole(handler, count)
        for _ in range(CHUNKS + 1):
            for client in clients:
                client.take()
            await asyncio.sleep(0.01)
            most = max(most, reader_threads())
        await asyncio.wait_for(asyncio.gather(*serving), 10)
        return clients, fast, most

    clients, fast, most = async_to_sync(run)()
    assert most <= limit, f"{most} reader threads for {count + 1} downloads"
    assert fast.complete and fast.body == whole(count)
    for number, client in enumerate(clients):
        assert client.messages[0]["status"] == 200
        assert client.complete and client.body == whole(number)
        assert downloads[number].closed and not downloads[number].closed_while_reading
    assert signals_sent == {"started": count + 1, "finished": count + 1}


@pytest.mark.django_db
def test_downloads_whose_clients_leave_are_closed_and_free_their_threads(
    settings: Any, signals_sent: dict[str, int]
) -> None:
    """Twice as many downloads as reader threads, each waiting on a store that does not
    answer; their clients leave. Only `NETCOURT_DOWNLOAD_THREADS` are read at once; each is
    closed, a download being read only once its read has ended (never from two threads at
    once); the reading stops, and the threads serve the next download."""
    settings.ROOT_URLCONF = __name__
    downloads.clear()
    gate.clear()
    limit = settings.NETCOURT_DOWNLOAD_THREADS
    count = 2 * limit

    async def run() -> tuple[int, int, Client]:
        handler = SyncStackHandler()
        clients = [Client(f"/stalled/{number}/") for number in range(count)]
        for client in clients:
            client.take(CHUNKS + 1)
        serving = [
            asyncio.create_task(handler(client.scope, client.receive, client.send))
            for client in clients
        ]
        try:
            await until(lambda: sum(d.reading for d in downloads.values()) >= limit)
            await asyncio.sleep(0.1)
            reading = sum(d.reading for d in downloads.values())
            most = reader_threads()
            for client in clients:
                client.gone.set()
            await asyncio.sleep(0.1)  # the downloads being read are closed only after the read
        finally:
            gate.set()
        await asyncio.wait_for(asyncio.gather(*serving), 10)
        return reading, max(most, reader_threads()), await download_whole(handler, count)

    reading, most, fresh = async_to_sync(run)()
    assert reading == limit and most <= limit
    assert len(downloads) == count + 1
    for number in range(count):
        assert downloads[number].closed and not downloads[number].closed_while_reading
        assert downloads[number].read <= 1
    assert fresh.complete and fresh.body == whole(count)
    assert signals_sent == {"started": count + 1, "finished": count + 1}


@pytest.mark.django_db
def test_the_sites_own_files_arrive_while_every_download_thread_waits_on_the_store(
    settings: Any,
) -> None:
    """As many downloads as reader threads, each waiting on a store that does not answer: a
    page's stylesheet still comes whole, at once."""
    settings.ROOT_URLCONF = __name__
    downloads.clear()
    gate.clear()
    limit = settings.NETCOURT_DOWNLOAD_THREADS

    async def run() -> Client:
        handler = SyncStackHandler()
        stalled = [Client(f"/stalled/{number}/") for number in range(limit)]
        for client in stalled:
            client.take(CHUNKS + 1)
        serving = [
            asyncio.create_task(handler(client.scope, client.receive, client.send))
            for client in stalled
        ]
        try:
            await until(lambda: sum(d.reading for d in downloads.values()) == limit)
            stylesheet = Client("/site.css")
            stylesheet.take(100)
            await asyncio.wait_for(
                handler(stylesheet.scope, stylesheet.receive, stylesheet.send), 3
            )
        finally:
            gate.set()
        await asyncio.wait_for(asyncio.gather(*serving), 10)
        return stylesheet

    stylesheet = async_to_sync(run)()
    assert stylesheet.complete and stylesheet.body == SITE_FILE.read_bytes()


def test_a_reader_thread_keeps_no_database_connection_between_chunks(
    settings: Any, file_database: str, signals_sent: dict[str, int]
) -> None:
    """A download whose reading asks the database (a reader thread serves any download
    next): the thread's connection is given back after each chunk read, not kept while the
    client takes its time."""
    settings.ROOT_URLCONF = __name__
    database_reads.clear()

    async def run() -> tuple[Client, bool]:
        client = Client("/database-download/")
        serving = asyncio.create_task(SyncStackHandler()(client.scope, client.receive, client.send))
        client.take()
        await until(lambda: len(client.messages) == 2)  # the first chunk, sent
        await asyncio.sleep(0.05)
        kept = database_reads[0].connection is not None
        client.take(2)
        await asyncio.wait_for(serving, 10)
        return client, kept

    client, kept = async_to_sync(run)()
    assert client.messages[0]["status"] == 200 and client.complete
    assert not kept, "the reader thread kept its connection while the client had the chunk"
    assert client.body == b"01" and len(database_reads) == 2
    assert all(connection.connection is None for connection in database_reads)
    assert signals_sent == {"started": 1, "finished": 1}
