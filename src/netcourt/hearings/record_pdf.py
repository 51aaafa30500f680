"""The records of a trial as bilingual PDFs: the clerk's hearing record (笔录) when it is
closed, and the record of an asynchronous trial when the judge concludes it.

Chinese and English stand on the same page, rendered by WeasyPrint with the Noto CJK fonts,
as the evidence list does (whose helpers this uses: each fixed text translated under both
languages, moments in the court's time zone, the bilingual page counter). What people wrote
(the record, objections, questions and answers) is theirs and is shown once, escaped.

`stored_pdf` keeps a PDF encrypted in the case's vault: the blob is written first, the caller
saves its row in the transaction of the step that files it, and the blob is removed again
when that step is refused. WeasyPrint needs Pango; without it a PDF is refused with
``receipt_unavailable`` (503), and so is the step that needs it.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from babel.dates import format_date
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.text import capfirst

from netcourt.cases.models import Case, Party, PartyRole
from netcourt.core import clock
from netcourt.core.money import babel_locale
from netcourt.core.problems import Problem
from netcourt.evidence.models import Blob
from netcourt.evidence.pdf import (
    LANGUAGES,
    VERIFY_COMMAND,
    Both,
    in_both,
    page_counter,
    round_in_both,
    when_in_both,
)
from netcourt.evidence.store import blob_context, blob_key, blob_store, case_keys
from netcourt.hearings.models import (
    Hearing,
    HearingRecord,
    Mode,
    Participant,
    RecordSignature,
    Role,
)
from netcourt.procedure import Basis
from netcourt.vault import store_encrypted

if TYPE_CHECKING:
    from netcourt.hearings.asynchronous import Thread, Written

MIME = "application/pdf"


def _pairs(make: Callable[[], dict[str, str]]) -> dict[str, Both]:
    """Every text ``make`` gives, in Chinese and in English."""
    texts = []
    for lang in LANGUAGES:
        with translation.override(lang):
            texts.append(make())
    zh, en = texts
    return {key: Both(zh[key], en[key]) for key in zh}


def _common_labels() -> dict[str, str]:
    """The texts both records share, in the active language."""
    return {
        "case_number": translation.gettext("Case number"),
        "case_title": translation.gettext("Title"),
        "zone": translation.gettext("Times are in the court's time zone (%(zone)s).")
        % {"zone": settings.TIME_ZONE},
        "ledger": translation.gettext(
            "The SHA-256 of this document is recorded in the court's public transparency log "
            "with the step that filed it; the case's docket shows that step, and its receipt "
            "can be checked offline with %(command)s."
        )
        % {"command": VERIFY_COMMAND},
    }


def _render(
    template: str, case: Case, labels: dict[str, Both], basis: Basis | None, **context: Any
) -> bytes:
    """``template`` (which extends hearings/record_pdf_base.html) as a PDF; ``basis`` is the
    legal basis of the step that files it, from the court's pack."""
    try:
        from weasyprint import HTML
    except OSError:  # Pango is missing on this machine
        raise Problem(
            "receipt_unavailable",
            translation.gettext("The record's PDF cannot be made on this server just now."),
            status=503,
        ) from None
    now = when_in_both(clock.now())
    generated = []
    for lang, moment in zip(LANGUAGES, (now.zh, now.en), strict=True):
        with translation.override(lang):
            generated.append(translation.gettext("Generated at %(time)s") % {"time": moment})
    html = render_to_string(
        template,
        {
            "case": case,
            "court": Both(*(case.court.name_in(lang) for lang in LANGUAGES)),
            "labels": {**_pairs(_common_labels), **labels},
            "generated": Both(*generated),
            "page_counter": page_counter(),
            "basis": Both(basis.article.zh, basis.article.en) if basis else None,
            **context,
        },
    )
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf


@contextmanager
def stored_pdf(case: Case, pdf: bytes, filename: str) -> Iterator[Blob]:
    """``pdf`` written encrypted under the case's key, and its `Blob` row, not yet saved:
    the caller saves it with the step that files the PDF, inside this block. When the block
    raises (the step was refused), the written blob is removed."""
    blob_id = uuid.uuid4()
    key = blob_key(case, blob_id)
    stored = store_encrypted(
        blob_store(), key, io.BytesIO(pdf), case_keys(case), blob_context(blob_id)
    )
    blob = Blob(
        id=blob_id,
        case=case,
        store_key=key,
        sha256=stored.sha256,
        size=stored.size,
        mime=MIME,
        filename=filename,
        stored_at=clock.now(),
    )
    try:
        yield blob
    except BaseException:
        blob_store().delete(key)
        raise


# --- the hearing record ------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """A line of the participants' list: a role, a name, how they attended."""

    role: Both
    name: str
    attended: Both | None = None


@dataclass(frozen=True)
class SignatureLine:
    """What one party did with the record: a signature (on which revision, with which
    decision), or nothing at all."""

    party: Party
    role: Both
    signature: RecordSignature | None
    decision: Both | None
    at: Both | None
    earlier: bool


def _record_labels() -> dict[str, str]:
    return {
        "heading": translation.gettext("Hearing record"),
        "hearing_time": translation.gettext("Hearing"),
        "mode": translation.gettext("Mode"),
        "public": translation.gettext("Public hearing"),
        "yes": translation.gettext("yes"),
        "no": translation.gettext("no"),
        "revision": translation.gettext("Revision"),
        "text_sha256": translation.gettext("SHA-256 of the text"),
        "closed": translation.gettext("Closed"),
        "participants": translation.gettext("Participants"),
        "record": translation.gettext("The record"),
        "empty": translation.gettext("Nothing was written."),
        "signatures": translation.gettext("Signatures of the parties"),
        "party": translation.gettext("Party"),
        "decision": translation.gettext("Decision"),
        "signed_at": translation.gettext("Signed"),
        "sha256": translation.gettext("SHA-256 of the text signed"),
        "objection": translation.gettext("Objection"),
        "did_not_sign": translation.gettext("Did not sign."),
        "earlier": translation.gettext("signed an earlier revision, not the final text"),
        "about": translation.gettext(
            "Each party signs electronically, after confirming who they are with a second "
            "factor; a party that did not sign is noted, as the law requires."
        ),
    }


