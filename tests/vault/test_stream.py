"""Encrypted streams: round trips, truncation, reordering, splicing, bounded memory."""

from __future__ import annotations

import hashlib
import io
import os
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netcourt.vault import (
    DEFAULT_CHUNK_SIZE,
    EncryptingWriter,
    Keyring,
    VaultError,
    decrypt_stream,
    encrypt_stream,
)

NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
KEYRING = Keyring.generate(NOW)
CONTEXT = b"evidence.item.blob:7"
HEADER = 60
TAG = 16
SMALL = 16
MiB = 1024 * 1024


def encrypt(plaintext: bytes, chunk_size: int = SMALL, keyring: Keyring = KEYRING) -> bytes:
    out = io.BytesIO()
    encrypt_stream(keyring, io.BytesIO(plaintext), out, CONTEXT, chunk_size)
    return out.getvalue()


def decrypt(stream: bytes, context: bytes = CONTEXT, keyring: Keyring = KEYRING) -> bytes:
    out = io.BytesIO()
    decrypt_stream(keyring, io.BytesIO(stream), out, context)
    return out.getvalue()


def refused(stream: bytes, context: bytes = CONTEXT, keyring: Keyring = KEYRING) -> str:
    with pytest.raises(VaultError) as error:
        decrypt(stream, context, keyring)
    return error.value.code


def chunks(stream: bytes, chunk_size: int = SMALL) -> list[bytes]:
    body = stream[HEADER:]
    step = chunk_size + TAG
    return [body[at : at + step] for at in range(0, len(body), step)]


