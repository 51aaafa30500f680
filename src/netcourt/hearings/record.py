"""The record of a hearing (笔录): written by the clerk, read and signed by each party, closed
and filed as a PDF (Civil Procedure Law (2023) Art. 150).

The clerk (or the judge) writes the record live during the hearing and corrects it after:
`update_text` takes the revision the writer started from and refuses a stale one, so two
writers never overwrite each other unseen. Once the hearing has ended, each party confirms
the record or objects to it and signs electronically (`sign`: the pack's
``sign_hearing_record``, a step taken with a fresh second factor whose payload carries the
SHA-256 of the exact text signed). A correction after signatures makes a new revision: the
earlier signatures stay, for the text they were given on, and the parties sign again. The
clerk then closes the record (`close`: ``close_hearing_record``): a bilingual PDF with every
party's signatures — or that it did not sign — is stored encrypted in the case's vault and its
SHA-256 goes into the transparency log with the step; after that the record never changes.

The checks that decide (revision, hash, one signature per party and revision, nothing after
closing) run again in the steps' effects, under the case's lock, so a race cannot get past
them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from netcourt.accounts.mfa import StepUp
from netcourt.cases import actions as case_actions
from netcourt.cases import policy
from netcourt.cases.models import Case, CaseEvent, Party
from netcourt.core import clock
from netcourt.core.problems import NotFound, Problem
from netcourt.core.text import clean_text, refuse_control_characters
from netcourt.evidence.models import Blob
from netcourt.hearings.models import (
    Decision,
    Hearing,
    HearingRecord,
    HearingStatus,
    RecordSignature,
)
from netcourt.hearings.record_pdf import hearing_record_pdf, stored_pdf
from netcourt.ledger import sha256_hex
from netcourt.procedure import Pack

HOLD_EVENT = "hold_hearing"
SIGN_EVENT = "sign_hearing_record"
CLOSE_EVENT = "close_hearing_record"
MAX_TEXT = 200_000
MAX_OBJECTION = 20_000
# Who writes the record; who may read the closed PDF (the court and the parties' sides).
WRITER_ROLES = frozenset({"judge", "clerk"})
CLOSER_ROLE = "clerk"
READER_ROLES = frozenset({"judge", "clerk", *policy.PARTY_ROLES})


def text_sha256(text: str) -> str:
    """The SHA-256 of the record's text as UTF-8: what a party's signature covers."""
    return sha256_hex(text.encode("utf-8"))


def roles_in(user: Any, hearing: Hearing) -> set[str]:
    """``user``'s roles in the hearing's case; 404 when none (the record of a case one has no
    part in does not exist for them)."""
    roles = policy.case_roles(user, hearing.case)
    if not roles:
        raise NotFound()
    return roles


def record_of(hearing: Hearing) -> HearingRecord | None:
    return HearingRecord.objects.filter(hearing=hearing).select_related("updated_by").first()


def _stale(current: int) -> Problem:
    return Problem(
        "record_stale",
        gettext(
            "The record changed since you opened it (it is now at revision %(revision)s). "
            "Read the current text and try again."
        )
        % {"revision": current},
        status=409,
        extra={"current_revision": current},
    )


def _closed() -> Problem:
    return Problem("record_closed", status=409)


def _clean_record_text(text: str) -> str:
    """The text as written (never stripped: the clerk may be mid-line), with line endings
    made one kind, within the limit and free of control characters."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    if len(text) > MAX_TEXT:
        raise Problem(
            "input_invalid",
            gettext("At most %(limit)s characters.") % {"limit": MAX_TEXT},
            field="text",
            status=422,
        )
    refuse_control_characters(text, "text")
    return text