def _role(role: str) -> Both:
    """A role in the hearing (the parties' roles share their names), capitalised."""
    return in_both(
        lambda: capfirst(Role(role).label if role in Role.values else PartyRole(role).label)
    )


def _attended(participant: Participant) -> Both:
    return in_both(lambda: Mode.ONLINE.label if participant.online else Mode.OFFLINE.label)


def _people(hearing: Hearing) -> list[Person]:
    """Who took part, by role: those who entered the hearing (not public viewers); for a
    hearing no one entered online, the judge and the parties."""
    order = {role: n for n, role in enumerate(Role.values)}
    present = sorted(
        hearing.participants.exclude(role=Role.VIEWER).select_related("party"),
        key=lambda p: (order.get(p.role, len(order)), p.pk),
    )
    if present:
        return [
            Person(
                _role(p.party.role if p.role == Role.PARTY and p.party else p.role),
                p.name,
                _attended(p),
            )
            for p in present
        ]
    case = hearing.case
    people = [Person(_role(Role.JUDGE), str(case.judge))] if case.judge else []
    people += [Person(_role(p.role), p.name) for p in case.people()]
    return people


def _decision(signature: RecordSignature) -> Both:
    return in_both(lambda: capfirst(signature.get_decision_display()))


def _signature_lines(
    case: Case, record: HearingRecord, signatures: Sequence[RecordSignature]
) -> list[SignatureLine]:
    """Each party's signatures in order, and a line for each party that signed nothing."""
    lines = []
    for party in case.people():
        role = in_both(party.get_role_display)
        own = [s for s in signatures if s.party_id == party.pk]
        if not own:
            lines.append(SignatureLine(party, role, None, None, None, False))
        latest = max((s.revision for s in own), default=record.revision)
        for signature in own:
            lines.append(
                SignatureLine(
                    party,
                    role,
                    signature,
                    _decision(signature),
                    when_in_both(signature.signed_at),
                    signature.revision == latest and latest < record.revision,
                )
            )
    return lines


def hearing_record_pdf(
    hearing: Hearing,
    record: HearingRecord,
    signatures: Sequence[RecordSignature],
    *,
    text_sha256: str,
    closed_at: datetime,
    basis: Basis | None,
) -> bytes:
    """The closed record of ``hearing`` with every party's signatures (or their absence)."""
    case = hearing.case
    return _render(
        "hearings/record_pdf.html",
        case,
        _pairs(_record_labels),
        basis,
        hearing=hearing,
        record=record,
        text_sha256=text_sha256,
        started=when_in_both(hearing.opened_at or hearing.starts_at),
        ended=when_in_both(hearing.ended_at) if hearing.ended_at else None,
        mode=in_both(hearing.get_mode_display),
        closed=when_in_both(closed_at),
        people=_people(hearing),
        signatures=_signature_lines(case, record, signatures),
    )


# --- the record of an asynchronous trial -------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One written contribution to the trial: who (role, name), when, what, and marks."""

    role: Both
    name: str
    at: Both
    text: str
    late: bool = False


def _asynchronous_labels() -> dict[str, str]:
    return {
        "heading": translation.gettext("Record of the asynchronous trial"),
        "track": translation.gettext("Procedure"),
        "ordered": translation.gettext("Asynchronous trial ordered"),
        "concluded": translation.gettext("Concluded"),
        "applications": translation.gettext("Applications"),
        "questions": translation.gettext("Questions of the court"),
        "answers": translation.gettext("Answers"),
        "due": translation.gettext("Answers due by"),
        "late": translation.gettext("answered late"),
        "no_answer": translation.gettext("No party answered."),
        "about": translation.gettext(
            "The judge and the parties took part at different times, each in writing online; "
            "these questions and answers are the record of the trial."
        ),
    }


def _day(day: date) -> Both:
    return Both(*(format_date(day, "long", locale=babel_locale(lang)) for lang in LANGUAGES))


def _entry(written: Written) -> Entry:
    """A step's contribution: the party it was made for (or the court), and who made it."""
    event = written.event
    party = event.on_behalf_of
    if party is not None:
        role = in_both(party.get_role_display)
        name = party.name
        if event.actor_id is not None and party.user_id != event.actor_id:
            name = f"{party.name} ({event.actor})"
    else:
        role = _role(Role.JUDGE)
        name = str(event.actor) if event.actor else ""
    return Entry(role, name, when_in_both(event.at), written.text, written.late)


def asynchronous_record_pdf(case: Case, thread: Thread, basis: Basis | None) -> bytes:
    """The questions and answers of ``thread``, in order, as the record of the trial."""
    track = case.court.pack.tracks.get(case.track)
    rounds = [
        {
            "label": round_in_both(r.number),
            "questions": _entry(r.questions),
            "due": _day(r.due) if r.due else None,
            "answers": [_entry(a) for a in r.answers],
        }
        for r in thread.rounds
    ]
    return _render(
        "hearings/asynchronous_pdf.html",
        case,
        _pairs(_asynchronous_labels),
        basis,
        track=Both(track.label.zh, track.label.en) if track else None,
        ordered=_entry(thread.ordered) if thread.ordered else None,
        applications=[_entry(a) for a in thread.applications],
        rounds=rounds,
        concluded=_entry(thread.ended) if thread.ended else None,
    )
