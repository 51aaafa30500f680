"""Pages of scheduling: scheduling and postponing a case's hearing, the calendars, busy time,
the court's sittings, a party's unavailable days, and the invitations as .ics files."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import dates, timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from netcourt.cases import actions as case_actions
from netcourt.cases import policy
from netcourt.cases.models import Case
from netcourt.cases.views import problem_page
from netcourt.core import clock
from netcourt.core.i18n import current_language
from netcourt.core.problems import Problem
from netcourt.hearings import actions, ics, scheduling
from netcourt.hearings.models import Busy, CalendarAddress, Hearing, Mode, Unavailability
from netcourt.hearings.schedule_forms import (
    BusyForm,
    HearingTimeForm,
    PostponeForm,
    ScheduleForm,
    SittingForm,
    UnavailableForm,
)
from netcourt.hearings.times import both_zones, court_zone, zone_of
from netcourt.procedure import Event
from netcourt.service.actions import attendance

CALENDAR_DAYS = 28  # the calendar page shows the next four weeks
# Refusals that no change to the form can cure: said on the hearing page instead.
NOT_HERE = ("stale_version", "wrong_state", "role_not_allowed")


def _apply(form: Any, problem: Problem) -> bool:
    """Show ``problem`` next to its field (or above the form); False when it is not about
    the form at all."""
    if problem.code in NOT_HERE or problem.status == 404:
        return False
    form.add_error(problem.field if problem.field in form.fields else None, problem.message)
    return True


def _ics(text: str, filename: str) -> HttpResponse:
    response = HttpResponse(text, content_type=f"{ics.MIME_TYPE}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- scheduling and postponing --------------------------------------------------------------


def _week(case: Case, day: date) -> list[dict[str, Any]]:
    """The judge's hearings and busy time, day by day, in the week of ``day`` (the court's
    time): what the person scheduling must fit around. Each hearing is under the day it
    begins on in the court's time, and only in the week it begins in; busy time under each
    day of the week it covers."""
    zone = court_zone()
    monday = day - timedelta(days=day.weekday())
    start = datetime.combine(monday, time(0), tzinfo=zone)
    end = start + timedelta(days=7)
    sittings = scheduling.windows(case.court)
    days: list[dict[str, Any]] = [
        {
            "day": monday + timedelta(days=n),
            "sittings": scheduling.describe_windows(sittings.get(n, [])),
            "items": [],
        }
        for n in range(7)
    ]
    if case.judge_id is not None:
        for hearing in scheduling.judge_hearings(case.judge_id, start, end):
            local = hearing.starts_at.astimezone(zone)
            n = (local.date() - monday).days
            if not 0 <= n < 7:
                continue  # began in the week before (read as it might run into this one)
            days[n]["items"].append(
                {
                    "start": local,
                    "end": scheduling.ends_at(hearing).astimezone(zone),
                    "hearing": hearing,
                    "this_case": hearing.case_id == case.pk,
                }
            )
        for busy in scheduling.busy_between(case.judge_id, start, end):
            first = max(busy.starts_at, start).astimezone(zone).date()
            last = (min(busy.ends_at, end) - timedelta(seconds=1)).astimezone(zone).date()
            for n in range(max((first - monday).days, 0), min((last - monday).days, 6) + 1):
                days[n]["items"].append({"start": busy.starts_at, "end": busy.ends_at})
    for entry in days:
        entry["items"].sort(key=lambda item: item["start"])
    return days


def _time_page(
    request: HttpRequest, case: Case, event: Event, form: HearingTimeForm, hearing: Hearing | None
) -> dict[str, Any]:
    pack = case.court.pack
    lang = current_language()
    modes = attendance(case)
    day = form.cleaned_data.get("hearing_at") if form.is_bound and form.is_valid() else None
    if day is None:
        day = form.initial.get("hearing_at") or clock.today()
    notice = [
        pack.time_limits[limit_id]
        for limit_id in event.starts
        if pack.time_limits[limit_id].starts_from == scheduling.date_input(event)
    ]
    return {
        "case": case,
        "form": form,
        "hearing": hearing,
        "when": both_zones(hearing.starts_at, request.user) if hearing else None,
        "event_label": event.label.get(lang),
        "basis": event.basis.article.get(lang) if event.basis else "",
        "notice": [
            {"label": limit.label.get(lang), "basis": limit.basis.article.get(lang)}
            for limit in notice
        ],
        "court_zone": court_zone().key,
        "mode": Mode(actions.mode_of(modes)).label,
        "parties": [
            {"party": party, "online": modes.get(str(party.pk)) == "online"}
            for party in case.people()
        ],
        "unavailable": Unavailability.objects.filter(
            case=case, ends_on__gte=clock.today()
        ).select_related("party"),
        "week": _week(case, day),
        "previous_week": day - timedelta(days=7),
        "next_week": day + timedelta(days=7),
        "error_forms": [form],
        "has_errors": bool(form.errors),
    }


def _open_step(request: HttpRequest, case_id: UUID) -> tuple[Case, Event, Hearing | None]:
    case = policy.get_case(request.user, case_id)
    event = scheduling.scheduling_step(case, policy.case_roles(request.user, case), refuse=True)
    assert event is not None
    return case, event, actions.current_hearing(case)


def _shown_day(request: HttpRequest) -> date | None:
    try:
        return date.fromisoformat(request.GET.get("week", ""))
    except ValueError:
        return None


def _take(request: HttpRequest, case: Case, form: HearingTimeForm) -> None:
    """Schedule or postpone with what ``form`` holds (valid)."""
    data = form.cleaned_data
    when = {"starts_at": form.starts_at(), "minutes": data["minutes"]}
    if isinstance(form, PostponeForm):
        scheduling.postpone(request.user, case.pk, data["version"], reasons=data["reasons"], **when)
    else:
        scheduling.schedule(
            request.user,
            case.pk,
            data["version"],
            public=data["public"],
            private_ground=data["private_ground"],
            **when,
        )


def _time_step(request: HttpRequest, case_id: UUID, *, moving: bool) -> HttpResponse:
    """The scheduling page (``moving``: the postponing page): the form, suggested with the
    first free time; refusals next to their field, or on the hearing page when no change to
    the form can cure them."""
    try:
        case, event, hearing = _open_step(request, case_id)
    except Problem as problem:
        return problem_page(request, problem)
    if (hearing is not None) != moving:
        return redirect("hearings:postpone" if hearing else "hearings:schedule", case.pk)
    form_class = PostponeForm if moving else ScheduleForm
    if request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid():
            try:
                _take(request, case, form)
            except Problem as problem:
                if not _apply(form, problem):
                    messages.error(request, problem.message)
                    return redirect("hearings:case", case.pk)
            else:
                messages.success(
                    request,
                    _("The hearing is moved; the parties are told.")
                    if moving
                    else _("The hearing is scheduled; the parties are told."),
                )
                return redirect("hearings:case", case.pk)
        context = _time_page(request, case, event, form, hearing)
        return render(request, "hearings/schedule.html", context, status=422)
    case_actions.log_access(request.user, case, "hearing.schedule")
    minutes = hearing.minutes if hearing is not None else 30
    form = form_class(initial=_suggested(case, event, _shown_day(request), minutes))
    return render(
        request, "hearings/schedule.html", _time_page(request, case, event, form, hearing)
    )


def _suggested(case: Case, event: Event, day: date | None, minutes: int) -> dict[str, Any]:
    """The form's first values: the first free time (from ``day`` when asked for a week)."""
    after = clock.now()
    if day is not None:
        after = max(after, datetime.combine(day, time(0), tzinfo=court_zone()))
    free = scheduling.first_free(case, event, minutes, after)
    initial: dict[str, Any] = {"version": case.version, "minutes": minutes, "public": True}
    if free is not None:
        local = free.astimezone(court_zone())
        initial.update(hearing_at=local.date(), time=local.time())
    elif day is not None:
        initial["hearing_at"] = day
    return initial


