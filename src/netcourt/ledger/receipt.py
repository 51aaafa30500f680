"""Receipts: everything needed to check, offline, that a record is in the court's log.

A receipt is one JSON object::

    {
      "format": "netcourt-receipt",
      "version": 2,
      "kind": "evidence",
      "record": {...},                 # the leaf data is canonical_json(record)
      "leaf_index": 12,
      "tree_size": 40,
      "inclusion_proof": ["<hex>", ...],
      "checkpoint": "<signed note>",   # a C2SP checkpoint of size tree_size, signed by the court
      "verifier_key": "<name>+<id>+<key>",
      "timestamp": "<base64 DER RFC 3161 TimeStampToken over the signed note's UTF-8>" | null,
      "opening": {"salt": "<hex>", ...} | null
    }

A leaf's record publishes a ``hash``: the SHA-256 of the canonical JSON of a record that
includes a secret random ``salt`` (:func:`~netcourt.ledger.canonical.new_salt`), so that no
one can confirm a guess about what it covers. The ``opening`` is that salted record, in the
receipts of those entitled to hold it. Version 1 receipts (before openings) have no
``opening`` field and still check.

:func:`check_receipt` checks, in this order: the shape of every field; the checkpoint's
signature (with the key the caller trusts, or failing that the receipt's own key, which the
report then flags as not independently checked); that the checkpoint is of ``tree_size``; that
the record's leaf hash is included at ``leaf_index`` under the checkpoint's root, and that the
record's ``kind`` is the receipt's; that the opening, if any, hashes to the record's ``hash``
and agrees with every field the record shares with it; the RFC 3161 timestamp over the signed
checkpoint; and, if the caller has the file, that its SHA-256 is the ``sha256`` of the opening
(or, without one, of the record). Any failure raises
:class:`~netcourt.ledger.errors.LedgerError`.
"""

from __future__ import annotations

import base64
import binascii
import importlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from netcourt.ledger.canonical import canonical_json, record_hash
from netcourt.ledger.checkpoint import Checkpoint, parse_checkpoint
from netcourt.ledger.errors import LedgerError
from netcourt.ledger.note import open_note, parse_verifier_key
from netcourt.ledger.tree import HASH_SIZE, leaf_hash, verify_inclusion

FORMAT = "netcourt-receipt"
VERSION = 2
FIELDS = (
    "format",
    "version",
    "kind",
    "record",
    "leaf_index",
    "tree_size",
    "inclusion_proof",
    "checkpoint",
    "verifier_key",
    "timestamp",
    "opening",
)
#: The fields of each version this verifier knows: version 1 had no ``opening``.
VERSION_FIELDS = {1: FIELDS[:-1], VERSION: FIELDS}
MAX_PROOF_LENGTH = 128

_KIND = re.compile(r"[a-z][a-z0-9_]{0,31}")
_HEX_HASH = re.compile(r"[0-9a-f]{64}")


class StampInfo(Protocol):
    """What a timestamp verifier tells about a token it accepted."""

    @property
    def gen_time(self) -> datetime: ...

    @property
    def serial(self) -> int: ...

    @property
    def tsa_subject(self) -> str: ...

    @property
    def tsa_certificate_sha256(self) -> str: ...


#: ``verify(token, message, trusted_certificate) -> StampInfo``; raises on a bad token.
TimestampVerifier = Callable[[bytes, bytes, bytes | None], StampInfo]


def default_timestamp_verifier(
    token: bytes, message: bytes, trusted_certificate: bytes | None = None
) -> StampInfo:
    """``netcourt.ledger.timestamp.verify_token``, imported when a receipt has a timestamp."""
    try:
        module = importlib.import_module("netcourt.ledger.timestamp")
        verify_token = module.verify_token
    except (ImportError, AttributeError) as exc:
        raise LedgerError(
            "bad_timestamp", f"cannot check the timestamp: no RFC 3161 verifier here ({exc})"
        ) from exc
    stamp: StampInfo = verify_token(token, message, trusted_certificate)
    return stamp


@dataclass(frozen=True)
class Stamp:
    """A timestamp that verified."""

    gen_time: datetime
    serial: int
    tsa_subject: str
    tsa_certificate_sha256: str

    def to_json(self) -> dict[str, Any]:
        return {
            "time": _iso(self.gen_time),
            "serial": self.serial,
            "tsa_subject": self.tsa_subject,
            "tsa_certificate_sha256": self.tsa_certificate_sha256,
        }


