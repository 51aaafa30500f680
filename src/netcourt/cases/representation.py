"""Who acts for a party, beyond the party itself: requests to represent a party decided by the
court's clerks, and linking a party to the organisation it is.

**A request to represent a party.** A lawyer or other agent who is not in a case asks to
represent one of its parties: the case number, the party's role (and name), who they are
(lawyer with licence number and firm, or other agent) and the power of attorney the party
signed (CPL Art. 62), which the court checks and keeps encrypted outside the case
(``netcourt.accounts.models.HeldDocument``). The requester is told the same whether or not the
number names a case, so the form cannot be used to find out which cases exist; a request that
names none reaches no one.

A clerk of the court that holds the case reads the document and either refuses, with reasons,
or approves. Approving takes the pack's ``register_representative`` step as the clerk: the
power of attorney goes into the case as the clerk's own upload, made here from the request's
stored file (never from anything a client names), and the step's effect (``_appoint_representative``
in ``netcourt.cases.actions``) makes the representative exactly as a party's own appointment
does, marks the request approved and records the document as the party's. The requester is
told by e-mail either way; the parties through the step's notice.

**Linking a party to its organisation.** A clerk links a party that is a legal person or other
organisation to the organisation registered under a unified social credit code (the pack's
``link_organisation`` step, CPL Art. 51); the organisation's approved members then hold that
party's role.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import translation

from netcourt.accounts import organisations
from netcourt.accounts.models import HeldDocument
from netcourt.cases import policy
from netcourt.cases.models import (
    Case,
    CaseEvent,
    Party,
    PartyKind,
    PartyRole,
    RepresentationRequest,
    RepresentativeKind,
    RequestStatus,
)
from netcourt.core import clock, ratelimit
from netcourt.core.problems import Conflict, NotFound, Problem
from netcourt.core.text import clean_text, comparable_name
from netcourt.courts.models import Court
from netcourt.procedure import Pack

REGISTER_EVENT = "register_representative"
DOCUMENT_INPUT = "power_of_attorney"
MAX_NUMBER = 80
MAX_NAME = 200
MAX_REASONS = 5000
# Requests a person may have waiting at once, and may send in an hour.
MAX_WAITING = 20
PER_HOUR = 10
LAWYER_LICENCE = re.compile(r"\d{17}")


# --- the requester's side ------------------------------------------------------------------


@dataclass(frozen=True)
class RequestData:
    case_number: str
    role: str
    kind: str
    party_name: str = ""
    licence_number: str = ""
    firm: str = ""


def _choice(value: str, allowed: list[str], field: str) -> str:
    if value not in allowed:
        raise Problem(
            "input_invalid",
            translation.gettext("Choose one of the answers offered."),
            field=field,
            status=422,
        )
    return value


def normalise_number(number: str) -> str:
    """A case number as typed, the way the court writes it: full-width brackets and digits
    become ASCII (NFKC), and spaces go."""
    return "".join(unicodedata.normalize("NFKC", number).split())


def check_request(user: Any, data: RequestData) -> RequestData:
    """Everything about a request that can be checked before its file is."""
    organisations.require_checked_identity(user)
    cleaned = RequestData(
        case_number=normalise_number(
            clean_text(data.case_number, "case_number", MAX_NUMBER, one_line=True)
        ),
        role=_choice(data.role, list(PartyRole.values), "role"),
        kind=_choice(data.kind, list(RepresentativeKind.values), "kind"),
        party_name=clean_text(
            data.party_name, "party_name", MAX_NAME, required=False, one_line=True
        ),
        licence_number=clean_text(
            data.licence_number, "licence_number", 40, required=False, one_line=True
        ),
        firm=clean_text(data.firm, "firm", MAX_NAME, required=False, one_line=True),
    )
    if cleaned.kind == RepresentativeKind.LAWYER and not LAWYER_LICENCE.fullmatch(
        cleaned.licence_number
    ):
        raise Problem(
            "input_invalid",
            translation.gettext("A lawyer's licence number has 17 digits."),
            field="licence_number",
            status=422,
        )
    waiting = RepresentationRequest.objects.filter(
        requester=user, status=RequestStatus.PENDING
    ).count()
    if waiting >= MAX_WAITING or not ratelimit.allow(
        "representation-request", str(user.pk), PER_HOUR, 3600
    ):
        raise Problem("rate_limited", status=429)
    return cleaned


def _case_numbered(number: str) -> Case | None:
    """The docketed case with this number, when exactly one court has one."""
    found = list(Case.objects.filter(number=number, accepted_at__isnull=False)[:2])
    return found[0] if len(found) == 1 else None


def ask(
    user: Any, data: RequestData, incoming: organisations.Incoming | None = None
) -> RepresentationRequest:
    """Ask to represent a party, with the power of attorney now (a form) or later
    (:func:`attach_document`, the API). The answer is the same whether or not the number names
    a case."""
    try:
        cleaned = check_request(user, data)
    except Problem:
        if incoming is not None:
            incoming.discard()
        raise
    document = (
        organisations.store_document(user, HeldDocument.Purpose.POWER_OF_ATTORNEY, incoming)
        if incoming is not None
        else None
    )
    return RepresentationRequest.objects.create(
        requester=user,
        case=_case_numbered(cleaned.case_number),
        case_number=cleaned.case_number,
        role=cleaned.role,
        party_name=cleaned.party_name,
        kind=cleaned.kind,
        licence_number=cleaned.licence_number if cleaned.kind == RepresentativeKind.LAWYER else "",
        firm=cleaned.firm,
        document=document,
        created_at=clock.now(),
    )


def own_requests(user: Any) -> QuerySet[RepresentationRequest]:
    return RepresentationRequest.objects.filter(requester=user).select_related("document")


def get_own(user: Any, request_id: UUID | str) -> RepresentationRequest:
    try:
        return own_requests(user).get(pk=request_id)
    except (RepresentationRequest.DoesNotExist, ValueError, TypeError, ValidationError):
        raise NotFound() from None


def attach_document(
    user: Any, request_id: UUID | str, incoming: organisations.Incoming
) -> RepresentationRequest:
    """Send the power of attorney of a request that has none yet."""
    try:
        request = get_own(user, request_id)
        if request.status != RequestStatus.PENDING or request.document_id is not None:
            raise Conflict(
                "document_already_sent",
                translation.gettext(
                    "This request has its document already, or was decided. Send a new request "
                    "to send another document."
                ),
            )
    except Problem:
        incoming.discard()
        raise
    document = organisations.store_document(user, HeldDocument.Purpose.POWER_OF_ATTORNEY, incoming)
    with transaction.atomic():
        moved = RepresentationRequest.objects.filter(
            pk=request.pk, status=RequestStatus.PENDING, document__isnull=True
        ).update(document=document)
        if not moved:
            raise Conflict(
                "document_already_sent",
                translation.gettext(
                    "This request has its document already, or was decided. Send a new request "
                    "to send another document."
                ),
            )
    request.document = document
    return request


# --- the clerk's side ----------------------------------------------------------------------


def waiting(court: Court) -> QuerySet[RepresentationRequest]:
    """Requests for the court's cases that have their document and wait for a clerk."""
    return (
        RepresentationRequest.objects.filter(
            case__court=court, status=RequestStatus.PENDING, document__isnull=False
        )
        .select_related("case", "requester", "document")
        .order_by("created_at")
    )


