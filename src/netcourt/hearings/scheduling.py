"""Scheduling hearings: when the court sits, who is free, and the notice the law requires.

A hearing is scheduled (or moved) by the pack's step that carries the ``hearing_schedule``
effect, taken here and only here, after the checks a clerk would make by hand, each refused
with its own code and nothing written:

- a time in the past, or too soon for the notice the pack's time limit anchored to the step's
  date requires (``hearing_notice``: three days, CPL Art. 139) → ``schedule_too_soon``;
- outside the court's sittings (when it has any; a public holiday is never a sitting day)
  → ``schedule_outside_sitting``;
- while the judge has another hearing or has marked the time busy → ``schedule_clash``;
- on a day a party said it cannot attend → ``schedule_party_unavailable``.

The time is given with its zone and kept in UTC; the step's date input is the day in the
court's zone, which is what the pack's periods count in. The e-mail the step's notification
sends carries each person's calendar invitation (`netcourt.hearings.ics`).

Also here: the judge's and clerk's busy time, the court's sittings, the days a party cannot
attend and a person's own time zone, with who may change each.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from django.db import models, transaction
from django.db.models import QuerySet
from django.utils import dates, formats
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from netcourt.accounts import security
from netcourt.accounts.mfa import staff_factor
from netcourt.accounts.models import User, hash_token
from netcourt.cases import actions as case_actions
from netcourt.cases import policy
from netcourt.cases.models import Case, CaseEvent
from netcourt.core import clock
from netcourt.core.i18n import current_language
from netcourt.core.problems import NotFound, Problem
from netcourt.courts.models import Court, CourtMembership, CourtRole
from netcourt.hearings import ics
from netcourt.hearings.actions import current_hearing
from netcourt.hearings.models import (
    Busy,
    CalendarAddress,
    Hearing,
    HearingStatus,
    Sitting,
    Unavailability,
)
from netcourt.hearings.times import court_zone, known_zone
from netcourt.procedure import Event, Pack, add_period, compute_deadline, list_packs, load_pack
from netcourt.service.notifications import attaching

SCHEDULE_EFFECT = "hearing_schedule"
MIN_MINUTES, MAX_MINUTES = 10, 480
MAX_AHEAD = timedelta(days=730)  # far enough for any case; past it, a typing slip
UNAVAILABLE_MAX_DAYS = 60  # one entry of a party's unavailable days spans at most this
SUGGEST_DAYS = 30  # how far ahead a free time is looked for
SUGGEST_STEP = timedelta(minutes=30)
# A court with no sittings configured accepts any time; a time is suggested within these.
DEFAULT_DAY = (time(9), time(17))
# Hearings that hold the judge's time.
ACTIVE = (HearingStatus.SCHEDULED, HearingStatus.OPEN)


class PrivateGround(models.TextChoices):
    """Why a hearing is not public (CPL 2023 Art. 137): by law for state secrets, personal
    privacy and what the law otherwise provides; on a party's application for a divorce or
    trade secrets."""

    STATE_SECRETS = "state_secrets", _("it concerns state secrets")
    PRIVACY = "privacy", _("it concerns personal privacy")
    DIVORCE = "divorce", _("a divorce case, on a party's application")
    TRADE_SECRETS = "trade_secrets", _("it concerns trade secrets, on a party's application")
    OTHER_LAW = "other_law", _("another law provides for it")


# --- taking the step ------------------------------------------------------------------------


def schedule(
    user: Any,
    case_id: UUID | str,
    version: int | None,
    *,
    starts_at: datetime,
    minutes: int = 30,
    public: bool = True,
    private_ground: str = "",
) -> CaseEvent:
    """Schedule the case's hearing at ``starts_at`` (aware) for ``minutes``, as ``user``.

    A hearing is public unless ``private_ground`` (a `PrivateGround`) says why not. Refused,
    writing nothing, when the checks of this module fail, the case changed since ``version``,
    or the step is not open to ``user`` (a hearing already scheduled is postponed instead).
    """
    if not public and private_ground not in PrivateGround.values:
        raise Problem(
            "input_invalid",
            gettext("Say why the hearing is not public."),
            field="private_ground",
            status=422,
        )
    details: dict[str, Any] = {"minutes": minutes, "public": public}
    if not public:
        details["private_ground"] = private_ground
    return _take(user, case_id, version, starts_at, minutes, details, moving=False)


def postpone(
    user: Any,
    case_id: UUID | str,
    version: int | None,
    *,
    starts_at: datetime,
    minutes: int,
    reasons: str,
) -> CaseEvent:
    """Move the case's scheduled hearing to ``starts_at``; ``reasons`` (required) go into the
    step's inputs, so the docket says why it moved. Its invitations replace the old ones."""
    reasons = reasons.strip()
    if not reasons:
        raise Problem(
            "input_invalid",
            gettext("Give the reasons for postponing the hearing."),
            field="reasons",
            status=422,
        )
    return _take(user, case_id, version, starts_at, minutes, {"minutes": minutes}, reasons=reasons)


