"""The site's own answers to an unknown address (404), to a form sent without its security
token (403) and to a failure of the server (500), and the API's to a method an address does
not take (405).

A person gets a page in the site's layout and in the language of the request; an API client
(any path under /api/) gets RFC 9457 problem+json with a stable ``code``, as every other API
error. The 500 answer runs when something already failed, perhaps the database: it renders
without context processors, without the signed-in person and without the database, and falls
back to a fixed page if even that fails.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import loader

from netcourt.core.problems import NotFound, Problem, problem_response

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"

# The last resort when the 500 template itself cannot be rendered: both languages, no markup
# that could fail.
FALLBACK_500 = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Server error · netcourt</title></head>
<body><main><h1>Server error</h1>
<p>Something went wrong on the court's server. Please try again in a few minutes.</p>
<p lang="zh-Hans">法院服务器出现故障，请几分钟后再试。</p>
<p><a href="/">netcourt</a></p></main></body></html>
"""


def _for_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404: the site's "page not found", or problem+json ``not_found`` for the API."""
    if _for_api(request):
        return problem_response(request, NotFound())
    return render(request, "web/404.html", status=404)


def api_method_not_allowed(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Middleware: an API address asked with a method it does not take answers problem+json
    ``method_not_allowed`` (405) with its ``Allow`` header, not the framework's plain text."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if (
            response.status_code == 405
            and _for_api(request)
            and response.get("Content-Type") != "application/problem+json"
        ):
            allow = response.get("Allow", "")
            methods = sorted(m.strip() for m in allow.split(",") if m.strip())
            problem = Problem("method_not_allowed", status=405, extra={"allow": methods})
            response = problem_response(request, problem)
            response["Allow"] = ", ".join(methods)
        return response

    return middleware


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: a form sent without the page's security token (a page open too long,
    a blocked cookie) gets the site's page saying what to do, or problem+json
    ``csrf_failed`` under /api/."""
    if _for_api(request):
        return problem_response(request, Problem("csrf_failed", status=403))
    return render(request, "web/403_csrf.html", status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a minimal page in the site's layout, or problem+json ``server_error``."""
    if _for_api(request):
        return problem_response(request, Problem("server_error", status=500))
    try:
        # No request passed: no context processors, so nothing here reads the database or
        # the session (the header shows no navigation, see web/500.html).
        body = loader.get_template("web/500.html").render({})
    except Exception:
        logger.exception("the 500 page could not be rendered")
        body = FALLBACK_500
    return HttpResponse(body, status=500, content_type="text/html; charset=utf-8")
