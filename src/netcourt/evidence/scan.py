# mypy: disallow-any-generics, disallow-subclassing-any, disallow-untyped-calls
# mypy: disallow-untyped-defs, disallow-incomplete-defs, check-untyped-defs
# mypy: disallow-untyped-decorators, warn-redundant-casts, warn-unused-ignores, warn-return-any
# mypy: no-implicit-reexport, strict-equality, extra-checks
"""The checks an evidence file passes before a court accepts it.

`check` decides, in this order:

1. size: ``empty`` (0 bytes) or ``too_large`` (over ``ScanPolicy.max_bytes``);
2. type: ``type_not_allowed`` unless libmagic's MIME type, read from the file's first bytes,
   is a key of ``ScanPolicy.allowed_types``. The file name is not trusted: a PE executable
   named ``contract.pdf`` is refused, a real PDF named ``x.txt`` is accepted as a PDF (the
   verdict gives the extension to store it under);
3. active content: ``active_content`` when a rule of ``rules/active_content.yar`` matches
   (JavaScript, launch actions or embedded files in a PDF, VBA macros in an Office document,
   an executable, script in HTML/SVG); the detail names the rule;
4. malware: when a clamd is configured, ``malware`` if it finds a signature, and
   ``scanner_unavailable`` if it cannot be reached or cannot scan the file (fail closed).

The file is given as an *opener*, a function returning a context manager that yields a fresh
binary stream from the first byte each time: it may be a 2 GB decrypting stream, so it is
never read whole. Memory stays bounded (about 14 MiB of buffers with the default 8 MiB window,
whatever the file's size): YARA runs over overlapping windows, and the type is decided from
the first ``MAGIC_BYTES``. The file is read twice when clamd is configured (once for the type
and the rules, once for clamd).

A caller that reads the file anyway (to store it) runs checks 1 to 3 with `StreamCheck`
instead, on the bytes of that one reading: they run in a thread of their own (YARA, like
hashing, encrypting and file I/O, releases the GIL, so the two overlap), fed through a bounded
hand-off (``HANDOFF_PIECES`` pieces of ``READ_CHUNK`` bytes at most wait, so memory stays
flat), and `check_malware` does check 4 afterwards, reading the file again.

A PDF is split as it is read into its structure (everything outside stream bodies) and its
stream bodies, each scanned on its own (see `_PdfRouter`): a zlib (FlateDecode) body is
inflated and the inflated bytes are scanned, since dictionaries inside compressed object
streams (PDF 1.5+) would hide a ``/JavaScript`` from a raw scan; other bodies are scanned raw.
Three-letter names (/JS, /EF) are looked for only outside streams and in object streams: they
occur by chance in binary image data. Inflation is limited to
``max(INFLATE_BUDGET_FLOOR, INFLATE_BUDGET_RATIO × size)`` in all; a PDF that inflates to
more is refused as ``active_content`` with the rule ``pdf_inflate_limit``; one with more than
``MAX_ESCAPED_NAMES`` names with a hex-escaped letter, with ``pdf_escape_limit``. Streams under
other filters (ASCIIHex, ASCII85, LZW, chained filters) are scanned raw, not decoded.

No Django here: the evidence app calls `check` from its action and maps the verdict's stable
``code`` to its translated message.
"""

from __future__ import annotations

import contextlib
import functools
import re
import threading
import zlib
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import Any, Final, Protocol

import yara

from netcourt.evidence.clamd import ClamdClient, ClamdError, Opener, Reader

__all__ = [
    "CODES",
    "DEFAULT_ALLOWED_TYPES",
    "HANDOFF_PIECES",
    "RULES_PATH",
    "ChecksEnded",
    "Opener",
    "Reader",
    "ScanPolicy",
    "SizeMismatchError",
    "StreamCheck",
    "Verdict",
    "check",
    "check_malware",
    "rule_names",
]

KiB: Final = 1024
MiB: Final = 1024 * KiB

