"""The evidence page of a case: items by party and round, submitting a file, opinions."""

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
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from netcourt.accounts.mfa import confirm_second_factor, last_second_factor
from netcourt.cases import actions as case_actions
from netcourt.cases import policy as case_policy
from netcourt.cases.models import Case
from netcourt.cases.views import problem_page
from netcourt.core.downloads import continues_a_read, file_download
from netcourt.core.i18n import current_language
from netcourt.core.problems import Problem
from netcourt.evidence import actions, platforms, policy
from netcourt.evidence.forms import EvidenceForm, ExportRequestForm, OpinionForm, ReplyForm
from netcourt.evidence.models import Blob, EvidenceItem
from netcourt.evidence.pdf import evidence_list_pdf
from netcourt.evidence.store import plaintext
from netcourt.evidence.uploads import StagedFile, adopt, file_missing, stage_files
from netcourt.procedure import available_events
from netcourt.transparency.views import json_download


def _open(request: HttpRequest, case: Case) -> set[str]:
    roles = case_policy.case_roles(request.user, case)
    return {
        e.id
        for e in available_events(
            case.court.pack, case.state, roles, case.event_ids(), track=case.track or None
        )
    }


def _groups(case: Case, items: list[EvidenceItem]) -> list[dict[str, Any]]:
    """Items by party, then by round, in the order the parties appear in the case."""
    groups: list[dict[str, Any]] = []
    for party in case.people():
        mine = [i for i in items if i.party_id == party.pk]
        if not mine:
            continue
        rounds = sorted({i.round for i in mine})
        groups.append(
            {
                "party": party,
                "rounds": [
                    {"round": r, "items": [i for i in mine if i.round == r]} for r in rounds
                ],
            }
        )
    return groups


def _page_context(
    request: HttpRequest, case: Case, form: EvidenceForm | None = None
) -> dict[str, Any]:
    items = policy.visible_items(
        request.user,
        case,
        EvidenceItem.objects.filter(case=case)
        .select_related("blob", "party", "platform")
        .prefetch_related("opinions__party", "opinions__author"),
    )
    mine = case_policy.own_parties(request.user, case)
    open_events = _open(request, case)
    for item in items:
        item.own = item.party_id in mine  # type: ignore[attr-defined]
        item.may_examine = (  # type: ignore[attr-defined]
            actions.EXAMINE_EVENT in open_events
            and not item.own  # type: ignore[attr-defined]
            and not any(o.party_id in mine and o.reply_to_id is None for o in item.opinions.all())
        )
    rules = case.court.pack.evidence
    lang = current_language()
    choices = [(p.slug, f"{p.name} ({p.organisation})") for p in platforms.active_platforms()]
    return {
        "accepted_types": actions.accepted_types(case) if rules else "",
        "export_form": ExportRequestForm(platforms=choices) if choices else None,
        "case": case,
        "groups": _groups(case, items),
        "may_submit": actions.SUBMIT_EVENT in open_events and bool(mine),
        "may_reply": actions.EXAMINE_EVENT in open_events and bool(mine),
        "mine": mine,
        "form": form or EvidenceForm(accept=_accept(rules)),
        "max_mb": rules.max_bytes // (1024 * 1024) if rules else 0,
        "opinion_form": OpinionForm(),
        "reply_form": ReplyForm(),
        "basis": rules.basis.article.get(lang) if rules else "",
        "basis_text": rules.basis.text.get(lang) if rules else "",
        "exchange_open": policy.exchange_open(case),
        "court_view": bool(case_policy.case_roles(request.user, case) & policy.COURT_ROLES),
        "upload_texts": {
            "progress": _("Sending the file: %(percent)s%%"),
            "resuming": _("The connection broke; resuming where the court's copy stands…"),
            "checking": _("The file has arrived; the court is checking it…"),
            "failed": _("The file could not be sent. Try again."),
        },
    }


@login_required
@require_GET
def evidence_page(request: HttpRequest, case_id: UUID) -> HttpResponse:
    try:
        case = case_policy.get_case(request.user, case_id)
    except Problem as problem:
        return problem_page(request, problem)
    case_actions.log_access(request.user, case, "evidence.view")
    return render(request, "evidence/page.html", _page_context(request, case))


def _handle(request: HttpRequest, case: Case, problem: Problem) -> HttpResponse | None:
    """Where a refusal sends the person: the identity page, a second-factor check, or back."""
    back = urlencode({"next": reverse("evidence:page", args=[case.pk])})
    if problem.code == "assurance_required":
        messages.error(request, problem.message)
        return redirect(f"{reverse('account_identity')}?{back}")
    if problem.code == "step_up_required":
        return confirm_second_factor(request, problem, reverse("evidence:page", args=[case.pk]))
    if problem.code in ("wrong_state", "role_not_allowed", "not_found"):
        messages.error(request, problem.message)
        return redirect("evidence:page", case.pk)
    return None


@csrf_exempt
@login_required
@require_POST
def submit(request: HttpRequest, case_id: UUID) -> HttpResponse:
    """A file and its description from the page's form; the file is staged as it arrives."""
    try:
        case = case_policy.get_case(request.user, case_id)
    except Problem as problem:
        return problem_page(request, problem)
    rules = case.court.pack.evidence
    if rules is None:
        return _submit(request, case)
    with stage_files(request, rules.max_bytes):
        return _submit(request, case)


def _accept(rules: Any) -> str:
    """The file chooser's ``accept``: the extensions and types the court takes."""
    if rules is None:
        return ""
    return ",".join(
        [f".{ext}" for extensions in rules.types.values() for ext in extensions] + list(rules.types)
    )


