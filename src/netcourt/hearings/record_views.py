"""The pages of what a trial leaves in writing: the hearing record (read it, write it, sign
it, close it, download its PDF) and the asynchronous trial (its conditions, its questions and
answers, its steps). Thin: each request is parsed, one action called, the page rendered."""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from netcourt.accounts.mfa import confirm_second_factor, last_second_factor
from netcourt.cases import actions as case_actions
from netcourt.cases import policy
from netcourt.cases.forms import event_form
from netcourt.cases.models import Case
from netcourt.cases.present import deadline as present_deadline
from netcourt.cases.present import event_label
from netcourt.cases.views import problem_page
from netcourt.core.downloads import file_download
from netcourt.core.i18n import current_language
from netcourt.core.numbers import whole_number
from netcourt.core.problems import NotFound, Problem
from netcourt.evidence.models import Blob
from netcourt.evidence.store import plaintext
from netcourt.hearings import asynchronous, record
from netcourt.hearings.models import Hearing, HearingStatus
from netcourt.hearings.record_forms import RecordTextForm, SignForm
from netcourt.hearings.times import both_zones
from netcourt.procedure import available_events

# Where a signature waits while its signer confirms their second factor.
SIGN_DRAFT = "hearings.record_sign:{}"


def _hearing(request: HttpRequest, hearing_id: UUID) -> tuple[Hearing, set[str]]:
    """The hearing and the person's roles in its case; 404 when they have none."""
    hearing = (
        Hearing.objects.select_related("case__court", "case__judge").filter(pk=hearing_id).first()
    )
    if hearing is None:
        raise NotFound()
    return hearing, record.roles_in(request.user, hearing)


def _refusal(request: HttpRequest, problem: Problem, back: str) -> HttpResponse | None:
    """Where a refusal takes the person, when it is somewhere else: a second-factor check,
    or the identity check; None to say it on the page."""
    if problem.code == "step_up_required":
        return confirm_second_factor(request, problem, back)
    if problem.code == "assurance_required":
        messages.error(request, problem.message)
        return redirect(f"{reverse('account_identity')}?{urlencode({'next': back})}")
    return None


def _download(request: HttpRequest, case: Case, blob: Blob) -> HttpResponse | StreamingHttpResponse:
    """The PDF, whole or the byte range asked for (the caller has logged the read)."""
    blob.case = case
    return file_download(
        request,
        functools.partial(plaintext, blob),
        mime=blob.mime,
        size=blob.size,
        filename=blob.filename,
        sha256=blob.sha256,
    )


# --- the hearing record ------------------------------------------------------------------


def _record_context(
    request: HttpRequest,
    hearing: Hearing,
    roles: set[str],
    *,
    text_form: RecordTextForm | None = None,
    sign_form: SignForm | None = None,
) -> dict[str, Any]:
    case = hearing.case
    row = record.record_of(hearing)
    closed = row is not None and row.closed_at is not None
    signable = record.ready(hearing, row) and not closed
    open_ids = {e.id for e in case_actions.open_steps(case, roles)}
    revision = row.revision if row else 0
    signatures = list(row.signatures.select_related("party", "user")) if row else []
    parties = []
    for party in case.people():
        own = [s for s in signatures if s.party_id == party.pk]
        parties.append(
            {
                "party": party,
                "signatures": own,
                "current": any(s.revision == revision for s in own),
            }
        )
    signers = (
        record.signable_parties(request.user, hearing, row)
        if record.SIGN_EVENT in open_ids and signable
        else []
    )
    if signers and sign_form is None:
        draft = request.session.pop(SIGN_DRAFT.format(hearing.pk), None)
        initial = draft if draft and draft.get("revision") == revision else {}
        sign_form = SignForm(initial={"revision": revision, **initial}, parties=signers)
    may_write = (
        bool(roles & record.WRITER_ROLES)
        and not closed
        and hearing.status != HearingStatus.CANCELLED
    )
    if may_write and text_form is None:
        text_form = RecordTextForm(initial={"text": row.text if row else "", "revision": revision})
    forms = [f for f in (text_form, sign_form) if f is not None]
    return {
        "case": case,
        "hearing": hearing,
        "when": both_zones(hearing.starts_at, request.user),
        "row": row,
        "revision": revision,
        "closed": closed,
        "parties": parties,
        "text_form": text_form if may_write else None,
        "sign_form": sign_form if signers else None,
        "may_close": (record.CLOSER_ROLE in roles and record.CLOSE_EVENT in open_ids and signable),
        "may_download": closed and bool(roles & record.READER_ROLES),
        "error_forms": forms,
        "has_errors": any(f.errors for f in forms),
    }


