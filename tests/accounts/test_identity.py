"""No one files until the court knows who they are; the document number is never kept in clear."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import Client

from netcourt.accounts import identity
from netcourt.accounts.models import IdentityVerification, SecurityEvent
from netcourt.cases import actions
from netcourt.core.problems import Problem
from tests.conftest import api_client, complete_filing, fictitious_id_number, make_user

NUMBER = fictitious_id_number(7)


def unverified_draft(hangzhou, username: str = "qian", lang: str = "en"):
    person = make_user(username, lang)
    return person, actions.file_case(person, hangzhou, "ecommerce_purchase", complete_filing())


def test_an_unverified_person_may_draft_but_not_file(hangzhou, frozen) -> None:
    person, case = unverified_draft(hangzhou)
    with pytest.raises(Problem) as refused:
        actions.fire(person, case.id, "submit", case.version)
    problem = refused.value
    assert (problem.code, problem.status) == ("assurance_required", 403)
    assert problem.extra == {
        "required": "document_checked",
        "current": None,
        "verify_url": "/accounts/identity/",
    }
    assert "Identity document checked" in problem.message
    case.refresh_from_db()
    assert case.state == "draft"


def test_the_api_says_what_is_needed_in_the_persons_language(hangzhou, frozen) -> None:
    person, case = unverified_draft(hangzhou, lang="zh-hans")
    answer = api_client(person).post(
        f"/api/v1/cases/{case.id}/events",
        data=json.dumps({"event": "submit", "version": case.version}),
        content_type="application/json",
    )
    assert answer.status_code == 403
    body = answer.json()
    assert body["code"] == "assurance_required" and body["required"] == "document_checked"
    assert "身份证件已核验" in body["detail"]


def test_a_checked_document_lets_the_person_file(hangzhou, frozen) -> None:
    person, case = unverified_draft(hangzhou)
    verification = identity.verify_document(person, "Qian Li", "prc-id", NUMBER.lower())
    assert verification.level == "document_checked"
    assert verification.number_masked == NUMBER[:4] + "*" * 10 + NUMBER[-4:]
    assert identity.assertion_valid(verification)
    assert SecurityEvent.objects.filter(user=person, tag="account:identity:verified").exists()
    actions.fire(person, case.id, "submit", case.version)
    case.refresh_from_db()
    assert case.state == "submitted"


def test_the_number_is_sealed_and_found_by_its_keyed_hash_only(alice, db) -> None:
    person = make_user("sun")
    verification = identity.verify_document(person, "Sun Mei", "prc-id", NUMBER)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_identityverification")
        stored = " ".join(str(value) for row in cursor.fetchall() for value in row)
    assert NUMBER not in stored and NUMBER[6:14] not in stored
    assert identity.document_number(verification) == NUMBER
    verification.assertion = verification.assertion[:-2] + "xx"
    assert not identity.assertion_valid(verification)


def test_a_wrong_number_is_refused_with_the_reason_and_nothing_is_kept(db) -> None:
    person = make_user("zhou")
    wrong = NUMBER[:-1] + ("0" if NUMBER[-1] != "0" else "1")
    with pytest.raises(Problem) as refused:
        identity.verify_document(person, "Zhou Jie", "prc-id", wrong)
    assert refused.value.code == "identity_number_invalid"
    assert refused.value.field == "number"
    assert [f["code"] for f in refused.value.extra["findings"]] == ["check_character"]
    assert not IdentityVerification.objects.exists()


@pytest.mark.parametrize(
    ("name", "kind", "field"),
    [("", "prc-id", "legal_name"), ("Wu Fang", "uscc", "document_kind")],
)
def test_a_missing_name_or_an_organisations_code_is_refused(db, name, kind, field) -> None:
    with pytest.raises(Problem) as refused:
        identity.verify_document(make_user("wu"), name, kind, NUMBER)
    assert refused.value.field == field
    assert not IdentityVerification.objects.exists()


def test_one_document_verifies_one_account(db) -> None:
    identity.verify_document(make_user("zheng"), "Zheng Hao", "prc-id", NUMBER)
    with pytest.raises(Problem) as refused:
        identity.verify_document(make_user("wang"), "Zheng Hao", "prc-id", NUMBER)
    assert (refused.value.code, refused.value.status) == ("identity_in_use", 409)
    assert IdentityVerification.objects.count() == 1


def test_checking_again_replaces_the_earlier_check(db) -> None:
    person = make_user("feng")
    identity.verify_document(person, "Feng Yu", "prc-id", NUMBER)
    identity.verify_document(person, "Feng Yu", "passport-cn", "EA1234567")
    active = IdentityVerification.objects.filter(user=person, revoked_at__isnull=True)
    assert [v.document_kind for v in active] == ["passport-cn"]


def test_a_deployment_can_raise_the_level_a_step_needs(alice, hangzhou, frozen, settings) -> None:
    settings.NETCOURT_ASSURANCE = {"submit": "eid_verified", "withdraw": "self_asserted"}
    case = actions.file_case(alice, hangzhou, "ecommerce_purchase", complete_filing())
    with pytest.raises(Problem) as refused:
        actions.fire(alice, case.id, "submit", case.version)
    assert refused.value.extra["required"] == "eid_verified"
    assert refused.value.extra["current"] == "document_checked"


def test_the_identity_page_checks_a_document_and_goes_back(hangzhou, frozen) -> None:
    person, case = unverified_draft(hangzhou, lang="zh-hans")
    client = Client()
    client.force_login(person)
    page = client.get("/accounts/identity/").content.decode()
    assert "尚未核验" in page
    back = f"/cases/{case.id}/file/review/"
    wrong = client.post(
        "/accounts/identity/",
        {"legal_name": "钱力", "document_kind": "prc-id", "number": "12345", "next": back},
    )
    assert wrong.status_code == 200 and "18" in wrong.content.decode()
    done = client.post(
        "/accounts/identity/",
        {"legal_name": "钱力", "document_kind": "prc-id", "number": NUMBER, "next": back},
    )
    assert done.status_code == 302 and done["Location"] == back
    page = client.get("/accounts/identity/").content.decode()
    assert NUMBER not in page and NUMBER[:4] + "**********" + NUMBER[-4:] in page
    elsewhere = client.post(
        "/accounts/identity/",
        {
            "legal_name": "钱力",
            "document_kind": "prc-id",
            "number": NUMBER,
            "next": "https://evil.example/",
        },
    )
    assert elsewhere["Location"] == "/accounts/identity/"


def test_identity_checks_are_limited_per_person_but_typing_mistakes_do_not_count(db) -> None:
    """The limit is against trying numbers to learn which an account holds: a number that
    cannot be one (a wrong check character, a digit short) learns nothing and is not counted."""
    from netcourt.courts.demo import fictitious_id_number

    person = make_user("chen")
    for attempt in range(8):
        with pytest.raises(Problem) as refused:
            identity.verify_document(person, "Chen Bo", "prc-id", f"1234{attempt}")
        assert refused.value.code == "identity_number_invalid"
    held = [fictitious_id_number(900 + n) for n in range(5)]
    for n, number in enumerate(held):
        identity.verify_document(make_user(f"holder-{n}"), "Holder", "prc-id", number)
    for number in held:  # probing: each well-formed number someone holds
        with pytest.raises(Problem) as refused:
            identity.verify_document(person, "Chen Bo", "prc-id", number)
        assert refused.value.code == "identity_in_use"
    with pytest.raises(Problem) as limited:
        identity.verify_document(person, "Chen Bo", "prc-id", NUMBER)
    assert (limited.value.code, limited.value.status) == ("rate_limited", 429)
    assert not IdentityVerification.objects.filter(user=person).exists()
    identity.verify_document(make_user("another"), "He Yun", "prc-id", NUMBER)


def test_a_level_edited_in_the_database_does_not_count(db) -> None:
    person = make_user("tang")
    identity.verify_document(person, "Tang Lin", "prc-id", NUMBER)
    IdentityVerification.objects.filter(user=person).update(level="eid_verified")
    assert identity.active(person) is None
    assert identity.levels_of([person.pk]) == {}


def test_lost_vault_keys_stop_verification_instead_of_making_new_ones(db, settings) -> None:
    identity.verify_document(make_user("gu"), "Gu Yan", "prc-id", NUMBER)
    keys = settings.DATA_DIR / "vault-keys.json"
    keys.rename(keys.with_suffix(".moved"))
    with pytest.raises(ImproperlyConfigured, match="restore the keys file"):
        identity.verify_document(make_user("lu"), "Lu Qi", "prc-id", fictitious_id_number(8))
    assert not keys.exists()
