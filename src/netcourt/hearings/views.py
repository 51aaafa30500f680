"""The hearing pages: the case's hearings, the self-test, entering the room, recordings."""

from __future__ import annotations

import functools
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from netcourt.accounts.mfa import confirm_second_factor, last_second_factor
from netcourt.accounts.models import User
from netcourt.cases import actions as case_actions
from netcourt.cases import policy
from netcourt.cases.models import Case
from netcourt.cases.views import problem_page
from netcourt.core import clock
from netcourt.core.downloads import continues_a_read, file_response
from netcourt.core.i18n import current_language
from netcourt.core.problems import Problem
from netcourt.courts.models import Court, CourtRole
from netcourt.evidence.store import plaintext
from netcourt.hearings import actions, stats
from netcourt.hearings.forms import InviteForm
from netcourt.hearings.models import (
    Hearing,
    HearingStatus,
    Mode,
    Recording,
    RecordingStatus,
    Role,
)
from netcourt.hearings.room import READS_RECORD
from netcourt.hearings.times import both_zones, court_time
from netcourt.service.notifications import tell

# Who sees what was recorded: the court and the parties (not public viewers, not witnesses).
PLAYBACK_ROLES = frozenset({"judge", "clerk", *policy.PARTY_ROLES})
STAFF_ROLES = policy.COURT_ROLES
STATISTICS_DAYS = 90

# What the room's script says, in the person's language.
ROOM_TEXT = {
    "connecting": _("Connecting…"),
    "waiting": _("You are in the waiting room."),
    "admitted": _("You are in the hearing."),
    "locked": _("The judge has locked the hearing: no one else can enter."),
    "unlocked": _("The hearing is open to those invited."),
    "muted": _("The judge has muted your microphone."),
    "unmuted": _("The judge has unmuted your microphone."),
    "removed": _("The judge removed you from the hearing."),
    "ended": _("The hearing has ended."),
    "paused": _(
        "The judge has left and the hearing is paused. Enter again when the judge is back."
    ),
    "left": _("You left the hearing."),
    "lost": _("The connection to the hearing was lost. Go back and enter again."),
    "noMedia": _(
        "Your camera or microphone could not be used. Check the browser's permission, or try "
        "audio only."
    ),
    "admit": _("Admit"),
    "call": _("Call in"),
    "remove": _("Remove"),
    "mute": _("Mute"),
    "unmute": _("Unmute"),
    "allowScreen": _("Allow screen sharing"),
    "denyScreen": _("Stop their screen sharing"),
    "waitingTag": _("waiting"),
    "mutedTag": _("muted"),
    "screenOf": _("Screen of %(name)s"),
    "lock": _("Lock the hearing"),
    "unlock": _("Unlock the hearing"),
    "muteMe": _("Mute my microphone"),
    "unmuteMe": _("Unmute my microphone"),
    "cameraOff": _("Turn my camera off"),
    "cameraOn": _("Turn my camera on"),
    "confirmEnd": _(
        "End the hearing for everyone? The recordings are then stored and the case moves on."
    ),
    "saved": _("Saved."),
    "stale": _(
        "The record was changed by someone else; their text is shown. Add your change again."
    ),
    "screenAllowed": _("The judge allows you to share your screen."),
    "screenDenied": _("You may no longer share your screen."),
}

SELF_TEST_TEXT = {
    "running": _("Testing… speak and move a little."),
    "done": _("Test finished."),
    "cameraOk": _("works (%(width)s×%(height)s)"),
    "cameraNone": _("no picture: check the browser's permission and that no other program uses it"),
    "micOk": _("works: sound heard"),
    "micSilent": _("no sound heard: check it is not muted"),
    "good": _("good (round trip %(ms)s ms, %(loss)s%% lost): video works"),
    "weak": _("weak (round trip %(ms)s ms, %(loss)s%% lost): choose audio only in the hearing"),
    "failed": _("the court's media server could not be reached from this network"),
}