@login_required
@require_http_methods(["GET", "POST"])
def schedule_page(request: HttpRequest, case_id: UUID) -> HttpResponse:
    """Schedule the case's hearing: the time (a free one suggested), its length, whether it
    is public; the mode the parties' consents give, the judge's week and the parties'
    unavailable days beside it."""
    return _time_step(request, case_id, moving=False)


@login_required
@require_http_methods(["GET", "POST"])
def postpone_page(request: HttpRequest, case_id: UUID) -> HttpResponse:
    """Move the scheduled hearing, with the reasons; the invitations follow."""
    return _time_step(request, case_id, moving=True)


# --- invitations ----------------------------------------------------------------------------


@login_required
@require_GET
def invitation(request: HttpRequest, hearing_id: UUID) -> HttpResponse:
    """The hearing's invitation, for anyone who may see the hearing (404 for anyone else)."""
    hearing = Hearing.objects.select_related("case__court").filter(pk=hearing_id).first()
    if hearing is None or actions.place_for(request.user, hearing) is None:
        return problem_page(request, Problem("not_found", status=404))
    in_case = bool(policy.case_roles(request.user, hearing.case))
    if in_case:
        case_actions.log_access(request.user, hearing.case, "hearing.invitation")
    return _ics(ics.invitation(hearing, request.user, in_case=in_case), "hearing.ics")


