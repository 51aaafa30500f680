"""A stored file as a download: streamed, never rendered in the site's own origin, whole or
one byte range of it (RFC 9110 §14), so that a player can seek and a download resume.

Only single ranges of bytes are served: ``Range: bytes=a-b``, ``bytes=a-`` and the suffix
``bytes=-n``, the end clamped to the file's last byte, answered ``206 Partial Content`` with
``Content-Range``. A range wholly past the end is ``416`` (problem+json
``range_not_satisfiable``, ``Content-Range: bytes */size``). Several ranges, another unit, or
a header that does not parse are ignored, as RFC 9110 allows: the whole file, ``200``. The
``ETag`` is the file's SHA-256 (a stored file never changes), so ``If-Range`` with it keeps
the range and anything else gets the whole file. Only the bytes asked for are decrypted
(`netcourt.vault.read_range`).

The caller checks who may read and writes the access log before calling: a read of a part is
logged as a read of the whole is, except a later part of a file the same person read a moment
ago (`continues_a_read`: a player seeking, a download resuming).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

from netcourt.core.problems import Problem, problem_response

ByteRange = tuple[int, int]
"""The first and the last byte of a range, both included."""

Read = Callable[[ByteRange | None], Iterator[bytes]]
"""The file's plaintext: whole (None), or only the bytes of the range."""

_SPEC = re.compile(r"([0-9]*)-([0-9]*)")
# More digits than any file has bytes: read as "very large" rather than converted.
_MAX_DIGITS = 18


def file_download(
    request: HttpRequest, read: Read, *, mime: str, size: int, filename: str, sha256: str
) -> HttpResponse | StreamingHttpResponse:
    """The file as an attachment, whole or the range asked for, in a sandbox."""
    response = file_response(request, read, mime=mime, size=size, sha256=sha256)
    response["Content-Security-Policy"] = "sandbox"
    if response.status_code != 416:
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def file_response(
    request: HttpRequest, read: Read, *, mime: str, size: int, sha256: str
) -> HttpResponse | StreamingHttpResponse:
    """The file, whole (200) or the one range the request asks for (206), or 416 for a range
    it does not have; never cached. The caller adds how it is to be shown."""
    etag = f'"{sha256}"'
    wanted = None
    header = request.headers.get("Range")
    if request.method == "GET" and header is not None and _if_range_holds(request, etag):
        try:
            wanted = parse_range(header, size)
        except Problem as problem:
            refused = problem_response(request, problem)
            refused["Content-Range"] = f"bytes */{size}"
            refused["Cache-Control"] = "private, no-store"
            return refused
    if wanted is None:
        response = StreamingHttpResponse(read(None), content_type=mime)
        response["Content-Length"] = str(size)
    else:
        first, last = wanted
        response = StreamingHttpResponse(read(wanted), content_type=mime, status=206)
        response["Content-Length"] = str(last - first + 1)
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-store"
    response["X-Content-SHA256"] = sha256
    return response


def parse_range(header: str, size: int) -> ByteRange | None:
    """The one byte range a ``Range`` header asks of a file of `size` bytes, its end clamped
    to the last byte; None when the header is to be ignored (another unit, several ranges,
    not well formed); ``range_not_satisfiable`` (416) when the file has none of the bytes."""
    unit, equals, ranges = header.partition("=")
    if not equals or unit.lower() != "bytes":
        return None
    specs = [spec.strip() for spec in ranges.split(",") if spec.strip()]
    if len(specs) != 1 or (found := _SPEC.fullmatch(specs[0])) is None:
        return None
    first_digits, last_digits = found.groups()
    if first_digits:
        first = _number(first_digits)
        last = _number(last_digits) if last_digits else None
        if last is not None and last < first:
            return None  # not a valid range: RFC 9110 §14.1.1 says to ignore the header
        if first >= size:
            raise Problem("range_not_satisfiable", status=416)
        return first, size - 1 if last is None else min(last, size - 1)
    if not last_digits:
        return None  # "-" alone
    suffix = _number(last_digits)
    if suffix == 0 or size == 0:
        raise Problem("range_not_satisfiable", status=416)
    return max(size - suffix, 0), size - 1


def continues_a_read(request: HttpRequest) -> bool:
    """Whether the request asks for a part of a file other than its start: what a player
    seeking or a download resuming asks for after a first request."""
    header = request.headers.get("Range", "").replace(" ", "").lower()
    return bool(header) and not header.startswith("bytes=0-")


def _number(digits: str) -> int:
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= _MAX_DIGITS else 10**_MAX_DIGITS


def _if_range_holds(request: HttpRequest, etag: str) -> bool:
    """Whether the range may be served: no ``If-Range``, or one naming this file's ETag
    (compared strongly; a date never matches, as there is no Last-Modified)."""
    condition = request.headers.get("If-Range")
    return condition is None or condition.strip() == etag
