"""HTTP between parts that may live in this server (the sandbox payment service and the
court's payment webhooks) or elsewhere.

A call to a part of this same server is made in-process: the request is built as Django
would build it and the view it resolves to is called directly, in the caller's thread, with
the same headers and body as over the wire. That needs no network and no second worker
(`make run` serves with one process), and it works the same under Django's test client,
where there is no server to call. A part configured elsewhere is called over HTTP.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

from django.test import RequestFactory
from django.urls import Resolver404, resolve
from django.utils import translation

Transport = Callable[[str, str, Mapping[str, str], bytes | None], tuple[int, bytes]]
TIMEOUT_SECONDS = 10


def over_http(
    method: str, url: str, headers: Mapping[str, str], body: bytes | None
) -> tuple[int, bytes]:
    """``method`` ``url`` over the network; an unreachable host raises ``OSError``."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise OSError(f"not an http(s) URL: {url}")
    request = urllib.request.Request(url, data=body, method=method, headers=dict(headers))  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            return int(response.status), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def in_process(
    method: str, url: str, headers: Mapping[str, str], body: bytes | None
) -> tuple[int, bytes]:
    """``method`` ``url`` answered by this server's own view, in this thread."""
    parts = urlsplit(url)
    content_type = next(
        (v for k, v in headers.items() if k.lower() == "content-type"), "application/json"
    )
    request = RequestFactory().generic(
        method,
        parts.path + (f"?{parts.query}" if parts.query else ""),
        data=body or b"",
        content_type=content_type,
        secure=parts.scheme == "https",
        headers={k: v for k, v in headers.items() if k.lower() != "content-type"},
        HTTP_HOST=parts.netloc,
    )
    try:
        match = resolve(parts.path)
    except Resolver404:
        return 404, b""
    # The caller's language stays the caller's, whatever the view activates.
    with translation.override(translation.get_language()):
        response = match.func(request, *match.args, **match.kwargs)
    return response.status_code, response.content
