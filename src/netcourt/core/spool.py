"""Request bodies held while they arrive: in memory up to a limit, then encrypted on disk.

Django's ASGI handler reads a whole request body before the view runs, into a temporary file
once it outgrows memory. An evidence file can be gigabytes, and must never touch a disk in
clear, so `EncryptedSpool` keeps the first ``FILE_UPLOAD_MAX_MEMORY_SIZE`` bytes in memory and
the rest in an anonymous temporary file encrypted with AES-CTR under a key that lives only in
this object (`netcourt.vault.scratch`). If the process dies, the file is gone (it has no name)
and its key with it.

The bytes in memory are kept as the pieces that were written, not copied into one growing
buffer (growing a buffer of tens of MiB copies it over and over); a read copies each byte
once. On disk, one keystream encrypts the appended bytes in order and one decrypts them as
they are read in order: a reader that jumps starts a new one.
"""

from __future__ import annotations

import bisect
import os
import tempfile
from typing import IO

from cryptography.hazmat.primitives.ciphers import CipherContext

from netcourt.vault.scratch import crypter, new_scratch_key


class EncryptedSpool:
    def __init__(self, memory_limit: int) -> None:
        self._pieces: list[bytes] = []  # the bytes in memory, as written
        self._starts: list[int] = []  # where each piece starts in the body
        self._in_memory = 0
        self._limit = memory_limit
        self._file: IO[bytes] | None = None
        self._key = new_scratch_key()
        self._encryptor: CipherContext | None = None  # at the end of the file
        self._decryptor: CipherContext | None = None  # at `_decrypted_to`
        self._decrypted_to = -1
        self._size = 0
        self._position = 0
        self.closed = False
        self.limit = 0  # the most the request may carry, set by the ASGI handler
        self.too_large = False  # set by the ASGI handler when the body was over its limit

    def write(self, data: bytes) -> int:
        """Append (a request body is only ever written from start to end)."""
        size = len(data)
        if not size:
            return 0
        if self._file is None and self._size + size > self._limit:
            self._file = tempfile.TemporaryFile()
            self._encryptor = crypter(self._key, self._size)
        if self._file is None:
            self._starts.append(self._size)
            self._pieces.append(bytes(data))  # no copy of bytes; a copy of anything mutable
            self._in_memory += size
        else:
            assert self._encryptor is not None
            self._file.seek(self._size - self._in_memory)
            self._file.write(self._encryptor.update(data))
        self._size += size
        return size

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._position, os.SEEK_END: self._size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def tell(self) -> int:
        return self._position

    def read(self, size: int = -1) -> bytes:
        end = self._size if size is None or size < 0 else min(self._size, self._position + size)
        start = self._position
        if end <= start:
            return b""
        parts = self._from_memory(start, min(end, self._in_memory))
        if end > self._in_memory and self._file is not None:
            parts.append(self._from_file(max(start, self._in_memory), end))
        self._position = end
        if len(parts) == 1 and isinstance(parts[0], bytes):
            return parts[0]
        return b"".join(parts)

    def _from_memory(self, start: int, end: int) -> list[bytes | memoryview]:
        parts: list[bytes | memoryview] = []
        index = bisect.bisect_right(self._starts, start) - 1
        while start < end:
            piece, piece_start = self._pieces[index], self._starts[index]
            low, high = start - piece_start, min(len(piece), end - piece_start)
            parts.append(piece if low == 0 and high == len(piece) else memoryview(piece)[low:high])
            start = piece_start + high
            index += 1
        return parts

    def _from_file(self, start: int, end: int) -> bytes:
        assert self._file is not None
        if self._decryptor is None or self._decrypted_to != start:
            self._decryptor = crypter(self._key, start)
        self._file.seek(start - self._in_memory)
        data = self._decryptor.update(self._file.read(end - start))
        self._decrypted_to = start + len(data)
        return data

    def readline(self, size: int = -1) -> bytes:
        start = self._position
        chunk = self.read(size if size is not None and size >= 0 else 64 * 1024)
        line_end = chunk.find(b"\n")
        while line_end < 0 and chunk and (size is None or size < 0):
            more = self.read(64 * 1024)
            if not more:
                break
            found = more.find(b"\n")
            line_end = -1 if found < 0 else len(chunk) + found
            chunk += more
        if line_end >= 0:
            chunk = chunk[: line_end + 1]
        self._position = start + len(chunk)
        return chunk

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        self._pieces, self._starts = [], []
        self._encryptor = self._decryptor = None
        self.closed = True
