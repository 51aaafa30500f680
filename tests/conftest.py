from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from netcourt.accounts import identity
from netcourt.accounts.mfa import add_totp
from netcourt.accounts.models import User
from netcourt.accounts.tokens import create_token
from netcourt.cases import actions
from netcourt.cases.models import Case
from netcourt.core import clock
from netcourt.courts.demo import fictitious_id_number
from netcourt.courts.models import Court, CourtMembership, CourtRole
from netcourt.procedure import load_pack

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


def confirmed() -> actions.StepUp:
    """A second factor used just now, as a sensitive step needs."""
    return actions.StepUp(method="totp", at=clock.now())


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


def signed_in(user: User) -> Client:
    """A browser session for ``user`` whose sign-in used a second factor, as allauth records
    it (court staff need that; for anyone else it changes nothing)."""
    client = Client()
    client.force_login(user)
    session = client.session
    session["account_authentication_methods"] = [
        {"method": "mfa", "at": time.time(), "type": "totp"}
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
def _default_language() -> None:
    """Each request sets its language; code run outside one starts from the default."""
    translation.deactivate()


@pytest.fixture(autouse=True)
def _private_data_dir(settings: Any, tmp_path: Any) -> None:
    """Files an instance keeps in its data directory (the vault's keys) go to the test's own."""
    settings.DATA_DIR = tmp_path


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    """Argon2 is deliberately slow; tests that create many users use a fast hasher."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
