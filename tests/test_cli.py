"""The ``netcourt`` command as an operator runs it."""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP

from netcourt.accounts.mfa import add_totp
from netcourt.accounts.models import ApiToken, hash_token
from netcourt.accounts.tokens import user_for_token
from netcourt.cli import main
from netcourt.core import clock, vault
from netcourt.courts.demo import DEMO_TOTP_SECRET
from netcourt.identity.numbers import KINDS
from netcourt.procedure import PACKS_DIR
from netcourt.vault import Keyring
from tests.conftest import make_user


def run(*args: str, env_dir: Path) -> subprocess.CompletedProcess[str]:
    """The ``netcourt`` command in a process of its own, on the sources under test."""
    source = {k: v for k, v in os.environ.items() if k == "PYTHONPATH"}
    return subprocess.run(
        [sys.executable, "-m", "netcourt.cli", *args],
        capture_output=True,
        text=True,
        env={"NETCOURT_DATA_DIR": str(env_dir), "PATH": "/usr/bin:/bin", **source},
        timeout=120,
        check=False,
    )


def test_pack_check_passes_on_the_shipped_pack(capsys) -> None:
    assert main(["pack", "check"]) == 0
    assert "cn_internet_court: ok" in capsys.readouterr().out


def test_pack_check_fails_with_the_exact_fault(tmp_path: Path, capsys) -> None:
    broken = tmp_path / "pack"
    shutil.copytree(PACKS_DIR / "cn_internet_court", broken)
    events = broken / "events.yaml"
    events.write_text(events.read_text().replace("to_state: accepted", "to_state: acepted", 1))
    assert main(["pack", "check", "--dir", str(broken), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report[0]["ok"] is False
    assert any("unknown state 'acepted'" in line for line in report[0]["errors"])


def test_pack_show_json_prints_the_whole_pack(capsys) -> None:
    assert main(["pack", "show", "cn_internet_court", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert "submitted" in [state["id"] for state in data["states"]]
    assert "accept" in [event["id"] for event in data["events"]]


def test_pack_show_summarises_for_a_person(capsys) -> None:
    assert main(["pack", "show", "cn_internet_court"]) == 0
    out = capsys.readouterr().out
    assert "courts: hangzhou, beijing, guangzhou" in out


@pytest.mark.parametrize("command", ["show", "graph"])
def test_a_pack_that_does_not_exist_is_said_in_one_line(capsys, command) -> None:
    assert main(["pack", command, "nope"]) == 1
    assert capsys.readouterr().err == "nope: no such pack (available: cn_internet_court)\n"


def test_pack_graph_draws_every_state(capsys) -> None:
    assert main(["pack", "graph", "cn_internet_court"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("stateDiagram-v2")
    assert "corrections_requested" in out


def test_token_create_prints_a_token_that_only_its_hash_is_kept(db, capsys) -> None:
    user = make_user("operator")
    assert main(["token", "create", "--user", "operator", "--json"]) == 0
    raw = json.loads(capsys.readouterr().out)["token"]
    token = ApiToken.objects.get(user=user)
    assert token.digest == hash_token(raw)
    assert raw not in token.digest
    assert main(["token", "create", "--user", "nobody"]) == 1
    capsys.readouterr()
    for command in (["create", "--user", "nobody"], ["list", "--user", "nobody"]):
        assert main(["token", *command, "--json"]) == 1
        assert json.loads(capsys.readouterr().out)["code"] == "unknown_user"
    assert main(["token", "create", "--user", "operator", "--days", "0", "--json"]) == 2
    assert json.loads(capsys.readouterr().out)["code"] == "input_invalid"


@pytest.mark.slow
def test_migrate_and_demo_in_a_fresh_data_dir_twice(tmp_path: Path) -> None:
    assert run("migrate", env_dir=tmp_path).returncode == 0
    first = run("demo", "--json", env_dir=tmp_path)
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    states = {case["state"] for case in report["cases"]}
    assert {"draft", "submitted", "accepted", "final", "withdrawn"} <= states
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    again = run("demo", "--json", env_dir=tmp_path)
    assert again.returncode == 0
    assert json.loads(again.stdout)["cases"] == []


def test_demo_code_prints_the_code_the_demo_staff_sign_in_with(db, capsys) -> None:
    assert main(["demo", "--code"]) == 0
    printed = capsys.readouterr().out.strip()
    assert printed.isdigit() and len(printed) == 6
    clerk = make_user("clerk-with-demo-secret")
    add_totp(clerk, DEMO_TOTP_SECRET)
    assert TOTP(Authenticator.objects.get(user=clerk)).validate_code(printed)


def test_token_list_and_revoke(db, capsys) -> None:
    make_user("operator")
    assert main(["token", "create", "--user", "operator", "--name", "ci", "--json"]) == 0
    raw = json.loads(capsys.readouterr().out)["token"]
    assert main(["token", "list", "--user", "operator", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [t["name"] for t in listed] == ["ci"]
    assert datetime.fromisoformat(listed[0]["created_at"]).tzinfo is not None  # ISO 8601
    assert "T" in listed[0]["created_at"] and listed[0]["last_used_at"] is None
    assert main(["token", "list", "--user", "operator"]) == 0
    assert capsys.readouterr().out.rstrip().endswith("never used")
    assert user_for_token(raw) is not None
    assert main(["token", "list", "--user", "operator"]) == 0
    assert f"last used {clock.now():%Y-%m-%d %H}:00" in capsys.readouterr().out
    assert raw not in json.dumps(listed)
    assert main(["token", "revoke", "--user", "operator", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"revoked": 1}
    assert ApiToken.objects.get().revoked_at is not None
    assert main(["token", "revoke", "--user", "operator", "--id", "999"]) == 1


ID_NUMBER = "11010519491231002X"


def test_identity_validate_says_valid_with_the_number_masked(capsys) -> None:
    assert main(["identity", "validate", "prc-id", ID_NUMBER.lower()]) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == [
        "valid",
        "number: 1101**********002X",
        "sex: female",
    ]


def test_identity_validate_json_never_shows_the_number_or_the_date_of_birth(capsys) -> None:
    assert main(["identity", "validate", "prc-id", ID_NUMBER, "--json"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out) == {
        "kind": "prc-id",
        "number_masked": "1101**********002X",
        "valid": True,
        "findings": [],
        "details": {"sex": "female"},
    }
    assert ID_NUMBER not in out
    assert "19491231" not in out
    assert "1949-12-31" not in out


def test_identity_validate_gives_each_reason_and_exit_1(capsys) -> None:
    number = "910105194912310021"
    assert main(["identity", "validate", "prc-id", number, "--lang", "zh-hans"]) == 1
    out = capsys.readouterr().out
    assert out.splitlines() == [
        "前两位“91”不是省级行政区划代码。",
        "号码与其最后一位（校验码）不符：可能有某一位输错或两位颠倒。请对照证件核对。",
    ]
    assert main(["identity", "validate", "prc-id", number, "--json"]) == 1
    out = capsys.readouterr().out
    report = json.loads(out)
    assert report["valid"] is False
    assert report["number_masked"] == "9101**********0021"
    assert report["details"] == {}
    assert report["findings"][1] == {
        "code": "check_character",
        "message": "The number does not add up to its last character (the check character): a"
        " character was mistyped or two were swapped. Check it against the document.",
    }
    assert number not in out


def test_identity_validate_refuses_an_unknown_kind_with_exit_2(capsys) -> None:
    assert main(["identity", "validate", "ssn", ID_NUMBER]) == 2
    captured = capsys.readouterr()
    assert "known kinds: prc-id, uscc, passport-cn, passport, hk-macao-permit, taiwan-permit" in (
        captured.err
    )
    assert ID_NUMBER not in captured.out + captured.err
    assert main(["identity", "validate", "ssn", ID_NUMBER, "--json"]) == 2
    out = capsys.readouterr().out
    assert json.loads(out)["code"] == "unknown_kind" and ID_NUMBER not in out


def test_identity_validate_reads_the_number_from_stdin(capsys, monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("91350100M000100Y43\n"))
    assert main(["identity", "validate", "uscc", "-", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["number_masked"] == "9135**********0Y43"


def test_identity_validate_help_names_every_kind(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["identity", "validate", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert all(kind in help_text for kind in KINDS)


def test_identity_validate_needs_no_django_and_no_database(tmp_path: Path) -> None:
    script = (
        "import sys; from netcourt.cli import main;"
        " code = main(['identity', 'validate', 'passport-cn', 'E12345678']);"
        " print(code, 'django' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={"NETCOURT_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "0 False"
    assert "E12345678" not in done.stdout
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def vault_dir(settings, tmp_path: Path, monkeypatch):
    monkeypatch.delenv(vault.ENV_VAR, raising=False)
    settings.DATA_DIR = tmp_path
    vault.reset()
    yield tmp_path
    vault.reset()


def key_material(keyring: Keyring) -> list[str]:
    keys = [kek.key for kek in keyring.keys] + [keyring.lookup_key]
    return [form for key in keys for form in (key.hex(), base64.b64encode(key).decode())]


def test_vault_status_never_creates_keys(vault_dir: Path, capsys) -> None:
    assert main(["vault", "status"]) == 1
    assert "no vault keys" in capsys.readouterr().out
    assert not (vault_dir / "vault-keys.json").exists()


def test_vault_status_names_the_keys_but_never_shows_them(vault_dir: Path, capsys) -> None:
    vault.keyring()  # first use creates them
    assert main(["vault", "status"]) == 0
    text = capsys.readouterr().out
    keyring = Keyring.from_json((vault_dir / "vault-keys.json").read_text())
    assert text.splitlines() == [
        f"keys from {vault_dir / 'vault-keys.json'}",
        f"{keyring.active.id}  created {keyring.active.created.isoformat()}  active",
    ]
    assert main(["vault", "status", "--json"]) == 0
    printed = capsys.readouterr().out
    assert json.loads(printed) == {
        "source": str(vault_dir / "vault-keys.json"),
        "active": keyring.active.id,
        "keys": [
            {"id": keyring.active.id, "created": keyring.active.created.isoformat(), "active": True}
        ],
    }
    for secret in key_material(keyring):
        assert secret not in text + printed


def test_vault_rotate_activates_a_new_key_and_old_values_still_open(vault_dir: Path, capsys, db):
    sealed = vault.seal_text("11010519491231002X", "accounts.person.id_number:1")
    old = vault.keyring().active.id
    assert main(["vault", "rotate", "--json"]) == 0
    printed = capsys.readouterr().out
    report = json.loads(printed)
    assert report["active"] != old and report["rewrapped"] == 0
    assert [(key["id"], key["active"]) for key in report["keys"]] == [
        (old, False),
        (report["active"], True),
    ]
    keyring = Keyring.from_json((vault_dir / "vault-keys.json").read_text())
    assert keyring.active.id == report["active"]
    for secret in key_material(keyring):
        assert secret not in printed
    assert vault.open_text(sealed, "accounts.person.id_number:1") == "11010519491231002X"
    assert main(["vault", "rotate"]) == 0
    assert "new values are sealed under" in capsys.readouterr().out
    assert main(["vault", "status", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["keys"]) == 3


def test_vault_rotate_refuses_keys_kept_in_the_environment(vault_dir: Path, monkeypatch, capsys):
    outside = Keyring.generate(datetime(2026, 11, 2, tzinfo=UTC))
    monkeypatch.setenv(vault.ENV_VAR, outside.to_json())
    assert main(["vault", "rotate"]) == 2
    assert vault.ENV_VAR in capsys.readouterr().err
    assert main(["vault", "status", "--json"]) == 0
    printed = capsys.readouterr().out
    assert json.loads(printed)["source"] == vault.ENV_VAR
    assert json.loads(printed)["active"] == outside.active.id
    for secret in key_material(outside):
        assert secret not in printed
    assert not (vault_dir / "vault-keys.json").exists()


FEES = ["fees", "quote", "--pack", "cn_internet_court"]


def test_fees_quote_json_gives_the_total_and_every_line(capsys) -> None:
    args = [*FEES, "--kind", "property", "--amount", "123456.78", "--track", "simplified"]
    assert main([*args, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["total"], data["currency"]) == ("1384.57", "CNY")
    assert [(line["code"], line["amount"]) for line in data["lines"]] == [
        ("flat", "50.00"),
        ("band", "2250.00"),
        ("band", "469.1356"),
        ("rounding", "0.0044"),
        ("reduction", "-1384.57"),
    ]
    assert (
        data["lines"][-1]["basis"]["article"]
        == "Measures on the Payment of Litigation Costs Art. 16"
    )
    assert set(data["lines"][0]) == {"code", "label", "amount", "basis"}


def test_fees_quote_prints_lines_and_total_in_chinese(capsys) -> None:
    args = [*FEES, "--kind", "divorce", "--court", "hangzhou", "--lang", "zh-hans"]
    assert main([*args, "--reduction", "mediation_or_withdrawal", "--counterclaim"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["300.00", "离婚案件：杭州互联网法院每件300（幅度50至300）"]
    assert "《诉讼费用交纳办法》第十三条" in out[1]
    assert out[-1] == "合计：¥150.00"


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["--kind", "property", "--amount", "-5"], "amount_invalid", "must not be negative"),
        (["--kind", "property", "--amount", "lots"], "amount_invalid", "written in digits"),
        (["--kind", "property", "--amount", "1" + "0" * 20], "amount_too_large", "is too large"),
        (["--kind", "property", "--amount", "1e20"], "amount_invalid", "written in digits"),
        (["--kind", "property"], "amount_required", "give the amount"),
        (["--kind", "tax", "--amount", "5"], "unknown_fee_class", "no kind of case 'tax'"),
        (["--kind", "other_non_property"], "court_required", "say which court"),
        (
            ["--kind", "property", "--amount", "5", "--reduction", "simplified_procedure"],
            "reduction_not_allowed",
            "follows from the case's track",
        ),
    ],
)
def test_fees_quote_exits_1_with_the_exact_fault(args, code, message, capsys) -> None:
    assert main([*FEES, *args]) == 1
    assert capsys.readouterr().err.startswith(f"{code}: ")
    assert main([*FEES, *args, "--json"]) == 1
    fault = json.loads(capsys.readouterr().out)
    assert fault["code"] == code
    assert message in fault["message"]


def test_fees_quote_names_an_unknown_pack(capsys) -> None:
    assert main(["fees", "quote", "--pack", "nowhere", "--kind", "property"]) == 1
    assert "nowhere: no such pack" in capsys.readouterr().err
    assert main(["fees", "quote", "--pack", "nowhere", "--kind", "property", "--json"]) == 1
    refusal = json.loads(capsys.readouterr().out)
    assert refusal["code"] == "pack_invalid" and "nowhere: no such pack" in refusal["message"]


def test_fees_quote_needs_no_django_and_no_database(tmp_path: Path) -> None:
    script = (
        "import sys; from netcourt.cli import main;"
        " code = main(['fees', 'quote', '--pack', 'cn_internet_court', '--kind', 'property',"
        " '--amount', '5000']);"
        " print(code, 'django' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={"NETCOURT_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Total: CN¥50.00" in done.stdout
    assert done.stdout.splitlines()[-1] == "0 False"
    assert list(tmp_path.iterdir()) == []


def test_sweep_removes_a_day_old_stored_file_no_record_names(db, capsys) -> None:
    import os
    import time

    from netcourt.evidence.store import blob_store

    store = blob_store()
    with store.writer("cases/0/lost") as out:
        out.write(b"ciphertext")
    with store.writer("cases/0/fresh") as out:
        out.write(b"ciphertext")
    two_days_ago = time.time() - 2 * 86400
    os.utime(store.path("cases/0/lost"), (two_days_ago, two_days_ago))
    assert main(["sweep", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["orphaned_files_removed"] == 1
    assert sorted(store.keys()) == ["cases/0/fresh"]
    assert main(["sweep"]) == 0
    assert "0 stored file(s) no record names removed" in capsys.readouterr().out


def test_serve_refuses_processes_that_would_split_the_database_lock_or_a_hearing(
    db, capsys, settings
) -> None:
    assert main(["serve", "--workers", "0"]) == 2
    assert main(["serve", "--workers", "4"]) == 2
    said = capsys.readouterr().err
    sqlite = settings.DATABASES["default"]["ENGINE"] == "netcourt.core.sqlite"
    assert ("SQLite takes one server process" in said) == sqlite
    assert ("hearing's room in one process" in said) == (not sqlite)
