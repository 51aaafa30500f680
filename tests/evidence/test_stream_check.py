"""`scan.StreamCheck`: the checks of `scan.check`, in a thread of their own, on the bytes of a
reading of the file that something else (the store) makes: the same verdicts, bounded memory,
and every failure stops both sides."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from netcourt.evidence import scan
from netcourt.evidence.scan import (
    HANDOFF_PIECES,
    READ_CHUNK,
    ChecksEnded,
    ScanPolicy,
    SizeMismatchError,
    StreamCheck,
    Verdict,
    check,
)

from .conftest import Samples, StreamingReader, parts_size

MiB = 1024 * 1024
pytestmark = pytest.mark.usefixtures("no_hang")
POLICY = ScanPolicy(max_bytes=200 * MiB)


class CountingReader:
    """A file of parts (see `StreamingReader`) that counts the bytes read from it and can be
    made to fail once ``fail_at`` bytes have been read."""

    def __init__(self, parts: list[bytes | tuple[int, int]], fail_at: int | None = None) -> None:
        self._reader = StreamingReader(parts)
        self.read_bytes = 0
        self._fail_at = fail_at

    def read(self, size: int, /) -> bytes:
        if self._fail_at is not None and self.read_bytes >= self._fail_at:
            raise OSError("the disk went away")
        data = self._reader.read(size)
        self.read_bytes += len(data)
        return data


def drain(reader: Any, size: int = 64 * 1024) -> int:
    """Read ``reader`` to its end in reads of ``size`` (as the store does); bytes read."""
    total = 0
    while chunk := reader.read(size):
        total += len(chunk)
    return total


def streamed(parts: list[bytes | tuple[int, int]], filename: str = "evidence.pdf") -> Verdict:
    size = parts_size(parts)
    with StreamCheck(size=size, filename=filename, policy=POLICY) as checking:
        try:
            assert drain(checking.reading(StreamingReader(parts))) == size
        except ChecksEnded:
            pass
        return checking.end()


def scan_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "evidence-scan"]


def _files(samples: Samples) -> Iterator[tuple[str, list[bytes | tuple[int, int]], str]]:
    yield "clean pdf", [samples.pdf()], "a.pdf"
    yield "pdf with javascript", [samples.pdf(b"/OpenAction << /S /JavaScript >>")], "a.pdf"
    yield "elf named pdf", [samples.elf()], "contract.pdf"
    yield "png named html", [samples.png()], "receipt.html"
    yield "text", [b"A letter.\n" * 1000], "a.txt"
    js = samples.pdf(objects=[samples.flate_stream(b"<< /S /JavaScript /JS (x) >>")])
    yield "javascript in a compressed stream", [js], "a.pdf"
    # Over many pieces, the script in the last one (a window of its own, straddling pieces).
    tail = b"\n9 0 obj\n<< /S /JavaScript /JS (app.alert(1)) >>\nendobj\n"
    yield "pdf with javascript 20 MiB in", [b"%PDF-1.7\n", (20 * MiB, 0x20), tail], "a.pdf"
    yield "a long clean pdf", [b"%PDF-1.7\n", (20 * MiB + 17, 0x20), b"%%EOF\n"], "a.pdf"


@pytest.mark.parametrize("which", range(8))
def test_the_streamed_checks_give_the_verdict_check_gives(samples: Samples, which: int) -> None:
    _, parts, filename = list(_files(samples))[which]
    built = samples.stream(*parts)
    expected = check(built.opener, size=built.size, filename=filename, policy=POLICY)
    assert streamed(parts, filename) == expected
    assert not scan_threads()


def test_the_reading_waits_for_the_checks_so_memory_stays_flat(monkeypatch, samples) -> None:
    """While the checks are held up, the reading takes at most HANDOFF_PIECES pieces (and the
    first megabyte libmagic looks at) ahead of them, however long the file is."""
    go_on = threading.Event()
    started = threading.Event()
    real_scan = scan._RuleScanner._scan

    def held_up(self: Any, *args: Any, **kwargs: Any) -> None:
        started.set()
        assert go_on.wait(30)
        real_scan(self, *args, **kwargs)

    monkeypatch.setattr(scan._RuleScanner, "_scan", held_up)
    parts: list[bytes | tuple[int, int]] = [b"%PDF-1.7\n", (64 * MiB, 0x20), b"%%EOF\n"]
    source = CountingReader(parts)
    size = parts_size(parts)
    with StreamCheck(size=size, filename="a.pdf", policy=POLICY) as checking:
        reading = threading.Thread(target=drain, args=(checking.reading(source),))
        reading.start()
        assert started.wait(30)
        time.sleep(0.5)  # time enough to read far more, were it not held back
        ahead = source.read_bytes
        go_on.set()
        reading.join(30)
        verdict = checking.end()
    # The checks hold the window being scanned (8 MiB) and a piece; the hand-off the rest.
    assert ahead <= scan.DEFAULT_WINDOW_BYTES + (HANDOFF_PIECES + 2) * READ_CHUNK
    assert source.read_bytes == size and verdict.ok


def test_checks_that_refuse_early_stop_the_reading(samples: Samples) -> None:
    parts: list[bytes | tuple[int, int]] = [samples.elf(), (40 * MiB, 0)]
    source = CountingReader(parts)
    with StreamCheck(size=parts_size(parts), filename="a.pdf", policy=POLICY) as checking:
        with pytest.raises(ChecksEnded):
            drain(checking.reading(source))
        verdict = checking.end()
    assert verdict.code == "type_not_allowed"
    assert source.read_bytes <= (HANDOFF_PIECES + 3) * READ_CHUNK
    assert not scan_threads()


def test_a_failing_reading_ends_the_checks_thread() -> None:
    parts: list[bytes | tuple[int, int]] = [b"%PDF-1.7\n", (30 * MiB, 0x20)]
    source = CountingReader(parts, fail_at=5 * MiB)
    with (
        pytest.raises(OSError, match="the disk went away"),
        StreamCheck(size=parts_size(parts), filename="a.pdf", policy=POLICY) as checking,
    ):
        drain(checking.reading(source))
    assert not scan_threads()


def test_a_failure_in_the_checks_is_raised_by_end(monkeypatch) -> None:
    def broken(head: bytes) -> str:
        raise RuntimeError("libmagic broke")

    monkeypatch.setattr(scan, "_mime_of", broken)
    parts: list[bytes | tuple[int, int]] = [b"%PDF-1.7\n", (30 * MiB, 0x20)]
    source = CountingReader(parts)
    with StreamCheck(size=parts_size(parts), filename="a.pdf", policy=POLICY) as checking:
        with pytest.raises(ChecksEnded):
            drain(checking.reading(source))
        with pytest.raises(RuntimeError, match="libmagic broke"):
            checking.end()
    assert source.read_bytes < parts_size(parts)
    assert not scan_threads()


def test_a_file_shorter_than_its_size_is_an_error_as_in_check() -> None:
    parts: list[bytes | tuple[int, int]] = [b"%PDF-1.7\n", (3 * MiB, 0x20)]
    with StreamCheck(size=parts_size(parts) + 1, filename="a.pdf", policy=POLICY) as checking:
        drain(checking.reading(StreamingReader(parts)))
        with pytest.raises(SizeMismatchError):
            checking.end()


def test_the_reading_gives_the_file_unchanged_in_reads_of_any_size() -> None:
    data = bytes(range(256)) * 20_000  # 5 MB, several pieces
    parts: list[bytes | tuple[int, int]] = [b"%PDF-1.7\n" + data]
    got = bytearray()
    with StreamCheck(size=parts_size(parts), filename="a.pdf", policy=POLICY) as checking:
        reader = checking.reading(StreamingReader(parts))
        for size in [1, 7, 65_536, READ_CHUNK, 3 * READ_CHUNK, 100]:
            got += reader.read(size)
        while chunk := reader.read(65_536):
            got += chunk
        assert checking.end().ok
    assert bytes(got) == b"%PDF-1.7\n" + data
