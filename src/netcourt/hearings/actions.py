"""Hearings in a case: made by the pack's steps, entered with a single-use pass.

The pack's ``schedule_hearing`` and ``postpone_hearing`` carry the effect ``hearing_schedule``:
the scheduling page (`netcourt.hearings.scheduling`) checks the time and passes it in the
event's payload (``payload["hearing"]``); `schedule_effect` makes or moves the `Hearing`.
``hold_hearing`` (effect ``hearing_held``) ends it. Who may enter is decided here:
`place_for` (deny by default), `issue_pass` (the step-up of issue 3, the time window, the
person's attendance) and `redeem_pass` (single use, two minutes, bound to the person).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext

from netcourt.accounts.mfa import StepUp
from netcourt.cases import policy
from netcourt.cases.models import Case, CaseEvent, Party
from netcourt.core import clock
from netcourt.core.problems import Problem
from netcourt.courts.models import CourtMembership, CourtRole
from netcourt.hearings.models import (
    Hearing,
    HearingLog,
    HearingStatus,
    JoinToken,
    LogKind,
    Mode,
    Participant,
    Presence,
    Role,
)
from netcourt.hearings.times import court_time
from netcourt.procedure import Pack

PASS_SECONDS = 120
# A hearing can be entered this long before it starts (the waiting room opens).
ENTRY_OPENS = timedelta(minutes=30)


def mode_of(attendance: dict[str, str]) -> str:
    """Online when every party takes part online, in the courtroom when none does, split
    otherwise (SPC Online Litigation Rules (2021) Art. 4)."""
    ways = set(attendance.values())
    if ways <= {"online"}:
        return Mode.ONLINE
    if "online" not in ways:
        return Mode.OFFLINE
    return Mode.SPLIT


def current_hearing(case: Case) -> Hearing | None:
    """The case's hearing still to be held or being held, if any."""
    return (
        case.hearings.filter(status__in=(HearingStatus.SCHEDULED, HearingStatus.OPEN))
        .order_by("-starts_at")
        .first()
    )


def schedule_effect(case: Case, pack: Pack, record: CaseEvent) -> None:
    """Make the hearing (``schedule_hearing``) or move it (``postpone_hearing``), from what
    the scheduling page put in the event's payload."""
    details: dict[str, Any] = record.payload["hearing"]
    starts_at = datetime.fromisoformat(details["starts_at"])
    mode = mode_of(record.payload.get("attendance", {}))
    hearing = current_hearing(case)
    if hearing is None:
        hearing = Hearing.objects.create(
            case=case,
            scheduled_by=record,
            starts_at=starts_at,
            minutes=int(details.get("minutes", 30)),
            mode=mode,
            public=bool(details.get("public", True)),
        )
    else:
        hearing.scheduled_by = record
        hearing.starts_at = starts_at
        hearing.minutes = int(details.get("minutes", hearing.minutes))
        hearing.mode = mode
        hearing.public = bool(details.get("public", hearing.public))
        hearing.sequence += 1
        hearing.save()
    attendance: dict[str, str] = record.payload.get("attendance", {})
    for participant in hearing.participants.filter(party__isnull=False):
        participant.online = attendance.get(str(participant.party_id)) != "in_court"
        participant.save(update_fields=["online"])
    if hearing.sequence:  # moved: those called from outside the case are told too
        tell_called_outsiders(hearing)


def held_effect(case: Case, pack: Pack, record: CaseEvent) -> None:
    """The hearing was held: an online one ended in its room already; one in the courtroom
    ends now."""
    hearing = current_hearing(case)
    if hearing is not None:
        now = clock.now()
        hearing.status = HearingStatus.ENDED
        hearing.opened_at = hearing.opened_at or now
        hearing.ended_at = hearing.ended_at or now
        hearing.save(update_fields=["status", "opened_at", "ended_at"])


