"""The Content-Security-Policy of the site's pages.

Every page's scripts and stylesheets are files the site serves (no inline script, no inline
style, nothing from another origin), so the browser is told to run nothing else: a name or a
text someone managed to smuggle into a page as markup could not run as a script. The hearing
room's WebSocket goes to the host the page came from; recordings play from the site, and a
camera's picture is shown from the browser's own stream. A response that sets its own policy
(a download: ``sandbox``) keeps it. The back office (Django's admin, for court staff with a
second factor) sets styles from its scripts, so its pages allow inline styles, never inline
scripts.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"
BACK_OFFICE = "/backoffice/"

_REST = (
    "img-src 'self' data:; media-src 'self' blob:; font-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
SITE = f"default-src 'self'; script-src 'self'; style-src 'self'; {_REST}"
BACK_OFFICE_POLICY = (
    f"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; {_REST}"
)


def policy_for(request: HttpRequest) -> str:
    policy = BACK_OFFICE_POLICY if request.path.startswith(BACK_OFFICE) else SITE
    try:
        host = request.get_host()
    except DisallowedHost:  # answered 400 already; no socket to allow
        return f"{policy}; connect-src 'self'"
    return f"{policy}; connect-src 'self' ws://{host} wss://{host}"


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if HEADER not in response:
            response[HEADER] = policy_for(request)
        return response