DEFAULT_WINDOW_BYTES: Final = 8 * MiB
DEFAULT_WINDOW_OVERLAP: Final = 64 * KiB
MIN_WINDOW_BYTES: Final = 4 * KiB
MIN_WINDOW_OVERLAP: Final = 256
"""Longer than any string of the rules, so a match straddling two windows is whole in one."""
MAGIC_BYTES: Final = 1 * MiB
"""How much of the file's start libmagic sees (its own default read limit is larger)."""
READ_CHUNK: Final = 1 * MiB
STREAM_WINDOW_BYTES: Final = 1 * MiB
"""Window size for PDF stream bodies, scanned each on its own."""
INFLATE_INPUT_CHUNK: Final = 64 * KiB
INFLATE_OUTPUT_CHUNK: Final = 256 * KiB
INFLATE_BUDGET_FLOOR: Final = 256 * MiB
INFLATE_BUDGET_RATIO: Final = 8
YARA_TIMEOUT_SECONDS: Final = 120
HANDOFF_PIECES: Final = 8
"""Pieces (of at most ``READ_CHUNK`` bytes) waiting for `StreamCheck`'s thread at most: the
reading waits while it is this far ahead of the checks."""
MAX_ESCAPED_NAMES: Final = 10_000
"""Names with a hex-escaped letter decoded in one PDF at most (see `_RuleScanner`); a PDF with
more is refused as ``active_content`` with the rule ``pdf_escape_limit``. Random binary data
holds a few dozen such names per GiB by chance."""

RULES_PATH: Final = Path(__file__).with_name("rules") / "active_content.yar"

CODES: Final = (
    "empty",
    "too_large",
    "type_not_allowed",
    "active_content",
    "malware",
    "scanner_unavailable",
)
"""The stable refusal codes a `Verdict` carries."""

DEFAULT_ALLOWED_TYPES: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "application/pdf": ("pdf",),
        "image/jpeg": ("jpg", "jpeg"),
        "image/png": ("png",),
        "text/plain": ("txt",),
        "video/mp4": ("mp4",),
        "audio/mpeg": ("mp3",),
    }
)
"""MIME type (as libmagic names it) → file extensions, the first being the one to store under.

Archives (zip, rar, 7z), Office documents, HTML, SVG and executables are left out: archives
and Office files carry content the checks cannot see into (a macro can live in any zip part
named in a relationship file), and markup runs script in a browser."""

_HINT_RULE: Final = "pdf_hex_escaped_name"
_INFLATE_LIMIT_RULE: Final = "pdf_inflate_limit"
_ESCAPE_LIMIT_RULE: Final = "pdf_escape_limit"
_NAME_DELIMITERS: Final = rb"\x00\x09\x0a\x0c\x0d\x20()<>\[\]{}/%"
# A name that escapes an ASCII letter, as pdf_hex_escaped_name finds it, to its end.
_ESCAPED_NAME: Final = re.compile(
    rb"/[A-Za-z]{0,15}#(?:4[1-9A-Fa-f]|5[0-9Aa]|6[1-9A-Fa-f]|7[0-9Aa])[^"
    + _NAME_DELIMITERS
    + rb"]*"
)
_HEX_ESCAPE: Final = re.compile(rb"#([0-9A-Fa-f]{2})")


