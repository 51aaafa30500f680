"""Blob stores and encrypted blobs: every behaviour against both backends (conftest.py).

The local directory runs in tmp_path; S3 is moto's server, a real HTTP S3 stand-in.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import stat
import subprocess
import sys
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netcourt.vault import (
    DEFAULT_CHUNK_SIZE,
    BlobStore,
    Kek,
    Keyring,
    KeySet,
    KeySource,
    LocalDirectoryStore,
    S3Store,
    StoredBlob,
    VaultError,
    decrypt_chunks,
    decrypt_stream,
    encrypt_stream,
    open_sealed,
    read_decrypted,
    read_range,
    rewrap,
    seal,
    store_encrypted,
    verify_blob,
)
from netcourt.vault.blobs import S3_MIN_PART_SIZE

NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
LATER = datetime(2027, 5, 1, 2, 0, tzinfo=UTC)
CASE = KeySet.single(Kek.generate(NOW))
OTHER_CASE = KeySet.single(Kek.generate(NOW))
CONTEXT = b"evidence.item.blob:7"
KEY = "cases/42/evidence/7"
SMALL = 1024
HEADER = 60
TAG = 16
KiB = 1024
MiB = 1024 * KiB
REPO = Path(__file__).resolve().parents[2]
_serial = itertools.count()


def stored_size(size: int, chunk_size: int) -> int:
    return HEADER + size + TAG * (size // chunk_size + 1)


class Source:
    """A plaintext handed out `step` bytes at a time at most, as a socket or upload would."""

    def __init__(self, data: bytes, step: int = 1000) -> None:
        self.data = data
        self.at = 0
        self.step = step

    def read(self, size: int, /) -> bytes:
        part = self.data[self.at : self.at + min(size, self.step)]
        self.at += len(part)
        return part


class SourceBroke(Exception):
    pass


class BreakingSource(Source):
    """Gives `after` bytes, then raises, like a client that drops the upload."""

    def __init__(self, data: bytes, after: int) -> None:
        super().__init__(data, step=64 * KiB)
        self.after = after

    def read(self, size: int, /) -> bytes:
        if self.at >= self.after:
            raise SourceBroke("the client went away")
        return super().read(min(size, self.after - self.at))


class Generated:
    """`total` random-looking bytes made as they are read, never held all at once."""

    def __init__(self, total: int) -> None:
        self.left = total
        self.block = os.urandom(MiB + 64 * KiB)
        self.offset = 0
        self.digest = hashlib.sha256()

    def read(self, size: int, /) -> bytes:
        size = min(size, self.left, 64 * KiB)
        self.offset = (self.offset + 4099) % (len(self.block) - size + 1)
        part = self.block[self.offset : self.offset + size]
        self.left -= size
        self.digest.update(part)
        return part


class Collected:
    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes, /) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def value(self) -> bytes:
        return b"".join(self.parts)


def new_key(prefix: str = "cases/42/evidence") -> str:
    return f"{prefix}/{next(_serial)}"


def put(
    store: BlobStore,
    key: str,
    data: bytes,
    keys: KeySource = CASE,
    chunk_size: int = SMALL,
    **options: Any,
) -> StoredBlob:
    return store_encrypted(
        store, key, Source(data), keys, CONTEXT, chunk_size=chunk_size, **options
    )


def get(store: BlobStore, key: str, keys: KeySource = CASE, context: bytes = CONTEXT) -> bytes:
    out = Collected()
    read_decrypted(store, key, keys, context, out)
    return out.value()


def raw(store: BlobStore, key: str) -> bytes:
    out = bytearray()
    with store.open(key) as reader:
        while part := reader.read(100_000):
            out += part
    return bytes(out)


def put_raw(store: BlobStore, key: str, data: bytes) -> None:
    with store.writer(key) as writer:
        writer.write(data)


def refused(call: Any, *args: Any) -> str:
    with pytest.raises(VaultError) as error:
        call(*args)
    return error.value.code


def leftovers(store: BlobStore) -> int:
    """How many unfinished writes a sweep of everything would remove (it does remove them)."""
    return store.sweep_incomplete(timedelta(0), datetime.now(UTC) + timedelta(days=1))


# --- round trips ------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, SMALL - 1, SMALL, SMALL + 1, 5 * SMALL, 7 * SMALL + 3])
def test_round_trip(store: BlobStore, size: int) -> None:
    data = os.urandom(size)
    blob = put(store, KEY, data)
    assert blob == StoredBlob(KEY, size, hashlib.sha256(data).hexdigest(), stored_size(size, SMALL))
    assert store.exists(KEY)
    assert store.size(KEY) == blob.stored_size
    assert list(store.keys()) == [KEY]
    assert get(store, KEY) == data
    assert verify_blob(store, KEY, CASE, CONTEXT) == (blob.sha256, size)
    assert raw(store, KEY)[:4] == b"NCVS"


def test_round_trip_of_several_mebibytes(store: BlobStore) -> None:
    # Over S3 (5 MiB parts here) this is a multipart upload of three parts.
    data = os.urandom(12 * MiB + 5)
    blob = put(store, KEY, data, chunk_size=DEFAULT_CHUNK_SIZE)
    assert blob.size == len(data)
    assert blob.sha256 == hashlib.sha256(data).hexdigest()
    assert store.size(KEY) == blob.stored_size == stored_size(len(data), DEFAULT_CHUNK_SIZE)
    assert get(store, KEY) == data
    assert verify_blob(store, KEY, CASE, CONTEXT) == (blob.sha256, len(data))


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.binary(max_size=2000), chunk_size=st.integers(1, 64), step=st.integers(1, 300))
def test_round_trip_with_small_chunks(
    store: BlobStore, data: bytes, chunk_size: int, step: int
) -> None:
    key = new_key()
    blob = store_encrypted(store, key, Source(data, step), CASE, CONTEXT, chunk_size=chunk_size)
    assert (blob.size, blob.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert store.size(key) == blob.stored_size == stored_size(len(data), chunk_size)
    assert get(store, key) == data


def test_the_blob_is_the_stream_encrypt_stream_writes(store: BlobStore) -> None:
    data = os.urandom(3000)
    put(store, KEY, data)
    out = Collected()
    decrypt_stream(CASE, Source(raw(store, KEY)), out, CONTEXT)
    assert out.value() == data


def test_a_keyring_still_works_where_a_key_set_does(store: BlobStore) -> None:
    keyring = Keyring.generate(NOW)
    put(store, KEY, b"sealed under the master keyring")
    put(store, "other", b"under a keyring", keys=keyring)
    assert get(store, "other", keys=keyring) == b"under a keyring"
    assert refused(get, store, "other", CASE) == "unknown_key"


# --- all or nothing ---------------------------------------------------------------------------


def test_a_write_is_visible_only_when_its_block_ends(store: BlobStore) -> None:
    with store.writer(KEY) as writer:
        writer.write(b"x" * (6 * MiB))  # past one S3 part: the upload has begun
        assert not store.exists(KEY)
        assert list(store.keys()) == []
        assert refused(store.open, KEY) == "not_found"
        writer.write(b"y")
    assert store.size(KEY) == 6 * MiB + 1
    assert list(store.keys()) == [KEY]


@pytest.mark.parametrize("after", [0, 10 * KiB, 6 * MiB])
def test_a_source_that_fails_leaves_nothing_and_a_retry_succeeds(
    store: BlobStore, after: int
) -> None:
    data = os.urandom(7 * MiB)
    with pytest.raises(SourceBroke):
        store_encrypted(store, KEY, BreakingSource(data, after), CASE, CONTEXT)
    assert not store.exists(KEY)
    assert list(store.keys()) == []
    assert leftovers(store) == 0  # no temporary file, no multipart upload left behind
    blob = store_encrypted(store, KEY, Source(data, 64 * KiB), CASE, CONTEXT)
    assert blob.sha256 == hashlib.sha256(data).hexdigest()
    assert get(store, KEY) == data


def test_a_failed_rewrite_keeps_the_blob_that_was_there(store: BlobStore) -> None:
    put(store, KEY, b"the first version")
    with pytest.raises(SourceBroke):
        store_encrypted(store, KEY, BreakingSource(os.urandom(7 * MiB), 6 * MiB), CASE, CONTEXT)
    assert get(store, KEY) == b"the first version"
    put(store, KEY, b"the second version")
    assert get(store, KEY) == b"the second version"


def test_too_large_leaves_nothing(store: BlobStore) -> None:
    assert put(store, KEY, b"x" * 1000, max_bytes=1000).size == 1000
    store.delete(KEY)
    with pytest.raises(VaultError) as caught:
        put(store, KEY, b"x" * 1001, max_bytes=1000)
    assert caught.value.code == "too_large"
    assert not store.exists(KEY)
    # Over S3, past the first part: the multipart upload is aborted.
    with pytest.raises(VaultError) as caught:
        store_encrypted(
            store, KEY, Generated(7 * MiB), CASE, CONTEXT, max_bytes=6 * MiB, chunk_size=MiB
        )
    assert caught.value.code == "too_large"
    assert not store.exists(KEY)
    assert list(store.keys()) == []
    assert leftovers(store) == 0


CRASH = """
import json, os, sys
from pathlib import Path
from netcourt.vault import KeySet, Kek, LocalDirectoryStore, S3Store, store_encrypted
from datetime import UTC, datetime