@csrf_protect
def _submit(request: HttpRequest, case: Case) -> HttpResponse:
    form = EvidenceForm(request.POST, request.FILES, accept=_accept(case.court.pack.evidence))
    staged = request.FILES.get("file")
    if form.is_valid() and isinstance(staged, StagedFile):
        try:
            upload = adopt(request.user, case, staged)
            item = actions.submit(
                request.user,
                case.pk,
                upload.pk,
                title=form.cleaned_data["title"],
                purpose=form.cleaned_data["purpose"],
                source=form.cleaned_data["source"],
            )
        except Problem as problem:
            # A page's file is sent again with the form: nothing of the refused try is kept.
            actions.discard_upload(request.user, staged.upload_id)
            if (where := _handle(request, case, problem)) is not None:
                return where
            form.add_error(problem.field if problem.field in form.fields else None, problem.message)
        else:
            messages.success(
                request,
                _("Evidence %(number)s, “%(title)s”, was submitted.")
                % {"number": item.number, "title": item.title},
            )
            return redirect("evidence:page", case.pk)
    if request.FILES.get("file") is None:
        file_missing(form, "file")
    case.refresh_from_db()
    return render(request, "evidence/page.html", _page_context(request, case, form), status=422)


@login_required
@require_POST
def examine(request: HttpRequest, case_id: UUID, item_id: UUID) -> HttpResponse:
    try:
        # An item that does not exist, is not in this case or is not the person's to see is
        # not found, whatever the form says.
        policy.get_item(request.user, case_id, item_id)
    except Problem as problem:
        return problem_page(request, problem)
    reply_to = request.POST.get("reply_to") or None
    form: OpinionForm | ReplyForm = (
        ReplyForm(request.POST) if reply_to else OpinionForm(request.POST)
    )
    if not form.is_valid():
        messages.error(request, _("Answer every question, then send your opinion again."))
        return redirect(reverse("evidence:page", args=[case_id]) + f"#item-{item_id}")
    try:
        actions.examine(
            request.user,
            case_id,
            item_id,
            reply_to=reply_to,
            step_up=last_second_factor(request),
            **form.cleaned_data,
        )
    except Problem as problem:
        try:
            case = case_policy.get_case(request.user, case_id)
        except Problem:
            return problem_page(request, problem)
        if (where := _handle(request, case, problem)) is not None:
            return where
        messages.error(request, problem.message)
    else:
        messages.success(request, _("Your opinion was recorded."))
    return redirect(reverse("evidence:page", args=[case_id]) + f"#item-{item_id}")


@login_required
@require_GET
def download(
    request: HttpRequest, case_id: UUID, item_id: UUID
) -> HttpResponse | StreamingHttpResponse:
    try:
        item = policy.get_item(request.user, case_id, item_id)
    except Problem as problem:
        return problem_page(request, problem)
    case_actions.log_access(
        request.user,
        item.case,
        f"evidence.file:{item.party.role}:{item.number}",
        continuing=continues_a_read(request),
    )
    item.blob.case = item.case
    return _file_response(request, item.blob)


@login_required
@require_GET
def document(
    request: HttpRequest, case_id: UUID, document_id: UUID
) -> HttpResponse | StreamingHttpResponse:
    """A file attached to a step (proof for judicial aid, a power of attorney)."""
    try:
        found = policy.get_document(request.user, case_id, document_id)
    except Problem as problem:
        return problem_page(request, problem)
    case_actions.log_access(request.user, found.case, f"document:{found.event.seq}:{found.input}")
    found.blob.case = found.case
    return _file_response(request, found.blob)


def _file_response(request: HttpRequest, blob: Blob) -> HttpResponse | StreamingHttpResponse:
    """The file, whole or the byte range asked for (the caller has logged the read)."""
    return file_download(
        request,
        functools.partial(plaintext, blob),
        mime=blob.mime,
        size=blob.size,
        filename=blob.filename,
        sha256=blob.sha256,
    )


@login_required
@require_GET
def item_receipt(request: HttpRequest, case_id: UUID, item_id: UUID) -> HttpResponse:
    try:
        item = policy.get_item(request.user, case_id, item_id)
    except Problem as problem:
        return problem_page(request, problem)
    case_actions.log_access(
        request.user, item.case, f"evidence.receipt:{item.party.role}:{item.number}"
    )
    return json_download(actions.item_receipt(item), f"receipt-evidence-{item.pk}.json")


@login_required
@require_GET
def evidence_list(request: HttpRequest, case_id: UUID) -> HttpResponse:
    """The evidence list as one bilingual PDF: the items the person may see."""
    try:
        case = case_policy.get_case(request.user, case_id)
        items = policy.visible_items(
            request.user,
            case,
            EvidenceItem.objects.filter(case=case)
            .select_related("blob", "party", "platform")
            .prefetch_related("opinions__party"),
        )
        pdf = evidence_list_pdf(case, items)
    except Problem as problem:
        return problem_page(request, problem)
    case_actions.log_access(request.user, case, "evidence.list")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="evidence-list-{case.pk}.pdf"'
    return response


@login_required
@require_POST
def ask_platform(request: HttpRequest, case_id: UUID) -> HttpResponse:
    """Ask a registered platform for a record; the one-time code is shown on this page only."""
    try:
        case = case_policy.get_case(request.user, case_id)
        asked, code = platforms.request_export(
            request.user, case.pk, request.POST.get("platform", "")
        )
    except Problem as problem:
        try:
            case = case_policy.get_case(request.user, case_id)
        except Problem:
            return problem_page(request, problem)
        if (where := _handle(request, case, problem)) is not None:
            return where
        messages.error(request, problem.message)
        return redirect("evidence:page", case.pk)
    context = _page_context(request, case)
    context["export"] = {"code": code, "platform": asked.platform, "expires_at": asked.expires_at}
    return render(request, "evidence/page.html", context)
