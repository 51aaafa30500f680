"""The ``netcourt`` command as an operator runs it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from netcourt.accounts.models import ApiToken, hash_token
from netcourt.cli import main
from netcourt.procedure import PACKS_DIR
from tests.conftest import make_user


def run(*args: str, env_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "netcourt.cli", *args],
        capture_output=True,
        text=True,
        env={"NETCOURT_DATA_DIR": str(env_dir), "PATH": "/usr/bin:/bin"},
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


def test_token_list_and_revoke(db, capsys) -> None:
    make_user("operator")
    assert main(["token", "create", "--user", "operator", "--name", "ci", "--json"]) == 0
    raw = json.loads(capsys.readouterr().out)["token"]
    assert main(["token", "list", "--user", "operator", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [t["name"] for t in listed] == ["ci"]
    assert raw not in json.dumps(listed)
    assert main(["token", "revoke", "--user", "operator", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"revoked": 1}
    assert ApiToken.objects.get().revoked_at is not None
    assert main(["token", "revoke", "--user", "operator", "--id", "999"]) == 1