def _record_url(hearing: Hearing) -> str:
    return reverse("hearings:record", args=[hearing.pk])


@login_required
@require_GET
def record_page(request: HttpRequest, hearing_id: UUID) -> HttpResponse:
    """The record of a hearing, its revision and signatures; the clerk's form, a party's
    signature, the clerk's closing, the PDF once closed."""
    try:
        hearing, roles = _hearing(request, hearing_id)
    except Problem as problem:
        return problem_page(request, problem)
    case_actions.log_access(request.user, hearing.case, "hearing.record")
    return render(request, "hearings/record.html", _record_context(request, hearing, roles))


@login_required
@require_POST
def record_text(request: HttpRequest, hearing_id: UUID) -> HttpResponse:
    """Save the record's text from the plain form (the room saves it as the clerk types)."""
    try:
        hearing, roles = _hearing(request, hearing_id)
    except Problem as problem:
        return problem_page(request, problem)
    form = RecordTextForm(request.POST)
    if form.is_valid():
        try:
            row = record.update_text(
                hearing, request.user, form.cleaned_data["text"], form.cleaned_data["revision"]
            )
        except Problem as problem:
            if problem.code not in ("record_stale", "input_invalid"):
                messages.error(request, problem.message)
                return redirect(_record_url(hearing))
            if problem.code == "record_stale":
                # Keep what the person wrote, from the revision now current: they compare it
                # with the record shown above and save again.
                data = request.POST.copy()
                data["revision"] = str(problem.extra["current_revision"])
                form = RecordTextForm(data)
                form.is_valid()
            form.add_error("text" if problem.field == "text" else None, problem.message)
        else:
            messages.success(
                request,
                _("The record was saved (revision %(revision)s).") % {"revision": row.revision},
            )
            return redirect(_record_url(hearing))
    context = _record_context(request, hearing, roles, text_form=form)
    return render(request, "hearings/record.html", context, status=422)


@login_required
@require_POST
def record_sign(request: HttpRequest, hearing_id: UUID) -> HttpResponse:
    """A party's decision on the record and its electronic signature (second factor)."""
    try:
        hearing, roles = _hearing(request, hearing_id)
    except Problem as problem:
        return problem_page(request, problem)
    back = _record_url(hearing)
    signers = record.signable_parties(request.user, hearing, record.record_of(hearing))
    if not signers:
        messages.error(request, _("There is nothing for you to sign here now."))
        return redirect(back)
    form = SignForm(request.POST, parties=signers)
    if form.is_valid():
        data = form.cleaned_data
        try:
            record.sign(
                request.user,
                hearing,
                data["party"],
                data["decision"],
                data["objection"],
                data["revision"],
                last_second_factor(request),
            )
        except Problem as problem:
            if problem.code == "step_up_required":
                request.session[SIGN_DRAFT.format(hearing.pk)] = dict(data)
            if (where := _refusal(request, problem, back)) is not None:
                return where
            if problem.field in form.fields:
                form.add_error(problem.field, problem.message)
            else:
                messages.error(request, problem.message)
                return redirect(back)
        else:
            messages.success(request, _("Your signature on the record was recorded."))
            return redirect(back)
    context = _record_context(request, hearing, roles, sign_form=form)
    return render(request, "hearings/record.html", context, status=422)


@login_required
@require_POST
def record_close(request: HttpRequest, hearing_id: UUID) -> HttpResponse:
    """The clerk closes the record: its PDF is made, stored and logged."""
    try:
        hearing, _roles = _hearing(request, hearing_id)
        record.close(request.user, hearing)
    except NotFound as problem:
        return problem_page(request, problem)
    except Problem as problem:
        messages.error(request, problem.message)
    else:
        messages.success(request, _("The record was closed and filed."))
    return redirect(_record_url(hearing))


@login_required
@require_GET
def record_pdf(request: HttpRequest, hearing_id: UUID) -> HttpResponse | StreamingHttpResponse:
    """The closed record as a PDF: for the judge, the clerk and the parties' sides; each
    download is written in the case's access log."""
    try:
        hearing, roles = _hearing(request, hearing_id)
    except Problem as problem:
        return problem_page(request, problem)
    row = record.record_of(hearing)
    if row is None or row.blob_id is None or not roles & record.READER_ROLES:
        return problem_page(request, NotFound())
    blob = Blob.objects.get(pk=row.blob_id)
    case_actions.log_access(request.user, hearing.case, f"record.pdf:{hearing.pk}")
    return _download(request, hearing.case, blob)


