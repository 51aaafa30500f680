"""The ASGI application uvicorn serves.

Django under ASGI builds its middleware chain for an async request path. Our middleware and
views are synchronous (they use the ORM), so that path hops between the event loop and a
worker thread for every middleware's request and response hooks, and twice more around a
synchronous middleware in the middle of the chain: about twenty thread switches a request.
:class:`SyncStackHandler` builds the synchronous chain, the one Django builds under WSGI, and
runs it whole in the request's thread: one switch there and one back. Reading the request
body, sending the response and (later) WebSockets stay on the event loop.
See docs/decisions/0004-one-thread-hop-per-request.md.

Request bodies too big for memory wait on disk encrypted (`netcourt.core.spool`), never in
clear: an evidence file may be in one.
"""

from __future__ import annotations

import os
from typing import Any

import django
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler

from netcourt.core.spool import EncryptedSpool

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "netcourt.core.settings")


class SyncStackHandler(ASGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)
        chain: Any = self._middleware_chain  # type: ignore[has-type]  # untyped in django-stubs
        self._middleware_chain = sync_to_async(chain, thread_sensitive=True)

    async def read_body(self, receive: Any) -> Any:
        """Django's own, with an `EncryptedSpool` for the body instead of a temporary file."""
        body = EncryptedSpool(settings.FILE_UPLOAD_MAX_MEMORY_SIZE)
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                body.close()
                raise RequestAborted()
            if "body" in message:
                body.write(message["body"])
            if not message.get("more_body", False):
                break
        body.seek(0)
        return body


django.setup(set_prefix=False)
application = SyncStackHandler()