def _take(
    user: Any,
    case_id: UUID | str,
    version: int | None,
    starts_at: datetime,
    minutes: int,
    details: dict[str, Any],
    *,
    moving: bool = True,
    reasons: str = "",
) -> CaseEvent:
    policy.get_case(user, case_id)  # 404 for a case the person has no role in
    with transaction.atomic():
        case = (
            Case.objects.select_for_update(of=("self",))
            .select_related("court", "judge")
            .get(pk=case_id)
        )
        event = scheduling_step(case, policy.case_roles(user, case), refuse=True)
        assert event is not None
        hearing = current_hearing(case)
        if (hearing is not None) != moving:
            raise Problem(
                "wrong_state",
                gettext("A hearing is scheduled already: postpone it instead.")
                if hearing is not None
                else gettext("There is no scheduled hearing to postpone."),
                status=409,
            )
        if case.judge_id is not None:
            # One scheduling at a time per judge, so two cases cannot take the same hour.
            User.objects.select_for_update().filter(pk=case.judge_id).first()
        check_time(case, event, starts_at, minutes, moving=hearing)
        details = {
            "starts_at": starts_at.isoformat(),
            "public": hearing.public if hearing is not None else True,
            **details,
        }
        inputs: dict[str, object] = {date_input(event): local_day(starts_at)}
        if reasons:
            inputs["reasons"] = reasons
        with attaching(lambda person: _invitation(case, person)):
            return case_actions.fire(
                user, case.pk, event.id, version, inputs, extra={"hearing": details}
            )


def _invitation(case: Case, person: Any) -> tuple[str, str, str] | None:
    hearing = current_hearing(case)
    return ics.attachment(hearing, person) if hearing is not None else None


def scheduling_step(case: Case, roles: set[str], *, refuse: bool = False) -> Event | None:
    """The pack's step that schedules or moves a hearing, open to ``roles`` on ``case`` now;
    None when there is none (with ``refuse``: the reason, as a problem)."""
    candidates = [
        e
        for e in case.court.pack.events.values()
        if SCHEDULE_EFFECT in e.effects and case.state in e.from_states
    ]
    open_ids = {e.id for e in case_actions.open_steps(case, roles)}
    for event in candidates:
        if event.id in open_ids:
            return event
    if not refuse:
        return None
    if candidates and not roles.intersection(r for e in candidates for r in e.roles):
        raise Problem(
            "role_not_allowed",
            gettext("Your role in this case does not allow this step."),
            status=403,
        )
    raise Problem(
        "wrong_state",
        gettext("A hearing cannot be scheduled at this stage of the case."),
        status=409,
    )


def date_input(event: Event) -> str:
    """The step's date input (``hearing_at``): the hearing's day, which periods count from."""
    return next(item.name for item in event.inputs if item.type == "date")


def date_inputs() -> set[str]:
    """The date inputs of every pack's scheduling steps (the forms' name for the day)."""
    return {
        date_input(event)
        for name in list_packs()
        for event in load_pack(name).events.values()
        if SCHEDULE_EFFECT in event.effects
    }


def local_day(moment: datetime) -> date:
    """The day of ``moment`` in the court's zone."""
    return moment.astimezone(court_zone()).date()


# --- the checks -----------------------------------------------------------------------------


def check_time(
    case: Case, event: Event, starts_at: datetime, minutes: int, *, moving: Hearing | None = None
) -> None:
    """Refuse a time for ``case``'s hearing that the court cannot hold (see the module);
    ``moving`` is the hearing being postponed, which does not clash with itself."""
    if starts_at.tzinfo is None or starts_at.utcoffset() is None:
        raise Problem(
            "input_invalid", gettext("Give the time with its time zone."), field="time", status=422
        )
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise Problem(
            "input_invalid",
            gettext("A hearing is planned for %(min)s to %(max)s minutes.")
            % {"min": MIN_MINUTES, "max": MAX_MINUTES},
            field="minutes",
            status=422,
        )
    field = date_input(event)
    if starts_at <= clock.now():
        raise Problem(
            "schedule_too_soon", gettext("This time has passed."), field=field, status=422
        )
    if starts_at > clock.now() + MAX_AHEAD:
        raise Problem(
            "input_invalid",
            gettext("A hearing is scheduled at most two years ahead."),
            field=field,
            status=422,
        )
    pack = case.court.pack
    local = starts_at.astimezone(court_zone())
    for problem in (
        _notice_problem(pack, event, local.date()),
        _sitting_problem(case.court, local, minutes),
        _clash_problem(case, starts_at, minutes, moving),
        _party_problem(case, local.date(), field),
    ):
        if problem is not None:
            raise problem


