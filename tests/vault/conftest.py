"""Blob stores to test against: a local directory, and S3 as moto's server answers it over
HTTP (the `moto_endpoint` and `s3` fixtures of tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from netcourt.vault import BlobStore, LocalDirectoryStore, S3Store
from netcourt.vault.blobs import S3_MIN_PART_SIZE
from tests.conftest import new_bucket


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    """An empty blob store of each backend (S3: a new bucket, parts of the minimum size)."""
    if request.param == "local":
        return LocalDirectoryStore(tmp_path / "blobs")
    client = request.getfixturevalue("s3")
    return S3Store(new_bucket(client), client=client, part_size=S3_MIN_PART_SIZE)


@pytest.fixture
def store_spec(request: pytest.FixtureRequest, store: BlobStore) -> dict[str, Any]:
    """What a child process needs to open the same store."""
    if isinstance(store, LocalDirectoryStore):
        return {"backend": "local", "root": str(store.root)}
    assert isinstance(store, S3Store)
    return {
        "backend": "s3",
        "endpoint": request.getfixturevalue("moto_endpoint"),
        "bucket": store.bucket,
        "part_size": store.part_size,
    }
