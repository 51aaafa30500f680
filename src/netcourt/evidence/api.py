"""Evidence over HTTP: resumable uploads (tus 1.0), items, files, opinions and receipts.

A file is sent as a tus upload: ``POST /api/v1/cases/{case}/uploads`` with ``Upload-Length``
(and ``Upload-Metadata: filename <base64>``) opens it; ``PATCH /api/v1/uploads/{id}`` with
``Upload-Offset`` and an ``application/offset+octet-stream`` body adds bytes; ``HEAD`` says
how far it got, so a client resumes after a broken connection; ``DELETE`` abandons it. Then
``POST /api/v1/cases/{case}/evidence`` submits the complete upload as an item.
"""

from __future__ import annotations

import base64
import binascii
import functools
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import translation
from ninja import Field, Router, Schema, Status

from netcourt.accounts.mfa import last_second_factor
from netcourt.cases import actions as case_actions
from netcourt.cases import policy as case_policy
from netcourt.core import idempotency
from netcourt.core.downloads import continues_a_read, file_download
from netcourt.core.numbers import whole_number
from netcourt.core.problems import Problem
from netcourt.evidence import actions, policy
from netcourt.evidence.models import EvidenceItem, Upload
from netcourt.evidence.store import plaintext

router = Router(tags=["evidence"])
uploads_router = Router(tags=["evidence"])

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,termination,expiration"


def _tus(response: HttpResponse) -> HttpResponse:
    response["Tus-Resumable"] = TUS_VERSION
    response["Cache-Control"] = "no-store"
    return response


def _header_int(request: HttpRequest, name: str) -> int:
    value = whole_number(request.headers.get(name, ""))
    if value is None:
        raise Problem(
            "upload_invalid",
            translation.gettext("%(header)s: a whole number of bytes is required.")
            % {"header": name},
            field=name,
            status=400,
        )
    return value


