"""Consent and service over HTTP: a party's consents, recording one, and the case's service
records (the routes tried, masked addresses, times and the legal effect)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from netcourt.cases import actions as case_actions
from netcourt.cases import policy as case_policy
from netcourt.core import idempotency
from netcourt.service import actions
from netcourt.service.models import Consent, Service

router = Router(tags=["service"])

Kind = Literal["online_litigation", "electronic_service", "asynchronous"]


class ConsentOut(Schema):
    party: int
    kind: str
    decision: str
    channels: list[str]
    email: str
    phone: str
    at: datetime


class ConsentIn(Schema):
    party: int
    kind: Kind
    decision: Literal["given", "refused", "withdrawn"]
    channels: list[Literal["inbox", "email", "sms"]] = Field(default_factory=list, max_length=3)
    email: str = Field(default="", max_length=254)
    phone: str = Field(default="", max_length=20)


class DeliveryOut(Schema):
    channel: str
    address: str
    consented: bool
    status: str
    sent_at: datetime | None
    delivered_at: datetime | None
    read_at: datetime | None


class ServiceOut(Schema):
    id: UUID
    document: str
    party: int
    party_role: str
    sha256: str
    effective_at: datetime | None
    effective_by: str
    notice_at: datetime | None
    deliveries: list[DeliveryOut]


def _consent(c: Consent) -> dict[str, Any]:
    return {
        "party": c.party_id,
        "kind": c.kind,
        "decision": c.decision,
        "channels": c.channels,
        "email": c.email,
        "phone": c.phone,
        "at": c.at,
    }


@router.get(
    "/{case_id}/consents",
    response=list[ConsentOut],
    summary="Your side's standing consents in a case (the latest of each kind)",
)
def list_consents(request: HttpRequest, case_id: UUID) -> list[dict[str, Any]]:
    case = case_policy.get_case(request.user, case_id)
    case_actions.log_access(request.user, case, "api.consents")
    own = case_policy.own_parties(request.user, case)
    return [
        _consent(c)
        for party in case.people()
        if party.pk in own
        for c in actions.current_consents(party).values()
    ]


@router.post(
    "/{case_id}/consents",
    response={201: ConsentOut},
    summary="Record consent, refusal or withdrawal for one kind of online step",
)
def record_consent(request: HttpRequest, case_id: UUID, payload: ConsentIn) -> Status[Any]:
    def create() -> tuple[int, Any]:
        consent = actions.record_consent(
            request.user,
            case_id,
            payload.party,
            payload.kind,
            payload.decision,
            channels=payload.channels,
            email=payload.email,
            phone=payload.phone,
            via="api",
        )
        return 201, _consent(consent)

    return Status(*idempotency.run(request, create))


@router.get(
    "/{case_id}/service",
    response=list[ServiceOut],
    summary="The documents served in a case, each with every route tried",
)
def list_service(request: HttpRequest, case_id: UUID) -> list[dict[str, Any]]:
    case = case_policy.get_case(request.user, case_id)
    case_actions.log_access(request.user, case, "api.service")
    services = (
        Service.objects.filter(case=case).select_related("party").prefetch_related("deliveries")
    )
    return [
        {
            "id": s.pk,
            "document": s.document,
            "party": s.party_id,
            "party_role": s.party.role,
            "sha256": s.sha256,
            "effective_at": s.effective_at,
            "effective_by": s.effective_by,
            "notice_at": s.notice_at,
            "deliveries": [
                {
                    "channel": d.channel,
                    "address": actions.mask_address(d.channel, d.address),
                    "consented": d.consented,
                    "status": d.status,
                    "sent_at": d.sent_at,
                    "delivered_at": d.delivered_at,
                    "read_at": d.read_at,
                }
                for d in s.deliveries.all()
            ],
        }
        for s in services
    ]
