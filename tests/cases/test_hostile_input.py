"""Nasty input gets a clear problem with a stable code and changes nothing."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from netcourt.cases.models import Case, CaseEvent
from tests.cases.test_api import FILING, post
from tests.conftest import api_client, make_user, signed_in, verified


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
        (filing(amount="1_000"), "validation_error", "filing.amount"),
        (filing(amount="\u0663"), "validation_error", "filing.amount"),  # Arabic-Indic 3
        (filing(amount="1e3"), "validation_error", "filing.amount"),
        (filing(amount="1,00"), "validation_error", "filing.amount"),
        (filing(facts="x" * 100_001), "validation_error", "filing.facts"),
        (filing(facts="paid\u0000 never shipped"), "input_invalid", "facts"),
        (
            filing(parties=[{"role": "plaintiff", "kind": "natural", "name": "Z\u0007"}]),
            "input_invalid",
            "parties[0].name",
        ),
        (filing(title="\u202eRefund for phone"), "input_invalid", "title"),
        (filing(claims="Refund \u2067the price"), "input_invalid", "claims"),
        (
            filing(parties=[{"role": "plaintiff", "kind": "natural", "name": "\u202eBob Turner"}]),
            "input_invalid",
            "parties[0].name",
        ),
        (
            filing(
                parties=[
                    {"role": "plaintiff", "kind": "natural", "name": "Bob", "address": "A\u200f"}
                ]
            ),
            "input_invalid",
            "parties[0].address",
        ),
        (filing(title="Refund\rBcc: evil@example.org"), "input_invalid", "title"),
        (
            filing(parties=[{"role": "plaintiff", "kind": "natural", "name": "Bob\nTurner"}]),
            "input_invalid",
            "parties[0].name",
        ),
        (filing(title="Refund\u200b for phone"), "input_invalid", "title"),
        (
            filing(parties=[{"role": "plaintiff", "kind": "natural", "name": "\u3164"}]),
            "input_invalid",
            "parties[0].name",
        ),
        (filing(claims="Refund\U000e0041"), "input_invalid", "claims"),
        (filing(title="\u2800"), "input_invalid", "title"),
        (filing(title="Re\u00adfund"), "input_invalid", "title"),
        (filing(claims="Refund\ufffe"), "input_invalid", "claims"),
        (
            filing(parties=[{"role": "plaintiff", "kind": "natural", "name": "Zhang\tWei"}]),
            "input_invalid",
            "parties[0].name",
        ),
        (
            filing(parties=[{"role": "plaintiff", "kind": "natural", "name": "\u0301\u0308"}]),
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
        (
            {"event": "reject", "version": submitted.version, "inputs": {"reasons": "x" * 20001}},
            "input_invalid",
        ),
        (
            {
                "event": "request_corrections",
                "version": submitted.version,
                "inputs": {"defects": ["a\rb"]},
            },
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


# --- the filing pages ----------------------------------------------------------------------

BIDI_CONTROLS = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))] + [
    "\u200e",
    "\u200f",
    "\u061c",
]


def party_rows(version: Any, **changes: str) -> dict[str, Any]:
    rows = {
        "form-TOTAL_FORMS": "2",
        "form-INITIAL_FORMS": "0",
        "form-0-role": "plaintiff",
        "form-0-kind": "natural",
        "form-0-name": "张伟",
        "form-1-role": "defendant",
        "form-1-kind": "legal",
        "form-1-name": "Yungou E-commerce Co., Ltd.",
        "version": version,
    }
    return {**rows, **changes}


def claim(version: Any, **changes: str) -> dict[str, Any]:
    answers = {
        "title": "Refund for phone",
        "amount": "4299.00",
        "claims": "Refund the price.",
        "facts": "I paid; nothing came.",
        "platform": "",
        "version": version,
    }
    return {**answers, **changes}


def in_english(user: Any) -> Any:
    user.preferred_language = "en"
    user.save()
    return signed_in(user)


def unchanged(case: Case) -> tuple[Any, ...]:
    case.refresh_from_db()
    parties = [(p.role, p.name, p.address) for p in case.people()]
    return case.version, case.title, case.amount, dict(case.filing), parties


@pytest.mark.parametrize("step", ["parties", "claim"])
@pytest.mark.parametrize(
    "version",
    ["\u00b2", "9" * 5000, "\u0663", "1_0", " ", "", "x"],
    ids=["superscript", "5000-digits", "arabic-indic", "underscore", "space", "empty", "letter"],
)
def test_an_unreadable_version_is_refused_on_the_page_and_writes_nothing(
    draft, alice, step, version
) -> None:
    before, events = unchanged(draft), CaseEvent.objects.count()
    answers = party_rows(version) if step == "parties" else claim(version, amount="12")
    response = in_english(alice).post(f"/cases/{draft.id}/file/{step}/", answers)
    assert response.status_code == 200
    page = response.content.decode()
    assert "The page did not say which version of the case you saw" in page
    assert f"it is now at version {draft.version}" in page
    assert "None" not in page
    assert unchanged(draft) == before and CaseEvent.objects.count() == events


def test_an_unreadable_version_on_the_case_page_says_so_and_takes_no_step(draft, alice) -> None:
    client = in_english(alice)
    for version in ("\u00b2", "9" * 5000, ""):
        taken = client.post(
            f"/cases/{draft.id}/steps/", {"event": "submit", "version": version}, follow=True
        )
        assert taken.status_code == 200
        assert "did not say which version of the case you saw" in taken.content.decode()
        moved = client.post(
            f"/cases/{draft.id}/move/", {"court": "beijing", "version": version}, follow=True
        )
        assert moved.status_code == 200
        assert "did not say which version of the case you saw" in moved.content.decode()
    draft.refresh_from_db()
    assert draft.state == "draft" and draft.court.slug == "hangzhou"


@pytest.mark.parametrize(
    ("rows", "missing"),
    [
        ({"form-TOTAL_FORMS": "0"}, ["plaintiff", "defendant"]),
        ({"form-1-name": ""}, ["defendant"]),
        ({"form-0-name": "", "form-1-name": ""}, ["plaintiff", "defendant"]),
        ({"form-1-role": "plaintiff"}, ["defendant"]),
    ],
)
def test_the_parties_step_needs_a_plaintiff_and_a_defendant(draft, alice, rows, missing) -> None:
    before = unchanged(draft)
    response = in_english(alice).post(
        f"/cases/{draft.id}/file/parties/", party_rows(draft.version, **rows)
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page
    for role in ("plaintiff", "defendant"):
        assert (f"Name at least one {role}." in page) == (role in missing)
    assert unchanged(draft) == before


@pytest.mark.parametrize("mark", BIDI_CONTROLS, ids=[f"U+{ord(c):04X}" for c in BIDI_CONTROLS])
def test_direction_controls_in_a_name_or_title_are_refused(draft, alice, mark) -> None:
    """An unclosed right-to-left override would turn the court's own words after the name
    backwards on the case page."""
    client = in_english(alice)
    before = unchanged(draft)
    named = client.post(
        f"/cases/{draft.id}/file/parties/",
        party_rows(draft.version, **{"form-1-name": f"{mark}Bob Turner"}),
    )
    titled = client.post(
        f"/cases/{draft.id}/file/claim/", claim(draft.version, title=f"{mark}Refund for phone")
    )
    for response in (named, titled):
        assert response.status_code == 200
        assert "The text contains characters that are not allowed." in response.content.decode()
    assert unchanged(draft) == before
    assert "Bob Turner" not in signed_in(alice).get(f"/cases/{draft.id}/").content.decode()


@pytest.mark.parametrize(
    "typed", ["1_000", "\u0663", "\u0661\u0662", "1e3", "1,00", "12,0000", "-5", "NaN", "Infinity"]
)
def test_an_amount_not_written_in_digits_is_refused(draft, alice, typed) -> None:
    before = unchanged(draft)
    response = in_english(alice).post(
        f"/cases/{draft.id}/file/claim/", claim(draft.version, amount=typed)
    )
    assert response.status_code == 200
    assert "Enter the amount in figures, for example 3299 or 3,299.50." in response.content.decode()
    assert unchanged(draft) == before


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("1,000", "1000.00"),
        ("1,000.50", "1000.50"),
        ("1,234,567.8", "1234567.80"),
        ("\uff10\uff11\uff12", "12.00"),  # full-width, from a Chinese keyboard
        ("\uff11\uff0c\uff10\uff10\uff10\uff0e\uff15", "1000.50"),
        (" 299 ", "299.00"),
    ],
)
def test_an_amount_is_read_as_people_write_it(draft, alice, typed, stored) -> None:
    page = signed_in(alice).post(
        f"/cases/{draft.id}/file/claim/", claim(draft.version, amount=typed)
    )
    assert page.status_code == 302
    draft.refresh_from_db()
    assert str(draft.amount) == stored
    api = api_client(alice).put(
        f"/api/v1/cases/{draft.id}/filing",
        {"version": draft.version, "filing": {"amount": typed}},
        content_type="application/json",
    )
    assert api.status_code == 200, api.content
    assert api.json()["amount"] == stored


# --- steps over the API --------------------------------------------------------------------


def test_a_step_amount_not_written_in_digits_is_refused(accepted, staff) -> None:
    clerk = api_client(staff["clerk-hangzhou"])
    url = f"/api/v1/cases/{accepted.id}/events"
    before = CaseEvent.objects.count()
    for typed in ("\u0663", "1_0", "1e1"):
        body = {"event": "record_payment", "version": accepted.version, "inputs": {"amount": typed}}
        refused = post(clerk, url, body)
        assert refused.status_code == 422
        assert refused.json()["code"] == "input_invalid"
        assert refused.json()["field"] == "amount"
        assert refused.json()["detail"] == "The amount is not valid."
    assert CaseEvent.objects.count() == before
    fee = f"{accepted.fee_due:,.2f}".translate({ord(str(n)): 0xFF10 + n for n in range(10)})
    body = {"event": "record_payment", "version": accepted.version, "inputs": {"amount": fee}}
    assert post(clerk, url, body).status_code == 201


@pytest.mark.parametrize(
    ("event", "name"),
    [("assign_judge", "judge"), ("revoke_representative", "representative")],
)
def test_an_id_that_is_not_ascii_digits_is_refused(accepted, staff, event, name) -> None:
    """A superscript passes str.isdigit() but not int(); 5000 digits pass neither."""
    actor = staff["clerk-hangzhou"] if event == "assign_judge" else accepted.created_by
    if event == "revoke_representative":  # the step is open only with someone to dismiss
        from tests.cases.test_case_page_after_filing import appoint

        appoint(accepted, accepted.created_by, verified(make_user("lawyer-hostile")))
        accepted.refresh_from_db()
    client = api_client(actor)
    before = CaseEvent.objects.count()
    for raw in ("\u00b2", "9" * 5000, "99999999999999999999"):
        body = {"event": event, "version": accepted.version, "inputs": {name: raw}}
        refused = post(client, f"/api/v1/cases/{accepted.id}/events", body)
        assert refused.status_code == 422, refused.content
        assert refused.json()["code"] == "input_invalid"
        assert refused.json()["field"] == name
    assert CaseEvent.objects.count() == before


# --- listing cases -------------------------------------------------------------------------


def _cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "moment",
    [
        "9999-12-31T23:59:59-14:00",  # past the last day a datetime holds, once in UTC
        "0001-01-01T00:00:00+14:00",
        "2026-11-02T02:00:00",  # naive
        "2026-11-02T10:00:00+08:00",  # not how the server writes it
        "2026-11-02 02:00:00+00:00",
        "2026-11-02T02:00:00Z",
    ],
)
def test_a_cursor_the_server_did_not_make_is_refused(draft, alice, moment) -> None:
    response = api_client(alice).get(f"/api/v1/cases?cursor={_cursor(f'{moment}|{draft.id}')}")
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert (response.json()["code"], response.json()["field"]) == ("validation_error", "cursor")


def test_a_cursor_in_another_spelling_is_refused(draft, alice) -> None:
    made = f"2026-11-02T02:00:00+00:00|{draft.id}"
    client = api_client(alice)
    assert client.get(f"/api/v1/cases?cursor={_cursor(made)}").status_code == 200
    for cursor in (
        _cursor(made.upper()),
        _cursor(f"2026-11-02T02:00:00+00:00|{draft.id.hex}"),
        _cursor(made).rstrip("="),
        "not-base64!",
        _cursor("no bar"),
    ):
        response = client.get(f"/api/v1/cases?cursor={cursor}")
        assert response.status_code == 422, (cursor, response.content)
        assert response.json()["field"] == "cursor"


@pytest.mark.parametrize(
    ("query", "field"),
    [("state=nope", "state"), ("court=nope", "court"), ("state=draft&court=moon", "court")],
)
def test_a_filter_value_that_names_nothing_is_refused(draft, alice, query, field) -> None:
    response = api_client(alice).get(f"/api/v1/cases?{query}")
    assert response.status_code == 422, response.content
    problem = response.json()
    assert (problem["code"], problem["field"]) == ("validation_error", field)
    assert problem["detail"].startswith(f"“{field}”")


def test_known_filter_values_still_filter(draft, alice) -> None:
    client = api_client(alice)
    assert [c["id"] for c in client.get("/api/v1/cases?state=draft").json()["items"]] == [
        str(draft.id)
    ]
    assert client.get("/api/v1/cases?state=submitted").json()["items"] == []
    assert client.get("/api/v1/cases?court=beijing").json()["items"] == []
