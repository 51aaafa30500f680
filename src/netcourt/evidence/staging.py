"""Files on their way in, kept encrypted while they arrive.

A resumable upload arrives in pieces, perhaps over days and broken connections, so its bytes
must sit somewhere before the file can be checked and stored. They sit in
``DATA_DIR/uploads/<id>`` encrypted with AES-256-CTR under a key of the upload's own (sealed
under the master keyring in the upload's row): CTR lets a piece be added at any offset and the
whole read back from the start. The staging copy needs no integrity of its own: when the upload
is complete the file is checked, hashed and stored as an authenticated encrypted stream, and
the staging file is removed.

Only bytes the server acknowledged count. A piece is written and flushed to disk before the
upload's row records the new offset; a crash between the two leaves bytes past the recorded
offset, which the next piece overwrites (the file is cut back to the recorded offset first).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Protocol

from netcourt.vault.scratch import crypter

PIECE = 1024 * 1024


class Reader(Protocol):
    def read(self, size: int, /) -> bytes: ...


class StagingMissing(Exception):
    """The upload's staging file is gone (swept, or lost with a disk)."""


class StagingArea:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, upload_id: str) -> Path:
        return self.root / upload_id

    def create(self, upload_id: str) -> None:
        """An empty staging file, on disk (its directory entry too) before its upload's row."""
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.path(upload_id), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        directory = os.open(self.root, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    @contextmanager
    def locked(self, upload_id: str) -> Iterator[None]:
        """Hold the upload's staging file for one piece at a time (across processes)."""
        try:
            handle = open(self.path(upload_id), "rb")  # noqa: SIM115 - held for the block
        except FileNotFoundError:
            raise StagingMissing(upload_id) from None
        with handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            yield

    def append(
        self,
        upload_id: str,
        key: bytes,
        offset: int,
        source: Reader,
        limit: int,
        *,
        sync: bool = True,
    ) -> int:
        """Write what ``source`` gives (at most ``limit`` bytes) at ``offset``; returns how
        many bytes were written, flushed to disk unless ``sync`` is false (then call `sync`
        before acknowledging them). Raises ``ValueError`` past ``limit``."""
        encryptor = crypter(key, offset)
        written = 0
        with open(self.path(upload_id), "r+b") as handle:
            handle.truncate(offset)
            handle.seek(offset)
            while True:
                piece = source.read(PIECE)
                if not piece:
                    break
                written += len(piece)
                if written > limit:
                    handle.truncate(offset)
                    raise ValueError("more bytes than the upload's length")
                handle.write(encryptor.update(piece))
            handle.flush()
            if sync:
                os.fsync(handle.fileno())
        return written

    def sync(self, upload_id: str) -> None:
        with open(self.path(upload_id), "rb") as handle:
            os.fsync(handle.fileno())

    @contextmanager
    def open(self, upload_id: str, key: bytes, length: int) -> Iterator[Reader]:
        """The upload's first ``length`` bytes, decrypted, as a stream."""
        with open(self.path(upload_id), "rb") as handle:
            yield _Decrypting(handle, key, length)

    def remove(self, upload_id: str) -> None:
        self.path(upload_id).unlink(missing_ok=True)

    def modified(self, upload_id: str) -> datetime:
        return datetime.fromtimestamp(self.path(upload_id).stat().st_mtime, UTC)

    def names(self) -> list[str]:
        if not self.root.exists():
            return []
        return [p.name for p in self.root.iterdir() if p.is_file()]


class _Decrypting:
    def __init__(self, handle: BinaryIO, key: bytes, length: int) -> None:
        self._handle = handle
        self._decryptor = crypter(key, 0)
        self._left = length

    def read(self, size: int = -1, /) -> bytes:
        if self._left <= 0:
            return b""
        want = self._left if size < 0 else min(size, self._left)
        data = self._handle.read(want)
        self._left -= len(data)
        return self._decryptor.update(data)
