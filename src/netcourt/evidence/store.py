"""Where evidence files live: the blob store, and each case's key.

The blob store is a directory (default ``DATA_DIR/blobs``) or an S3 bucket
(``NETCOURT_BLOB_STORE=s3://bucket``). A file is stored as an encrypted stream
(`netcourt.vault`) whose data key is wrapped by its case's key; the case key is sealed under
the master keyring in `CaseKey`. docs/security.md has the formats.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from netcourt.cases.models import Case
from netcourt.core import clock
from netcourt.core import vault as core_vault
from netcourt.evidence.models import Blob, CaseKey
from netcourt.vault import (
    BlobStore,
    Kek,
    KeySet,
    LocalDirectoryStore,
    S3Store,
    from_text,
    open_sealed,
    read_plaintext,
    seal,
    to_text,
)
from netcourt.vault.keys import KEY_BYTES

S3_PREFIX = "s3://"


@functools.cache
def _store_for(location: str, endpoint: str) -> BlobStore:
    if location.startswith(S3_PREFIX):
        import boto3

        client = boto3.client("s3", endpoint_url=endpoint or None)
        return S3Store(location.removeprefix(S3_PREFIX), client=client)
    return LocalDirectoryStore(Path(location))


def blob_store() -> BlobStore:
    return _store_for(str(settings.NETCOURT_BLOB_STORE), str(settings.NETCOURT_S3_ENDPOINT_URL))


def _context(case: Case) -> bytes:
    return f"evidence.case_key:{case.pk}".encode()


def case_keys(case: Case) -> KeySet:
    """The case's key (made on first use) as a key source for its files."""
    row = CaseKey.objects.filter(case=case).first()
    if row is None:
        row = _new_case_key(case)
    key = open_sealed(core_vault.keyring(), from_text(row.sealed), _context(case))
    return KeySet.single(Kek(row.key_id, row.created_at, key))


def _new_case_key(case: Case) -> CaseKey:
    now = clock.now()
    key_id = secrets.token_hex(4)
    sealed = to_text(seal(core_vault.keyring(), secrets.token_bytes(KEY_BYTES), _context(case)))
    try:
        with transaction.atomic():
            return CaseKey.objects.create(case=case, key_id=key_id, sealed=sealed, created_at=now)
    except IntegrityError:
        return CaseKey.objects.get(case=case)


def blob_context(blob_id: Any) -> bytes:
    return f"evidence.blob:{blob_id}".encode()


def blob_key(case: Case, blob_id: Any) -> str:
    return f"cases/{case.pk}/{blob_id}"


def plaintext(blob: Blob, span: tuple[int, int] | None = None) -> Iterator[bytes]:
    """The file's bytes, or only bytes ``first`` to ``last`` of them (`span`, both included),
    decrypted a chunk at a time (each chunk checked before it is given). The case's keys are
    read now, so reading the bytes later (a download, for as long as it lasts) needs no
    database connection."""
    return read_plaintext(
        blob_store(),
        blob.store_key,
        case_keys(blob.case),
        blob_context(blob.pk),
        size=blob.size,
        span=span,
    )
