"""Who may see or do what with a case. Deny by default.

A person's roles in a case come from four places: being a party, acting for a party that is
an organisation (an approved member of the organisation the party is linked to), being a
party's active representative, being the judge the case is assigned to while an active judge
of its court, and being a clerk of the court once the case has left the filer's hands. Ending
a membership (of an organisation or of the court) or a representation ends the role at the
next request. Having opened the filing gives no role by itself:
a lawyer whose representation ends loses the case with it. Anyone with no role does not learn that the case
exists: reads answer 404, exactly as for a case that was never filed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.db.models import Q, QuerySet

from netcourt.accounts.models import MemberStatus, OrganisationMember
from netcourt.cases.models import Case, CaseEvent, Party
from netcourt.core.problems import NotFound
from netcourt.courts.models import CourtMembership, CourtRole

PARTY_ROLES = ("plaintiff", "defendant", "third_party")
SYSTEM_ROLE = "system"
# The court's roles in a case: they read all of it (a party reads what is its own or shared).
COURT_ROLES = frozenset({"judge", "clerk", "president"})


def _organisations_of(user: Any, parties: list[Party]) -> set[int]:
    """The organisations among those ``parties`` are linked to that ``user`` acts for now
    (no query when no party is linked to one)."""
    linked = {p.organisation_id for p in parties if p.organisation_id is not None}
    if not linked:
        return set()
    return set(
        OrganisationMember.objects.filter(
            user=user, status=MemberStatus.APPROVED, organisation_id__in=linked
        ).values_list("organisation_id", flat=True)
    )


def _represents(user: Any, party: Party) -> bool:
    return any(r.user_id == user.pk and r.active for r in party.representatives.all())


def own_parties(user: Any, case: Case) -> set[int]:
    """The parties of ``case`` that ``user`` is, acts for as an approved member of its
    organisation, or actively represents."""
    if user is None or not user.is_authenticated or not user.is_active:
        return set()
    parties = case.people()
    organisations = _organisations_of(user, parties)
    return {
        party.pk
        for party in parties
        if party.user_id == user.pk
        or party.organisation_id in organisations
        or _represents(user, party)
    }


def acts_for_party(user: Any, party: Party) -> bool:
    """Whether ``user`` is the party itself: its own account, or an approved member of the
    organisation it is linked to (not a representative)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if party.user_id == user.pk:
        return True
    return bool(party.organisation_id) and party.organisation_id in _organisations_of(user, [party])


def reads_private_inputs(user: Any, case: Case) -> Callable[[CaseEvent], bool]:
    """Whether ``user`` may read a step's private inputs (the pack's ``private``): the court
    (the judge, the clerk, the president) all of them; a party's side, those of the steps it
    took (itself or through its representative)."""
    if case_roles(user, case) & COURT_ROLES:
        return lambda event: True
    mine = own_parties(user, case)
    return lambda event: event.actor_id == user.pk or event.on_behalf_of_id in mine


def case_roles(user: Any, case: Case) -> set[str]:
    if user is None or not user.is_authenticated or not user.is_active:
        return set()
    roles: set[str] = set()
    parties = case.people()
    organisations = _organisations_of(user, parties)
    for party in parties:
        if party.user_id == user.pk or party.organisation_id in organisations:
            roles.add(party.role)
        if _represents(user, party):
            roles.add(party.role)
    if case.submitted_at is None:
        return roles & {"plaintiff"}
    # One query for the court's roles: the case's judge while an active judge of its court
    # (`is_judge_of`), its clerks and presidents.
    court_roles = set(
        CourtMembership.objects.filter(
            court_id=case.court_id,
            user=user,
            role__in=(CourtRole.CLERK, CourtRole.PRESIDENT, CourtRole.JUDGE),
            active=True,
        ).values_list("role", flat=True)
    )
    if CourtRole.JUDGE in court_roles and case.judge_id == user.pk:
        roles.add("judge")
    return roles | (court_roles - {CourtRole.JUDGE})


def is_judge_of(user: Any, case: Case) -> bool:
    """Whether ``user`` is the judge ``case`` is assigned to and still an active judge of its
    court: a judge whose membership ended keeps no power over the cases they were given."""
    return (
        case.judge_id is not None
        and case.judge_id == user.pk
        and CourtMembership.objects.filter(
            court_id=case.court_id, user=user, role=CourtRole.JUDGE, active=True
        ).exists()
    )


def judging(user: Any) -> Q:
    """The cases ``user`` judges, as `is_judge_of` decides for one case."""
    return Q(
        judge=user,
        court__in=CourtMembership.objects.filter(
            user=user, role=CourtRole.JUDGE, active=True
        ).values("court"),
    )


def visible_cases(user: Any) -> QuerySet[Case]:
    """The cases ``user`` has a role in, in one query, as `case_roles` decides for one case:
    a draft only to the plaintiff's side, the others to their parties (themselves, their
    organisation's members, their representatives), their judge (while a judge of the court)
    and their court's staff."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Case.objects.none()
    staff_courts = CourtMembership.objects.filter(
        user=user, role__in=(CourtRole.CLERK, CourtRole.PRESIDENT), active=True
    ).values("court")
    own = (
        Q(parties__user=user)
        | Q(parties__representatives__user=user, parties__representatives__active=True)
        | Q(
            parties__organisation__members__user=user,
            parties__organisation__members__status=MemberStatus.APPROVED,
        )
    ) & (Q(submitted_at__isnull=False) | Q(parties__role="plaintiff"))  # a draft: its filer's
    court = (judging(user) | Q(court__in=staff_courts)) & Q(submitted_at__isnull=False)
    ids = Case.objects.filter(own | court).values("id")
    return Case.objects.filter(id__in=ids)


def get_case(user: Any, case_id: UUID | str) -> Case:
    """The case if ``user`` has a role in it; otherwise 404, whether or not it exists."""
    try:
        case = Case.objects.select_related("court", "judge").get(id=case_id)
    except (Case.DoesNotExist, ValueError):
        raise NotFound() from None
    if not case_roles(user, case):
        raise NotFound()
    return case


def acting_party(user: Any, case: Case, role: str) -> Party | None:
    """The party on whose behalf ``user`` acts in ``role``: their own party, the organisation
    they act for, or the party they actively represent, in that order. None when they hold
    the role through none of these (never a guess)."""
    if role not in PARTY_ROLES:
        return None
    parties = [p for p in case.people() if p.role == role]
    own = next((p for p in parties if p.user_id == user.pk), None)
    if own is not None:
        return own
    organisations = _organisations_of(user, parties)
    member = next((p for p in parties if p.organisation_id in organisations), None)
    if member is not None:
        return member
    return next((p for p in parties if _represents(user, p)), None)


def is_clerk_of(user: Any, court_id: int) -> bool:
    return bool(
        user.is_authenticated
        and CourtMembership.objects.filter(
            court_id=court_id, user=user, role=CourtRole.CLERK, active=True
        ).exists()
    )


def clerk_courts(user: Any) -> QuerySet[Any]:
    from netcourt.courts.models import Court

    if not user.is_authenticated:
        return Court.objects.none()
    return Court.objects.filter(
        memberships__user=user, memberships__role=CourtRole.CLERK, memberships__active=True
    ).distinct()
