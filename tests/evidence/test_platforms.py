"""Platform evidence: a party asks, the platform pushes a signed record, the court keeps it with
its provenance; forged, replayed, stale or malformed pushes are refused and leave nothing."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.test import Client
from django.utils import translation

from netcourt.accounts import identity
from netcourt.cases.models import Case, Party
from netcourt.core.problems import Problem
from netcourt.evidence import actions, platforms
from netcourt.evidence.admin import PlatformForm
from netcourt.evidence.models import (
    Blob,
    EvidenceItem,
    Platform,
    PlatformExportRequest,
    Upload,
)
from netcourt.evidence.store import plaintext
from netcourt.identity import numbers
from netcourt.ledger.canonical import canonical_json
from netcourt.transparency.models import LogEntry
from tests.conftest import api_client, signed_in

DEFENDANT = "Yungou E-commerce Co., Ltd."


def credit_code() -> str:
    """A valid, made-up unified social credit code (GB 32100-2015)."""
    organisation = "MA2GL123" + numbers.organisation_check_character("MA2GL123")
    body = "91330106" + organisation
    return body + numbers.uscc_check_character(body)


# --- until core/api.py mounts the router, the tests mount it on an API of their own ----------


# --- helpers ---------------------------------------------------------------------------------


def public_pem(key: Ed25519PrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


def sign(key: Ed25519PrivateKey, record: dict[str, Any]) -> str:
    return base64.b64encode(key.sign(canonical_json(record))).decode("ascii")


def order(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "type": "order",
        "id": "2026080312345678",
        "issued_at": "2026-08-03T14:05:00+08:00",
        "title": "Order 2026080312345678: phone",
        "data": {
            "buyer": "张伟",
            "amount": "4299.00",
            "currency": "CNY",
            "items": [{"sku": "PHONE-X", "quantity": 1}],
            "status": "paid, not shipped",
        },
    }
    record.update(changes)
    return record


def push(
    slug: str, code: str, record: dict[str, Any], signature: str, client: Client | None = None
) -> Any:
    body = {"request_code": code, "record": record, "signature": signature}
    return (client or Client(enforce_csrf_checks=True)).post(
        f"/api/v1/platforms/{slug}/records", json.dumps(body), content_type="application/json"
    )


def nothing_written(request: PlatformExportRequest | None = None) -> None:
    assert not EvidenceItem.objects.exists()
    assert not Blob.objects.exists()
    assert not Upload.objects.exists()
    assert not LogEntry.objects.filter(kind="evidence").exists()
    staged = actions.staging().root
    assert not staged.exists() or not list(staged.iterdir())
    if request is not None:
        request.refresh_from_db()
        assert request.used_at is None and request.item_id is None


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def mall(db: Any, key: Ed25519PrivateKey) -> Platform:
    """A shopping platform run by a company that is not a party."""
    return platforms.register_platform(
        "tianmao-mall", "Tianmao Mall", "ecommerce", "Tianmao Network Co., Ltd.", public_pem(key)
    )


@pytest.fixture
def yungou(db: Any, key: Ed25519PrivateKey) -> Platform:
    """The defendant's own shop platform, its operator written another way."""
    return platforms.register_platform(
        "yungou", "Yungou Shop", "ecommerce", "Yungou E-Commerce Co. Ltd", public_pem(key)
    )


def ask(user: Any, case: Case, platform: Platform) -> tuple[PlatformExportRequest, str]:
    return platforms.request_export(user, case.pk, platform.slug)


# --- the whole flow --------------------------------------------------------------------------


