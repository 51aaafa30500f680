"""Recordings in the case's vault: encrypted as they are written, logged when they end.

`VaultSink` is what the media engine writes one participant's WebM into: it hashes the
plaintext and encrypts it chunk by chunk (`netcourt.vault.EncryptingWriter`) into the blob
store under the case's key, touching no database (it runs on the event loop). `store` then
writes the rows — blob first, rows after — and the system's ``store_recording`` step, whose
payload carries the recording's SHA-256 into the transparency log.
"""

from __future__ import annotations

import hashlib
import uuid
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from django.db import transaction

from netcourt.cases import actions as case_actions
from netcourt.core import clock
from netcourt.evidence.models import Blob
from netcourt.evidence.store import blob_context, blob_key, blob_store
from netcourt.hearings.models import Participant, Recording, RecordingStatus
from netcourt.vault import EncryptingWriter, KeySet, Writer

MIME = "video/webm"


class VaultSink:
    """A byte sink for one recording: hashed, encrypted and written as it comes."""

    def __init__(self, case: Any, keys: KeySet) -> None:
        self.blob_id = uuid.uuid4()
        self.key = blob_key(case, self.blob_id)
        self._target: AbstractContextManager[Writer] = blob_store().writer(self.key)
        out = self._target.__enter__()
        self._encrypted = EncryptingWriter(keys, out, blob_context(self.blob_id))
        self._digest = hashlib.sha256()
        self.size = 0
        self.started_at = clock.now()
        self.done = False

    def write(self, data: bytes, /) -> int:
        self._encrypted.write(data)
        self._digest.update(data)
        self.size += len(data)
        return len(data)

    @property
    def sha256(self) -> str:
        return self._digest.hexdigest()

    def finish(self) -> None:
        """The last chunk written and the blob in place (visible only now)."""
        if not self.done:
            self._encrypted.close()
            self._target.__exit__(None, None, None)
            self.done = True

    def discard(self) -> None:
        """Nothing of the recording is kept (a store that could not finish it)."""
        if not self.done:
            error = RuntimeError("recording discarded")
            self._target.__exit__(type(error), error, None)
            self.done = True


def store(
    participant: Participant,
    sink: VaultSink,
    *,
    started_at: datetime | None = None,
    ended_at: datetime,
    video_frames: int,
    audio_frames: int,
    error: str = "",
) -> Recording:
    """Write the rows for a finished (or failed) recording and log its hash in the case;
    ``started_at`` is when its media begins (a later part of a recording), else when its sink
    was made."""
    hearing = participant.hearing
    case = hearing.case
    failed = bool(error) or sink.size == 0
    if failed:
        sink.discard()
    else:
        sink.finish()
    with transaction.atomic():
        blob = None
        if not failed:
            blob = Blob.objects.create(
                id=sink.blob_id,
                case=case,
                store_key=sink.key,
                sha256=sink.sha256,
                size=sink.size,
                mime=MIME,
                filename=f"hearing-{hearing.pk}-{participant.pk}-{sink.blob_id}.webm",
                stored_at=clock.now(),
            )
        row = Recording.objects.create(
            hearing=hearing,
            participant=participant,
            blob=blob,
            status=RecordingStatus.FAILED if failed else RecordingStatus.STORED,
            error=(error or ("" if sink.size else "nothing was recorded"))[:300],
            started_at=started_at or sink.started_at,
            ended_at=ended_at,
            video_frames=video_frames,
            audio_frames=audio_frames,
        )
        if blob is not None:
            row.event = case_actions.system_step(
                case.pk,
                "store_recording",
                {
                    "recording": {
                        "id": str(row.pk),
                        "hearing": str(hearing.pk),
                        "role": participant.role,
                        "sha256": blob.sha256,
                        "size": blob.size,
                        "started_at": row.started_at.isoformat(),
                        "ended_at": ended_at.isoformat(),
                    }
                },
                quiet=True,
            )
            row.save(update_fields=["event"])
    return row
