"""Cases over HTTP: file, correct, take procedural steps, list, read the docket."""

from __future__ import annotations

import base64
import binascii
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation
from ninja import Field, Query, Router, Schema, Status
from pydantic import BeforeValidator

from netcourt.accounts.mfa import last_second_factor
from netcourt.accounts.models import Organisation
from netcourt.cases import actions, documents, policy, present, representation
from netcourt.cases.models import Case
from netcourt.core import idempotency
from netcourt.core.numbers import amount_text, whole_number
from netcourt.core.problems import Problem, field_problem
from netcourt.courts.models import Court
from netcourt.procedure import load_pack

router = Router(tags=["cases"])


class PartyIn(Schema):
    role: Literal["plaintiff", "defendant", "third_party"]
    kind: Literal["natural", "legal", "other_org"]
    name: str = Field(min_length=1, max_length=200)
    address: str = Field(default="", max_length=300)
    contact_email: str = Field(default="", max_length=254)
    representative_name: str = Field(default="", max_length=200)


def _amount_as_typed(value: object) -> object:
    """An amount given as text read as the filing form reads it ("1,000.50", full-width
    digits); refused when not written in digits (another script's digits, an underscore, an
    exponent). A JSON number is left to the Decimal field."""
    if isinstance(value, str):
        text = amount_text(value)
        if text is None:
            raise ValueError("not an amount written in digits")
        return text
    return value


class FilingIn(Schema):
    title: str | None = Field(default=None, max_length=300)
    amount: Annotated[Decimal | None, BeforeValidator(_amount_as_typed)] = Field(
        default=None, gt=0, max_digits=18, decimal_places=2
    )
    claims: str | None = Field(default=None, max_length=20000)
    facts: str | None = Field(default=None, max_length=100000)
    platform: str | None = Field(default=None, max_length=2000)
    connection: str | None = Field(default=None, max_length=5000)
    factors: dict[str, str] | None = None
    exclusions: list[str] | None = None
    simple: bool | None = None
    parties: list[PartyIn] | None = Field(default=None, max_length=50)

    def to_data(self) -> actions.FilingData:
        parties = (
            [actions.PartyData(**p.model_dump()) for p in self.parties]
            if self.parties is not None
            else None
        )
        return actions.FilingData(
            title=self.title,
            amount=self.amount,
            claims=self.claims,
            facts=self.facts,
            platform=self.platform,
            connection=self.connection,
            factors=self.factors,
            exclusions=self.exclusions,
            simple=self.simple,
            parties=parties,
        )


class CaseIn(Schema):
    court: str
    category: str
    acting_as: Literal["self", "lawyer", "agent", "organisation"] = "self"
    licence_number: str = Field(default="", max_length=40)
    firm: str = Field(default="", max_length=200)
    organisation: str = Field(
        default="",
        max_length=40,
        description="With acting_as organisation: its unified social credit code. You must "
        "be approved to act for it.",
    )
    filing: FilingIn | None = None


class AmendIn(Schema):
    version: int
    filing: FilingIn


class EventIn(Schema):
    event: str = Field(min_length=1, max_length=100)
    version: int
    inputs: dict[str, Any] = {}


class CaseOut(Schema):
    id: str
    number: str
    title: str
    court: str
    court_name: str
    category: str
    category_label: str
    track: str
    track_label: str
    state: str
    state_label: str
    version: int
    amount: str | None
    currency: str
    judge: str | None
    created_at: datetime
    submitted_at: datetime | None
    accepted_at: datetime | None
    updated_at: datetime


class PartyOut(Schema):
    role: str
    kind: str
    name: str
    organisation: str | None = Field(
        default=None,
        description="The unified social credit code of the registered organisation the party "
        "is, once linked: its approved members act for it.",
    )


class DeadlineOut(Schema):
    time_limit: str
    label: str
    start: date
    due: date
    direction: str
    days_left: int
    provisional: bool
    overdue: bool
    running: bool
    ended_by: str = Field(description="The docket label of the step that ended it, if any.")
    basis_article: str
    basis_text: str


