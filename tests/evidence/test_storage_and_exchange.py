"""Evidence on an S3 store (moto's server as the stand-in), and the after-period exchange rule."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from netcourt.courts.models import Court
from netcourt.evidence import policy
from netcourt.evidence.models import EvidenceItem
from netcourt.evidence.store import _store_for, plaintext
from netcourt.transparency.actions import integrate_all
from netcourt.transparency.audit import audit
from tests.conftest import api_client, new_bucket
from tests.evidence.test_submission import pdf, submit


def test_evidence_on_an_s3_bucket(
    exchanging,
    alice,
    settings,
    s3,
    moto_endpoint,
    monkeypatch,
) -> None:
    """boto3 finds its credentials the usual way; here, moto's dummy ones in the environment."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    bucket = new_bucket(s3)
    settings.NETCOURT_BLOB_STORE = f"s3://{bucket}"
    settings.NETCOURT_S3_ENDPOINT_URL = moto_endpoint
    _store_for.cache_clear()
    try:
        data = pdf(40_000)
        item = submit(alice, exchanging, data)
        stored = s3.get_object(Bucket=bucket, Key=item.blob.store_key)["Body"].read()
        assert b"%PDF" not in stored and len(stored) > len(data)
        assert b"".join(plaintext(item.blob)) == data
        assert b"".join(plaintext(item.blob, (30_000, 30_099))) == data[30_000:30_100]
        url = f"/api/v1/cases/{exchanging.pk}/evidence/{item.pk}/file"
        part = api_client(alice).get(url, HTTP_RANGE="bytes=-5000")
        assert part.status_code == 206
        assert part["Content-Range"] == f"bytes {len(data) - 5000}-{len(data) - 1}/{len(data)}"
        assert b"".join(part.streaming_content) == data[-5000:]
        integrate_all()
        assert audit() == []
        raw = bytearray(stored)
        raw[100] ^= 0xFF
        s3.put_object(Bucket=bucket, Key=item.blob.store_key, Body=bytes(raw))
        faults = audit()
        assert len(faults) == 1 and str(item.pk) in faults[0]
    finally:
        _store_for.cache_clear()


@pytest.fixture
def after_period(monkeypatch) -> None:
    pack = Court.pack.fget(Court(pack_name="cn_internet_court"))  # type: ignore[attr-defined]
    rules = pack.evidence.model_copy(update={"exchange": "after_period"})
    changed = dataclasses.replace(pack, evidence=rules)
    monkeypatch.setattr(Court, "pack", property(lambda court: changed))


def test_after_period_the_other_side_waits_for_the_period_to_end(
    after_period,
    exchanging,
    alice,
    bob,
    frozen,
    staff,
) -> None:
    mine = submit(alice, exchanging, pdf())
    theirs = submit(bob, exchanging, pdf())
    listed = {
        i["id"] for i in api_client(bob).get(f"/api/v1/cases/{exchanging.pk}/evidence").json()
    }
    assert listed == {str(theirs.pk)}
    assert not policy.exchange_open(exchanging)
    assert (
        api_client(bob).get(f"/api/v1/cases/{exchanging.pk}/evidence/{mine.pk}").status_code == 404
    )
    judge = {
        i.pk for i in policy.visible_items(exchanging.judge, exchanging, EvidenceItem.objects.all())
    }
    assert judge == {mine.pk, theirs.pk}
    frozen.advance(timedelta(days=30))
    listed = {
        i["id"] for i in api_client(bob).get(f"/api/v1/cases/{exchanging.pk}/evidence").json()
    }
    assert listed == {str(mine.pk), str(theirs.pk)}