def cancel_effect(case: Case, pack: Pack, record: CaseEvent) -> None:
    """The case closed without its hearing (withdrawn, settled, transferred): the hearing is
    cancelled, and its invitation says so to the calendars that hold it (a higher sequence)."""
    hearing = current_hearing(case)
    if hearing is not None:
        hearing.status = HearingStatus.CANCELLED
        hearing.sequence += 1
        hearing.save(update_fields=["status", "sequence"])
        tell_called_outsiders(hearing)


# Those called to a hearing who have no part in its case: the parties hear of a change by
# the step's own notice and summons, these people only from this.
OUTSIDER_ROLES = (Role.WITNESS, Role.INTERPRETER)


def tell_called_outsiders(hearing: Hearing) -> None:
    """Tell each witness and interpreter called to ``hearing`` that it moved (to its new
    time) or was cancelled, in their language, with the invitation their calendar replaces
    the old one with (no case title; the hearing's own page)."""
    from netcourt.hearings import ics
    from netcourt.service.notifications import attaching, tell

    called = list(hearing.participants.filter(role__in=OUTSIDER_ROLES).select_related("user"))
    if not called:
        return
    case = hearing.case
    link = settings.NETCOURT_BASE_URL + reverse("hearings:hearing", args=[hearing.pk])
    cancelled = hearing.status == HearingStatus.CANCELLED
    for participant in called:

        def compose(lang: str, participant: Participant = participant) -> tuple[str, str]:
            values = {
                "role": participant.get_role_display(),
                "case": case.number,
                "when": court_time(hearing.starts_at),
                "link": link,
            }
            if cancelled:
                return gettext("A hearing you are called to is cancelled"), gettext(
                    "The hearing of case %(case)s on %(when)s (court time), to which you were "
                    "called as %(role)s, is cancelled: do not come. The hearing's page: %(link)s"
                ) % values
            return gettext("A hearing you are called to has moved"), gettext(
                "The hearing of case %(case)s, to which you are called as %(role)s, now begins "
                "on %(when)s (court time). The hearing's page: %(link)s"
            ) % values

        with attaching(lambda person: ics.attachment(hearing, person, in_case=False)):
            tell([participant.user], compose, link=reverse("hearings:hearing", args=[hearing.pk]))


def in_session_guard(case: Case) -> str | None:
    """A case does not close while its hearing is in session: the judge ends the hearing
    first, so that its recordings are logged in the case before it closes (a settlement
    reached in the hearing is recorded right after)."""
    if case.hearings.filter(status=HearingStatus.OPEN).exists():
        return gettext(
            "The hearing is in session: the judge ends it first, then the case can be closed."
        )
    return None


def held_guard(case: Case) -> str | None:
    """An online hearing is held by ending it in its room, not by a form; one in the
    courtroom is recorded as held only once it can have begun (`hold_too_early`)."""
    hearing = current_hearing(case)
    if hearing is None:
        return None
    if hearing.mode != Mode.OFFLINE:
        return gettext(
            "This hearing is held online: the judge ends it in the virtual courtroom, and the "
            "case moves on by itself."
        )
    return hold_too_early(hearing)