class CaseDetailOut(CaseOut):
    parties: list[PartyOut]
    deadlines: list[DeadlineOut]
    judgment: str | None = Field(
        description="The judgment's text: for the court at once, for a party once served."
    )
    statement: str
    available_events: list[str]
    filing: dict[str, Any]


class DocketEntryOut(Schema):
    seq: int
    event: str
    label: str
    at: datetime
    actor: str
    actor_role: str
    on_behalf_of: str | None
    state_before: str
    state_after: str
    state_after_label: str
    inputs: dict[str, Any]
    details: dict[str, Any]
    hash: str


class EventOut(Schema):
    event: DocketEntryOut
    case: CaseOut


class CasePage(Schema):
    items: list[CaseOut]
    next_cursor: str | None


class AccessOut(Schema):
    at: datetime
    who: str
    roles: list[str]
    what: str


class FindingOut(Schema):
    code: str
    ok: bool
    message: str
    basis: str | None


class AssessmentOut(Schema):
    competent: bool
    findings: list[FindingOut]
    alternatives: list[str]
    elsewhere: str | None
    track: str
    track_reasons: list[FindingOut]
    missing: list[dict[str, str]]


def _detail(request: HttpRequest, case: Case) -> dict[str, Any]:
    roles = policy.case_roles(request.user, case)
    body = present.summary(case)
    parties = case.people()
    linked = {p.organisation_id for p in parties if p.organisation_id}
    codes = (
        dict(Organisation.objects.filter(pk__in=linked).values_list("pk", "credit_code"))
        if linked
        else {}
    )
    body["parties"] = [
        {
            "role": p.role,
            "kind": p.kind,
            "name": p.name,
            "organisation": codes.get(p.organisation_id) if p.organisation_id else None,
        }
        for p in parties
    ]
    body["deadlines"] = [present.deadline(d) for d in case.deadlines.select_related("stopped_by")]
    body["statement"] = case.statement
    body["available_events"] = [e.id for e in actions.open_steps_for(request.user, case, roles)]
    body["judgment"] = documents.judgment_for(request.user, case, roles)
    body["filing"] = case.filing
    return body


@router.post("", response={201: CaseDetailOut}, summary="Start a filing (a draft case)")
def create_case(request: HttpRequest, payload: CaseIn) -> Status[Any]:
    court = Court.objects.filter(slug=payload.court, active=True).first()
    if court is None:
        raise Problem("input_invalid", field="court", status=422)

    def create() -> tuple[int, Any]:
        case = actions.file_case(
            request.user,
            court,
            payload.category,
            (payload.filing or FilingIn()).to_data(),
            acting_as=payload.acting_as,
            licence_number=payload.licence_number,
            firm=payload.firm,
            organisation=payload.organisation,
        )
        return 201, _detail(request, case)

    return Status(*idempotency.run(request, create))


# --- requests to represent a party (netcourt.cases.representation) -------------------------
# The requester has no role in the case, so cannot upload into it: the request is created
# first, then its power of attorney is sent to the request itself in one PUT.


class RepresentationRequestIn(Schema):
    case_number: str = Field(min_length=1, max_length=80)
    role: Literal["plaintiff", "defendant", "third_party"]
    party_name: str = Field(default="", max_length=200)
    kind: Literal["lawyer", "agent"]
    licence_number: str = Field(default="", max_length=40)
    firm: str = Field(default="", max_length=200)


class HeldDocumentOut(Schema):
    filename: str
    mime: str
    size: int
    sha256: str


class RepresentationRequestOut(Schema):
    id: UUID
    case_number: str
    role: str
    party_name: str
    kind: str
    licence_number: str
    firm: str
    status: str
    created_at: datetime
    decided_at: datetime | None
    reasons: str
    document: HeldDocumentOut | None
    case: UUID | None = Field(description="The case, once you represent a party in it.")