@dataclass(frozen=True)
class ReceiptReport:
    """What a receipt proved. ``key_checked`` is False when the caller gave no trusted key and
    the receipt's own key was used: then the receipt is only consistent with itself.
    ``timestamp_pinned`` is True only when the timestamp verified against a TSA certificate the
    caller gave; otherwise the token's own certificate vouched for itself."""

    kind: str
    record: dict[str, Any]
    leaf_index: int
    tree_size: int
    checkpoint: Checkpoint
    signed_by: str
    verifier_key: str
    key_checked: bool
    timestamp: Stamp | None
    timestamp_pinned: bool
    file_checked: bool
    opening: dict[str, Any] | None = None
    checks: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": True,
            "kind": self.kind,
            "record": self.record,
            "leaf_index": self.leaf_index,
            "tree_size": self.tree_size,
            "origin": self.checkpoint.origin,
            "root": self.checkpoint.root.hex(),
            "signed_by": self.signed_by,
            "verifier_key": self.verifier_key,
            "key_checked": self.key_checked,
            "timestamp": self.timestamp.to_json() if self.timestamp else None,
            "timestamp_pinned": self.timestamp_pinned,
            "file_checked": self.file_checked,
            "opening": self.opening,
            "checks": list(self.checks),
        }


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# --- building -------------------------------------------------------------------------------


