"""The Content-Security-Policy of the site's pages."""

from __future__ import annotations

from django.http import HttpResponse
from django.test import Client, RequestFactory

from netcourt.core.headers import ContentSecurityPolicyMiddleware


def _policy(response: HttpResponse) -> dict[str, str]:
    return {
        part.strip().split(" ", 1)[0]: part.strip().partition(" ")[2]
        for part in response["Content-Security-Policy"].split(";")
    }


def test_pages_run_only_the_sites_own_scripts_and_styles(db) -> None:
    policy = _policy(Client().get("/", HTTP_HOST="127.0.0.1:8000"))
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
    assert policy["base-uri"] == "'none'"
    # The hearing room's socket goes to the host the page came from, and nowhere else.
    assert policy["connect-src"] == "'self' ws://127.0.0.1:8000 wss://127.0.0.1:8000"


def test_the_back_office_allows_inline_styles_never_inline_scripts(db) -> None:
    policy = _policy(Client().get("/backoffice/", HTTP_HOST="127.0.0.1"))
    assert policy["style-src"] == "'self' 'unsafe-inline'" and policy["script-src"] == "'self'"


def test_a_response_with_its_own_policy_keeps_it() -> None:
    own = HttpResponse()
    own["Content-Security-Policy"] = "sandbox"
    middleware = ContentSecurityPolicyMiddleware(lambda request: own)
    assert middleware(RequestFactory().get("/x"))["Content-Security-Policy"] == "sandbox"
