"""Streaming encryption for large blobs (evidence files, recordings), in bounded memory.

An encrypted stream (format 1) is a header, then chunks::

    offset  size   field
    0       4      magic b"NCVS"
    4       1      format version, 0x01
    5       4      plaintext chunk size, big-endian (1 to 16 MiB; 64 KiB by default)
    9       4      id of the KEK that wraps the data key
    13      40     the 256-bit data key wrapped with AES key wrap (RFC 3394), as in a sealed value
    53      7      random nonce prefix
    60      ...    chunks: each the AES-256-GCM ciphertext of chunk-size plaintext bytes plus the
                   16-byte tag; the last one holds fewer than chunk-size bytes (possibly none),
                   so there is always a last chunk

Chunk i is encrypted under the stream's own data key with the nonce
``prefix || i (4 bytes, big-endian) || last`` (``last`` is 0x01 for the final chunk, 0x00 before
it) and the associated data ``b"netcourt-vault/stream/v1\\x00" || chunk size || context``. This
is the STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár, 2015): reordering, dropping or
repeating chunks changes their nonces, cutting the stream at any chunk boundary leaves a final
chunk encrypted as not final, and a chunk from another stream was made under another data key,
so each is refused as ``tampered``.

Each chunk is checked before its plaintext is written, but a stream that fails part-way has
already written the chunks before the failure: write to a temporary place and keep the result
only when `decrypt_stream` returns.

A byte range of the plaintext is read without decrypting from the start: `read_header`, then
`range_span` says where the chunks that hold the range lie in the stream, and
`decrypt_range` decrypts only those, each checked. The reader needs the plaintext's length
(kept beside the blob) to know which chunk is the last: a chunk presented as last that is not,
or one cut short, is ``tampered``. A range that runs to the end of the plaintext also checks
the final chunk (empty when the length is a multiple of the chunk size), so it sees a stream
cut anywhere; a range inside the plaintext checks only its own chunks.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from netcourt.vault.envelope import (
    KEY_BLOCK_BYTES,
    TAG_BYTES,
    new_data_key,
    unwrap_data_key,
    wrap_data_key,
)
from netcourt.vault.errors import VaultError
from netcourt.vault.keys import KeySource

STREAM_MAGIC = b"NCVS"
STREAM_VERSION = 1
DEFAULT_CHUNK_SIZE = 64 * 1024
MAX_CHUNK_SIZE = 16 * 1024 * 1024
NONCE_PREFIX_BYTES = 7
MAX_CHUNKS = 1 << 32
HEADER_BYTES = len(STREAM_MAGIC) + 1 + 4 + KEY_BLOCK_BYTES + NONCE_PREFIX_BYTES

_STREAM_LABEL = b"netcourt-vault/stream/v1\x00"
_KEY_BLOCK_AT = len(STREAM_MAGIC) + 1 + 4


class Reader(Protocol):
    def read(self, size: int, /) -> bytes: ...


class Writer(Protocol):
    def write(self, data: bytes, /) -> object: ...


def encrypt_stream(
    keys: KeySource,
    reader: Reader,
    writer: Writer,
    context: bytes,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> None:
    """Encrypt everything `reader` gives until end of file to `writer`, a chunk at a time."""
    out = EncryptingWriter(keys, writer, context, chunk_size)
    while True:
        chunk = _read_up_to(reader, chunk_size)
        out.write(chunk)
        if len(chunk) < chunk_size:
            break
    out.close()


class EncryptingWriter:
    """Encrypts what is written to it into `target` as an encrypted stream: the push form of
    `encrypt_stream`, for data that comes a piece at a time (a hearing being recorded).

    The header goes out at once, each whole chunk as soon as it is complete; `close` writes the
    last chunk. A stream not closed is cut off, and refused as ``tampered`` when read.
    """

    def __init__(
        self,
        keys: KeySource,
        target: Writer,
        context: bytes,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> None:
        if not 1 <= chunk_size <= MAX_CHUNK_SIZE:
            raise ValueError(f"the chunk size is 1 to {MAX_CHUNK_SIZE} bytes")
        data_key = new_data_key()
        self._prefix = secrets.token_bytes(NONCE_PREFIX_BYTES)
        self._target = target
        self._chunk_size = chunk_size
        self._aead = AESGCM(data_key)
        self._associated = _associated_data(chunk_size, context)
        self._pending = bytearray()
        self._index = 0
        self.closed = False
        target.write(
            STREAM_MAGIC
            + bytes([STREAM_VERSION])
            + chunk_size.to_bytes(4, "big")
            + wrap_data_key(keys, data_key)
            + self._prefix
        )

    def write(self, data: bytes, /) -> int:
        if self.closed:
            raise ValueError("the stream is closed")
        size = self._chunk_size
        if not self._pending and len(data) == size:
            self._emit(data, last=False)  # the common case in `encrypt_stream`: no copy
            return size
        pending = self._pending
        pending += data
        whole = len(pending) - len(pending) % size
        if whole:
            with memoryview(pending) as view:
                for start in range(0, whole, size):
                    self._emit(view[start : start + size], last=False)
            del pending[:whole]
        return len(data)

    def close(self) -> None:
        """Write the last chunk (shorter than a chunk, possibly empty). Closing twice is fine."""
        if not self.closed:
            self._emit(bytes(self._pending), last=True)
            self._pending.clear()
            self.closed = True

    def _emit(self, chunk: bytes | memoryview, *, last: bool) -> None:
        nonce = _nonce(self._prefix, self._index, last)
        self._target.write(self._aead.encrypt(nonce, bytes(chunk), self._associated))
        self._index += 1


def decrypt_stream(keys: KeySource, reader: Reader, writer: Writer, context: bytes) -> None:
    """Decrypt a stream `encrypt_stream` wrote with the same context, a chunk at a time."""
    for chunk in decrypt_chunks(keys, reader, context):
        writer.write(chunk)


def decrypt_chunks(keys: KeySource, reader: Reader, context: bytes) -> Iterator[bytes]:
    """The plaintext of a stream `encrypt_stream` wrote, one checked chunk at a time.

    Each chunk is authenticated before it is given; the last is shorter than the chunk size,
    possibly empty. A fault raises when the reading reaches it, after the chunks before it.
    """
    header = read_header(reader)
    chunk_size = chunk_size_of(header)
    aead, prefix = _unwrap(keys, header)
    associated = _associated_data(chunk_size, context)
    index = 0
    while True:
        block = _read_up_to(reader, chunk_size + TAG_BYTES)
        last = len(block) < chunk_size + TAG_BYTES
        yield _decrypt_chunk(aead, prefix, index, last, block, associated)
        if last:
            return
        index += 1


def read_header(reader: Reader) -> bytes:
    """The header of an encrypted stream, read from the start of `reader`; ``malformed`` if it
    is not one of this format."""
    header = _read_up_to(reader, HEADER_BYTES)
    chunk_size_of(header)
    return header


def chunk_size_of(header: bytes) -> int:
    """The plaintext chunk size a stream's header names; ``malformed`` if it is no header."""
    if len(header) != HEADER_BYTES or not header.startswith(STREAM_MAGIC):
        raise VaultError("malformed", "not an encrypted stream")
    if header[len(STREAM_MAGIC)] != STREAM_VERSION:
        raise VaultError("malformed", f"not an encrypted stream of format {STREAM_VERSION}")
    chunk_size = int.from_bytes(header[len(STREAM_MAGIC) + 1 : _KEY_BLOCK_AT], "big")
    if not 1 <= chunk_size <= MAX_CHUNK_SIZE:
        raise VaultError("malformed", "the stream's chunk size is out of range")
    return chunk_size


