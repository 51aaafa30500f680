"""Keyrings, their JSON document, and lookup hashes."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netcourt.vault import Keyring, VaultError, lookup_hash

NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
LATER = datetime(2027, 5, 1, 2, 0, tzinfo=UTC)
KEYRING_JSON = Keyring.generate(NOW).to_json()


def secrets_of(keyring: Keyring) -> list[str]:
    material = [kek.key for kek in keyring.keys] + [keyring.lookup_key]
    return [form for key in material for form in (key.hex(), base64.b64encode(key).decode())]


def test_a_new_keyring_has_one_active_key_and_a_separate_lookup_key() -> None:
    keyring = Keyring.generate(NOW)
    assert len(keyring.keys) == 1
    assert keyring.active is keyring.keys[0]
    assert len(keyring.active.id) == 8
    assert keyring.active.created == NOW
    assert len(keyring.active.key) == len(keyring.lookup_key) == 32
    assert keyring.active.key != keyring.lookup_key


def test_rotate_adds_an_active_key_and_keeps_the_old_ones() -> None:
    first = Keyring.generate(NOW)
    rotated = first.rotate(LATER)
    assert [kek.id for kek in rotated.keys] == [first.active.id, rotated.active.id]
    assert rotated.active.created == LATER
    assert rotated.active.id != first.active.id
    assert rotated.lookup_key == first.lookup_key
    assert first.active is first.keys[0] and len(first.keys) == 1


def test_retire_drops_a_key_but_never_the_active_one() -> None:
    rotated = Keyring.generate(NOW).rotate(LATER)
    old = rotated.keys[0].id
    retired = rotated.retire(old)
    assert [kek.id for kek in retired.keys] == [rotated.active.id]
    with pytest.raises(VaultError) as refused:
        retired.retire(retired.active.id)
    assert refused.value.code == "invalid_keyring"
    with pytest.raises(VaultError) as unknown:
        retired.retire(old)
    assert unknown.value.code == "unknown_key"


def test_the_json_document_round_trips() -> None:
    keyring = Keyring.generate(NOW).rotate(LATER)
    again = Keyring.from_json(keyring.to_json())
    assert again.keys == keyring.keys
    assert again.active == keyring.active
    assert again.lookup_key == keyring.lookup_key
    document = json.loads(keyring.to_json())
    assert document["format"] == "netcourt-vault-keys"
    assert document["active"] == keyring.active.id
    assert [entry["created"] for entry in document["keys"]] == [
        NOW.isoformat(),
        LATER.isoformat(),
    ]


def test_no_key_material_in_reprs() -> None:
    keyring = Keyring.generate(NOW).rotate(LATER)
    shown = repr(keyring) + "".join(repr(kek) for kek in keyring.keys)
    assert keyring.active.id in repr(keyring)
    for secret in secrets_of(keyring):
        assert secret not in shown


def _with(document: dict[str, object], **changes: object) -> str:
    return json.dumps({**document, **changes})


@pytest.mark.parametrize(
    "change",
    [
        lambda d: "not json",
        lambda d: "[]",
        lambda d: _with(d, format="something-else"),
        lambda d: _with(d, version=2),
        lambda d: _with(d, active="00000000"),
        lambda d: _with(d, keys="none"),
        lambda d: _with(d, keys=[]),
        lambda d: _with(d, keys=["k"]),
        lambda d: _with(d, keys=d["keys"] * 2),
        lambda d: _with(d, keys=[{**d["keys"][0], "id": "KEY-ONE!"}]),
        lambda d: _with(d, keys=[{**d["keys"][0], "created": "yesterday"}]),
        lambda d: _with(d, keys=[{**d["keys"][0], "created": "2026-11-02T10:00:00"}]),
        lambda d: _with(d, keys=[{**d["keys"][0], "key": "not base64!"}]),
        lambda d: _with(d, keys=[{**d["keys"][0], "key": d["keys"][0]["key"][:-4]}]),
        lambda d: _with(d, lookup_key=base64.b64encode(b"short").decode()),
        lambda d: _with(d, lookup_key=None),
    ],
)
def test_a_broken_document_is_refused_without_echoing_keys(change) -> None:
    keyring = Keyring.generate(NOW)
    broken = change(json.loads(keyring.to_json()))
    with pytest.raises(VaultError) as refused:
        Keyring.from_json(broken)
    assert refused.value.code == "invalid_keyring"
    for secret in secrets_of(keyring):
        assert secret not in str(refused.value)


def test_lookup_hash_is_stable_per_keyring_and_kind() -> None:
    keyring = Keyring.generate(NOW)
    digest = lookup_hash(keyring, "prc-id", "11010519491231002X")
    assert len(digest) == 64 and int(digest, 16) >= 0
    assert lookup_hash(keyring, "prc-id", "11010519491231002X") == digest
    assert lookup_hash(keyring.rotate(LATER), "prc-id", "11010519491231002X") == digest
    assert lookup_hash(keyring, "passport", "11010519491231002X") != digest
    assert lookup_hash(Keyring.generate(NOW), "prc-id", "11010519491231002X") != digest
    with pytest.raises(ValueError):
        lookup_hash(keyring, "", "11010519491231002X")


@given(st.text(min_size=1), st.text(), st.text(min_size=1), st.text())
def test_lookup_hash_never_confuses_two_kind_value_pairs(
    kind: str, value: str, other_kind: str, other_value: str
) -> None:
    keyring = Keyring.from_json(KEYRING_JSON)
    same = (kind, value) == (other_kind, other_value)
    assert (
        lookup_hash(keyring, kind, value) == lookup_hash(keyring, other_kind, other_value)
    ) == same


def test_lookup_hash_separates_where_kind_ends_and_value_begins() -> None:
    keyring = Keyring.from_json(KEYRING_JSON)
    assert lookup_hash(keyring, "ab", "c") != lookup_hash(keyring, "a", "bc")


def test_the_pure_vault_imports_no_django() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import sys, netcourt.vault; print('django' in sys.modules)"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
