"""Hearings over HTTP: a case's hearings (and, for the court and the parties, what was
recorded), scheduling and postponing them — the same checks as the scheduling page."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from pydantic import AwareDatetime

from netcourt.cases import actions as case_actions
from netcourt.cases import policy
from netcourt.core import idempotency
from netcourt.core.problems import Problem
from netcourt.hearings import scheduling
from netcourt.hearings.actions import current_hearing
from netcourt.hearings.models import Hearing, Recording
from netcourt.hearings.views import PLAYBACK_ROLES

router = Router(tags=["hearings"])


class RecordingOut(Schema):
    id: UUID
    role: str
    status: str
    sha256: str
    size: int
    started_at: datetime
    ended_at: datetime | None


class HearingOut(Schema):
    id: UUID
    starts_at: datetime
    minutes: int
    mode: str
    public: bool
    status: str
    sequence: int
    opened_at: datetime | None
    ended_at: datetime | None
    recordings: list[RecordingOut]


class ScheduleIn(Schema):
    version: int
    starts_at: AwareDatetime
    minutes: int = Field(default=30, ge=10, le=480)
    public: bool = True
    private_ground: str = Field(default="", max_length=40)


class PostponeIn(Schema):
    version: int
    starts_at: AwareDatetime
    minutes: int = Field(default=30, ge=10, le=480)
    reasons: str = Field(min_length=1, max_length=5000)


def _hearing(hearing: Hearing, with_recordings: bool) -> dict[str, Any]:
    recordings = (
        Recording.objects.filter(hearing=hearing).select_related("participant", "blob")
        if with_recordings
        else []
    )
    return {
        "id": hearing.pk,
        "starts_at": hearing.starts_at,
        "minutes": hearing.minutes,
        "mode": hearing.mode,
        "public": hearing.public,
        "status": hearing.status,
        "sequence": hearing.sequence,
        "opened_at": hearing.opened_at,
        "ended_at": hearing.ended_at,
        "recordings": [
            {
                "id": r.pk,
                "role": r.participant.role,
                "status": r.status,
                "sha256": r.blob.sha256 if r.blob else "",
                "size": r.blob.size if r.blob else 0,
                "started_at": r.started_at,
                "ended_at": r.ended_at,
            }
            for r in recordings
        ],
    }


@router.get(
    "/{case_id}/hearings",
    response=list[HearingOut],
    summary="A case's hearings, latest first; recordings for the court and the parties",
)
def list_hearings(request: HttpRequest, case_id: UUID) -> list[dict[str, Any]]:
    case = policy.get_case(request.user, case_id)
    case_actions.log_access(request.user, case, "api.hearings")
    playback = bool(policy.case_roles(request.user, case) & PLAYBACK_ROLES)
    return [_hearing(h, playback) for h in case.hearings.order_by("-starts_at")]


@contextmanager
def _fields_of_the_body() -> Iterator[None]:
    """A refused time names the body's ``starts_at``, not the scheduling form's fields (the
    day and the time, or the pack's date input the page fills)."""
    try:
        yield
    except Problem as problem:
        if problem.field == "time" or problem.field in scheduling.date_inputs():
            problem.field = "starts_at"
        raise


@router.post(
    "/{case_id}/hearings",
    response={201: HearingOut},
    summary="Schedule the case's hearing (judge or clerk): sittings, notice, clashes checked",
)
def schedule(request: HttpRequest, case_id: UUID, payload: ScheduleIn) -> Status[Any]:
    def create() -> tuple[int, Any]:
        with _fields_of_the_body():
            record = scheduling.schedule(
                request.user,
                case_id,
                payload.version,
                starts_at=payload.starts_at,
                minutes=payload.minutes,
                public=payload.public,
                private_ground=payload.private_ground,
            )
        hearing = current_hearing(record.case)
        assert hearing is not None  # the step just made it
        return 201, _hearing(hearing, False)

    return Status(*idempotency.run(request, create))


@router.post(
    "/{case_id}/hearings/postpone",
    response={200: HearingOut},
    summary="Postpone the case's hearing (judge), with the reasons",
)
def postpone(request: HttpRequest, case_id: UUID, payload: PostponeIn) -> Status[Any]:
    """A retry with the same ``Idempotency-Key`` gets the answer the postponement had."""

    def change() -> tuple[int, Any]:
        with _fields_of_the_body():
            record = scheduling.postpone(
                request.user,
                case_id,
                payload.version,
                starts_at=payload.starts_at,
                minutes=payload.minutes,
                reasons=payload.reasons,
            )
        hearing = current_hearing(record.case)
        assert hearing is not None
        return 200, _hearing(hearing, False)

    return Status(*idempotency.run(request, change))
