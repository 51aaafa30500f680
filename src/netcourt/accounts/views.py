from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from netcourt.accounts import identity, oidc, security
from netcourt.accounts.forms import DocumentCheckForm
from netcourt.accounts.mfa import has_second_factor
from netcourt.core.i18n import current_language
from netcourt.core.problems import Problem
from netcourt.procedure import load_pack


@login_required
def security_history(request: HttpRequest) -> HttpResponse:
    """The person's own security history, their second factors and their sessions."""
    user = request.user
    events = [
        {"event": event, "label": security.label(event)}
        for event in user.security_events.all()[:200]  # type: ignore[union-attr]
    ]
    has_factor = has_second_factor(user)
    return render(
        request,
        "accounts/security.html",
        {"events": events, "has_factor": has_factor, "verification": identity.active(user)},
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