def get_for_clerk(clerk: Any, court: Court, request_id: UUID | str) -> RepresentationRequest:
    """A request for one of the court's cases, if ``clerk`` is a clerk of that court."""
    if not policy.is_clerk_of(clerk, court.pk):
        raise NotFound()
    try:
        return RepresentationRequest.objects.select_related(
            "case", "case__court", "requester", "document", "party", "decided_by"
        ).get(pk=request_id, case__court=court, document__isnull=False)
    except (RepresentationRequest.DoesNotExist, ValueError, TypeError, ValidationError):
        raise NotFound() from None


def _decided() -> Problem:
    return Problem(
        "wrong_state", translation.gettext("This request was decided already."), status=409
    )


class _Chunks:
    """A reader over an iterator of byte strings (the held document, decrypted)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""

    def read(self, size: int = -1, /) -> bytes:
        while size < 0 or len(self._buffer) < size:
            piece = next(self._chunks, None)
            if piece is None:
                break
            self._buffer += piece
        if size < 0:
            data, self._buffer = self._buffer, b""
        else:
            data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data


def _stage_for_clerk(clerk: Any, request: RepresentationRequest) -> Any:
    """The request's power of attorney as an upload of the clerk's in the case: the only way
    the held file enters a case, and only for the clerk approving its own request."""
    from netcourt.evidence.actions import adopt_staged, staging
    from netcourt.vault.scratch import new_scratch_key

    document = request.document
    assert document is not None and request.case is not None
    upload_id, key = uuid.uuid4(), new_scratch_key()
    area = staging()
    area.create(str(upload_id))
    try:
        area.append(
            str(upload_id), key, 0, _Chunks(organisations.plaintext(document)), document.size
        )
    except BaseException:
        area.remove(str(upload_id))
        raise
    return adopt_staged(clerk, request.case.pk, upload_id, key, document.filename, document.size)


def approve(
    clerk: Any, court: Court, request_id: UUID | str, party_id: int | str
) -> RepresentationRequest:
    """Register the requester as the representative of ``party_id`` (the party the power of
    attorney names, which the clerk has read) through the ``register_representative`` step."""
    from netcourt.cases import actions as case_actions
    from netcourt.evidence.actions import cancel_upload

    request = get_for_clerk(clerk, court, request_id)
    if request.status != RequestStatus.PENDING:
        raise _decided()
    case = request.case
    assert case is not None
    party = next((p for p in case.people() if str(p.pk) == str(party_id)), None)
    if party is None:
        raise Problem(
            "input_invalid",
            translation.gettext("Choose the party that signed the power of attorney."),
            field="party",
            status=422,
        )
    upload = _stage_for_clerk(clerk, request)
    try:
        case_actions.fire(
            clerk,
            case.pk,
            REGISTER_EVENT,
            None,
            {
                DOCUMENT_INPUT: str(upload.pk),
                "representative_kind": request.kind,
                "licence_number": request.licence_number,
                "firm": request.firm,
            },
            extra={"representation_request": str(request.pk), "party": party.pk},
            any_version=True,
        )
    except Problem:
        try:
            cancel_upload(clerk, upload.pk)
        except Problem:
            pass  # refused files remove their upload themselves
        raise
    request.refresh_from_db()
    return request


def refuse(clerk: Any, court: Court, request_id: UUID | str, reasons: str) -> RepresentationRequest:
    request = get_for_clerk(clerk, court, request_id)
    reasons = clean_text(reasons, "reasons", MAX_REASONS, required=True)
    with transaction.atomic():
        locked = RepresentationRequest.objects.select_for_update().get(pk=request.pk)
        if locked.status != RequestStatus.PENDING:
            raise _decided()
        locked.status = RequestStatus.REFUSED
        locked.decided_by = clerk
        locked.decided_at = clock.now()
        locked.reasons = reasons
        locked.save(update_fields=["status", "decided_by", "decided_at", "reasons"])
        locked.case = request.case
        _tell_requester(locked)
    return locked


# --- inside the clerk's step (called by its effect, in the step's transaction) -------------


def claim_for_step(case: Case, record: CaseEvent) -> tuple[RepresentationRequest, Party]:
    """The request a clerk's ``register_representative`` step approves, locked, and the party
    chosen. The request's id only ever comes from :func:`approve` (the step's ``extra``, never
    its inputs), so the step cannot be taken from the case page or the API on its own."""
    raw = record.payload.get("representation_request")
    if record.actor_role != "clerk" or not raw:
        raise Problem(
            "own_endpoint",
            translation.gettext(
                "A clerk registers a representative from a request to represent a party, with "
                "its power of attorney, in the court's queue."
            ),
            field="event",
            status=422,
        )
    request = (
        RepresentationRequest.objects.select_for_update()
        .select_related("requester")
        .filter(pk=raw, case=case)
        .first()
    )
    if request is None or request.status != RequestStatus.PENDING:
        raise _decided()
    party = next((p for p in case.people() if p.pk == record.payload.get("party")), None)
    if party is None:
        raise Problem(
            "input_invalid",
            translation.gettext("Choose the party that signed the power of attorney."),
            field="party",
            status=422,
        )
    return request, party


def settle(request: RepresentationRequest, record: CaseEvent, party: Party) -> None:
    """The request approved by ``record``; its power of attorney, now a document of the
    step, belongs to the represented party's side and was sent by the requester."""
    from netcourt.evidence.models import CaseDocument

    request.status = RequestStatus.APPROVED
    request.party = party
    request.decided_by = record.actor
    request.decided_at = record.at
    request.event = record
    request.save(update_fields=["status", "party", "decided_by", "decided_at", "event"])
    CaseDocument.objects.filter(event=record, input=DOCUMENT_INPUT).update(
        party=party, submitted_by=request.requester
    )
    request.case = record.case
    _tell_requester(request)


