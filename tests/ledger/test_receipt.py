"""Receipts: what they must contain, and that every way of altering one is caught."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netcourt.ledger.canonical import canonical_json, new_salt, record_hash
from netcourt.ledger.checkpoint import Checkpoint
from netcourt.ledger.errors import LedgerError
from netcourt.ledger.note import new_signer, sign_note, verifier_key
from netcourt.ledger.receipt import FIELDS, check_receipt, load_receipt, make_receipt
from netcourt.ledger.tree import MemoryTree, leaf_hash

ORIGIN = "court.example/log"
SIGNER = new_signer(ORIGIN)
KEY = verifier_key(SIGNER)
FORGER = new_signer(ORIGIN)
BLOB = b"the photo of the parcel, as filed"


def record(number: int) -> dict[str, Any]:
    return {
        "kind": "evidence",
        "case": "(2026) Zhe 0192 Min Chu 1",
        "item": f"E-{number}",
        "sha256": hashlib.sha256(BLOB + str(number).encode()).hexdigest(),
        "size": 1000 + number,
    }


RECORDS = [record(n) for n in range(40)]
TREE = MemoryTree(leaf_hash(canonical_json(r)) for r in RECORDS)
NOTE = sign_note(Checkpoint(ORIGIN, TREE.size, TREE.root()).text(), SIGNER)


def receipt_for(index: int, *, timestamp: bytes | None = None) -> dict[str, Any]:
    return make_receipt(
        kind="evidence",
        record=RECORDS[index],
        leaf_index=index,
        tree_size=TREE.size,
        inclusion_proof=TREE.inclusion_proof(index),
        checkpoint=NOTE,
        verifier_key=KEY,
        timestamp=timestamp,
    )


RECEIPT = receipt_for(12)


def refused(receipt: Any, code: str, match: str | None = None, **options: Any) -> LedgerError:
    with pytest.raises(LedgerError, match=match) as caught:
        check_receipt(receipt, **options)
    assert caught.value.code == code, caught.value
    return caught.value


def test_a_receipt_is_one_json_document_with_the_agreed_fields() -> None:
    assert list(RECEIPT) == list(FIELDS)
    assert RECEIPT["format"] == "netcourt-receipt"
    assert RECEIPT["version"] == 2
    assert RECEIPT["leaf_index"] == 12 and RECEIPT["tree_size"] == 40
    assert all(len(h) == 64 and h == h.lower() for h in RECEIPT["inclusion_proof"])
    assert RECEIPT["checkpoint"] == NOTE
    assert RECEIPT["verifier_key"] == KEY
    assert RECEIPT["timestamp"] is None
    assert RECEIPT["opening"] is None
    assert load_receipt(json.dumps(RECEIPT)) == RECEIPT


def test_a_good_receipt_checked_with_the_courts_key() -> None:
    seen: list[str] = []
    report = check_receipt(
        RECEIPT, trusted_key=KEY, blob_sha256=RECORDS[12]["sha256"], on_check=seen.append
    )
    assert report.key_checked
    assert report.signed_by == ORIGIN
    assert (report.leaf_index, report.tree_size) == (12, 40)
    assert report.checkpoint.root == TREE.root()
    assert report.record == RECORDS[12]
    assert report.file_checked
    assert (
        report.checks
        == seen
        == [
            f"signature: ok by {ORIGIN}",
            "included: leaf 12 of 40",
            "timestamp: none in this receipt",
            "file: sha256 matches",
        ]
    )
    assert report.to_json()["ok"] is True
    json.dumps(report.to_json())


def test_every_leaf_of_the_tree_has_a_good_receipt() -> None:
    for index in range(TREE.size):
        check_receipt(json.loads(json.dumps(receipt_for(index))), trusted_key=KEY)


def test_without_a_trusted_key_the_report_says_the_key_was_not_checked() -> None:
    report = check_receipt(RECEIPT)
    assert not report.key_checked
    assert "not independently checked" in report.checks[0]


def test_a_forger_with_his_own_key_fools_only_a_careless_verifier() -> None:
    # A forged log: another record at index 12, signed by a key with the court's name.
    records = list(RECORDS)
    records[12] = {**RECORDS[12], "sha256": "0" * 64}
    tree = MemoryTree(leaf_hash(canonical_json(r)) for r in records)
    note = sign_note(Checkpoint(ORIGIN, tree.size, tree.root()).text(), FORGER)
    forged = make_receipt(
        kind="evidence",
        record=records[12],
        leaf_index=12,
        tree_size=tree.size,
        inclusion_proof=tree.inclusion_proof(12),
        checkpoint=note,
        verifier_key=verifier_key(FORGER),
    )
    assert not check_receipt(forged).key_checked
    refused(forged, "unknown_key", "trusted key", trusted_key=KEY)


def test_a_different_trusted_key_refuses() -> None:
    refused(RECEIPT, "unknown_key", trusted_key=verifier_key(new_signer("elsewhere.example")))


@pytest.mark.parametrize("name", FIELDS)
def test_each_missing_field_is_named(name: str) -> None:
    receipt = dict(RECEIPT)
    del receipt[name]
    refused(receipt, "malformed", f"missing field '{name}'", trusted_key=KEY)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("format", "netcourt-receipt-v2", "format"),
        ("version", 3, "version"),
        ("version", "1", "version"),
        ("version", True, "version"),
        ("kind", "", "kind"),
        ("kind", "Evidence", "kind"),
        ("kind", "evidence item", "kind"),
        ("kind", 7, "kind"),
        ("kind", "x" * 40, "kind"),
        ("record", [], "record"),
        ("record", {"size": 1.5}, "canonical form"),
        ("leaf_index", -1, "leaf_index"),
        ("leaf_index", True, "leaf_index"),
        ("leaf_index", "12", "leaf_index"),
        ("leaf_index", 12.0, "leaf_index"),
        ("leaf_index", 40, "not below tree_size"),
        ("tree_size", None, "tree_size"),
        ("inclusion_proof", "ab" * 32, "inclusion_proof"),
        ("inclusion_proof", ["AB" * 32], r"inclusion_proof\[0\]"),
        ("inclusion_proof", ["ab" * 31], r"inclusion_proof\[0\]"),
        ("inclusion_proof", [7], r"inclusion_proof\[0\]"),
        ("inclusion_proof", ["00" * 32] * 200, "inclusion_proof"),
        ("checkpoint", None, "checkpoint"),
        ("verifier_key", 1, "verifier_key"),
        ("verifier_key", "court.example/log+00000000+AAAA", "verifier_key"),
        ("timestamp", 5, "timestamp"),
        ("timestamp", "", "timestamp"),
        ("timestamp", "not base64!", "timestamp"),
        ("timestamp", "AB==", "canonical"),
        ("opening", [], "opening"),
        ("opening", "salt", "opening"),
        ("opening", {"size": 1.5}, "opening has no canonical form"),
    ],
)
def test_each_wrong_field_is_named(name: str, value: Any, message: str) -> None:
    receipt = {**RECEIPT, name: value}
    refused(receipt, "malformed", message, trusted_key=KEY)


def test_unknown_fields_and_non_objects_are_refused() -> None:
    refused({**RECEIPT, "court": "Hangzhou"}, "malformed", "unknown field 'court'")
    refused([RECEIPT], "malformed", "JSON object")


def test_an_altered_record_is_not_included() -> None:
    receipt = copy.deepcopy(RECEIPT)
    receipt["record"]["sha256"] = "0" * 64
    refused(receipt, "bad_proof", "not proved to be leaf 12 of 40", trusted_key=KEY)
    receipt = copy.deepcopy(RECEIPT)
    receipt["record"]["extra"] = None
    refused(receipt, "bad_proof", trusted_key=KEY)


def test_an_altered_index_or_proof_is_refused() -> None:
    refused({**RECEIPT, "leaf_index": 13}, "bad_proof", trusted_key=KEY)
    proof = list(RECEIPT["inclusion_proof"])
    proof[1] = ("0" if proof[1][0] != "0" else "1") + proof[1][1:]
    refused({**RECEIPT, "inclusion_proof": proof}, "bad_proof", trusted_key=KEY)
    refused({**RECEIPT, "inclusion_proof": proof[:-1]}, "bad_proof", trusted_key=KEY)
    refused({**RECEIPT, "inclusion_proof": [*proof, proof[0]]}, "bad_proof", trusted_key=KEY)


def test_the_tree_size_must_be_the_checkpoints() -> None:
    refused({**RECEIPT, "tree_size": 41}, "inconsistent", "checkpoint is of size 40")


def test_an_altered_checkpoint_is_refused() -> None:
    tampered = NOTE.replace("\n40\n", "\n41\n", 1)
    assert tampered != NOTE
    refused({**RECEIPT, "checkpoint": tampered}, "bad_signature", trusted_key=KEY)
    refused({**RECEIPT, "checkpoint": NOTE.split("\n\n")[0] + "\n"}, "malformed", trusted_key=KEY)
    not_a_checkpoint = sign_note("hello\n", SIGNER)
    refused({**RECEIPT, "checkpoint": not_a_checkpoint}, "malformed", "at least three lines")


ACCEPT = {"kind": "event", "event": "accept"}


def test_the_receipts_kind_must_be_its_records() -> None:
    """The outer kind is not covered by the proof: a receipt relabelled is refused."""
    refused({**RECEIPT, "kind": "event"}, "mismatch", "its record is 'evidence'", trusted_key=KEY)


def test_the_file_must_be_the_records() -> None:
    refused(RECEIPT, "mismatch", "not the record", blob_sha256="0" * 64)
    report = check_receipt(RECEIPT, blob_sha256=RECORDS[12]["sha256"].upper())
    assert report.file_checked
    refused(RECEIPT, "malformed", "64 hex", blob_sha256="abc")
    plain = make_receipt(
        kind="event",
        record=ACCEPT,
        leaf_index=0,
        tree_size=1,
        inclusion_proof=[],
        checkpoint=sign_note(
            Checkpoint(ORIGIN, 1, leaf_hash(canonical_json(ACCEPT))).text(), SIGNER
        ),
        verifier_key=KEY,
    )
    assert check_receipt(plain, trusted_key=KEY).checks[1] == "included: leaf 0 of 1"
    refused(plain, "mismatch", "no sha256", blob_sha256="0" * 64)


def test_a_receipt_made_before_openings_still_checks() -> None:
    """Version 1 receipts, handed out before salts, had no ``opening`` field."""
    old = {name: value for name, value in RECEIPT.items() if name != "opening"} | {"version": 1}
    report = check_receipt(old, trusted_key=KEY, blob_sha256=RECORDS[12]["sha256"])
    assert report.file_checked and report.opening is None
    refused({**old, "opening": None}, "malformed", "unknown field 'opening'")


def test_make_receipt_refuses_to_hand_out_a_receipt_that_does_not_check() -> None:
    with pytest.raises(LedgerError):
        make_receipt(
            kind="evidence",
            record=RECORDS[12],
            leaf_index=12,
            tree_size=TREE.size,
            inclusion_proof=TREE.inclusion_proof(13),
            checkpoint=NOTE,
            verifier_key=KEY,
        )
    with pytest.raises(LedgerError):
        make_receipt(
            kind="evidence",
            record=RECORDS[12],
            leaf_index=12,
            tree_size=TREE.size,
            inclusion_proof=TREE.inclusion_proof(12),
            checkpoint=NOTE,
            verifier_key=verifier_key(FORGER),
        )


def test_load_receipt_is_strict() -> None:
    with pytest.raises(LedgerError, match="appears twice"):
        load_receipt('{"a": 1, "a": 2}')
    with pytest.raises(LedgerError, match="NaN"):
        load_receipt('{"a": NaN}')
    with pytest.raises(LedgerError, match="not JSON"):
        load_receipt("{")
    with pytest.raises(LedgerError, match="JSON object"):
        load_receipt("[]")
    with pytest.raises(LedgerError, match="not JSON"):
        load_receipt(b"\xff")


# --- openings: the salted record behind a logged hash ----------------------------------------
# A leaf publishes only the hash of a salted record; the receipt of those entitled to it holds
# that record (its opening), and the checker hashes it again.

FILED = b"the invoice, as filed"


def filing(actor: int, salt: str | None) -> dict[str, Any]:
    """A case's first event as its hashed record has it: every field but the salt is small."""
    record: dict[str, Any] = {
        "case": "3f0c6f4e-8d1e-4d7b-9a5e-2b7f0c1d9e21",
        "seq": 1,
        "event": "create_draft",
        "actor_role": "plaintiff",
        "state_before": "",
        "state_after": "draft",
        "payload_sha256": hashlib.sha256(b'{"category":"online_loan"}').hexdigest(),
        "pack_version": "1",
        "at": "2026-11-02T02:00:00+00:00",
        "actor": str(actor),
        "on_behalf_of": None,
        "prev": "0" * 64,
    }
    if salt is not None:
        record["salt"] = salt
    return record