@dataclass(frozen=True)
class Verdict:
    """``ok`` with the MIME type found, or a refusal with a stable ``code`` (see `CODES`).

    ``detail`` holds strings for the message and the log: ``mime`` when refused by type,
    ``rule``/``rules`` for active content, ``signature`` for malware, ``scanner``/``reason``
    when a scanner failed, ``size``/``max_bytes`` when too large. An accepted file's detail has
    ``extension`` (the one to store it under), ``filename_extension`` and ``extension_matches``
    (``"true"``/``"false"``).
    """

    ok: bool
    mime: str
    code: str | None = None
    detail: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ScanPolicy:
    """What a court accepts. ``allowed_types`` maps a MIME type to its extensions, the first
    being the canonical one. ``disabled_rules`` names rules of active_content.yar that this
    court does not apply (for example ``pdf_embedded_file`` where PDF/A-3 e-invoices are
    evidence). The window sizes are for tests; the defaults suit production."""

    max_bytes: int
    allowed_types: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: DEFAULT_ALLOWED_TYPES
    )
    clamd: ClamdClient | None = None
    disabled_rules: frozenset[str] = frozenset()
    inflate_pdf_streams: bool = True
    window_bytes: int = DEFAULT_WINDOW_BYTES
    window_overlap: int = DEFAULT_WINDOW_OVERLAP

    def __post_init__(self) -> None:
        if self.max_bytes < 1:
            raise ValueError("max_bytes must be positive")
        if self.window_bytes < MIN_WINDOW_BYTES:
            raise ValueError(f"window_bytes must be at least {MIN_WINDOW_BYTES}")
        if not MIN_WINDOW_OVERLAP <= self.window_overlap <= self.window_bytes // 2:
            raise ValueError(
                f"window_overlap must be between {MIN_WINDOW_OVERLAP} and window_bytes / 2"
            )
        for mime, extensions in self.allowed_types.items():
            if not extensions:
                raise ValueError(f"allowed type {mime} needs at least one extension")
        unknown = self.disabled_rules - set(rule_names())
        if unknown:
            raise ValueError(f"unknown rules: {', '.join(sorted(unknown))}")


class SizeMismatchError(ValueError):
    """The stream held a different number of bytes than the ``size`` given to `check`: the
    stored blob is not what was recorded, which is the caller's error, not the filer's."""


def check(opener: Opener, *, size: int, filename: str, policy: ScanPolicy) -> Verdict:
    """Run the checks on one file; see the module's documentation for the order and codes."""
    verdict = _check_file(opener, size=size, filename=filename, policy=policy)
    if not verdict.ok or policy.clamd is None:
        return verdict
    return check_malware(opener, policy.clamd, verdict)


def check_malware(opener: Opener, clamd: ClamdClient, verdict: Verdict) -> Verdict:
    """Check 4 (clamd) for a file that passed the others with ``verdict``: that verdict if
    clamd finds nothing, else ``malware``, or ``scanner_unavailable`` when clamd fails."""
    try:
        result = clamd.scan(opener)
    except ClamdError as exc:
        detail = {"scanner": "clamd", "reason": str(exc)}
        return Verdict(ok=False, mime=verdict.mime, code="scanner_unavailable", detail=detail)
    if result.found:
        detail = {"signature": result.signature or ""}
        return Verdict(ok=False, mime=verdict.mime, code="malware", detail=detail)
    return verdict


def _check_file(opener: Opener, *, size: int, filename: str, policy: ScanPolicy) -> Verdict:
    """Checks 1 to 3: size, type, active content."""
    if size < 0:
        raise ValueError("size must not be negative")
    if size == 0:
        return Verdict(ok=False, mime="", code="empty")
    if size > policy.max_bytes:
        detail = {"size": str(size), "max_bytes": str(policy.max_bytes)}
        return Verdict(ok=False, mime="", code="too_large", detail=detail)
    try:
        return _check_content(opener, size=size, filename=filename, policy=policy)
    except _Refused as refused:
        return refused.verdict


class ChecksEnded(Exception):
    """`StreamCheck`'s checks ended before the file did (they refused it, or failed): stop
    reading; `StreamCheck.end` gives the verdict or raises the failure."""


