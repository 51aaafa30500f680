"""Blob stores — a local directory or an S3-compatible bucket — and encrypted blobs in them.

A blob store keeps byte strings under keys. A key is at most 200 characters: parts separated by
``/``, each of ``a``-``z``, ``0``-``9``, ``_``, ``.`` and ``-``, starting with a letter or digit
(so no empty part, no ``..``, no leading ``/``, no hidden names); anything else is ``bad_key``.

Writing is all or nothing. The bytes written in ``with store.writer(key) as out:`` appear under
`key` only when the block ends without an exception, and then replace whatever was there; an
exception, or the process dying, leaves what was there before. What an interrupted process
leaves behind (temporary files, unfinished multipart uploads) is invisible to `exists`, `open`
and `keys`, and `sweep_incomplete` removes it once it has been idle for longer than any live
write would pause. `written_before` lists the blobs last written before a moment, so that a
caller can find those that no record claims.

`LocalDirectoryStore` is the embedded default: one file per blob, mode 0600, under two levels of
fan-out directories (mode 0700) named from the SHA-256 of the key, the file named after the key
with ``/`` written as ``=``. A write goes to a temporary file in the blob's own directory,
is flushed and fsync'd, renamed over the blob's name, and the directory is fsync'd — so a blob
is on disk before the database row that points to it commits.

`S3Store` puts blobs in a bucket of an S3-compatible store through a boto3 client. A blob of
less than one part (8 MiB by default) is sent in one ``PutObject``; a larger one as a multipart
upload of parts buffered in memory, completed when the block ends and aborted on an exception,
so memory stays within about twice the part size whatever the blob's size.

A blob is read from its start or from any offset, whole or a number of bytes
(``open(key, start, length)``): the local store seeks, S3 asks for a byte range
(``Range: bytes=start-``). An offset at or past the end gives no bytes.

`store_encrypted` reads a plaintext once, hashing it (SHA-256) and writing it as an encrypted
stream (`netcourt.vault.stream`) into a store; `read_decrypted` and `verify_blob` read it back,
and `read_range` reads any byte range of the plaintext, decrypting only the chunks that hold it.
For evidence, `keys` is the case's `KeySet`: each blob's data key is wrapped under the case's
own KEK, itself sealed under the master keyring, so rotating the master key never touches a
blob.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

from netcourt.vault.errors import VaultError
from netcourt.vault.keys import KeySource
from netcourt.vault.stream import (
    DEFAULT_CHUNK_SIZE,
    HEADER_BYTES,
    Reader,
    Writer,
    chunk_size_of,
    decrypt_chunks,
    decrypt_range,
    decrypt_stream,
    encrypt_stream,
    range_span,
    read_header,
)

KEY_MAX_LENGTH = 200
S3_MIN_PART_SIZE = 5 * 1024 * 1024
S3_DEFAULT_PART_SIZE = 8 * 1024 * 1024
S3_MAX_PARTS = 10_000

_KEY = re.compile(r"[a-z0-9][a-z0-9_.-]*(?:/[a-z0-9][a-z0-9_.-]*)*")
_FAN_OUT = re.compile(r"[0-9a-f]{2}")
_TEMP_PREFIX = ".tmp-"
_NOT_FOUND = frozenset({"404", "NoSuchKey", "NotFound"})


def is_key(key: str) -> bool:
    """Whether `key` is a well-formed blob key."""
    return len(key) <= KEY_MAX_LENGTH and ".." not in key and _KEY.fullmatch(key) is not None


def check_key(key: str) -> str:
    """`key` if it is a well-formed blob key; `bad_key` otherwise."""
    if not is_key(key):
        raise VaultError(
            "bad_key",
            f"{key[:80]!r} is not a blob key: up to {KEY_MAX_LENGTH} characters a-z 0-9 _ . -"
            " in parts separated by '/', each starting with a letter or digit, no '..'",
        )
    return key


def _check_prefix(prefix: str) -> str:
    """`prefix` if some blob key begins with it (or it is empty); `bad_key` otherwise."""
    if prefix and not is_key(prefix) and not is_key(prefix + "a"):
        raise VaultError("bad_key", f"{prefix[:80]!r} cannot begin a blob key")
    return prefix


class BlobStore(Protocol):
    """Where blobs live. Every method checks its key first (`bad_key`)."""

    def writer(self, key: str) -> AbstractContextManager[Writer]:
        """Bytes written inside the block appear under `key` when it ends without exception."""
        ...

    def open(
        self, key: str, start: int = 0, length: int | None = None
    ) -> AbstractContextManager[Reader]:
        """The blob's bytes from offset `start`, to its end or `length` bytes at most,
        streamed; `not_found` if there is none. No bytes when `start` is at or past the end."""
        ...

    def exists(self, key: str) -> bool: ...

    def size(self, key: str) -> int:
        """The blob's size in bytes; `not_found` if there is none."""
        ...

    def delete(self, key: str) -> None:
        """Remove the blob if there is one (deleting a missing blob is no error)."""
        ...

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Every blob key that starts with `prefix`, in no particular order."""
        ...

    def written_before(self, cutoff: datetime, prefix: str = "") -> Iterator[str]:
        """The keys (starting with `prefix`) of blobs last written before `cutoff`."""
        ...

    def sweep_incomplete(self, older_than: timedelta, now: datetime) -> int:
        """Remove unfinished writes idle since ``now - older_than``; how many were removed.

        Pick `older_than` well above the longest pause a live write may take: a write swept
        from under it fails (``backend``) when its block ends, and leaves nothing.
        """
        ...


# --- a local directory ------------------------------------------------------------------------


class LocalDirectoryStore:
    """Blobs as files under `root`, which is made (mode 0700) on the first write."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        """The file that holds the blob `key` (whether or not it exists)."""
        digest = hashlib.sha256(check_key(key).encode("ascii")).hexdigest()
        return self.root / digest[:2] / digest[2:4] / key.replace("/", "=")

    def writer(self, key: str) -> AbstractContextManager[Writer]:
        return _LocalWriter(self.path(key))

    def open(
        self, key: str, start: int = 0, length: int | None = None
    ) -> AbstractContextManager[Reader]:
        _check_span(start, length)
        path = self.path(key)
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            raise VaultError("not_found", f"no blob {key}") from None
        except OSError as error:
            raise VaultError("backend", f"blob {key} cannot be opened: {error}") from error
        try:
            if start:
                handle.seek(start)
        except OSError as error:
            handle.close()
            raise VaultError("backend", f"blob {key} cannot be read: {error}") from error
        read = handle.read if length is None else _Bounded(handle.read, length).read
        return _StreamReader(read, handle.close, key)

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def size(self, key: str) -> int:
        try:
            return self.path(key).stat().st_size
        except FileNotFoundError:
            raise VaultError("not_found", f"no blob {key}") from None
        except OSError as error:
            raise VaultError("backend", f"blob {key}: {error}") from error

    def delete(self, key: str) -> None:
        try:
            self.path(key).unlink(missing_ok=True)
        except OSError as error:
            raise VaultError("backend", f"blob {key} cannot be deleted: {error}") from error

    def keys(self, prefix: str = "") -> Iterator[str]:
        return (key for key, _ in self._entries(_check_prefix(prefix)))

    def written_before(self, cutoff: datetime, prefix: str = "") -> Iterator[str]:
        moment = cutoff.timestamp()
        for key, entry in self._entries(_check_prefix(prefix)):
            try:
                if entry.stat(follow_symlinks=False).st_mtime < moment:
                    yield key
            except FileNotFoundError:
                continue  # deleted meanwhile

    def _entries(self, prefix: str) -> Iterator[tuple[str, os.DirEntry[str]]]:
        for directory in self._leaf_directories():
            for entry in _scan(directory):
                if entry.name.startswith("."):
                    continue
                key = entry.name.replace("=", "/")
                if (
                    key.startswith(prefix)
                    and is_key(key)
                    and self.path(key).parent == directory
                    and entry.is_file(follow_symlinks=False)
                ):
                    yield key, entry

    def sweep_incomplete(self, older_than: timedelta, now: datetime) -> int:
        """Remove temporary files last written before the cutoff (their mtime)."""
        cutoff = (now - older_than).timestamp()
        removed = 0
        for directory in self._leaf_directories():
            for entry in _scan(directory):
                if not entry.name.startswith(_TEMP_PREFIX):
                    continue
                try:
                    if entry.stat(follow_symlinks=False).st_mtime < cutoff:
                        os.unlink(entry.path)
                        removed += 1
                except FileNotFoundError:
                    continue
                except OSError as error:
                    raise VaultError("backend", f"cannot sweep {entry.path}: {error}") from error
        return removed

    def _leaf_directories(self) -> Iterator[Path]:
        for top in _scan(self.root):
            if _FAN_OUT.fullmatch(top.name) and top.is_dir(follow_symlinks=False):
                for leaf in _scan(Path(top.path)):
                    if _FAN_OUT.fullmatch(leaf.name) and leaf.is_dir(follow_symlinks=False):
                        yield Path(leaf.path)

    def __repr__(self) -> str:
        return f"LocalDirectoryStore({str(self.root)!r})"


def _scan(directory: Path | str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(directory) as entries:
            return sorted(entries, key=lambda entry: entry.name)
    except FileNotFoundError:
        return []
    except OSError as error:
        raise VaultError("backend", f"cannot list {directory}: {error}") from error


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _make_directories(directory: Path) -> None:
    """`directory` and any missing parents, each mode 0700 and recorded on disk."""
    missing = []
    while not directory.is_dir():
        missing.append(directory)
        directory = directory.parent
    for new in reversed(missing):
        try:
            os.mkdir(new, 0o700)
        except FileExistsError:
            pass
        _fsync_directory(new.parent)


class _LocalWriter:
    """A temporary file next to `target`, renamed onto it when the block ends cleanly."""

    def __init__(self, target: Path) -> None:
        self._target = target
        self._temp = ""
        self._file: Any = None

    def __enter__(self) -> _LocalWriter:
        try:
            _make_directories(self._target.parent)
            fd, self._temp = tempfile.mkstemp(dir=self._target.parent, prefix=_TEMP_PREFIX)
        except OSError as error:
            raise VaultError("backend", f"cannot start a blob: {error}") from error
        self._file = os.fdopen(fd, "wb")  # mkstemp makes it mode 0600
        return self

    def write(self, data: bytes, /) -> int:
        try:
            written: int = self._file.write(data)
        except OSError as error:
            raise VaultError("backend", f"cannot write a blob: {error}") from error
        return written

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self._discard()
            return
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            os.replace(self._temp, self._target)
            _fsync_directory(self._target.parent)
        except OSError as error:
            self._discard()
            raise VaultError("backend", f"cannot finish a blob: {error}") from error

    def _discard(self) -> None:
        try:
            self._file.close()
        except OSError:
            pass
        try:
            os.unlink(self._temp)
        except OSError:
            pass  # already renamed or swept; a leftover is swept later


def _check_span(start: int, length: int | None) -> None:
    if start < 0 or (length is not None and length < 0):
        raise ValueError("a blob is read from an offset of 0 or more, for 0 bytes or more")


class _Bounded:
    """`read`, giving `left` bytes in all at most."""

    def __init__(self, read: Callable[[int], bytes], left: int) -> None:
        self._read = read
        self._left = left

    def read(self, size: int, /) -> bytes:
        if size < 0 or size > self._left:
            size = self._left
        if not size:
            return b""
        data = self._read(size)
        self._left -= len(data)
        return data


class _StreamReader:
    """A byte stream whose read errors are `backend` errors, closed when the block ends."""

    def __init__(self, read: Callable[[int], bytes], close: Callable[[], object], key: str):
        self._read = read
        self._close = close
        self._key = key

    def __enter__(self) -> _StreamReader:
        return self

    def read(self, size: int, /) -> bytes:
        try:
            return self._read(size)
        except OSError as error:
            raise VaultError("backend", f"cannot read blob {self._key}: {error}") from error
        except Exception as error:
            if isinstance(error, _boto_errors(optional=True)):
                raise VaultError("backend", f"cannot read blob {self._key}: {error}") from error
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._close()


# --- an S3-compatible bucket ------------------------------------------------------------------


class S3Client(Protocol):
    """The calls `S3Store` makes: a boto3 S3 client has them all."""

    def put_object(self, **kwargs: Any) -> Any: ...
    def get_object(self, **kwargs: Any) -> Any: ...
    def head_object(self, **kwargs: Any) -> Any: ...
    def delete_object(self, **kwargs: Any) -> Any: ...
    def create_multipart_upload(self, **kwargs: Any) -> Any: ...
    def upload_part(self, **kwargs: Any) -> Any: ...
    def complete_multipart_upload(self, **kwargs: Any) -> Any: ...
    def abort_multipart_upload(self, **kwargs: Any) -> Any: ...
    def get_paginator(self, operation_name: str, /) -> Any: ...


def _boto_errors(optional: bool = False) -> tuple[type[Exception], ...]:
    """botocore's exception classes, imported only when an S3 store is used."""
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:
        if optional:
            return ()
        raise
    return (BotoCoreError, ClientError)