def _hearing_of(request: HttpRequest, hearing_id: UUID) -> tuple[Hearing, Case, set[str]]:
    """The hearing and its case, if the person has a role in the case or the hearing is
    public; 404 otherwise (a hearing of a case one cannot see does not exist for them)."""
    hearing = (
        Hearing.objects.select_related("case__court", "case__judge", "scheduled_by")
        .filter(pk=hearing_id)
        .first()
    )
    if hearing is None:
        raise Problem("not_found", status=404)
    roles = policy.case_roles(request.user, hearing.case)
    if not roles and actions.place_for(request.user, hearing) is None:
        raise Problem("not_found", status=404)
    return hearing, hearing.case, roles


@login_required
def case_hearing(request: HttpRequest, case_id: UUID) -> HttpResponse:
    """The case's hearings: when, how, who; entering the room; the recordings and the log."""
    try:
        case = policy.get_case(request.user, case_id)
    except Problem as problem:
        return problem_page(request, problem)
    return _case_page(request, case)


def _case_page(
    request: HttpRequest, case: Case, bound: InviteForm | None = None, status: int = 200
) -> HttpResponse:
    """The case's hearings page; ``bound``: a call of a witness or an interpreter that was
    refused, shown with what was typed and each reason next to its field."""
    case_actions.log_access(request.user, case, "hearing.view")
    roles = policy.case_roles(request.user, case)
    open_ids = {e.id for e in case_actions.open_steps(case, roles)}
    shown = [
        _item(request, hearing, roles, bound)
        for hearing in case.hearings.select_related("scheduled_by").order_by("-starts_at")
    ]
    forms = [item["invite_form"] for item in shown if item["invite_form"] is not None]
    return render(
        request,
        "hearings/case.html",
        {
            "case": case,
            "hearings": shown,
            "may_schedule": "schedule_hearing" in open_ids,
            "may_postpone": "postpone_hearing" in open_ids,
            "error_forms": forms,
            "has_errors": any(form.errors for form in forms),
        },
        status=status,
    )


def _item(
    request: HttpRequest, hearing: Hearing, roles: set[str], bound: InviteForm | None = None
) -> dict[str, Any]:
    """What the person may see of one hearing: when (in their zone too), their place, and for
    the court and the parties the recordings; for the court the room's log and the form that
    calls a witness or an interpreter (``bound``, when it is this hearing's)."""
    place = actions.place_for(request.user, hearing)
    may_invite = bool(roles & {"judge", "clerk"}) and hearing.status in (
        HearingStatus.SCHEDULED,
        HearingStatus.OPEN,
    )
    invite_form = None
    if may_invite:
        ours = bound is not None and bound.hearing_id == hearing.pk
        invite_form = bound if ours else InviteForm(hearing_id=hearing.pk)
    item: dict[str, Any] = {
        "hearing": hearing,
        "when": both_zones(hearing.starts_at, request.user),
        "place": place[0] if place else None,
        "in_court": actions.in_court_because(hearing, place[1]) if place else "",
        "recordings": [],
        "log": [],
        "may_invite": may_invite,
        "invite_form": invite_form,
    }
    if roles & PLAYBACK_ROLES:
        item["recordings"] = list(
            Recording.objects.filter(hearing=hearing).select_related("participant", "blob")
        )
    if roles & STAFF_ROLES:
        item["log"] = list(hearing.log.select_related("participant", "by"))
    return item


@require_GET
def public_hearings(request: HttpRequest) -> HttpResponse:
    """The public hearings of the coming days, for anyone: when, which court, which case and
    kind of dispute, where; no party is named. A signed-in person watches one online from its
    page."""
    lang = current_language()
    rows = [
        {
            "hearing": hearing,
            "when": both_zones(hearing.starts_at, request.user),
            "court": hearing.case.court.name_in(lang),
            "category": hearing.case.court.pack.categories[hearing.case.category].label.get(lang),
            "online": hearing.mode != Mode.OFFLINE,
        }
        for hearing in actions.public_hearings()
    ]
    return render(request, "hearings/public.html", {"rows": rows, "days": actions.PUBLIC_DAYS})


