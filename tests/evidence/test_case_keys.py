"""Per-case keys: rotating the master key moves the sealed case keys to the new key, the old
key can then be retired, and every evidence file still opens — no file was rewritten."""

from __future__ import annotations

from pathlib import Path

from netcourt.core import vault
from netcourt.evidence.models import CaseKey
from netcourt.evidence.store import plaintext
from netcourt.vault import Keyring
from tests.evidence.test_submission import pdf, submit


def test_rotation_rewraps_case_keys_and_never_touches_files(
    exchanging,
    alice,
    settings,
) -> None:
    vault.reset()
    data = pdf(20_000)
    item = submit(alice, exchanging, data)
    blobs = Path(settings.NETCOURT_BLOB_STORE)
    before = {p: p.read_bytes() for p in blobs.rglob("*") if p.is_file()}
    old = vault.keyring().active.id
    sealed_before = CaseKey.objects.get(case=exchanging).sealed

    vault.rotate()
    assert vault.rewrap_all() >= 1
    assert CaseKey.objects.get(case=exchanging).sealed != sealed_before
    assert vault.rewrap_all() == 0  # idempotent
    keys_file = vault.keys_file()
    keys_file.write_text(Keyring.from_json(keys_file.read_text()).retire(old).to_json())
    vault.reset()

    assert b"".join(plaintext(item.blob)) == data
    assert {p: p.read_bytes() for p in blobs.rglob("*") if p.is_file()} == before


def test_reading_a_file_needs_no_database_once_started(
    exchanging, alice, django_assert_num_queries
) -> None:
    """A download may last long: its keys are read when it starts, not while it is sent."""
    data = pdf(300_000)
    item = submit(alice, exchanging, data)
    blob = type(item.blob).objects.get(pk=item.blob.pk)  # its case not read yet
    whole = plaintext(blob)
    part = plaintext(blob, (1000, 200_000))
    with django_assert_num_queries(0):
        assert b"".join(whole) == data
        assert b"".join(part) == data[1000:200_001]