def _notice_problem(pack: Pack, event: Event, day: date) -> Problem | None:
    """The notice the pack's periods counting back from the hearing's day need must still be
    possible from today (as a too-soon date is refused for any step, cases.actions)."""
    field = date_input(event)
    today = clock.today()
    lang = current_language()
    for limit_id in event.starts:
        limit = pack.time_limits[limit_id]
        if limit.direction != "before" or limit.starts_from != field:
            continue
        if compute_deadline(pack, limit_id, day).due >= today:
            continue
        message = gettext(
            "This date is too soon: %(limit)s must still be possible (%(basis)s)."
        ) % {"limit": limit.label.get(lang), "basis": limit.basis.article.get(lang)}
        earliest = add_period(today, limit.length, limit.unit)
        message += " " + gettext("The earliest day is %(day)s.") % {
            "day": formats.date_format(earliest, "DATE_FORMAT")
        }
        return Problem("schedule_too_soon", message, field=field, status=422)
    return None


def windows(court: Court) -> dict[int, list[Sitting]]:
    """The court's sittings by weekday (Monday 0)."""
    by_day: dict[int, list[Sitting]] = {}
    for sitting in Sitting.objects.filter(court=court):
        by_day.setdefault(sitting.weekday, []).append(sitting)
    return by_day


def describe_windows(sittings: list[Sitting]) -> str:
    """``09:00–12:00, 14:00–17:30``."""
    return ", ".join(f"{s.starts:%H:%M}–{s.ends:%H:%M}" for s in sittings)


def _sitting_problem(court: Court, local: datetime, minutes: int) -> Problem | None:
    sittings = windows(court)
    if not sittings:
        return None
    day = local.date()
    end = local + timedelta(minutes=minutes)
    weekday = str(dates.WEEKDAYS[day.weekday()])
    if day.weekday() not in sittings:
        message = gettext("The court does not sit on %(weekday)s.") % {"weekday": weekday}
    elif not court.pack.calendar.is_working_day(day):
        message = gettext("The court does not sit on %(day)s: it is a public holiday.") % {
            "day": formats.date_format(day, "DATE_FORMAT")
        }
    elif any(
        s.starts <= local.time() and end.date() == day and end.time() <= s.ends
        for s in sittings[day.weekday()]
    ):
        return None
    else:
        message = gettext(
            "On %(weekday)s the court sits %(windows)s: the hearing must begin and end within "
            "one of these (the court's time)."
        ) % {"weekday": weekday, "windows": describe_windows(sittings[day.weekday()])}
    return Problem("schedule_outside_sitting", message, field="time", status=422)


def judge_hearings(judge: Any, start: datetime, end: datetime) -> QuerySet[Hearing]:
    """The judge's hearings still to hold that overlap [start, end)."""
    return (
        Hearing.objects.filter(
            case__judge=judge,
            status__in=ACTIVE,
            starts_at__lt=end,
            starts_at__gt=start - timedelta(minutes=MAX_MINUTES),
        )
        .select_related("case__court")
        .order_by("starts_at")
    )


def ends_at(hearing: Hearing) -> datetime:
    return hearing.starts_at + timedelta(minutes=hearing.minutes)


def _clash_problem(
    case: Case, starts_at: datetime, minutes: int, moving: Hearing | None
) -> Problem | None:
    if case.judge_id is None:
        return None
    end = starts_at + timedelta(minutes=minutes)
    zone = court_zone()
    others = judge_hearings(case.judge_id, starts_at, end)
    if moving is not None:
        others = others.exclude(pk=moving.pk)
    for other in others:
        if ends_at(other) > starts_at:
            return Problem(
                "schedule_clash",
                gettext("The judge has another hearing from %(start)s to %(end)s.")
                % {
                    "start": formats.date_format(
                        other.starts_at.astimezone(zone), "DATETIME_FORMAT"
                    ),
                    "end": formats.time_format(ends_at(other).astimezone(zone), "TIME_FORMAT"),
                },
                field="time",
                status=422,
            )
    busy = busy_between(case.judge_id, starts_at, end).first()
    if busy is not None:
        return Problem(
            "schedule_clash",
            gettext("The judge is not available from %(start)s to %(end)s.")
            % {
                "start": formats.date_format(busy.starts_at.astimezone(zone), "DATETIME_FORMAT"),
                "end": formats.date_format(busy.ends_at.astimezone(zone), "DATETIME_FORMAT"),
            },
            field="time",
            status=422,
        )
    return None


