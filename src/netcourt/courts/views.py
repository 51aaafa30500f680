from __future__ import annotations

from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from netcourt.accounts import organisations
from netcourt.accounts.models import MemberStatus
from netcourt.cases import policy, present, representation
from netcourt.core.forms import Form
from netcourt.core.i18n import current_language
from netcourt.core.problems import Problem
from netcourt.courts.models import Court
from netcourt.courts.queue import filing_queue, without_judge
from netcourt.service.actions import waiting_on_paper


@login_required
def queue(request: HttpRequest, slug: str) -> HttpResponse:
    court = Court.objects.filter(slug=slug).first()
    if court is None or not policy.is_clerk_of(request.user, court.pk):
        return render(request, "courts/not_found.html", status=404)
    lang = current_language()
    rows = [
        {
            "case": present.summary(item.case),
            "due": item.due,
            "days_left": item.days_left,
            "overdue": item.days_left is not None and item.days_left < 0,
            "days_overdue": -item.days_left
            if item.days_left is not None and item.days_left < 0
            else 0,
        }
        for item in filing_queue(court)
    ]
    return render(
        request,
        "courts/queue.html",
        {
            "court": court,
            "court_name": court.name_in(lang),
            "rows": rows,
            "representation_waiting": representation.waiting(court).count(),
            "authorisations_waiting": organisations.pending().count(),
            "paper": waiting_on_paper(court),
            "without_judge": [present.summary(case) for case in without_judge(court)],
        },
    )


# --- who acts for whom: organisations' authorisations, requests to represent a party ------


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "courts/not_found.html", status=404)


class DecisionForm(Form):
    reasons = forms.CharField(
        label=gettext_lazy("Reasons"),
        max_length=organisations.MAX_REASONS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Required when you refuse; the person reads them."),
    )


class AuthorisationForm(DecisionForm):
    name = forms.CharField(
        label=gettext_lazy("Registered name of the organisation"),
        max_length=organisations.MAX_NAME,
        required=False,
        help_text=gettext_lazy("Correct it to the name on the document when you approve."),
    )
    field_order = ["name", "reasons"]


@login_required
def authorisations(request: HttpRequest) -> HttpResponse:
    """People waiting for a clerk to approve their authority to act for an organisation."""
    if not organisations.is_clerk(request.user):
        return _not_found(request)
    return render(
        request,
        "courts/organisation_authorisations.html",
        {"rows": organisations.pending().order_by("requested_at")},
    )


@login_required
def authorisation(request: HttpRequest, member_id: int) -> HttpResponse:
    """One request to act for an organisation: the document, the decision."""
    try:
        member = organisations.get_for_clerk(request.user, member_id)
    except Problem:
        return _not_found(request)
    form = AuthorisationForm(request.POST or None, initial={"name": member.organisation.name})
    if request.method == "POST" and form.is_valid():
        decision = request.POST.get("decision", "")
        reasons = form.cleaned_data["reasons"]
        try:
            if decision == "approve":
                organisations.approve(
                    request.user,
                    member.pk,
                    name=form.cleaned_data["name"] or member.organisation.name,
                    reasons=reasons,
                )
                messages.success(
                    request,
                    _("%(person)s may now act for %(organisation)s.")
                    % {"person": member.user, "organisation": member.organisation.name},
                )
            elif decision == "refuse":
                organisations.refuse(request.user, member.pk, reasons)
                messages.success(request, _("The request was refused."))
            elif decision == "revoke":
                organisations.revoke(request.user, member.pk, reasons)
                messages.success(request, _("The authority was ended."))
            else:
                return _not_found(request)
        except Problem as problem:
            field = problem.field if problem.field in form.fields else None
            form.add_error(field, problem.message)
        else:
            return redirect("courts:authorisations")
    others = (
        member.organisation.members.filter(status=MemberStatus.APPROVED)
        .exclude(pk=member.pk)
        .select_related("user")
    )
    return render(
        request,
        "courts/organisation_authorisation.html",
        {
            "member": member,
            "others": others,
            "form": form,
            "error_forms": [form],
            "has_errors": bool(form.errors),
        },
        status=422 if form.errors else 200,
    )


@login_required
def authorisation_document(
    request: HttpRequest, member_id: int
) -> HttpResponse | StreamingHttpResponse:
    try:
        member = organisations.get_for_clerk(request.user, member_id)
    except Problem:
        return _not_found(request)
    return organisations.document_response(request, member.document)


