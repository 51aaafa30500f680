"""The court's transparency log: leaves for events and evidence, checkpoints, receipts that
verify offline, the public tile endpoints, and `netcourt ledger verify` naming tampering."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from netcourt.cases import actions as case_actions
from netcourt.cases.models import Case, CaseEvent
from netcourt.evidence import actions as evidence_actions
from netcourt.evidence.models import EvidenceItem
from netcourt.ledger.checkpoint import parse_checkpoint
from netcourt.ledger.note import open_note
from netcourt.ledger.tiles import parse_entry_bundle, split_tile
from netcourt.ledger.timestamp import verify_token
from netcourt.ledger.tree import MemoryTree, leaf_hash, verify_consistency, verify_inclusion
from netcourt.transparency import actions, keys
from netcourt.transparency.audit import audit
from netcourt.transparency.models import Checkpoint, LogEntry, LogNode
from tests.conftest import confirmed, signed_in
from tests.evidence.test_submission import pdf, submit
from tests.transparency.test_salts import flip

REPO = Path(__file__).resolve().parents[2]


def test_every_event_gets_a_leaf_and_a_signed_timestamped_checkpoint(accepted) -> None:
    events = list(accepted.events.order_by("seq"))
    assert LogEntry.objects.filter(kind="case_event").count() == len(events) > 0
    checkpoint = actions.integrate()
    assert checkpoint is not None and checkpoint.size == len(events)
    opened = open_note(checkpoint.note, [keys.log_verifier_key()])
    parsed = parse_checkpoint(opened.text)
    assert parsed.origin == keys.origin() and parsed.size == len(events)
    stamp = verify_token(bytes(checkpoint.timestamp), checkpoint.note.encode())
    assert stamp.tsa_subject
    assert actions.integrate() is None  # nothing new: no new checkpoint


def test_leaf_records_carry_no_personal_data(exchanging, alice) -> None:
    submit(alice, exchanging, pdf(), title="张伟's bank statement")
    records = " ".join(LogEntry.objects.values_list("record", flat=True))
    # Hashes and salts are random hex, where "4299" turns up now and then: look past them.
    records = re.sub(r"[0-9a-f]{32,}", "#", records)
    for secret in ("张伟", "Yungou", "alice", "4299", "bank statement", "Refund"):
        assert secret not in records


def test_the_tree_matches_an_independent_rebuild_across_batches(accepted) -> None:
    actions.integrate(batch=3)
    actions.integrate(batch=2)
    actions.integrate_all()
    leaves = [
        bytes.fromhex(h)
        for h in LogEntry.objects.order_by("index").values_list("leaf_hash", flat=True)
    ]
    tree = MemoryTree(leaves)
    sizes = list(Checkpoint.objects.order_by("size").values_list("size", "root"))
    assert [s for s, _ in sizes] == sorted({3, 5, len(leaves)})
    for size, root in sizes:
        assert tree.root(size).hex() == root
    from netcourt.transparency.proofs import consistency_proof, inclusion_proof

    for index in range(len(leaves)):
        verify_inclusion(
            leaves[index], index, len(leaves), inclusion_proof(index, len(leaves)), tree.root()
        )
    verify_consistency(3, len(leaves), consistency_proof(3, len(leaves)), tree.root(3), tree.root())


def test_an_evidence_receipt_verifies_offline_with_the_file(
    exchanging, alice, tmp_path: Path
) -> None:
    data = pdf(5000)
    item = submit(alice, exchanging, data)
    response = signed_in(alice).get(f"/cases/{exchanging.pk}/evidence/{item.pk}/receipt.json")
    assert response.status_code == 200
    receipt = tmp_path / "receipt.json"
    receipt.write_bytes(response.content)
    blob = tmp_path / "order.pdf"
    blob.write_bytes(data)
    key = keys.log_verifier_key()
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "netcourt.ledger.verify",
            str(receipt),
            "--key",
            key,
            "--file",
            str(blob),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "sha256 matches" in run.stdout or "file" in run.stdout
    blob.write_bytes(data[:-1] + b"?")
    tampered = subprocess.run(
        [
            sys.executable,
            "-m",
            "netcourt.ledger.verify",
            str(receipt),
            "--key",
            key,
            "--file",
            str(blob),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert tampered.returncode == 1


def test_an_event_receipt_is_for_the_people_of_the_case_only(accepted, alice, mallory) -> None:
    url = f"/cases/{accepted.pk}/events/1/receipt.json"
    assert signed_in(mallory).get(url).status_code == 404
    body = json.loads(signed_in(alice).get(url).content)
    assert body["record"]["case"] == str(accepted.pk) and body["record"]["seq"] == 1
    api = Client(HTTP_AUTHORIZATION="")
    assert api.get(f"/api/v1/cases/{accepted.pk}/events/1/receipt").status_code == 401


def test_the_public_log_serves_checkpoint_tiles_and_entries(accepted) -> None:
    actions.integrate_all()
    client = Client()
    note = client.get("/log/checkpoint").content.decode()
    checkpoint = parse_checkpoint(open_note(note, [keys.log_verifier_key()]).text)
    size = checkpoint.size
    assert client.get("/log/key").content.decode().strip() == keys.log_verifier_key()
    tile = client.get(f"/log/tile/0/000.p/{size}")
    assert tile.status_code == 200 and tile["Cache-Control"] == "no-cache"
    hashes = split_tile(tile.content, size)
    assert MemoryTree(hashes).root() == checkpoint.root
    entries = parse_entry_bundle(client.get(f"/log/tile/entries/000.p/{size}").content, size)
    assert [leaf_hash(e) for e in entries] == hashes
    assert client.get(f"/log/tile/0/000.p/{size + 1}").status_code == 404
    assert client.get("/log/tile/0/000").status_code == 404  # not full yet
    assert client.get("/log/tile/0/0000").status_code == 404  # not canonical
    proof = client.get(f"/log/v1/inclusion?index=0&tree_size={size}").json()
    verify_inclusion(
        hashes[0], 0, size, [bytes.fromhex(h) for h in proof["inclusion_path"]], checkpoint.root
    )
    assert client.get("/log/v1/inclusion?index=x&tree_size=1").status_code == 422
    # int() reads other scripts' digits and underscores: 0 written so is no whole number here.
    for raw in ("\u0660", "\u06f0", "0_0", "\uff10"):
        refused = client.get(f"/log/v1/inclusion?index={raw}&tree_size={size}")
        assert refused.status_code == 422, (raw, refused.content)
        assert refused.json()["detail"] == "index must be a whole number."
    assert client.get("/log/v1/inclusion?index=-1&tree_size=1").status_code == 422
    assert client.get(f"/log/v1/consistency?first=1&second={size + 5}").status_code == 404


def test_the_built_in_timestamp_authority_answers_over_http() -> None:
    from netcourt.ledger.timestamp import request_for, token_from_response

    request = request_for(b"hello", nonce=12345)
    response = Client().post("/tsa", request, content_type="application/timestamp-query")
    assert response["Content-Type"] == "application/timestamp-reply"
    token = token_from_response(response.content, request)
    assert verify_token(token, b"hello").serial > 0
    assert Client().post("/tsa", b"x", content_type="text/plain").status_code == 415


def test_an_intact_log_verifies(exchanging, alice, bob) -> None:
    item = submit(alice, exchanging, pdf(3000))
    evidence_actions.examine(
        bob,
        exchanging.pk,
        item.pk,
        authenticity="disputed",
        legality="accepted",
        relevance="accepted",
        comment="The page was edited.",
        step_up=confirmed(),
    )
    actions.integrate_all()
    assert audit() == []


@pytest.fixture
def logged(exchanging, alice) -> EvidenceItem:
    item = submit(alice, exchanging, pdf(3000))
    actions.integrate_all()
    assert audit() == []
    return item


def test_a_flipped_byte_in_a_stored_file_is_named(logged: EvidenceItem, settings) -> None:
    path = Path(settings.NETCOURT_BLOB_STORE) / logged.blob.store_key
    if not path.exists():
        path = next(p for p in Path(settings.NETCOURT_BLOB_STORE).rglob("*") if p.is_file())
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 1
    path.write_bytes(bytes(raw))
    faults = audit()
    assert len(faults) == 1 and f"evidence:{logged.pk}" in faults[0] and "altered" in faults[0]


def test_an_edited_event_row_is_named(logged: EvidenceItem) -> None:
    event = CaseEvent.objects.get(case=logged.case, seq=2)
    CaseEvent.objects.filter(pk=event.pk).update(payload={"inputs": {"track": "ordinary!"}})
    faults = audit()
    assert any(f"event:{logged.case_id}:2" in f and "altered" in f for f in faults)


def test_a_removed_leaf_is_named(logged: EvidenceItem) -> None:
    LogEntry.objects.filter(index=2).delete()
    faults = audit()
    assert any("Leaf 2 is missing" in f for f in faults)
    assert any("has no leaf in the log" in f for f in faults)


def test_reordered_leaves_are_named(logged: EvidenceItem) -> None:
    first, second = LogEntry.objects.get(index=1), LogEntry.objects.get(index=2)
    LogEntry.objects.filter(pk=first.pk).update(index=None)
    LogEntry.objects.filter(pk=second.pk).update(index=1)
    LogEntry.objects.filter(pk=first.pk).update(index=2)
    faults = audit()
    assert any("Leaf 1 " in f and "reordered" in f for f in faults)
    assert any("Leaf 2 " in f and "reordered" in f for f in faults)


def test_an_edited_leaf_record_is_named(logged: EvidenceItem) -> None:
    entry = LogEntry.objects.get(ref=f"evidence:{logged.pk}")
    LogEntry.objects.filter(pk=entry.pk).update(
        record=entry.record.replace('"hash":"', '"hash":"f')
    )
    faults = audit()
    assert any(f"evidence:{logged.pk}" in f and "record was altered" in f for f in faults)


def test_a_flipped_event_salt_is_named(logged: EvidenceItem) -> None:
    event = CaseEvent.objects.get(case=logged.case, seq=3)
    CaseEvent.objects.filter(pk=event.pk).update(salt=flip(event.salt))
    assert audit() == [
        f"event:{logged.case_id}:3: the case event was altered after it was logged "
        f"(event {event.event})."
    ]
    assert not case_actions.verify_chain(Case.objects.get(pk=logged.case_id))


def test_a_flipped_item_salt_is_named(logged: EvidenceItem) -> None:
    EvidenceItem.objects.filter(pk=logged.pk).update(salt=flip(logged.salt))
    assert audit() == [f"evidence:{logged.pk}: the item's recorded hash, size or salt was altered."]


def test_a_forged_checkpoint_is_named(logged: EvidenceItem) -> None:
    latest = Checkpoint.objects.order_by("-size").first()
    Checkpoint.objects.filter(pk=latest.pk).update(
        note=latest.note.replace("\n\n", "\n\n", 1).replace(latest.note.splitlines()[1], "999")
    )
    faults = audit()
    assert any("Checkpoint at size" in f for f in faults)


def test_ledger_verify_command_exits_non_zero_on_tampering(logged: EvidenceItem) -> None:
    from netcourt.cli import main

    assert main(["ledger", "verify"]) == 0
    LogNode.objects.filter(level=0, index=0).update(hash="00" * 32)
    assert main(["ledger", "verify", "--json"]) == 1


def test_the_log_goes_on_while_the_timestamp_authority_is_away(accepted, settings) -> None:
    settings.NETCOURT_TSA_URL = "http://127.0.0.1:9/tsa"  # nothing listens there
    checkpoint = actions.integrate()
    assert checkpoint is not None and checkpoint.timestamp is None
    settings.NETCOURT_TSA_URL = ""
    assert actions.stamp_missing() == 1
    checkpoint.refresh_from_db()
    assert verify_token(bytes(checkpoint.timestamp), checkpoint.note.encode()).serial > 0
    assert audit() == []


def test_the_docket_api_shows_a_documents_fingerprint_only(accepted, alice, bob, staff) -> None:
    from netcourt.cases import actions as case_actions
    from tests.conftest import api_client
    from tests.evidence.test_submission import upload

    defendant = accepted.parties.get(role="defendant")
    defendant.user = bob
    defendant.save()
    proof = upload(alice, accepted, pdf(1200), "dibao-zhangsan.pdf")
    case_actions.fire(
        alice,
        accepted.pk,
        "apply_fee_aid",
        accepted.version,
        {"aid_kind": "deferral", "grounds": "No income.", "proof": str(proof.pk)},
    )
    for step in ("serve_complaint", "confirm_service"):
        accepted.refresh_from_db()
        case_actions.fire(staff["clerk-hangzhou"], accepted.pk, step, accepted.version)
    submit(alice, accepted, pdf(), title="Secret title")
    docket = json.dumps(api_client(bob).get(f"/api/v1/cases/{accepted.pk}/docket").json())
    assert "dibao-zhangsan" not in docket and "Secret title" not in docket
    assert '"sha256"' in docket


def test_the_log_has_a_page_for_people_in_both_languages(db) -> None:
    """What the log is, its latest signed checkpoint, the court's key and how to check a
    receipt offline; linked from every page's footer."""
    from django.test import Client

    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    page = client.get("/log/")
    assert page.status_code == 200
    text = page.content.decode()
    assert keys.log_verifier_key() in text and "python -m netcourt.ledger.verify" in text
    assert "a salt" in text and "keep your receipts as private as the case file" in text
    assert 'href="/log/"' in client.get("/").content.decode()
    chinese = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get("/log/").content.decode()
    assert "公开日志" in chinese
    assert "盐值" in chinese


def test_reading_a_steps_receipt_is_in_the_access_log(accepted) -> None:
    from netcourt.cases.models import AccessLogEntry

    plaintiff = accepted.created_by
    answer = signed_in(plaintiff).get(f"/cases/{accepted.pk}/events/1/receipt.json")
    assert answer.status_code == 200
    entry = AccessLogEntry.objects.get(case=accepted, what="event.receipt:1")
    assert entry.user == plaintiff and entry.roles == ["plaintiff"]
