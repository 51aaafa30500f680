"""Courts over HTTP: what each court hears, and a clerk's filing queue."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from netcourt.cases import policy, present
from netcourt.core.i18n import current_language
from netcourt.core.problems import NotFound
from netcourt.courts.models import Court
from netcourt.courts.queue import filing_queue

router = Router(tags=["courts"])


class CategoryOut(Schema):
    id: str
    label: str
    property: bool
    connecting_factors: list[str]


class CourtOut(Schema):
    slug: str
    name: str
    pack: str
    categories: list[CategoryOut]


class QueueItemOut(Schema):
    id: str
    title: str
    state: str
    state_label: str
    submitted_at: datetime | None
    decision_due: date | None
    days_left: int | None
    version: int


@router.get("", response=list[CourtOut], auth=None, summary="The courts on this system")
def list_courts(request: HttpRequest) -> list[dict[str, Any]]:
    lang = current_language()
    return [court.describe(lang) for court in Court.objects.filter(active=True)]


@router.get(
    "/{slug}/queue",
    response=list[QueueItemOut],
    summary="Cases where the clerk's office can act now, most urgent first",
)
def queue(request: HttpRequest, slug: str) -> list[dict[str, Any]]:
    court = Court.objects.filter(slug=slug).first()
    if court is None or not policy.is_clerk_of(request.user, court.pk):
        raise NotFound()
    return [
        {
            "id": str(item.case.id),
            "title": item.case.title,
            "state": item.case.state,
            "state_label": present.state_label(court.pack, item.case.state),
            "submitted_at": item.case.submitted_at,
            "decision_due": item.due,
            "days_left": item.days_left,
            "version": item.case.version,
        }
        for item in filing_queue(court)
    ]
