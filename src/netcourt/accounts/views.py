from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme

from netcourt.accounts import identity, security
from netcourt.accounts.forms import DocumentCheckForm
from netcourt.accounts.mfa import FACTOR_TYPES
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
    has_factor = user.authenticator_set.filter(type__in=FACTOR_TYPES).exists()  # type: ignore[union-attr]
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
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        next_url = ""
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
    return render(
        request,
        "accounts/identity.html",
        {
            "form": form,
            "verification": verification,
            "level_label": level.label.get(lang) if level else None,
            "levels": levels,
            "next": next_url,
            "error_forms": [form],
            "has_errors": bool(form.errors),
        },
    )