def _representation_request(found: Any) -> dict[str, Any]:
    document = found.document
    return {
        "id": found.pk,
        "case_number": found.case_number,
        "role": found.role,
        "party_name": found.party_name,
        "kind": found.kind,
        "licence_number": found.licence_number,
        "firm": found.firm,
        "status": found.status,
        "created_at": found.created_at,
        "decided_at": found.decided_at,
        "reasons": found.reasons,
        "document": (
            {
                "filename": document.filename,
                "mime": document.mime,
                "size": document.size,
                "sha256": document.sha256,
            }
            if document is not None
            else None
        ),
        # Only an approved request says which case it is: the answer is the same whether or
        # not the number named one until a clerk decides.
        "case": found.case_id if found.status == "approved" else None,
    }


@router.post(
    "/representation-requests",
    response={201: RepresentationRequestOut},
    summary="Ask to represent a party in a case (then PUT its power of attorney)",
)
def ask_to_represent(request: HttpRequest, payload: RepresentationRequestIn) -> Status[Any]:
    def create() -> tuple[int, Any]:
        found = representation.ask(
            request.user,
            representation.RequestData(
                case_number=payload.case_number,
                role=payload.role,
                kind=payload.kind,
                party_name=payload.party_name,
                licence_number=payload.licence_number,
                firm=payload.firm,
            ),
        )
        return 201, _representation_request(found)

    return Status(*idempotency.run(request, create))


@router.get(
    "/representation-requests",
    response=list[RepresentationRequestOut],
    summary="Your requests to represent a party, newest first",
)
def my_representation_requests(request: HttpRequest) -> list[dict[str, Any]]:
    return [_representation_request(r) for r in representation.own_requests(request.user)[:200]]


@router.get(
    "/representation-requests/{request_id}",
    response=RepresentationRequestOut,
    summary="One of your requests to represent a party",
)
def my_representation_request(request: HttpRequest, request_id: UUID) -> dict[str, Any]:
    return _representation_request(representation.get_own(request.user, request_id))


@router.put(
    "/representation-requests/{request_id}/document",
    response=RepresentationRequestOut,
    summary="Send the power of attorney of a request: the file's bytes as the body, in one piece",
    description=(
        "The body is the file itself (any Content-Type; the court checks what it contains), "
        "with Content-Length, at most the court's limit for evidence files. Give its name "
        "with ?filename=. Once only per request."
    ),
)
def send_power_of_attorney(
    request: HttpRequest, request_id: UUID, filename: str = "power-of-attorney"
) -> dict[str, Any]:
    from netcourt.accounts import organisations

    length = whole_number(request.headers.get("Content-Length", ""))
    if length is None:
        raise Problem(
            "upload_invalid",
            translation.gettext("Content-Length: a whole number of bytes is required."),
            field="Content-Length",
            status=411,
        )
    representation.get_own(request.user, request_id)  # 404 before reading a byte
    incoming = organisations.staged_body(request, length, filename[:255])
    return _representation_request(
        representation.attach_document(request.user, request_id, incoming)
    )


def _cursor_text(at: datetime, ident: UUID | str) -> str:
    return f"{at.isoformat()}|{ident}"


def _encode_cursor(case: Case) -> str:
    return base64.urlsafe_b64encode(_cursor_text(case.updated_at, case.id).encode()).decode()


def _decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    """A cursor this server made (:func:`_encode_cursor`: a moment in UTC and a case id) and
    nothing else: another offset, a naive or far-off moment, other spellings are refused."""
    try:
        raw = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("ascii")
        at_text, ident_text = raw.split("|", 1)
        at, ident = datetime.fromisoformat(at_text), UUID(ident_text)
        made_here = (
            at.utcoffset() == timedelta(0)
            and _cursor_text(at, ident) == raw
            and base64.urlsafe_b64encode(raw.encode()).decode() == cursor
        )
    except (ValueError, binascii.Error):  # UnicodeError is a ValueError
        made_here = False
    if not made_here:
        raise field_problem(
            "cursor", translation.gettext("not a cursor this server gave (next_cursor)")
        )
    return at, ident