def update_text(hearing: Hearing, user: Any, text: str, revision: int) -> HearingRecord:
    """Save ``text`` as the record of ``hearing``, written by its clerk or judge from
    ``revision``. A stale revision is refused (``record_stale``, the text left as it was),
    and so is any change once the record is closed. Saving the same text again changes
    nothing; a change makes the next revision."""
    roles = roles_in(user, hearing)
    if not roles & WRITER_ROLES:
        raise Problem(
            "role_not_allowed",
            gettext("The clerk writes the record of the hearing, or the judge."),
            status=403,
        )
    if hearing.status == HearingStatus.CANCELLED:
        raise Problem(
            "record_closed", gettext("The hearing was cancelled: it has no record."), status=409
        )
    events = hearing.case.court.pack.events
    text = _clean_record_text(text)
    with transaction.atomic():
        # The case locked first (as a step locks it), so that its state cannot change
        # between this check and the save: a step that closes the case waits, or comes first.
        state = (
            Case.objects.select_for_update().values_list("state", flat=True).get(pk=hearing.case_id)
        )
        if state not in {*events[HOLD_EVENT].from_states, *events[CLOSE_EVENT].from_states}:
            # Neither before the hearing is held nor while the record can still be signed and
            # closed (the case is final, on appeal, withdrawn): what the record says stands.
            raise _closed()
        HearingRecord.objects.get_or_create(hearing=hearing)
        row = HearingRecord.objects.select_for_update().get(hearing=hearing)
        if row.closed_at is not None:
            raise _closed()
        if revision != row.revision:
            raise _stale(row.revision)
        if text == row.text:
            return row
        row.text = text
        row.revision += 1
        row.updated_at = clock.now()
        row.updated_by = user
        row.save(update_fields=["text", "revision", "updated_at", "updated_by"])
    return row


def ready(hearing: Hearing, row: HearingRecord | None) -> bool:
    """Whether there is a record to sign and to close: the hearing has ended and something
    was written."""
    return hearing.status == HearingStatus.ENDED and row is not None and bool(row.text.strip())


def _ready(hearing: Hearing, row: HearingRecord | None) -> HearingRecord:
    """The record, open and `ready`; refused otherwise."""
    if row is not None and row.closed_at is not None:
        raise _closed()
    if row is None or not ready(hearing, row):
        raise Problem(
            "record_not_ready",
            gettext(
                "The record is signed and closed once the hearing has ended and the record "
                "is written."
            ),
            status=409,
        )
    return row


def signable_parties(user: Any, hearing: Hearing, row: HearingRecord | None) -> list[Party]:
    """The parties ``user`` may sign the current revision for: their own side's, those that
    have not signed it yet."""
    if row is None:
        return []
    mine = policy.own_parties(user, hearing.case)
    signed = set(row.signatures.filter(revision=row.revision).values_list("party_id", flat=True))
    return [p for p in hearing.case.people() if p.pk in mine and p.pk not in signed]


def sign(
    user: Any,
    hearing: Hearing,
    party_id: int,
    decision: str,
    objection: str,
    revision: int,
    step_up: StepUp | None,
) -> RecordSignature:
    """Sign revision ``revision`` of the record for the party ``party_id`` (the person's own,
    the organisation they act for, or the party they represent): confirm it, or object to it
    with the objection written out. The step needs a fresh second factor (``step_up``)."""
    case = hearing.case
    roles_in(user, hearing)
    if party_id not in policy.own_parties(user, case):
        raise Problem(
            "role_not_allowed",
            gettext("You sign the record only for your own side."),
            status=403,
        )
    if decision not in Decision.values:
        raise Problem("input_invalid", field="decision", status=422)
    objection = (
        clean_text(objection, "objection", MAX_OBJECTION) if decision == Decision.OBJECT else ""
    )
    row = _ready(hearing, record_of(hearing))
    if revision != row.revision:
        raise _stale(row.revision)
    details: dict[str, Any] = {
        "hearing": str(hearing.pk),
        "revision": row.revision,
        "sha256": text_sha256(row.text),
        "decision": decision,
        "party": party_id,
    }
    if objection:
        # Binds the objection, which stays in the signature's row, to the signed step.
        details["objection_sha256"] = sha256_hex(objection.encode("utf-8"))
    with transaction.atomic():
        event = case_actions.fire(
            user,
            case.pk,
            SIGN_EVENT,
            None,
            {},
            step_up=step_up,
            extra={"record": details},
            any_version=True,
        )
        signature = RecordSignature.objects.get(event=event)
        if objection:
            signature.objection = objection
            signature.save(update_fields=["objection"])
    return signature


