"""Nasty input gets a clear problem with a stable code and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from netcourt.cases.models import Case, CaseEvent
from tests.cases.test_api import FILING, post
from tests.conftest import api_client


def filing(**changes: Any) -> dict[str, Any]:
    return dict(FILING, filing=dict(FILING["filing"], **changes))


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        (filing(amount="12abc"), "validation_error", "filing.amount"),
        (filing(amount="1e30"), "validation_error", "filing.amount"),
        (filing(amount="0.001"), "validation_error", "filing.amount"),
        (filing(factors={"buyer_domicile": "atlantis"}), "input_invalid", "factors.buyer_domicile"),
        (filing(factors={"no_such_factor": "hangzhou"}), "input_invalid", "factors.no_such_factor"),
        (filing(exclusions=["not_a_ground"]), "input_invalid", "exclusions"),
        (
            filing(parties=[{"role": "judge", "kind": "natural", "name": "x"}]),
            "validation_error",
            None,
        ),
        (
            filing(parties=[{"role": "plaintiff", "kind": "natural", "name": "  "}]),
            "input_missing",
            None,
        ),
        (filing(facts="x" * 100_001), "validation_error", "filing.facts"),
        (filing(facts="paid\u0000 never shipped"), "input_invalid", "facts"),
        (
            filing(parties=[{"role": "plaintiff", "kind": "natural", "name": "Z\u0007"}]),
            "input_invalid",
            "parties[0].name",
        ),
        (dict(FILING, category="tax_evasion"), "input_invalid", "category"),
        (dict(FILING, court="moon"), "input_invalid", "court"),
        (dict(FILING, acting_as="lawyer"), "input_missing", "licence_number"),
    ],
)
def test_bad_filings_are_refused_and_write_nothing(
    alice, courts, frozen, body, code, field
) -> None:
    response = post(api_client(alice), "/api/v1/cases", body)
    assert response.status_code in (400, 422), response.content
    problem = response.json()
    assert problem["code"] == code
    if field:
        assert problem["field"] == field
    assert Case.objects.count() == 0


def test_bad_step_inputs_are_refused_and_write_nothing(submitted, staff) -> None:
    clerk = api_client(staff["clerk-hangzhou"])
    url = f"/api/v1/cases/{submitted.id}/events"
    before = CaseEvent.objects.count()
    cases = [
        (
            {
                "event": "accept",
                "version": submitted.version,
                "inputs": {"track": "trial_by_combat"},
            },
            "input_invalid",
        ),
        (
            {
                "event": "request_corrections",
                "version": submitted.version,
                "inputs": {"defects": {"a": 1}},
            },
            "input_invalid",
        ),
        ({"event": "no_such_step", "version": submitted.version}, "unknown_event"),
        (
            {"event": "reject", "version": submitted.version, "inputs": {"reasons": "no\u0000"}},
            "input_invalid",
        ),
        ({"event": "close_appeal_period", "version": submitted.version}, "role_not_allowed"),
        ({"event": "accept", "version": "latest"}, "validation_error"),
    ]
    for body, code in cases:
        response = post(clerk, url, body)
        assert response.json()["code"] == code, (body, response.content)
    assert CaseEvent.objects.count() == before
    submitted.refresh_from_db()
    assert submitted.state == "submitted"


def test_a_body_that_is_not_json_is_refused(alice, courts) -> None:
    response = api_client(alice).post(
        "/api/v1/cases", data=b"\xff\xfe not json", content_type="application/json"
    )
    assert response.status_code in (400, 422)
    assert Case.objects.count() == 0


def test_an_empty_or_huge_idempotency_key_is_refused(alice, courts) -> None:
    client = api_client(alice)
    for key in ("   ", "k" * 300):
        response = post(client, "/api/v1/cases", FILING, HTTP_IDEMPOTENCY_KEY=key)
        assert response.status_code == 400
        assert response.json()["code"] == "idempotency_key_invalid"
    assert Case.objects.count() == 0
