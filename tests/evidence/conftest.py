"""Fixtures for the evidence checks: files built in the test, streaming openers, and a real
clamd with signature databases of its own (no freshclam, no downloaded database)."""

from __future__ import annotations

import contextlib
import faulthandler
import hashlib
import io
import shutil
import struct
import subprocess
import tempfile
import time
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from netcourt.evidence.clamd import ClamdClient, Opener
from tests.net import free_port

# The EICAR test file, built from two parts so that this source file does not itself look
# like the test virus to a scanner on a developer's machine.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
EICAR_SIGNATURE = "Netcourt.Test.EICAR"
# A pattern only our own ClamAV database knows.
TEST_PATTERN = b"NETCOURT-CLAMAV-TEST-PATTERN-" + b"7f3c9a61e2"
TEST_PATTERN_SIGNATURE = "Netcourt.Test.Pattern"
CLAMD_STREAM_MAX = 32 * 1024 * 1024


class StreamingReader:
    """A file made of parts, some of them long runs of one byte, produced as it is read:
    a 100 MiB file costs no memory. ``max_read`` caps each read, like a decrypting stream
    that returns a chunk at a time."""

    def __init__(self, parts: list[bytes | tuple[int, int]], max_read: int | None = None) -> None:
        self._parts = list(parts)
        self._index = 0
        self._offset = 0
        self._max_read = max_read

    def read(self, size: int = -1, /) -> bytes:
        if size < 0:
            raise AssertionError("the checks must never read a file whole")
        if self._max_read is not None:
            size = min(size, self._max_read)
        out: list[bytes] = []
        while size > 0 and self._index < len(self._parts):
            part = self._parts[self._index]
            length = len(part) if isinstance(part, bytes) else part[0]
            take = min(size, length - self._offset)
            if isinstance(part, bytes):
                out.append(part[self._offset : self._offset + take])
            else:
                out.append(bytes([part[1]]) * take)
            self._offset += take
            size -= take
            if self._offset == length:
                self._index += 1
                self._offset = 0
        return b"".join(out)


def parts_size(parts: list[bytes | tuple[int, int]]) -> int:
    return sum(len(part) if isinstance(part, bytes) else part[0] for part in parts)


@dataclass
class Built:
    """A test file and what `check` needs to read it."""

    opener: Opener
    size: int
    opened: list[int]

    @property
    def times_opened(self) -> int:
        return len(self.opened)


def _built(parts: list[bytes | tuple[int, int]], max_read: int | None = None) -> Built:
    opened: list[int] = []

    @contextlib.contextmanager
    def opener() -> Iterator[StreamingReader]:
        opened.append(1)
        yield StreamingReader(parts, max_read)

    return Built(opener=opener, size=parts_size(parts), opened=opened)


class Samples:
    """Builders for the files the tests check: small but real enough for libmagic."""

    @staticmethod
    def stream(*parts: bytes | tuple[int, int], max_read: int | None = None) -> Built:
        """A file of the given parts; a part ``(n, byte)`` is ``n`` copies of ``byte``."""
        return _built(list(parts), max_read)

    @staticmethod
    def of(data: bytes) -> Built:
        return _built([data])

    @staticmethod
    def pdf(*catalog_extra: bytes, objects: list[bytes] | None = None) -> bytes:
        """A minimal valid one-page PDF; ``catalog_extra`` goes into the catalog dictionary,
        ``objects`` are extra ``n 0 obj`` bodies (numbered from 4). The xref is right."""
        bodies = [
            b"<< /Type /Catalog /Pages 2 0 R " + b" ".join(catalog_extra) + b" >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
            *(objects or []),
        ]
        out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(bodies, start=1):
            offsets.append(len(out))
            out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
        xref = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1)
        for offset in offsets:
            out += b"%010d 00000 n \n" % offset
        out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
            len(bodies) + 1,
            xref,
        )
        return bytes(out)

    @staticmethod
    def flate_stream(data: bytes, extra: bytes = b"") -> bytes:
        """An object body: a FlateDecode stream holding ``data``."""
        packed = zlib.compress(data)
        head = b"<< /Length %d /Filter /FlateDecode %s>>\nstream\r\n" % (len(packed), extra)
        return head + packed + b"\r\nendstream"

    @staticmethod
    def png() -> bytes:
        def chunk(kind: bytes, data: bytes) -> bytes:
            crc = zlib.crc32(kind + data)
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

        header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
        pixels = zlib.compress(b"\x00\xff\x00\x00")
        return (
            b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", header)
            + chunk(b"IDAT", pixels)
            + chunk(b"IEND", b"")
        )

    @staticmethod
    def jpeg(comment: bytes = b"") -> bytes:
        app0 = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
        com = b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment if comment else b""
        return b"\xff\xd8" + app0 + com + b"\xff\xd9"

    @staticmethod
    def elf() -> bytes:
        ident = b"\x7fELF\x02\x01\x01" + b"\x00" * 9
        header = struct.pack("<HHIQQQIHHHHHH", 2, 0x3E, 1, 0x401000, 64, 0, 0, 64, 56, 0, 64, 0, 0)
        return ident + header + b"\x00" * 64

    @staticmethod
    def pe() -> bytes:
        dos = b"MZ" + b"\x00" * 58 + struct.pack("<I", 64)
        coff = b"PE\x00\x00" + struct.pack("<HHIIIHH", 0x14C, 0, 0, 0, 0, 0xE0, 0x0102)
        return dos + coff + b"\x00" * 0xE0

    @staticmethod
    def docx(*, macros: bool) -> bytes:
        """A Word document; with ``macros`` a .docm-like one with a vbaProject.bin part."""
        buffer = io.BytesIO()
        content_types = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" ContentType="application/'
            "vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
            '"/></Types>'
        )
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("[Content_Types].xml", content_types)
            archive.writestr("_rels/.rels", "<Relationships/>")
            archive.writestr("word/document.xml", "<w:document>JavaScript</w:document>")
            if macros:
                ole = bytes.fromhex("D0CF11E0A1B11AE1") + "_VBA_PROJECT".encode("utf-16-le")
                archive.writestr("word/vbaProject.bin", ole)
        return buffer.getvalue()

    @staticmethod
    def ole_with_vba() -> bytes:
        """The start of an OLE2 compound file (a .doc) whose directory names _VBA_PROJECT."""
        header = (
            bytes.fromhex("D0CF11E0A1B11AE1")
            + b"\x00" * 16
            + bytes.fromhex("3E000300FEFF09000600")
            + b"\x00" * 478
        )
        return header + "_VBA_PROJECT".encode("utf-16-le") + b"\x00" * 1024