def _filename(request: HttpRequest) -> str:
    """The ``filename`` of ``Upload-Metadata`` (comma-separated ``key base64value`` pairs);
    ``file`` when the client gives none."""
    for pair in request.headers.get("Upload-Metadata", "").split(","):
        key, _, value = pair.strip().partition(" ")
        if key == "filename":
            try:
                return base64.b64decode(value, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                raise Problem(
                    "upload_invalid",
                    translation.gettext("Upload-Metadata: the file name is not base64 UTF-8."),
                    field="Upload-Metadata",
                    status=400,
                ) from None
    return "file"


def _check_version(request: HttpRequest) -> None:
    if request.headers.get("Tus-Resumable") != TUS_VERSION:
        raise Problem(
            "upload_invalid",
            translation.gettext("Tus-Resumable: %(version)s is required.")
            % {"version": TUS_VERSION},
            field="Tus-Resumable",
            status=412,
            extra={"tus_version": TUS_VERSION},
        )


def _upload_url(upload: Upload) -> str:
    return f"/api/v1/uploads/{upload.pk}"


@router.post(
    "/{case_id}/uploads",
    response={201: None},
    url_name="evidence_uploads",
    summary="Open a resumable upload (tus 1.0 creation)",
)
def create_upload(request: HttpRequest, case_id: UUID) -> HttpResponse:
    """With ``Idempotency-Key``, a repeated request (same length and name) opens no second
    upload: it gets the first one's ``Location``."""
    _check_version(request)
    length, filename = _header_int(request, "Upload-Length"), _filename(request)

    def create() -> tuple[int, Any]:
        upload = actions.start_upload(request.user, case_id, length, filename)
        return 201, {
            "location": _upload_url(upload),
            "expires": upload.expires_at.strftime("%a, %d %b %Y %H:%M:%S GMT"),
        }

    status, made = idempotency.run(request, create, headers=("Upload-Length", "Upload-Metadata"))
    response = _tus(HttpResponse(status=status))
    response["Location"] = made["location"]
    response["Upload-Expires"] = made["expires"]
    return response


@uploads_router.api_operation(["OPTIONS"], "", auth=None, summary="What the tus server supports")
def tus_options(request: HttpRequest) -> HttpResponse:
    response = _tus(HttpResponse(status=204))
    response["Tus-Version"] = TUS_VERSION
    response["Tus-Extension"] = TUS_EXTENSIONS
    return response


@uploads_router.api_operation(["HEAD"], "/{upload_id}", summary="How far an upload got")
def upload_offset(request: HttpRequest, upload_id: UUID) -> HttpResponse:
    upload = actions.get_upload(request.user, upload_id)
    response = _tus(HttpResponse(status=200))
    response["Upload-Offset"] = str(upload.offset)
    response["Upload-Length"] = str(upload.length)
    return response


@uploads_router.patch("/{upload_id}", response={204: None}, summary="Add bytes to an upload")
def upload_piece(request: HttpRequest, upload_id: UUID) -> HttpResponse:
    _check_version(request)
    if request.content_type != "application/offset+octet-stream":
        raise Problem(
            "upload_invalid",
            translation.gettext("Content-Type: application/offset+octet-stream is required."),
            field="Content-Type",
            status=415,
        )
    offset = _header_int(request, "Upload-Offset")
    # A piece waits (encrypted) on the server before it is written: the ASGI layer answers 413
    # unread for a larger one (NETCOURT_MAX_UPLOAD_PIECE). tus clients send `chunkSize` pieces.
    max_piece = settings.NETCOURT_MAX_UPLOAD_PIECE
    length = _header_int(request, "Content-Length") if request.headers.get("Content-Length") else 0
    if length > max_piece:
        raise Problem(
            "upload_invalid",
            translation.gettext("Send pieces of at most %(bytes)s bytes.") % {"bytes": max_piece},
            status=413,
            extra={"max_piece": max_piece},
        )
    upload = actions.receive(request.user, upload_id, offset, request)
    response = _tus(HttpResponse(status=204))
    response["Upload-Offset"] = str(upload.offset)
    return response


@uploads_router.delete("/{upload_id}", response={204: None}, summary="Abandon an upload")
def delete_upload(request: HttpRequest, upload_id: UUID) -> HttpResponse:
    actions.cancel_upload(request.user, upload_id)
    return _tus(HttpResponse(status=204))


class EvidenceIn(Schema):
    upload: UUID
    title: str = Field(max_length=actions.MAX_TITLE)
    purpose: str = Field(max_length=actions.MAX_TEXT)
    source: str = Field(max_length=actions.MAX_SOURCE)


class OpinionOut(Schema):
    id: UUID
    party_role: str
    reply_to: UUID | None
    authenticity: str
    legality: str
    relevance: str
    comment: str
    at: datetime


class ItemOut(Schema):
    id: UUID
    party_role: str
    party_name: str
    round: int
    number: int
    title: str
    purpose: str
    source: str
    late: bool
    submitted_at: datetime
    filename: str
    mime: str
    size: int
    sha256: str
    platform: str | None
    provenance: dict[str, Any]
    opinions: list[OpinionOut]


def _item(item: EvidenceItem) -> dict[str, Any]:
    return {
        "id": item.pk,
        "party_role": item.party.role,
        "party_name": item.party.name,
        "round": item.round,
        "number": item.number,
        "title": item.title,
        "purpose": item.purpose,
        "source": item.source,
        "late": item.late,
        "submitted_at": item.submitted_at,
        "filename": item.blob.filename,
        "mime": item.blob.mime,
        "size": item.blob.size,
        "sha256": item.blob.sha256,
        "platform": item.platform.slug if item.platform else None,
        "provenance": item.provenance,
        "opinions": [
            {
                "id": o.pk,
                "party_role": o.party.role,
                "reply_to": o.reply_to_id,
                "authenticity": o.authenticity,
                "legality": o.legality,
                "relevance": o.relevance,
                "comment": o.comment,
                "at": o.at,
            }
            for o in item.opinions.all()
        ],
    }


@router.post(
    "/{case_id}/evidence",
    response={201: ItemOut},
    url_name="submit_evidence",
    summary="Submit a complete upload as evidence",
)
def submit_evidence(request: HttpRequest, case_id: UUID, payload: EvidenceIn) -> Status[Any]:
    # The cheap checks first: bad text or a bad Idempotency-Key store no file.
    actions.submission_texts(title=payload.title, purpose=payload.purpose, source=payload.source)
    if (answer := idempotency.replay(request)) is not None:
        return Status(*answer)
    # Checking and storing a big file takes a while: done once, before the transaction.
    actions.prepare_upload(request.user, case_id, payload.upload)

    def create() -> tuple[int, Any]:
        item = actions.submit(
            request.user,
            case_id,
            payload.upload,
            title=payload.title,
            purpose=payload.purpose,
            source=payload.source,
        )
        return 201, _item(item)

    return Status(*idempotency.run(request, create))


@router.get("/{case_id}/evidence", response=list[ItemOut], summary="The evidence you may see")
def list_evidence(request: HttpRequest, case_id: UUID) -> list[dict[str, Any]]:
    case = case_policy.get_case(request.user, case_id)
    case_actions.log_access(request.user, case, "evidence.view")
    items = EvidenceItem.objects.filter(case=case).select_related("blob", "party", "platform")
    return [
        _item(i)
        for i in policy.visible_items(request.user, case, items.prefetch_related("opinions__party"))
    ]


@router.get("/{case_id}/evidence/{item_id}", response=ItemOut, summary="One evidence item")
def get_evidence(request: HttpRequest, case_id: UUID, item_id: UUID) -> dict[str, Any]:
    item = policy.get_item(request.user, case_id, item_id)
    case_actions.log_access(
        request.user, item.case, f"evidence.item:{item.party.role}:{item.number}"
    )
    return _item(item)


@router.get("/{case_id}/evidence/{item_id}/file", summary="The item's file, decrypted")
def evidence_file(
    request: HttpRequest, case_id: UUID, item_id: UUID
) -> HttpResponse | StreamingHttpResponse:
    """The whole file, or one byte range of it (``Range``: 206, or 416 outside the file);
    every read, of a part too, is written in the case's access log (a later part of a file
    read a moment ago counts with that read)."""
    item = policy.get_item(request.user, case_id, item_id)
    case_actions.log_access(
        request.user,
        item.case,
        f"evidence.file:{item.party.role}:{item.number}",
        continuing=continues_a_read(request),
    )
    blob = item.blob
    blob.case = item.case
    return file_download(
        request,
        functools.partial(plaintext, blob),
        mime=blob.mime,
        size=blob.size,
        filename=blob.filename,
        sha256=blob.sha256,
    )


@router.get("/{case_id}/evidence/{item_id}/receipt", summary="The item's transparency receipt")
def evidence_receipt(request: HttpRequest, case_id: UUID, item_id: UUID) -> dict[str, Any]:
    item = policy.get_item(request.user, case_id, item_id)
    case_actions.log_access(
        request.user, item.case, f"evidence.receipt:{item.party.role}:{item.number}"
    )
    return actions.item_receipt(item)


@router.get("/{case_id}/events/{seq}/receipt", summary="A case event's transparency receipt")
def event_receipt(request: HttpRequest, case_id: UUID, seq: int) -> dict[str, Any]:
    case = case_policy.get_case(request.user, case_id)
    event = case.events.filter(seq=seq).first()
    if event is None:
        raise Problem("not_found", status=404)
    case_actions.log_access(request.user, case, f"event.receipt:{seq}")
    return case_actions.event_receipt(request.user, event)


Verdict = Literal["accepted", "disputed", "no_opinion"]


class OpinionIn(Schema):
    authenticity: Verdict | Literal[""] = ""
    legality: Verdict | Literal[""] = ""
    relevance: Verdict | Literal[""] = ""
    comment: str = Field(default="", max_length=actions.MAX_TEXT)
    reply_to: UUID | None = None


@router.post(
    "/{case_id}/evidence/{item_id}/opinions",
    response={201: OpinionOut},
    summary="Give an opinion on another side's item, or reply to one",
)
def give_opinion(
    request: HttpRequest, case_id: UUID, item_id: UUID, payload: OpinionIn
) -> Status[Any]:
    stored = idempotency.replay(request)
    if stored is not None:
        return Status(*stored)
    step_up = last_second_factor(request)  # before the transaction (see cases.api.take_step)

    def create() -> tuple[int, Any]:
        opinion = actions.examine(request.user, case_id, item_id, step_up=step_up, **payload.dict())
        return 201, {
            "id": opinion.pk,
            "party_role": opinion.party.role,
            "reply_to": opinion.reply_to_id,
            "authenticity": opinion.authenticity,
            "legality": opinion.legality,
            "relevance": opinion.relevance,
            "comment": opinion.comment,
            "at": opinion.at,
        }

    return Status(*idempotency.run(request, create))