@login_required
def hearing_page(request: HttpRequest, hearing_id: UUID) -> HttpResponse:
    """One hearing, for whoever has a place in it: a called witness or interpreter, or a
    member of the public for a public hearing, who see nothing else of the case."""
    try:
        hearing, case, roles = _hearing_of(request, hearing_id)
    except Problem as problem:
        return problem_page(request, problem)
    if roles:
        case_actions.log_access(request.user, case, "hearing.view")
    return render(
        request, "hearings/hearing.html", {"case": case, "item": _item(request, hearing, roles)}
    )


@login_required
@require_POST
def invite(request: HttpRequest, hearing_id: UUID) -> HttpResponse:
    """The judge or the clerk calls a witness or an interpreter (who has an account) to the
    hearing; they are told, with the hearing's page, and wait to be called in. A call that
    is refused comes back on the case's hearings page, the reason next to its field."""
    try:
        hearing, case, _roles = _hearing_of(request, hearing_id)
        if not actions.may_call(request.user, hearing):
            raise Problem("role_not_allowed", status=403)
    except Problem as problem:
        return problem_page(request, problem)
    form = InviteForm(request.POST, hearing_id=hearing.pk)
    if not form.is_valid():
        return _case_page(request, case, form, status=422)
    data = form.cleaned_data
    person = User.objects.filter(email__iexact=data["email"], is_active=True).first()
    try:
        if person is None:
            raise Problem(
                "input_invalid",
                _("No account of the court has this e-mail address."),
                field="email",
                status=422,
            )
        called = actions.invite(hearing, person, data["role"], request.user)
    except Problem as problem:
        if problem.status in (403, 404):
            return problem_page(request, problem)
        if problem.field not in form.fields:  # not about what was typed (the hearing ended)
            messages.error(request, problem.message)
            return redirect(reverse("hearings:case", args=[case.pk]))
        form.add_error(problem.field, problem.message)
        return _case_page(request, case, form, status=problem.status)
    _tell_called(hearing, case, person, called)
    if called.was is not None:
        messages.success(
            request,
            gettext(
                "They were called as %(was)s; they are now called as %(role)s and have been told."
            )
            % {"was": Role(called.was).label, "role": called.participant.get_role_display()},
        )
    else:
        messages.success(request, _("They are called and have been told."))
    return redirect(reverse("hearings:case", args=[case.pk]))


def _tell_called(hearing: Hearing, case: Case, person: User, called: actions.Called) -> None:
    """The called person's notice, in their language: the role they are called as (and, when
    the call changed it, the one they were called as before)."""
    participant = called.participant
    link = settings.NETCOURT_BASE_URL + reverse("hearings:hearing", args=[hearing.pk])

    def compose(lang: str) -> tuple[str, str]:
        values = {
            "role": participant.get_role_display(),
            "case": case.number,
            "when": court_time(hearing.starts_at),
            "link": link,
            "court": case.court.name_in(lang),
        }
        in_courtroom = hearing.mode == Mode.OFFLINE
        if called.was is None and in_courtroom:
            body = gettext(
                "You are called as %(role)s to the hearing of case %(case)s on %(when)s (court "
                "time), held in the courtroom of the %(court)s: come to the court in person. "
                "The hearing's page: %(link)s"
            )
        elif called.was is None:
            body = gettext(
                "You are called as %(role)s to the hearing of case %(case)s on %(when)s (court "
                "time). Enter it from %(link)s; you wait in the waiting room until the judge "
                "calls you in."
            )
        elif in_courtroom:
            values["was"] = str(Role(called.was).label)
            body = gettext(
                "You are now called as %(role)s, no longer as %(was)s, to the hearing of case "
                "%(case)s on %(when)s (court time), held in the courtroom of the %(court)s: come "
                "to the court in person. The hearing's page: %(link)s"
            )
        else:
            values["was"] = str(Role(called.was).label)
            body = gettext(
                "You are now called as %(role)s, no longer as %(was)s, to the hearing of case "
                "%(case)s on %(when)s (court time). Enter it from %(link)s; you wait in the "
                "waiting room until the judge calls you in."
            )
        return gettext("You are called to a hearing"), body % values

    tell([person], compose, link=reverse("hearings:hearing", args=[hearing.pk]))


