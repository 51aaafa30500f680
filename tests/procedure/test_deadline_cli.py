"""`netcourt deadline`: a time limit's due date with its basis, from the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from netcourt.cli import main
from netcourt.procedure import load_pack

PACK = load_pack("cn_internet_court")
BASE = ["deadline", "--pack", "cn_internet_court"]


def test_json_gives_the_due_date_with_its_basis_in_both_languages(capsys) -> None:
    assert main([*BASE, "--limit", "answer", "--from", "2026-09-16", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data == {
        "pack": "cn_internet_court",
        "time_limit": "answer",
        "label": {"en": "Defendant's answer", "zh": "答辩期"},
        "direction": "after",
        "start": "2026-09-16",
        "period_end": "2026-10-01",
        "due": "2026-10-08",
        "extended": False,
        "suspensions": [],
        "provisional": False,
        "basis": PACK.time_limit("answer").basis.model_dump(),
    }
    assert data["basis"]["article"]["en"] == "Civil Procedure Law (2023) Art. 128"
    assert data["basis"]["text"]["zh"].startswith("被告应当在收到之日起十五日内")


def test_a_readable_line_without_json(capsys) -> None:
    assert main([*BASE, "--limit", "answer", "--from", "2026-09-16"]) == 0
    assert capsys.readouterr().out == (
        "Defendant's answer (answer): due Thursday 2026-10-08, counted from 2026-09-16 to"
        " 2026-10-01 (not a working day: carried to the next one)."
        " Basis: Civil Procedure Law (2023) Art. 128\n"
    )


def test_a_make_up_saturday_is_a_due_date(capsys) -> None:
    assert main([*BASE, "--limit", "filing_decision", "--from", "2026-10-03"]) == 0
    assert "due Saturday 2026-10-10, counted from 2026-10-03 to 2026-10-10." in (
        capsys.readouterr().out
    )


def test_extended_and_provisional(capsys) -> None:
    args = [*BASE, "--limit", "duration_small_claims", "--from", "2026-12-31", "--extended"]
    assert main([*args, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["due"], data["extended"], data["provisional"]) == ("2027-03-31", True, True)
    assert "one month" in data["basis"]["text"]["en"]
    assert main(args) == 0
    line = capsys.readouterr().out
    assert "; extended; provisional: the public holidays of 2027 are not published yet." in line


def test_suspensions_apply_in_date_order(capsys) -> None:
    args = [
        *BASE,
        "--limit",
        "duration_simplified",
        "--from",
        "2026-01-31",
        "--extended",
        "--suspended",
        "2026-06-01:2026-06-10",
        "--suspended",
        "2026-03-01:2026-03-31",
    ]
    assert main([*args, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["period_end"], data["due"]) == ("2026-07-11", "2026-07-13")
    assert data["suspensions"] == [
        {"suspended_on": "2026-03-01", "resumed_on": "2026-03-31"},
        {"suspended_on": "2026-06-01", "resumed_on": "2026-06-10"},
    ]
    assert main(args) == 0
    assert "; suspended 2026-03-01 to 2026-03-31; suspended 2026-06-01 to 2026-06-10." in (
        capsys.readouterr().out
    )


def test_a_period_counting_back(capsys) -> None:
    assert main([*BASE, "--limit", "hearing_notice", "--from", "2026-10-09"]) == 0
    assert capsys.readouterr().out.startswith(
        "Summons to the hearing (hearing_notice): by Tuesday 2026-10-06, counted back from"
        " 2026-10-09."
    )


def test_list_names_every_time_limit(capsys) -> None:
    assert main([*BASE, "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == list(PACK.time_limits)
    assert "answer" in lines[4] and lines[4].endswith("Defendant's answer / 答辩期")
    assert main([*BASE, "--list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [item["id"] for item in listed] == list(PACK.time_limits)
    assert listed[4] == {
        "id": "answer",
        "label": {"en": "Defendant's answer", "zh": "答辩期"},
        "length": 15,
        "track_lengths": {},
        "unit": "days",
        "direction": "after",
        "extendable": False,
    }
    evidence = next(item for item in listed if item["id"] == "evidence_period")
    assert evidence["track_lengths"] == {"small_claims": 7}


def test_a_track_with_a_length_of_its_own(capsys) -> None:
    given = [*BASE, "--limit", "evidence_period", "--from", "2026-12-01"]
    assert main([*given, "--track", "small_claims", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["due"] == "2026-12-08"
    assert main([*given, "--track", "small_claim", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["code"] == "unknown_track"


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["deadline", "--pack", "nowhere", "--list"],
            "nowhere: no such pack (available: cn_internet_court)\n",
        ),
        (
            [*BASE, "--limit", "answr", "--from", "2026-09-16"],
            "unknown time limit 'answr' (did you mean 'answer'?); cn_internet_court has: "
            + ", ".join(PACK.time_limits)
            + "\n",
        ),
        (
            [*BASE, "--limit", "answer", "--from", "9999-12-31"],
            "answer: the deadline falls past the last date there is\n",
        ),
        (
            [*BASE, "--limit", "answer", "--from", "2026-09-16", "--extended"],
            "time limit 'answer' cannot be extended; these can: duration_ordinary,"
            " duration_simplified, duration_small_claims\n",
        ),
        (
            [
                *BASE,
                "--limit",
                "answer",
                "--from",
                "2026-09-16",
                "--suspended",
                "2026-11-01:2026-11-09",
            ],
            "answer: suspended on 2026-11-01, after the period ran out on 2026-10-08\n",
        ),
        (
            [
                *BASE,
                "--limit",
                "hearing_notice",
                "--from",
                "2026-10-09",
                "--suspended",
                "2026-10-01:2026-10-02",
            ],
            "hearing_notice: time limit 'hearing_notice' counts back from a date and is not"
            " suspended\n",
        ),
    ],
    ids=[
        "pack",
        "limit",
        "past the calendar",
        "extension",
        "suspension after the end",
        "suspension of a before period",
    ],
)
def test_exit_1_with_a_clear_message(args: list[str], message: str, capsys) -> None:
    assert main(args) == 1
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", message)


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--from", "2026-02-30"],
            "argument --from: '2026-02-30' is not a date: day is out of range for month"
            " (write YYYY-MM-DD)",
        ),
        (["--from", "16/09/2026"], "argument --from: '16/09/2026' is not a date"),
        (
            ["--from", "2026-09-16", "--suspended", "2026-10-01"],
            "argument --suspended: '2026-10-01': write the suspension as SUSPENDED:RESUMED",
        ),
        (
            ["--from", "2026-09-16", "--suspended", "2026-10-10:2026-10-01"],
            "argument --suspended: '2026-10-10:2026-10-01': resumed on 2026-10-01, before it was"
            " suspended on 2026-10-10",
        ),
        (
            ["--from", "2026-09-16", "--suspended", "2026-10-01:2026-10-32"],
            "argument --suspended: '2026-10-32' is not a date: day is out of range for month",
        ),
    ],
)
def test_bad_dates_exit_2(args: list[str], message: str, capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*BASE, "--limit", "answer", *args])
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_limit_needs_a_start_and_list_or_limit_is_required(capsys) -> None:
    assert main([*BASE, "--limit", "answer"]) == 2
    assert capsys.readouterr().err == "netcourt deadline: --from is required with --limit\n"
    with pytest.raises(SystemExit) as exited:
        main(BASE)
    assert exited.value.code == 2
    assert "one of the arguments --limit --list is required" in capsys.readouterr().err


def test_the_installed_command_runs_without_a_database(tmp_path: Path) -> None:
    command = Path(sys.executable).with_name("netcourt")
    done = subprocess.run(
        [str(command), *BASE, "--limit", "answer", "--from", "2026-09-16", "--json"],
        capture_output=True,
        text=True,
        env={"NETCOURT_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["due"] == "2026-10-08"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "args, code",
    [
        (["deadline", "--pack", "nowhere", "--list"], "pack_invalid"),
        ([*BASE, "--limit", "answr", "--from", "2026-09-16"], "unknown_time_limit"),
        ([*BASE, "--limit", "answer", "--from", "9999-12-31"], "out_of_range"),
        ([*BASE, "--limit", "answer", "--from", "2026-09-16", "--extended"], "not_extendable"),
    ],
)
def test_with_json_a_refusal_is_json_on_stdout_too(args, code, capsys) -> None:
    assert main([*args, "--json"]) == 1
    out, err = capsys.readouterr()
    refusal = json.loads(out)
    assert refusal["code"] == code and refusal["errors"] and err == ""
    assert refusal["message"] == "; ".join(refusal["errors"])
