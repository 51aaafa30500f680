"""Identity verification with an OpenID Connect eID, against a real OpenID provider
(``oidc-provider`` on Node.js, tests/eid_provider) started on loopback: discovery, PKCE,
state, nonce, the signed ID token, userinfo and the claims mapping."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import Client
from joserfc import jwk, jwt

from netcourt.accounts import identity, oidc
from netcourt.accounts.models import IdentityVerification, SecurityEvent
from netcourt.cases import actions
from netcourt.core import clock
from netcourt.core.problems import Problem
from netcourt.courts.demo import fictitious_id_number
from tests.conftest import complete_filing, make_user
from tests.eid_provider import CALLBACK_PATH, CLIENT_ID, CLIENT_SECRET, EidProvider, start_provider

BASE_URL = "http://testserver"
ZHANG_NUMBER = fictitious_id_number(901)
ACCOUNTS = {
    "zhang.wei": {"name": "张伟", "document_kind": "prc-id", "document_number": ZHANG_NUMBER},
    "li.na": {"name": "Li Na"},
    "nameless": {"document_kind": "prc-id", "document_number": fictitious_id_number(902)},
}
START = "/accounts/identity/eid/start/"
NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EidProvider]:
    running = start_provider(tmp_path_factory.mktemp("eid"), [BASE_URL + CALLBACK_PATH], ACCOUNTS)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def eid(provider: EidProvider, settings: Any, db: Any) -> EidProvider:
    settings.NETCOURT_EID = provider.config()
    settings.NETCOURT_BASE_URL = BASE_URL
    return provider


def signed_in(username: str) -> tuple[Any, Client]:
    person = make_user(username)
    client = Client()
    client.force_login(person)
    return person, client


def go_to_provider(client: Client, next_url: str = "") -> str:
    started = client.post(START, {"next": next_url})
    assert started.status_code == 302
    return started["Location"]


def come_back(client: Client, url: str) -> Any:
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == BASE_URL + CALLBACK_PATH
    return client.get(parts.path, parse_qs(parts.query))


def messages_on(client: Client, answer: Any) -> str:
    assert answer.status_code == 302
    return client.get(answer["Location"]).content.decode()


def test_a_person_verifies_with_the_eid_and_may_then_file(eid, hangzhou, settings) -> None:
    settings.NETCOURT_ASSURANCE = {"submit": "eid_verified"}
    person, client = signed_in("qian")
    identity.verify_document(person, "Zhang Wei", "prc-id", ZHANG_NUMBER)
    with clock.use(clock.FixedClock(NOW)):
        case = actions.file_case(person, hangzhou, "ecommerce_purchase", complete_filing())
        with pytest.raises(Problem) as refused:
            actions.fire(person, case.id, "submit", case.version)
    assert refused.value.extra["required"] == "eid_verified"

    page = client.get("/accounts/identity/").content.decode()
    assert "Verify with Test eID" in page
    back = f"/cases/{case.id}/file/review/"
    authorize = go_to_provider(client, back)
    assert authorize.startswith(eid.issuer + "/auth?")
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and query["client_id"] == [CLIENT_ID]
    assert query["redirect_uri"] == [BASE_URL + CALLBACK_PATH]
    flow = client.session[oidc.SESSION_KEY]
    assert query["state"] == [flow["state"]] and query["nonce"] == [flow["nonce"]]
    assert flow["verifier"] not in authorize

    answer = come_back(client, eid.sign_in(authorize, "zhang.wei"))
    assert answer.status_code == 302 and answer["Location"] == back
    verification = identity.active(person)
    assert verification is not None
    assert (verification.level, verification.provider) == ("eid_verified", "oidc:127.0.0.1")
    assert (verification.legal_name, verification.document_kind) == ("张伟", "prc-id")
    assert verification.number_masked == ZHANG_NUMBER[:4] + "*" * 10 + ZHANG_NUMBER[-4:]
    assert identity.document_number(verification) == ZHANG_NUMBER
    assert identity.assertion_valid(verification)
    assertion = signing.loads(verification.assertion, salt=identity.ASSERTION_SALT)
    assert assertion["issuer"] == eid.issuer and assertion["level"] == "eid_verified"
    assert len(assertion["subject_lookup"]) == 64 and "at" in assertion
    assert "zhang.wei" not in verification.assertion and ZHANG_NUMBER not in json.dumps(assertion)
    # The person's earlier check of the same document is replaced.
    assert IdentityVerification.objects.filter(user=person, revoked_at__isnull=True).count() == 1
    assert SecurityEvent.objects.filter(user=person, tag="account:identity:verified").count() == 2
    assert oidc.SESSION_KEY not in client.session

    page = client.get("/accounts/identity/").content.decode()
    assert "Verified with an eID" in page and "Test eID" in page and ZHANG_NUMBER not in page
    # Checking the same document again does not lower the level.
    assert identity.verify_document(person, "Zhang Wei", "prc-id", ZHANG_NUMBER) == verification
    assert identity.active(person) == verification
    with clock.use(clock.FixedClock(NOW)):
        actions.fire(person, case.id, "submit", case.version)
    case.refresh_from_db()
    assert case.state == "submitted"


def test_without_a_document_number_the_subject_is_held_sealed_and_once(eid) -> None:
    first, client = signed_in("sun")
    done = come_back(client, eid.sign_in(go_to_provider(client), "li.na"))
    assert done["Location"] == "/accounts/identity/"
    verification = identity.active(first)
    assert verification is not None and verification.document_kind == "oidc-sub"
    assert identity.document_number(verification) == "li.na"
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_identityverification")
        stored = " ".join(str(value) for row in cursor.fetchall() for value in row)
    assert "li.na" not in stored and "Li Na" in stored
    page = client.get("/accounts/identity/").content.decode()
    assert verification.number_masked not in page  # the subject is not a document number

    second, other = signed_in("zhou")
    refused = come_back(other, eid.sign_in(go_to_provider(other), "li.na"))
    page = messages_on(other, refused)
    assert "already verified for another account" in page
    assert identity.active(second) is None
    assert not SecurityEvent.objects.filter(user=second, tag="account:identity:verified").exists()


def test_the_eid_wins_over_a_weaker_check_of_the_same_document_by_someone_else(eid) -> None:
    """Anyone who knows a number passes the document check; the owner's eID must not be
    locked out by it: the weaker claim is withdrawn, and its account is told."""
    squatter = make_user("zheng")
    identity.verify_document(squatter, "Zhang Wei", "prc-id", ZHANG_NUMBER)
    person, client = signed_in("wang")
    come_back(client, eid.sign_in(go_to_provider(client), "zhang.wei"))
    assert identity.active(person).level == "eid_verified"
    assert identity.active(squatter) is None
    assert SecurityEvent.objects.filter(user=squatter, tag="account:identity:superseded").exists()


def test_a_document_held_at_the_same_level_by_another_account_is_refused(db) -> None:
    identity.verify_document(make_user("zheng"), "Zhang Wei", "prc-id", ZHANG_NUMBER)
    with pytest.raises(Problem) as refused:
        identity.verify_document(make_user("wang"), "Zhang Wei", "prc-id", ZHANG_NUMBER)
    assert refused.value.code == "identity_in_use"


def test_a_replayed_or_tampered_state_is_refused(eid, caplog) -> None:
    person, client = signed_in("feng")
    answer_url = eid.sign_in(go_to_provider(client), "zhang.wei")
    tampered = answer_url.replace("state=", "state=x")
    with caplog.at_level(logging.WARNING, logger="netcourt.accounts.oidc"):
        page = messages_on(client, come_back(client, tampered))
    assert "does not belong to a verification started here" in page
    assert "eid_invalid (state)" in caplog.text and "zhang.wei" not in caplog.text
    # A forged answer (anyone can make a browser open the callback) does not cancel the
    # verification under way: the genuine answer still counts, once.
    done = come_back(client, answer_url)
    assert done["Location"] == "/accounts/identity/"
    again = messages_on(client, come_back(client, eid.sign_in(go_to_provider(client), "li.na")))
    assert "Your identity is verified with Test eID" in again
    replayed = come_back(client, answer_url)
    assert "does not belong" in messages_on(client, replayed)
    assert IdentityVerification.objects.filter(user=person, revoked_at__isnull=True).count() == 1


def test_an_answer_naming_another_issuer_is_refused(eid, caplog) -> None:
    person, client = signed_in("jiang")
    answer_url = eid.sign_in(go_to_provider(client), "zhang.wei")
    assert "iss=http%3A%2F%2F127.0.0.1" in answer_url
    mixed_up = answer_url.replace("iss=http%3A%2F%2F127.0.0.1", "iss=https%3A%2F%2Fevil.example")
    with caplog.at_level(logging.WARNING, logger="netcourt.accounts.oidc"):
        messages_on(client, come_back(client, mixed_up))
    assert "eid_invalid (iss_parameter)" in caplog.text
    assert identity.active(person) is None


def test_keys_the_provider_rotated_are_fetched_again(eid) -> None:
    person, client = signed_in("shen")
    authorize = go_to_provider(client)
    cache.set(oidc._cache_key("jwks", eid.issuer), {"keys": []}, 3600)
    come_back(client, eid.sign_in(authorize, "li.na"))
    assert identity.active(person) is not None
    assert cache.get(oidc._cache_key("jwks", eid.issuer))["keys"]


def test_an_id_token_for_another_nonce_is_refused(eid, caplog) -> None:
    person, client = signed_in("he")
    authorize = go_to_provider(client)
    session = client.session
    flow = session[oidc.SESSION_KEY]
    session[oidc.SESSION_KEY] = {**flow, "nonce": "a-nonce-this-court-never-sent"}
    session.save()
    with caplog.at_level(logging.WARNING, logger="netcourt.accounts.oidc"):
        page = messages_on(client, come_back(client, eid.sign_in(authorize, "zhang.wei")))
    assert "did not pass the court&#x27;s checks" in page
    assert "eid_invalid (nonce)" in caplog.text
    assert identity.active(person) is None


def test_cancelling_at_the_provider_gives_a_clear_message_and_writes_nothing(eid) -> None:
    person, client = signed_in("lu")
    back = "/cases/"
    answer_url = eid.sign_in(go_to_provider(client, back), "zhang.wei", cancel=True)
    assert "error=access_denied" in answer_url
    answer = come_back(client, answer_url)
    assert answer["Location"] == "/accounts/identity/?next=%2Fcases%2F"
    page = messages_on(client, answer)
    assert "Test eID did not confirm your identity: the sign-in there was cancelled" in page
    assert not IdentityVerification.objects.exists()
    assert not SecurityEvent.objects.filter(tag="account:identity:verified").exists()


def test_the_message_is_in_the_persons_language(eid) -> None:
    person, client = signed_in("ma")
    client.cookies["django_language"] = "zh-hans"
    person.preferred_language = "zh-hans"
    person.save()
    page = client.get("/accounts/identity/").content.decode()
    assert "测试电子身份" in page
    answer_url = eid.sign_in(go_to_provider(client), "zhang.wei", cancel=True)
    page = messages_on(client, come_back(client, answer_url))
    assert "测试电子身份" in page


def test_a_provider_without_the_legal_name_is_refused(eid) -> None:
    person, client = signed_in("xu")
    page = messages_on(client, come_back(client, eid.sign_in(go_to_provider(client), "nameless")))
    assert "did not give your full legal name" in page
    assert identity.active(person) is None


def test_client_secret_post_and_es256_id_tokens(tmp_path, settings, db) -> None:
    other = start_provider(
        tmp_path,
        [BASE_URL + CALLBACK_PATH],
        ACCOUNTS,
        EID_AUTH_METHOD="client_secret_post",
        EID_ID_TOKEN_ALG="ES256",
    )
    try:
        settings.NETCOURT_EID = other.config(token_auth="client_secret_post")
        settings.NETCOURT_BASE_URL = BASE_URL
        person, client = signed_in("yang")
        come_back(client, other.sign_in(go_to_provider(client), "li.na"))
        verification = identity.active(person)
        assert verification is not None and verification.level == "eid_verified"
    finally:
        other.stop()


def test_a_provider_that_cannot_be_reached(settings, db) -> None:
    settings.NETCOURT_EID = {
        "issuer": "http://127.0.0.1:9/",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "timeout": 2,
    }
    person, client = signed_in("tang")
    page = messages_on(client, client.post(START, {"next": "/cases/"}))
    assert "127.0.0.1 cannot be reached just now" in page
    assert oidc.SESSION_KEY not in client.session


def test_without_configuration_there_is_no_eid(settings, db) -> None:
    settings.NETCOURT_EID = None
    person, client = signed_in("cao")
    page = client.get("/accounts/identity/").content.decode()
    assert "Verify with" not in page and "Electronic identity" not in page
    assert client.post(START).status_code == 404
    assert client.get(CALLBACK_PATH).status_code == 404


@pytest.mark.parametrize(
    ("change", "fault"),
    [
        ({"algorithms": ["RS256", "none"]}, "algorithms"),
        ({"issuer": "http://eid.example.org"}, "https"),
        ({"claims": {"document_number": "idn"}}, "document_kind"),
        ({"level": "omniscient"}, "not in the pack"),
    ],
)
def test_a_wrong_configuration_says_where_and_not_the_secret(settings, change, fault) -> None:
    settings.NETCOURT_EID = {
        "issuer": "https://eid.example.org",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        **change,
    }
    with pytest.raises(ImproperlyConfigured) as wrong:
        oidc.configuration()
    assert fault in str(wrong.value) and CLIENT_SECRET not in str(wrong.value)


# ID tokens made here, to see that each check refuses what it must.

ISSUER = "https://eid.example.org"
RSA = jwk.RSAKey.generate_key(2048, {"kid": "rsa-1", "alg": "RS256", "use": "sig"})
EC = jwk.ECKey.generate_key("P-256", {"kid": "ec-1", "alg": "ES256"})
STRANGER = jwk.RSAKey.generate_key(2048, {"kid": "rsa-1"})
JWKS = {"keys": [RSA.as_dict(private=False), EC.as_dict(private=False)]}


def conf(**overrides: Any) -> oidc.EidConfig:
    return oidc.EidConfig.model_validate(
        {"issuer": ISSUER, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **overrides}
    )


def token(
    key: Any = RSA, alg: str = "RS256", header: dict[str, Any] | None = None, **claims: Any
) -> str:
    body = {
        "iss": ISSUER,
        "sub": "subject-1",
        "aud": CLIENT_ID,
        "exp": int((NOW + timedelta(minutes=10)).timestamp()),
        "iat": int(NOW.timestamp()),
        "nonce": "n-1",
        **claims,
    }
    kid = {"kid": key.kid} if key.kid else {}
    return jwt.encode({"alg": alg, **kid, **(header or {})}, body, key, algorithms=[alg])


def unsigned(**claims: Any) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none'})}.{part({'iss': ISSUER, 'aud': CLIENT_ID, **claims})}."


def check(value: str, configuration: oidc.EidConfig | None = None, jwks: Any = None) -> Any:
    with clock.use(clock.FixedClock(NOW)):
        return oidc.validate_id_token(configuration or conf(), value, "n-1", jwks or JWKS)


def test_good_tokens_signed_with_rs256_or_es256_pass() -> None:
    assert check(token())["sub"] == "subject-1"
    assert check(token(EC, "ES256"))["sub"] == "subject-1"
    several = token(aud=[CLIENT_ID, "other"], azp=CLIENT_ID)
    assert check(several)["azp"] == CLIENT_ID
    late = token(exp=int((NOW - timedelta(seconds=30)).timestamp()))
    assert check(late)["sub"] == "subject-1"  # within the minute of leeway


NIGH = int((NOW + timedelta(minutes=10)).timestamp())


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (unsigned(sub="s", nonce="n-1", exp=NIGH, iat=NIGH), "alg"),
        (token(jwk.OctKey.import_key(CLIENT_SECRET), "HS256"), "alg"),
        (token(STRANGER), "signature"),
        (token(header={"kid": "rotated-away"}), "unknown_key"),
        (token(iss="https://eid.example.org/other"), "iss"),
        (token(aud="someone-else"), "aud"),
        (token(aud=[CLIENT_ID, "other"]), "azp"),
        (token(azp="other"), "azp"),
        (token(exp=int((NOW - timedelta(minutes=2)).timestamp())), "exp"),
        (token(iat=int((NOW + timedelta(minutes=5)).timestamp())), "iat"),
        (token(exp=None), "exp"),
        (token(nonce="n-2"), "nonce"),
        (token(nonce=None), "nonce"),
        (token(sub=""), "sub"),
        ("not.a-token", "id_token_format"),
    ],
)
def test_each_check_refuses_a_bad_id_token(value, reason) -> None:
    with pytest.raises(Problem) as refused:
        check(value)
    assert refused.value.code == "eid_invalid"
    assert refused.value.extra["reason"] == reason


def test_hs256_only_when_the_deployment_chooses_it() -> None:
    value = token(jwk.OctKey.import_key(CLIENT_SECRET), "HS256")
    chosen = conf(algorithms=["RS256", "HS256"])
    assert check(value, chosen)["sub"] == "subject-1"


def test_a_token_under_the_real_providers_key_id_but_another_key_is_refused(eid) -> None:
    real = httpx.get(f"{eid.issuer}/jwks", timeout=5).json()
    kid = next(key["kid"] for key in real["keys"] if key["kty"] == "RSA")
    forged = token(STRANGER, header={"kid": kid}, iss=eid.issuer)
    with pytest.raises(Problem) as refused:
        check(forged, conf(issuer=eid.issuer), real)
    assert refused.value.extra["reason"] == "signature"
