"""Submits of one upload sent at once (a double click, a client retrying while the first try
still runs): the file is checked and stored once."""

from __future__ import annotations

import pytest
from django.db import connection

from netcourt.evidence import actions
from netcourt.evidence.models import Blob
from netcourt.evidence.store import blob_store
from tests.cases.test_concurrency import race
from tests.evidence.test_submission import pdf, upload

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="rows shared between threads' connections need a server database (CI runs it)",
    ),
]


def test_five_submits_of_one_upload_at_once_store_its_file_once(exchanging, alice) -> None:
    done = upload(alice, exchanging, pdf(200_000))
    results = race(
        *[lambda: actions.prepare_upload(alice, exchanging.pk, done.pk) for _ in range(5)]
    )
    assert {result.blob_id for result in results} == {Blob.objects.get().pk}
    assert len(list(blob_store().keys())) == 1
