"""The ASGI application uvicorn serves: Django's synchronous stack in one thread a request."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import path

from netcourt.core.asgi import SyncStackHandler
from netcourt.core.urls import urlpatterns as site_urls

seen: dict[str, int] = {}


def record_thread(get_response: Any) -> Any:
    def middleware(request: HttpRequest) -> HttpResponse:
        seen["middleware"] = threading.get_ident()
        return get_response(request)  # type: ignore[no-any-return]

    return middleware


def thread_view(request: HttpRequest) -> HttpResponse:
    seen["view"] = threading.get_ident()
    threads_seen.append(threading.current_thread().name)
    return HttpResponse("ok")


threads_seen: list[str] = []


sent_before: list[int] = []
body_messages: list[dict[str, Any]] = []


def download_view(request: HttpRequest) -> StreamingHttpResponse:
    """A download of ten chunks that notes, at each chunk, how many were sent already."""

    def chunks() -> Iterator[bytes]:
        for index in range(10):
            sent_before.append(len(body_messages))
            yield bytes([index]) * 1000

    return StreamingHttpResponse(chunks())


LONG_DOWNLOAD_CHUNKS = 100_000
read_chunks: list[int] = []
download_closed: list[bool] = []


def long_download_view(request: HttpRequest) -> StreamingHttpResponse:
    """A download far longer than a client takes to say it has gone."""

    def chunks() -> Iterator[bytes]:
        try:
            for index in range(LONG_DOWNLOAD_CHUNKS):
                read_chunks.append(index)
                yield b"x" * 1000
        finally:
            download_closed.append(True)

    return StreamingHttpResponse(chunks())


urlpatterns = [
    path("thread/", thread_view),
    path("download/", download_view),
    path("long-download/", long_download_view),
    *site_urls,
]


def _scope(method: str, path: str, headers: list[tuple[bytes, bytes]] | None = None) -> Any:
    """An HTTP request's ASGI scope, as uvicorn makes it, for 127.0.0.1."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1"), *(headers or [])],
        "client": ("127.0.0.1", 1234),
        "server": ("127.0.0.1", 8000),
    }


async def _get(application: Any, path: str, headers: list[tuple[bytes, bytes]]) -> Any:
    scope = _scope("GET", path, headers)
    communicator = ApplicationCommunicator(application, scope)
    await communicator.send_input({"type": "http.request", "body": b"", "more_body": False})
    start = await communicator.receive_output(5)
    body = await communicator.receive_output(5)
    await communicator.wait(5)
    return start, body


@pytest.mark.django_db
def test_middleware_and_view_run_in_the_same_worker_thread(settings: Any) -> None:
    settings.ROOT_URLCONF = __name__
    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE[:3],
        f"{__name__}.record_thread",
        *settings.MIDDLEWARE[3:],
    ]
    seen.clear()
    start, body = async_to_sync(_get)(SyncStackHandler(), "/thread/", [])
    assert start["status"] == 200 and body["body"] == b"ok"
    assert seen["middleware"] == seen["view"] != threading.get_ident()


@pytest.mark.django_db
def test_requests_are_served_by_a_fixed_set_of_threads_not_one_started_each(settings: Any) -> None:
    settings.ROOT_URLCONF = __name__
    threads_seen.clear()
    handler = SyncStackHandler()
    for _ in range(3 * settings.NETCOURT_REQUEST_THREADS):
        start, _body = async_to_sync(_get)(handler, "/thread/", [])
        assert start["status"] == 200
    assert all(name.startswith("netcourt-request") for name in threads_seen)
    assert len(set(threads_seen)) <= settings.NETCOURT_REQUEST_THREADS


@pytest.mark.django_db
def test_pages_are_served_in_the_browser_language() -> None:
    start, body = async_to_sync(_get)(
        SyncStackHandler(), "/", [(b"accept-language", b"zh-CN,zh;q=0.9")]
    )
    assert start["status"] == 200
    headers = {name.lower(): value for name, value in start["headers"]}
    assert headers[b"content-language"] == b"zh-hans"
    assert b'lang="zh-Hans"' in body["body"]


async def _patch(application: Any, path: str, pieces: list[bytes]) -> Any:
    scope = _scope("PATCH", path)
    communicator = ApplicationCommunicator(application, scope)
    for index, piece in enumerate(pieces):
        more = index < len(pieces) - 1
        await communicator.send_input({"type": "http.request", "body": piece, "more_body": more})
    start = await communicator.receive_output(5)
    body = await communicator.receive_output(5)
    await communicator.wait(5)
    return start, body


@pytest.mark.django_db
def test_a_body_over_its_limit_is_answered_413_unread(settings: Any) -> None:
    import json

    settings.NETCOURT_MAX_UPLOAD_PIECE = 1000
    start, body = async_to_sync(_patch)(
        SyncStackHandler(), "/api/v1/uploads/x", [b"a" * 600, b"b" * 600, b"c" * 600]
    )
    assert start["status"] == 413
    answer = json.loads(body["body"])
    assert answer["code"] == "request_too_large" and answer["max_bytes"] == 1000
    settings.NETCOURT_MAX_REQUEST_BYTES = 10_000
    start, _ = async_to_sync(_patch)(SyncStackHandler(), "/api/v1/cases", [b"x" * 600])
    assert start["status"] != 413


@pytest.mark.django_db
def test_a_download_is_sent_as_it_is_read_not_read_whole_first(settings: Any) -> None:
    """Ten chunks: the last is read only once earlier ones went out (memory stays flat for a
    recording or an evidence file of any size)."""
    settings.ROOT_URLCONF = __name__
    sent_before.clear()
    body_messages.clear()

    async def download() -> bytes:
        scope = _scope("GET", "/download/")
        communicator = ApplicationCommunicator(SyncStackHandler(), scope)
        await communicator.send_input({"type": "http.request", "body": b"", "more_body": False})
        start = await communicator.receive_output(5)
        assert start["status"] == 200
        body = b""
        while True:
            message = await communicator.receive_output(5)
            body_messages.append(message)
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        await communicator.wait(5)
        return body

    body = async_to_sync(download)()
    assert body == b"".join(bytes([i]) * 1000 for i in range(10))
    assert sent_before[-1] > 0, "every chunk was read before the first was sent"


@pytest.mark.django_db
def test_a_download_stops_being_read_when_the_client_goes_away(settings: Any) -> None:
    settings.ROOT_URLCONF = __name__
    read_chunks.clear()
    download_closed.clear()

    async def leave_after_the_first_chunk() -> None:
        scope = _scope("GET", "/long-download/")
        communicator = ApplicationCommunicator(SyncStackHandler(), scope)
        await communicator.send_input({"type": "http.request", "body": b"", "more_body": False})
        assert (await communicator.receive_output(5))["status"] == 200
        await communicator.receive_output(5)
        await communicator.send_input({"type": "http.disconnect"})
        await communicator.wait(5)
        assert not communicator.future.cancelled(), "the download ran on after the client left"

    async_to_sync(leave_after_the_first_chunk)()
    assert download_closed == [True]
    assert len(read_chunks) < LONG_DOWNLOAD_CHUNKS