def _clerk_court(request: HttpRequest, slug: str) -> Court | None:
    court = Court.objects.filter(slug=slug).first()
    if court is None or not policy.is_clerk_of(request.user, court.pk):
        return None
    return court


@login_required
def representation_requests(request: HttpRequest, slug: str) -> HttpResponse:
    """Requests to represent a party in this court's cases, oldest first."""
    court = _clerk_court(request, slug)
    if court is None:
        return _not_found(request)
    return render(
        request,
        "courts/represent_requests.html",
        {
            "court": court,
            "court_name": court.name_in(current_language()),
            "rows": representation.waiting(court),
        },
    )


class ApprovalForm(Form):
    party = forms.ChoiceField(
        label=gettext_lazy("The party that signed the power of attorney"),
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, parties: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["party"].choices = [  # type: ignore[attr-defined]
            (str(p.pk), f"{p.get_role_display()} — {p.name}") for p in parties
        ]


def _likely_party(found: Any, parties: list[Any]) -> str | None:
    """The party the request names: of its role, and by name when several have it."""
    same_role = [p for p in parties if p.role == found.role]
    named = [p for p in same_role if found.party_name and found.party_name in p.name]
    for group in (named, same_role):
        if len(group) == 1:
            return str(group[0].pk)
    return None


@login_required
def representation_request(request: HttpRequest, slug: str, request_id: UUID) -> HttpResponse:
    """One request: who asks, for which party, the power of attorney; approve or refuse."""
    court = _clerk_court(request, slug)
    if court is None:
        return _not_found(request)
    try:
        found = representation.get_for_clerk(request.user, court, request_id)
    except Problem:
        return _not_found(request)
    assert found.case is not None
    parties = found.case.people()
    post = request.POST if request.method == "POST" else None
    decision = request.POST.get("decision", "") if post is not None else ""
    approval = ApprovalForm(
        post if decision == "approve" else None,
        parties=parties,
        initial={"party": _likely_party(found, parties)},
        prefix="approve",
    )
    refusal = DecisionForm(post if decision == "refuse" else None, prefix="refuse")
    if decision == "approve" and approval.is_valid():
        try:
            representation.approve(request.user, court, found.pk, approval.cleaned_data["party"])
        except Problem as problem:
            approval.add_error(None, problem.message)
        else:
            messages.success(
                request,
                _("%(person)s now represents the party in case %(number)s.")
                % {"person": found.requester, "number": found.case.number},
            )
            return redirect("courts:representation_requests", court.slug)
    elif decision == "refuse" and refusal.is_valid():
        try:
            representation.refuse(request.user, court, found.pk, refusal.cleaned_data["reasons"])
        except Problem as problem:
            refusal.add_error("reasons" if problem.field == "reasons" else None, problem.message)
        else:
            messages.success(request, _("The request was refused."))
            return redirect("courts:representation_requests", court.slug)
    elif post is not None and decision not in ("approve", "refuse"):
        return _not_found(request)
    forms_ = [approval, refusal]
    return render(
        request,
        "courts/represent_request.html",
        {
            "court": court,
            "found": found,
            "case": present.summary(found.case),
            "approval": approval,
            "refusal": refusal,
            "identity_label": _identity_label(found.requester),
            "error_forms": forms_,
            "has_errors": any(f.errors for f in forms_),
        },
        status=422 if any(f.errors for f in forms_) else 200,
    )


def _identity_label(person: Any) -> str:
    from django.conf import settings

    from netcourt.accounts import identity
    from netcourt.procedure import load_pack

    pack = load_pack(settings.NETCOURT_DEFAULT_PACK)
    level = pack.assurance_levels.get(identity.levels_of([person.pk]).get(person.pk, ""))
    return level.label.get(current_language()) if level else _("not verified")


@login_required
def representation_document(
    request: HttpRequest, slug: str, request_id: UUID
) -> HttpResponse | StreamingHttpResponse:
    court = _clerk_court(request, slug)
    if court is None:
        return _not_found(request)
    try:
        found = representation.get_for_clerk(request.user, court, request_id)
    except Problem:
        return _not_found(request)
    assert found.document is not None
    return organisations.document_response(request, found.document)