class StreamCheck:
    """Checks 1 to 3 of `check` (size, type, active content; not clamd: see `check_malware`)
    in a thread of their own, on bytes a reading of the file in this thread hands them, so
    that a caller that reads the file for something else (storing it) reads it once::

        with StreamCheck(size=size, filename=name, policy=policy) as checking:
            try:
                store(checking.reading(reader))  # reads all of `reader`
            except ChecksEnded:
                ...  # refused (or failed) early: the store was left unfinished
            verdict = checking.end()

    `reading` wraps the file's stream: each piece read from it (``READ_CHUNK`` bytes) is handed
    to the checks too, and once the stream ends the checks learn it. At most
    ``HANDOFF_PIECES`` pieces wait for the checks; the reading waits while the checks are that
    far behind, so memory stays flat whatever the file's size. When the checks end early (the
    file is refused, or they fail), the next read raises `ChecksEnded`. `end` waits for the
    checks and gives their verdict, the same `check` gives without clamd, or raises what
    failed in them. Leaving the block by an exception stops the checks (their next read of
    the hand-off raises) and waits for their thread: none outlives the block.
    """

    def __init__(self, *, size: int, filename: str, policy: ScanPolicy) -> None:
        self._handoff = _HandOff(HANDOFF_PIECES)
        self._verdict: Verdict | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, args=(size, filename, policy), name="evidence-scan", daemon=True
        )

    def __enter__(self) -> StreamCheck:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._handoff.abandon()  # no effect once `end` has returned: the thread is done
        self._thread.join()

    def reading(self, source: Reader) -> Reader:
        """``source``, with each piece read from it handed to the checks too."""
        return _Tee(source, self._handoff)

    def end(self) -> Verdict:
        """The checks' verdict, once they have seen the whole file (or refused it)."""
        self._handoff.close()
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._verdict is not None
        return self._verdict

    def _run(self, size: int, filename: str, policy: ScanPolicy) -> None:
        try:
            self._verdict = _check_file(self._open, size=size, filename=filename, policy=policy)
        except BaseException as error:  # raised again by `end`, in the caller's thread
            self._error = error
        finally:
            self._handoff.stop()

    @contextlib.contextmanager
    def _open(self) -> Iterator[Reader]:
        yield self._handoff


class _Abandoned(Exception):
    """The reading that fed the checks failed: they stop."""