def exhibit(salt: str) -> dict[str, Any]:
    return {
        "case": "3f0c6f4e-8d1e-4d7b-9a5e-2b7f0c1d9e21",
        "item": "9b2e",
        "sha256": hashlib.sha256(FILED).hexdigest(),
        "size": len(FILED),
        "salt": salt,
    }


def leaf_of(opening: dict[str, Any], kind: str) -> dict[str, Any]:
    """The public leaf the court logs for ``opening``: identifiers and its hash."""
    shared = {name: opening[name] for name in ("case", "seq", "item", "at") if name in opening}
    return {"kind": kind, **shared, "hash": record_hash(opening)}


def receipt_opening(record: dict[str, Any], opening: dict[str, Any] | None) -> dict[str, Any]:
    """A one-leaf log holding ``record``, and its receipt with ``opening``."""
    note = sign_note(Checkpoint(ORIGIN, 1, leaf_hash(canonical_json(record))).text(), SIGNER)
    receipt = make_receipt(
        kind=record["kind"],
        record=record,
        leaf_index=0,
        tree_size=1,
        inclusion_proof=[],
        checkpoint=note,
        verifier_key=KEY,
    )
    return {**receipt, "opening": opening}


def test_without_its_salt_a_guessed_record_does_not_match_the_logged_hash() -> None:
    """Trying every account id, as a reviewer's script did, finds the filer only with the salt."""
    salt = new_salt()
    logged = leaf_of(filing(41, salt), "case_event")["hash"]
    assert [a for a in range(1, 60) if record_hash(filing(a, None)) == logged] == []
    assert [a for a in range(1, 60) if record_hash(filing(a, salt)) == logged] == [41]


