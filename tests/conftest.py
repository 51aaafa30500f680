from __future__ import annotations

import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from netcourt.accounts import identity
from netcourt.accounts.mfa import StepUp, add_totp
from netcourt.accounts.models import User
from netcourt.accounts.tokens import create_token
from netcourt.cases import actions
from netcourt.cases.models import Case
from netcourt.core import clock
from netcourt.courts.demo import fictitious_id_number
from netcourt.courts.models import Court, CourtMembership, CourtRole
from netcourt.procedure import load_pack
from tests.net import free_port

PACK = "cn_internet_court"


@pytest.fixture
def frozen() -> Iterator[clock.FixedClock]:
    """The court's clock stopped at 10:00 Beijing time on Monday 2 November 2026."""
    with clock.use(clock.FixedClock(datetime(2026, 11, 2, 2, 0, tzinfo=UTC))) as fixed:
        yield fixed  # type: ignore[misc]


def make_user(username: str, lang: str = "en", **extra: Any) -> User:
    user = User.objects.create_user(
        username=username,
        email=f"{username}@example.test",
        password="correct horse battery staple",
        display_name=extra.pop("display_name", username.title()),
        preferred_language=lang,
        **extra,
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


@pytest.fixture
def courts(db: Any) -> dict[str, Court]:
    pack = load_pack(PACK)
    made = {}
    for court_id in pack.courts:
        made[court_id] = Court.objects.create(slug=court_id, pack_name=PACK, pack_court_id=court_id)
    return made


@pytest.fixture
def hangzhou(courts: dict[str, Court]) -> Court:
    return courts["hangzhou"]


STAFF_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def with_second_factor(user: User) -> User:
    add_totp(user, STAFF_TOTP_SECRET)
    return user


@pytest.fixture
def staff(courts: dict[str, Court]) -> dict[str, User]:
    people = {}
    for slug, court in courts.items():
        clerk = with_second_factor(make_user(f"clerk-{slug}"))
        CourtMembership.objects.create(court=court, user=clerk, role=CourtRole.CLERK)
        people[f"clerk-{slug}"] = clerk
        for n in (1, 2):
            judge = with_second_factor(make_user(f"judge{n}-{slug}"))
            CourtMembership.objects.create(court=court, user=judge, role=CourtRole.JUDGE)
            people[f"judge{n}-{slug}"] = judge
    return people


def confirmed() -> StepUp:
    """A second factor used just now, as a sensitive step needs."""
    return StepUp(method="totp", at=clock.now())


def verified(user: User) -> User:
    """``user`` with a checked identity document (``document_checked``)."""
    identity.verify_document(user, str(user), "prc-id", fictitious_id_number(user.pk))
    return user


@pytest.fixture
def alice(db: Any) -> User:
    return verified(make_user("alice", "zh-hans", display_name="张伟"))


@pytest.fixture
def mallory(db: Any) -> User:
    return make_user("mallory")


def complete_filing(**overrides: Any) -> actions.FilingData:
    values: dict[str, Any] = {
        "title": "Refund for a phone that never arrived",
        "amount": Decimal("4299.00"),
        "claims": "Refund CNY 4,299.00.",
        "facts": "I paid on 3 August; the phone never shipped.",
        "platform": "Order 2026080312345678",
        "factors": {"buyer_domicile": "hangzhou"},
        "exclusions": [],
        "simple": True,
        "parties": [
            actions.PartyData(role="plaintiff", kind="natural", name="张伟"),
            actions.PartyData(
                role="defendant",
                kind="legal",
                name="Yungou E-commerce Co., Ltd.",
                address="Hangzhou",
            ),
        ],
    }
    values.update(overrides)
    return actions.FilingData(**values)


@pytest.fixture
def draft(alice: User, hangzhou: Court, frozen: clock.FixedClock) -> Case:
    return actions.file_case(alice, hangzhou, "ecommerce_purchase", complete_filing())


@pytest.fixture
def submitted(draft: Case, staff: dict[str, User]) -> Case:
    actions.fire(draft.created_by, draft.id, "submit", draft.version)
    draft.refresh_from_db()
    return draft


@pytest.fixture
def accepted(submitted: Case, staff: dict[str, User]) -> Case:
    actions.fire(staff["clerk-hangzhou"], submitted.id, "accept", submitted.version)
    submitted.refresh_from_db()
    return submitted


@pytest.fixture
def bob(db: Any) -> Any:
    return verified(make_user("bob"))


@pytest.fixture
def exchanging(accepted: Case, staff: dict[str, Any], bob: Any) -> Case:
    """A case past service, where the parties submit and examine evidence: the defendant
    (bob) has an account, and the evidence period runs."""
    defendant = accepted.parties.get(role="defendant")
    defendant.user = bob
    defendant.save()
    clerk = staff["clerk-hangzhou"]
    for step in ("serve_complaint", "confirm_service"):
        accepted.refresh_from_db()
        actions.fire(clerk, accepted.id, step, accepted.version)
    accepted.refresh_from_db()
    return accepted


def signed_in(user: User) -> Client:
    """A browser session for ``user`` whose sign-in used a second factor, as allauth records
    it (court staff need that; for anyone else it changes nothing)."""
    client = Client()
    client.force_login(user)
    session = client.session
    session["account_authentication_methods"] = [
        {"method": "mfa", "at": clock.now().timestamp(), "type": "totp"}
    ]
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()
    return client


def api_client(user: User) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {create_token(user)}")


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Rate-limit counters and used second-factor codes live in the cache: none carry over."""
    cache.clear()


@pytest.fixture(autouse=True)
def _jobs_run_on_commit(settings: Any) -> None:
    """Jobs run when their transaction commits, in the test's process (a worker is tested on
    its own, in tests/core/test_jobs.py)."""
    settings.NETCOURT_JOBS = "immediate"


@pytest.fixture(autouse=True)
def _default_language() -> None:
    """Each request sets its language; code run outside one starts from the default."""
    translation.deactivate()


@pytest.fixture(autouse=True)
def _private_data_dir(settings: Any, tmp_path: Any) -> None:
    """Files an instance keeps in its data directory (the vault's keys, the log's signing key,
    evidence files) go to the test's own."""
    settings.DATA_DIR = tmp_path
    settings.NETCOURT_BLOB_STORE = str(tmp_path / "blobs")


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    """Argon2 is deliberately slow; tests that create many users use a fast hasher."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# S3 for tests: moto's server mode stands in for a real S3-compatible store. boto3 talks HTTP to
# it exactly as it would to AWS S3 or MinIO, so requests, multipart uploads and error responses
# go through the whole client stack. It is started once per test session on a free port.
HOST = "127.0.0.1"
REGION = "us-east-1"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def s3_client(endpoint: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        config=Config(retries={"max_attempts": 2, "mode": "standard"}),
        **CREDENTIALS,
    )


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a moto S3 server run for this session."""
    server = Path(sys.executable).parent / "moto_server"
    if not server.exists():
        pytest.fail(f"{server} is missing: install the test extras (moto[server])")
    port = free_port(HOST)
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(server), "-H", HOST, "-p", str(port)], stdout=out, stderr=subprocess.STDOUT
        )
    endpoint = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                pytest.fail(f"moto_server exited ({proc.returncode}): {log.read_text()[-2000:]}")
            try:
                with socket.create_connection((HOST, port), timeout=1):
                    pass
                s3_client(endpoint).list_buckets()
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield endpoint
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="session")
def s3(moto_endpoint: str) -> Any:
    return s3_client(moto_endpoint)


def new_bucket(client: Any) -> str:
    bucket = f"vault-{secrets.token_hex(6)}"
    client.create_bucket(Bucket=bucket)
    return bucket