class _HandOff:
    """Pieces of a file passed from the thread that reads it to the thread that checks it,
    ``limit`` waiting at most. The checks read it as a stream; the reading thread `put`s
    pieces, then `close`s it at the end of the file or `abandon`s it when it fails; the
    checks `stop` it when they end, after which `put` takes nothing."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._pieces: deque[bytes] = deque()
        self._changed = threading.Condition()
        self._closed = False
        self._abandoned = False
        self._stopped = False
        self._rest = _Rest()

    def put(self, piece: bytes) -> bool:
        """Hand ``piece`` over, waiting while ``limit`` pieces wait; False once the checks
        have ended (the piece is not taken)."""
        with self._changed:
            while len(self._pieces) >= self._limit and not self._stopped:
                self._changed.wait()
            if self._stopped:
                return False
            self._pieces.append(piece)
            self._changed.notify_all()
            return True

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def abandon(self) -> None:
        with self._changed:
            self._abandoned = True
            self._changed.notify_all()

    def stop(self) -> None:
        with self._changed:
            self._stopped = True
            self._pieces.clear()
            self._changed.notify_all()

    def read(self, size: int, /) -> bytes:
        if not self._rest:
            with self._changed:
                while not self._pieces and not self._closed and not self._abandoned:
                    self._changed.wait()
                if self._abandoned:
                    raise _Abandoned("the reading of the file failed")
                if not self._pieces:
                    return b""
                self._rest = _Rest(self._pieces.popleft())
                self._changed.notify_all()
        return self._rest.take(size)


class _Tee:
    """Reads ``source`` a piece at a time, hands each piece to ``handoff`` and gives it out in
    reads of any size; closes ``handoff`` at the end of ``source``."""

    def __init__(self, source: Reader, handoff: _HandOff) -> None:
        self._source = source
        self._handoff = handoff
        self._rest = _Rest()

    def read(self, size: int, /) -> bytes:
        if not self._rest:
            piece = self._source.read(READ_CHUNK)
            if not piece:
                self._handoff.close()
                return b""
            if not self._handoff.put(piece):
                raise ChecksEnded()
            self._rest = _Rest(piece)
        return self._rest.take(size)


class _Rest:
    """What is left of a piece to give out, in reads of any size (the whole piece, uncopied,
    when it fits)."""

    def __init__(self, piece: bytes = b"") -> None:
        self._piece = piece
        self._at = 0

    def __bool__(self) -> bool:
        return self._at < len(self._piece)

    def take(self, size: int) -> bytes:
        if self._at == 0 and (size < 0 or size >= len(self._piece)):
            self._at = len(self._piece)
            return self._piece
        end = len(self._piece) if size < 0 else self._at + size
        out = self._piece[self._at : end]
        self._at += len(out)
        return out


@functools.cache
def rule_names() -> tuple[str, ...]:
    """The names of the rules in active_content.yar, in file order."""
    text = RULES_PATH.read_text(encoding="utf-8")
    names = re.findall(r"^\s*(?:private\s+)?rule\s+(\w+)", text, flags=re.MULTILINE)
    return (*names, _INFLATE_LIMIT_RULE, _ESCAPE_LIMIT_RULE)


# -- the content pass --------------------------------------------------------------------


class _Refused(Exception):
    def __init__(self, verdict: Verdict) -> None:
        super().__init__(verdict.code)
        self.verdict = verdict


def _check_content(opener: Opener, *, size: int, filename: str, policy: ScanPolicy) -> Verdict:
    filename_extension = _extension(filename)
    with opener() as reader:
        head = _read_up_to(reader, min(MAGIC_BYTES, size + 1))
        if not head:
            raise SizeMismatchError(f"expected {size} bytes, the stream is empty")
        try:
            mime = _mime_of(head)
        except LibmagicMissing as error:
            detail = {"scanner": "libmagic", "reason": str(error)}
            return Verdict(ok=False, mime="", code="scanner_unavailable", detail=detail)
        extensions = policy.allowed_types.get(mime)
        if extensions is None:
            detail = {"mime": mime, "filename_extension": filename_extension}
            return Verdict(ok=False, mime=mime, code="type_not_allowed", detail=detail)

        pdf_like = mime == "application/pdf" or b"%PDF-" in head[:1024]
        scanner = _RuleScanner(mime=mime, pdf_like=pdf_like, disabled=policy.disabled_rules)
        sink: _Sink
        if pdf_like:
            sink = _PdfRouter(scanner, policy, budget=_inflate_budget(size))
        else:
            sink = _Windows(policy.window_bytes, policy.window_overlap, scanner.on_structure)

        total = len(head)
        chunk = head
        del head
        while chunk:
            if total > size:
                raise SizeMismatchError(f"expected {size} bytes, the stream holds more")
            sink.feed(chunk)
            chunk = reader.read(READ_CHUNK)
            if len(chunk) > READ_CHUNK:
                raise ValueError("the reader returned more bytes than asked for")
            total += len(chunk)
        if total != size:
            raise SizeMismatchError(f"expected {size} bytes, the stream holds {total}")
        sink.finish()

    detail = {
        "extension": extensions[0],
        "filename_extension": filename_extension,
        "extension_matches": "true" if filename_extension in extensions else "false",
    }
    return Verdict(ok=True, mime=mime, detail=detail)


def _inflate_budget(size: int) -> int:
    return max(INFLATE_BUDGET_FLOOR, INFLATE_BUDGET_RATIO * size)


def _read_up_to(reader: Reader, size: int) -> bytes:
    parts: list[bytes] = []
    got = 0
    while got < size:
        part = reader.read(min(READ_CHUNK, size - got))
        if not part:
            break
        if len(part) > size - got:
            raise ValueError("the reader returned more bytes than asked for")
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def _extension(filename: str) -> str:
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, extension = name.rpartition(".")
    return extension.lower() if dot and stem else ""


class LibmagicMissing(Exception):
    """The system's libmagic (Debian: libmagic1) is not installed: no file can be typed."""


@functools.cache
def _magic() -> Any:
    # Imported here, not with the module: without libmagic the court still runs and refuses
    # files (fail closed) instead of failing to start.
    try:
        import magic
    except ImportError as error:
        raise LibmagicMissing(str(error)) from None
    return magic.Magic(mime=True)