def _locked_record(case: Case, hearing_id: str) -> HearingRecord:
    row = (
        HearingRecord.objects.select_for_update()
        .select_related("hearing")
        .filter(hearing_id=hearing_id, hearing__case=case)
        .first()
    )
    if row is None:
        raise NotFound()
    return row


def signature_effect(case: Case, pack: Pack, record: CaseEvent) -> None:
    """``sign_hearing_record`` (effect ``record_signature``): the party's signature, if the
    text signed is still the record's and the party has not signed this revision yet."""
    details: dict[str, Any] = record.payload["record"]
    row = _locked_record(case, details["hearing"])
    if row.closed_at is not None:
        raise _closed()
    if row.revision != details["revision"] or text_sha256(row.text) != details["sha256"]:
        raise _stale(row.revision)
    party_id = details["party"]
    if record.actor is None or party_id not in policy.own_parties(record.actor, case):
        raise Problem("role_not_allowed", status=403)
    if row.signatures.filter(party_id=party_id, revision=row.revision).exists():
        raise Problem(
            "limit_reached",
            gettext("This side has signed this revision of the record already."),
            status=409,
        )
    RecordSignature.objects.create(
        record=row,
        party_id=party_id,
        user=record.actor,
        revision=row.revision,
        sha256=details["sha256"],
        decision=details["decision"],
        event=record,
        signed_at=record.at,
    )


def signature_summary(signatures: Iterable[RecordSignature]) -> list[dict[str, Any]]:
    """The signatures of the record as the closing step's payload lists them: no names, no
    objections, just each party's role, decision and the revision signed."""
    return [
        {"party_role": s.party.role, "decision": s.decision, "revision": s.revision}
        for s in signatures
    ]


def close(user: Any, hearing: Hearing) -> CaseEvent:
    """Close the record of the ended ``hearing`` (its clerk): the PDF of the record with the
    parties' signatures, stored encrypted before the step that files it; its SHA-256 is in
    the step's payload, so in the transparency log. The record cannot change after."""
    case = hearing.case
    if CLOSER_ROLE not in roles_in(user, hearing):
        raise Problem(
            "role_not_allowed", gettext("The clerk closes the record of the hearing."), status=403
        )
    row = _ready(hearing, record_of(hearing))
    signatures = list(row.signatures.select_related("party", "user"))
    pdf = hearing_record_pdf(
        hearing,
        row,
        signatures,
        text_sha256=text_sha256(row.text),
        closed_at=clock.now(),
        basis=case.court.pack.events[CLOSE_EVENT].basis,
    )
    with stored_pdf(case, pdf, f"hearing-record-{hearing.pk}.pdf") as blob, transaction.atomic():
        blob.save(force_insert=True)
        return case_actions.fire(
            user,
            case.pk,
            CLOSE_EVENT,
            None,
            {},
            extra={
                "record": {
                    "hearing": str(hearing.pk),
                    "revision": row.revision,
                    "sha256": blob.sha256,
                    "blob": str(blob.pk),
                    "signatures": signature_summary(signatures),
                }
            },
            any_version=True,
        )


def closed_effect(case: Case, pack: Pack, record: CaseEvent) -> None:
    """``close_hearing_record`` (effect ``record_closed``): the record is closed with its PDF,
    if neither its text nor its signatures changed while the PDF was being made."""
    details: dict[str, Any] = record.payload["record"]
    row = _locked_record(case, details["hearing"])
    if row.closed_at is not None:
        raise _closed()
    signed = signature_summary(row.signatures.select_related("party"))
    if row.revision != details["revision"] or signed != details["signatures"]:
        raise _stale(row.revision)
    blob = Blob.objects.filter(pk=details["blob"], case=case, sha256=details["sha256"]).first()
    if blob is None:
        raise NotFound()
    row.blob = blob
    row.closed_at = record.at
    row.event = record
    row.save(update_fields=["blob", "closed_at", "event"])
