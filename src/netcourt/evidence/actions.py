"""Evidence use cases: receiving a file, submitting it as an item, giving opinions on items.

A file arrives as an *upload* (tus 1.0, or a browser form that is one upload in one piece),
kept encrypted in the staging area. Submitting it as an item checks the file (size, type by
content, active content, ClamAV), stores it encrypted in the blob store — written and flushed
before the row that points to it commits — and then, in one transaction, fires the pack's
``submit_evidence`` step, makes the item and queues its leaf in the transparency log.
A refused file leaves nothing behind: its staging copy and upload are removed.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import itertools
import logging
import re
import unicodedata
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ForeignObjectRel, ProtectedError
from django.utils import translation

from netcourt.accounts.mfa import StepUp
from netcourt.cases import actions as case_actions
from netcourt.cases import policy as case_policy
from netcourt.cases.models import Case, CaseEvent
from netcourt.core import clock, ratelimit
from netcourt.core import vault as core_vault
from netcourt.core.problems import Conflict, NotFound, Problem
from netcourt.core.text import clean_text
from netcourt.evidence import policy, scan
from netcourt.evidence.clamd import ClamdClient
from netcourt.evidence.models import (
    Blob,
    CaseDocument,
    EvidenceItem,
    Opinion,
    Upload,
    Verdict,
)
from netcourt.evidence.staging import StagingArea, StagingMissing
from netcourt.evidence.store import blob_context, blob_key, blob_store, case_keys
from netcourt.ledger import new_salt, record_hash
from netcourt.procedure import Event, EvidenceRules
from netcourt.transparency import actions as transparency
from netcourt.vault import VaultError, store_encrypted
from netcourt.vault.scratch import new_scratch_key

SUBMIT_EVENT = "submit_evidence"
EXAMINE_EVENT = "examine_evidence"
EVIDENCE_LEAF = "evidence"
UPLOAD_DAYS = 7
MAX_OPEN_UPLOADS = 10
UPLOADS_PER_HOUR = 60
# A staging file with no upload row is removed once it is this old (a new upload writes its
# staging file a moment before its row commits).
STAGING_GRACE = timedelta(hours=1)
# A stored file no row names is removed once it is this old: far longer than any write takes
# between storing a file and committing the row that names it.
ORPHAN_GRACE = timedelta(days=1)
# An unfinished blob write (a temporary file, an S3 multipart upload) is abandoned once it
# has been idle this long: longer than any hearing, since a recording of a quiet, audio-only
# participant may take hours to fill one 8 MiB part of its upload.
INCOMPLETE_GRACE = timedelta(hours=18)
ORPHAN_BATCH = 500
# The sweep removes orphans only when few: it runs daily, and crashed writes leave a handful;
# more than this many under one prefix look like the wrong database (an empty one, an older
# backup restored, another installation sharing the bucket), however large the store. An
# operator who has checked may raise it for one run (`netcourt sweep --orphan-limit N`).
ORPHAN_LIMIT = 100
MAX_TITLE = 200
MAX_SOURCE = 300
MAX_TEXT = 5000
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")
log = logging.getLogger(__name__)


def staging() -> StagingArea:
    return StagingArea(settings.DATA_DIR / "uploads")


def _rules(case: Case) -> Any:
    rules = case.court.pack.evidence
    if rules is None:
        raise Problem(
            "evidence_not_taken",
            translation.gettext("This court's procedure takes no evidence files."),
            status=409,
        )
    return rules


def clean_filename(filename: str) -> str:
    """A file name safe to keep and to offer back in a download; refused when empty.
    Invisible format characters (right-to-left overrides and the like, which can make
    ``invoice‮fdp.exe`` read as ``invoiceexe.pdf``) are removed."""
    visible = "".join(c for c in filename if unicodedata.category(c) != "Cf")
    name = _UNSAFE_NAME.sub("_", visible.strip())[:255]
    if not name or name in {".", ".."}:
        raise Problem(
            "file_name_invalid",
            translation.gettext("Give the file a name."),
            field="filename",
            status=422,
        )
    return name


def _key_context(upload_id: Any) -> str:
    return f"evidence.upload.key:{upload_id}"


def start_upload(user: Any, case_id: UUID | str, length: int, filename: str) -> Upload:
    """Open an upload of ``length`` bytes for a file to submit in the case."""
    case, name = _check_new_upload(user, case_id, length, filename)
    upload_id = uuid.uuid4()
    key = new_scratch_key()
    staging().create(str(upload_id))
    return _upload_row(user, case, upload_id, key, name, length, 0)


def adopt_staged(
    user: Any,
    case_id: UUID | str,
    upload_id: UUID,
    key: bytes,
    filename: str,
    size: int,
    *,
    counted: bool = False,
) -> Upload:
    """Record a file that was staged in one piece as a complete upload; ``counted`` when it
    was counted against the person's uploads before it was staged (a browser form's)."""
    try:
        case, name = _check_new_upload(user, case_id, size, filename, counted=counted)
    except Problem:
        staging().remove(str(upload_id))
        raise
    return _upload_row(user, case, upload_id, key, name, size, size)


def _upload_row(
    user: Any, case: Case, upload_id: UUID, key: bytes, name: str, length: int, offset: int
) -> Upload:
    now = clock.now()
    return Upload.objects.create(
        id=upload_id,
        case=case,
        user=user,
        length=length,
        offset=offset,
        filename=name,
        sealed_key=core_vault.seal_text(
            base64.b64encode(key).decode("ascii"), _key_context(upload_id)
        ),
        created_at=now,
        expires_at=now + timedelta(days=UPLOAD_DAYS),
    )


def _check_new_upload(
    user: Any, case_id: UUID | str, length: int, filename: str, *, counted: bool = False
) -> tuple[Case, str]:
    """Anyone with a role in the case may send a file while a step open to them takes one: a
    party its evidence or a document for a step, court staff a document for theirs; what the
    file may become is checked when it is submitted. A closed case takes none. The upload is
    counted against the person's (`count_upload`) unless it was ``counted`` already."""
    case = case_policy.get_case(user, case_id)
    steps = case_actions.open_steps(case, case_policy.case_roles(user, case))
    if not any(e.id == SUBMIT_EVENT or any(i.type == "document" for i in e.inputs) for e in steps):
        raise Conflict(
            "wrong_state",
            translation.gettext("Nothing in this case takes a file from you at this stage."),
        )
    rules = _rules(case)
    if length <= 0:
        raise Problem(
            "file_empty", translation.gettext("The file is empty."), field="file", status=422
        )
    if length > rules.max_bytes:
        raise too_large(rules.max_bytes)
    if not counted:
        count_upload(user)
    elif Upload.objects.filter(user=user).count() >= MAX_OPEN_UPLOADS:
        raise _too_many_uploads()
    return case, clean_filename(filename)