def test_a_signed_record_becomes_platform_sourced_evidence_of_the_party_that_asked(
    exchanging: Case, alice: Any, mall: Platform, key: Ed25519PrivateKey
) -> None:
    request, code = ask(alice, exchanging, mall)
    assert code.startswith("ncx_") and len(code) > 40
    assert request.code_sha256 == hashlib.sha256(code.encode()).hexdigest()
    assert request.expires_at - request.created_at == timedelta(days=7)
    record = order()

    response = push(mall.slug, code, record, sign(key, record))

    assert response.status_code == 201, response.content
    item = EvidenceItem.objects.select_related("blob", "party").get()
    assert response.json()["item"] == str(item.pk)
    assert response.json()["sha256"] == item.blob.sha256
    assert item.party.role == "plaintiff" and item.submitted_by == alice
    assert item.platform == mall
    assert item.title == "Order 2026080312345678: phone"
    assert item.source == "Tianmao Mall (order 2026080312345678)"
    with translation.override("zh-hans"):  # alice's language
        assert item.purpose == translation.gettext(
            "Platform record exported at the party's request"
        )
    assert item.blob.mime == "application/json"
    assert item.blob.filename == "tianmao-mall-order-2026080312345678.json"
    assert b"".join(plaintext(item.blob)) == canonical_json(record)
    provenance = item.provenance
    assert provenance["platform"] == "tianmao-mall"
    assert provenance["record_type"] == "order"
    assert provenance["record_id"] == "2026080312345678"
    assert provenance["issued_at"] == "2026-08-03T14:05:00+08:00"
    assert base64.b64decode(provenance["signature"]) == key.sign(canonical_json(record))
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert provenance["key_sha256"] == hashlib.sha256(der).hexdigest()
    assert provenance["verified_at"].startswith("2026-11-02T02:00:00")
    assert provenance["request"] == str(request.pk)
    assert provenance["related_party"] == ""
    leaf = LogEntry.objects.get(ref=f"evidence:{item.pk}")
    assert item.blob.sha256 not in leaf.record and "张伟" not in leaf.record
    request.refresh_from_db()
    assert request.used_at is not None and request.item_id == item.pk
    assert exchanging.events.filter(event="submit_evidence", actor=alice).count() == 1
    assert not Upload.objects.exists()


