"""Downloads: one byte range (206), a range the file does not have (416), everything else the
whole file (200); the headers every download keeps."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import RequestFactory
from django.utils import translation

from netcourt.core.downloads import ByteRange, file_download, file_response, parse_range
from netcourt.core.problems import Problem

DATA = bytes(range(256)) * 4  # 1024 bytes
SHA = hashlib.sha256(DATA).hexdigest()


class Source:
    """The file's bytes as `file_response` reads them, noting each read."""

    def __init__(self, data: bytes = DATA) -> None:
        self.data = data
        self.reads: list[ByteRange | None] = []

    def __call__(self, span: ByteRange | None) -> Iterator[bytes]:
        self.reads.append(span)
        first, last = span if span is not None else (0, len(self.data) - 1)
        yield self.data[first : last + 1]


def answer(headers: dict[str, str] | None = None, method: str = "get", **options: Any) -> Any:
    request = getattr(RequestFactory(), method)("/file", headers=headers or {})
    source = options.pop("source", Source())
    response = file_download(
        request,
        source,
        mime="video/webm",
        size=len(source.data),
        filename="录像 1.webm",
        sha256=SHA,
        **options,
    )
    response.source = source
    return response


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-0", (0, 0)),
        ("bytes=0-99", (0, 99)),
        ("bytes=100-", (100, 1023)),
        ("bytes=1000-5000", (1000, 1023)),  # the end clamped to the last byte
        ("bytes=1023-1023", (1023, 1023)),
        ("bytes=-1", (1023, 1023)),
        ("bytes=-100", (924, 1023)),
        ("bytes=-5000", (0, 1023)),  # a suffix longer than the file: all of it
        ("bytes=0-", (0, 1023)),
        ("BYTES=5-9", (5, 9)),  # the unit is case-insensitive
        ("bytes= 5-9 ", (5, 9)),
        ("bytes=5-9,", (5, 9)),  # an empty list element does not count
        ("bytes=0005-0009", (5, 9)),
        ("bytes=5-" + "9" * 40, (5, 1023)),
        # Ignored: the whole file.
        ("bytes=0-1,5-9", None),
        ("bytes=0-1, -5", None),
        ("items=0-1", None),
        ("bytes 0-1", None),
        ("bytes=", None),
        ("bytes=-", None),
        ("bytes=a-b", None),
        ("bytes=1-2-3", None),
        ("bytes=+1-2", None),
        ("bytes=9-5", None),  # last before first: not a valid range
        ("bytes=١-٢", None),  # only ASCII digits
        ("", None),
    ],
)
def test_the_range_header_is_read_as_rfc_9110_says(header: str, expected: ByteRange | None) -> None:
    assert parse_range(header, 1024) == expected


@pytest.mark.parametrize(
    ("header", "size"),
    [
        ("bytes=1024-", 1024),
        ("bytes=1024-2000", 1024),
        ("bytes=" + "9" * 40 + "-", 1024),
        ("bytes=-0", 1024),
        ("bytes=0-", 0),
        ("bytes=-5", 0),
    ],
)
def test_a_range_the_file_does_not_have_is_not_satisfiable(header: str, size: int) -> None:
    with pytest.raises(Problem) as refused:
        parse_range(header, size)
    assert (refused.value.code, refused.value.status) == ("range_not_satisfiable", 416)


def test_without_a_range_the_whole_file_says_ranges_are_accepted() -> None:
    response = answer()
    assert response.status_code == 200
    assert body(response) == DATA and response.source.reads == [None]
    assert response["Content-Length"] == "1024"
    assert response["Accept-Ranges"] == "bytes"
    assert response["ETag"] == f'"{SHA}"'
    assert "Content-Range" not in response
    assert response["Content-Type"] == "video/webm"
    assert response["Content-Disposition"] == (
        "attachment; filename*=UTF-8''%E5%BD%95%E5%83%8F%201.webm"
    )
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-SHA256"] == SHA


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [("bytes=10-19", 10, 19), ("bytes=1000-", 1000, 1023), ("bytes=-24", 1000, 1023)],
)
def test_one_range_is_206_with_only_those_bytes(header: str, first: int, last: int) -> None:
    response = answer({"Range": header})
    assert response.status_code == 206
    assert body(response) == DATA[first : last + 1]
    assert response.source.reads == [(first, last)]  # only those bytes were asked of the vault
    assert response["Content-Range"] == f"bytes {first}-{last}/1024"
    assert response["Content-Length"] == str(last - first + 1)
    assert response["Accept-Ranges"] == "bytes"
    assert response["ETag"] == f'"{SHA}"'
    assert response["Content-Type"] == "video/webm"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-SHA256"] == SHA  # the whole file's hash, as the ETag


def test_a_range_past_the_end_is_416_problem_json_in_the_readers_language() -> None:
    response = answer({"Range": "bytes=2000-"})
    assert response.status_code == 416
    assert response["Content-Type"] == "application/problem+json"
    assert response["Content-Range"] == "bytes */1024"
    assert response["Cache-Control"] == "private, no-store"
    assert "Content-Disposition" not in response
    problem = json.loads(response.content)
    assert problem["code"] == "range_not_satisfiable" and problem["status"] == 416
    assert problem["type"].endswith("/range_not_satisfiable")
    assert response.source.reads == []
    with translation.override("zh-hans"):
        chinese = json.loads(answer({"Range": "bytes=2000-"}).content)
    assert chinese["code"] == "range_not_satisfiable"


@pytest.mark.parametrize("header", ["bytes=0-1,5-9", "lines=1-2", "bytes=9-5", "bytes=x"])
def test_several_ranges_or_a_header_that_does_not_parse_get_the_whole_file(header: str) -> None:
    response = answer({"Range": header})
    assert response.status_code == 200
    assert body(response) == DATA and "Content-Range" not in response
    assert response["Content-Length"] == "1024"


def test_if_range_keeps_the_range_only_for_this_files_etag() -> None:
    kept = answer({"Range": "bytes=0-9", "If-Range": f'"{SHA}"'})
    assert kept.status_code == 206 and body(kept) == DATA[:10]
    for other in ('"0000"', f'W/"{SHA}"', "Tue, 01 Dec 2026 10:00:00 GMT"):
        whole = answer({"Range": "bytes=0-9", "If-Range": other})
        assert whole.status_code == 200 and body(whole) == DATA, other
    # An If-Range that fails gives the whole file, never a 416.
    assert answer({"Range": "bytes=5000-", "If-Range": '"0000"'}).status_code == 200


def test_only_a_get_is_answered_with_a_range() -> None:
    response = answer({"Range": "bytes=0-9"}, method="head")
    assert response.status_code == 200
    assert response["Content-Length"] == "1024"


def test_the_file_response_alone_adds_no_disposition_nor_sandbox() -> None:
    """What recordings use: played in the browser, so no attachment."""
    request = RequestFactory().get("/file", headers={"Range": "bytes=1-2"})
    response = file_response(request, Source(), mime="video/webm", size=1024, sha256=SHA)
    assert response.status_code == 206 and body(response) == DATA[1:3]
    assert "Content-Disposition" not in response
    assert "Content-Security-Policy" not in response
    assert response["Accept-Ranges"] == "bytes"