def test_salts_are_secret_random_256_bit_values() -> None:
    salts = {new_salt() for _ in range(100)}
    assert len(salts) == 100
    assert all(len(bytes.fromhex(salt)) == 32 for salt in salts)


def test_an_event_receipt_opens_its_logged_hash() -> None:
    opening = filing(7, new_salt())
    receipt = receipt_opening(leaf_of(opening, "case_event"), opening)
    report = check_receipt(receipt, trusted_key=KEY)
    assert report.checks[2] == "contents: match the logged hash"
    assert report.opening == opening and report.to_json()["opening"] == opening
    refused(receipt, "mismatch", "no sha256", blob_sha256=hashlib.sha256(FILED).hexdigest())


def test_an_evidence_receipt_checks_the_file_against_its_opening() -> None:
    opening = exhibit(new_salt())
    leaf = {**leaf_of(opening, "evidence"), "at": "2026-11-02T02:00:00+00:00"}
    assert hashlib.sha256(FILED).hexdigest() not in json.dumps(leaf)
    receipt = receipt_opening(leaf, opening)
    report = check_receipt(receipt, trusted_key=KEY, blob_sha256=hashlib.sha256(FILED).hexdigest())
    assert report.file_checked and report.checks[-1] == "file: sha256 matches"
    other = hashlib.sha256(FILED + b"!").hexdigest()
    refused(receipt, "mismatch", "not the record", blob_sha256=other)
    refused({**receipt, "opening": None}, "mismatch", "no sha256", blob_sha256=other)


