from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from netcourt.accounts import identity, oidc, organisations, security
from netcourt.accounts.forms import DocumentCheckForm, TimeZoneForm
from netcourt.accounts.mfa import has_second_factor
from netcourt.accounts.models import MemberRole, OrganisationMember
from netcourt.cases.models import PartyRole, RepresentativeKind
from netcourt.core.forms import Form
from netcourt.core.i18n import current_language
from netcourt.core.problems import Problem
from netcourt.evidence.uploads import StagedFile, file_missing, stage_files
from netcourt.hearings.scheduling import set_time_zone
from netcourt.procedure import load_pack


@login_required
def security_history(request: HttpRequest) -> HttpResponse:
    """The person's own security history, their second factors and their sessions; and the
    time zone they read hearing times in."""
    user: Any = request.user
    zone_form = TimeZoneForm(request.POST or None, initial={"time_zone": user.time_zone})
    if request.method == "POST" and zone_form.is_valid():
        try:
            set_time_zone(user, zone_form.cleaned_data["time_zone"])
        except Problem as problem:
            zone_form.add_error("time_zone", problem.message)
        else:
            messages.success(request, _("Your time zone is saved."))
            return redirect("account_security")
    events = [
        {"event": event, "label": security.label(event)}
        for event in user.security_events.all()[:200]
    ]
    has_factor = has_second_factor(user)
    return render(
        request,
        "accounts/security.html",
        {
            "events": events,
            "has_factor": has_factor,
            "verification": identity.active(user),
            "zone_form": zone_form,
        },
        status=422 if zone_form.errors else 200,
    )


@login_required
def identity_page(request: HttpRequest) -> HttpResponse:
    """How sure the court is of who the person is, and the built-in document check."""
    pack = load_pack(settings.NETCOURT_DEFAULT_PACK)
    lang = current_language()
    form = DocumentCheckForm(request.POST or None)
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            identity.verify_document(
                request.user, data["legal_name"], data["document_kind"], data["number"], request
            )
        except Problem as problem:
            field = problem.field if problem.field in form.fields else None
            form.add_error(field, problem.message)
        else:
            messages.success(request, translation.gettext("Your identity document is checked."))
            return redirect(next_url or "account_identity")
    verification = identity.active(request.user)
    level = pack.assurance_levels.get(verification.level) if verification else None
    levels = [
        {
            "label": known.label.get(lang),
            "description": known.description.get(lang),
            "current": known is level,
        }
        for known in pack.assurance_levels.values()
    ]
    eid = oidc.configuration()
    eid_level = pack.assurance_levels.get(eid.level) if eid else None
    return render(
        request,
        "accounts/identity.html",
        {
            "form": form,
            "verification": verification,
            "level_label": level.label.get(lang) if level else None,
            "levels": levels,
            "next": next_url,
            "eid_name": eid.display_name() if eid else None,
            "eid_level": eid_level.label.get(lang) if eid_level else None,
            "verified_with": eid.display_name()
            if eid and verification and verification.provider == eid.provider
            else None,
            "error_forms": [form],
            "has_errors": bool(form.errors),
        },
    )


@login_required
@require_POST
def eid_start(request: HttpRequest) -> HttpResponse:
    """Send the person to the eID provider (``netcourt.accounts.oidc``), keeping ``next``."""
    conf = oidc.configuration()
    if conf is None:
        raise Http404
    next_url = _safe_next(request, request.POST.get("next"))
    try:
        return redirect(oidc.start(request, conf, next_url))
    except Problem as problem:
        messages.error(request, problem.message)
        return redirect(_identity_url(next_url))


