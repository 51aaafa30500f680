"""`netcourt ledger verify`: check the whole log against everything it vouches for.

Re-hashes every leaf record and compares it with the leaf integrated at its index; checks
each case event and evidence item the log names against its row and, for evidence, its
stored file (decrypted and re-hashed); checks that every case event has a leaf; rebuilds the
tree and checks every checkpoint's signature, timestamp and root, and the consistency between
consecutive checkpoints. Each fault names what was altered.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from django.utils.translation import gettext as _

from netcourt.cases.actions import EVENT_LEAF, event_leaf, event_leaf_ref, event_record
from netcourt.cases.models import CaseEvent
from netcourt.ledger import record_hash
from netcourt.ledger.checkpoint import parse_checkpoint
from netcourt.ledger.errors import LedgerError
from netcourt.ledger.note import open_note
from netcourt.ledger.timestamp import TimestampError, verify_token
from netcourt.ledger.tree import MemoryTree, leaf_hash, verify_consistency
from netcourt.transparency import keys
from netcourt.transparency.models import Checkpoint, LogEntry, LogNode
from netcourt.vault import VaultError

CHUNK = 5000


def audit(*, files: bool = True, progress: Callable[[str], None] | None = None) -> list[str]:
    """Every fault found, in plain words; an empty list when the log is intact."""
    faults: list[str] = []
    tree = MemoryTree()
    stored = _stored_leaves()
    refs: set[str] = set()
    expected = 0
    for entry in LogEntry.objects.filter(index__isnull=False).order_by("index").iterator(CHUNK):
        assert entry.index is not None
        refs.add(entry.ref)
        while expected < entry.index:
            faults.append(
                _("Leaf %(index)s is missing from the log (removed).") % {"index": expected}
            )
            tree.append(stored.get(expected, bytes(32)))
            expected += 1
        digest = leaf_hash(entry.record.encode("utf-8"))
        if digest.hex() != entry.leaf_hash:
            faults.append(
                _("Leaf %(index)s (%(ref)s): its record was altered after it was logged.")
                % {"index": entry.index, "ref": entry.ref}
            )
        integrated = stored.get(entry.index)
        if integrated is not None and integrated != digest:
            faults.append(
                _(
                    "Leaf %(index)s (%(ref)s) is not the leaf integrated at this index: leaves "
                    "were reordered or replaced."
                )
                % {"index": entry.index, "ref": entry.ref}
            )
        tree.append(integrated if integrated is not None else digest)
        faults.extend(_check_subject(entry, files))
        expected += 1
        if progress and expected % 10000 == 0:
            progress(f"{expected} leaves")
    for entry in LogEntry.objects.filter(index__isnull=True).iterator(CHUNK):
        refs.add(entry.ref)
        if leaf_hash(entry.record.encode("utf-8")).hex() != entry.leaf_hash:
            faults.append(_("Queued leaf %(ref)s: its record was altered.") % {"ref": entry.ref})
        faults.extend(_check_subject(entry, files))
    faults.extend(_unlogged_events(refs))
    faults.extend(_check_checkpoints(tree))
    return faults


def _stored_leaves() -> dict[int, bytes]:
    return {
        index: bytes.fromhex(digest)
        for index, digest in LogNode.objects.filter(level=0).values_list("index", "hash")
    }


def _check_subject(entry: LogEntry, files: bool) -> Iterator[str]:
    try:
        record = json.loads(entry.record)
    except ValueError:
        yield _("Leaf %(ref)s: its record is not JSON.") % {"ref": entry.ref}
        return
    if entry.kind == EVENT_LEAF:
        yield from _check_event(entry.ref, record)
    elif entry.kind == "evidence":
        yield from _check_item(entry.ref, record, files)


def _check_event(ref: str, record: dict[str, Any]) -> Iterator[str]:
    event = (
        CaseEvent.objects.filter(case_id=str(record.get("case")), seq=int(record.get("seq") or 0))
        .select_related("case")
        .first()
    )
    if event is None:
        yield _("%(ref)s: the case event the log names was deleted.") % {"ref": ref}
        return
    recomputed = record_hash(event_record(event))
    leaf = {"kind": EVENT_LEAF, **event_leaf(event)}
    if recomputed != event.hash or leaf != record or record.get("hash") != recomputed:
        yield (
            _("%(ref)s: the case event was altered after it was logged (event %(event)s).")
            % {"ref": ref, "event": event.event}
        )


def _check_item(ref: str, record: dict[str, Any], files: bool) -> Iterator[str]:
    from netcourt.evidence.actions import EVIDENCE_LEAF, item_leaf
    from netcourt.evidence.models import EvidenceItem
    from netcourt.evidence.store import blob_context, blob_store, case_keys
    from netcourt.vault import verify_blob

    item = (
        EvidenceItem.objects.select_related("blob", "case")
        .filter(pk=str(record.get("item")))
        .first()
    )
    if item is None:
        yield _("%(ref)s: the evidence item the log names was deleted.") % {"ref": ref}
        return
    blob = item.blob
    if {"kind": EVIDENCE_LEAF, **item_leaf(item)} != record:
        yield _("%(ref)s: the item's recorded hash, size or salt was altered.") % {"ref": ref}
    if not files:
        return
    try:
        sha256, size = verify_blob(
            blob_store(), blob.store_key, case_keys(item.case), blob_context(blob.pk)
        )
    except VaultError as error:
        yield (
            _("%(ref)s: the stored file of “%(title)s” was altered or is unreadable (%(why)s).")
            % {"ref": ref, "title": item.title, "why": error.code}
        )
        return
    if sha256 != blob.sha256 or size != blob.size:
        yield (
            _("%(ref)s: the stored file of “%(title)s” is not the file that was logged.")
            % {"ref": ref, "title": item.title}
        )


def _unlogged_events(refs: set[str]) -> Iterator[str]:
    for event in CaseEvent.objects.only("case_id", "seq", "event").iterator(CHUNK):
        if event_leaf_ref(event) not in refs:
            yield (
                _("Event %(seq)s (%(event)s) of case %(case)s has no leaf in the log.")
                % {"seq": event.seq, "event": event.event, "case": event.case_id}
            )


def _check_checkpoints(tree: MemoryTree) -> Iterator[str]:
    verifier = keys.log_verifier_key()
    previous: Checkpoint | None = None
    for checkpoint in Checkpoint.objects.order_by("size"):
        where = _("Checkpoint at size %(size)s") % {"size": checkpoint.size}
        try:
            opened = open_note(checkpoint.note, [verifier])
            parsed = parse_checkpoint(opened.text)
        except LedgerError as error:
            yield f"{where}: {error}"
            continue
        if parsed.size != checkpoint.size or parsed.root.hex() != checkpoint.root:
            yield where + ": " + _("its row does not match its signed text.")
        if parsed.size > tree.size:
            yield where + ": " + _("the log holds fewer leaves than it signed for.")
            continue
        if tree.root(parsed.size) != parsed.root:
            yield (
                where
                + ": "
                + _(
                    "its root does not match the leaves (a leaf was altered, removed or reordered)."
                )
            )
        if checkpoint.timestamp:
            try:
                verify_token(bytes(checkpoint.timestamp), checkpoint.note.encode("utf-8"))
            except TimestampError as error:
                yield (
                    where
                    + ": "
                    + _("its timestamp does not verify (%(why)s).") % {"why": error.code}
                )
        if previous is not None and previous.size > 0:
            try:
                verify_consistency(
                    previous.size,
                    parsed.size,
                    tree.consistency_proof(previous.size, parsed.size),
                    bytes.fromhex(previous.root),
                    parsed.root,
                )
            except LedgerError:
                yield (
                    where
                    + ": "
                    + _("it is not consistent with the checkpoint at size %(size)s.")
                    % {"size": previous.size}
                )
        previous = checkpoint