@given(st.binary(max_size=300), st.binary(max_size=40), st.integers(1, 64))
def test_round_trip(plaintext: bytes, context: bytes, chunk_size: int) -> None:
    out = io.BytesIO()
    encrypt_stream(KEYRING, io.BytesIO(plaintext), out, context, chunk_size)
    stream = out.getvalue()
    assert len(stream) == HEADER + len(plaintext) + TAG * (len(plaintext) // chunk_size + 1)
    assert stream[:4] == b"NCVS" and stream[9:13].hex() == KEYRING.active.id
    back = io.BytesIO()
    decrypt_stream(KEYRING, io.BytesIO(stream), back, context)
    assert back.getvalue() == plaintext


@given(st.lists(st.binary(max_size=40), max_size=12), st.integers(1, 32))
def test_written_piece_by_piece_it_is_the_same_stream_format(
    pieces: list[bytes], chunk_size: int
) -> None:
    """A recording is encrypted as it comes, in pieces of any size: the stream has the same
    layout as one encrypted in one go and decrypts to the pieces joined."""
    out = io.BytesIO()
    writer = EncryptingWriter(KEYRING, out, CONTEXT, chunk_size)
    for piece in pieces:
        assert writer.write(piece) == len(piece)
    writer.close()
    writer.close()
    plaintext = b"".join(pieces)
    stream = out.getvalue()
    assert len(stream) == HEADER + len(plaintext) + TAG * (len(plaintext) // chunk_size + 1)
    assert decrypt(stream) == plaintext
    with pytest.raises(ValueError, match="closed"):
        writer.write(b"more")


def test_a_piece_by_piece_stream_never_closed_is_refused() -> None:
    out = io.BytesIO()
    writer = EncryptingWriter(KEYRING, out, CONTEXT, SMALL)
    writer.write(b"x" * (SMALL * 3))
    assert refused(out.getvalue()) == "tampered"


@given(st.binary(max_size=100), st.binary(max_size=20), st.binary(max_size=20))
def test_another_context_does_not_open(plaintext: bytes, context: bytes, other: bytes) -> None:
    if other != context:
        out = io.BytesIO()
        encrypt_stream(KEYRING, io.BytesIO(plaintext), out, context, SMALL)
        assert refused(out.getvalue(), other) == "tampered"


@pytest.mark.parametrize(
    "size", [0, 1, DEFAULT_CHUNK_SIZE - 1, DEFAULT_CHUNK_SIZE, DEFAULT_CHUNK_SIZE + 1, 200_000]
)
def test_round_trip_with_the_default_chunk_size(size: int) -> None:
    plaintext = os.urandom(size)
    stream = encrypt(plaintext, DEFAULT_CHUNK_SIZE)
    assert len(chunks(stream, DEFAULT_CHUNK_SIZE)) == size // DEFAULT_CHUNK_SIZE + 1
    assert decrypt(stream) == plaintext


def test_empty_input_is_a_header_and_one_empty_last_chunk() -> None:
    stream = encrypt(b"")
    assert len(stream) == HEADER + TAG
    assert decrypt(stream) == b""


@pytest.mark.parametrize("size", [40, 32])
def test_every_single_bit_flip_is_refused(size: int) -> None:
    stream = encrypt(os.urandom(size))
    for bit in range(len(stream) * 8):
        changed = bytearray(stream)
        changed[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(VaultError):
            decrypt(bytes(changed))


@pytest.mark.parametrize("size", [40, 32])
def test_every_truncation_is_refused_chunk_boundaries_included(size: int) -> None:
    stream = encrypt(os.urandom(size))
    boundaries = [HEADER + n * (SMALL + TAG) for n in range(len(chunks(stream)))]
    assert all(refused(stream[:at]) == "tampered" for at in boundaries[1:])
    assert refused(stream[:HEADER]) == "tampered"
    for at in range(len(stream)):
        with pytest.raises(VaultError):
            decrypt(stream[:at])


def test_reordered_dropped_repeated_or_appended_chunks_are_refused() -> None:
    stream = encrypt(os.urandom(3 * SMALL + 5))
    head, parts = stream[:HEADER], chunks(stream)
    assert len(parts) == 4
    assert refused(head + parts[1] + parts[0] + parts[2] + parts[3]) == "tampered"
    assert refused(head + parts[0] + parts[2] + parts[3]) == "tampered"
    assert refused(head + parts[0] + parts[0] + parts[1] + parts[2] + parts[3]) == "tampered"
    assert refused(head + parts[0] + parts[1] + parts[2]) == "tampered"
    assert refused(stream + parts[3]) == "tampered"
    assert refused(stream + b"\x00") == "tampered"


def test_a_chunk_from_another_stream_is_refused() -> None:
    plaintext = os.urandom(3 * SMALL + 5)
    first, second = encrypt(plaintext), encrypt(plaintext)
    spliced = first[:HEADER] + chunks(first)[0] + chunks(second)[1] + b"".join(chunks(first)[2:])
    assert refused(spliced) == "tampered"
    assert refused(second[:HEADER] + first[HEADER:]) == "tampered"


def test_header_faults_have_their_own_codes() -> None:
    stream = encrypt(b"evidence")
    assert refused(b"") == "malformed"
    assert refused(stream[: HEADER - 1]) == "malformed"
    assert refused(b"NCVT" + stream[4:]) == "malformed"
    assert refused(stream[:4] + b"\x02" + stream[5:]) == "malformed"
    assert refused(stream[:5] + bytes(4) + stream[9:]) == "malformed"
    assert refused(stream[:5] + (16 * MiB + 1).to_bytes(4, "big") + stream[9:]) == "malformed"
    assert refused(stream[:5] + (SMALL + 1).to_bytes(4, "big") + stream[9:]) == "tampered"
    assert refused(stream, keyring=Keyring.generate(NOW)) == "unknown_key"


def test_a_stream_from_before_rotation_opens_after_it() -> None:
    stream = encrypt(b"recording")
    rotated = KEYRING.rotate(NOW)
    assert decrypt(stream, keyring=rotated) == b"recording"
    assert encrypt(b"new", keyring=rotated)[9:13].hex() == rotated.active.id
    assert refused(stream, keyring=rotated.retire(KEYRING.active.id)) == "unknown_key"


@pytest.mark.parametrize("chunk_size", [0, 16 * MiB + 1])
def test_the_chunk_size_is_bounded(chunk_size: int) -> None:
    with pytest.raises(ValueError):
        encrypt(b"x", chunk_size)


class Trickle(io.RawIOBase):
    """A reader that gives at most `most` bytes per read, like a pipe or a socket."""

    def __init__(self, data: bytes, most: int) -> None:
        self.data, self.at, self.most = data, 0, most

    def read(self, size: int = -1) -> bytes:
        taken = self.data[self.at : self.at + min(size, self.most)]
        self.at += len(taken)
        return taken


def test_short_reads_are_read_through() -> None:
    plaintext = os.urandom(1000)
    out = io.BytesIO()
    encrypt_stream(KEYRING, Trickle(plaintext, 7), out, CONTEXT, 100)
    back = io.BytesIO()
    decrypt_stream(KEYRING, Trickle(out.getvalue(), 5), back, CONTEXT)
    assert back.getvalue() == plaintext


class Generated:
    """`size` random bytes made as they are read, never all held at once."""

    def __init__(self, size: int) -> None:
        self.remaining, self.given = size, 0
        self.digest = hashlib.sha256()

    def read(self, size: int) -> bytes:
        data = os.urandom(min(size, self.remaining))
        self.remaining -= len(data)
        self.given += len(data)
        self.digest.update(data)
        return data


class Recorder:
    """A writer that keeps only the size of each write and how much was read before it."""

    def __init__(
        self, source: Generated | None = None, sink: io.BufferedWriter | None = None
    ) -> None:
        self.source, self.sink = source, sink
        self.writes: list[tuple[int, int]] = []
        self.digest = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.writes.append((len(data), self.source.given if self.source else 0))
        self.digest.update(data)
        if self.sink is not None:
            self.sink.write(data)
        return len(data)


def test_twenty_mebibytes_go_through_chunk_by_chunk_in_bounded_memory(tmp_path: Path) -> None:
    size = 20 * MiB
    source = Generated(size)
    encrypted = tmp_path / "blob.enc"
    with encrypted.open("wb") as sink:
        written = Recorder(source, sink)
        tracemalloc.start()
        try:
            encrypt_stream(KEYRING, source, written, CONTEXT)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak < 2 * MiB
    full = DEFAULT_CHUNK_SIZE + TAG
    assert [length for length, _ in written.writes] == [HEADER] + [full] * 320 + [TAG]
    for index, (_, read_before) in enumerate(written.writes[1:-1], start=1):
        assert read_before == index * DEFAULT_CHUNK_SIZE
    assert encrypted.stat().st_size == HEADER + 320 * full + TAG

    plaintext = Recorder()
    with encrypted.open("rb") as reader:
        tracemalloc.start()
        try:
            decrypt_stream(KEYRING, reader, plaintext, CONTEXT)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak < 2 * MiB
    assert [length for length, _ in plaintext.writes] == [DEFAULT_CHUNK_SIZE] * 320 + [0]
    assert plaintext.digest.digest() == source.digest.digest()
