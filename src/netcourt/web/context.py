from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest

from netcourt.accounts.mfa import STEP_UP_BACK
from netcourt.cases import policy
from netcourt.core.i18n import current_language


def site(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    lang = current_language()
    clerk_of = (
        [{"slug": c.slug, "name": c.name_in(lang)} for c in policy.clerk_courts(user)]
        if user is not None
        else []
    )
    return {
        "site_languages": settings.LANGUAGES,
        "clerk_courts": clerk_of,
        "step_up_back": _step_up_back(request),
    }


def _step_up_back(request: HttpRequest) -> str:
    """The page a person left to set up or confirm a second factor, offered on the account
    pages until they are back on it."""
    session = getattr(request, "session", None)
    if session is None:
        return ""
    back = str(session.get(STEP_UP_BACK, ""))
    if back and urlsplit(back).path == request.path:
        session.pop(STEP_UP_BACK)
        return ""
    return back
