# mypy: disallow-any-generics, disallow-subclassing-any, disallow-untyped-calls
# mypy: disallow-untyped-defs, disallow-incomplete-defs, check-untyped-defs
# mypy: disallow-untyped-decorators, warn-redundant-casts, warn-unused-ignores, warn-return-any
# mypy: no-implicit-reexport, strict-equality, extra-checks
"""A small client for ClamAV's daemon, clamd, speaking its documented socket protocol.

No third-party package: the protocol (``man clamd``) is a command on a Unix or TCP socket.
Each command here opens its own connection and uses the ``z`` prefix, so the command and
clamd's reply are terminated by a NUL byte:

- ``zPING\\0`` → ``PONG\\0``
- ``zVERSION\\0`` → ``ClamAV 1.4.6/27000/Thu Nov 26 09:30:00 2026\\0``
- ``zINSTREAM\\0`` then the file as chunks, each a 4-byte unsigned big-endian length and
  that many bytes, ended by a zero-length chunk → ``stream: OK\\0``,
  ``stream: <signature> FOUND\\0`` or ``<message> ERROR\\0``. A stream longer than clamd's
  ``StreamMaxLength`` is cut off with ``INSTREAM size limit exceeded. ERROR`` and the
  connection closed.

A file is sent as it is read from its opener, in bounded memory, whatever its size. clamd
itself only scans up to its ``MaxFileSize``/``MaxScanSize`` and reports a longer file as clean
unless ``AlertExceedsMax`` is on: configure those (and ``StreamMaxLength``) to at least the
court's largest evidence file. Signatures added locally are reported with clamd's
``.UNOFFICIAL`` suffix.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

__all__ = ["ClamdClient", "ClamdError", "ClamdResult", "Opener", "Reader"]

DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_TIMEOUT = 300.0
DEFAULT_CHUNK_SIZE = 256 * 1024
MAX_REPLY_BYTES = 4096


class Reader(Protocol):
    """What an opener yields: a binary stream read from its start (a file, a decrypting
    stream); ``read`` may return fewer bytes than asked and returns ``b""`` at the end."""

    def read(self, size: int, /) -> bytes: ...


Opener = Callable[[], AbstractContextManager[Reader]]
"""Opens the file afresh, from its first byte, each time it is called."""


class ClamdError(Exception):
    """clamd could not be reached, timed out, refused the stream or answered an error."""


@dataclass(frozen=True)
class ClamdResult:
    found: bool
    signature: str | None = None


class ClamdClient:
    """A client for one clamd, at ``unix:/path/to/clamd.ctl`` or ``tcp:host:port``.

    ``timeout`` bounds each socket operation, including the wait for the verdict after the
    last chunk (clamd scans then), so it must exceed the time clamd takes on the largest file.
    """

    def __init__(
        self,
        address: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> None:
        if not 1 <= chunk_size <= 16 * 1024 * 1024:
            raise ValueError("chunk_size must be between 1 byte and 16 MiB")
        self.address = address
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.chunk_size = chunk_size
        self._family, self._target = _parse_address(address)

    def __repr__(self) -> str:
        return f"ClamdClient({self.address!r})"

    def ping(self) -> bool:
        """True when clamd answers PONG; False when it cannot be reached or answers otherwise."""
        try:
            return self._command(b"PING") == "PONG"
        except ClamdError:
            return False

    def version(self) -> str:
        """clamd's version line: program version, then database version and date if loaded."""
        return self._command(b"VERSION")

    def scan(self, opener: Opener) -> ClamdResult:
        """Stream the file to clamd with zINSTREAM and return its verdict.

        Raises ClamdError when clamd cannot be reached, times out, refuses the stream (too
        long for its StreamMaxLength) or reports an error. Errors raised while reading the
        file itself propagate unchanged.
        """
        with self._connect() as sock:
            self._send(sock, b"zINSTREAM\0")
            closed_early = False
            with opener() as reader:
                while True:
                    chunk = reader.read(self.chunk_size)
                    if len(chunk) > self.chunk_size:
                        raise ValueError("the reader returned more bytes than asked for")
                    try:
                        sock.sendall(struct.pack(">I", len(chunk)))
                        if not chunk:
                            break
                        sock.sendall(chunk)
                    except (BrokenPipeError, ConnectionResetError):
                        # clamd closes the connection when the stream passes StreamMaxLength;
                        # its reply saying so is waiting in the socket.
                        closed_early = True
                        break
                    except OSError as exc:
                        raise ClamdError(
                            f"sending to clamd at {self.address} failed: {exc}"
                        ) from exc
            reply = self._reply(sock)
        return _parse_scan_reply(reply, closed_early)

    # -- plumbing -------------------------------------------------------------------------

    def _command(self, name: bytes) -> str:
        with self._connect() as sock:
            self._send(sock, b"z" + name + b"\0")
            reply = self._reply(sock)
        if reply.endswith(" ERROR") or reply == "UNKNOWN COMMAND":
            raise ClamdError(f"clamd answered {name.decode()} with: {reply}")
        return reply

    def _connect(self) -> socket.socket:
        sock = socket.socket(self._family, socket.SOCK_STREAM)
        try:
            sock.settimeout(self.connect_timeout)
            sock.connect(self._target)
            sock.settimeout(self.timeout)
        except OSError as exc:
            sock.close()
            raise ClamdError(f"cannot connect to clamd at {self.address}: {exc}") from exc
        return sock

    def _send(self, sock: socket.socket, data: bytes) -> None:
        try:
            sock.sendall(data)
        except OSError as exc:
            raise ClamdError(f"sending to clamd at {self.address} failed: {exc}") from exc

    def _reply(self, sock: socket.socket) -> str:
        received = bytearray()
        try:
            while b"\0" not in received and len(received) <= MAX_REPLY_BYTES:
                data = sock.recv(MAX_REPLY_BYTES)
                if not data:
                    break
                received += data
        except TimeoutError as exc:
            raise ClamdError(f"clamd at {self.address} did not answer in time") from exc
        except OSError as exc:
            raise ClamdError(f"reading from clamd at {self.address} failed: {exc}") from exc
        if len(received) > MAX_REPLY_BYTES:
            raise ClamdError(f"clamd at {self.address} sent an overlong reply")
        text = bytes(received).split(b"\0", 1)[0].decode("utf-8", "replace").strip()
        if not text:
            raise ClamdError(f"clamd at {self.address} closed the connection without a reply")
        return text


def _parse_address(address: str) -> tuple[int, str | tuple[str, int]]:
    scheme, sep, rest = address.partition(":")
    if sep and scheme == "unix" and rest:
        return socket.AF_UNIX, rest
    if sep and scheme == "tcp":
        host, sep, port_text = rest.rpartition(":")
        host = host.removeprefix("[").removesuffix("]")
        if sep and host and port_text.isdigit() and 0 < int(port_text) < 65536:
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            return family, (host, int(port_text))
    raise ValueError(f"not a clamd address (unix:/path or tcp:host:port): {address!r}")


def _parse_scan_reply(reply: str, closed_early: bool) -> ClamdResult:
    # A stream reply names the stream "stream" (or "<id>: stream" inside an IDSESSION).
    _, _, verdict = reply.rpartition("stream: ")
    if verdict == "OK" and not closed_early:
        return ClamdResult(found=False)
    if verdict.endswith(" FOUND"):
        return ClamdResult(found=True, signature=verdict.removesuffix(" FOUND"))
    if "size limit exceeded" in reply:
        raise ClamdError(f"the file is longer than clamd's StreamMaxLength: {reply}")
    raise ClamdError(f"clamd could not scan the file: {reply}")
