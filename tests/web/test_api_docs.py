"""/api/docs, linked from every page's footer, is a page of the site: its language, its
landmarks and a first-level heading, listing every operation of the OpenAPI description."""

from __future__ import annotations

import json

from django.test import Client


def test_the_api_documentation_is_a_page_of_the_site(db) -> None:
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get("/api/docs")
    html = page.content.decode()
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert '<html lang="en">' in html
    assert '<main id="main"' in html and 'class="site-header"' in html
    assert "<title>API documentation · netcourt</title>" in html
    assert "<h1>API documentation</h1>" in html
    assert 'href="/api/openapi.json"' in html
    schema = json.loads(Client().get("/api/openapi.json").content)
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert f"<code>{method.upper()} {path}</code>" in html
            assert operation["summary"].replace("'", "&#x27;") in html
    assert "cdn.jsdelivr.net" not in html  # no third-party script


def test_the_api_documentation_follows_the_visitors_language(db) -> None:
    page = Client(HTTP_ACCEPT_LANGUAGE="zh-CN").get("/api/docs")
    html = page.content.decode()
    assert '<html lang="zh-Hans">' in html
    assert '<h2 id="api-cases" lang="en">Cases</h2>' in html  # the operations' texts are English