def _error_code(error: BaseException) -> str:
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


class S3Store:
    """Blobs as objects in `bucket`, which belongs to the vault alone.

    `client` is a boto3 S3 client (``boto3.client("s3", endpoint_url=...)``); the store never
    imports boto3 itself. Its credentials need to read, write, delete and list objects and
    multipart uploads in the bucket (without ``s3:ListBucket``, S3 answers a missing blob with
    403, which is then a `backend` error rather than ``not_found``). `part_size` (at least S3's
    minimum of 5 MiB) bounds the memory a write uses: about twice the part size.
    """

    def __init__(
        self, bucket: str, *, client: S3Client, part_size: int = S3_DEFAULT_PART_SIZE
    ) -> None:
        if part_size < S3_MIN_PART_SIZE:
            raise ValueError(f"an S3 part is at least {S3_MIN_PART_SIZE} bytes")
        self.bucket = bucket
        self.client = client
        self.part_size = part_size

    @contextmanager
    def _calling(self, what: str, key: str = "") -> Iterator[None]:
        """Turn S3 errors into `backend` (or, for a missing object, `not_found`) errors."""
        try:
            yield
        except _boto_errors() as error:
            if key and _error_code(error) in _NOT_FOUND:
                raise VaultError("not_found", f"no blob {key}") from None
            raise VaultError("backend", f"S3 {what} failed: {error}") from error

    def writer(self, key: str) -> AbstractContextManager[Writer]:
        return _S3Writer(self, check_key(key))

    def open(
        self, key: str, start: int = 0, length: int | None = None
    ) -> AbstractContextManager[Reader]:
        """A ``GetObject``, of the byte range ``start-`` (or ``start-start+length-1``) unless
        the whole object is asked for."""
        _check_span(start, length)
        check_key(key)
        if length == 0:
            self.size(key)  # `not_found` as for any other read
            return _StreamReader(lambda size: b"", lambda: None, key)
        span: dict[str, str] = {}
        if start or length is not None:
            last = "" if length is None else str(start + length - 1)
            span["Range"] = f"bytes={start}-{last}"
        try:
            with self._calling("GetObject", key):
                body = self.client.get_object(Bucket=self.bucket, Key=key, **span)["Body"]
        except VaultError as error:
            if _error_code(error.__cause__ or error) != "InvalidRange":
                raise
            return _StreamReader(lambda size: b"", lambda: None, key)  # at or past the end
        return _StreamReader(body.read, body.close, key)

    def exists(self, key: str) -> bool:
        try:
            self.size(key)
        except VaultError as error:
            if error.code == "not_found":
                return False
            raise
        return True

    def size(self, key: str) -> int:
        with self._calling("HeadObject", check_key(key)):
            head = self.client.head_object(Bucket=self.bucket, Key=key)
        return int(head["ContentLength"])

    def delete(self, key: str) -> None:
        with self._calling("DeleteObject"):
            self.client.delete_object(Bucket=self.bucket, Key=check_key(key))

    def keys(self, prefix: str = "") -> Iterator[str]:
        return (item["Key"] for item in self._listing(_check_prefix(prefix)))

    def written_before(self, cutoff: datetime, prefix: str = "") -> Iterator[str]:
        return (
            item["Key"]
            for item in self._listing(_check_prefix(prefix))
            if _aware(item["LastModified"]) < cutoff
        )

    def _listing(self, prefix: str) -> Iterator[dict[str, Any]]:
        with self._calling("ListObjectsV2"):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix
            )
            for page in pages:
                for item in page.get("Contents", ()):
                    if is_key(item["Key"]):
                        yield item

    def sweep_incomplete(self, older_than: timedelta, now: datetime) -> int:
        """Abort multipart uploads with no activity (start, or a part sent) since the cutoff.

        A long upload still sending parts is spared however long ago it began.
        """
        cutoff = now - older_than
        stale = []
        with self._calling("ListMultipartUploads"):
            for page in self.client.get_paginator("list_multipart_uploads").paginate(
                Bucket=self.bucket
            ):
                for upload in page.get("Uploads", ()):
                    key, upload_id = upload["Key"], upload["UploadId"]
                    if _aware(upload["Initiated"]) < cutoff and not self._sent_part_since(
                        key, upload_id, cutoff
                    ):
                        stale.append((key, upload_id))
        removed = 0
        for key, upload_id in stale:
            try:
                with self._calling("AbortMultipartUpload"):
                    self.client.abort_multipart_upload(
                        Bucket=self.bucket, Key=key, UploadId=upload_id
                    )
            except VaultError as error:
                if _error_code(error.__cause__ or error) != "NoSuchUpload":
                    raise
                continue  # finished or aborted meanwhile
            removed += 1
        return removed

    def _sent_part_since(self, key: str, upload_id: str, cutoff: datetime) -> bool:
        try:
            with self._calling("ListParts"):
                pages = self.client.get_paginator("list_parts").paginate(
                    Bucket=self.bucket, Key=key, UploadId=upload_id
                )
                return any(
                    _aware(part["LastModified"]) >= cutoff
                    for page in pages
                    for part in page.get("Parts", ())
                )
        except VaultError as error:
            if _error_code(error.__cause__ or error) == "NoSuchUpload":
                return True  # finished or aborted meanwhile: nothing to sweep
            raise

    def __repr__(self) -> str:
        return f"S3Store({self.bucket!r})"


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class _S3Writer:
    """One ``PutObject`` for a blob under one part, else a multipart upload, when the block ends.

    Parts are buffered in memory; a part is sent when the buffer reaches the part size.
    """

    def __init__(self, store: S3Store, key: str) -> None:
        self._store = store
        self._key = key
        self._buffer = bytearray()
        self._upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []

    def __enter__(self) -> _S3Writer:
        return self

    def write(self, data: bytes, /) -> int:
        self._buffer += data
        if len(self._buffer) >= self._store.part_size:
            self._send_part()
        return len(data)

    def _send_part(self) -> None:
        store = self._store
        if self._upload_id is None:
            with store._calling("CreateMultipartUpload"):
                started = store.client.create_multipart_upload(Bucket=store.bucket, Key=self._key)
            self._upload_id = str(started["UploadId"])
        number = len(self._parts) + 1
        if number > S3_MAX_PARTS:
            raise VaultError("too_large", f"an S3 upload has at most {S3_MAX_PARTS} parts")
        body = bytes(self._buffer)
        self._buffer = bytearray()
        with store._calling("UploadPart"):
            sent = store.client.upload_part(
                Bucket=store.bucket,
                Key=self._key,
                UploadId=self._upload_id,
                PartNumber=number,
                Body=body,
            )
        self._parts.append({"ETag": sent["ETag"], "PartNumber": number})

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self._abort()
            return
        store = self._store
        try:
            if self._upload_id is None:
                with store._calling("PutObject"):
                    store.client.put_object(
                        Bucket=store.bucket, Key=self._key, Body=bytes(self._buffer)
                    )
                return
            if self._buffer:
                self._send_part()
            with store._calling("CompleteMultipartUpload"):
                store.client.complete_multipart_upload(
                    Bucket=store.bucket,
                    Key=self._key,
                    UploadId=self._upload_id,
                    MultipartUpload={"Parts": self._parts},
                )
        except BaseException:
            self._abort()
            raise
        finally:
            self._buffer = bytearray()

    def _abort(self) -> None:
        self._buffer = bytearray()
        if self._upload_id is None:
            return
        upload_id, self._upload_id = self._upload_id, None
        try:
            self._store.client.abort_multipart_upload(
                Bucket=self._store.bucket, Key=self._key, UploadId=upload_id
            )
        except Exception:  # noqa: S110 — the original error matters more; swept later
            pass