def range_span(chunk_size: int, size: int, start: int, end: int) -> tuple[int, int]:
    """Where the chunks holding plaintext bytes `start` to `end` (inclusive) of a stream of
    `size` plaintext bytes lie in the stream: their offset from the stream's start and their
    length. A range that runs to the end takes the final chunk too (see `decrypt_range`)."""
    first, final = _chunks_of(chunk_size, size, start, end)
    stored = chunk_size + TAG_BYTES
    last_length = size % chunk_size + TAG_BYTES if final == size // chunk_size else stored
    return HEADER_BYTES + first * stored, (final - first) * stored + last_length


def decrypt_range(
    keys: KeySource,
    header: bytes,
    reader: Reader,
    context: bytes,
    *,
    size: int,
    start: int,
    end: int,
) -> Iterator[bytes]:
    """Plaintext bytes `start` to `end` (inclusive) of a stream of `size` plaintext bytes, in
    pieces of at most a chunk, each authenticated before it is given.

    `header` is the stream's header (`read_header`); `reader` starts at the offset
    `range_span` gives and is read no further than the length it gives. A chunk is the last
    exactly when the plaintext's length says so: a stream whose chunks do not match `size` (cut
    short, longer, or not this stream) is ``tampered`` when the reading reaches the mismatch.
    A range outside ``0 <= start <= end < size`` is a ValueError.
    """
    chunk_size = chunk_size_of(header)
    first, final = _chunks_of(chunk_size, size, start, end)
    aead, prefix = _unwrap(keys, header)
    associated = _associated_data(chunk_size, context)
    last_index = size // chunk_size
    for index in range(first, final + 1):
        last = index == last_index
        length = (size % chunk_size if last else chunk_size) + TAG_BYTES
        block = _read_up_to(reader, length)
        if len(block) != length:  # the true last chunk is shorter than `size` says
            raise VaultError(
                "tampered", f"chunk {index} of the stream was cut off, or it is not {size} bytes"
            )
        chunk = _decrypt_chunk(aead, prefix, index, last, block, associated)
        at = index * chunk_size
        piece = chunk[max(start - at, 0) : end - at + 1]
        if piece:
            yield piece


