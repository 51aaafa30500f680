"""POST /api/v1/fees/quote: the CLI's quote over HTTP, for anyone signed in."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from netcourt.cases.models import Case
from netcourt.core.problems import TITLES
from netcourt.procedure import FEE_ERROR_CODES
from tests.conftest import api_client

URL = "/api/v1/fees/quote"


def post(client: Client, body: Any, **headers: str):
    return client.post(URL, data=json.dumps(body), content_type="application/json", **headers)


def test_a_quote_lists_every_line_with_its_article(mallory) -> None:
    response = post(
        api_client(mallory),
        {"kind": "property", "amount": "123456.78", "track": "simplified"},
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["total"], data["currency"]) == ("1384.57", "CNY")
    assert [(line["code"], line["amount"]) for line in data["lines"]] == [
        ("flat", "50.00"),
        ("band", "2250.00"),
        ("band", "469.1356"),
        ("rounding", "0.0044"),
        ("reduction", "-1384.57"),
    ]
    assert data["lines"][1]["label"] == "Above 10,000 up to 100,000 at 2.5%: 90,000 × 2.5%"
    assert data["lines"][4]["basis"] == {
        "article": "Measures on the Payment of Litigation Costs Art. 16",
        "text": "A case tried under the simplified procedure pays half the acceptance fee.",
    }
    assert Case.objects.count() == 0


def test_labels_follow_the_persons_language(alice) -> None:
    data = post(api_client(alice), {"kind": "property", "amount": 50000}).json()
    assert data["total"] == "1050.00"
    assert data["lines"][0]["label"] == "不超过10,000的部分：每件50"
    assert data["lines"][0]["basis"]["article"].startswith("《诉讼费用交纳办法》第十三条")


def test_the_court_gives_the_pack_and_the_provincial_figure(mallory, courts) -> None:
    client = api_client(mallory)
    body = {"court": "beijing", "kind": "other_non_property", "counterclaim": True}
    data = post(client, body).json()
    assert [line["code"] for line in data["lines"]] == ["court_figure", "reduction"]
    assert data["total"] == "35.00"
    same = post(client, dict(body, pack="cn_internet_court")).json()
    assert same == data


def test_a_json_number_is_read_as_the_decimal_it_shows(mallory) -> None:
    data = post(api_client(mallory), {"kind": "property", "amount": 100000.01}).json()
    assert data["lines"][-2]["amount"] == "0.0002"
    assert data["total"] == "2300.00"


@pytest.mark.parametrize(
    "typed",
    [
        "\u0661\u0660\u0660\u0660\u0660\u0660",  # Arabic-Indic 100000
        "\u06f1\u06f0\u06f0\u06f0\u06f0\u06f0",  # Persian (extended Arabic-Indic)
        "\u0967\u0966\u0966\u0966\u0966\u0966",  # Devanagari
        "1_000",
        "1e3",
        "+1000",
        "1,00",
    ],
)
def test_an_amount_not_written_in_digits_is_refused(mallory, typed) -> None:
    """int() and Decimal() take other scripts' digits, underscores and exponents."""
    response = post(api_client(mallory), {"kind": "property", "amount": typed})
    assert response.status_code == 422, response.content
    assert (response.json()["code"], response.json()["field"]) == ("amount_invalid", "amount")


@pytest.mark.parametrize("typed", ["100000", "100,000", "１００，０００．００", " 100000.0 "])
def test_an_amount_is_read_as_people_write_it(mallory, typed) -> None:
    """As the filing's amount is: thousands separators, full-width digits (a Chinese
    keyboard's)."""
    response = post(api_client(mallory), {"kind": "property", "amount": typed})
    assert response.status_code == 200, response.content
    assert response.json()["total"] == "2300.00"


def test_a_signed_in_browser_may_ask_too(mallory) -> None:
    client = Client()
    client.force_login(mallory)
    response = post(client, {"kind": "labour"})
    assert response.status_code == 200, response.content
    assert response.json()["total"] == "10.00"


def test_without_signing_in_the_answer_is_401(db) -> None:
    response = post(Client(), {"kind": "labour"})
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize(
    "body, code, field",
    [
        ({"kind": "property", "amount": "-1"}, "amount_invalid", "amount"),
        ({"kind": "property", "amount": "ten"}, "amount_invalid", "amount"),
        ({"kind": "property", "amount": 1.005}, "amount_invalid", "amount"),
        ({"kind": "property", "amount": "10000000000000000"}, "amount_too_large", "amount"),
        ({"kind": "property", "amount": 1e16}, "amount_too_large", "amount"),
        ({"kind": "property", "amount": "1e16"}, "amount_invalid", "amount"),
        ({"kind": "property"}, "amount_required", "amount"),
        ({"kind": "labour", "amount": "5"}, "amount_not_allowed", "amount"),
        ({"kind": "tax", "amount": "5"}, "unknown_fee_class", "kind"),
        ({"kind": "divorce"}, "court_required", "court"),
        ({"kind": "property", "amount": "5", "track": "fast"}, "unknown_track", "track"),
        (
            {"kind": "property", "amount": "5", "reductions": ["x"]},
            "unknown_reduction",
            "reductions",
        ),
        (
            {"kind": "property", "amount": "5", "reductions": ["counterclaim_or_third_party"]},
            "reduction_not_allowed",
            "reductions",
        ),
        ({"kind": "labour", "court": "shanghai"}, "unknown_court", "court"),
        ({"kind": "labour", "court": "hangzhou", "pack": "other"}, "unknown_court", "court"),
        ({"kind": "labour", "pack": "other"}, "unknown_pack", "pack"),
        ({"kind": "property", "amount": True}, "validation_error", "amount"),
        ({"kind": "property", "amount": "1" * 41}, "validation_error", "amount"),
        ({"kind": "labour", "court": "hang\u0000zhou"}, "validation_error", "court"),
        ({"amount": "5"}, "validation_error", "kind"),
    ],
)
def test_bad_input_is_422_with_the_stable_code_and_field(
    mallory, courts, body: dict[str, Any], code: str, field: str
) -> None:
    response = post(api_client(mallory), body)
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert (problem["code"], problem["field"]) == (code, field)
    assert problem["detail"]


def test_the_fault_is_explained_in_the_persons_language(alice) -> None:
    problem = post(api_client(alice), {"kind": "property", "amount": "-1"}).json()
    assert problem["detail"] == "金额不得为负数。"


def test_every_fee_fault_the_api_can_give_is_a_registered_problem() -> None:
    aid_only = {"aid_not_allowed", "aid_invalid"}
    assert set(FEE_ERROR_CODES) - aid_only <= set(TITLES)
    assert "unknown_pack" in TITLES
