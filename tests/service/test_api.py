"""Consent and service records through the API."""

from __future__ import annotations

from netcourt.cases import actions as case_actions
from netcourt.service.models import Consent
from tests.conftest import api_client


def test_consent_and_service_records_over_the_api(
    accepted, staff, bob, mallory, django_capture_on_commit_callbacks
) -> None:
    party = accepted.parties.get(role="defendant")
    party.user = bob
    party.save()
    client = api_client(bob)
    url = f"/api/v1/cases/{accepted.pk}/consents"
    assert client.get(url).json() == []
    body = {
        "party": party.pk,
        "kind": "electronic_service",
        "decision": "given",
        "channels": ["inbox", "email"],
        "email": "bob@mail.example",
    }
    made = client.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="c-1")
    assert made.status_code == 201, made.content
    again = client.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="c-1")
    assert again.json() == made.json() and Consent.objects.count() == 1
    assert Consent.objects.get().via == "api"
    bad = client.post(
        url,
        {**body, "channels": ["sms"], "phone": "0571-1234"},
        content_type="application/json",
    )
    assert bad.status_code == 422 and (bad.json()["code"], bad.json()["field"]) == (
        "input_invalid",
        "phone",
    )
    [listed] = client.get(url).json()
    assert listed["channels"] == ["inbox", "email"] and listed["email"] == "bob@mail.example"
    accepted.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        case_actions.fire(staff["clerk-hangzhou"], accepted.id, "serve_complaint", accepted.version)
    records = api_client(accepted.created_by).get(f"/api/v1/cases/{accepted.pk}/service").json()
    complaint = next(r for r in records if r["document"] == "complaint_copy")
    assert complaint["effective_by"] == "delivered"
    assert [(d["channel"], d["status"]) for d in complaint["deliveries"]] == [
        ("inbox", "delivered")
    ]
    stranger = api_client(mallory).get(f"/api/v1/cases/{accepted.pk}/service")
    assert stranger.status_code == 404


def test_reading_consents_and_service_records_is_in_the_access_log(accepted, bob) -> None:
    from netcourt.cases.models import AccessLogEntry

    party = accepted.parties.get(role="defendant")
    party.user = bob
    party.save()
    client = api_client(bob)
    for what in ("consents", "service"):
        assert client.get(f"/api/v1/cases/{accepted.pk}/{what}").status_code == 200
        entry = AccessLogEntry.objects.get(case=accepted, what=f"api.{what}")
        assert entry.user == bob and entry.roles == ["defendant"]
