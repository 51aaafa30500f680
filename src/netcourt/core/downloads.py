"""A stored file as a download: streamed, never rendered in the site's own origin."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

from django.http import StreamingHttpResponse


def file_download(
    chunks: Iterator[bytes], *, mime: str, size: int, filename: str, sha256: str
) -> StreamingHttpResponse:
    response = StreamingHttpResponse(chunks, content_type=mime)
    response["Content-Length"] = str(size)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    response["X-Content-SHA256"] = sha256
    return response