def test_a_party_asks_through_the_api_and_sees_the_code_once(
    exchanging: Case, alice: Any, mall: Platform
) -> None:
    client = api_client(alice)
    listed = client.get("/api/v1/platforms")
    assert listed.status_code == 200
    assert [p["slug"] for p in listed.json()] == ["tianmao-mall"]
    response = client.post(
        f"/api/v1/platforms/{mall.slug}/export-requests",
        {"case": str(exchanging.pk)},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["party_role"] == "plaintiff" and body["platform"] == "tianmao-mall"
    stored = PlatformExportRequest.objects.get(pk=body["id"])
    assert stored.code_sha256 == hashlib.sha256(body["code"].encode()).hexdigest()
    assert body["code"] not in json.dumps(list(PlatformExportRequest.objects.values()), default=str)


def test_only_a_party_with_evidence_open_may_ask(
    exchanging: Case, submitted: Case, alice: Any, mallory: Any, staff: Any, mall: Platform
) -> None:
    with pytest.raises(Problem) as outsider:
        ask(mallory, exchanging, mall)
    assert outsider.value.status == 404
    with pytest.raises(Problem) as clerk:
        ask(staff["clerk-hangzhou"], exchanging, mall)
    assert clerk.value.code == "role_not_allowed"
    with pytest.raises(Problem) as unknown:
        platforms.request_export(alice, exchanging.pk, "no-such-platform")
    assert unknown.value.status == 404
    assert not PlatformExportRequest.objects.exists()


def test_no_export_before_evidence_is_taken(submitted: Case, alice: Any, mall: Platform) -> None:
    with pytest.raises(Problem) as early:
        ask(alice, submitted, mall)
    assert early.value.code == "wrong_state" and early.value.status == 409
    assert not PlatformExportRequest.objects.exists()


# --- forged and replayed pushes --------------------------------------------------------------


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


@pytest.mark.parametrize("where", ["record", "signature", "other_key", "not_base64", "short"])
def test_a_bad_signature_is_refused_and_nothing_is_written(
    exchanging: Case, alice: Any, mall: Platform, key: Ed25519PrivateKey, where: str
) -> None:
    request, code = ask(alice, exchanging, mall)
    record = order()
    signature = key.sign(canonical_json(record))
    if where == "record":
        record["data"]["amount"] = "4299.01"  # one byte changed after signing
    elif where == "signature":
        signature = _flip(signature, 17)
    elif where == "other_key":
        signature = Ed25519PrivateKey.generate().sign(canonical_json(record))
    elif where == "short":
        signature = signature[:63]
    sent = "%%%" if where == "not_base64" else base64.b64encode(signature).decode()

    response = push(mall.slug, code, record, sent)

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "platform_signature_invalid"
    assert response.has_header("WWW-Authenticate")
    nothing_written(request)


def test_a_used_code_is_refused_and_only_one_item_is_made(
    exchanging: Case, alice: Any, mall: Platform, key: Ed25519PrivateKey
) -> None:
    _, code = ask(alice, exchanging, mall)
    record = order()
    first = push(mall.slug, code, record, sign(key, record))
    assert first.status_code == 201

    again = push(mall.slug, code, record, sign(key, record))
    assert again.status_code == 409
    assert again.json()["code"] == "export_request_used"
    assert again.json()["item"] == first.json()["item"]  # the same record: its item is named
    other = order(id="2026080399999999")
    another = push(mall.slug, code, other, sign(key, other))
    assert another.status_code == 409 and "item" not in another.json()
    assert EvidenceItem.objects.count() == 1 and Blob.objects.count() == 1


def test_of_two_pushes_racing_with_one_code_only_one_makes_an_item(
    exchanging: Case, alice: Any, mall: Platform, key: Ed25519PrivateKey, monkeypatch: Any
) -> None:
    """The second push passed every check before the first committed: the claim, in the
    item's transaction, refuses it, before it writes anything."""
    request, code = ask(alice, exchanging, mall)
    checked = platforms._acting_party

    def first_one_commits_meanwhile(export: PlatformExportRequest) -> Any:
        found = checked(export)
        PlatformExportRequest.objects.filter(pk=export.pk).update(used_at=export.created_at)
        return found

    monkeypatch.setattr(platforms, "_acting_party", first_one_commits_meanwhile)
    record = order()
    response = push(mall.slug, code, record, sign(key, record))
    assert response.status_code == 409 and response.json()["code"] == "export_request_used"
    assert not EvidenceItem.objects.exists() and not Blob.objects.exists()
    assert not Upload.objects.exists()
    request.refresh_from_db()
    assert request.item_id is None


def test_a_failure_after_the_file_was_stored_leaves_no_file_behind(
    exchanging: Case,
    alice: Any,
    mall: Platform,
    key: Ed25519PrivateKey,
    monkeypatch: Any,
    settings: Any,
) -> None:
    request, code = ask(alice, exchanging, mall)

    def log_down(*args: Any) -> None:
        raise RuntimeError("the log's table is locked")

    monkeypatch.setattr("netcourt.transparency.actions.append", log_down)
    record = order()
    response = push(
        mall.slug, code, record, sign(key, record), Client(raise_request_exception=False)
    )
    assert response.status_code == 500
    nothing_written(request)
    blobs = Path(settings.NETCOURT_BLOB_STORE)
    assert not blobs.exists() or not [p for p in blobs.rglob("*") if p.is_file()]


def test_an_expired_code_is_refused(
    exchanging: Case, alice: Any, mall: Platform, key: Ed25519PrivateKey, frozen: Any
) -> None:
    request, code = ask(alice, exchanging, mall)
    frozen.advance(timedelta(days=7, seconds=1))
    record = order()
    response = push(mall.slug, code, record, sign(key, record))
    assert response.status_code == 409
    assert response.json()["code"] == "export_request_expired"
    nothing_written(request)


def test_a_code_for_another_platform_is_not_found(
    exchanging: Case, alice: Any, mall: Platform, key: Ed25519PrivateKey
) -> None:
    request, code = ask(alice, exchanging, mall)
    other_key = Ed25519PrivateKey.generate()
    other = platforms.register_platform(
        "jiedai", "Jiedai Loans", "lending", "Jiedai Finance Co., Ltd.", public_pem(other_key)
    )
    record = order()
    response = push(other.slug, code, record, sign(other_key, record))
    assert response.status_code == 404
    assert response.json()["code"] == "export_request_not_found"
    unknown = push(mall.slug, "ncx_guessed", record, sign(key, record))
    assert unknown.status_code == 404
    nothing_written(request)


def test_an_inactive_or_unknown_platform_is_refused(
    exchanging: Case, alice: Any, mall: Platform, key: Ed25519PrivateKey
) -> None:
    request, code = ask(alice, exchanging, mall)
    Platform.objects.filter(pk=mall.pk).update(active=False)
    record = order()
    response = push(mall.slug, code, record, sign(key, record))
    assert response.status_code == 403 and response.json()["code"] == "platform_inactive"
    assert push("nobody", code, record, sign(key, record)).status_code == 404
    nothing_written(request)
    with pytest.raises(Problem) as asked:
        ask(alice, exchanging, mall)
    assert asked.value.code == "platform_inactive"


# --- malformed records -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "record, field",
    [
        (order(type="medical_record"), "record.type"),
        (order(id=""), "record.id"),
        (order(id=12345), "record.id"),
        (order(id="x" * 81), "record.id"),
        (order(id="line\nbreak"), "record.id"),
        (order(issued_at="3 August 2026"), "record.issued_at"),
        (order(issued_at="2026-08-03T14:05:00"), "record.issued_at"),  # no offset
        (order(title=7), "record.title"),
        (order(data="not an object"), "record.data"),
        ({k: v for k, v in order().items() if k != "data"}, "record.data"),
    ],
)
def test_a_malformed_record_is_refused(
    exchanging: Case,
    alice: Any,
    mall: Platform,
    key: Ed25519PrivateKey,
    record: dict[str, Any],
    field: str,
) -> None:
    request, code = ask(alice, exchanging, mall)
    response = push(mall.slug, code, record, sign(key, record))
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "platform_record_invalid"
    assert response.json()["field"] == field
    nothing_written(request)


