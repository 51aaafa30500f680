"""Pages for filing and following a case. Thin: parse, authorise, call one action, render."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from netcourt.accounts import identity
from netcourt.accounts.mfa import confirm_second_factor, last_second_factor
from netcourt.accounts.models import User
from netcourt.accounts.organisations import approved_memberships
from netcourt.cases import actions, documents, forms, policy, present
from netcourt.cases.models import Case
from netcourt.core import vault as core_vault
from netcourt.core.i18n import current_language
from netcourt.core.numbers import whole_number
from netcourt.core.problems import Problem
from netcourt.evidence import actions as evidence_actions
from netcourt.evidence.uploads import StagedFile, adopt, stage_files
from netcourt.payments import policy as payment_policy
from netcourt.payments.models import IntentStatus, PaymentIntent
from netcourt.procedure import Event, load_pack
from netcourt.vault import VaultError

STEPS = ("parties", "claim", "territory", "review")
STEP_TITLES = {
    "parties": translation.gettext_lazy("Parties"),
    "claim": translation.gettext_lazy("Your claim"),
    "territory": translation.gettext_lazy("Where it happened"),
    "review": translation.gettext_lazy("Check and submit"),
}


def _errors(forms_: list[Any]) -> dict[str, Any]:
    return {"error_forms": forms_, "has_errors": any(f.errors for f in forms_)}


class _FormsetErrors:
    """A formset's own errors (not of one row) as the error summary reads a form's."""

    def __init__(self, formset: Any) -> None:
        self.errors = formset.non_form_errors()

    def non_field_errors(self) -> Any:
        return self.errors

    def __iter__(self) -> Any:
        return iter(())


def _version(request: HttpRequest) -> int | None:
    """The version of the case the page showed; None when missing or not a whole number
    (the action then says the page is out of date)."""
    return whole_number(request.POST.get("version", ""))


def _steps(current: str) -> list[dict[str, Any]]:
    return [{"id": s, "title": STEP_TITLES[s], "current": s == current} for s in STEPS]


def _apply_problem(form: Any, problem: Problem) -> None:
    field = (problem.field or "").split(".")[-1].split("[")[0]
    if field in form.fields:
        form.add_error(field, problem.message)
    else:
        form.add_error(None, problem.message)


@login_required
def new(request: HttpRequest) -> HttpResponse:
    pack = load_pack(settings.NETCOURT_DEFAULT_PACK)
    memberships = approved_memberships(request.user).select_related("organisation")
    form = forms.NewCaseForm(
        request.POST or None,
        pack=pack,
        organisations=[(m.organisation.credit_code, m.organisation.name) for m in memberships],
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = actions.create_draft(
                request.user,
                data["court"],
                data["category"],
                acting_as=data["acting_as"],
                licence_number=data["licence_number"],
                firm=data["firm"],
                organisation=data.get("organisation") or "",
            )
        except Problem as problem:
            _apply_problem(form, problem)
        else:
            return redirect("cases:step", case.id, "parties")
    return render(request, "cases/new.html", {"form": form, **_errors([form])})


def _editable(request: HttpRequest, case_id: UUID) -> Case:
    case = policy.get_case(request.user, case_id)
    if "plaintiff" not in policy.case_roles(request.user, case):
        raise Problem("permission_denied", status=403)
    return case


def _party_initial(case: Case) -> list[dict[str, Any]]:
    rows = [
        {
            "role": p.role,
            "kind": p.kind,
            "name": p.name,
            "representative_name": p.representative_name,
            "address": p.address,
            "contact_email": p.contact_email,
        }
        for p in case.people()
    ]
    if not any(row["role"] == "plaintiff" for row in rows):
        rows.append({"role": "plaintiff", "kind": "natural"})
    if not any(row["role"] == "defendant" for row in rows):
        rows.append({"role": "defendant", "kind": "legal"})
    return rows


_PARTY_FIELD = re.compile(r"parties\[([0-9]{1,2})\]")


def _save(
    request: HttpRequest,
    case: Case,
    form: Any,
    data: actions.FilingData,
    next_step: str,
    *,
    rows: list[Any] | None = None,
) -> HttpResponse | None:
    """Amend the filing and go on to ``next_step``; None with the refusal shown on ``form``
    (or, for a party's answer, on that party's row of ``rows``)."""
    try:
        actions.amend_filing(request.user, case.id, _version(request), data)
    except Problem as problem:
        found = _PARTY_FIELD.match(problem.field or "")
        if rows and found and int(found[1]) < len(rows):
            form = rows[int(found[1])]
        _apply_problem(form, problem)
        return None
    return redirect("cases:step", case.id, next_step)


@login_required
def step(request: HttpRequest, case_id: UUID, name: str) -> HttpResponse:
    try:
        case = _editable(request, case_id)
    except Problem as problem:
        return problem_page(request, problem)
    if name not in STEPS:
        return problem_page(request, Problem("not_found", status=404))
    _, open_events = _open_events(request, case)
    if not any(e.id == actions.AMEND_EVENT for e in open_events):
        # Past the draft (and not sent back for corrections): the filing is no longer the
        # plaintiff's to change, and the case page shows it as it stands.
        return redirect("cases:detail", case.id)
    actions.log_access(request.user, case, f"filing.{name}")
    if name == "review":
        return _review(request, case)
    post = request.POST if request.method == "POST" else None
    context: dict[str, Any] = {"case": case, "steps": _steps(name), "step": name}
    if name == "parties":
        formset = forms.PartyFormSet(post, initial=None if post else _party_initial(case))
        context["formset"] = formset
        if post is not None and formset.is_valid():
            # The formset has a named plaintiff and defendant: ``rows`` is never empty.
            rows = [f for f in formset.forms if f.cleaned_data.get("name")]
            parties = [
                actions.PartyData(**{k: v or "" for k, v in f.cleaned_data.items()}) for f in rows
            ]
            response = _save(
                request,
                case,
                rows[0],
                actions.FilingData(parties=parties),
                "claim",
                rows=rows,
            )
            if response:
                return response
    elif name == "claim":
        initial = {
            "title": case.title,
            "amount": case.amount,
            "claims": case.filing.get("claims", ""),
            "facts": case.filing.get("facts", ""),
            "platform": case.filing.get("platform", ""),
        }
        form = forms.ClaimForm(post, initial=initial)
        context["form"] = form
        if post is not None and form.is_valid():
            d = form.cleaned_data
            data = actions.FilingData(
                title=d["title"],
                amount=d["amount"],
                clear_amount=d["amount"] is None,
                claims=d["claims"],
                facts=d["facts"],
                platform=d["platform"],
            )
            response = _save(request, case, form, data, "territory")
            if response:
                return response
    else:
        initial = {f"factor_{k}": v for k, v in case.filing.get("factors", {}).items()}
        initial["exclusions"] = case.filing.get("exclusions", [])
        if "simple" in case.filing:
            initial["simple"] = "yes" if case.filing["simple"] else "no"
        initial["connection"] = case.filing.get("connection", "")
        territory = forms.TerritoryForm(post, initial=initial, case=case)
        context["form"] = territory
        if post is not None and territory.is_valid():
            d = territory.cleaned_data
            data = actions.FilingData(
                factors=territory.factors(),
                exclusions=list(d["exclusions"]),
                simple=d["simple"],
                connection=d["connection"],
            )
            response = _save(request, case, territory, data, "review")
            if response:
                return response
    if "formset" in context:
        formset = context["formset"]
        context.update(_errors([_FormsetErrors(formset), *formset.forms]))
    else:
        context.update(_errors([context["form"]]))
    return render(request, f"cases/step_{name}.html", context)


def _review(request: HttpRequest, case: Case) -> HttpResponse:
    lang = current_language()
    assessment = present.assessment(case)
    preview = ""
    if not assessment["missing"]:
        preview = documents.statement_of_claim(case, lang)
    _, open_events = _open_events(request, case)
    submit_event = next((e for e in open_events if "check_filing" in e.effects), None)
    return render(
        request,
        "cases/step_review.html",
        {
            "case": case,
            "summary": present.summary(case),
            "steps": _steps("review"),
            "step": "review",
            "assessment": assessment,
            "preview": preview,
            "submit_event": submit_event,
            "parties": case.people(),
        },
    )


def problem_page(request: HttpRequest, problem: Problem) -> HttpResponse:
    """The page that says why a request was refused (with the problem's status)."""
    return render(request, "cases/problem.html", {"problem": problem}, status=problem.status)


def _open_events(request: HttpRequest, case: Case) -> tuple[set[str], list[Event]]:
    """The person's roles in the case and the steps open to them now."""
    roles = policy.case_roles(request.user, case)
    return roles, actions.open_steps_for(request.user, case, roles)


def _event_forms(
    request: HttpRequest,
    case: Case,
    open_events: list[Event],
    bound: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """A form for each step open to the person on this page; not one whose choice has
    nothing to choose from (ending a representation when there is none they may end)."""
    pack = case.court.pack
    lang = current_language()
    out = []
    for event in open_events:
        if actions.AMEND_EVENT == event.id or actions.OWN_PAGE_EFFECTS.intersection(event.effects):
            continue
        form = (bound or {}).get(event.id)
        if form is None:
            typed = _typed(request, case, event.id)
            form = forms.event_form(pack, event, case, user=request.user, initial=typed)
            if not forms.offered(form):
                continue
        out.append(
            {
                "event": event,
                "label": event.label.get(lang),
                "basis": event.basis.article.get(lang) if event.basis else "",
                "form": form,
            }
        )
    return out


def _parties_with_identity(case: Case) -> list[Any]:
    """The parties, each linked person marked with how sure the court is of who they are."""
    pack = case.court.pack
    lang = current_language()
    parties = case.people()
    people = [p.user_id for p in parties if p.user_id] + [
        r.user_id for p in parties for r in p.representatives.all()
    ]
    levels = identity.levels_of(people)

    def label(user_id: int | None) -> str:
        level = pack.assurance_levels.get(levels.get(user_id or 0, ""))
        return level.label.get(lang) if level else translation.gettext("not verified")

    for party in parties:
        party.identity_label = label(party.user_id)  # type: ignore[attr-defined]
        for rep in party.representatives.all():
            rep.identity_label = label(rep.user_id)  # type: ignore[attr-defined]
    return parties


def _evidence_summary(
    request: HttpRequest, case: Case, open_events: list[Event]
) -> dict[str, Any] | None:
    """How much evidence the person may see, once the case is docketed (None before)."""
    from netcourt.evidence import policy as evidence_policy
    from netcourt.evidence.models import EvidenceItem

    if case.court.pack.evidence is None or case.accepted_at is None:
        return None
    items = EvidenceItem.objects.filter(case=case).only("party_id", "case_id")
    return {
        "count": len(evidence_policy.visible_items(request.user, case, items)),
        "may_submit": any("evidence_item" in e.effects for e in open_events),
    }


def _waiting(request: HttpRequest, case: Case) -> list[dict[str, Any]]:
    """The documents served on the person's side that wait for them to open, each with the
    link that opens it and, while it is not served on every party yet, the time limits its
    service will start for their side (the judgment: the appeal)."""
    from netcourt.service import actions as service_actions

    rules = case.court.pack.service
    if rules is None:
        return []
    lang = current_language()
    return [
        {
            "label": rules.document(service.document).label.get(lang),
            "served_at": service.effective_at,
            "link": reverse("service:received", args=[delivery.pk]),
            "to_come": [present.time_limit(x) for x in service_actions.limits_to_come(service)],
        }
        for service, delivery in service_actions.waiting_for(request.user, case)
    ]


def _documents(request: HttpRequest, case: Case) -> list[dict[str, Any]]:
    """The files attached to steps that the person may open, labelled in their language."""
    from netcourt.evidence import policy as evidence_policy

    pack = case.court.pack
    lang = current_language()
    shown = []
    for document in evidence_policy.visible_documents(request.user, case):
        event = pack.events.get(document.event.event)
        labels = {i.name: i.label.get(lang) for i in event.inputs} if event else {}
        shown.append(
            {
                "id": document.pk,
                "step": event.label.get(lang) if event else document.event.event,
                "label": labels.get(document.input, document.input),
                "filename": document.blob.filename,
                "size": document.blob.size,
                "at": document.event.at,
            }
        )
    return shown


def _own_role_labels(user: Any, case: Case, roles: set[str]) -> list[str]:
    """The person's roles in the case as the page names them: a party's role, or, for
    someone who acts for a party only as its representative, that (not the party itself)."""
    pack = case.court.pack
    labels = []
    for role, label in zip(sorted(roles), present.role_labels(pack, sorted(roles)), strict=True):
        parties = [p for p in case.people() if p.role == role]
        represented = [
            p
            for p in parties
            if any(r.active and r.user_id == user.pk for r in p.representatives.all())
        ]
        if represented and not any(policy.acts_for_party(user, p) for p in parties):
            labels.append(translation.gettext("representative of the %(role)s") % {"role": label})
        else:
            labels.append(label)
    return labels


def _reader(request: HttpRequest) -> User:
    """The signed-in person reading a page (the views here require one)."""
    assert isinstance(request.user, User)
    return request.user


def _detail_context(
    request: HttpRequest, case: Case, bound: dict[str, Any] | None = None
) -> dict[str, Any]:
    pack = case.court.pack
    roles, open_events = _open_events(request, case)
    events = case.events.select_related("actor", "on_behalf_of")
    private = policy.reads_private_inputs(request.user, case)
    actions_ = _event_forms(request, case, open_events, bound)
    docket = [present.docket_entry(pack, e, private(e)) for e in events]
    deadlines = [present.deadline(d) for d in case.deadlines.select_related("stopped_by")]
    return {
        "case": case,
        "summary": present.summary(case),
        "roles": sorted(roles),
        "role_labels": _own_role_labels(request.user, case, roles),
        "parties": _parties_with_identity(case),
        "deadlines": deadlines,
        "fee_due": next(
            (d["due"] for d in deadlines if d["time_limit"] == "pay_fee" and d["running"]), None
        ),
        "fee": present.fee_notice(case),
        "receipts": PaymentIntent.objects.filter(case=case, status=IntentStatus.SUCCEEDED),
        "refunds": present.refunds(case),
        "pay_online": payment_policy.may_pay_online(request.user, case),
        "docket": docket,
        # The step that brought the case to where it stands (what the court asked for, when
        # it asked for corrections), shown where the person acts on it.
        "brought_here": next(
            (e for e in reversed(docket) if e["state_before"] != e["state_after"]), None
        ),
        "judgment": documents.judgment_for(request.user, case, roles),
        "judgment_waiting": documents.judgment_waits(request.user, case, roles),
        "waiting": _waiting(request, case),
        # Who else opened the file: a person's own reads, dozens a visit, would hide them (the
        # API's access log lists every read).
        "access_log": [
            present.access_entry(case.court.pack, e)
            for e in case.access_log.exclude(user=_reader(request)).select_related("user")[:50]
        ],
        "actions": actions_,
        "evidence": _evidence_summary(request, case, open_events),
        "documents": _documents(request, case),
        "can_amend": any(e.id == actions.AMEND_EVENT for e in open_events),
        "draws": [
            {
                "at": d.at,
                "seed": d.seed,
                "names": [str(u) for u in User.objects.filter(pk__in=d.eligible).order_by("pk")],
            }
            for d in case.judge_draws.all()
        ],
        **_errors([a["form"] for a in actions_]),
    }


@login_required
def detail(request: HttpRequest, case_id: UUID) -> HttpResponse:
    try:
        case = policy.get_case(request.user, case_id)
    except Problem as problem:
        return problem_page(request, problem)
    actions.log_access(request.user, case, "case.view")
    return render(request, "cases/detail.html", _detail_context(request, case))


@csrf_exempt
@login_required
@require_POST
def take_step(request: HttpRequest, case_id: UUID) -> HttpResponse:
    """A step from the case page. Files attached to it go straight into the encrypted staging
    area as they arrive (`StagingUploadHandler`), so CSRF is checked after that is set up."""
    try:
        case = policy.get_case(request.user, case_id)
    except Problem as problem:
        return problem_page(request, problem)
    rules = case.court.pack.evidence
    if rules is None:
        return _take_step(request, case)
    with stage_files(request, rules.max_bytes):
        return _take_step(request, case)


@csrf_protect
def _take_step(request: HttpRequest, case: Case) -> HttpResponse:
    event_id = request.POST.get("event", "")
    request.session.pop(TYPED, None)  # sent now: what was kept of an earlier try is done with
    pack = case.court.pack
    if event_id not in pack.events:
        return problem_page(request, Problem("unknown_event", status=422))
    form = forms.event_form(
        pack, pack.events[event_id], case, request.POST, files=request.FILES, user=request.user
    )
    if form.is_valid():
        staged_files = [v for v in form.cleaned_data.values() if isinstance(v, StagedFile)]
        try:
            inputs = dict(form.cleaned_data)
            for item in pack.events[event_id].inputs:
                staged = inputs.get(item.name)
                if isinstance(staged, StagedFile):
                    inputs[item.name] = str(adopt(request.user, case, staged).pk)
            actions.fire(
                request.user,
                case.id,
                event_id,
                _version(request),
                inputs,
                step_up=last_second_factor(request),
            )
        except Problem as problem:
            # A page's file is sent again with the form: nothing of the refused try is kept.
            for staged in staged_files:
                evidence_actions.discard_upload(request.user, staged.upload_id)
            if problem.code in (
                "stale_version",
                "wrong_state",
                "role_not_allowed",
                "limit_reached",
                "own_endpoint",
            ):
                # The step is not (or no longer) open to this person, or not here: say why on
                # the case page.
                messages.error(request, problem.message)
                return redirect("cases:detail", case.id)
            if problem.code in ("incomplete_filing", "not_competent"):
                messages.error(request, problem.message)
                return redirect("cases:step", case.id, "review")
            if problem.code == "step_up_required":
                _keep_typed(request, case, form)
                back = reverse("cases:detail", args=[case.id])
                return confirm_second_factor(request, problem, back)
            if problem.code == "assurance_required":
                # Say what is needed and take the person where they can get it, then back.
                _keep_typed(request, case, form)
                messages.error(request, problem.message)
                back = urlencode({"next": reverse("cases:detail", args=[case.id])})
                return redirect(f"{reverse('account_identity')}?{back}")
            _apply_problem(form, problem)
        else:
            messages.success(
                request,
                _("Done: %(step)s.")
                % {"step": pack.events[event_id].label.get(current_language())},
            )
            return _after_step(request, case)
    case.refresh_from_db()
    context = _detail_context(request, case, {event_id: form})
    return render(request, "cases/detail.html", context, status=422)


# What a person typed into a step before being sent away to confirm a second factor or to
# verify their identity: sealed under the court's keys (a judgment's text, the grounds for
# judicial aid), one step at a time, given back to the step's form when they return.
TYPED = "netcourt.typed_step"


def _keep_typed(request: HttpRequest, case: Case, form: Any) -> None:
    typed = {
        name: value
        for name in form.fields
        if isinstance(value := form.data.get(form.add_prefix(name)), str) and value
    }
    request.session[TYPED] = {
        "case": str(case.id),
        "event": form.prefix,
        "sealed": core_vault.seal_text(json.dumps(typed), f"{TYPED}:{case.id}"),
    }


def _typed(request: HttpRequest, case: Case, event_id: str) -> dict[str, str] | None:
    """What the person typed into this step before they were sent away (once)."""
    kept = request.session.get(TYPED)
    if not kept or kept.get("case") != str(case.id) or kept.get("event") != event_id:
        return None
    request.session.pop(TYPED)
    try:
        typed = json.loads(core_vault.open_text(kept["sealed"], f"{TYPED}:{case.id}"))
    except (VaultError, ValueError):
        return None
    return typed if isinstance(typed, dict) else None


def _after_step(request: HttpRequest, case: Case) -> HttpResponse:
    """Back to the case page, or to the person's dashboard when the step took the case from
    them (a representative who ended their own representation no longer sees it)."""
    try:
        policy.get_case(request.user, case.id)
    except Problem:
        return redirect("web:dashboard")
    return HttpResponseRedirect(reverse("cases:detail", args=[case.id]))


@login_required
@require_POST
def move(request: HttpRequest, case_id: UUID) -> HttpResponse:
    """Send a draft to the court that can hear it instead."""
    try:
        case = _editable(request, case_id)
        actions.move_filing(request.user, case.id, _version(request), request.POST.get("court", ""))
    except Problem as problem:
        messages.error(request, problem.message)
    return redirect("cases:step", case_id, "review")