def _party_problem(case: Case, day: date, field: str) -> Problem | None:
    entry = (
        Unavailability.objects.filter(case=case, starts_on__lte=day, ends_on__gte=day)
        .select_related("party")
        .first()
    )
    if entry is None:
        return None
    message = gettext("%(party)s said it cannot attend from %(from)s to %(to)s.") % {
        "party": entry.party.name,
        "from": formats.date_format(entry.starts_on, "DATE_FORMAT"),
        "to": formats.date_format(entry.ends_on, "DATE_FORMAT"),
    }
    if entry.reason:
        message += " " + gettext("Reason: %(reason)s") % {"reason": entry.reason}
    return Problem("schedule_party_unavailable", message, field=field, status=422)


def _candidates(sittings: dict[int, list[Sitting]], day: date) -> Iterator[datetime]:
    """Start times to try on ``day``, in the court's zone: each sitting (or, for a court with
    none, the usual working day) in half hours."""
    zone = court_zone()
    spans = (
        [(s.starts, s.ends) for s in sittings.get(day.weekday(), [])] if sittings else [DEFAULT_DAY]
    )
    for begin, end in spans:
        at = datetime.combine(day, begin, tzinfo=zone)
        last = datetime.combine(day, end, tzinfo=zone)
        while at < last:
            yield at
            at += SUGGEST_STEP


def first_free(case: Case, event: Event, minutes: int, after: datetime) -> datetime | None:
    """The first time from ``after`` on that passes every check, or None within a month: the
    time the scheduling page suggests."""
    first = after.astimezone(court_zone()).date()
    sittings = windows(case.court)
    moving = current_hearing(case)
    for offset in range(SUGGEST_DAYS):
        for at in _candidates(sittings, first + timedelta(days=offset)):
            if at < after:
                continue
            try:
                check_time(case, event, at, minutes, moving=moving)
            except Problem:
                continue
            return at
    return None


# --- what each person sees ------------------------------------------------------------------


def visible_hearings(user: Any) -> QuerySet[Hearing]:
    """The hearings of the cases ``user`` has a role in: a judge's own cases, every case of
    a clerk's court, a party's (or lawyer's) own."""
    return Hearing.objects.filter(case__in=policy.visible_cases(user)).select_related("case__court")


def busy_between(user: Any, start: datetime, end: datetime) -> QuerySet[Busy]:
    return Busy.objects.filter(user=user, starts_at__lt=end, ends_at__gt=start)


def is_staff(user: Any) -> bool:
    """Judges and clerks keep a calendar of busy time."""
    return bool(
        user.is_authenticated
        and CourtMembership.objects.filter(
            user=user, role__in=(CourtRole.JUDGE, CourtRole.CLERK), active=True
        ).exists()
    )


# --- the calendar address --------------------------------------------------------------------


def new_calendar_address(user: Any, request: Any = None) -> str:
    """A new secret for ``user``'s calendar address, returned once (only its hash is kept);
    an earlier address stops working."""
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        CalendarAddress.objects.update_or_create(
            user=user, defaults={"digest": hash_token(secret), "created_at": clock.now()}
        )
        security.record(user, "account:calendar:created", request)
    return secret


def end_calendar_address(user: Any, request: Any = None) -> None:
    with transaction.atomic():
        if CalendarAddress.objects.filter(user=user).delete()[0]:
            security.record(user, "account:calendar:ended", request)


def calendar_owner(secret: str) -> Any | None:
    """Whose calendar address ``secret`` is: None for an unknown or ended one, a closed
    account, or court staff without a second factor (as for their API tokens)."""
    address = (
        CalendarAddress.objects.select_related("user").filter(digest=hash_token(secret)).first()
    )
    if address is None or not address.user.is_active:
        return None
    is_staff, has_factor = staff_factor(address.user)
    if is_staff and not has_factor:
        return None
    return address.user


# --- busy time, sittings, unavailable days, time zones ---------------------------------------