@pytest.mark.parametrize(
    "body, content_type, status",
    [
        (b"not json", "application/json", 422),
        (b"[1, 2]", "application/json", 422),
        (
            b'{"request_code": "x", "record": {"a": 1.5}, "signature": "AA=="}',
            "application/json",
            422,
        ),
        (
            b'{"request_code": "x", "record": {"a": 1, "a": 2}, "signature": "AA=="}',
            "application/json",
            422,
        ),
        (
            b'{"request_code": "x", "record": {"a": NaN}, "signature": "AA=="}',
            "application/json",
            422,
        ),
        (b"\xff\xfe{}", "application/json", 422),
        (
            b'{"request_code": "x", "record": {"type": "\\ud800"}, "signature": "AA=="}',
            "application/json",
            422,
        ),  # a lone surrogate: no Unicode text
        (
            b'{"request_code": "\\udfff", "record": {"a": 1}, "signature": "AA=="}',
            "application/json",
            422,
        ),
        (
            b'{"request_code": "x", "record": '
            + b'{"a": ' * 5000
            + b"1"
            + b"}" * 5001
            + b', "signature": "AA=="}',
            "application/json",
            422,
        ),  # nested too deep
        (b"[" * 100_000, "application/json", 422),
        (b"{}", "text/plain", 415),
    ],
)
def test_a_body_the_court_cannot_read_is_refused(
    exchanging: Case, mall: Platform, body: bytes, content_type: str, status: int
) -> None:
    response = Client().post(
        f"/api/v1/platforms/{mall.slug}/records", body, content_type=content_type
    )
    assert response.status_code == status, response.content
    assert response.json()["code"] == "platform_record_invalid"
    nothing_written()