def _hearings_of(user: Any) -> Any:
    """The person's hearings from a month ago on, for a calendar file or feed."""
    since = clock.now() - timedelta(days=31)
    return scheduling.visible_hearings(user).filter(starts_at__gte=since).order_by("starts_at")


@login_required
@require_GET
def calendar_feed(request: HttpRequest) -> HttpResponse:
    """Every hearing of the person's, from a month ago on, as one calendar file."""
    return _ics(ics.calendar(_hearings_of(request.user)), "hearings.ics")


@require_GET
def subscribed_feed(request: HttpRequest, secret: str) -> HttpResponse:
    """The calendar address: the same hearings, for a calendar application that subscribes
    without signing in, in the person's own language. It leaves out the cases' titles (which
    may name the parties): the feed may be kept by a calendar service outside the court."""
    user = scheduling.calendar_owner(secret)
    if user is None:  # (the log's line masks the secret: netcourt.core.logs)
        return problem_page(request, Problem("not_found", status=404))
    with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
        text = ics.calendar(_hearings_of(user), titles=False)
    return _ics(text, "hearings.ics")


@login_required
@require_POST
def calendar_address(request: HttpRequest) -> HttpResponse:
    """Make a new calendar address (shown once, on the calendar page) or end the one there is."""
    if request.POST.get("action") == "end":
        scheduling.end_calendar_address(request.user, request)
        messages.success(request, _("Your calendar address was ended."))
        return redirect("hearings:calendar")
    secret = scheduling.new_calendar_address(request.user, request)
    address = request.build_absolute_uri(reverse("hearings:subscribed-feed", args=[secret]))
    response = _calendar_page(request, new_address=address)
    response["Cache-Control"] = "private, no-store"
    return response


# --- the calendar page and busy time --------------------------------------------------------


def _calendar_days(user: Any) -> tuple[list[dict[str, Any]], str]:
    """The person's hearings (and, for court staff, their busy time) over the next four weeks,
    by day in their own zone."""
    zone = zone_of(user)
    today = clock.now().astimezone(zone).date()
    start = datetime.combine(today, time(0), tzinfo=zone)
    end = start + timedelta(days=CALENDAR_DAYS)
    by_day: dict[date, list[dict[str, Any]]] = {}
    hearings = scheduling.visible_hearings(user).filter(starts_at__gte=start, starts_at__lt=end)
    for hearing in hearings.order_by("starts_at"):
        local = hearing.starts_at.astimezone(zone)
        by_day.setdefault(local.date(), []).append(
            {
                "start": hearing.starts_at,
                "end": scheduling.ends_at(hearing),
                "when": both_zones(hearing.starts_at, user),
                "hearing": hearing,
            }
        )
    for busy in scheduling.busy_between(user, start, end):
        day = max(busy.starts_at, start).astimezone(zone).date()
        last = (min(busy.ends_at, end) - timedelta(seconds=1)).astimezone(zone).date()
        while day <= last:
            by_day.setdefault(day, []).append(
                {"start": busy.starts_at, "end": busy.ends_at, "busy": busy}
            )
            day += timedelta(days=1)
    days = [
        {"day": day, "items": sorted(items, key=lambda item: item["start"])}
        for day, items in sorted(by_day.items())
    ]
    return days, zone.key


def _calendar_page(
    request: HttpRequest,
    form: BusyForm | None = None,
    status: int = 200,
    new_address: str = "",
) -> HttpResponse:
    user: Any = request.user
    days, zone = _calendar_days(user)
    staff = scheduling.is_staff(user)
    if staff and form is None:
        form = BusyForm()
    return render(
        request,
        "hearings/calendar.html",
        {
            "days": days,
            "zone": zone,
            "court_zone": court_zone().key,
            "staff": staff,
            "busy": Busy.objects.filter(user=user, ends_at__gt=clock.now()) if staff else [],
            "form": form if staff else None,
            "courts": policy.clerk_courts(user),
            "error_forms": [form] if form is not None else [],
            "has_errors": bool(form is not None and form.errors),
            "new_address": new_address,
            "has_address": CalendarAddress.objects.filter(user=user).exists(),
        },
        status=status,
    )


@login_required
@require_GET
def calendar_page(request: HttpRequest) -> HttpResponse:
    """The person's hearings for the next four weeks: a judge's cases, a clerk's courts, a
    party's own; judges and clerks also mark the time they cannot sit."""
    return _calendar_page(request)