def add_busy(user: Any, starts_at: datetime, ends_at: datetime, reason: str = "") -> Busy:
    """A judge or clerk marks time they cannot sit (leave, training, another court)."""
    if not is_staff(user):
        raise Problem("permission_denied", status=403)
    if ends_at <= starts_at:
        raise Problem(
            "input_invalid",
            gettext("The end must be after the start."),
            field="ends_at",
            status=422,
        )
    if ends_at <= clock.now():
        raise Problem(
            "input_invalid", gettext("This time has passed."), field="ends_at", status=422
        )
    return Busy.objects.create(
        user=user, starts_at=starts_at, ends_at=ends_at, reason=reason.strip()[:200]
    )


def remove_busy(user: Any, busy_id: int) -> None:
    """Only one's own busy time is removed; another's answers 404."""
    deleted = Busy.objects.filter(pk=busy_id, user_id=user.pk).delete()[0]
    if not deleted:
        raise NotFound()


def clerk_court(user: Any, slug: str) -> Court:
    """The court ``slug`` if ``user`` is its clerk; 404 otherwise."""
    court = Court.objects.filter(slug=slug).first()
    if court is None or not policy.is_clerk_of(user, court.pk):
        raise NotFound()
    return court


def add_sitting(user: Any, slug: str, weekday: int, starts: time, ends: time) -> Sitting:
    """A clerk adds a time the court sits for hearings (its own time zone)."""
    court = clerk_court(user, slug)
    if weekday not in range(7):
        raise Problem("input_invalid", field="weekday", status=422)
    if ends <= starts:
        raise Problem(
            "input_invalid", gettext("The end must be after the start."), field="ends", status=422
        )
    overlapping = Sitting.objects.filter(
        court=court, weekday=weekday, starts__lt=ends, ends__gt=starts
    )
    if overlapping.exists():
        raise Problem(
            "input_invalid",
            gettext("This overlaps a sitting the court has on that day."),
            field="starts",
            status=422,
        )
    return Sitting.objects.create(court=court, weekday=weekday, starts=starts, ends=ends)


def remove_sitting(user: Any, slug: str, sitting_id: int) -> None:
    court = clerk_court(user, slug)
    deleted = Sitting.objects.filter(pk=sitting_id, court=court).delete()[0]
    if not deleted:
        raise NotFound()


def add_unavailable(
    user: Any,
    case_id: UUID | str,
    party_id: int,
    starts_on: date,
    ends_on: date,
    reason: str = "",
) -> Unavailability:
    """A party (or whoever acts for it) says on which days it cannot attend a hearing: only
    days to come, at most `UNAVAILABLE_MAX_DAYS` in one entry, while the case is open."""
    case = policy.get_case(user, case_id)
    if party_id not in policy.own_parties(user, case):
        raise Problem(
            "role_not_allowed",
            gettext("You can say this only for your own side."),
            status=403,
        )
    if case.court.pack.states[case.state].terminal:
        raise Problem("wrong_state", status=409)
    if starts_on <= clock.today():
        raise Problem(
            "input_invalid",
            gettext("Give days to come, from tomorrow on."),
            field="starts_on",
            status=422,
        )
    if ends_on < starts_on:
        raise Problem(
            "input_invalid",
            gettext("The last day cannot be before the first."),
            field="ends_on",
            status=422,
        )
    if (ends_on - starts_on).days + 1 > UNAVAILABLE_MAX_DAYS:
        raise Problem(
            "input_invalid",
            gettext("One entry covers at most %(days)s days.") % {"days": UNAVAILABLE_MAX_DAYS},
            field="ends_on",
            status=422,
        )
    return Unavailability.objects.create(
        case=case,
        party_id=party_id,
        user=user,
        starts_on=starts_on,
        ends_on=ends_on,
        reason=reason.strip()[:300],
        created_at=clock.now(),
    )


def remove_unavailable(user: Any, case_id: UUID | str, entry_id: int) -> None:
    """Removing an entry of one's own side; another's answers 404."""
    case = policy.get_case(user, case_id)
    own = policy.own_parties(user, case)
    deleted = Unavailability.objects.filter(pk=entry_id, case=case, party_id__in=own).delete()[0]
    if not deleted:
        raise NotFound()


def set_time_zone(user: Any, name: str) -> None:
    """The zone the person reads times in; blank for the court's."""
    name = name.strip()
    if name and not known_zone(name):
        raise Problem(
            "time_zone_invalid",
            gettext("Choose a time zone from the list, e.g. Europe/London."),
            field="time_zone",
            status=422,
        )
    user.time_zone = name
    user.save(update_fields=["time_zone"])