spec = json.loads(sys.argv[1])
if spec["backend"] == "local":
    store = LocalDirectoryStore(Path(spec["root"]))
else:
    import boto3
    client = boto3.client(
        "s3", endpoint_url=spec["endpoint"], region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )
    store = S3Store(spec["bucket"], client=client, part_size=spec["part_size"])

class Dies:
    given = 0
    def read(self, size):
        if self.given >= spec["die_after"]:
            print("dying", flush=True)
            os._exit(9)
        self.given += size
        return os.urandom(size)

keys = KeySet.single(Kek.generate(datetime.now(UTC)))
store_encrypted(store, spec["key"], Dies(), keys, b"context", chunk_size=1024 * 1024)
"""


def test_a_process_that_dies_mid_write_leaves_nothing_visible_and_sweep_clears_it(
    store: BlobStore, store_spec: dict[str, Any]
) -> None:
    spec = {**store_spec, "key": KEY, "die_after": 6 * MiB}
    done = subprocess.run(
        [sys.executable, "-c", CRASH, json.dumps(spec)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (done.returncode, done.stdout) == (9, "dying\n"), done.stderr
    assert not store.exists(KEY)
    assert list(store.keys()) == []
    now = datetime.now(UTC)
    assert store.sweep_incomplete(timedelta(hours=1), now) == 0  # too fresh to be abandoned
    assert store.sweep_incomplete(timedelta(hours=1), now + timedelta(hours=2)) == 1
    assert leftovers(store) == 0
    put(store, KEY, b"written again")
    assert get(store, KEY) == b"written again"


def test_sweep_spares_a_write_in_progress_and_finished_blobs(store: BlobStore) -> None:
    put(store, "done", b"finished")
    with store.writer(KEY) as writer:
        writer.write(b"x" * (6 * MiB))
        assert store.sweep_incomplete(timedelta(minutes=10), datetime.now(UTC)) == 0
        writer.write(b"y")
    assert store.size(KEY) == 6 * MiB + 1
    assert leftovers(store) == 0
    assert get(store, "done") == b"finished"


def test_a_write_swept_from_under_it_fails_rather_than_half_succeeding(store: BlobStore) -> None:
    with pytest.raises(VaultError) as caught, store.writer(KEY) as writer:
        writer.write(b"x" * (6 * MiB))
        assert leftovers(store) == 1
        writer.write(b"y" * (6 * MiB))
    assert caught.value.code == "backend"
    assert not store.exists(KEY)


# --- tampering and keys -----------------------------------------------------------------------


def test_a_flipped_byte_is_tampered(store: BlobStore) -> None:
    data = os.urandom(5 * SMALL + 100)
    blob = put(store, KEY, data)
    original = raw(store, KEY)
    wrapped_key_at = 13  # magic, version, chunk size, KEK id; then the wrapped data key
    for at in [wrapped_key_at, HEADER - 1, HEADER, HEADER + 2000, blob.stored_size - 1]:
        changed = bytearray(original)
        changed[at] ^= 0x01
        put_raw(store, KEY, bytes(changed))
        assert refused(get, store, KEY) == "tampered", at
        assert refused(verify_blob, store, KEY, CASE, CONTEXT) == "tampered", at
    put_raw(store, KEY, original[: HEADER + SMALL + TAG])  # cut at a chunk boundary
    assert refused(verify_blob, store, KEY, CASE, CONTEXT) == "tampered"
    put_raw(store, KEY, original + b"\x00")
    assert refused(verify_blob, store, KEY, CASE, CONTEXT) == "tampered"
    put_raw(store, KEY, original)
    assert verify_blob(store, KEY, CASE, CONTEXT) == (blob.sha256, blob.size)


def test_another_case_keys_or_context_cannot_open_a_blob(store: BlobStore) -> None:
    put(store, KEY, b"the plaintiff's contract")
    assert refused(get, store, KEY, OTHER_CASE) == "unknown_key"
    assert refused(verify_blob, store, KEY, OTHER_CASE, CONTEXT) == "unknown_key"
    impostor = KeySet.single(Kek(CASE.active.id, NOW, os.urandom(32)))  # same id, other key
    assert refused(get, store, KEY, impostor) == "tampered"
    assert refused(get, store, KEY, CASE, b"evidence.item.blob:8") == "tampered"


def test_a_blob_outlives_master_key_rotation(store: BlobStore) -> None:
    """The master keyring wraps only the case key: rotating it rewraps that, never the blob."""
    master = Keyring.generate(NOW)
    case_kek = Kek.generate(NOW)
    where = b"cases.case.kek:42"
    sealed_case_key = seal(master, case_kek.key, where)
    data = os.urandom(3 * SMALL + 7)
    put(store, KEY, data, keys=KeySet.single(case_kek))
    stored = raw(store, KEY)

    rotated = master.rotate(LATER)
    resealed = rewrap(rotated, sealed_case_key)
    after = rotated.retire(master.active.id)  # the old master key is gone for good
    assert refused(open_sealed, after, sealed_case_key, where) == "unknown_key"

    reopened = Kek(case_kek.id, case_kek.created, open_sealed(after, resealed, where))
    assert get(store, KEY, KeySet.single(reopened)) == data
    assert raw(store, KEY) == stored  # the blob was never touched


def test_a_case_key_set_with_an_older_key_opens_old_blobs_and_writes_under_the_new(
    store: BlobStore,
) -> None:
    old, new = Kek.generate(NOW), Kek.generate(LATER)
    put(store, "old", b"before", keys=KeySet.single(old))
    both = KeySet([old, new], new.id)
    put(store, "new", b"after", keys=both)
    assert get(store, "old", both) == b"before"
    assert get(store, "new", both) == b"after"
    assert raw(store, "new")[9:13].hex() == new.id
    assert refused(get, store, "new", KeySet.single(old)) == "unknown_key"


# --- keys and the other operations ------------------------------------------------------------

BAD_KEYS = [
    "",
    "/cases/1",
    "cases/1/",
    "cases//1",
    "Cases/1",
    "cases/../1",
    "cases/1/..",
    "a..b",
    ".hidden",
    "cases/.tmp-x",
    "-dash",
    "cases/1 2",
    "cases\\1",
    "cases/é",
    "cases/1=2",
    "x" * 201,
]


@pytest.mark.parametrize("bad", BAD_KEYS)
def test_bad_keys_are_refused(store: BlobStore, bad: str) -> None:
    assert refused(store.writer, bad) == "bad_key"
    assert refused(store.open, bad) == "bad_key"
    assert refused(store.exists, bad) == "bad_key"
    assert refused(store.size, bad) == "bad_key"
    assert refused(store.delete, bad) == "bad_key"
    assert refused(put, store, bad, b"data") == "bad_key"
    assert refused(get, store, bad) == "bad_key"


def test_bad_prefixes_are_refused(store: BlobStore) -> None:
    for bad in ["/", "Cases", "cases/é", "cases//", "cases/.", "a..", "x" * 201]:
        assert refused(store.keys, bad) == "bad_key"  # at once, before any listing


def test_good_keys_work(store: BlobStore) -> None:
    good = ["a", "0", "cases/2026/hz-0001/evidence/7.pdf", "x_y.z-w", "a/" * 99 + "b", "x" * 200]
    for key in good:
        put(store, key, key.encode())
    assert sorted(store.keys()) == sorted(good)
    for key in good:
        assert get(store, key) == key.encode()


def test_missing_blobs(store: BlobStore) -> None:
    assert not store.exists(KEY)
    assert refused(store.open, KEY) == "not_found"
    assert refused(store.size, KEY) == "not_found"
    assert refused(get, store, KEY) == "not_found"
    assert refused(verify_blob, store, KEY, CASE, CONTEXT) == "not_found"
    store.delete(KEY)  # idempotent
    put(store, KEY, b"here")
    store.delete(KEY)
    store.delete(KEY)
    assert not store.exists(KEY)
    assert list(store.keys()) == []


def test_keys_by_prefix(store: BlobStore) -> None:
    names = ["cases/1/a", "cases/1/b", "cases/10/a", "cases/2/a", "recordings/1"]
    for key in names:
        put_raw(store, key, b"")
    assert sorted(store.keys()) == names
    assert sorted(store.keys("cases/1/")) == ["cases/1/a", "cases/1/b"]
    assert sorted(store.keys("cases/1")) == ["cases/1/a", "cases/1/b", "cases/10/a"]
    assert list(store.keys("nothing")) == []
    assert sorted(store.keys("cases/1/a")) == ["cases/1/a"]
    assert len(list(store.keys("c"))) == 4
    assert store.size("cases/2/a") == 0


def test_blobs_written_before_a_moment_by_prefix(store: BlobStore) -> None:
    before = datetime.now(UTC) - timedelta(minutes=5)
    for key in ["cases/1/a", "cases/2/a", "documents/d"]:
        put_raw(store, key, b"x")
    after = datetime.now(UTC) + timedelta(minutes=5)
    assert list(store.written_before(before)) == []
    assert sorted(store.written_before(after)) == ["cases/1/a", "cases/2/a", "documents/d"]
    assert sorted(store.written_before(after, "cases/")) == ["cases/1/a", "cases/2/a"]
    store.delete("cases/1/a")
    assert list(store.written_before(after, "cases/")) == ["cases/2/a"]
    with pytest.raises(VaultError) as bad:
        list(store.written_before(after, "../"))
    assert bad.value.code == "bad_key"


def test_a_key_and_a_key_below_it_coexist(store: BlobStore) -> None:
    put(store, "cases/1", b"parent")
    put(store, "cases/1/a", b"child")
    assert get(store, "cases/1") == b"parent"
    assert get(store, "cases/1/a") == b"child"


# --- byte ranges ------------------------------------------------------------------------------


def read_all(store: BlobStore, key: str, start: int = 0, length: int | None = None) -> bytes:
    out = bytearray()
    with store.open(key, start, length) as reader:
        while part := reader.read(333):
            out += part
    return bytes(out)


def get_range(
    store: BlobStore,
    key: str,
    size: int,
    start: int,
    end: int,
    keys: KeySource = CASE,
    context: bytes = CONTEXT,
) -> bytes:
    return b"".join(read_range(store, key, keys, context, size=size, start=start, end=end))


def test_a_blob_opens_at_an_offset_for_a_length(store: BlobStore) -> None:
    data = os.urandom(1000)
    put_raw(store, KEY, data)
    assert read_all(store, KEY) == data
    assert read_all(store, KEY, 300) == data[300:]
    assert read_all(store, KEY, 300, 100) == data[300:400]
    assert read_all(store, KEY, 0, 1) == data[:1]
    assert read_all(store, KEY, 999) == data[999:]
    assert read_all(store, KEY, 900, 500) == data[900:]  # a length past the end: to the end
    assert read_all(store, KEY, 10, 0) == b""
    for past in (1000, 5000):  # at or past the end: nothing, whatever the length
        assert read_all(store, KEY, past) == b""
        assert read_all(store, KEY, past, 10) == b""
    with store.open(KEY, 300, 100) as reader:
        assert reader.read(1000) == data[300:400]  # never more than the length
        assert reader.read(1000) == b""
    for start, length in ((0, None), (5, None), (5, 10), (5, 0)):
        assert refused(store.open, "cases/none", start, length) == "not_found"
    with pytest.raises(ValueError):
        store.open(KEY, -1)
    with pytest.raises(ValueError):
        store.open(KEY, 0, -1)


def test_an_offset_read_crosses_the_parts_of_a_large_blob(store: BlobStore) -> None:
    data = os.urandom(6 * MiB)  # over S3, two parts of a multipart upload
    put_raw(store, KEY, data)
    at = 5 * MiB - 10
    assert read_all(store, KEY, at, 20) == data[at : at + 20]
    assert read_all(store, KEY, at) == data[at:]


class RecordingClient:
    """An S3 client that passes every call on, noting each ``GetObject``'s arguments."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.gets: list[dict[str, Any]] = []

    def get_object(self, **kwargs: Any) -> Any:
        self.gets.append(kwargs)
        return self._client.get_object(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def test_s3_reads_a_range_with_two_ranged_gets_against_the_server(s3: Any) -> None:
    """moto's server answers real HTTP range requests: the header, then only the chunks."""
    from tests.vault.conftest import new_bucket

    client = RecordingClient(s3)
    store = S3Store(new_bucket(s3), client=client, part_size=S3_MIN_PART_SIZE)
    data = os.urandom(20 * SMALL + 7)
    put(store, KEY, data)
    assert (
        get_range(store, KEY, len(data), 5 * SMALL + 3, 7 * SMALL)
        == data[5 * SMALL + 3 : 7 * SMALL + 1]
    )
    chunk = SMALL + TAG
    assert [get.get("Range") for get in client.gets] == [
        f"bytes=0-{HEADER - 1}",
        f"bytes={HEADER + 5 * chunk}-{HEADER + 8 * chunk - 1}",  # chunks 5, 6 and 7
    ]
    client.gets.clear()
    assert get(store, KEY) == data
    assert [get.get("Range") for get in client.gets] == [None]  # a whole read asks no range


@pytest.mark.parametrize(
    "size", [1, SMALL - 1, SMALL, SMALL + 1, 3 * SMALL, 5 * SMALL + 100, 8 * SMALL]
)
def test_a_range_of_a_blob_is_those_bytes(store: BlobStore, size: int) -> None:
    data = os.urandom(size)
    put(store, KEY, data)
    spots = {0, 1, SMALL - 1, SMALL, SMALL + 1, size // 2, size - 2, size - 1}
    for start in sorted(at for at in spots if 0 <= at < size):
        for end in sorted(at for at in spots | {size + 5} if start <= at):
            last = min(end, size - 1)
            assert get_range(store, KEY, size, start, last) == data[start : last + 1], (start, last)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    chunk_size=st.integers(1, 64),
    size=st.one_of(st.integers(1, 1500), st.integers(1, 20).map(lambda n: n * 64)),
    where=st.tuples(st.floats(0, 1), st.floats(0, 1)),
)
def test_any_range_of_any_blob(
    store: BlobStore, chunk_size: int, size: int, where: tuple[float, float]
) -> None:
    data = os.urandom(size)
    key = new_key()
    put(store, key, data, chunk_size=chunk_size)
    start, end = sorted(min(int(at * size), size - 1) for at in where)
    assert get_range(store, key, size, start, end) == data[start : end + 1]


def test_a_range_of_a_changed_or_cut_blob_is_refused(store: BlobStore) -> None:
    data = os.urandom(10 * SMALL + 100)
    size = len(data)
    put(store, KEY, data)
    original = raw(store, KEY)
    chunk = SMALL + TAG
    inside = HEADER + 4 * chunk + 50  # in chunk 4
    for at, start, end in [
        (inside, 4 * SMALL, 4 * SMALL + 10),
        (inside, 3 * SMALL, size - 1),
        (HEADER + 10 * chunk + 3, 9 * SMALL, size - 1),  # the last chunk
        (20, 4 * SMALL, 4 * SMALL),  # the wrapped data key, in the header
    ]:
        changed = bytearray(original)
        changed[at] ^= 0x01
        put_raw(store, KEY, bytes(changed))
        assert refused(get_range, store, KEY, size, start, end) == "tampered", (at, start)
    changed = bytearray(original)
    changed[inside] ^= 0x01
    put_raw(store, KEY, bytes(changed))
    # A range reads its own chunks only: chunk 4 is not in bytes 0-100 (the whole read sees it).
    assert get_range(store, KEY, size, 0, 100) == data[:101]
    for cut in [HEADER + 10 * chunk, HEADER + 5 * chunk + 7, HEADER + 2 * chunk, HEADER]:
        put_raw(store, KEY, original[:cut])  # cut short, at chunk boundaries and inside
        assert refused(get_range, store, KEY, size, 5 * SMALL, size - 1) == "tampered", cut
    put_raw(store, KEY, original[: HEADER - 1])
    assert refused(get_range, store, KEY, size, 0, 1) == "malformed"
    put_raw(store, KEY, original)
    assert refused(get_range, store, KEY, size, 0, 1, OTHER_CASE) == "unknown_key"
    assert refused(get_range, store, KEY, size, 0, 1, CASE, b"evidence.item.blob:8") == "tampered"
    assert refused(get_range, store, KEY, size + 1, 0, size) == "tampered"  # not its length
    assert refused(get_range, store, "cases/none", size, 0, 1) == "not_found"
    assert get_range(store, KEY, size, 0, size - 1) == data


def test_a_range_outside_the_plaintext_is_refused_at_once(store: BlobStore) -> None:
    for size, start, end in [(10, 5, 4), (10, 0, 10), (10, -1, 3), (0, 0, 0)]:
        with pytest.raises(ValueError):
            read_range(store, KEY, CASE, CONTEXT, size=size, start=start, end=end)
    with pytest.raises(VaultError):
        read_range(store, "../x", CASE, CONTEXT, size=10, start=0, end=1)


def test_local_files_and_directories_are_private(tmp_path: Path) -> None:
    store = LocalDirectoryStore(tmp_path / "vault" / "blobs")
    put(store, KEY, b"private")
    path = store.path(KEY)
    assert path.name == "cases=42=evidence=7"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    directory = path.parent
    while directory != tmp_path:
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700, directory
        directory = directory.parent
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left


def test_local_keys_ignore_stray_files(tmp_path: Path) -> None:
    store = LocalDirectoryStore(tmp_path)
    put(store, KEY, b"kept")
    (store.path(KEY).parent / "notes.txt").write_text("an operator's file")
    (store.path(KEY).parent / "BAD").write_text("not a key")
    (tmp_path / "README").write_text("not in a fan-out directory")
    assert list(store.keys()) == [KEY]


# --- bounded memory ---------------------------------------------------------------------------


def test_local_store_streams_200_mib_in_bounded_memory(tmp_path: Path) -> None:
    store = LocalDirectoryStore(tmp_path)
    total = 200 * MiB
    source = Generated(total)
    tracemalloc.start()
    try:
        blob = store_encrypted(store, KEY, source, CASE, CONTEXT)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * MiB, peak
    assert blob.size == total
    assert blob.sha256 == source.digest.hexdigest()
    assert store.size(KEY) == blob.stored_size == stored_size(total, DEFAULT_CHUNK_SIZE)
    tracemalloc.start()
    try:
        assert verify_blob(store, KEY, CASE, CONTEXT) == (blob.sha256, total)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * MiB, peak


def test_s3_store_memory_stays_within_a_few_parts(s3: Any) -> None:
    from tests.vault.conftest import new_bucket

    store = S3Store(new_bucket(s3), client=s3, part_size=8 * MiB)
    source = Generated(40 * MiB)
    tracemalloc.start()
    try:
        blob = store_encrypted(store, KEY, source, CASE, CONTEXT, chunk_size=MiB)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 3 * 8 * MiB, peak  # the part being filled and the one being sent
    assert verify_blob(store, KEY, CASE, CONTEXT) == (source.digest.hexdigest(), 40 * MiB)
    assert blob.stored_size == store.size(KEY)


# --- key sets ---------------------------------------------------------------------------------


def test_a_key_set_is_small_immutable_and_shows_no_key_material() -> None:
    first, second = Kek.generate(NOW), Kek.generate(LATER)
    keys = KeySet([first, second], second.id)
    assert keys.active is second and keys.get(first.id) is first
    assert keys.keys == (first, second)
    assert KeySet.single(first).active is first
    assert first.key.hex() not in repr(keys) and first.id in repr(keys)
    with pytest.raises(AttributeError):
        keys._active = first  # type: ignore[misc]
    with pytest.raises(AttributeError):
        keys.lookup_key  # type: ignore[attr-defined]  # noqa: B018
    assert refused(keys.get, "00000000") == "unknown_key"
    assert refused(KeySet, [first, first], first.id) == "invalid_keyring"
    assert refused(KeySet, [first], second.id) == "invalid_keyring"


def test_streams_take_any_key_source() -> None:
    out = Collected()
    encrypt_stream(CASE, Source(b"a stream"), out, CONTEXT, 4)
    back = Collected()
    decrypt_stream(CASE, Source(out.value()), back, CONTEXT)
    assert back.value() == b"a stream"
    sealed = seal(CASE, b"a value", CONTEXT)
    assert open_sealed(CASE, sealed, CONTEXT) == b"a value"


def test_decrypt_chunks_gives_each_checked_chunk_as_decrypt_stream_writes_it(
    store: BlobStore,
) -> None:
    data = os.urandom(3 * SMALL + 10)
    put(store, KEY, data)
    with store.open(KEY) as reader:
        chunks = list(decrypt_chunks(CASE, reader, CONTEXT))
    assert [len(c) for c in chunks] == [SMALL, SMALL, SMALL, 10]
    assert b"".join(chunks) == data
    changed = bytearray(raw(store, KEY))
    changed[HEADER + 2 * (SMALL + TAG) + 5] ^= 0x80  # inside the third chunk
    given = []
    with pytest.raises(VaultError) as caught:
        for chunk in decrypt_chunks(CASE, Source(bytes(changed)), CONTEXT):
            given.append(chunk)
    assert caught.value.code == "tampered"
    assert given == chunks[:2]


def test_importing_the_vault_imports_neither_boto3_nor_django() -> None:
    code = (
        "import sys, netcourt.vault;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in"
        " ('boto3', 'botocore', 'django')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert done.stdout.strip() == "[]"
