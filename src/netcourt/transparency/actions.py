"""Writing to the court's transparency log: appending leaves and integrating them.

`append` runs inside the transaction of the change it records (a case event, an evidence
item), so a leaf exists exactly when its change committed. It only queues the leaf. `integrate`
— the sequencer — takes the queued leaves in the order they were appended, gives them their
indexes, stores the nodes they complete, and signs and timestamps a checkpoint of the new size.
It holds a lock on the log's head row for the whole step (``SELECT ... FOR UPDATE`` on
PostgreSQL; SQLite's write transactions are serial anyway), so several app servers may run it
at once: one integrates, the others find nothing left to do. The unique leaf index is a second
line of defence.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable, Mapping
from datetime import UTC
from typing import Any

import httpx
from django.conf import settings
from django.db import close_old_connections, transaction
from django.db.models import F, Q

from netcourt.core import clock
from netcourt.ledger import canonical_json
from netcourt.ledger.checkpoint import Checkpoint as CheckpointText
from netcourt.ledger.frontier import extend, frontier_positions
from netcourt.ledger.note import sign_note
from netcourt.ledger.timestamp import TimestampError
from netcourt.ledger.tree import EMPTY_ROOT, leaf_hash
from netcourt.transparency import keys
from netcourt.transparency.models import Checkpoint, LogEntry, LogHead, LogNode

logger = logging.getLogger(__name__)

DEFAULT_BATCH = 20_000


def append(kind: str, ref: str, record: Mapping[str, Any]) -> LogEntry:
    """Queue a leaf for ``record`` (hashes and identifiers only: anyone may read it)."""
    data = canonical_json({"kind": kind, **record})
    return LogEntry.objects.create(
        kind=kind,
        ref=ref,
        record=data.decode("utf-8"),
        leaf_hash=leaf_hash(data).hex(),
        created_at=clock.now(),
    )


def append_many(entries: Iterable[tuple[str, str, Mapping[str, Any]]]) -> None:
    """Queue several leaves at once (kind, ref, record), in order."""
    now = clock.now()
    rows = []
    for kind, ref, record in entries:
        data = canonical_json({"kind": kind, **record})
        rows.append(
            LogEntry(
                kind=kind,
                ref=ref,
                record=data.decode("utf-8"),
                leaf_hash=leaf_hash(data).hex(),
                created_at=now,
            )
        )
    LogEntry.objects.bulk_create(rows, batch_size=1000)


def integrate(batch: int = DEFAULT_BATCH) -> Checkpoint | None:
    """Integrate queued leaves (up to ``batch``) and publish a checkpoint; None if none were
    queued and a checkpoint of the current size exists already."""
    with transaction.atomic():
        head = _locked_head()
        pending = list(
            LogEntry.objects.filter(index__isnull=True)
            .order_by("id")
            .values_list("id", "leaf_hash")[:batch]
        )
        if not pending:
            if Checkpoint.objects.filter(size=head.size).exists():
                return None
            return _checkpoint(head.size, bytes.fromhex(head.root))
        frontier = nodes(frontier_positions(head.size))
        made, size, root = extend(
            head.size, frontier, (bytes.fromhex(digest) for _, digest in pending)
        )
        LogNode.objects.bulk_create(
            [LogNode(level=n.level, index=n.index, hash=n.hash.hex()) for n in made],
            batch_size=2000,
        )
        _number(pending, head.size)
        head.size, head.root, head.updated_at = size, root.hex(), clock.now()
        head.save()
        return _checkpoint(size, root)


def integrate_all() -> Checkpoint | None:
    """Integrate everything queued, batch after batch, and timestamp any checkpoint that has
    none yet; the last checkpoint made, if any."""
    stamp_missing()
    last = None
    while (made := integrate()) is not None:
        last = made
    return last


def _locked_head() -> LogHead:
    head = LogHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        head, _ = LogHead.objects.get_or_create(
            pk=1, defaults={"size": 0, "root": EMPTY_ROOT.hex(), "updated_at": clock.now()}
        )
        head = LogHead.objects.select_for_update().get(pk=1)
    return head


def _number(pending: list[tuple[int, str]], start: int) -> None:
    """Give the pending leaves (ids ascending) the indexes start, start + 1, ..."""
    first_id, last_id = pending[0][0], pending[-1][0]
    if last_id - first_id + 1 == len(pending):
        # Contiguous ids (the usual case): one statement.
        LogEntry.objects.filter(id__gte=first_id, id__lte=last_id).update(
            index=F("id") - first_id + start
        )
        return
    rows = [LogEntry(id=entry_id, index=start + i) for i, (entry_id, _) in enumerate(pending)]
    LogEntry.objects.bulk_update(rows, ["index"], batch_size=1000)


def _checkpoint(size: int, root: bytes) -> Checkpoint:
    text = CheckpointText(keys.origin(), size, root).text()
    note = sign_note(text, keys.signer_key())
    token, authority = _timestamp(note)
    return Checkpoint.objects.create(
        size=size,
        root=root.hex(),
        note=note,
        timestamp=token,
        timestamp_authority=authority,
        created_at=clock.now(),
    )


def _timestamp(note: str) -> tuple[bytes | None, str]:
    """A timestamp for a checkpoint; none while the authority cannot be reached, so that the
    log goes on (`stamp_missing` adds it later)."""
    try:
        return keys.timestamp(note.encode("utf-8"))
    except (httpx.HTTPError, TimestampError) as error:
        logger.warning("the timestamp authority did not answer (%s); will try again", error)
        return None, ""


def stamp_missing() -> int:
    """Timestamp the checkpoints made while the authority was away; how many got one."""
    stamped = 0
    for checkpoint in Checkpoint.objects.filter(timestamp__isnull=True).order_by("size"):
        token, authority = _timestamp(checkpoint.note)
        if token is None:
            break
        Checkpoint.objects.filter(pk=checkpoint.pk).update(
            timestamp=token, timestamp_authority=authority
        )
        stamped += 1
    return stamped


def nodes(positions: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    """The stored hashes of these complete subtrees, read in one query."""
    wanted = set(positions)
    if not wanted:
        return {}
    by_level: dict[int, list[int]] = {}
    for level, index in wanted:
        by_level.setdefault(level, []).append(index)
    query = Q()
    for level, indexes in by_level.items():
        query |= Q(level=level, index__in=indexes)
    found = {
        (level, index): bytes.fromhex(digest)
        for level, index, digest in LogNode.objects.filter(query).values_list(
            "level", "index", "hash"
        )
    }
    missing = wanted - found.keys()
    if missing:
        raise LookupError(f"the log has no node at {sorted(missing)[:3]}")
    return found


def latest_checkpoint() -> Checkpoint:
    """The newest checkpoint; on a log that never had one, the checkpoint of the empty log."""
    checkpoint = Checkpoint.objects.order_by("-size").first()
    if checkpoint is None:
        integrate()
        checkpoint = Checkpoint.objects.order_by("-size").first()
        assert checkpoint is not None
    return checkpoint


def receipt_for(ref: str, opening: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The receipt of the leaf ``ref``: integrated first if it is still queued. ``opening`` is
    the salted record behind the leaf's ``hash``: secret, so only for those who may hold it."""
    from netcourt.ledger.receipt import make_receipt
    from netcourt.transparency.proofs import inclusion_proof

    entry = LogEntry.objects.get(ref=ref)
    if entry.index is None:
        integrate_all()
        entry.refresh_from_db()
    else:
        stamp_missing()
    assert entry.index is not None
    checkpoint = latest_checkpoint()
    return make_receipt(
        kind=entry.kind,
        record=json.loads(entry.record),
        leaf_index=entry.index,
        tree_size=checkpoint.size,
        inclusion_proof=inclusion_proof(entry.index, checkpoint.size),
        checkpoint=checkpoint.note,
        verifier_key=keys.log_verifier_key(),
        timestamp=bytes(checkpoint.timestamp) if checkpoint.timestamp else None,
        opening=opening,
    )


def at_utc(moment: Any) -> str:
    """A time as a leaf record carries it: ISO 8601 in UTC."""
    return str(moment.astimezone(UTC).isoformat())


class Sequencer(threading.Thread):
    """Integrates queued leaves every ``NETCOURT_LOG_INTERVAL`` seconds in a server process."""

    def __init__(self) -> None:
        super().__init__(name="netcourt-log-sequencer", daemon=True)
        self._stop_event = threading.Event()

    def run(self) -> None:
        interval = float(settings.NETCOURT_LOG_INTERVAL)
        while not self._stop_event.wait(interval):
            try:
                if (
                    LogEntry.objects.filter(index__isnull=True).exists()
                    or Checkpoint.objects.filter(timestamp__isnull=True).exists()
                ):
                    integrate_all()
            except Exception:
                logger.exception("the log sequencer failed; it will try again")
            finally:
                close_old_connections()

    def stop(self) -> None:
        self._stop_event.set()