# --- the asynchronous trial --------------------------------------------------------------


def _asynchronous_context(
    request: HttpRequest, case: Case, bound: dict[str, Any] | None = None
) -> dict[str, Any]:
    pack = case.court.pack
    lang = current_language()
    roles = policy.case_roles(request.user, case)
    offered = {
        e.id: e
        for e in available_events(
            pack, case.state, roles, case.event_ids(), track=case.track or None
        )
    }
    steps = []
    for event_id in asynchronous.STEPS:
        event = offered.get(event_id)
        if event is None:
            continue
        steps.append(
            {
                "event": event,
                "label": event.label.get(lang),
                "form": (bound or {}).get(event_id) or event_form(pack, event, case),
                "closed": case_actions.step_closed(case, event),
            }
        )
    failing = dict(asynchronous.eligibility(case))
    running = case.deadlines.filter(
        time_limit=asynchronous.ANSWER_LIMIT, stopped_by__isnull=True
    ).first()
    basis = pack.events[asynchronous.ORDER_EVENT].basis
    trial = asynchronous.thread(case)
    forms: list[Any] = [s["form"] for s in steps]
    return {
        "case": case,
        "state": pack.states[case.state].label.get(lang) if case.state in pack.states else "",
        "basis": basis.article.get(lang) if basis else "",
        "basis_text": basis.text.get(lang) if basis else "",
        "conditions": [
            {"label": label, "met": code not in failing, "reason": failing.get(code, "")}
            for code, label in asynchronous.conditions()
        ],
        "thread": trial,
        "ended_label": event_label(pack, trial.ended.event.event) if trial.ended else "",
        "deadline": present_deadline(running) if running else None,
        "steps": steps,
        "record": asynchronous.latest_record(case),
        "error_forms": forms,
        "has_errors": any(f.errors for f in forms),
    }


@login_required
@require_GET
def asynchronous_page(request: HttpRequest, case_id: UUID) -> HttpResponse:
    """The asynchronous trial of a case: its conditions, the thread of questions and answers,
    and the steps open to the person."""
    try:
        case = policy.get_case(request.user, case_id)
    except Problem as problem:
        return problem_page(request, problem)
    case_actions.log_access(request.user, case, "asynchronous.view")
    return render(request, "hearings/asynchronous.html", _asynchronous_context(request, case))


@login_required
@require_POST
def asynchronous_step(request: HttpRequest, case_id: UUID) -> HttpResponse:
    """One step of the asynchronous trial, from its page."""
    try:
        case = policy.get_case(request.user, case_id)
    except Problem as problem:
        return problem_page(request, problem)
    event_id = request.POST.get("event", "")
    pack = case.court.pack
    if event_id not in asynchronous.STEPS:
        return problem_page(request, Problem("unknown_event", status=422))
    back = reverse("hearings:asynchronous", args=[case.pk])
    form = event_form(pack, pack.events[event_id], case, request.POST)
    if form.is_valid():
        version = whole_number(request.POST.get("version", ""))
        try:
            if event_id == asynchronous.ORDER_EVENT:
                asynchronous.order(request.user, case.pk, version)
            else:
                case_actions.fire(
                    request.user,
                    case.pk,
                    event_id,
                    version,
                    form.cleaned_data,
                    step_up=last_second_factor(request),
                )
        except Problem as problem:
            if (where := _refusal(request, problem, back)) is not None:
                return where
            field = (problem.field or "").split(".")[-1]
            if field not in form.fields:
                messages.error(request, problem.message)
                return redirect(back)
            form.add_error(field, problem.message)
        else:
            messages.success(
                request,
                _("Done: %(step)s.")
                % {"step": pack.events[event_id].label.get(current_language())},
            )
            return redirect(back)
    case.refresh_from_db()
    context = _asynchronous_context(request, case, {event_id: form})
    return render(request, "hearings/asynchronous.html", context, status=422)


@login_required
@require_GET
def asynchronous_pdf(request: HttpRequest, case_id: UUID) -> HttpResponse | StreamingHttpResponse:
    """The record of the asynchronous trial as a PDF, for the court and the parties' sides;
    each download is written in the case's access log."""
    try:
        case = policy.get_case(request.user, case_id)
    except Problem as problem:
        return problem_page(request, problem)
    stored = asynchronous.latest_record(case)
    if stored is None or not policy.case_roles(request.user, case) & record.READER_ROLES:
        return problem_page(request, NotFound())
    case_actions.log_access(request.user, case, "asynchronous.pdf")
    return _download(request, case, stored.blob)