@login_required
@require_POST
def busy_add(request: HttpRequest) -> HttpResponse:
    form = BusyForm(request.POST)
    with timezone.override(zone_of(request.user)):  # the times are in the person's zone
        valid = form.is_valid()
    if valid:
        data = form.cleaned_data
        try:
            scheduling.add_busy(request.user, data["starts_at"], data["ends_at"], data["reason"])
        except Problem as problem:
            if problem.status != 422:
                return problem_page(request, problem)
            _apply(form, problem)
        else:
            messages.success(request, _("The time is marked busy."))
            return redirect("hearings:calendar")
    return _calendar_page(request, form, status=422)


@login_required
@require_POST
def busy_remove(request: HttpRequest, busy_id: int) -> HttpResponse:
    try:
        scheduling.remove_busy(request.user, busy_id)
    except Problem as problem:
        return problem_page(request, problem)
    messages.success(request, _("The busy time is removed."))
    return redirect("hearings:calendar")


# --- the court's sittings -------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def sittings_page(request: HttpRequest, slug: str) -> HttpResponse:
    """When the court sits for hearings: its clerks add and remove the weekly windows."""
    try:
        court = scheduling.clerk_court(request.user, slug)
    except Problem as problem:
        return problem_page(request, problem)
    form = SittingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            scheduling.add_sitting(
                request.user, slug, data["weekday"], data["starts"], data["ends"]
            )
        except Problem as problem:
            _apply(form, problem)
        else:
            messages.success(request, _("The sitting is added."))
            return redirect("hearings:sittings", slug)
    by_day = scheduling.windows(court)
    rows = [{"weekday": dates.WEEKDAYS[n], "sittings": by_day.get(n, [])} for n in range(7)]
    return render(
        request,
        "hearings/calendar_sittings.html",
        {
            "court": court,
            "rows": rows,
            "form": form,
            "court_zone": court_zone().key,
            "error_forms": [form],
            "has_errors": bool(form.errors),
        },
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
def sitting_remove(request: HttpRequest, slug: str, sitting_id: int) -> HttpResponse:
    try:
        scheduling.remove_sitting(request.user, slug, sitting_id)
    except Problem as problem:
        return problem_page(request, problem)
    messages.success(request, _("The sitting is removed."))
    return redirect("hearings:sittings", slug)


# --- a party's unavailable days -------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def unavailable_page(request: HttpRequest, case_id: UUID) -> HttpResponse:
    """The days a party cannot attend a hearing: its own side adds and removes them; the
    judge and the clerk see every side's (the other side sees none of them)."""
    try:
        case = policy.get_case(request.user, case_id)
    except Problem as problem:
        return problem_page(request, problem)
    own = policy.own_parties(request.user, case)
    roles = policy.case_roles(request.user, case)
    parties = [p for p in case.people() if p.pk in own]
    form = UnavailableForm(request.POST or None, parties=parties) if parties else None
    if request.method == "POST":
        if form is None:
            return problem_page(request, Problem("role_not_allowed", status=403))
        if form.is_valid():
            data = form.cleaned_data
            try:
                scheduling.add_unavailable(
                    request.user,
                    case.pk,
                    data["party"],
                    data["starts_on"],
                    data["ends_on"],
                    data["reason"],
                )
            except Problem as problem:
                if not _apply(form, problem):
                    return problem_page(request, problem)
            else:
                messages.success(request, _("The days are recorded; the judge sees them."))
                return redirect("hearings:unavailable", case.pk)
    else:
        case_actions.log_access(request.user, case, "hearing.unavailable")
    entries = Unavailability.objects.filter(case=case).select_related("party")
    if not roles & {"judge", "clerk"}:
        entries = entries.filter(party_id__in=own)
    return render(
        request,
        "hearings/unavailable.html",
        {
            "case": case,
            "form": form,
            "entries": entries,
            "own": own,
            "today": clock.today(),
            "max_days": scheduling.UNAVAILABLE_MAX_DAYS,
            "error_forms": [form] if form is not None else [],
            "has_errors": bool(form is not None and form.errors),
        },
        status=422 if form is not None and form.errors else 200,
    )


@login_required
@require_POST
def unavailable_remove(request: HttpRequest, case_id: UUID, entry_id: int) -> HttpResponse:
    try:
        scheduling.remove_unavailable(request.user, case_id, entry_id)
    except Problem as problem:
        return problem_page(request, problem)
    messages.success(request, _("The days are removed."))
    return redirect("hearings:unavailable", case_id)
