"""Unknown addresses and failures get the site's own page, in the visitor's language, or
problem+json under /api/; the browser's /favicon.ico finds the site's icon."""

from __future__ import annotations

import json
import re
from typing import Any
from unittest import mock

import pytest
from django.db import OperationalError, connections
from django.test import Client

from tests.conftest import signed_in

FAILING_URLS = "tests.web.error_urls"


def title(html: str) -> str:
    found = re.search(r"<title>(.*?)</title>", html, re.S)
    assert found, html[:500]
    return " ".join(found.group(1).split())


def in_site_layout(html: str) -> bool:
    return all(
        mark in html
        for mark in ('class="skip-link"', 'class="site-header"', '<main id="main"', "/api/docs")
    )


@pytest.fixture
def failing_urls(settings: Any) -> None:
    settings.ROOT_URLCONF = FAILING_URLS


def test_an_unknown_page_is_the_sites_own_in_english(db) -> None:
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get("/no-such-page/")
    html = page.content.decode()
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")
    assert '<html lang="en">' in html and in_site_layout(html)
    assert title(html) == "Page not found · netcourt"
    assert "<h1>Page not found</h1>" in html
    assert 'href="/"' in html


def test_an_unknown_page_is_in_the_visitors_language(db) -> None:
    page = Client(HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").get("/cases/not-a-case/")
    html = page.content.decode()
    assert page.status_code == 404
    assert page["Content-Language"] == "zh-hans"
    assert '<html lang="zh-Hans">' in html and in_site_layout(html)
    assert "语言" in html  # the header's language switch, in Chinese


def test_a_signed_in_persons_404_keeps_their_navigation(alice) -> None:
    html = signed_in(alice).get("/no-such-page/").content.decode()
    assert 'href="/dashboard/"' in html and "Sign out" not in html  # alice prefers Chinese
    assert '<html lang="zh-Hans">' in html


@pytest.mark.parametrize("path", ["/api/v1/no-such-thing", "/api/", "/api/v1/cases/x/nope"])
def test_an_unknown_api_address_is_problem_json(db, path: str) -> None:
    answer = Client(HTTP_ACCEPT_LANGUAGE="en").get(path)
    assert answer.status_code == 404
    assert answer["Content-Type"] == "application/problem+json"
    body = json.loads(answer.content)
    assert body["code"] == "not_found" and body["status"] == 404
    assert body["type"].endswith("/not_found") and body["title"] == "Not found."
    assert body["instance"] == path


def test_a_server_error_is_the_sites_own_page_in_the_visitors_language(failing_urls, db) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-CN", raise_request_exception=False)
    page = client.get("/boom/")
    html = page.content.decode()
    assert page.status_code == 500
    assert page["Content-Type"].startswith("text/html")
    assert '<html lang="zh-Hans">' in html and in_site_layout(html)
    english = Client(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False).get("/boom/")
    html = english.content.decode()
    assert title(html) == "Server error · netcourt" and "<h1>Server error</h1>" in html
    assert "try again" in html


def test_the_500_page_needs_neither_the_database_nor_the_context_processors(
    failing_urls, settings, alice
) -> None:
    settings.TEMPLATES = [
        {
            **settings.TEMPLATES[0],
            "OPTIONS": {
                **settings.TEMPLATES[0]["OPTIONS"],
                "context_processors": [
                    *settings.TEMPLATES[0]["OPTIONS"]["context_processors"],
                    f"{FAILING_URLS}.broken_context",
                ],
            },
        }
    ]
    client = signed_in(alice)
    client.raise_request_exception = False
    database_down = OperationalError("unable to open database file")
    with mock.patch.object(connections["default"], "ensure_connection", side_effect=database_down):
        # Signed in, the request itself fails when it reads the session from the database.
        page = client.get("/dashboard/")
        html = page.content.decode()
        assert page.status_code == 500
        assert in_site_layout(html) and "<h1>Server error</h1>" in html
        page = client.get("/boom/")
        assert page.status_code == 500 and in_site_layout(page.content.decode())


def test_if_even_the_500_template_fails_a_plain_page_says_so(failing_urls, db) -> None:
    client = Client(raise_request_exception=False)
    with mock.patch("django.template.loader.get_template", side_effect=RuntimeError("broken")):
        page = client.get("/boom/")
    assert page.status_code == 500
    html = page.content.decode()
    assert "<title>Server error · netcourt</title>" in html and 'lang="zh-Hans"' in html


def test_a_server_error_in_the_api_is_problem_json(failing_urls, db) -> None:
    answer = Client(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False).get("/api/v1/boom")
    assert answer.status_code == 500
    assert answer["Content-Type"] == "application/problem+json"
    body = json.loads(answer.content)
    assert body["code"] == "server_error" and body["status"] == 500
    assert body["type"].endswith("/server_error")
    assert body["title"] == "The court's server could not complete the request."
    assert body["instance"] == "/api/v1/boom"


def test_the_browsers_favicon_request_finds_the_sites_icon(db) -> None:
    client = Client()
    html = client.get("/").content.decode()
    icon = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', html)
    assert icon, "the pages link no icon"
    answer = client.get("/favicon.ico")
    assert answer.status_code == 301 and answer["Location"] == icon.group(1)
    svg = client.get(icon.group(1))
    assert svg.status_code == 200 and svg["Content-Type"].startswith("image/svg+xml")
    assert b"<svg" in b"".join(svg.streaming_content)


def test_a_form_sent_without_its_security_token_gets_the_sites_page(db) -> None:
    page = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="zh-Hans").post(
        "/i18n/setlang/", {"language": "en"}
    )
    html = page.content.decode()
    assert page.status_code == 403 and in_site_layout(html)
    assert title(html).startswith("表单未能提交") and 'lang="zh-hans"' in html.lower()
    api = Client(enforce_csrf_checks=True).post("/api/v1/fees/quote", {}, "application/json")
    assert api.status_code in (401, 403) and api["Content-Type"] == "application/problem+json"