def _mime_of(head: bytes) -> str:
    return str(_magic().from_buffer(head))


# -- YARA --------------------------------------------------------------------------------


@functools.cache
def _rules() -> Any:
    # Compiled once per process; the externals' values here are defaults, set per window.
    defaults = {"mime": "", "first_window": False, "pdf_like": False, "in_stream": False}
    return yara.compile(filepath=str(RULES_PATH), externals=defaults)


def _match(data: bytes | memoryview, externals: dict[str, str | bool]) -> list[str]:
    try:
        matches = _rules().match(
            data=data,
            externals=externals,
            fast=True,
            timeout=YARA_TIMEOUT_SECONDS,
            warnings_callback=_ignore_warning,
        )
    except yara.Error as exc:
        raise _Refused(
            Verdict(
                ok=False,
                mime=str(externals["mime"]),
                code="scanner_unavailable",
                detail={"scanner": "yara", "reason": str(exc)},
            )
        ) from exc
    return [str(match.rule) for match in matches]


def _ignore_warning(*_: object) -> int:
    # "too many matches" for a string: fast mode needs one match per string, not all.
    return int(yara.CALLBACK_CONTINUE)


class _RuleScanner:
    """Runs the rules over windows; refuses (by raising `_Refused`) at the first window a rule
    matches. ``object_stream`` says whether the PDF stream being scanned is an object stream
    (which holds dictionaries, so it is scanned like the structure)."""

    def __init__(self, *, mime: str, pdf_like: bool, disabled: frozenset[str]) -> None:
        self.mime = mime
        self.pdf_like = pdf_like
        self.disabled = disabled
        self.object_stream = False
        self.escaped_names = 0

    def on_structure(self, data: memoryview, first: bool) -> None:
        self._scan(data, first_window=first, in_stream=False, where="")

    def on_stream_body(self, data: memoryview, first: bool) -> None:
        self._scan(data, first_window=False, in_stream=not self.object_stream, where="PDF stream")

    def on_inflated(self, data: memoryview, first: bool) -> None:
        where = "inflated PDF stream"
        self._scan(data, first_window=False, in_stream=not self.object_stream, where=where)

    def _scan(self, data: memoryview, *, first_window: bool, in_stream: bool, where: str) -> None:
        externals: dict[str, str | bool] = {
            "mime": self.mime,
            "first_window": first_window,
            "pdf_like": self.pdf_like,
            "in_stream": in_stream,
        }
        names = _match(data, externals)
        if _HINT_RULE in names and _HINT_RULE not in self.disabled:
            names += _match(self._decode_escaped_names(data), {**externals, "first_window": False})
        refused = [name for name in dict.fromkeys(names) if name not in self.disabled]
        refused = [name for name in refused if name != _HINT_RULE]
        if refused:
            detail = {"rule": refused[0], "rules": ",".join(refused)}
            if where:
                detail["where"] = where
            raise _Refused(Verdict(ok=False, mime=self.mime, code="active_content", detail=detail))

    def _decode_escaped_names(self, data: memoryview) -> bytes:
        """The names of a window that escape a letter, decoded, each with the 128 bytes before
        it and the 32 after (context the rules may look for). Refuses a file with more than MAX_ESCAPED_NAMES
        of them: decoding is slow, and only obfuscation escapes letters in that many names."""
        decoded = []
        for found in _ESCAPED_NAME.finditer(data):
            self.escaped_names += 1
            if self.escaped_names > MAX_ESCAPED_NAMES:
                detail = {"rule": _ESCAPE_LIMIT_RULE, "rules": _ESCAPE_LIMIT_RULE}
                verdict = Verdict(ok=False, mime=self.mime, code="active_content", detail=detail)
                raise _Refused(verdict)
            name = _HEX_ESCAPE.sub(_unescape, found.group())
            before = bytes(data[max(0, found.start() - 128) : found.start()])
            decoded.append(before + name + bytes(data[found.end() : found.end() + 32]))
        return b" ".join(decoded)