def make_receipt(
    *,
    kind: str,
    record: Mapping[str, Any],
    leaf_index: int,
    tree_size: int,
    inclusion_proof: Sequence[bytes],
    checkpoint: str,
    verifier_key: str,
    timestamp: bytes | None = None,
    opening: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A receipt, checked before it is handed out (all but the timestamp, which is the TSA's).

    ``checkpoint`` is the signed note of a checkpoint of ``tree_size`` leaves; ``opening`` the
    salted record whose hash is the record's ``hash``, for those entitled to hold it.
    """
    receipt: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "kind": kind,
        "record": dict(record),
        "leaf_index": leaf_index,
        "tree_size": tree_size,
        "inclusion_proof": [bytes(item).hex() for item in inclusion_proof],
        "checkpoint": checkpoint,
        "verifier_key": verifier_key,
        "timestamp": base64.b64encode(timestamp).decode("ascii") if timestamp else None,
        "opening": dict(opening) if opening is not None else None,
    }
    _check(receipt, trusted_key=verifier_key, check_timestamp=False)
    return receipt


def load_receipt(data: str | bytes) -> dict[str, Any]:
    """Parse a receipt's JSON strictly: one object, no duplicate keys, no NaN or infinity."""

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in items:
            if key in result:
                raise LedgerError("malformed", f"receipt: key {key!r} appears twice")
            result[key] = value
        return result

    def constant(name: str) -> Any:
        raise LedgerError("malformed", f"receipt: {name} is not JSON")

    try:
        value = json.loads(data, object_pairs_hook=pairs, parse_constant=constant)
    except (ValueError, RecursionError) as exc:
        raise LedgerError("malformed", f"receipt is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise LedgerError("malformed", "a receipt is a JSON object")
    return value


# --- checking -------------------------------------------------------------------------------


def _int(receipt: Mapping[str, Any], name: str) -> int:
    value = receipt[name]
    if type(value) is not int or value < 0:
        raise LedgerError("malformed", f"receipt: {name} must be a non-negative integer")
    return value


def _structure(receipt: object) -> None:
    if not isinstance(receipt, dict):
        raise LedgerError("malformed", "a receipt is a JSON object")
    version = receipt.get("version")
    fields = VERSION_FIELDS.get(version, FIELDS) if type(version) is int else FIELDS
    for name in fields:
        if name not in receipt:
            raise LedgerError("malformed", f"receipt: missing field {name!r}")
    extra = sorted(set(receipt) - set(fields))
    if extra:
        raise LedgerError("malformed", f"receipt: unknown field {extra[0]!r}")
    if receipt["format"] != FORMAT:
        raise LedgerError("malformed", f"receipt: format must be {FORMAT!r}")
    if type(version) is not int or version not in VERSION_FIELDS:
        known = " or ".join(str(number) for number in VERSION_FIELDS)
        raise LedgerError(
            "malformed", f"receipt: version must be {known} (this verifier knows no other)"
        )
    if not isinstance(receipt["kind"], str) or not _KIND.fullmatch(receipt["kind"]):
        raise LedgerError(
            "malformed", "receipt: kind must be a short lowercase word such as 'evidence'"
        )
    if not isinstance(receipt["record"], dict):
        raise LedgerError("malformed", "receipt: record must be a JSON object")
    try:
        canonical_json(receipt["record"])
    except TypeError as exc:
        raise LedgerError("malformed", f"receipt: record has no canonical form: {exc}") from None
    opening = receipt.get("opening")
    if opening is not None:
        if not isinstance(opening, dict):
            raise LedgerError("malformed", "receipt: opening must be a JSON object or null")
        try:
            canonical_json(opening)
        except TypeError as exc:
            raise LedgerError(
                "malformed", f"receipt: opening has no canonical form: {exc}"
            ) from None
    leaf_index = _int(receipt, "leaf_index")
    tree_size = _int(receipt, "tree_size")
    if leaf_index >= tree_size:
        raise LedgerError(
            "malformed", f"receipt: leaf_index {leaf_index} is not below tree_size {tree_size}"
        )
    proof = receipt["inclusion_proof"]
    if not isinstance(proof, list) or len(proof) > MAX_PROOF_LENGTH:
        raise LedgerError("malformed", "receipt: inclusion_proof must be a list of hashes")
    for number, item in enumerate(proof):
        if not isinstance(item, str) or not _HEX_HASH.fullmatch(item):
            raise LedgerError(
                "malformed",
                f"receipt: inclusion_proof[{number}] must be {2 * HASH_SIZE} lowercase hex digits",
            )
    if not isinstance(receipt["checkpoint"], str):
        raise LedgerError("malformed", "receipt: checkpoint must be the signed checkpoint note")
    if not isinstance(receipt["verifier_key"], str):
        raise LedgerError("malformed", "receipt: verifier_key must be a verifier key string")
    try:
        parse_verifier_key(receipt["verifier_key"])
    except LedgerError as exc:
        raise LedgerError("malformed", f"receipt: verifier_key: {exc}") from None
    stamp = receipt["timestamp"]
    if stamp is not None:
        if not isinstance(stamp, str) or not stamp:
            raise LedgerError("malformed", "receipt: timestamp must be base64 text or null")
        _token(stamp)


def _token(text: str) -> bytes:
    try:
        token = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise LedgerError("malformed", "receipt: timestamp is not valid base64") from None
    if base64.b64encode(token).decode("ascii") != text:
        raise LedgerError("malformed", "receipt: timestamp is not canonical base64")
    return token


def check_receipt(
    receipt: Mapping[str, Any],
    *,
    trusted_key: str | None = None,
    blob_sha256: str | None = None,
    timestamp_verifier: TimestampVerifier = default_timestamp_verifier,
    tsa_certificate: bytes | None = None,
    require_timestamp: bool = False,
    on_check: Callable[[str], None] | None = None,
) -> ReceiptReport:
    """Check a receipt offline; see the module's documentation for what is checked.

    ``trusted_key`` is the court's verifier key obtained independently (its web site, the
    official gazette); ``blob_sha256`` the hex SHA-256 of the file the record is about;
    ``tsa_certificate`` the timestamp authority's certificate to trust. ``on_check`` is called
    with a line for each check as it passes (so that a caller can show progress before a
    failure).
    """
    return _check(
        receipt,
        trusted_key=trusted_key,
        blob_sha256=blob_sha256,
        timestamp_verifier=timestamp_verifier,
        tsa_certificate=tsa_certificate,
        require_timestamp=require_timestamp,
        on_check=on_check,
    )


def _check(
    receipt: Mapping[str, Any],
    *,
    trusted_key: str | None,
    blob_sha256: str | None = None,
    timestamp_verifier: TimestampVerifier = default_timestamp_verifier,
    tsa_certificate: bytes | None = None,
    require_timestamp: bool = False,
    check_timestamp: bool = True,
    on_check: Callable[[str], None] | None = None,
) -> ReceiptReport:
    checks: list[str] = []

    def passed(line: str) -> None:
        checks.append(line)
        if on_check is not None:
            on_check(line)

    _structure(receipt)
    expected_sha256 = None
    if blob_sha256 is not None:
        expected_sha256 = blob_sha256.strip().lower()
        if not _HEX_HASH.fullmatch(expected_sha256):
            raise LedgerError("malformed", "the file's SHA-256 must be 64 hex digits")

    # 1. The checkpoint is signed by the court.
    key_checked = trusted_key is not None
    key = trusted_key if trusted_key is not None else receipt["verifier_key"]
    verifier = parse_verifier_key(key)
    note = receipt["checkpoint"]
    try:
        opened = open_note(note, [key])
    except LedgerError as exc:
        if exc.code == "unknown_key":
            whose = "the trusted key" if key_checked else "the receipt's verifier_key"
            raise LedgerError(
                "unknown_key",
                f"the checkpoint is not signed by {whose} ({verifier.name}+{verifier.key_id:08x})",
            ) from None
        raise LedgerError(exc.code, f"checkpoint: {exc}") from None
    checkpoint = parse_checkpoint(opened.text)
    line = f"signature: ok by {verifier.name}"
    if not key_checked:
        line += " (key taken from the receipt itself, not independently checked)"
    passed(line)

    # 2. The checkpoint is the tree the proof is about.
    tree_size = receipt["tree_size"]
    leaf_index = receipt["leaf_index"]
    if checkpoint.size != tree_size:
        raise LedgerError(
            "inconsistent",
            f"the receipt says tree size {tree_size} but its checkpoint is of size "
            f"{checkpoint.size}",
        )

    # 3. The record is in it.
    record = receipt["record"]
    proof = [bytes.fromhex(item) for item in receipt["inclusion_proof"]]
    try:
        verify_inclusion(
            leaf_hash(canonical_json(record)), leaf_index, tree_size, proof, checkpoint.root
        )
    except LedgerError as exc:
        raise LedgerError(
            "bad_proof" if exc.code == "malformed" else exc.code,
            f"the record is not proved to be leaf {leaf_index} of {tree_size}: {exc}",
        ) from None
    passed(f"included: leaf {leaf_index} of {tree_size}")
    # The receipt's kind is only a label outside the proof: the record, which the proof
    # covers, says what it is, and the two must agree.
    if record.get("kind") != receipt["kind"]:
        raise LedgerError(
            "mismatch",
            f"the receipt says {receipt['kind']!r} but its record is {record.get('kind')!r}",
        )

    # The salted record behind the record's hash, when the receipt holds it.
    opening = receipt.get("opening")
    if opening is not None:
        _check_opening(record, opening)
        passed("contents: match the logged hash")

    # 4. The signed checkpoint existed at the time the authority says.
    stamp: Stamp | None = None
    if receipt["timestamp"] is None:
        if require_timestamp:
            raise LedgerError("bad_timestamp", "the receipt has no timestamp")
        passed("timestamp: none in this receipt")
    elif check_timestamp:
        token = _token(receipt["timestamp"])
        try:
            info = timestamp_verifier(token, note.encode("utf-8"), tsa_certificate)
        except Exception as exc:
            # A refusal carries a ``code`` (TimestampError, LedgerError); anything else is a bug
            # and propagates as it is.
            code = getattr(exc, "code", None)
            if code is None:
                raise
            if isinstance(exc, LedgerError) and code == "bad_timestamp":
                raise
            raise LedgerError("bad_timestamp", f"timestamp: {exc} ({code})") from exc
        stamp = Stamp(info.gen_time, info.serial, info.tsa_subject, info.tsa_certificate_sha256)
        line = f"timestamp: {_iso(stamp.gen_time)} by {stamp.tsa_subject}"
        if tsa_certificate is None:
            line += (
                f" (authority's certificate sha256 {stamp.tsa_certificate_sha256[:16]}…,"
                " not independently checked)"
            )
        passed(line)

    # 5. The file is the one the record describes.
    if expected_sha256 is not None:
        recorded = (opening if opening is not None else record).get("sha256")
        if not isinstance(recorded, str):
            raise LedgerError(
                "mismatch", "the receipt has no sha256, so no file can be checked against it"
            )
        if recorded.lower() != expected_sha256:
            raise LedgerError(
                "mismatch",
                f"the file's SHA-256 {expected_sha256} is not the record's {recorded.lower()}",
            )
        passed("file: sha256 matches")

    return ReceiptReport(
        kind=receipt["kind"],
        record=record,
        leaf_index=leaf_index,
        tree_size=tree_size,
        checkpoint=checkpoint,
        signed_by=verifier.name,
        verifier_key=verifier.encoded,
        key_checked=key_checked,
        timestamp=stamp,
        timestamp_pinned=stamp is not None and tsa_certificate is not None,
        file_checked=expected_sha256 is not None,
        opening=opening,
        checks=checks,
    )


def _check_opening(record: Mapping[str, Any], opening: Mapping[str, Any]) -> None:
    """The opening is the salted record whose hash the logged record publishes, and says the
    same as the logged record wherever both have a field (the case, the item, the sequence)."""
    logged = record.get("hash")
    if not isinstance(logged, str):
        raise LedgerError(
            "mismatch", "the record has no hash, so the receipt's opening cannot be checked"
        )
    if record_hash(opening) != logged:
        raise LedgerError(
            "mismatch", "the receipt's opening does not hash to the record's hash: it was altered"
        )
    for name in sorted(opening.keys() & record.keys()):
        if opening[name] != record[name]:
            raise LedgerError(
                "mismatch",
                f"the receipt's opening says {name} {opening[name]!r}, "
                f"the logged record {record[name]!r}",
            )
