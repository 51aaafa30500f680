"""What the public log does not give away to guessing, and what receipts let the parties
check: every published hash covers a secret salt that only the case's receipts hold; rows
logged before salts keep their records and still verify."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from netcourt.accounts.models import User
from netcourt.cases import actions as case_actions
from netcourt.cases.models import Case, CaseEvent
from netcourt.courts.models import Court
from netcourt.evidence import actions as evidence_actions
from netcourt.evidence.models import EvidenceItem
from netcourt.ledger import LedgerError, canonical_json, check_receipt, record_hash, sha256_hex
from netcourt.ledger.tiles import parse_entry_bundle, tiles_for_size
from netcourt.transparency import actions, keys
from netcourt.transparency.audit import audit
from netcourt.transparency.models import LogEntry
from tests.conftest import api_client, confirmed, signed_in
from tests.evidence.test_submission import pdf, submit

ACTING_AS = ("self", "lawyer", "agent", "organisation")


def flip(salt: str) -> str:
    """``salt`` with its first hex digit changed."""
    return ("1" if salt[0] == "0" else "0") + salt[1:]


def logged(ref: str) -> dict[str, Any]:
    return dict(json.loads(LogEntry.objects.get(ref=ref).record))


def verify(receipt: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """``python -m netcourt.ledger.verify`` as a party runs it, with the court's key."""
    return subprocess.run(
        [sys.executable, "-m", "netcourt.ledger.verify", str(receipt)]
        + ["--key", keys.log_verifier_key(), *extra],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def reviewers_search(leaf: dict[str, Any], salt: str = "") -> list[tuple[int, str, str, str]]:
    """The security review's search for who filed a case, where and about what, from the
    first event's leaf in the public log: every account, court, kind of dispute and capacity;
    the rest of the event's record is known (the step, the states, the pack's version) or in
    the leaf (the case, the time). Each (account, court, category, capacity) that matches."""
    found = []
    accounts = list(User.objects.values_list("pk", flat=True))
    for court in Court.objects.all():
        pack = court.pack
        for category, acting_as in itertools.product(pack.categories, ACTING_AS):
            payload = {"court": court.slug, "category": category, "acting_as": acting_as}
            for actor in accounts:
                guess = {
                    "case": leaf["case"],
                    "seq": 1,
                    "event": case_actions.CREATED_EVENT,
                    "actor_role": "plaintiff",
                    "state_before": "",
                    "state_after": pack.initial_state,
                    "payload_sha256": sha256_hex(canonical_json(payload)),
                    "pack_version": pack.version,
                    "at": leaf["at"],
                    "actor": str(actor),
                    "on_behalf_of": None,
                    "prev": case_actions.GENESIS_HASH,
                    **({"salt": salt} if salt else {}),
                }
                if record_hash(guess) == leaf["hash"]:
                    found.append((actor, court.slug, category, acting_as))
    return found


def test_guessing_who_filed_finds_no_match_without_the_salt(draft: Case) -> None:
    event = draft.events.get(seq=1)
    leaf = logged(case_actions.event_leaf_ref(event))
    assert reviewers_search(leaf) == []
    assert reviewers_search(leaf, event.salt) == [
        (draft.created_by_id, "hangzhou", "ecommerce_purchase", "self")
    ]


def test_holding_a_file_does_not_find_it_in_the_log(exchanging: Case, alice: User) -> None:
    data = pdf(4000)
    item = submit(alice, exchanging, data)
    leaf = logged(evidence_actions.item_leaf_ref(item))
    sha256 = sha256_hex(data)
    assert sha256 not in "".join(LogEntry.objects.values_list("record", flat=True))
    assert set(leaf) == {"kind", "case", "item", "hash", "at"}
    unsalted = {"case": leaf["case"], "item": leaf["item"], "sha256": sha256, "size": len(data)}
    assert record_hash(unsalted) != leaf["hash"]
    assert record_hash({**unsalted, "salt": item.salt}) == leaf["hash"]


def public_leaves() -> list[dict[str, Any]]:
    """Every leaf record, read as anyone reads them: the entry bundles under /log/."""
    actions.integrate_all()
    client = Client()
    size = actions.latest_checkpoint().size
    return [
        json.loads(entry)
        for tile in tiles_for_size(size, entries=True)
        for entry in parse_entry_bundle(client.get(f"/log/{tile.path}").content, tile.width)
    ]


def test_no_salt_is_published(exchanging: Case, alice: User) -> None:
    item = submit(alice, exchanging, pdf(2000))
    public = json.dumps(public_leaves())
    salts = [*CaseEvent.objects.values_list("salt", flat=True), item.salt]
    assert all(len(salt) == 64 for salt in salts) and len(set(salts)) == len(salts)
    assert str(item.pk) in public
    assert not [salt for salt in salts if salt in public]


def test_an_event_receipt_holds_its_salted_record_and_verifies_offline(
    accepted: Case, alice: User, tmp_path: Path
) -> None:
    event = accepted.events.get(seq=2)
    body = signed_in(alice).get(f"/cases/{accepted.pk}/events/2/receipt.json").content
    receipt = json.loads(body)
    assert receipt["opening"] == case_actions.event_record(event)
    assert receipt["opening"]["salt"] == event.salt
    api = api_client(alice).get(f"/api/v1/cases/{accepted.pk}/events/2/receipt").json()
    assert api["opening"] == receipt["opening"]
    path = tmp_path / "receipt.json"
    path.write_bytes(body)
    run = verify(path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "contents: match the logged hash" in run.stdout
    receipt["opening"]["salt"] = flip(event.salt)
    path.write_text(json.dumps(receipt))
    refused = verify(path)
    assert refused.returncode == 1
    assert "REFUSED (mismatch): the receipt's opening does not hash" in refused.stderr


def test_an_evidence_receipt_gives_the_file_hash_and_salt_to_its_parties(
    exchanging: Case, alice: User, mallory: User
) -> None:
    data = pdf(3000)
    item = submit(alice, exchanging, data)
    url = f"/api/v1/cases/{exchanging.pk}/evidence/{item.pk}/receipt"
    assert api_client(mallory).get(url).status_code == 404
    receipt = api_client(alice).get(url).json()
    assert receipt["opening"] == {
        "case": str(exchanging.pk),
        "item": str(item.pk),
        "sha256": sha256_hex(data),
        "size": len(data),
        "salt": item.salt,
    }
    report = check_receipt(
        receipt, trusted_key=keys.log_verifier_key(), blob_sha256=sha256_hex(data)
    )
    assert report.file_checked
    flipped = {**receipt["opening"], "size": len(data) + 1}
    with pytest.raises(LedgerError, match="does not hash"):
        check_receipt({**receipt, "opening": flipped}, trusted_key=keys.log_verifier_key())


# --- rows logged before salts -----------------------------------------------------------------


@pytest.fixture
def before_salts(
    db: Any, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> EvidenceItem:
    """A case and an item made as netcourt made them before salts (no salt in their rows),
    then one more step taken after the upgrade."""
    with monkeypatch.context() as old:
        old.setattr(case_actions, "new_salt", lambda: "")
        old.setattr(evidence_actions, "new_salt", lambda: "")
        case: Case = request.getfixturevalue("exchanging")
        item: EvidenceItem = submit(request.getfixturevalue("alice"), case, pdf(3000))
    evidence_actions.examine(
        request.getfixturevalue("bob"),
        case.pk,
        item.pk,
        authenticity="accepted",
        legality="accepted",
        relevance="accepted",
        comment="",
        step_up=confirmed(),
    )
    return item


def test_rows_logged_before_salts_keep_their_records_and_verify(
    before_salts: EvidenceItem, tmp_path: Path
) -> None:
    item = before_salts
    case = Case.objects.get(pk=item.case_id)
    events = list(case.events.order_by("seq"))
    old, new = [e for e in events if not e.salt], [e for e in events if e.salt]
    assert old and new and max(e.seq for e in old) < min(e.seq for e in new)
    for event in old:
        assert set(case_actions.event_record(event)) == {
            "case", "seq", "event", "actor_role", "state_before", "state_after",
            "payload_sha256", "pack_version", "at", "actor", "on_behalf_of", "prev",
        }  # fmt: skip
    assert case_actions.verify_chain(case)
    leaf = logged(evidence_actions.item_leaf_ref(item))
    assert leaf["sha256"] == item.blob.sha256 and "hash" not in leaf
    actions.integrate_all()
    assert audit() == []

    alice = item.submitted_by
    receipt = tmp_path / "receipt.json"
    receipt.write_bytes(
        signed_in(alice).get(f"/cases/{case.pk}/evidence/{item.pk}/receipt.json").content
    )
    assert json.loads(receipt.read_text())["opening"] is None
    data = tmp_path / "order.pdf"
    data.write_bytes(pdf(3000))
    run = verify(receipt, "--file", str(data))
    assert run.returncode == 0 and "file: sha256 matches" in run.stdout, run.stderr
    receipt.write_bytes(
        signed_in(alice).get(f"/cases/{case.pk}/events/{old[-1].seq}/receipt.json").content
    )
    assert "salt" not in json.loads(receipt.read_text())["opening"]
    run = verify(receipt)
    assert run.returncode == 0 and "contents: match the logged hash" in run.stdout, run.stderr
