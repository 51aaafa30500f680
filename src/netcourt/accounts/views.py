from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from netcourt.accounts import security
from netcourt.accounts.mfa import FACTOR_TYPES


@login_required
def security_history(request: HttpRequest) -> HttpResponse:
    """The person's own security history, their second factors and their sessions."""
    user = request.user
    events = [
        {"event": event, "label": security.label(event)}
        for event in user.security_events.all()[:200]  # type: ignore[union-attr]
    ]
    has_factor = user.authenticator_set.filter(type__in=FACTOR_TYPES).exists()  # type: ignore[union-attr]
    return render(request, "accounts/security.html", {"events": events, "has_factor": has_factor})