def test_a_huge_record_is_refused(
    exchanging: Case, alice: Any, mall: Platform, key: Ed25519PrivateKey
) -> None:
    request, code = ask(alice, exchanging, mall)
    record = order(data={"messages": "消息" * (platforms.MAX_RECORD_BYTES // 6 + 1)})
    assert len(canonical_json(record)) > platforms.MAX_RECORD_BYTES
    response = push(mall.slug, code, record, sign(key, record))
    assert response.status_code == 413
    assert response.json()["code"] == "platform_record_invalid"
    nothing_written(request)
    declared = Client().post(
        f"/api/v1/platforms/{mall.slug}/records",
        b"{}",
        content_type="application/json",
        CONTENT_LENGTH=str(platforms.MAX_BODY_BYTES + 1),
    )
    assert declared.status_code == 413
    # Digits to str.isdigit(): "²" is none to int(), "٣" is 3 (and three bytes are sent).
    for length in ("\u00b2", "\u0663"):
        odd = Client().post(
            f"/api/v1/platforms/{mall.slug}/records",
            b"{} ",
            content_type="application/json",
            CONTENT_LENGTH=length,
        )
        assert odd.status_code in (400, 413, 422), odd.content
        assert odd["Content-Type"] == "application/problem+json"
        assert odd.json()["code"] == "platform_record_invalid"


def test_a_record_just_under_the_limit_is_typed_as_json(
    exchanging: Case, alice: Any, mall: Platform, key: Ed25519PrivateKey
) -> None:
    """libmagic sees the whole record, whatever the messages quote."""
    _, code = ask(alice, exchanging, mall)
    message = {"from": "buyer", "text": "<html><script>x</script> 发货了吗？"}
    messages = [message] * 10_000
    record = order(type="chat_log", title="", data={"messages": messages})
    size = len(canonical_json(record))
    assert platforms.MAX_RECORD_BYTES * 0.6 < size <= platforms.MAX_RECORD_BYTES
    response = push(mall.slug, code, record, sign(key, record))
    assert response.status_code == 201, response.content
    item = EvidenceItem.objects.select_related("blob").get()
    assert item.blob.mime == "application/json" and item.blob.size == size
    assert item.title == "chat_log 2026080312345678"


# --- related parties -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "organisation",
    [
        DEFENDANT,
        "Yungou E-Commerce Co. Ltd",
        "  YUNGOU E-COMMERCE CO., LTD.  ",
        "Yungou E-commerce Company Limited",
        "Yungou Ecommerce Co Ltd",
        "Ｙｕｎｇｏｕ　Ｅ－ｃｏｍｍｅｒｃｅ　Ｃｏ．，Ｌｔｄ．",
    ],
)
def test_the_platform_operator_is_recognised_as_a_party(organisation: str) -> None:
    parties = [Party(pk=1, name="张伟"), Party(pk=2, name=DEFENDANT)]
    platform = Platform(organisation=organisation)
    assert platforms.related_party(platform, parties) == DEFENDANT


@pytest.mark.parametrize(
    "organisation, party",
    [
        ("云购（杭州）电子商务有限公司", "云购(杭州)电子商务有限公司"),
        ("云购电子商务有限公司", "云购电子商务有限公司。"),
    ],
)
def test_chinese_names_differing_only_in_punctuation_match(organisation: str, party: str) -> None:
    platform = Platform(organisation=organisation)
    assert platforms.related_party(platform, [Party(pk=1, name=party)]) == party


@pytest.mark.parametrize(
    "organisation",
    ["Yungou Logistics Co., Ltd.", "Yungou", "Yungou E-commerce Co., Ltd. Shanghai Branch", ""],
)
def test_other_operators_are_not_related(organisation: str) -> None:
    parties = [Party(pk=1, name="张伟"), Party(pk=2, name=DEFENDANT), Party(pk=3, name="")]
    assert platforms.related_party(Platform(organisation=organisation), parties) == ""


def test_a_shared_credit_code_makes_the_platform_related() -> None:
    code = credit_code()
    platform = Platform(organisation="Some Holding Ltd.", credit_code=code)
    parties = [Party(pk=1, name="张伟"), Party(pk=2, name="云购公司")]
    assert platforms.related_party(platform, parties, credit_codes={2: code.lower()}) == "云购公司"
    assert platforms.related_party(platform, parties, credit_codes={2: "X"}) == ""
    assert platforms.related_party(Platform(organisation="A"), parties, credit_codes={2: ""}) == ""


def test_a_party_verified_with_the_platforms_credit_code_is_found(
    exchanging: Case, bob: Any
) -> None:
    code = credit_code()
    identity.verify_eid(
        bob,
        provider="test-eid",
        level="eid_verified",
        issuer="https://eid.example.test",
        subject="yungou",
        legal_name=DEFENDANT,
        kind="uscc",
        number=code,
    )
    defendant = exchanging.parties.get(role="defendant")
    assert platforms.verified_credit_codes(exchanging.people()) == {defendant.pk: code}


def test_a_platform_sharing_a_partys_verified_credit_code_is_flagged(
    exchanging: Case, alice: Any, bob: Any, key: Ed25519PrivateKey
) -> None:
    code = credit_code()
    identity.verify_eid(
        bob,
        provider="test-eid",
        level="eid_verified",
        issuer="https://eid.example.test",
        subject="yungou",
        legal_name=DEFENDANT,
        kind="uscc",
        number=code,
    )
    holding = platforms.register_platform(
        "yg-holding", "YG Marketplace", "ecommerce", "YG Holding Ltd.", public_pem(key), code
    )
    _, request_code = ask(alice, exchanging, holding)
    record = order()
    assert push(holding.slug, request_code, record, sign(key, record)).status_code == 201
    assert EvidenceItem.objects.get().provenance["related_party"] == DEFENDANT


def test_the_judge_and_the_other_side_are_warned_of_a_related_platform(
    exchanging: Case, alice: Any, bob: Any, staff: Any, yungou: Platform, key: Ed25519PrivateKey
) -> None:
    _, code = ask(alice, exchanging, yungou)
    record = order()
    assert push(yungou.slug, code, record, sign(key, record)).status_code == 201
    item = EvidenceItem.objects.get()
    assert item.provenance["related_party"] == DEFENDANT

    warning = f"This platform is a party to the case, or related to one: <bdi>{DEFENDANT}</bdi>."
    for viewer in (bob, staff["clerk-hangzhou"]):
        page = signed_in(viewer).get(f"/cases/{exchanging.pk}/evidence/")
        assert page.status_code == 200
        html = page.content.decode()
        assert "platform-sourced" in html
        assert warning in html


def test_an_unrelated_platform_carries_no_warning(
    exchanging: Case, alice: Any, bob: Any, mall: Platform, key: Ed25519PrivateKey
) -> None:
    _, code = ask(alice, exchanging, mall)
    record = order()
    assert push(mall.slug, code, record, sign(key, record)).status_code == 201
    html = signed_in(bob).get(f"/cases/{exchanging.pk}/evidence/").content.decode()
    assert "platform-sourced" in html and "related to one" not in html


# --- registering platforms -------------------------------------------------------------------


def test_registering_checks_the_key_and_the_credit_code(db: Any, key: Ed25519PrivateKey) -> None:
    ec = (
        generate_private_key(SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    for pem in (ec, "not a key", ""):
        with pytest.raises(ValueError):
            platforms.register_platform("p", "P", "ecommerce", "P Co.", pem)
    with pytest.raises(ValueError, match="credit_code"):
        platforms.register_platform("p", "P", "ecommerce", "P Co.", public_pem(key), "123")
    with pytest.raises(ValueError, match="slug"):
        platforms.register_platform("Not A Slug", "P", "ecommerce", "P Co.", public_pem(key))
    assert not Platform.objects.exists()

    first = platforms.register_platform("p", "P", "ecommerce", "P Co.", public_pem(key))
    rotated = Ed25519PrivateKey.generate()
    again = platforms.register_platform("p", "P", "ecommerce", "P Co.", public_pem(rotated))
    assert again.pk == first.pk and again.public_key == public_pem(rotated)


def test_the_back_office_form_refuses_a_key_that_is_not_ed25519(
    db: Any, key: Ed25519PrivateKey
) -> None:
    data = {
        "slug": "p",
        "name": "P",
        "kind": "ecommerce",
        "organisation": "P Co.",
        "credit_code": "",
        "public_key": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
        "active": True,
    }
    form = PlatformForm(data)
    assert not form.is_valid() and "public_key" in form.errors
    form = PlatformForm({**data, "public_key": public_pem(key), "credit_code": "91330106"})
    assert not form.is_valid() and "credit_code" in form.errors
    form = PlatformForm({**data, "public_key": public_pem(key)})
    assert form.is_valid(), form.errors


def test_a_party_asks_a_platform_from_the_evidence_page(exchanging, alice, mall) -> None:
    from tests.conftest import signed_in

    page = signed_in(alice)
    form = page.get(f"/cases/{exchanging.pk}/evidence/").content.decode()
    assert "向平台调取记录" in form  # alice works in Chinese
    shown = page.post(
        f"/cases/{exchanging.pk}/evidence/platform-request/", {"platform": "tianmao-mall"}
    ).content.decode()
    asked = PlatformExportRequest.objects.get()
    code = shown.split('<code class="hash">')[1].split("</code>")[0]
    assert code.startswith("ncx_") and asked.party.role == "plaintiff"
    assert code not in page.get(f"/cases/{exchanging.pk}/evidence/").content.decode()
