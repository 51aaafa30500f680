from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from netcourt.accounts.models import ApiToken
from netcourt.accounts.tokens import create_token


def test_a_token_records_when_it_was_last_used_to_the_hour(alice, courts, frozen) -> None:
    raw = create_token(alice, "lawyer's case software")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/cases").status_code == 200
    token = ApiToken.objects.get(user=alice)
    assert token.last_used_at == frozen.now()
    frozen.advance(timedelta(minutes=30))
    client.get("/api/v1/cases")
    token.refresh_from_db()
    assert token.last_used_at == frozen.now() - timedelta(minutes=30)
    frozen.advance(timedelta(hours=1))
    client.get("/api/v1/cases")
    token.refresh_from_db()
    assert token.last_used_at == frozen.now()


def test_a_revoked_token_no_longer_works(alice, courts, frozen) -> None:
    raw = create_token(alice)
    ApiToken.objects.filter(user=alice).update(revoked_at=frozen.now())
    assert Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/cases").status_code == 401


def test_a_token_expires_and_court_staffs_sooner(alice, staff, courts, frozen) -> None:
    mine = create_token(alice)
    theirs = create_token(staff["clerk-hangzhou"])
    frozen.advance(timedelta(days=31))
    assert Client(HTTP_AUTHORIZATION=f"Bearer {mine}").get("/api/v1/cases").status_code == 200
    assert Client(HTTP_AUTHORIZATION=f"Bearer {theirs}").get("/api/v1/cases").status_code == 401
    frozen.advance(timedelta(days=60))
    assert Client(HTTP_AUTHORIZATION=f"Bearer {mine}").get("/api/v1/cases").status_code == 401


def test_a_token_cannot_outlast_its_limit(alice, staff) -> None:
    with pytest.raises(ValueError, match="1 to 30 days"):
        create_token(staff["judge1-hangzhou"], days=90)
    with pytest.raises(ValueError, match="1 to 365 days"):
        create_token(alice, days=0)
