"""The HTTP API as a platform or a lawyer's software would use it."""

from __future__ import annotations

import json
from typing import Any

from netcourt.cases.models import Case, CaseEvent
from tests.conftest import api_client

FILING: dict[str, Any] = {
    "court": "hangzhou",
    "category": "ecommerce_purchase",
    "filing": {
        "title": "Refund for a phone",
        "amount": "4299.00",
        "claims": "Refund CNY 4,299.00.",
        "facts": "Paid, never shipped.",
        "factors": {"buyer_domicile": "hangzhou"},
        "simple": True,
        "parties": [
            {"role": "plaintiff", "kind": "natural", "name": "Zhang Wei"},
            {"role": "defendant", "kind": "legal", "name": "Yungou Co., Ltd."},
        ],
    },
}


def post(client, path: str, body: Any, **headers: str):
    return client.post(path, data=json.dumps(body), content_type="application/json", **headers)


def test_file_submit_accept_and_read_the_docket(alice, staff, courts, frozen) -> None:
    client = api_client(alice)
    created = post(client, "/api/v1/cases", FILING)
    assert created.status_code == 201, created.content
    case = created.json()
    assert case["state"] == "draft"
    submitted = post(
        client,
        f"/api/v1/cases/{case['id']}/events",
        {"event": "submit", "version": case["version"]},
    )
    assert submitted.status_code == 201, submitted.content
    version = submitted.json()["case"]["version"]
    clerk = api_client(staff["clerk-hangzhou"])
    queue = clerk.get("/api/v1/courts/hangzhou/queue").json()
    assert [item["id"] for item in queue] == [case["id"]]
    assert queue[0]["days_left"] == 7
    accepted = post(
        clerk, f"/api/v1/cases/{case['id']}/events", {"event": "accept", "version": version}
    )
    assert accepted.status_code == 201, accepted.content
    assert accepted.json()["case"]["number"] == "(2026)浙0192民初1号"
    docket = client.get(f"/api/v1/cases/{case['id']}/docket").json()
    assert [e["event"] for e in docket][-4:] == [
        "submit",
        "accept",
        "assign_judge",
        "give_judge_notice",
    ]
    log = client.get(f"/api/v1/cases/{case['id']}/access-log").json()
    assert any("clerk" in entry["roles"] for entry in log) is False
    assert any(entry["what"] == "api.docket" for entry in log)


