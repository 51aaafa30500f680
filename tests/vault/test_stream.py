"""Encrypted streams: round trips, truncation, reordering, splicing, bounded memory."""

from __future__ import annotations

import hashlib
import io
import os
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netcourt.vault import (
    DEFAULT_CHUNK_SIZE,
    EncryptingWriter,
    Keyring,
    VaultError,
    decrypt_range,
    decrypt_stream,
    encrypt_stream,
    range_span,
    read_header,
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


# --- byte ranges ---------------------------------------------------------------------------


class Counted:
    """A reader that counts what is read from it."""

    def __init__(self, reader: io.RawIOBase | io.BufferedIOBase) -> None:
        self.reader = reader
        self.given = 0

    def read(self, size: int, /) -> bytes:
        data = self.reader.read(size)
        self.given += len(data)
        return data


def read_range(stream: bytes, size: int, start: int, end: int, *, chunk_size: int = SMALL) -> bytes:
    """Bytes `start` to `end` as a store would give them: the header, then the stream from
    the offset `range_span` gives (and no further than its length)."""
    header = read_header(io.BytesIO(stream))
    offset, length = range_span(chunk_size, size, start, end)
    reader = Counted(io.BytesIO(stream[offset:]))
    pieces = list(decrypt_range(KEYRING, header, reader, CONTEXT, size=size, start=start, end=end))
    assert all(0 < len(piece) <= chunk_size for piece in pieces)
    assert reader.given <= length
    return b"".join(pieces)


def range_refused(stream: bytes, size: int, start: int, end: int, chunk_size: int = SMALL) -> str:
    with pytest.raises(VaultError) as error:
        read_range(stream, size, start, end, chunk_size=chunk_size)
    return error.value.code


@st.composite
def ranges(draw: st.DrawFn) -> tuple[int, int, int, int]:
    """A chunk size, a plaintext length (often an exact multiple of the chunk size) and a
    range of it."""
    chunk_size = draw(st.integers(1, 40))
    size = draw(st.one_of(st.integers(1, 300), st.integers(1, 8).map(lambda n: n * chunk_size)))
    start = draw(st.integers(0, size - 1))
    end = draw(st.one_of(st.integers(start, size - 1), st.just(size - 1)))
    return chunk_size, size, start, end


@given(ranges(), st.randoms(use_true_random=False))
def test_a_range_is_exactly_those_bytes_read_from_its_own_chunks(
    drawn: tuple[int, int, int, int], rng: Any
) -> None:
    chunk_size, size, start, end = drawn
    plaintext = rng.randbytes(size)
    stream = encrypt(plaintext, chunk_size)
    assert read_range(stream, size, start, end, chunk_size=chunk_size) == plaintext[start : end + 1]
    offset, length = range_span(chunk_size, size, start, end)
    stored = chunk_size + TAG
    assert offset == HEADER + start // chunk_size * stored  # no chunk before the range is read
    if end == size - 1:
        assert offset + length == len(stream)  # to the end: the last chunk is read too
    else:  # only the chunks that hold the range: the last one is shorter
        chunks_read = range(start // chunk_size, end // chunk_size + 1)
        last = size // chunk_size
        assert length == sum(size % chunk_size + TAG if i == last else stored for i in chunks_read)


@pytest.mark.parametrize("size", [3 * SMALL, 3 * SMALL + 5])
def test_every_range_of_small_streams(size: int) -> None:
    plaintext = os.urandom(size)
    stream = encrypt(plaintext)
    for start in range(size):
        for end in range(start, size):
            assert read_range(stream, size, start, end) == plaintext[start : end + 1]


@given(ranges(), st.integers(0, 10**6), st.integers(0, 7))
def test_a_flipped_bit_in_a_chunk_of_the_range_is_tampered(
    drawn: tuple[int, int, int, int], where: int, bit: int
) -> None:
    chunk_size, size, start, end = drawn
    stream = encrypt(bytes(size), chunk_size)
    offset, length = range_span(chunk_size, size, start, end)
    changed = bytearray(stream)
    changed[offset + where % length] ^= 1 << bit
    assert range_refused(bytes(changed), size, start, end, chunk_size) == "tampered"


@given(ranges(), st.integers(0, 10**6))
def test_a_stream_cut_short_is_refused(drawn: tuple[int, int, int, int], where: int) -> None:
    chunk_size, size, start, end = drawn
    stream = encrypt(bytes(size), chunk_size)
    offset, length = range_span(chunk_size, size, start, end)
    cut = offset + where % length  # inside the range's chunks, chunk boundaries included
    assert range_refused(stream[:cut], size, start, end, chunk_size) == "tampered"
    if end == size - 1:  # a range to the end sees a cut anywhere after the header
        cut = HEADER + where % (len(stream) - HEADER)
        assert range_refused(stream[:cut], size, start, end, chunk_size) == "tampered"


def test_a_chunk_taken_as_last_that_is_not_or_the_other_way_round_is_tampered() -> None:
    """The last chunk is the one the plaintext's length says: a length that does not match
    the stream makes a chunk be read with the wrong last flag, or cut, and it is refused."""
    size = 3 * SMALL + 5  # chunks 0, 1, 2 full; chunk 3 last, 5 bytes
    stream = encrypt(os.urandom(size))
    assert range_refused(stream, 2 * SMALL + 5, 2 * SMALL, 2 * SMALL + 1) == "tampered"
    assert range_refused(stream, 3 * SMALL, 0, 3 * SMALL - 1) == "tampered"
    assert range_refused(stream, 3 * SMALL + 4, 3 * SMALL, 3 * SMALL) == "tampered"
    assert range_refused(stream, 4 * SMALL + 5, 3 * SMALL, 3 * SMALL) == "tampered"
    assert range_refused(stream, size + 1, 3 * SMALL, 3 * SMALL) == "tampered"  # the last: short
    assert read_range(stream, size, 3 * SMALL, 3 * SMALL) == decrypt(stream)[3 * SMALL :][:1]
    # A stream cut at a chunk boundary, with its own last chunk gone: the chunk before it was
    # not made as the last one.
    cut = stream[: HEADER + 3 * (SMALL + TAG)]
    assert range_refused(cut, size, 2 * SMALL, size - 1) == "tampered"
    assert range_refused(cut, 3 * SMALL, 2 * SMALL, 3 * SMALL - 1) == "tampered"


def test_ranges_spliced_from_another_stream_or_context_are_refused() -> None:
    plaintext = os.urandom(3 * SMALL + 5)
    first, second = encrypt(plaintext), encrypt(plaintext)
    assert range_refused(second[:HEADER] + first[HEADER:], len(plaintext), 20, 40) == "tampered"
    header = read_header(io.BytesIO(first))
    offset, _ = range_span(SMALL, len(plaintext), 20, 40)
    with pytest.raises(VaultError) as error:
        list(
            decrypt_range(
                KEYRING,
                header,
                io.BytesIO(first[offset:]),
                b"evidence.item.blob:8",
                size=len(plaintext),
                start=20,
                end=40,
            )
        )
    assert error.value.code == "tampered"


@pytest.mark.parametrize(
    ("size", "start", "end"), [(0, 0, 0), (10, 5, 4), (10, 0, 10), (10, -1, 3), (10, 11, 12)]
)
def test_a_range_outside_the_plaintext_is_a_value_error(size: int, start: int, end: int) -> None:
    stream = encrypt(bytes(size))
    with pytest.raises(ValueError):
        range_span(SMALL, size, start, end)
    with pytest.raises(ValueError):
        list(
            decrypt_range(
                KEYRING,
                stream[:HEADER],
                io.BytesIO(stream[HEADER:]),
                CONTEXT,
                size=size,
                start=start,
                end=end,
            )
        )


def test_a_bad_header_is_malformed_before_any_range() -> None:
    stream = encrypt(b"evidence")
    with pytest.raises(VaultError) as error:
        read_header(io.BytesIO(stream[: HEADER - 1]))
    assert error.value.code == "malformed"
    with pytest.raises(VaultError) as error:
        list(
            decrypt_range(
                KEYRING, b"NCVT" + stream[4:HEADER], io.BytesIO(), CONTEXT, size=8, start=0, end=1
            )
        )
    assert error.value.code == "malformed"


def test_a_range_of_a_large_stream_is_read_in_bounded_memory(tmp_path: Path) -> None:
    size = 20 * MiB + 7
    source = Generated(size)
    encrypted = tmp_path / "blob.enc"
    with encrypted.open("wb") as sink:
        encrypt_stream(KEYRING, source, sink, CONTEXT)
    start, end = 7 * MiB + 3, 19 * MiB
    offset, length = range_span(DEFAULT_CHUNK_SIZE, size, start, end)
    digest = hashlib.sha256()
    with encrypted.open("rb") as reader:
        header = read_header(reader)
        reader.seek(offset)
        counted = Counted(reader)
        tracemalloc.start()
        try:
            for piece in decrypt_range(
                KEYRING, header, counted, CONTEXT, size=size, start=start, end=end
            ):
                digest.update(piece)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak < 2 * MiB
    assert counted.given == length < 13 * MiB
    with encrypted.open("rb") as reader:
        whole = io.BytesIO()
        decrypt_stream(KEYRING, reader, whole, CONTEXT)
    assert digest.digest() == hashlib.sha256(whole.getvalue()[start : end + 1]).digest()
