"""Who may see which evidence. Deny by default.

The judge and the court's clerks see every item of a case they hold a role in. A party's side
(the party and its active representatives) sees its own items always, and the other parties'
items according to the pack's exchange rule: at once (``on_submission``) or once the evidence
period has ended (``after_period``). Anyone else learns nothing: 404, as for an item that never
existed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import Q

from netcourt.cases import policy as case_policy
from netcourt.cases.models import Case, Party
from netcourt.cases.policy import own_parties
from netcourt.core import clock
from netcourt.core.problems import NotFound
from netcourt.evidence.models import CaseDocument, EvidenceItem

COURT_ROLES = frozenset({"judge", "clerk"})


def exchange_open(case: Case) -> bool:
    """Whether the parties see each other's items now (the pack's exchange rule)."""
    rules = case.court.pack.evidence
    if rules is None or rules.exchange == "on_submission":
        return True
    # The period has ended: run out, or stopped by a step of the pack.
    return (
        case.deadlines.filter(time_limit=rules.period)
        .filter(Q(due__lt=clock.today()) | Q(stopped_by__isnull=False))
        .exists()
    )


def visible_items(user: Any, case: Case, items: Iterable[EvidenceItem]) -> list[EvidenceItem]:
    roles = case_policy.case_roles(user, case)
    if roles & COURT_ROLES:
        return list(items)
    mine = own_parties(user, case)
    if not mine:
        return []
    others_too = exchange_open(case)
    return [item for item in items if item.party_id in mine or others_too]


def get_item(user: Any, case_id: UUID | str, item_id: UUID | str) -> EvidenceItem:
    """The item if ``user`` may see it; otherwise 404, whether or not it exists."""
    case = case_policy.get_case(user, case_id)
    try:
        item = EvidenceItem.objects.select_related("blob", "party", "case").get(
            id=item_id, case=case
        )
    except (EvidenceItem.DoesNotExist, ValueError, ValidationError):
        raise NotFound() from None
    if not visible_items(user, case, [item]):
        raise NotFound()
    item.case = case
    return item


def may_examine(user: Any, item: EvidenceItem) -> Party | None:
    """The party on whose behalf ``user`` may give an opinion on ``item`` (another party's
    item), or None."""
    mine = own_parties(user, item.case)
    for party in item.case.people():
        if party.pk in mine and party.pk != item.party_id:
            return party
    return None


def visible_documents(user: Any, case: Case) -> list[CaseDocument]:
    """The files attached to steps that ``user`` may open: all of them for the court, a
    party's side its own."""
    documents = list(case.documents.select_related("blob", "event", "party"))
    if case_policy.case_roles(user, case) & COURT_ROLES:
        return documents
    mine = own_parties(user, case)
    return [d for d in documents if d.party_id in mine or d.submitted_by_id == user.pk]


def get_document(user: Any, case_id: UUID | str, document_id: UUID | str) -> CaseDocument:
    case = case_policy.get_case(user, case_id)
    for document in visible_documents(user, case):
        if str(document.pk) == str(document_id):
            document.case = case
            return document
    raise NotFound()