def _unescape(found: re.Match[bytes]) -> bytes:
    return bytes([int(found.group(1), 16)])


class _Sink(Protocol):
    def feed(self, data: bytes) -> None: ...

    def finish(self) -> None: ...


class _Windows:
    """Cuts a byte stream fed in pieces into windows of ``size`` bytes where each window
    starts with the last ``overlap`` bytes of the one before, and hands each to ``on_window``
    with whether it is the stream's first. Holds one window of memory."""

    def __init__(
        self, size: int, overlap: int, on_window: Callable[[memoryview, bool], None]
    ) -> None:
        self._buffer = bytearray(size)
        self._size = size
        self._overlap = overlap
        self._on_window = on_window
        self._filled = 0
        self._carried = 0
        self._first = True

    def feed(self, data: bytes) -> None:
        view = memoryview(data)
        position = 0
        while position < len(view):
            take = min(len(view) - position, self._size - self._filled)
            self._buffer[self._filled : self._filled + take] = view[position : position + take]
            self._filled += take
            position += take
            if self._filled == self._size:
                self._emit()
                keep = self._buffer[self._size - self._overlap :]
                self._buffer[: self._overlap] = keep
                self._filled = self._carried = self._overlap

    def finish(self) -> None:
        """Hand over the last window, if it holds bytes no window had, and start afresh."""
        if self._filled > self._carried:
            self._emit()
        self._filled = self._carried = 0
        self._first = True

    def _emit(self) -> None:
        with memoryview(self._buffer) as whole, whole[: self._filled] as window:
            self._on_window(window, self._first)
        self._first = False


_STRUCTURE: Final = 0
_BODY_START: Final = 1
_BODY_ZLIB: Final = 2
_BODY_RAW: Final = 3
_LOOKBACK: Final = 2048
_EOL_MAX: Final = 4
# Compiled patterns: re finds these literals faster than bytes.find in binary data.
_STREAM_KEYWORD: Final = re.compile(rb"stream")
_BODY_END: Final = re.compile(rb"endstream|endobj")