@pytest.fixture
def samples() -> Samples:
    return Samples()


@pytest.fixture
def no_hang() -> Iterator[None]:
    """For tests of threads that must end: a test still running after two minutes (a thread
    waiting for one that is gone) ends the whole test run at once, exit status 1, the last
    test named being the one that hung, rather than hanging it."""
    faulthandler.dump_traceback_later(120, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


# -- a real clamd ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Clamd:
    unix_address: str
    tcp_address: str
    directory: Path


def _clamd_binary() -> str:
    found = shutil.which("clamd") or (
        "/usr/sbin/clamd" if Path("/usr/sbin/clamd").is_file() else None
    )
    if found is None:
        pytest.fail(
            "clamd (ClamAV's daemon) is not installed: run `make install-test` "
            "(as root it installs Debian's clamav-daemon package)",
            pytrace=False,
        )
    return found


def _write_databases(directory: Path) -> None:
    # An MD5 hash signature (hash:size:name) for the EICAR file, a body signature
    # (name:target type 0 = any:offset * = anywhere:hex) for our pattern.
    md5 = hashlib.md5(EICAR).hexdigest()
    (directory / "netcourt-test.hdb").write_text(f"{md5}:{len(EICAR)}:{EICAR_SIGNATURE}\n")
    (directory / "netcourt-test.ndb").write_text(
        f"{TEST_PATTERN_SIGNATURE}:0:*:{TEST_PATTERN.hex()}\n"
    )


@pytest.fixture(scope="session")
def clamd() -> Iterator[Clamd]:
    """A clamd of our own in a temporary directory, on a Unix socket and a TCP port on
    127.0.0.1, with only our test signatures. Fails (does not skip) without clamd."""
    binary = _clamd_binary()
    # Short path: a Unix socket path must fit in 108 bytes.
    directory = Path(tempfile.mkdtemp(prefix="nc-clamd-"))
    socket_path = directory / "clamd.sock"
    port = free_port()
    _write_databases(directory)
    config = directory / "clamd.conf"
    config.write_text(
        "\n".join(
            [
                f"LocalSocket {socket_path}",
                f"TCPSocket {port}",
                "TCPAddr 127.0.0.1",
                f"DatabaseDirectory {directory}",
                f"TemporaryDirectory {directory}",
                f"LogFile {directory / 'clamd.log'}",
                f"PidFile {directory / 'clamd.pid'}",
                "Foreground yes",
                f"StreamMaxLength {CLAMD_STREAM_MAX // (1024 * 1024)}M",
                "MaxFileSize 64M",
                "MaxScanSize 64M",
                "",
            ]
        )
    )
    log = (directory / "stdout.log").open("wb")
    process = subprocess.Popen(
        [binary, "--config-file", str(config)], stdout=log, stderr=subprocess.STDOUT
    )
    unix = ClamdClient(f"unix:{socket_path}", timeout=30)
    tcp = ClamdClient(f"tcp:127.0.0.1:{port}", timeout=30)
    try:
        deadline = time.monotonic() + 90
        while not (unix.ping() and tcp.ping()):
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                output = (directory / "stdout.log").read_text(errors="replace")
                pytest.fail(f"clamd did not start:\n{output}", pytrace=False)
            time.sleep(0.1)
        yield Clamd(unix.address, tcp.address, directory)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def unreachable_clamd(tmp_path: Path) -> ClamdClient:
    """A client for a clamd that is not there (a socket path nobody listens on)."""
    return ClamdClient(f"unix:{tmp_path / 'nobody.sock'}", connect_timeout=1)