def _chunks_of(chunk_size: int, size: int, start: int, end: int) -> tuple[int, int]:
    """The first and the final chunk to read for plaintext bytes `start` to `end`: the final
    is the stream's last chunk whenever the range runs to the end of the plaintext."""
    if not 1 <= chunk_size <= MAX_CHUNK_SIZE:
        raise ValueError(f"the chunk size is 1 to {MAX_CHUNK_SIZE} bytes")
    if not 0 <= start <= end < size:
        raise ValueError(f"bytes {start}-{end} are not a range of {size} bytes")
    final = size // chunk_size if end == size - 1 else end // chunk_size
    return start // chunk_size, final


def _unwrap(keys: KeySource, header: bytes) -> tuple[AESGCM, bytes]:
    """The stream's cipher, under its unwrapped data key, and its nonce prefix."""
    aead = AESGCM(unwrap_data_key(keys, header[_KEY_BLOCK_AT : _KEY_BLOCK_AT + KEY_BLOCK_BYTES]))
    return aead, header[_KEY_BLOCK_AT + KEY_BLOCK_BYTES :]


def _decrypt_chunk(
    aead: AESGCM, prefix: bytes, index: int, last: bool, block: bytes, associated: bytes
) -> bytes:
    try:
        return aead.decrypt(_nonce(prefix, index, last), block, associated)
    except InvalidTag:
        raise VaultError(
            "tampered",
            f"chunk {index} of the stream was changed, moved or cut off, or the stream"
            " belongs to another context",
        ) from None


def _associated_data(chunk_size: int, context: bytes) -> bytes:
    return _STREAM_LABEL + chunk_size.to_bytes(4, "big") + context


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    if index >= MAX_CHUNKS:
        raise VaultError("too_large", f"a stream holds at most {MAX_CHUNKS} chunks")
    return prefix + index.to_bytes(4, "big") + (b"\x01" if last else b"\x00")


def _read_up_to(reader: Reader, size: int) -> bytes:
    """`size` bytes from `reader`, fewer only at end of file (a read may return less)."""
    parts = []
    remaining = size
    while remaining:
        part = reader.read(remaining)
        if not part:
            break
        parts.append(part)
        remaining -= len(part)
    return b"".join(parts)
