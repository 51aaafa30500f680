"""The court's keyring: where it lives, how it is made and rotated, and the text helpers."""

from __future__ import annotations

import stat
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from netcourt.core import vault
from netcourt.vault import Keyring, VaultError, from_text, lookup_hash, seal, to_text

NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
CONTEXT = "accounts.person.id_number:42"


@pytest.fixture
def data_dir(settings, tmp_path: Path, monkeypatch) -> Iterator[Path]:
    monkeypatch.delenv(vault.ENV_VAR, raising=False)
    settings.DATA_DIR = tmp_path
    vault.reset()
    yield tmp_path
    vault.reset()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_keys_file_is_made_on_first_use_readable_by_the_owner_only(data_dir: Path) -> None:
    assert not (data_dir / "vault-keys.json").exists()
    sealed = vault.seal_text("11010519491231002X", CONTEXT)
    keys_file = data_dir / "vault-keys.json"
    assert mode(keys_file) == 0o600
    assert [p.name for p in data_dir.iterdir()] == ["vault-keys.json"]
    assert Keyring.from_json(keys_file.read_text()).active == vault.keyring().active
    assert "11010519491231002X" not in sealed
    assert vault.open_text(sealed, CONTEXT) == "11010519491231002X"


def test_the_keyring_is_read_once_and_again_after_reset(data_dir: Path) -> None:
    first = vault.keyring()
    assert vault.keyring() is first
    vault.reset()
    again = vault.keyring()
    assert again is not first
    assert again.active == first.active


def test_an_existing_keys_file_is_never_replaced_on_load(data_dir: Path) -> None:
    (data_dir / "vault-keys.json").write_text("{}")
    with pytest.raises(VaultError) as error:
        vault.keyring()
    assert error.value.code == "invalid_keyring"
    assert (data_dir / "vault-keys.json").read_text() == "{}"


def test_the_environment_variable_wins(data_dir: Path, monkeypatch) -> None:
    vault.keyring()
    from_file = Keyring.from_json((data_dir / "vault-keys.json").read_text())
    outside = Keyring.generate(NOW)
    monkeypatch.setenv(vault.ENV_VAR, outside.to_json())
    assert vault.keyring().active == outside.active
    sealed = vault.seal_text("value", CONTEXT)
    assert from_text(sealed)[1:5].hex() == outside.active.id
    assert vault.lookup("prc-id", "X") != lookup_hash(from_file, "prc-id", "X")


def test_text_helpers_round_trip_and_refuse_another_context(data_dir: Path) -> None:
    sealed = vault.seal_text("张伟 11010519491231002X", CONTEXT)
    assert sealed.isascii()
    assert vault.open_text(sealed, CONTEXT) == "张伟 11010519491231002X"
    with pytest.raises(VaultError) as error:
        vault.open_text(sealed, "accounts.person.id_number:43")
    assert error.value.code == "tampered"


def test_two_data_dirs_do_not_share_keys(data_dir: Path, settings, tmp_path_factory) -> None:
    sealed = vault.seal_text("value", CONTEXT)
    digest = vault.lookup("prc-id", "11010519491231002X")
    settings.DATA_DIR = tmp_path_factory.mktemp("other")
    with pytest.raises(VaultError) as error:
        vault.open_text(sealed, CONTEXT)
    assert error.value.code == "unknown_key"
    assert vault.lookup("prc-id", "11010519491231002X") != digest
    settings.DATA_DIR = data_dir
    assert vault.open_text(sealed, CONTEXT) == "value"


SCRIPT = (
    "import django; django.setup(); from netcourt.core import vault;"
    " print(vault.keyring().active.id, vault.lookup('prc-id', '11010519491231002X'))"
)


def test_processes_share_their_data_dirs_keys_and_no_one_elses(tmp_path: Path) -> None:
    dirs = [tmp_path / "a", tmp_path / "a", tmp_path / "a", tmp_path / "b"]
    started = [
        subprocess.Popen(
            [sys.executable, "-c", SCRIPT],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={
                "NETCOURT_DATA_DIR": str(data),
                "DJANGO_SETTINGS_MODULE": "netcourt.core.settings",
                "PATH": "/usr/bin:/bin",
            },
        )
        for data in dirs
    ]
    outputs = []
    for process in started:
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        outputs.append(out.strip())
    assert outputs[0] == outputs[1] == outputs[2]
    assert outputs[3].split()[0] != outputs[0].split()[0]
    assert outputs[3].split()[1] != outputs[0].split()[1]
    for data in {tmp_path / "a", tmp_path / "b"}:
        assert mode(data / "vault-keys.json") == 0o600
        assert not [p for p in data.iterdir() if p.name.startswith(".vault-keys")]


def test_rotate_writes_a_new_active_key_and_old_values_still_open(data_dir: Path) -> None:
    sealed = vault.seal_text("before", CONTEXT)
    old = vault.keyring().active.id
    rotated = vault.rotate()
    assert rotated.active.id != old
    assert [kek.id for kek in rotated.keys] == [old, rotated.active.id]
    keys_file = data_dir / "vault-keys.json"
    assert mode(keys_file) == 0o600
    assert Keyring.from_json(keys_file.read_text()).active == rotated.active
    assert sorted(p.name for p in data_dir.iterdir()) == ["vault-keys.json"]
    assert vault.keyring().active == rotated.active
    assert vault.open_text(sealed, CONTEXT) == "before"
    assert from_text(vault.seal_text("after", CONTEXT))[1:5].hex() == rotated.active.id


def test_rotate_refuses_when_the_keys_come_from_the_environment(data_dir: Path, monkeypatch):
    monkeypatch.setenv(vault.ENV_VAR, Keyring.generate(NOW).to_json())
    with pytest.raises(ImproperlyConfigured):
        vault.rotate()
    assert not (data_dir / "vault-keys.json").exists()


def test_a_value_under_a_key_rotated_in_by_another_process_opens(data_dir: Path) -> None:
    known = vault.keyring()
    elsewhere = known.rotate(NOW)
    (data_dir / "vault-keys.json").write_text(elsewhere.to_json())
    sealed = to_text(seal(elsewhere, b"sealed by a newer process", CONTEXT.encode()))
    assert vault.open_text(sealed, CONTEXT) == "sealed by a newer process"
    assert vault.keyring().active == elsewhere.active