class _PdfRouter:
    """Splits a PDF fed in pieces into its structure and its stream bodies, and sends each to
    its own windows: the structure (everything outside stream bodies) to one long sequence of
    windows; each stream body, inflated if it is zlib data, raw otherwise, to windows of its
    own, started afresh for every stream.

    A body starts after the ``stream`` keyword that follows a dictionary's ``>>``, and its
    end of line. A zlib body ends where
    the zlib data ends; any other body (images, other filters, a zlib body that turns out
    corrupt) at the next ``endstream`` or ``endobj``. A stream whose dictionary (the bytes
    before the keyword, after the object's ``obj``) names /ObjStm is an object stream: it
    holds dictionaries, and its body is scanned like the structure."""

    def __init__(self, scanner: _RuleScanner, policy: ScanPolicy, *, budget: int) -> None:
        body_window = max(min(STREAM_WINDOW_BYTES, policy.window_bytes), 2 * policy.window_overlap)
        overlap = policy.window_overlap
        self._scanner = scanner
        self._inflate = policy.inflate_pdf_streams
        self._budget = budget
        self._structure = _Windows(policy.window_bytes, overlap, scanner.on_structure)
        self._body = _Windows(body_window, overlap, scanner.on_stream_body)
        self._inflated = _Windows(body_window, overlap, scanner.on_inflated)
        self._state = _STRUCTURE
        self._lookback = b""
        self._body_tail = b""
        self._eol_left = _EOL_MAX
        self._inflater: zlib._Decompress | None = None

    def feed(self, data: bytes) -> None:
        while data:
            if self._state == _STRUCTURE:
                data = self._feed_structure(data)
            elif self._state == _BODY_START:
                data = self._start_body(data)
            elif self._state == _BODY_ZLIB:
                data = self._feed_zlib(data)
            else:
                data = self._feed_raw_body(data)

    def finish(self) -> None:
        if self._state == _BODY_ZLIB:
            self._inflated.finish()
        elif self._state == _BODY_RAW:
            self._body.finish()
        self._structure.finish()

    # Each step consumes a prefix of ``data`` and returns the rest.

    def _feed_structure(self, data: bytes) -> bytes:
        # The lookback (already scanned) lets a keyword straddle two pieces and shows the
        # dictionary before a keyword found early in a piece.
        haystack = self._lookback + data
        start = len(self._lookback)
        position = max(0, start - 5)
        while True:
            keyword = _STREAM_KEYWORD.search(haystack, position)
            if keyword is None:
                self._structure.feed(data)
                self._lookback = haystack[-_LOOKBACK:]
                return b""
            found, position = keyword.span()
            # The keyword that starts a body follows its dictionary's ">>" (the word in a
            # comment, a string or "endstream" does not).
            before = haystack[max(0, found - 64) : found].rstrip(b"\x00\t\n\x0c\r ")
            if before.endswith(b">>"):
                break
        self._structure.feed(haystack[start:position])
        dictionary = haystack[max(0, found - _LOOKBACK) : found]
        dictionary = dictionary[dictionary.rfind(b"obj") + 1 :]
        self._scanner.object_stream = b"/ObjStm" in dictionary
        self._lookback = b""
        self._state = _BODY_START
        self._eol_left = _EOL_MAX
        return haystack[position:]

    def _start_body(self, data: bytes) -> bytes:
        # Skip the end of line after the keyword (and a few stray blanks before it), never
        # more: a body may itself start with white space or zeros.
        skip = 0
        while skip < min(len(data), self._eol_left) and data[skip] in b" \t\r\n":
            skip += 1
        self._eol_left -= skip
        if skip:
            self._structure.feed(data[:skip])
        if skip == len(data) and self._eol_left > 0:
            return b""
        if self._inflate:
            self._inflater = zlib.decompressobj()
            self._state = _BODY_ZLIB
        else:
            self._state = _BODY_RAW
        return data[skip:]

    def _feed_zlib(self, data: bytes) -> bytes:
        inflater = self._inflater
        assert inflater is not None
        view = memoryview(data)
        for start in range(0, len(view), INFLATE_INPUT_CHUNK):
            piece: bytes | memoryview = view[start : start + INFLATE_INPUT_CHUNK]
            try:
                while piece:
                    out = inflater.decompress(piece, INFLATE_OUTPUT_CHUNK)
                    self._emit_inflated(out)
                    if inflater.eof:
                        rest = inflater.unused_data + bytes(view[start + INFLATE_INPUT_CHUNK :])
                        self._end_inflated()
                        self._state = _STRUCTURE
                        return rest
                    piece = inflater.unconsumed_tail
            except zlib.error:
                # Not zlib data (an image, another filter) or corrupt: scan the body raw.
                self._end_inflated()
                self._state = _BODY_RAW
                return bytes(view[start:])
        return b""

    def _feed_raw_body(self, data: bytes) -> bytes:
        haystack = self._body_tail + data
        start = len(self._body_tail)
        found = _BODY_END.search(haystack)
        if found is None:
            self._body.feed(data)
            self._body_tail = haystack[-8:]
            return b""
        end = found.start()
        if end > start:
            self._body.feed(haystack[start:end])
        self._body.finish()
        self._body_tail = b""
        self._state = _STRUCTURE
        return haystack[end:]

    def _emit_inflated(self, out: bytes) -> None:
        if not out:
            return
        self._budget -= len(out)
        if self._budget < 0:
            detail = {
                "rule": _INFLATE_LIMIT_RULE,
                "rules": _INFLATE_LIMIT_RULE,
                "where": "inflated PDF stream",
            }
            mime = self._scanner.mime
            raise _Refused(Verdict(ok=False, mime=mime, code="active_content", detail=detail))
        self._inflated.feed(out)

    def _end_inflated(self) -> None:
        self._inflater = None
        self._inflated.finish()