def count_upload(user: Any) -> None:
    """Count a file ``user`` starts sending (a resumable upload, or a form's file before a
    byte of it is staged). Each may hold up to the court's largest file on disk, so a person
    gets a few at a time: refused (429) with ``MAX_OPEN_UPLOADS`` open, or after
    ``UPLOADS_PER_HOUR`` this hour, so no one can fill the court's disk."""
    if Upload.objects.filter(user=user).count() >= MAX_OPEN_UPLOADS or not ratelimit.allow(
        "evidence-upload", str(user.pk), UPLOADS_PER_HOUR, 3600
    ):
        raise _too_many_uploads()


def _too_many_uploads() -> Problem:
    return Problem(
        "rate_limited",
        translation.gettext(
            "You have too many files on their way in. Finish or abandon some, or wait a "
            "while, then try again."
        ),
        status=429,
    )


def too_large(max_bytes: int) -> Problem:
    """The refusal of a file over the court's limit."""
    return Problem(
        "file_too_large",
        translation.gettext("The file is larger than the court takes (%(limit)s MB at most).")
        % {"limit": max_bytes // (1024 * 1024)},
        field="file",
        status=413,
        extra={"max_bytes": max_bytes},
    )


def get_upload(user: Any, upload_id: UUID | str) -> Upload:
    """The person's own upload, while it lasts and while they still hold a role in its case."""
    try:
        upload = Upload.objects.select_related("case", "case__court").get(id=upload_id, user=user)
    except (Upload.DoesNotExist, ValueError, ValidationError):
        raise NotFound() from None
    if upload.expires_at <= clock.now():
        raise NotFound()
    upload.case = case_policy.get_case(user, upload.case_id)
    return upload


def _upload_key(upload: Upload) -> bytes:
    return base64.b64decode(core_vault.open_text(upload.sealed_key, _key_context(upload.pk)))


def receive(user: Any, upload_id: UUID | str, offset: int, body: Any) -> Upload:
    """Add the bytes of ``body`` at ``offset`` (which must be where the upload stands)."""
    upload = get_upload(user, upload_id)
    try:
        with staging().locked(str(upload.pk)):
            # Two pieces at one offset (a client retrying while its first try still runs)
            # take turns: the second finds the offset moved and writes nothing.
            upload.refresh_from_db(fields=["offset"])
            return _receive_locked(upload, offset, body)
    except StagingMissing:
        raise NotFound() from None


def _receive_locked(upload: Upload, offset: int, body: Any) -> Upload:
    if offset != upload.offset:
        raise Conflict(
            "upload_offset_mismatch",
            translation.gettext("The upload stands at byte %(offset)s; send from there.")
            % {"offset": upload.offset},
            extra={"offset": upload.offset},
        )
    try:
        written = staging().append(
            str(upload.pk), _upload_key(upload), offset, body, upload.length - offset
        )
    except ValueError:
        raise Problem(
            "upload_too_long",
            translation.gettext("More bytes arrived than the upload's announced length."),
            status=413,
        ) from None
    moved = Upload.objects.filter(pk=upload.pk, offset=offset).update(offset=offset + written)
    if not moved:
        upload.refresh_from_db()
        raise Conflict(
            "upload_offset_mismatch",
            translation.gettext("The upload stands at byte %(offset)s; send from there.")
            % {"offset": upload.offset},
            extra={"offset": upload.offset},
        )
    upload.offset = offset + written
    return upload


def cancel_upload(user: Any, upload_id: UUID | str) -> None:
    upload = get_upload(user, upload_id)
    _discard(upload)


def discard_upload(user: Any, upload_id: UUID | str) -> None:
    """Remove what a refused form left of its file (upload, staged bytes, stored blob not yet
    claimed); nothing if it was taken or is gone."""
    upload = Upload.objects.filter(pk=upload_id, user=user).select_related("blob").first()
    if upload is None:
        staging().remove(str(upload_id))
        return
    blob = upload.blob
    _discard(upload)
    if blob is not None and not EvidenceItem.objects.filter(blob=blob).exists():
        if not CaseDocument.objects.filter(blob=blob).exists():
            Blob.objects.filter(pk=blob.pk).delete()
            blob_store().delete(blob.store_key)


def _discard(upload: Upload) -> None:
    Upload.objects.filter(pk=upload.pk).delete()
    staging().remove(str(upload.pk))


def accepted_types(case: Case) -> str:
    return accepted_types_for(_rules(case))


def accepted_types_for(rules: EvidenceRules) -> str:
    """The file types the court takes, as people know them: "PDF, JPG, PNG, …"."""
    return ", ".join(extensions[0].upper() for extensions in rules.types.values())


def scan_policy(case: Case) -> scan.ScanPolicy:
    return scan_policy_for(_rules(case))


def scan_policy_for(rules: EvidenceRules) -> scan.ScanPolicy:
    """The checks a file passes: the pack's evidence rules, and ClamAV when configured."""
    clamd = ClamdClient(settings.NETCOURT_CLAMD) if settings.NETCOURT_CLAMD else None
    return scan.ScanPolicy(max_bytes=rules.max_bytes, allowed_types=rules.types, clamd=clamd)


def named_for_content(filename: str, detail: Mapping[str, str]) -> str:
    """The name a file is kept and offered under: its own, with the extension of what it
    really contains added when the name claims something else (``receipt.html`` holding a
    PNG is kept as ``receipt.html.png``), so that opening it never runs it as the other type."""
    extension = detail.get("extension", "")
    if not extension or detail.get("extension_matches") == "true":
        return filename
    return f"{filename[: 254 - len(extension)]}.{extension}"


def refused_file(verdict: scan.Verdict, rules: EvidenceRules) -> Problem:
    """The refusal of a file the checks did not pass, in the person's language; what the
    checks found (the rule, the type, the signature) in ``check``, beside the problem's
    ``detail`` sentence. A scanner that cannot be reached is named, not its address or error
    (the court's own network is not the litigant's business)."""
    code = verdict.code or "type_not_allowed"
    found = dict(verdict.detail)
    if code == "scanner_unavailable":
        found = {"scanner": found.get("scanner", "")}
    return Problem(
        f"file_{code}",
        SCAN_MESSAGES.get(code, SCAN_MESSAGES["type_not_allowed"])(
            {**verdict.detail, "accepted": accepted_types_for(rules)}
        ),
        field="file",
        status=503 if code == "scanner_unavailable" else 422,
        extra={"check": found},
    )


SCAN_MESSAGES = {
    "empty": lambda d: translation.gettext("The file is empty."),
    "too_large": lambda d: translation.gettext("The file is larger than the court takes."),
    "type_not_allowed": lambda d: (
        # What the file was found to be (its MIME type) is in the problem's ``check``, for
        # software; a person is told what to do.
        translation.gettext(
            "The court does not take files of this type. It takes: %(types)s. Save or export "
            "the file as one of these (a document as PDF, a picture as JPG or PNG), then choose "
            "it again."
        )
        % {"types": d.get("accepted", "?")}
    ),
    "active_content": lambda d: (
        translation.gettext(
            "The file contains active content (%(rule)s), such as scripts, macros or programs. "
            "Save it without them (for example, print the document to a new PDF) and try again."
        )
        % {"rule": d.get("rule", "?")}
    ),
    "malware": lambda d: (
        translation.gettext(
            "The virus scanner found malicious software in the file (%(signature)s)."
        )
        % {"signature": d.get("signature", "?")}
    ),
    "scanner_unavailable": lambda d: translation.gettext(
        "The court's virus scanner cannot be reached just now; the file was not accepted. "
        "Try again later."
    ),
}


def prepare_upload(user: Any, case_id: UUID | str, upload_id: UUID | str) -> Upload:
    """Check a complete upload's file and store it as a blob, once; slow for a big file, so
    outside any transaction. A refused file is removed with its upload."""
    upload = get_upload(user, upload_id)
    if str(upload.case_id) != str(case_id):
        raise NotFound()
    if upload.offset != upload.length:
        raise Conflict(
            "upload_incomplete",
            translation.gettext(
                "The file has not arrived in full (%(offset)s of %(length)s bytes)."
            )
            % {"offset": upload.offset, "length": upload.length},
            extra={"offset": upload.offset, "length": upload.length},
        )
    if upload.blob_id is None:
        try:
            with staging().locked(str(upload.pk)):
                # Submits of one upload sent at once take turns: the first checks and stores
                # the file, the others find it stored (or, refused, gone with its upload).
                upload.refresh_from_db(fields=["blob"])
                if upload.blob_id is None:
                    upload.blob = _check_and_store(upload)
        except (StagingMissing, Upload.DoesNotExist):
            raise NotFound() from None
    return upload


def _check_and_store(upload: Upload) -> Blob:
    """Check the complete upload and store it as a blob (before any row points to it).

    One reading of the staged file feeds both: the checks run on its bytes in a thread of
    their own (`scan.StreamCheck`) while the store hashes, encrypts and writes them. The
    stored file counts only once the checks pass: a refused file's blob is deleted (or never
    finished, when the checks refuse it before it is all read), and a process that dies in
    between leaves a blob no row names, which `sweep_orphaned_files` removes a day later.
    ClamAV, when configured, reads the file again once the other checks have passed."""
    area, key, case = staging(), _upload_key(upload), upload.case
    policy, store = scan_policy(case), blob_store()
    blob_id = uuid.uuid4()
    store_key = blob_key(case, blob_id)

    def opener() -> Any:
        return area.open(str(upload.pk), key, upload.length)

    stored = None
    checking = scan.StreamCheck(size=upload.length, filename=upload.filename, policy=policy)
    with checking:
        try:
            with opener() as reader:
                stored = store_encrypted(
                    store,
                    store_key,
                    checking.reading(reader),
                    case_keys(case),
                    blob_context(blob_id),
                    max_bytes=upload.length,
                )
        except scan.ChecksEnded:
            pass  # refused (or failed) before the whole file was read: nothing was stored
        try:
            verdict = checking.end()
        except BaseException:
            if stored is not None:
                _forget_stored(store_key)
            raise
    if verdict.ok and policy.clamd is not None:
        try:
            verdict = scan.check_malware(opener, policy.clamd, verdict)
        except BaseException:
            _forget_stored(store_key)
            raise
    if not verdict.ok:
        if stored is not None:
            _forget_stored(store_key)
        if verdict.code != "scanner_unavailable":  # the court's fault: the upload stays
            _discard(upload)
        raise refused_file(verdict, _rules(case))
    assert stored is not None  # a file the checks passed was read to its end, so stored
    with transaction.atomic():
        blob = Blob.objects.create(
            id=blob_id,
            case=case,
            store_key=store_key,
            sha256=stored.sha256,
            size=stored.size,
            mime=verdict.mime,
            filename=named_for_content(upload.filename, verdict.detail),
            stored_at=clock.now(),
        )
        Upload.objects.filter(pk=upload.pk).update(blob=blob)
    return blob


def _forget_stored(store_key: str) -> None:
    """Delete a stored file no row will name; if the store fails now, the orphan sweep
    removes it later (it is under ``cases/`` and no `Blob` names it)."""
    try:
        blob_store().delete(store_key)
    except VaultError:
        log.warning("a stored file no row will name is left to the orphan sweep: %s", store_key)


def submission_texts(*, title: str, purpose: str, source: str) -> dict[str, str]:
    """An item's title, purpose and source as :func:`submit` keeps them; refused (422) when
    missing, too long or holding control characters. Cheap: check them before the file."""
    return {
        "title": clean_text(title, "title", MAX_TITLE, one_line=True),
        "purpose": clean_text(purpose, "purpose", MAX_TEXT),
        "source": clean_text(source, "source", MAX_SOURCE, one_line=True),
    }


def submit(
    user: Any,
    case_id: UUID | str,
    upload_id: UUID | str,
    *,
    title: str,
    purpose: str,
    source: str,
    platform: Any = None,
    provenance: dict[str, Any] | None = None,
) -> EvidenceItem:
    """Submit a completed upload as an evidence item of the user's side."""
    inputs = submission_texts(title=title, purpose=purpose, source=source)
    upload = prepare_upload(user, case_id, upload_id)
    blob = upload.blob
    assert blob is not None
    item_id = uuid.uuid4()
    with transaction.atomic():
        # One upload makes one item: a second submission of it (a retry racing the first)
        # finds it gone.
        if not Upload.objects.select_for_update().filter(pk=upload.pk, blob=blob).exists():
            raise NotFound()
        case = Case.objects.select_related("court").get(pk=upload.case_id)
        late = _late(case)
        event = case_actions.fire(
            user,
            case.pk,
            SUBMIT_EVENT,
            None,
            inputs,
            extra={"item": str(item_id), "sha256": blob.sha256, "size": blob.size, "late": late},
            any_version=True,
        )
        party = event.on_behalf_of
        assert party is not None
        number = EvidenceItem.objects.filter(party=party).count() + 1
        item = EvidenceItem.objects.create(
            id=item_id,
            case=case,
            party=party,
            submitted_by=user,
            event=event,
            blob=blob,
            round=case.event_ids().count("hold_hearing") + 1,
            number=number,
            title=inputs["title"],
            purpose=inputs["purpose"],
            source=inputs["source"],
            late=late,
            submitted_at=event.at,
            platform=platform,
            provenance=provenance or {},
            salt=new_salt(),
        )
        transparency.append(EVIDENCE_LEAF, item_leaf_ref(item), item_leaf(item))
        Upload.objects.filter(pk=upload.pk).delete()
        transaction.on_commit(lambda: staging().remove(str(upload.pk)))
    return item


def document_input(user: Any, case_id: UUID | str, upload_id: UUID | str) -> dict[str, Any]:
    """A complete upload checked and stored, described as a step's "document" input."""
    upload = prepare_upload(user, case_id, upload_id)
    blob = upload.blob
    assert blob is not None
    return {
        "blob": str(blob.pk),
        "sha256": blob.sha256,
        "filename": blob.filename,
        "size": blob.size,
        "mime": blob.mime,
    }


def attach_documents(record: CaseEvent, event: Event, inputs: Mapping[str, object]) -> None:
    """Keep the files a step took as documents of the case (called in the step's
    transaction); their uploads are done with once it commits."""
    for item in event.inputs:
        value = inputs.get(item.name)
        if item.type != "document" or not isinstance(value, Mapping):
            continue
        blob = Blob.objects.get(pk=value["blob"], case_id=record.case_id)
        CaseDocument.objects.create(
            case_id=record.case_id,
            event=record,
            input=item.name,
            party=record.on_behalf_of,
            submitted_by=record.actor,
            blob=blob,
        )
        uploads = list(Upload.objects.filter(blob=blob).values_list("pk", flat=True))
        Upload.objects.filter(pk__in=uploads).delete()
        transaction.on_commit(functools.partial(_remove_staged, tuple(uploads)))


def _remove_staged(upload_ids: tuple[Any, ...]) -> None:
    area = staging()
    for upload_id in upload_ids:
        area.remove(str(upload_id))


def _late(case: Case) -> bool:
    rules = _rules(case)
    return case.deadlines.filter(time_limit=rules.period, due__lt=clock.today()).exists()


def item_leaf_ref(item: EvidenceItem) -> str:
    return f"evidence:{item.pk}"


def item_record(item: EvidenceItem) -> dict[str, Any] | None:
    """The salted record whose hash the item's leaf publishes: the file's SHA-256 and size
    with the item's secret salt, so that no one holding a copy of a file can learn from the
    log that it was filed, or where. None for an item logged before salts."""
    if not item.salt:
        return None
    return {
        "case": str(item.case_id),
        "item": str(item.pk),
        "sha256": item.blob.sha256,
        "size": item.blob.size,
        "salt": item.salt,
    }


def item_leaf(item: EvidenceItem) -> dict[str, Any]:
    """The item's record in the public log: identifiers and the hash of its salted record,
    nothing personal. An item logged before salts has the file's own SHA-256 and size."""
    leaf: dict[str, Any] = {
        "case": str(item.case_id),
        "item": str(item.pk),
        "at": transparency.at_utc(item.submitted_at),
    }
    record = item_record(item)
    if record is None:
        leaf.update(sha256=item.blob.sha256, size=item.blob.size)
    else:
        leaf["hash"] = record_hash(record)
    return leaf


def item_receipt(item: EvidenceItem) -> dict[str, Any]:
    """The item's receipt, with its salted record: for those who may see the item only."""
    return transparency.receipt_for(item_leaf_ref(item), opening=item_record(item))


def _verdict(value: str, field: str) -> str:
    if value not in Verdict.values:
        raise Problem(
            "input_invalid",
            translation.gettext("Choose one of the answers offered."),
            field=field,
            status=422,
        )
    return value


def examine(
    user: Any,
    case_id: UUID | str,
    item_id: UUID | str,
    *,
    authenticity: str = "",
    legality: str = "",
    relevance: str = "",
    comment: str = "",
    reply_to: UUID | str | None = None,
    step_up: StepUp | None = None,
) -> Opinion:
    """Give the user's side's opinion on another side's item, or reply to an opinion. The
    exchange is a sensitive step when the pack says so: ``step_up`` is the person's last
    second factor."""
    item = policy.get_item(user, case_id, item_id)
    comment = clean_text(comment, "comment", MAX_TEXT, required=reply_to is not None)
    parent = None
    if reply_to is not None:
        try:
            parent = Opinion.objects.filter(pk=reply_to, item=item).first()
        except (ValueError, ValidationError):
            parent = None
        if parent is None:
            raise NotFound()
        # A thread is between the item's side and the side that gave the opinion: each
        # answers the other, and no third party joins it.
        root = parent
        while root.reply_to_id is not None:
            root = Opinion.objects.get(pk=root.reply_to_id)
        may_answer = {item.party_id, root.party_id} - {parent.party_id}
        party = next(
            (
                p
                for p in item.case.people()
                if p.pk in case_policy.own_parties(user, item.case) and p.pk in may_answer
            ),
            None,
        )
        verdicts = {"authenticity": "", "legality": "", "relevance": ""}
    else:
        party = policy.may_examine(user, item)
        verdicts = {
            "authenticity": _verdict(authenticity, "authenticity"),
            "legality": _verdict(legality, "legality"),
            "relevance": _verdict(relevance, "relevance"),
        }
    if party is None:
        raise Problem(
            "role_not_allowed",
            translation.gettext(
                "Opinions are given by the other parties on an item, and replies by the side "
                "an opinion answers."
            ),
            status=403,
        )
    opinion_id = uuid.uuid4()
    with transaction.atomic():
        event = case_actions.fire(
            user,
            item.case_id,
            EXAMINE_EVENT,
            None,
            {},
            extra={
                "item": str(item.pk),
                "opinion": str(opinion_id),
                "reply_to": str(parent.pk) if parent else None,
                **verdicts,
                "comment": comment,
            },
            any_version=True,
            step_up=step_up,
        )
        # Checked under the case's lock, which the step holds: two at once give one.
        if parent is None and item.opinions.filter(party=party, reply_to__isnull=True).exists():
            raise Conflict(
                "opinion_given",
                translation.gettext(
                    "Your side has given its opinion on this item; answer in its thread."
                ),
            )
        return Opinion.objects.create(
            id=opinion_id,
            item=item,
            party=party,
            author=user,
            event=event,
            reply_to=parent,
            comment=comment,
            at=event.at,
            **verdicts,
        )


def sweep_uploads() -> int:
    """Remove expired uploads, staging files no upload points to, stored files no row points
    to (an item, a document, an upload, a recording...), and what interrupted blob writes
    left; how many uploads and files went."""
    now = clock.now()
    expired = list(Upload.objects.filter(expires_at__lte=now).values_list("pk", flat=True))
    Upload.objects.filter(pk__in=expired).delete()
    store = blob_store()
    unclaimed = _unclaimed(Blob)
    for blob_id, store_key in list(unclaimed.values_list("pk", "store_key")):
        try:
            with transaction.atomic():
                # Checked again under the blob's lock: a submission may have claimed it.
                locked = Blob.objects.select_for_update().filter(pk=blob_id)
                if not locked.exists() or not unclaimed.filter(pk=blob_id).exists():
                    continue
                locked.delete()
        except ProtectedError:
            continue
        store.delete(store_key)  # only once no row points to it any more
    store.sweep_incomplete(INCOMPLETE_GRACE, now)
    live = {str(pk) for pk in Upload.objects.values_list("pk", flat=True)}
    gone = 0
    area = staging()
    for name in area.names():
        if name not in live and area.modified(name) < now - STAGING_GRACE:
            area.remove(name)
            gone += 1
    return gone


def _unclaimed(model: Any) -> Any:
    """Rows of `model` (`Blob`, `HeldDocument`) that no row of any model points to: every
    relation to it is asked, hidden ones (recordings, records) included, so a model added
    later counts too."""
    unclaimed = model._default_manager.all()
    for relation in model._meta.get_fields(include_hidden=True):
        if isinstance(relation, ForeignObjectRel):
            field = relation.field.name
            claimed = relation.field.model._default_manager.filter(
                **{f"{field}__isnull": False}
            ).values(field)
            unclaimed = unclaimed.exclude(pk__in=claimed)
    return unclaimed


def sweep_orphaned_files(now: datetime | None = None, limit: int = ORPHAN_LIMIT) -> int:
    """Remove what a process left that stored a file and died (or failed) before the rows
    that would claim it committed, once `ORPHAN_GRACE` has passed: stored files no row names,
    and documents held for a request or a membership that never came. Only the store's own
    kinds of key are looked at (evidence and recordings under ``cases/``, held documents under
    ``documents/``), so a bucket shared with anything else keeps it; and nothing under a prefix
    with more than ``limit`` orphans, too many to be crashed writes: the database is then not
    the one these files belong to. How many files went."""
    from netcourt.accounts.models import HeldDocument

    cutoff = (now or clock.now()) - ORPHAN_GRACE
    store = blob_store()
    gone = 0
    for document_id in list(
        _unclaimed(HeldDocument).filter(stored_at__lt=cutoff).values_list("pk", flat=True)
    ):
        with contextlib.suppress(ProtectedError, IntegrityError), transaction.atomic():
            HeldDocument.objects.filter(pk=document_id).delete()  # unless claimed meanwhile
    for prefix, model in (("cases/", Blob), ("documents/", HeldDocument)):
        seen, orphans = 0, []
        candidates = store.written_before(cutoff, prefix)
        while batch := list(itertools.islice(candidates, ORPHAN_BATCH)):
            seen += len(batch)
            named = set(
                model._default_manager.filter(store_key__in=batch).values_list(
                    "store_key", flat=True
                )
            )
            orphans += [key for key in batch if key not in named]
        if len(orphans) > limit:
            log.error(
                "orphan sweep refused: %d of %d stored files under %s have no record (more "
                "than %d); is this the court's own database? Nothing was removed. Once "
                "checked: netcourt sweep --orphan-limit N",
                len(orphans),
                seen,
                prefix,
                limit,
            )
            continue
        for key in orphans:
            store.delete(key)
            gone += 1
    if gone:
        log.warning("orphaned stored files removed: %d", gone)
    return gone