def _tell_requester(request: RepresentationRequest) -> None:
    number = request.case_number
    reasons = request.reasons
    approved = request.status == RequestStatus.APPROVED
    link = settings.NETCOURT_BASE_URL + (
        reverse("cases:detail", args=[request.case_id]) if approved else reverse("cases:represent")
    )

    def compose() -> tuple[str, str]:
        gettext = translation.gettext
        if approved:
            subject = gettext("Case %(number)s: you represent a party") % {"number": number}
            body = gettext(
                "The court registered you as a representative in case %(number)s from the "
                "power of attorney you sent. You can now follow the case and act in it."
            ) % {"number": number}
        else:
            subject = gettext("Case %(number)s: your request to represent a party") % {
                "number": number
            }
            body = gettext(
                "The court did not register you as a representative in case %(number)s. "
                "Reasons: %(reasons)s"
            ) % {"number": number, "reasons": reasons}
        return subject, body + "\n\n" + link

    organisations.tell(request.requester, compose)


# --- linking a party to its organisation (the pack's ``link_organisation`` step) ----------


def link_organisation(case: Case, pack: Pack, inputs: Mapping[str, object]) -> dict[str, Any]:
    """Link the party that is the organisation with this credit code: the one party that is a
    legal person or other organisation, or among several the one named as registered."""
    organisation = organisations.find(str(inputs.get("credit_code", "")))
    parties = [p for p in case.people() if p.kind in (PartyKind.LEGAL, PartyKind.OTHER)]
    if any(p.organisation_id == organisation.pk for p in parties):
        raise Problem(
            "input_invalid",
            translation.gettext("A party of this case is linked to this organisation already."),
            field="credit_code",
            status=422,
        )
    free = [p for p in parties if p.organisation_id is None]
    registered = comparable_name(organisation.name)
    named = [
        p
        for p in free
        if comparable_name(p.name)
        and (comparable_name(p.name) in registered or registered in comparable_name(p.name))
    ]
    chosen = named if len(named) == 1 else free if len(free) == 1 else []
    if not chosen:
        raise Problem(
            "input_invalid",
            translation.gettext(
                "No single party of this case that is a legal person or other organisation "
                "can be this one (registered as %(name)s): none is free to link, or several "
                "are and none carries its registered name."
            )
            % {"name": organisation.name},
            field="credit_code",
            status=422,
        )
    party = chosen[0]
    party.organisation = organisation
    party.save(update_fields=["organisation"])
    case.forget_people()
    return {"linked": {"party": party.pk, "organisation": organisation.pk}}