@login_required
def eid_callback(request: HttpRequest) -> HttpResponse:
    """The provider's answer: verified and back where the person was, or told why not."""
    conf = oidc.configuration()
    if conf is None:
        raise Http404
    flow = oidc.pop_flow(request)
    next_url = _safe_next(request, flow.next if flow else None)
    try:
        oidc.complete(request, conf, flow)
    except Problem as problem:
        messages.error(request, problem.message)
        return redirect(_identity_url(next_url))
    messages.success(
        request,
        translation.gettext("Your identity is verified with %(provider)s.")
        % {"provider": conf.display_name()},
    )
    return redirect(next_url or "account_identity")


def _safe_next(request: HttpRequest, next_url: str | None) -> str:
    """``next_url`` when it stays on this site, else the empty string."""
    if next_url and url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        return next_url
    return ""


def _identity_url(next_url: str) -> str:
    url = reverse("account_identity")
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


# --- organisations: asking to act for one -------------------------------------------------


class OrganisationForm(Form):
    name = forms.CharField(
        label=gettext_lazy("Name of the organisation"),
        max_length=organisations.MAX_NAME,
        help_text=gettext_lazy("As on its business licence or registration certificate."),
    )
    credit_code = forms.CharField(
        label=gettext_lazy("Unified social credit code"),
        max_length=40,
        help_text=gettext_lazy("18 characters, on the business licence (统一社会信用代码)."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    role = forms.ChoiceField(
        label=gettext_lazy("You act for it as"),
        choices=MemberRole.choices,
        widget=forms.RadioSelect,
    )
    document = forms.FileField(
        label=gettext_lazy("The document that shows it"),
        help_text=gettext_lazy(
            "For the legal representative: the business licence naming you. For a staff "
            "member: the organisation's written authorisation, signed and sealed."
        ),
    )


def _staged(request: HttpRequest, name: str) -> Any:
    staged = request.FILES.get(name)
    return staged if isinstance(staged, StagedFile) else None


def _staging(request: HttpRequest) -> AbstractContextManager[None]:
    """Files of the form go straight into the encrypted staging area as they arrive, and
    whatever the form did not take is removed when it has answered."""
    if request.method != "POST":
        return nullcontext()
    return stage_files(request, organisations.max_document_bytes())


@csrf_exempt
@login_required
def organisations_page(request: HttpRequest) -> HttpResponse:
    """The organisations the person acts for or asked to, and the form to ask."""
    with _staging(request):
        return _organisations_page(request)


@csrf_protect
def _organisations_page(request: HttpRequest) -> HttpResponse:
    form = OrganisationForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        staged = _staged(request, "document")
        if form.is_valid() and staged is not None:
            data = form.cleaned_data
            try:
                member = organisations.register(
                    request.user,
                    data["name"],
                    data["credit_code"],
                    data["role"],
                    organisations.staged_form_file(staged),
                )
            except Problem as problem:
                if problem.code == "assurance_required":
                    messages.error(request, problem.message)
                    return redirect(_identity_url(reverse("account_organisations")))
                _apply(form, problem, {"file": "document"})
            else:
                messages.success(
                    request,
                    _(
                        "Your request to act for %(organisation)s was sent. A clerk of the court "
                        "checks the document and decides."
                    )
                    % {"organisation": member.organisation.name},
                )
                return redirect("account_organisations")
        elif staged is None:
            file_missing(form, "document")
    person: Any = request.user
    memberships = OrganisationMember.objects.filter(user=person).select_related(
        "organisation", "document"
    )
    return render(
        request,
        "accounts/organisations.html",
        {
            "form": form,
            "memberships": memberships,
            "accepted_types": organisations.accepted_types(),
            "verification": identity.active(request.user),
            "error_forms": [form],
            "has_errors": bool(form.errors),
        },
        status=422 if form.errors else 200,
    )


def _apply(form: Any, problem: Problem, aliases: dict[str, str]) -> None:
    field = aliases.get(problem.field or "", problem.field)
    form.add_error(field if field in form.fields else None, problem.message)


@login_required
@require_POST
def organisation_withdraw(request: HttpRequest, member_id: int) -> HttpResponse:
    try:
        organisations.get_own(request.user, member_id)  # the person's own, never anyone else's
        member = organisations.revoke(request.user, member_id)
    except Problem as problem:
        if problem.status == 404:
            raise Http404 from None
        messages.error(request, problem.message)
    else:
        messages.success(
            request,
            _("You no longer act for %(organisation)s.")
            % {"organisation": member.organisation.name},
        )
    return redirect("account_organisations")


@login_required
def organisation_document(
    request: HttpRequest, member_id: int
) -> HttpResponse | StreamingHttpResponse:
    try:
        member = organisations.get_own(request.user, member_id)
    except Problem:
        raise Http404 from None
    return organisations.document_response(request, member.document)


# --- asking to represent a party in a case -----------------------------------------------


class RepresentForm(Form):
    case_number = forms.CharField(
        label=gettext_lazy("Case number"),
        max_length=80,
        help_text=gettext_lazy("As on the court's notice, for example (2026)浙0192民初1号."),
    )
    role = forms.ChoiceField(
        label=gettext_lazy("The party you represent is the"),
        choices=PartyRole.choices,
        widget=forms.RadioSelect,
    )
    party_name = forms.CharField(
        label=gettext_lazy("The party's name"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("As in the power of attorney."),
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("You are"), choices=RepresentativeKind.choices, widget=forms.RadioSelect
    )
    licence_number = forms.CharField(
        label=gettext_lazy("Lawyer's licence number"),
        max_length=40,
        required=False,
        help_text=gettext_lazy("17 digits. Only for a lawyer."),
    )
    firm = forms.CharField(
        label=gettext_lazy("Law firm or organisation"), max_length=200, required=False
    )
    document = forms.FileField(
        label=gettext_lazy("The power of attorney"),
        help_text=gettext_lazy(
            "Signed or sealed by the party, stating the matters and the authority entrusted "
            "(Civil Procedure Law Art. 62)."
        ),
    )


@csrf_exempt
@login_required
def represent(request: HttpRequest) -> HttpResponse:
    """A lawyer or agent who is not in a case asks to represent one of its parties."""
    with _staging(request):
        return _represent(request)


@csrf_protect
def _represent(request: HttpRequest) -> HttpResponse:
    from netcourt.cases import representation

    form = RepresentForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        staged = _staged(request, "document")
        if form.is_valid() and staged is not None:
            data = form.cleaned_data
            try:
                representation.ask(
                    request.user,
                    representation.RequestData(
                        case_number=data["case_number"],
                        role=data["role"],
                        kind=data["kind"],
                        party_name=data["party_name"],
                        licence_number=data["licence_number"],
                        firm=data["firm"],
                    ),
                    organisations.staged_form_file(staged),
                )
            except Problem as problem:
                if problem.code == "assurance_required":
                    messages.error(request, problem.message)
                    return redirect(_identity_url(reverse("cases:represent")))
                _apply(form, problem, {"file": "document"})
            else:
                # The same answer whether or not the number names a case.
                messages.success(
                    request,
                    _(
                        "Your request was sent. If the case number is right, a clerk of the "
                        "court checks the power of attorney; you will be told by e-mail."
                    ),
                )
                return redirect("cases:represent")
        elif staged is None:
            file_missing(form, "document")
    return render(
        request,
        "cases/represent.html",
        {
            "form": form,
            "requests": representation.own_requests(request.user)[:50],
            "accepted_types": organisations.accepted_types(),
            "error_forms": [form],
            "has_errors": bool(form.errors),
        },
        status=422 if form.errors else 200,
    )


@login_required
def represent_document(
    request: HttpRequest, request_id: UUID
) -> HttpResponse | StreamingHttpResponse:
    """The requester's own copy of the power of attorney they sent."""
    from netcourt.cases import representation

    try:
        found = representation.get_own(request.user, request_id)
    except Problem:
        raise Http404 from None
    if found.document is None:
        raise Http404
    return organisations.document_response(request, found.document)
