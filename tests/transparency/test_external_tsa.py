"""Checkpoints timestamped by an external RFC 3161 authority over HTTP: here another netcourt
server's authority, a separate process with its own key and certificate."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from netcourt.ledger.timestamp import verify_token
from netcourt.transparency import actions, keys
from tests.e2e.conftest import launch

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


def test_checkpoints_can_be_timestamped_by_an_external_authority(
    tmp_path: Path, settings, accepted
) -> None:
    (tmp_path / "tsa").mkdir()
    authority = launch(tmp_path / "tsa", demo=False)
    try:
        settings.NETCOURT_TSA_URL = f"{authority.base_url}/tsa"
        checkpoint = actions.integrate()
    finally:
        authority.stop()
    assert checkpoint is not None
    assert checkpoint.timestamp_authority == settings.NETCOURT_TSA_URL
    stamp = verify_token(bytes(checkpoint.timestamp), checkpoint.note.encode())
    assert (
        stamp.tsa_certificate_sha256 != hashlib.sha256(keys.authority().certificate_der).hexdigest()
    )