salts = st.text("0123456789abcdef", min_size=64, max_size=64)
values = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=3))


@settings(max_examples=150, deadline=None)
@given(salt=salts, actor=st.integers(1, 59), data=st.data())
def test_any_change_to_an_opening_is_refused(salt: str, actor: int, data: st.DataObject) -> None:
    opening = filing(actor, salt)
    receipt = receipt_opening(leaf_of(opening, "case_event"), opening)
    check_receipt(receipt, trusted_key=KEY)
    name = data.draw(st.sampled_from(sorted(opening)), label="field")
    value = data.draw(values.filter(lambda v: v != opening[name]), label="value")
    refused({**receipt, "opening": {**opening, name: value}}, "mismatch", trusted_key=KEY)
    without = {k: v for k, v in opening.items() if k != name}
    refused({**receipt, "opening": without}, "mismatch", trusted_key=KEY)
    extra = {**opening, "note": data.draw(values, label="note")}
    refused({**receipt, "opening": extra}, "mismatch", trusted_key=KEY)


@settings(max_examples=100, deadline=None)
@given(salt=salts, position=st.integers(0, 63))
def test_a_flipped_salt_is_refused(salt: str, position: int) -> None:
    opening = exhibit(salt)
    receipt = receipt_opening({**leaf_of(opening, "evidence"), "at": "…"}, opening)
    flipped = salt[:position] + ("1" if salt[position] == "0" else "0") + salt[position + 1 :]
    error = refused(
        {**receipt, "opening": {**opening, "salt": flipped}}, "mismatch", trusted_key=KEY
    )
    assert "does not hash to the record's hash" in str(error)


def test_the_opening_must_say_what_the_logged_record_says() -> None:
    """A hash that matches does not make up for a leaf logged under another case or step."""
    opening = filing(7, new_salt())
    leaf = {**leaf_of(opening, "case_event"), "seq": 2}
    refused(receipt_opening(leaf, opening), "mismatch", "says seq 1, the logged record 2")


