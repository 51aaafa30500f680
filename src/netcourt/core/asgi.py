"""The ASGI application uvicorn serves.

Django under ASGI builds its middleware chain for an async request path. Our middleware and
views are synchronous (they use the ORM), so that path hops between the event loop and a
worker thread for every middleware's request and response hooks, and twice more around a
synchronous middleware in the middle of the chain: about twenty thread switches a request.
:class:`SyncStackHandler` builds the synchronous chain, the one Django builds under WSGI, and
runs it whole, with the request signals, in one of a fixed set of worker threads: one switch
there and one back, and no thread started for a request (asgiref starts one per request, and
the event loop waits for it to run: that wait cost more than the trivial view itself).
Reading the request body, sending the response and the hearing rooms' WebSockets stay on the
event loop. A download (a streamed response) is read a chunk at a time while it is sent, each
chunk, and the closing, a task of its own on a fixed set of download threads shared by all
downloads (`NETCOURT_DOWNLOAD_THREADS`): a slow or stalled client holds no thread, and a task
leaves its thread with no database connection. See
docs/decisions/0004-one-thread-hop-per-request.md.

Request bodies too big for memory wait on disk encrypted (`netcourt.core.spool`), never in
clear: an evidence file may be in one.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import django
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.db import close_old_connections, connections
from django.http import FileResponse, HttpResponse, JsonResponse
from django.urls import set_script_prefix
from django.utils import translation

from netcourt.core.problems import request_too_large
from netcourt.core.spool import EncryptedSpool

UPLOAD_PIECES_PATH = "/api/v1/uploads/"

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "netcourt.core.settings")


class SyncStackHandler(ASGIHandler):
    """Django's handler with the synchronous stack run whole in one of a fixed set of threads."""

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django serves HTTP, not {scope['type']}")
        await self.handle(scope, receive, send)

    async def handle(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            body_file = await self.read_body(receive, _limit_for(scope))
        except RequestAborted:
            return
        loop = asyncio.get_running_loop()
        try:
            response = await loop.run_in_executor(_threads, self._respond, scope, body_file)
            if response.streaming:
                await self._stream(response, receive, send)
            else:
                await self.send_response(response, send)
        finally:
            body_file.close()

    def _respond(self, scope: Any, body_file: Any) -> Any:
        """Everything Django does for a request up to sending it, in one worker thread: the
        request signals, the middleware and the view. A whole response is closed here (which
        finishes the request and returns this thread's database connection) before it is sent;
        a streamed one (a file from the vault) gives this thread's connection back now and is
        read and closed on the download threads (`_stream`)."""
        translation.deactivate()  # until the middleware picks the request's language
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.get_response(request)
            response._handler_class = self.__class__  # type: ignore[attr-defined]  # Django's
            if isinstance(response, FileResponse):
                response.block_size = self.chunk_size
        if response.streaming:
            close_old_connections()
        else:
            response.close()
        return response

    async def _stream(self, response: Any, receive: Any, send: Any) -> None:
        """Send a streamed response (a download), each chunk read when it is due, and the
        response closed (its file released, `request_finished` fired) however the sending
        ends, each a task of its own on the shared download threads (`_DownloadTurns`): the
        download holds no thread while its client takes the chunk sent, its tasks run one at a
        time, and none leaves a database connection open in its thread. A client that goes
        away stops the reading. The site's own files (WhiteNoise's `FileResponse`) take turns
        on threads of their own."""
        turns = _DownloadTurns(_site_files if isinstance(response, FileResponse) else _downloads)
        if not response.is_async:
            response.streaming_content = _pulled(response.streaming_content, turns)
        sending = asyncio.create_task(self.send_response(response, send))
        listening = asyncio.create_task(self.listen_for_disconnect(receive))
        try:
            await asyncio.wait((sending, listening), return_when=asyncio.FIRST_COMPLETED)
            for task in (listening, sending):
                if not task.done():
                    task.cancel()
                with contextlib.suppress(asyncio.CancelledError, RequestAborted):
                    await task
        finally:
            await turns.finish(response.close)

    async def read_body(self, receive: Any, limit: int = 0) -> Any:
        """Django's, with an `EncryptedSpool` for the body instead of a temporary file, and a
        limit: a body larger than the request may carry is not read on (413)."""
        body = EncryptedSpool(settings.FILE_UPLOAD_MAX_MEMORY_SIZE)
        body.limit = limit
        received = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                body.close()
                raise RequestAborted()
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > limit:
                body.too_large = True
                break
            body.write(chunk)
            if not message.get("more_body", False):
                break
        body.seek(0)
        return body

    def create_request(self, scope: Any, body_file: Any) -> Any:
        if getattr(body_file, "too_large", False):
            return None, _too_large(body_file.limit)
        return super().create_request(scope, body_file)


_threads = ThreadPoolExecutor(
    max_workers=settings.NETCOURT_REQUEST_THREADS, thread_name_prefix="netcourt-request"
)


_downloads = ThreadPoolExecutor(
    max_workers=settings.NETCOURT_DOWNLOAD_THREADS, thread_name_prefix="netcourt-download"
)
# The site's own files (stylesheets, scripts, images: a FileResponse over a local file) are
# read on threads of their own, so that downloads waiting on a slow store never hold back
# the pages' assets.
_site_files = ThreadPoolExecutor(max_workers=4, thread_name_prefix="netcourt-site-file")

_T = TypeVar("_T")


class _DownloadTurns:
    """One download's tasks on shared threads (``pool``), one after another: a task starts
    only once the one before has ended, even one the download stopped waiting for (its client
    left while a chunk was being read), so the iterator is never used from two threads at
    once."""

    def __init__(self, pool: ThreadPoolExecutor) -> None:
        self._pool = pool
        self._last: Future[Any] | None = None

    async def run(self, function: Callable[..., _T], *args: Any) -> _T:
        if self._last is not None and not self._last.done():
            await asyncio.wait((asyncio.wrap_future(self._last),))
        task = self._pool.submit(_without_connections, function, *args)
        self._last = task
        return await asyncio.wrap_future(task)

    async def finish(self, close: Callable[[], object]) -> None:
        """`close()` as a task of the download's: it runs even if the waiting for it is
        cancelled (a closing waiting for a thread is not dropped)."""
        await asyncio.shield(self.run(close))


def _without_connections(function: Callable[..., _T], *args: Any) -> _T:
    """`function(*args)`, then this thread's database connections closed (given back to the
    pool), if the task opened one: a download thread serves any download next."""
    try:
        return function(*args)
    finally:
        for connection in connections.all(initialized_only=True):
            if connection.connection is not None:
                connection.close()


async def _pulled(chunks: Iterator[bytes], turns: _DownloadTurns) -> AsyncIterator[bytes]:
    """The chunks of a synchronous iterator, each read on the download threads when it is
    due; the iterator is closed (its file released) however the sending ends."""
    try:
        while (chunk := await turns.run(next, chunks, None)) is not None:
            yield chunk
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            await turns.finish(close)


def _limit_for(scope: Any) -> int:
    """How many bytes a request's body may hold: a piece of a resumable upload, or the
    largest request the court takes (a browser form with the largest evidence file)."""
    path = str(scope.get("path", ""))
    if path.startswith(UPLOAD_PIECES_PATH):
        return int(settings.NETCOURT_MAX_UPLOAD_PIECE)
    return int(settings.NETCOURT_MAX_REQUEST_BYTES)


def _too_large(limit: int) -> HttpResponse:
    problem = request_too_large(limit)
    return JsonResponse(problem.as_dict(), status=413, content_type="application/problem+json")


class Application:
    """Django for HTTP; the hearing rooms' WebSockets (`netcourt.hearings.room`) on the loop."""

    def __init__(self) -> None:
        self.http = SyncStackHandler()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "websocket":
            from netcourt.hearings import room

            await room.serve(scope, receive, send)
            return
        await self.http(scope, receive, send)


django.setup(set_prefix=False)
application = Application()
