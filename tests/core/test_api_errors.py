"""The API's refusals at its door: every one problem+json with a stable code, none a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory

from netcourt.accounts.models import ApiToken
from netcourt.accounts.tokens import create_token
from netcourt.cases.models import Case, CaseEvent
from netcourt.core.problems import Problem, problem_response
from tests.conftest import api_client

QUOTE = "/api/v1/fees/quote"


def send(client: Client, path: str, text: str, **headers: Any) -> Any:
    """``text`` as the body, exactly: a JSON escape like ``\\ud800`` stays an escape."""
    return client.post(path, data=text.encode(), content_type="application/json", **headers)


def refused(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == code
    return problem


# --- a lone surrogate anywhere in a JSON body -------------------------------------------------


@pytest.mark.parametrize(
    ("path", "text", "field"),
    [
        ("/api/v1/cases", '{"court": "\\ud800", "category": "x"}', "court"),
        ("/api/v1/cases", '{"court": "hangzhou", "category": "x\\udfff"}', "category"),
        (QUOTE, '{"kind": "property", "amount": "1", "reductions": ["\\ud800"]}', "reductions.0"),
        (QUOTE, '{"kind": "property", "\\ud800": 1}', None),
    ],
)
def test_a_lone_surrogate_in_a_body_is_refused_at_the_door(
    alice, courts, path, text, field
) -> None:
    problem = refused(send(api_client(alice), path, text), 422, "validation_error")
    assert problem.get("field") == field
    assert problem["errors"][0]["type"] == "string_unicode"
    assert Case.objects.count() == 0


def test_a_lone_surrogate_in_a_steps_inputs_writes_nothing(submitted, staff) -> None:
    clerk = api_client(staff["clerk-hangzhou"])
    url = f"/api/v1/cases/{submitted.id}/events"
    before = CaseEvent.objects.count()
    for inputs, field in (
        ('{"reasons": "\\ud800"}', "inputs.reasons"),
        ('{"\\ud800": "x"}', "inputs"),  # a key: its object is named
    ):
        text = f'{{"event": "reject", "version": {submitted.version}, "inputs": {inputs}}}'
        problem = refused(send(clerk, url, text), 422, "validation_error")
        assert problem["field"] == field
    assert CaseEvent.objects.count() == before
    submitted.refresh_from_db()
    assert submitted.state == "submitted"


def test_a_surrogate_pair_is_a_character_and_is_taken(alice, courts) -> None:
    response = send(
        api_client(alice), "/api/v1/cases", '{"court": "\\ud83d\\ude00", "category": "x"}'
    )
    assert refused(response, 422, "input_invalid")["field"] == "court"  # no such court


def test_a_problem_whose_text_holds_a_lone_surrogate_is_still_answered() -> None:
    request = RequestFactory().get("/api/v1/cases")
    response = problem_response(request, Problem("input_invalid", "no \ud800 here", field="x"))
    assert json.loads(response.content.decode("utf-8"))["detail"] == "no \ufffd here"


# --- what is not JSON, and what is too large ---------------------------------------------------


@pytest.mark.parametrize(
    "body", [b"{", b"\xff\xfe not json", b"[" * 100_000, b'{"amount": NaN}', b"[-Infinity]"]
)
def test_a_body_that_is_not_json_is_422_like_every_validation_error(bob, alice, body) -> None:
    response = api_client(bob).post(QUOTE, data=body, content_type="application/json")
    problem = refused(response, 422, "validation_error")
    assert problem["errors"] == [
        {"field": None, "message": "the body is not JSON", "type": "json_invalid"}
    ]
    assert problem["detail"] == "The request is not valid: the body is not JSON."
    in_chinese = api_client(alice).post(QUOTE, data=body, content_type="application/json")
    assert refused(in_chinese, 422, "validation_error")["detail"] == "请求无效：请求正文不是 JSON。"


def test_a_body_over_the_memory_limit_is_413(alice, courts, settings) -> None:
    text = json.dumps({"court": "hangzhou", "category": "x" * 3_000_000})
    problem = refused(send(api_client(alice), "/api/v1/cases", text), 413, "request_too_large")
    assert problem["max_bytes"] == settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert str(settings.DATA_UPLOAD_MAX_MEMORY_SIZE) in problem["detail"]
    assert Case.objects.count() == 0


# --- methods -----------------------------------------------------------------------------------


def test_a_method_an_address_does_not_take_is_a_problem(draft, alice) -> None:
    client = api_client(alice)
    for method, path, allow in (
        ("delete", "/api/v1/cases", "GET, POST"),
        ("patch", f"/api/v1/cases/{draft.id}", "GET"),
        ("post", "/api/v1/courts", "GET"),
    ):
        problem = refused(getattr(client, method)(path), 405, "method_not_allowed")
        assert problem["allow"] == allow.split(", ")
        assert getattr(client, method)(path)["Allow"] == allow


# --- credentials -------------------------------------------------------------------------------


def test_an_unsafe_request_without_credentials_is_401_not_a_csrf_refusal(alice) -> None:
    """A browser-less client is held to CSRF only when a session signs someone in."""
    client = Client(enforce_csrf_checks=True)
    for response in (
        client.post(QUOTE, data={"kind": "property"}, content_type="application/json"),
        client.put(
            "/api/v1/cases/00000000-0000-0000-0000-000000000000/filing",
            data={},
            content_type="application/json",
        ),
    ):
        refused(response, 401, "not_authenticated")
        assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_is_401(alice) -> None:
    token = create_token(alice)
    ApiToken.objects.filter(user=alice).update(revoked_at="2026-01-01T00:00:00Z")
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {token}")
    response = client.post(QUOTE, data={"kind": "property"}, content_type="application/json")
    refused(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_signed_in_browser_still_needs_the_csrf_token(alice) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    body = {"kind": "labour"}
    forged = client.post(QUOTE, data=body, content_type="application/json")
    refused(forged, 403, "csrf_failed")
    page = client.get("/")
    token = get_token(page.wsgi_request)
    client.cookies["csrftoken"] = token
    allowed = client.post(QUOTE, data=body, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert allowed.status_code == 200, allowed.content


# --- what a validation error says ------------------------------------------------------------


def test_a_validation_error_names_the_field_and_why_in_the_persons_language(alice) -> None:
    """alice reads Chinese: the detail and every message are translated, not pydantic's."""
    problem = refused(send(api_client(alice), QUOTE, '{"amount": "5"}'), 422, "validation_error")
    assert problem["field"] == "kind"
    assert problem["errors"][0]["type"] == "missing"
    assert problem["errors"][0]["message"] != "Field required"
    assert problem["detail"].startswith("“kind”")
    assert problem["detail"] != problem["title"]


def test_a_validation_error_in_english(mallory) -> None:
    problem = refused(
        send(api_client(mallory), QUOTE, '{"kind": "x" , "counterclaim": "perhaps"}'),
        422,
        "validation_error",
    )
    assert problem["detail"] == "“counterclaim”: true or false is required"
    assert problem["errors"] == [
        {"field": "counterclaim", "message": "true or false is required", "type": "bool_parsing"}
    ]


def test_a_field_of_a_union_is_named_plainly(exchanging, alice) -> None:
    item = "00000000-0000-0000-0000-000000000000"
    url = f"/api/v1/cases/{exchanging.pk}/evidence/{item}/opinions"
    problem = refused(
        send(api_client(alice), url, '{"authenticity": "maybe"}'), 422, "validation_error"
    )
    assert problem["field"] == "authenticity"
    assert [e["field"] for e in problem["errors"]] == ["authenticity"]