def test_an_opening_needs_a_logged_hash_to_open() -> None:
    opening = exhibit(new_salt())
    refused(receipt_opening(RECORDS[12], opening), "mismatch", "record has no hash")


# --- the timestamp: plumbing only, with a stand-in verifier ----------------------------------
# These tests check what check_receipt does with a verifier's answer; they prove nothing about
# RFC 3161 tokens (that is netcourt.ledger.timestamp's business, tested on its own).


@dataclass(frozen=True)
class FakeStamp:
    gen_time: datetime
    serial: int
    tsa_subject: str
    tsa_certificate_sha256: str


class FakeRefusal(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


TOKEN = b"\x30\x03\x02\x01\x07"  # placeholder bytes; the fake verifier does not parse them


def test_the_timestamp_verifier_is_given_the_token_and_the_signed_note() -> None:
    calls: list[tuple[bytes, bytes, bytes | None]] = []

    def fake(token: bytes, message: bytes, trusted: bytes | None = None) -> FakeStamp:
        calls.append((token, message, trusted))
        return FakeStamp(datetime(2026, 11, 29, 8, 30, tzinfo=UTC), 7, "CN=netcourt TSA", "ab" * 32)

    receipt = receipt_for(3, timestamp=TOKEN)
    assert receipt["timestamp"] == base64.b64encode(TOKEN).decode()
    report = check_receipt(
        receipt, trusted_key=KEY, timestamp_verifier=fake, tsa_certificate=b"cert"
    )
    assert calls == [(TOKEN, NOTE.encode("utf-8"), b"cert")]
    assert report.checks[2] == "timestamp: 2026-11-29T08:30:00Z by CN=netcourt TSA"
    assert report.timestamp is not None and report.timestamp.serial == 7
    assert report.timestamp_pinned
    assert report.to_json()["timestamp"]["time"] == "2026-11-29T08:30:00Z"


def test_an_unpinned_timestamp_authority_is_flagged() -> None:
    def fake(token: bytes, message: bytes, trusted: bytes | None = None) -> FakeStamp:
        assert trusted is None
        return FakeStamp(datetime(2026, 11, 29, 8, 30, tzinfo=UTC), 7, "CN=TSA", "cd" * 32)

    report = check_receipt(receipt_for(3, timestamp=TOKEN), timestamp_verifier=fake)
    assert not report.timestamp_pinned
    assert report.checks[2] == (
        "timestamp: 2026-11-29T08:30:00Z by CN=TSA"
        " (authority's certificate sha256 cdcdcdcdcdcdcdcd…, not independently checked)"
    )


def test_a_refused_timestamp_refuses_the_receipt() -> None:
    def refusing(token: bytes, message: bytes, trusted: bytes | None = None) -> FakeStamp:
        raise FakeRefusal("imprint_mismatch", "the token is for another message")

    error = refused(
        receipt_for(3, timestamp=TOKEN),
        "bad_timestamp",
        "another message",
        timestamp_verifier=refusing,
    )
    assert "imprint_mismatch" in str(error)


def test_a_bug_in_the_timestamp_verifier_is_not_disguised_as_a_refusal() -> None:
    def broken(token: bytes, message: bytes, trusted: bytes | None = None) -> FakeStamp:
        raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        check_receipt(receipt_for(3, timestamp=TOKEN), timestamp_verifier=broken)


def test_a_timestamp_can_be_required() -> None:
    refused(RECEIPT, "bad_timestamp", "no timestamp", require_timestamp=True)


# --- the timestamp: with the real verifier, when netcourt.ledger.timestamp is there ----------


def test_a_real_rfc3161_token_over_the_checkpoint() -> None:
    timestamp = pytest.importorskip("netcourt.ledger.timestamp")
    if not hasattr(timestamp, "TimestampAuthority"):
        pytest.skip("netcourt.ledger.timestamp has no built-in authority yet")
    now = datetime(2026, 11, 29, 8, 30, tzinfo=UTC)
    authority = timestamp.TimestampAuthority.generate("netcourt test TSA", now)
    token = authority.stamp(NOTE.encode("utf-8"), now=now, serial=42)
    report = check_receipt(
        receipt_for(5, timestamp=token),
        trusted_key=KEY,
        tsa_certificate=authority.certificate_der,
    )
    assert report.timestamp is not None
    assert report.timestamp.serial == 42
    assert report.checks[2] == "timestamp: 2026-11-29T08:30:00Z by CN=netcourt test TSA"
    assert report.timestamp_pinned
    other = authority.stamp(b"another message", now=now, serial=43)
    refused(receipt_for(5, timestamp=other), "bad_timestamp", trusted_key=KEY)