def _known_states() -> set[str]:
    """The states of the procedure packs this system's courts are bound to."""
    names = set(Court.objects.values_list("pack_name", flat=True)) or {
        settings.NETCOURT_DEFAULT_PACK
    }
    return {state for name in names for state in load_pack(name).states}


@router.get("", response=CasePage, summary="The cases you can see, newest activity first")
def list_cases(
    request: HttpRequest,
    state: str | None = None,
    court: str | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    if state and state not in _known_states():
        raise field_problem("state", translation.gettext("not a stage of the court's procedure"))
    if court and not Court.objects.filter(slug=court).exists():
        raise field_problem("court", translation.gettext("there is no such court"))
    cases = policy.visible_cases(request.user).select_related("court", "judge")
    if state:
        cases = cases.filter(state=state)
    if court:
        cases = cases.filter(court__slug=court)
    cases = cases.order_by("-updated_at", "-id")
    if cursor:
        at, ident = _decode_cursor(cursor)
        from django.db.models import Q

        cases = cases.filter(Q(updated_at__lt=at) | Q(updated_at=at, id__lt=ident))
    page = list(cases[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return {
        "items": [present.summary(c) for c in page],
        "next_cursor": _encode_cursor(page[-1]) if more and page else None,
    }


@router.get("/{case_id}", response=CaseDetailOut, summary="One case")
def get_case(request: HttpRequest, case_id: UUID) -> dict[str, Any]:
    case = policy.get_case(request.user, case_id)
    actions.log_access(request.user, case, "api.case")
    return _detail(request, case)


@router.get("/{case_id}/docket", response=list[DocketEntryOut], summary="The case's docket")
def docket(request: HttpRequest, case_id: UUID) -> list[dict[str, Any]]:
    case = policy.get_case(request.user, case_id)
    actions.log_access(request.user, case, "api.docket")
    pack = case.court.pack
    events = case.events.select_related("actor", "on_behalf_of")
    private = policy.reads_private_inputs(request.user, case)
    return [present.docket_entry(pack, e, private(e)) for e in events]


@router.get("/{case_id}/access-log", response=list[AccessOut], summary="Who read this case")
def access_log(request: HttpRequest, case_id: UUID) -> list[dict[str, Any]]:
    case = policy.get_case(request.user, case_id)
    return [
        present.access_entry(case.court.pack, e)
        for e in case.access_log.select_related("user")[:500]
    ]


@router.get(
    "/{case_id}/assessment",
    response=AssessmentOut,
    summary="Can this court hear it, and on which track?",
)
def assessment(request: HttpRequest, case_id: UUID) -> dict[str, Any]:
    case = policy.get_case(request.user, case_id)
    actions.log_access(request.user, case, "api.assessment")
    return present.assessment(case)


@router.put("/{case_id}/filing", response=CaseDetailOut, summary="Change a draft or correct it")
def amend(request: HttpRequest, case_id: UUID, payload: AmendIn) -> dict[str, Any]:
    case = actions.amend_filing(request.user, case_id, payload.version, payload.filing.to_data())
    return _detail(request, case)


@router.post(
    "/{case_id}/events",
    response={201: EventOut},
    summary="Take a procedural step (submit, accept, reject, request_corrections, ...)",
)
def take_step(request: HttpRequest, case_id: UUID, payload: EventIn) -> Status[Any]:
    stored = idempotency.replay(request)
    if stored is not None:
        return Status(*stored)
    # A code in Netcourt-Second-Factor is read before the step's transaction, so that a wrong
    # one stays in the person's security history when the step is then refused.
    step_up = last_second_factor(request)

    def create() -> tuple[int, Any]:
        event = actions.fire(
            request.user, case_id, payload.event, payload.version, payload.inputs, step_up=step_up
        )
        case = event.case
        return 201, {
            "event": present.docket_entry(case.court.pack, event, private=True),  # its taker
            "case": present.summary(case),
        }

    return Status(*idempotency.run(request, create))
