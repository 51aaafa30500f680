"""The ASGI application uvicorn serves.

Django under ASGI builds its middleware chain for an async request path. Our middleware and
views are synchronous (they use the ORM), so that path hops between the event loop and a
worker thread for every middleware's request and response hooks, and twice more around a
synchronous middleware in the middle of the chain: about twenty thread switches a request.
:class:`SyncStackHandler` builds the synchronous chain, the one Django builds under WSGI, and
runs it whole in the request's thread: one switch there and one back. Reading the request
body, sending the response and the hearing rooms' WebSockets stay on the event loop.
See docs/decisions/0004-one-thread-hop-per-request.md.

Request bodies too big for memory wait on disk encrypted (`netcourt.core.spool`), never in
clear: an evidence file may be in one.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from contextvars import ContextVar
from typing import Any

import django
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext

from netcourt.core.problems import Problem
from netcourt.core.spool import EncryptedSpool

UPLOAD_PIECES_PATH = "/api/v1/uploads/"

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "netcourt.core.settings")


class SyncStackHandler(ASGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)
        chain: Any = self._middleware_chain  # type: ignore[has-type]  # untyped in django-stubs
        self._middleware_chain = sync_to_async(chain, thread_sensitive=True)

    async def handle(self, scope: Any, receive: Any, send: Any) -> None:
        _body_limit.set(_limit_for(scope))
        await super().handle(scope, receive, send)

    async def read_body(self, receive: Any) -> Any:
        """Django's own, with an `EncryptedSpool` for the body instead of a temporary file,
        and a limit: a body larger than the request may carry is not read on (413)."""
        body = EncryptedSpool(settings.FILE_UPLOAD_MAX_MEMORY_SIZE)
        limit, received = _body_limit.get(), 0
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

    async def send_response(self, response: Any, send: Any) -> None:
        """Django's, but a download made by a synchronous iterator (an evidence file, a
        recording, decrypted a chunk at a time) is sent as it is read: Django would first read
        it whole into memory to serve it asynchronously."""
        if response.streaming and not response.is_async:
            response.streaming_content = _pulled(response.streaming_content)
        await super().send_response(response, send)

    def create_request(self, scope: Any, body_file: Any) -> Any:
        if getattr(body_file, "too_large", False):
            return None, _too_large(_body_limit.get())
        return super().create_request(scope, body_file)


_body_limit: ContextVar[int] = ContextVar("netcourt_body_limit", default=0)


async def _pulled(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """The chunks of a synchronous iterator, each read in the request thread when it is due;
    the iterator is closed (its file released) however the sending ends."""
    read = sync_to_async(lambda: next(chunks, None), thread_sensitive=True)
    try:
        while (chunk := await read()) is not None:
            yield chunk
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            await sync_to_async(close, thread_sensitive=True)()


def _limit_for(scope: Any) -> int:
    """How many bytes a request's body may hold: a piece of a resumable upload, or the
    largest request the court takes (a browser form with the largest evidence file)."""
    path = str(scope.get("path", ""))
    if path.startswith(UPLOAD_PIECES_PATH):
        return int(settings.NETCOURT_MAX_UPLOAD_PIECE)
    return int(settings.NETCOURT_MAX_REQUEST_BYTES)


def _too_large(limit: int) -> HttpResponse:
    problem = Problem(
        "request_too_large",
        gettext("The request is larger than the court takes (%(bytes)s bytes at most).")
        % {"bytes": limit},
        status=413,
        extra={"max_bytes": limit},
    )
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