def hold_too_early(hearing: Hearing) -> str | None:
    """Why ``hearing`` cannot be held (recorded as held, or ended in its room) yet: not before
    its room opens (`ENTRY_OPENS` before the start, the rule for entering it), let alone days
    before it was to take place. None when it can."""
    opens = hearing.starts_at - ENTRY_OPENS
    if clock.now() >= opens:
        return None
    return gettext(
        "The hearing is scheduled for %(when)s (court time): it cannot be held before "
        "%(opens)s, %(minutes)s minutes before it begins."
    ) % {
        "when": court_time(hearing.starts_at),
        "opens": court_time(opens),
        "minutes": int(ENTRY_OPENS.total_seconds() // 60),
    }


def absence_guard(case: Case) -> str | None:
    """A party is absent from a hearing only once it has begun: the claim is not treated as
    withdrawn for the plaintiff's absence (Civil Procedure Law Art. 146) before the scheduled
    start. The guard of the effect ``hearing_absence``."""
    hearing = current_hearing(case)
    if hearing is not None and clock.now() < hearing.starts_at:
        return gettext(
            "The hearing is scheduled for %(when)s (court time): no one can be found absent "
            "from it before it begins."
        ) % {"when": court_time(hearing.starts_at)}
    return None


# --- who takes part ----------------------------------------------------------------------


def place_for(user: Any, hearing: Hearing) -> tuple[str, Party | None] | None:
    """The role ``user`` takes in ``hearing`` now, and the party they stand for; None for no
    one (deny by default). Worked out afresh each time from the case (a representative whose
    mandate ended, a clerk or judge who left the court, lose their place at once); only
    witnesses and interpreters hold a place by invitation."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    invited = hearing.participants.filter(
        user=user, role__in=(Role.WITNESS, Role.INTERPRETER)
    ).first()
    if invited is not None:
        return invited.role, None
    return _place_in_case(user, hearing)


def _place_in_case(user: Any, hearing: Hearing) -> tuple[str, Party | None] | None:
    """The place ``user`` has in ``hearing`` by their part in its case (not by invitation):
    judge, clerk, party, representative; a viewer of a public hearing; None for no one."""
    case = hearing.case
    if policy.is_judge_of(user, case):
        return Role.JUDGE, None
    if CourtMembership.objects.filter(
        court_id=case.court_id, user=user, role=CourtRole.CLERK, active=True
    ).exists():
        return Role.CLERK, None
    for party in case.people():
        if policy.acts_for_party(user, party):
            return Role.PARTY, party
    for party in case.people():
        if any(r.user_id == user.pk and r.active for r in party.representatives.all()):
            return Role.REPRESENTATIVE, party
    if hearing.public:
        return Role.VIEWER, None
    return None


def shown_name(user: Any, role: str) -> str:
    """How a person is named in the room: their name, never their e-mail address."""
    name = str(user.display_name or user.get_full_name()).strip()
    return name or str(Role(role).label)


def in_court_because(hearing: Hearing, party: Party | None) -> str:
    """Why someone in ``party``'s place (None: the court, a witness, the public) attends
    ``hearing`` in the courtroom; empty when they take part online."""
    if hearing.mode == Mode.OFFLINE:
        return gettext("This hearing is held in the courtroom: there is no online room to enter.")
    attendance: dict[str, str] = hearing.scheduled_by.payload.get("attendance", {})
    if party is not None and attendance.get(str(party.pk)) == "in_court":
        return _not_online()
    return ""


def _not_online() -> str:
    return gettext(
        "You have not agreed to take part online, so you attend this hearing in the courtroom."
    )


def participant_for(user: Any, hearing: Hearing) -> Participant | None:
    """The person's place in the hearing, made on their first visit and brought up to date
    (their role now) on each."""
    place = place_for(user, hearing)
    if place is None:
        return None
    role, party = place
    online = not in_court_because(hearing, party)
    participant, made = Participant.objects.get_or_create(
        hearing=hearing,
        user=user,
        defaults={"role": role, "party": party, "name": shown_name(user, role), "online": online},
    )
    if not made and (participant.role, participant.party_id) != (role, party and party.pk):
        participant.role, participant.party, participant.online = role, party, online
        participant.save(update_fields=["role", "party", "online"])
    return participant


CALLED_ROLES = (Role.WITNESS, Role.INTERPRETER)


class Called(NamedTuple):
    """A person called to a hearing; ``was`` the role they were called as before, when the
    call changed it."""

    participant: Participant
    was: str | None = None


def may_call(user: Any, hearing: Hearing) -> bool:
    """Whether ``user`` may call witnesses and interpreters to ``hearing``: its judge or a
    clerk of its court."""
    return place_for(user, hearing) in ((Role.JUDGE, None), (Role.CLERK, None))


def invite(hearing: Hearing, user: Any, role: str, by: Any) -> Called:
    """A witness or an interpreter, named by the judge or the clerk; they wait until called.

    A person has one place at a hearing: no one who takes part in the case (a party, the
    members acting for it, its representatives, whoever uses a party's e-mail address; the
    judge, the court's clerks) is called as a witness or an interpreter. Called again as the
    other of the two, their role changes while they have not yet entered the hearing; once
    they have taken part in one role, they keep it. A person the judge removed from the
    hearing is not called back to it."""
    if role not in CALLED_ROLES:
        raise Problem("input_invalid", field="role", status=422)
    if not may_call(by, hearing):
        raise Problem("role_not_allowed", status=403)
    with transaction.atomic():
        hearing = Hearing.objects.select_for_update().select_related("case").get(pk=hearing.pk)
        if hearing.status not in (HearingStatus.SCHEDULED, HearingStatus.OPEN):
            raise Problem(
                "hearing_not_open",
                gettext("This hearing has ended or was cancelled: no one can be called to it."),
                status=409,
            )
        _refuse_one_of_the_case(hearing, user)
        participant, made = Participant.objects.get_or_create(
            hearing=hearing, user=user, defaults={"role": role, "name": shown_name(user, role)}
        )
        if made:
            return Called(participant)
        if participant.presence == Presence.REMOVED:
            raise Problem(
                "hearing_removed",
                gettext(
                    "The judge removed this person from the hearing: they cannot be called back "
                    "to it."
                ),
                field="email",
                status=409,
            )
        if participant.role == role:
            return Called(participant)  # called again: told again
        was = participant.role if participant.role in CALLED_ROLES else None
        if was is not None and participant.first_joined_at is not None:
            raise Problem(
                "input_invalid",
                gettext(
                    "This person has taken part in the hearing as %(role)s already: a person "
                    "has one role at a hearing."
                )
                % {"role": Role(was).label},
                field="role",
                status=422,
            )
        participant.role, participant.party = role, None
        participant.name = shown_name(user, role)
        participant.save(update_fields=["role", "party", "name"])
        return Called(participant, was)


def _refuse_one_of_the_case(hearing: Hearing, user: Any) -> None:
    """Refuse to call a person who takes part in the hearing's case (see `invite`)."""
    place = _place_in_case(user, hearing)
    if place is not None and place[0] in (Role.JUDGE, Role.CLERK):
        raise Problem(
            "input_invalid",
            gettext(
                "The judge and the court's clerks take part in the hearing as the court: they "
                "cannot be called as a witness or an interpreter."
            ),
            field="email",
            status=422,
        )
    email = (user.email or "").strip().casefold()
    parties = hearing.case.people()
    if (place is not None and place[0] in (Role.PARTY, Role.REPRESENTATIVE)) or any(
        email and (party.contact_email or "").strip().casefold() == email for party in parties
    ):
        raise Problem(
            "input_invalid",
            gettext(
                "This person is a party to the case or represents one: a party and its "
                "representatives cannot be called as a witness or an interpreter."
            ),
            field="email",
            status=422,
        )


def log(
    hearing: Hearing,
    kind: str,
    participant: Participant | None = None,
    by: Participant | None = None,
    **detail: Any,
) -> HearingLog:
    return HearingLog.objects.create(
        hearing=hearing, at=clock.now(), kind=kind, participant=participant, by=by, detail=detail
    )


# --- the pass into the room ---------------------------------------------------------------


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_pass(participant: Participant, step_up: StepUp | None) -> str:
    """A single-use pass into the room for ``participant``, valid for two minutes.

    Refused when the hearing is over or not open yet, when the person was removed, when they
    attend in the courtroom, and (for everyone but a public viewer) without a second factor
    used within the pack's step-up window.
    """
    hearing = participant.hearing
    now = clock.now()
    if hearing.status in (HearingStatus.ENDED, HearingStatus.CANCELLED):
        raise Problem("hearing_not_open", status=409)
    reason = in_court_because(hearing, participant.party)
    if reason or not participant.online:
        raise Problem("attends_in_court", reason or _not_online(), status=409)
    if participant.presence == Presence.REMOVED:
        raise Problem("hearing_removed", status=403)
    if now < hearing.starts_at - ENTRY_OPENS and participant.role not in (Role.JUDGE, Role.CLERK):
        raise Problem(
            "hearing_too_early",
            gettext("The waiting room opens %(minutes)s minutes before the hearing.")
            % {"minutes": int(ENTRY_OPENS.total_seconds() // 60)},
            status=409,
        )
    if participant.role != Role.VIEWER:
        minutes = hearing.case.court.pack.step_up_minutes or 0
        if step_up is None or now - step_up.at > timedelta(minutes=minutes):
            raise Problem(
                "step_up_required",
                gettext(
                    "Entering the hearing needs you to confirm it is you with your second "
                    "factor within the last %(minutes)s minutes."
                )
                % {"minutes": minutes},
                status=403,
                extra={"within_minutes": minutes},
            )
    raw = secrets.token_urlsafe(32)
    JoinToken.objects.create(
        participant=participant,
        digest=_digest(raw),
        issued_at=now,
        expires_at=now + timedelta(seconds=PASS_SECONDS),
    )
    return raw


def redeem_pass(hearing_id: Any, raw: str, user_id: int | None) -> Participant:
    """The participant a pass lets in, once. The pass must be for this hearing, unused, not
    expired, and presented by the person it was issued to (their signed-in session), who must
    still have their place. A pass refused for any reason is spent all the same."""
    with transaction.atomic():
        token = (
            JoinToken.objects.select_for_update(of=("self",))
            .select_related("participant__hearing__case__court", "participant__user")
            .filter(digest=_digest(raw or ""), participant__hearing_id=hearing_id)
            .first()
        )
        if token is None or user_id is None or token.participant.user_id != user_id:
            raise Problem("join_token_invalid", status=403)
        if token.used_at is not None:
            raise Problem("join_token_used", status=403)
        now = clock.now()
        token.used_at = now
        token.save(update_fields=["used_at"])
        participant = token.participant
        refusal = _refusal(participant, token.expires_at, now)
    if refusal is not None:
        raise refusal
    return participant


def _refusal(participant: Participant, expires_at: datetime, now: datetime) -> Problem | None:
    """Why a pass, otherwise good, does not let its person in now (None: it does)."""
    hearing = participant.hearing
    if now >= expires_at:
        return Problem("join_token_expired", status=403)
    if participant.presence == Presence.REMOVED:
        return Problem("hearing_removed", status=403)
    if hearing.status in (HearingStatus.ENDED, HearingStatus.CANCELLED):
        return Problem("hearing_not_open", status=409)
    place = place_for(participant.user, hearing)
    if place is None or place[0] != participant.role:
        return Problem("join_token_invalid", status=403)
    if hearing.locked and participant.role not in (Role.JUDGE, Role.CLERK):
        return Problem("hearing_locked", status=403)
    return None


def refused(hearing_id: Any, code: str) -> None:
    """Note a refused entry in the hearing's log (the code only: who tried is not known)."""
    hearing = Hearing.objects.filter(pk=hearing_id).first()
    if hearing is not None:
        log(hearing, LogKind.REFUSED, code=code)


# How far ahead the public list of hearings looks.
PUBLIC_DAYS = 30


def public_hearings() -> list[Hearing]:
    """The public hearings of the coming days, and those in session, earliest first: the
    court's hearing calendar for anyone (Civil Procedure Law Art. 137: hearings are held in
    public, and announced before they are held)."""
    now = clock.now()
    return list(
        Hearing.objects.filter(
            public=True,
            status__in=(HearingStatus.SCHEDULED, HearingStatus.OPEN),
            starts_at__gte=now - timedelta(hours=12),
            starts_at__lte=now + timedelta(days=PUBLIC_DAYS),
        )
        .select_related("case__court")
        .order_by("starts_at")
    )
