"""``python -m netcourt.ledger.verify``: offline, without Django, with clear answers."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from netcourt.ledger.canonical import canonical_json, new_salt, record_hash
from netcourt.ledger.checkpoint import Checkpoint
from netcourt.ledger.note import new_signer, sign_note, verifier_key
from netcourt.ledger.receipt import make_receipt
from netcourt.ledger.tree import MemoryTree, leaf_hash
from netcourt.ledger.verify import file_sha256, main

ORIGIN = "court.example/log"
SIGNER = new_signer(ORIGIN)
KEY = verifier_key(SIGNER)
BLOB = os.urandom(3 * 1024 * 1024 + 17)  # several read chunks


def _receipt(blob_sha256: str) -> dict[str, Any]:
    records = [
        {
            "kind": "evidence",
            "item": f"E-{n}",
            "sha256": hashlib.sha256(str(n).encode()).hexdigest(),
        }
        for n in range(40)
    ]
    records[12]["sha256"] = blob_sha256
    tree = MemoryTree(leaf_hash(canonical_json(r)) for r in records)
    note = sign_note(Checkpoint(ORIGIN, tree.size, tree.root()).text(), SIGNER)
    return make_receipt(
        kind="evidence",
        record=records[12],
        leaf_index=12,
        tree_size=tree.size,
        inclusion_proof=tree.inclusion_proof(12),
        checkpoint=note,
        verifier_key=KEY,
    )


def _salted_receipt(blob: bytes) -> dict[str, Any]:
    """An evidence receipt as the court hands it out: the leaf publishes the hash of a salted
    record of the file; the receipt holds that record."""
    opening = {
        "case": "C-1",
        "item": "E-1",
        "sha256": hashlib.sha256(blob).hexdigest(),
        "size": len(blob),
        "salt": new_salt(),
    }
    record = {"kind": "evidence", "case": "C-1", "item": "E-1", "hash": record_hash(opening)}
    tree = MemoryTree([leaf_hash(canonical_json({"kind": "evidence", "item": "E-0"}))])
    tree.append(leaf_hash(canonical_json(record)))
    note = sign_note(Checkpoint(ORIGIN, tree.size, tree.root()).text(), SIGNER)
    return make_receipt(
        kind="evidence",
        record=record,
        leaf_index=1,
        tree_size=tree.size,
        inclusion_proof=tree.inclusion_proof(1),
        checkpoint=note,
        verifier_key=KEY,
        opening=opening,
    )


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    blob = tmp_path / "photo.jpg"
    blob.write_bytes(BLOB)
    receipt = tmp_path / "receipt.json"
    receipt.write_text(json.dumps(_receipt(hashlib.sha256(BLOB).hexdigest())), encoding="utf-8")
    return {"blob": blob, "receipt": receipt, "dir": tmp_path}


def test_a_good_receipt_with_key_and_file(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main([str(files["receipt"]), "--key", KEY, "--file", str(files["blob"])])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.splitlines() == [
        f"signature: ok by {ORIGIN}",
        "included: leaf 12 of 40",
        "timestamp: none in this receipt",
        "file: sha256 matches",
    ]
    assert err == ""


def test_without_key_the_output_says_so(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(files["receipt"])]) == 0
    out = capsys.readouterr().out
    assert "not independently checked" in out.splitlines()[0]
    assert "pass --key" in out


def test_json_output(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(files["receipt"]), "--key", KEY, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True
    assert report["key_checked"] is True
    assert report["leaf_index"] == 12 and report["tree_size"] == 40
    assert report["origin"] == ORIGIN


def test_the_wrong_file_is_refused(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    other = files["dir"] / "other.jpg"
    other.write_bytes(BLOB + b"!")
    assert main([str(files["receipt"]), "--key", KEY, "--file", str(other)]) == 1
    out, err = capsys.readouterr()
    assert "included: leaf 12 of 40" in out
    assert err.startswith("REFUSED (mismatch): the file's SHA-256")


def test_a_salted_receipt_opens_its_hash_and_checks_the_file(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    receipt = _salted_receipt(BLOB)
    files["receipt"].write_text(json.dumps(receipt), encoding="utf-8")
    assert main([str(files["receipt"]), "--key", KEY, "--file", str(files["blob"])]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"signature: ok by {ORIGIN}",
        "included: leaf 1 of 2",
        "contents: match the logged hash",
        "timestamp: none in this receipt",
        "file: sha256 matches",
    ]
    salt = receipt["opening"]["salt"]
    receipt["opening"]["salt"] = ("1" if salt[0] == "0" else "0") + salt[1:]
    files["receipt"].write_text(json.dumps(receipt), encoding="utf-8")
    assert main([str(files["receipt"]), "--key", KEY, "--file", str(files["blob"])]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines() == [f"signature: ok by {ORIGIN}", "included: leaf 1 of 2"]
    assert err.startswith("REFUSED (mismatch): the receipt's opening does not hash")


def test_a_salted_receipt_refuses_another_file(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    files["receipt"].write_text(json.dumps(_salted_receipt(BLOB + b"!")), encoding="utf-8")
    assert main([str(files["receipt"]), "--key", KEY, "--file", str(files["blob"]), "--json"]) == 1
    failure = json.loads(capsys.readouterr().out)
    assert failure["code"] == "mismatch" and "the file's SHA-256" in failure["message"]
    assert "contents: match the logged hash" in failure["checks"]


def test_the_wrong_key_is_refused(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    other = verifier_key(new_signer(ORIGIN))
    assert main([str(files["receipt"]), "--key", other, "--json"]) == 1
    failure = json.loads(capsys.readouterr().out)
    assert failure["ok"] is False
    assert failure["code"] == "unknown_key"
    assert failure["checks"] == []


def test_a_tampered_receipt_is_refused(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    receipt = json.loads(files["receipt"].read_text())
    receipt["record"]["item"] = "E-13"
    files["receipt"].write_text(json.dumps(receipt))
    assert main([str(files["receipt"]), "--key", KEY]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines() == [f"signature: ok by {ORIGIN}"]
    assert "REFUSED (bad_proof)" in err


def test_not_json_is_refused(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    files["receipt"].write_text("this is not a receipt")
    assert main([str(files["receipt"])]) == 1
    assert "REFUSED (malformed)" in capsys.readouterr().err


def test_usage_errors_and_unreadable_files_exit_2(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    missing = str(files["dir"] / "missing.json")
    assert main([missing]) == 2
    assert "cannot read the receipt" in capsys.readouterr().err
    assert main([str(files["receipt"]), "--file", missing]) == 2
    assert "cannot read --file" in capsys.readouterr().err
    assert main([str(files["receipt"]), "--key", "not a key"]) == 2
    assert "--key is not a verifier key" in capsys.readouterr().err
    assert main([str(files["receipt"]), "--tsa-cert", missing]) == 2
    assert main([]) == 2
    assert main([str(files["receipt"]), "--bogus"]) == 2
    assert main([str(files["dir"])]) == 2  # a directory
    assert main(["--help"]) == 0


def test_the_file_is_hashed_as_a_stream(files: dict[str, Path]) -> None:
    assert file_sha256(str(files["blob"])) == hashlib.sha256(BLOB).hexdigest()


def _clean_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def test_the_module_runs_as_a_program(files: dict[str, Path]) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "netcourt.ledger.verify",
            str(files["receipt"]),
            "--key",
            KEY,
            "--file",
            str(files["blob"]),
        ],
        capture_output=True,
        text=True,
        env=_clean_env(),
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "file: sha256 matches"


def test_checking_a_receipt_imports_no_django(files: dict[str, Path]) -> None:
    program = (
        "import sys\n"
        "from netcourt.ledger.verify import main\n"
        f"code = main([{str(files['receipt'])!r}, '--key', {KEY!r}, '--file', {str(files['blob'])!r}])\n"
        "loaded = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "print('DJANGO', loaded)\n"
        "sys.exit(code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", program],
        capture_output=True,
        text=True,
        env=_clean_env(),
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "DJANGO []" in done.stdout
    imported = [line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if "|" in line]
    assert "netcourt.ledger.verify" in imported
    assert not [name for name in imported if name == "django" or name.startswith("django.")]


def test_a_real_timestamp_checked_against_the_authoritys_certificate(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    timestamp = pytest.importorskip("netcourt.ledger.timestamp")
    if not hasattr(timestamp, "TimestampAuthority"):
        pytest.skip("netcourt.ledger.timestamp has no built-in authority yet")
    from cryptography.hazmat.primitives.serialization import Encoding

    now = datetime(2026, 11, 29, 8, 30, tzinfo=UTC)
    authority = timestamp.TimestampAuthority.generate("netcourt test TSA", now)
    receipt = json.loads(files["receipt"].read_text())
    token = authority.stamp(receipt["checkpoint"].encode("utf-8"), now=now, serial=9)
    receipt["timestamp"] = base64.b64encode(token).decode("ascii")
    files["receipt"].write_text(json.dumps(receipt))
    pem = files["dir"] / "tsa.pem"
    pem.write_bytes(authority.certificate.public_bytes(Encoding.PEM))

    assert main([str(files["receipt"]), "--key", KEY, "--tsa-cert", str(pem)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[2] == "timestamp: 2026-11-29T08:30:00Z by CN=netcourt test TSA"

    assert main([str(files["receipt"]), "--key", KEY]) == 0
    assert "not independently checked" in capsys.readouterr().out.splitlines()[2]

    other = timestamp.TimestampAuthority.generate("another TSA", now)
    pem.write_bytes(other.certificate.public_bytes(Encoding.PEM))
    assert main([str(files["receipt"]), "--key", KEY, "--tsa-cert", str(pem)]) == 1
    assert "REFUSED (bad_timestamp)" in capsys.readouterr().err

    pem.write_bytes(b"-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n")
    assert main([str(files["receipt"]), "--tsa-cert", str(pem)]) == 2