def test_the_same_idempotency_key_creates_one_case(alice, courts, frozen) -> None:
    client = api_client(alice)
    first = post(client, "/api/v1/cases", FILING, HTTP_IDEMPOTENCY_KEY="k-1")
    again = post(client, "/api/v1/cases", FILING, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert Case.objects.count() == 1
    other = dict(FILING, category="online_loan")
    reused = post(client, "/api/v1/cases", other, HTTP_IDEMPOTENCY_KEY="k-1")
    assert reused.status_code == 422
    assert reused.json()["code"] == "idempotency_key_reused"
    assert Case.objects.count() == 1


def test_a_retry_that_writes_the_same_json_differently_is_the_same_request(
    alice, courts, frozen
) -> None:
    client = api_client(alice)
    first = post(client, "/api/v1/cases", FILING, HTTP_IDEMPOTENCY_KEY="k-2")
    reordered = json.dumps(dict(reversed(list(FILING.items()))), indent=2, ensure_ascii=True)
    again = client.post(
        "/api/v1/cases", data=reordered, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-2"
    )
    assert first.status_code == again.status_code == 201, again.content
    assert again.json()["id"] == first.json()["id"]
    assert Case.objects.count() == 1


def test_a_deeply_nested_body_is_no_server_error_where_a_key_is_checked(accepted, alice) -> None:
    """A tus creation reads no body, but its Idempotency-Key fingerprint does."""
    answer = api_client(alice).post(
        f"/api/v1/cases/{accepted.id}/uploads",
        data=b"[" * 100_000,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="deep",
        HTTP_TUS_RESUMABLE="1.0.0",
        HTTP_UPLOAD_LENGTH="10",
    )
    assert answer.status_code < 500


def test_errors_are_problem_json_with_a_stable_code_and_write_nothing(alice, courts) -> None:
    client = api_client(alice)
    bad = dict(FILING, filing=dict(FILING["filing"], amount="-5"))
    response = post(client, "/api/v1/cases", bad)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["field"] == "filing.amount"
    garbage = client.post("/api/v1/cases", data=b"{not json", content_type="application/json")
    assert garbage.status_code in (400, 422)
    assert Case.objects.count() == 0


def test_a_stale_version_is_a_409_problem(alice, courts, frozen) -> None:
    client = api_client(alice)
    case = post(client, "/api/v1/cases", FILING).json()
    stale = post(
        client,
        f"/api/v1/cases/{case['id']}/events",
        {"event": "submit", "version": case["version"] - 1},
    )
    assert stale.status_code == 409
    assert stale.json()["code"] == "stale_version"
    assert stale.json()["current_version"] == case["version"]
    assert CaseEvent.objects.filter(event="submit").count() == 0


def test_without_a_token_the_api_answers_401(courts) -> None:
    from django.test import Client

    response = Client().get("/api/v1/cases")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    wrong = Client(HTTP_AUTHORIZATION="Bearer nct_wrong").get("/api/v1/cases")
    assert wrong.status_code == 401


def test_a_stranger_cannot_learn_that_a_case_exists(alice, mallory, courts, frozen) -> None:
    case = post(api_client(alice), "/api/v1/cases", FILING).json()
    stranger = api_client(mallory)
    assert stranger.get(f"/api/v1/cases/{case['id']}").status_code == 404
    assert stranger.get(f"/api/v1/cases/{case['id']}/docket").status_code == 404
    assert stranger.get("/api/v1/cases").json()["items"] == []


def test_cursor_pagination_walks_every_case_once(alice, courts, frozen) -> None:
    client = api_client(alice)
    ids = set()
    for n in range(5):
        frozen.advance(__import__("datetime").timedelta(minutes=1))
        ids.add(
            post(client, "/api/v1/cases", dict(FILING, filing={"title": f"case {n}"})).json()["id"]
        )
    seen: list[str] = []
    cursor = None
    while True:
        url = "/api/v1/cases?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 5 and set(seen) == ids


def test_the_openapi_document_is_served() -> None:
    from django.test import Client

    spec = Client().get("/api/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    assert "/api/v1/cases" in spec["paths"]


def test_steps_on_unknown_and_foreign_cases_look_the_same(alice, mallory, courts, frozen) -> None:
    import uuid

    case = post(api_client(alice), "/api/v1/cases", FILING).json()
    stranger = api_client(mallory)
    for case_id in (case["id"], str(uuid.uuid4())):
        step = post(stranger, f"/api/v1/cases/{case_id}/events", {"event": "submit", "version": 2})
        amend = stranger.put(
            f"/api/v1/cases/{case_id}/filing",
            data=json.dumps({"version": 2, "filing": {"title": "mine now"}}),
            content_type="application/json",
        )
        assessment = stranger.get(f"/api/v1/cases/{case_id}/assessment")
        for response in (step, amend, assessment):
            assert response.status_code == 404, response.content
            assert response.json()["code"] == "not_found"
    assert stranger.get("/api/v1/cases/not-a-uuid").status_code in (404, 422)


def test_a_step_that_needs_a_second_factor_takes_a_code_in_the_header(accepted: Case) -> None:
    """Withdrawing needs a fresh second factor: an API client sends a current code in
    ``Netcourt-Second-Factor``, as docs/api.md says; without one the step is refused."""
    from netcourt.accounts.mfa import current_totp_code
    from tests.conftest import STAFF_TOTP_SECRET, add_totp

    plaintiff = accepted.created_by
    add_totp(plaintiff, STAFF_TOTP_SECRET)
    client = api_client(plaintiff)
    url = f"/api/v1/cases/{accepted.id}/events"
    body = {"event": "withdraw", "version": accepted.version}
    refused = post(client, url, body)
    assert refused.status_code == 403 and refused.json()["code"] == "step_up_required"
    taken = post(
        client, url, body, HTTP_NETCOURT_SECOND_FACTOR=current_totp_code(STAFF_TOTP_SECRET)
    )
    assert taken.status_code == 201, taken.content
    assert taken.json()["case"]["state"] == "withdrawn"


def _withdrawal_with_codes(case: Case) -> tuple[Any, str, dict[str, Any], str, str]:
    """The plaintiff's API client with an authenticator, the withdrawal's address and body,
    and a right and a wrong code."""
    from netcourt.accounts.mfa import current_totp_code
    from tests.conftest import STAFF_TOTP_SECRET, add_totp

    add_totp(case.created_by, STAFF_TOTP_SECRET)
    right = current_totp_code(STAFF_TOTP_SECRET)
    return (
        api_client(case.created_by),
        f"/api/v1/cases/{case.id}/events",
        {"event": "withdraw", "version": case.version},
        right,
        f"{(int(right) + 1) % 1_000_000:06d}",
    )


def test_wrong_codes_in_the_header_are_counted_and_then_refused_for_a_while(
    accepted: Case,
) -> None:
    """Six digits could be guessed with a stolen token: after five wrong codes in five
    minutes no code is checked (429), and each wrong one is in the owner's security history."""
    from netcourt.accounts.mfa import HEADER_FAILURES
    from netcourt.accounts.models import SecurityEvent

    plaintiff = accepted.created_by
    client, url, body, right, wrong = _withdrawal_with_codes(accepted)
    for _ in range(HEADER_FAILURES):
        refused = post(client, url, body, HTTP_NETCOURT_SECOND_FACTOR=wrong)
        assert refused.json()["code"] == "step_up_required"
    failed = SecurityEvent.objects.filter(user=plaintiff, tag="account:mfa:failed")
    assert failed.count() == HEADER_FAILURES
    locked = post(client, url, body, HTTP_NETCOURT_SECOND_FACTOR=right)
    assert locked.status_code == 429 and locked.json()["code"] == "rate_limited"
    accepted.refresh_from_db()
    assert accepted.state == "accepted"


def test_a_wrong_code_stays_in_the_history_when_the_step_is_sent_with_an_idempotency_key(
    accepted: Case,
) -> None:
    """The code is read before the step's transaction: the refusal's rollback keeps it."""
    from netcourt.accounts.models import SecurityEvent

    plaintiff = accepted.created_by
    client, url, body, right, wrong = _withdrawal_with_codes(accepted)
    for n in range(3):
        refused = post(
            client, url, body, HTTP_NETCOURT_SECOND_FACTOR=wrong, HTTP_IDEMPOTENCY_KEY=f"w-{n}"
        )
        assert refused.status_code == 403
    assert SecurityEvent.objects.filter(user=plaintiff, tag="account:mfa:failed").count() == 3
    taken = post(client, url, body, HTTP_NETCOURT_SECOND_FACTOR=right, HTTP_IDEMPOTENCY_KEY="ok")
    assert taken.status_code == 201
    again = post(client, url, body, HTTP_NETCOURT_SECOND_FACTOR=right, HTTP_IDEMPOTENCY_KEY="ok")
    assert again.json() == taken.json()  # the replay reads no code (a used one would fail)
    assert SecurityEvent.objects.filter(user=plaintiff, tag="account:mfa:failed").count() == 3
