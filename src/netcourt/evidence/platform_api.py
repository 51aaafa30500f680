"""Platform records over HTTP.

A party (bearer token or session) lists the registered platforms and asks one for a record:
``POST /api/v1/platforms/{slug}/export-requests`` answers with a one-time code, shown once.
The platform then pushes the record, signed, to ``POST /api/v1/platforms/{slug}/records``;
that endpoint takes no token or session, as the platform proves itself by its signature
(see `netcourt.evidence.platforms`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.utils import translation
from ninja import Router, Schema, Status

from netcourt.core.numbers import whole_number
from netcourt.core.problems import Problem, problem_response
from netcourt.evidence import platforms

router = Router(tags=["platforms"])


class PlatformOut(Schema):
    slug: str
    name: str
    kind: str
    organisation: str


@router.get("", response=list[PlatformOut], summary="The platforms that may send records")
def list_platforms(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {"slug": p.slug, "name": p.name, "kind": p.kind, "organisation": p.organisation}
        for p in platforms.active_platforms()
    ]


class ExportRequestIn(Schema):
    case: UUID


class ExportRequestOut(Schema):
    id: UUID
    platform: str
    case: UUID
    party_role: str
    code: str
    expires_at: datetime


@router.post(
    "/{slug}/export-requests",
    response={201: ExportRequestOut},
    summary="Ask a platform for a record (answers with a one-time code, shown once)",
    description=(
        "Give the code to the platform: it sends one signed record with it, which becomes "
        "an evidence item of your side. The code lasts 7 days. Only the code's hash is kept, "
        "so this answer is not replayed for an `Idempotency-Key`: if it is lost, ask again "
        "(an unused request simply lapses)."
    ),
)
def request_export(request: HttpRequest, slug: str, payload: ExportRequestIn) -> Status[Any]:
    export, code = platforms.request_export(request.user, payload.case, slug)
    return Status(
        201,
        {
            "id": export.pk,
            "platform": slug,
            "case": export.case_id,
            "party_role": export.party.role,
            "code": code,
            "expires_at": export.expires_at,
        },
    )


class RecordOut(Schema):
    item: UUID
    sha256: str
    size: int
    received_at: datetime


_RECORD_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["request_code", "record", "signature"],
                "properties": {
                    "request_code": {
                        "type": "string",
                        "description": "The one-time code the party gave the platform.",
                    },
                    "record": {
                        "type": "object",
                        "required": ["type", "id", "issued_at", "data"],
                        "properties": {
                            "type": {"type": "string", "enum": list(platforms.RECORD_TYPES)},
                            "id": {"type": "string", "maxLength": platforms.MAX_RECORD_ID},
                            "issued_at": {
                                "type": "string",
                                "description": "ISO 8601 with offset, e.g. "
                                "2026-08-03T14:05:00+08:00",
                            },
                            "title": {"type": "string"},
                            "data": {
                                "type": "object",
                                "description": "Any JSON; numbers must be integers "
                                "(write amounts as strings).",
                            },
                        },
                    },
                    "signature": {
                        "type": "string",
                        "description": "Base64 Ed25519 signature over the canonical JSON of "
                        "`record` (keys sorted, no white space, UTF-8).",
                    },
                },
            }
        }
    },
}


def _body(request: HttpRequest) -> bytes:
    """The request body, read only up to the largest the court takes."""
    if request.content_type != "application/json":
        raise Problem(
            "platform_record_invalid",
            translation.gettext("Content-Type: application/json is required."),
            field="Content-Type",
            status=415,
        )
    declared = whole_number(request.META.get("CONTENT_LENGTH") or "")
    if declared is not None and declared > platforms.MAX_BODY_BYTES:
        raise platforms.record_too_large()
    # Read from the stream, not request.body: the body may exceed DATA_UPLOAD_MAX_MEMORY_SIZE.
    return request.read(platforms.MAX_BODY_BYTES + 1)


@router.post(
    "/{slug}/records",
    auth=None,
    response={201: RecordOut},
    url_name="platform_records",
    summary="A platform sends a signed record a party asked for",
    description=(
        "No token: the platform signs `record` with its registered Ed25519 key. Refusals: "
        "`platform_signature_invalid` (401), `export_request_not_found` (404), "
        "`export_request_used` / `export_request_expired` (409), `platform_record_invalid` "
        "(413, 415, 422), `platform_inactive` (403). A refused record leaves nothing behind. "
        "The code is the idempotency key: sending the same record again with a used code "
        "answers 409 `export_request_used` with the stored `item`."
    ),
    openapi_extra={"requestBody": _RECORD_BODY},
)
def push_record(request: HttpRequest, slug: str) -> HttpResponse | Status[Any]:
    try:
        item = platforms.receive_record(slug, _body(request))
    except Problem as problem:
        if problem.status != 401:
            raise
        response = problem_response(request, problem)
        response["WWW-Authenticate"] = 'Signature realm="netcourt platform records"'
        return response
    return Status(
        201,
        {
            "item": item.pk,
            "sha256": item.blob.sha256,
            "size": item.blob.size,
            "received_at": item.submitted_at,
        },
    )