@login_required
def self_test(request: HttpRequest) -> HttpResponse:
    """Camera, microphone and connection, tried against the court's own media server."""
    texts = {key: str(text) for key, text in SELF_TEST_TEXT.items()}
    return render(
        request,
        "hearings/self_test.html",
        {
            "config": {
                "socket": "/hearings/self-test/socket",
                "iceServers": _ice_servers(),
                "texts": texts,
            }
        },
    )


@login_required
@require_POST
def enter(request: HttpRequest, hearing_id: UUID) -> HttpResponse:
    """Give the person a single-use pass and the room page that uses it at once."""
    try:
        hearing, case, _roles = _hearing_of(request, hearing_id)
        participant = actions.participant_for(request.user, hearing)
        if participant is None:
            raise Problem("not_found", status=404)
        raw = actions.issue_pass(participant, last_second_factor(request))
    except Problem as problem:
        if problem.code == "step_up_required":
            back = reverse("hearings:case", args=[hearing.case_id])
            return confirm_second_factor(request, problem, back)
        return problem_page(request, problem)
    response = render(
        request,
        "hearings/room.html",
        {
            "case": case,
            "hearing": hearing,
            "participant": participant,
            "reads_record": participant.role in READS_RECORD,
            "texts": {
                **{key: str(text) for key, text in ROOM_TEXT.items()},
                "roles": {value: str(label) for value, label in Role.choices},
            },
            "room": {
                "socket": f"/hearings/{hearing.pk}/room",
                "pass": raw,
                "me": participant.pk,
                "name": participant.name,
                "role": participant.role,
                "publishes": participant.role != Role.VIEWER,
                "iceServers": _ice_servers(),
            },
        },
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def recording(
    request: HttpRequest, hearing_id: UUID, recording_id: UUID
) -> HttpResponse | StreamingHttpResponse:
    """Play a recording: the judge, the clerk and the parties. Shown in the browser (no
    attachment), whole or the byte range a player asks for to seek; each request for its
    bytes is logged, but a player's seeking counts with the playing it continues."""
    try:
        hearing, case, roles = _hearing_of(request, hearing_id)
    except Problem as problem:
        return problem_page(request, problem)
    row = (
        Recording.objects.select_related("blob")
        .filter(pk=recording_id, hearing=hearing, status=RecordingStatus.STORED)
        .first()
    )
    if row is None or row.blob is None or not roles & PLAYBACK_ROLES:
        raise Http404()
    case_actions.log_access(
        request.user, case, f"recording:{row.pk}", continuing=continues_a_read(request)
    )
    blob = row.blob
    blob.case = case
    return file_response(
        request,
        functools.partial(plaintext, blob),
        mime=blob.mime,
        size=blob.size,
        sha256=blob.sha256,
    )


@login_required
def statistics(request: HttpRequest) -> HttpResponse:
    """The hearing statistics of the courts where the person is clerk or president."""
    user: Any = request.user
    courts = list(
        Court.objects.filter(
            memberships__user=user,
            memberships__role__in=(CourtRole.CLERK, CourtRole.PRESIDENT),
            memberships__active=True,
        ).distinct()
    )
    if not courts:
        raise Http404()
    until = clock.now()
    since = until - timedelta(days=STATISTICS_DAYS)
    return render(
        request,
        "hearings/statistics.html",
        {
            "days": STATISTICS_DAYS,
            "courts": [(court, stats.for_court(court.pk, since, until)) for court in courts],
            "modes": dict(Mode.choices),
        },
    )


def _ice_servers() -> list[dict[str, Any]]:
    return list(settings.NETCOURT_ICE_SERVERS)