# --- encrypted blobs --------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredBlob:
    """What `store_encrypted` wrote: the plaintext's size and SHA-256, and the stored size."""

    key: str
    size: int
    sha256: str
    stored_size: int


class _Source:
    """The plaintext as it is read: counted, hashed, and refused past `max_bytes`."""

    def __init__(self, source: Reader, max_bytes: int | None) -> None:
        self._source = source
        self._max_bytes = max_bytes
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int, /) -> bytes:
        data = self._source.read(size)
        self.size += len(data)
        if self._max_bytes is not None and self.size > self._max_bytes:
            raise VaultError("too_large", f"the blob is over its limit of {self._max_bytes} bytes")
        self.digest.update(data)
        return data


class _Counted:
    """Passes what is written on to `target`, counting it."""

    def __init__(self, target: Writer) -> None:
        self._target = target
        self.size = 0

    def write(self, data: bytes, /) -> int:
        self._target.write(data)
        self.size += len(data)
        return len(data)


class _Hashed:
    """Keeps only the SHA-256 and the size of what is written."""

    def __init__(self) -> None:
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes, /) -> int:
        self.digest.update(data)
        self.size += len(data)
        return len(data)


def store_encrypted(
    store: BlobStore,
    key: str,
    source: Reader,
    keys: KeySource,
    context: bytes,
    *,
    max_bytes: int | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> StoredBlob:
    """Encrypt everything `source` gives into the blob `key`, hashing the plaintext on the way.

    One pass over `source`. The blob appears only once all of it is written; if `source` raises,
    or gives more than `max_bytes` (``too_large``), nothing is left under `key`.
    """
    check_key(key)
    if max_bytes is not None and max_bytes < 0:
        raise ValueError("max_bytes is not negative")
    plaintext = _Source(source, max_bytes)
    with store.writer(key) as out:
        stored = _Counted(out)
        encrypt_stream(keys, plaintext, stored, context, chunk_size)
    return StoredBlob(key, plaintext.size, plaintext.digest.hexdigest(), stored.size)


def read_decrypted(
    store: BlobStore, key: str, keys: KeySource, context: bytes, writer: Writer
) -> None:
    """Decrypt the blob `key` to `writer`, a chunk at a time, as `decrypt_stream` does.

    A changed blob is ``tampered`` — but only when the reading reaches the change: what came
    before it was already written, so write to a temporary place and keep it only on return.
    """
    with store.open(key) as reader:
        decrypt_stream(keys, reader, writer, context)


def read_plaintext(
    store: BlobStore,
    key: str,
    keys: KeySource,
    context: bytes,
    *,
    size: int,
    span: tuple[int, int] | None = None,
) -> Iterator[bytes]:
    """The plaintext of the blob `key` (`size` bytes), whole or only bytes ``first`` to
    ``last`` of it (`span`, both included; see `read_range`), a checked chunk at a time. The
    store is read only as the pieces are taken, so `keys` must already be at hand."""
    if span is not None:
        return read_range(store, key, keys, context, size=size, start=span[0], end=span[1])
    return _read_whole(store, check_key(key), keys, context)


def _read_whole(store: BlobStore, key: str, keys: KeySource, context: bytes) -> Iterator[bytes]:
    with store.open(key) as reader:
        yield from decrypt_chunks(keys, reader, context)


def read_range(
    store: BlobStore,
    key: str,
    keys: KeySource,
    context: bytes,
    *,
    size: int,
    start: int,
    end: int,
) -> Iterator[bytes]:
    """Plaintext bytes `start` to `end` (inclusive) of the blob `key`, whose plaintext is
    `size` bytes long, decrypting only the chunks that hold them, one at a time.

    Two reads of the store: the stream's header, then the chunks from the first one needed
    (`netcourt.vault.stream.decrypt_range`), each checked before its bytes are given. A range
    outside ``0 <= start <= end < size`` is a ValueError, raised at once; store and vault
    errors come as the pieces are read.
    """
    if not 0 <= start <= end < size:  # now, not when the first piece is read
        raise ValueError(f"bytes {start}-{end} are not a range of {size} bytes")
    return _read_range(store, check_key(key), keys, context, size, start, end)


def _read_range(
    store: BlobStore,
    key: str,
    keys: KeySource,
    context: bytes,
    size: int,
    start: int,
    end: int,
) -> Iterator[bytes]:
    with store.open(key, 0, HEADER_BYTES) as reader:
        header = read_header(reader)
    offset, length = range_span(chunk_size_of(header), size, start, end)
    with store.open(key, offset, length) as reader:
        yield from decrypt_range(keys, header, reader, context, size=size, start=start, end=end)


def verify_blob(store: BlobStore, key: str, keys: KeySource, context: bytes) -> tuple[str, int]:
    """The SHA-256 (hex) and size of the blob's plaintext, decrypting it to nowhere."""
    sink = _Hashed()
    read_decrypted(store, key, keys, context, sink)
    return sink.digest.hexdigest(), sink.size


if TYPE_CHECKING:  # mypy checks that both backends are blob stores
    _BACKENDS: tuple[type[BlobStore], ...] = (LocalDirectoryStore, S3Store)
