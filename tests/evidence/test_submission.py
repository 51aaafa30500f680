"""Submitting evidence: a file goes in encrypted, comes back whole, and is refused cleanly."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from netcourt.cases import actions as case_actions
from netcourt.cases.models import Case
from netcourt.core.problems import Problem
from netcourt.evidence import actions
from netcourt.evidence.models import Blob, EvidenceItem, Upload
from netcourt.evidence.store import plaintext
from netcourt.transparency.models import LogEntry

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def pdf(size: int = 0) -> bytes:
    """A small PDF, padded with a comment to ``size`` bytes."""
    body = PDF + b"%" + b"x" * max(0, size - len(PDF) - 2) + b"\n"
    return body if size else PDF


def upload(user: Any, case: Case, data: bytes, name: str = "order.pdf") -> Upload:
    started = actions.start_upload(user, case.pk, len(data), name)
    return actions.receive(user, started.pk, 0, io.BytesIO(data))


def submit(user: Any, case: Case, data: bytes, name: str = "order.pdf", **extra: str) -> Any:
    fields = {
        "title": "Order confirmation",
        "purpose": "That the plaintiff paid CNY 4,299.",
        "source": "The shop's order page",
    }
    fields.update(extra)
    return actions.submit(user, case.pk, upload(user, case, data, name).pk, **fields)


def test_an_item_is_stored_encrypted_and_comes_back_whole(
    exchanging: Case, alice, django_capture_on_commit_callbacks
) -> None:
    data = pdf(300_000)
    with django_capture_on_commit_callbacks(execute=True):
        item = submit(alice, exchanging, data)
    assert item.number == 1 and item.party.role == "plaintiff" and not item.late
    assert item.blob.mime == "application/pdf"
    stored = actions.staging().root.parent / "blobs"
    on_disk = b"".join(p.read_bytes() for p in stored.rglob("*") if p.is_file())
    assert data[:200] not in on_disk and b"%PDF" not in on_disk
    assert b"".join(plaintext(item.blob)) == data
    assert not list(actions.staging().root.iterdir())
    assert not Upload.objects.exists()
    leaf = LogEntry.objects.get(ref=f"evidence:{item.pk}")
    assert item.blob.sha256 not in leaf.record and "Order" not in leaf.record
    assert exchanging.events.filter(event="submit_evidence").count() == 1


def test_items_are_numbered_per_party(exchanging: Case, alice, bob) -> None:
    assert [submit(alice, exchanging, pdf()).number for _ in range(2)] == [1, 2]
    assert submit(bob, exchanging, pdf()).number == 1


@pytest.mark.parametrize(
    "data, name, code",
    [
        (b"\x7fELF\x02\x01\x01" + bytes(200), "contract.pdf", "file_type_not_allowed"),
        (b"MZ" + bytes(300), "scan.pdf", "file_type_not_allowed"),
        (
            PDF.replace(
                b"<< /Type /Catalog >>",
                b"<< /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>",
            ),
            "x.pdf",
            "file_active_content",
        ),
    ],
)
def test_a_refused_file_leaves_nothing_behind(exchanging, alice, data, name, code) -> None:
    with pytest.raises(Problem) as refused:
        submit(alice, exchanging, data, name)
    assert refused.value.code == code
    assert not EvidenceItem.objects.exists() and not Blob.objects.exists()
    assert not Upload.objects.exists() and not list(actions.staging().root.iterdir())
    assert not exchanging.events.filter(event="submit_evidence").exists()


def test_an_upload_resumes_from_where_it_stopped(exchanging: Case, alice) -> None:
    data = pdf(100_000)
    started = actions.start_upload(alice, exchanging.pk, len(data), "order.pdf")
    actions.receive(alice, started.pk, 0, io.BytesIO(data[:40_000]))
    with pytest.raises(Problem) as wrong:
        actions.receive(alice, started.pk, 10, io.BytesIO(data[10:]))
    assert wrong.value.code == "upload_offset_mismatch" and wrong.value.extra["offset"] == 40_000
    with pytest.raises(Problem) as early:
        actions.submit(alice, exchanging.pk, started.pk, title="t", purpose="p", source="s")
    assert early.value.code == "upload_incomplete"
    actions.receive(alice, started.pk, 40_000, io.BytesIO(data[40_000:]))
    item = actions.submit(alice, exchanging.pk, started.pk, title="t", purpose="p", source="s")
    assert b"".join(plaintext(item.blob)) == data


def test_bytes_written_but_not_acknowledged_are_overwritten(exchanging: Case, alice) -> None:
    """A crash after the bytes hit the disk but before the offset was recorded."""
    data = pdf(50_000)
    started = actions.start_upload(alice, exchanging.pk, len(data), "order.pdf")
    actions.receive(alice, started.pk, 0, io.BytesIO(data[:20_000]))
    key = actions._upload_key(started)
    actions.staging().append(str(started.pk), key, 20_000, io.BytesIO(b"junk" * 1000), 30_000)
    actions.receive(alice, started.pk, 20_000, io.BytesIO(data[20_000:]))
    item = actions.submit(alice, exchanging.pk, started.pk, title="t", purpose="p", source="s")
    assert b"".join(plaintext(item.blob)) == data


def test_too_many_bytes_are_refused(exchanging: Case, alice) -> None:
    started = actions.start_upload(alice, exchanging.pk, 10, "a.txt")
    with pytest.raises(Problem) as refused:
        actions.receive(alice, started.pk, 0, io.BytesIO(b"x" * 11))
    assert refused.value.code == "upload_too_long"
    started.refresh_from_db()
    assert started.offset == 0


@pytest.mark.parametrize("length, code", [(0, "file_empty"), (2**31 + 1, "file_too_large")])
def test_sizes_the_court_does_not_take(exchanging, alice, length, code) -> None:
    with pytest.raises(Problem) as refused:
        actions.start_upload(alice, exchanging.pk, length, "a.pdf")
    assert refused.value.code == code
    assert not Upload.objects.exists()


def test_only_parties_upload_and_only_their_own_uploads(exchanging, alice, staff, mallory) -> None:
    with pytest.raises(Problem) as outsider:
        actions.start_upload(mallory, exchanging.pk, 10, "a.pdf")
    assert outsider.value.status == 404
    clerk = staff["clerk-hangzhou"]
    with pytest.raises(Problem) as not_evidence:
        actions.submit(
            clerk,
            exchanging.pk,
            upload(clerk, exchanging, pdf()).pk,
            title="t",
            purpose="p",
            source="s",
        )
    assert not_evidence.value.code == "role_not_allowed"
    started = actions.start_upload(alice, exchanging.pk, 10, "a.pdf")
    with pytest.raises(Problem) as other:
        actions.receive(mallory, started.pk, 0, io.BytesIO(b"x"))
    assert other.value.status == 404


def test_evidence_after_the_period_is_accepted_and_marked_late(exchanging, alice, frozen) -> None:
    from datetime import timedelta

    frozen.advance(timedelta(days=40))
    item = submit(alice, exchanging, pdf())
    assert item.late
    assert item.event.payload["late"] is True


def test_the_generic_step_endpoint_refuses_evidence_steps(exchanging, alice) -> None:
    with pytest.raises(Problem) as refused:
        case_actions.fire(
            alice,
            exchanging.pk,
            "submit_evidence",
            exchanging.version,
            {"title": "t", "purpose": "p", "source": "s"},
        )
    assert refused.value.code == "own_endpoint"


def test_the_sweep_removes_abandoned_uploads_and_unclaimed_files(
    exchanging, alice, frozen, settings
) -> None:
    from datetime import timedelta
    from pathlib import Path

    kept = submit(alice, exchanging, pdf())
    abandoned = upload(alice, exchanging, pdf(9000))
    actions.prepare_upload(
        alice, exchanging.pk, abandoned.pk
    )  # checked and stored, never submitted
    assert Blob.objects.count() == 2
    frozen.advance(timedelta(days=actions.UPLOAD_DAYS + 1))
    actions.sweep_uploads()
    assert not Upload.objects.exists()
    assert list(Blob.objects.all()) == [kept.blob]
    files = [p for p in Path(settings.NETCOURT_BLOB_STORE).rglob("*") if p.is_file()]
    assert len(files) == 1
    assert b"".join(plaintext(kept.blob)) == pdf()


def test_stored_files_no_row_names_are_removed_once_a_day_has_passed(
    exchanging, alice, settings
) -> None:
    from datetime import UTC, datetime, timedelta

    from netcourt.accounts.models import HeldDocument
    from netcourt.cases.models import RepresentationRequest
    from netcourt.evidence.store import blob_key, blob_store

    kept = submit(alice, exchanging, pdf())
    store = blob_store()

    def held(name: str) -> HeldDocument:
        with store.writer(f"documents/{name}") as out:
            out.write(b"ciphertext")
        return HeldDocument.objects.create(
            owner=alice,
            purpose=HeldDocument.Purpose.POWER_OF_ATTORNEY,
            store_key=f"documents/{name}",
            sha256="0" * 64,
            size=1,
            mime="application/pdf",
            filename="a.pdf",
            key_id="k",
            sealed_key="",
            stored_at=datetime.now(UTC),
        )

    claimed = held("claimed")
    RepresentationRequest.objects.create(
        requester=alice,
        case_number="(2026)浙0192民初1号",
        role="plaintiff",
        kind="agent",
        document=claimed,
        created_at=datetime.now(UTC),
    )
    held("request-never-came")  # its request's insert failed after the document was kept
    # A process that stored a file and died before its row committed; a document likewise;
    # and something of an operator's sharing the store under a prefix of its own.
    for key in [blob_key(exchanging, "0d7d1e63-0000-4000-8000-000000000000"), "documents/lost"]:
        with store.writer(key) as out:
            out.write(b"ciphertext")
    with store.writer("backups/2026-11-28") as out:
        out.write(b"kept")

    assert actions.sweep_orphaned_files(datetime.now(UTC)) == 0  # too fresh: a row may come
    assert HeldDocument.objects.count() == 2
    tomorrow = datetime.now(UTC) + actions.ORPHAN_GRACE + timedelta(minutes=1)
    assert actions.sweep_orphaned_files(tomorrow) == 3
    assert sorted(store.keys()) == sorted(
        [kept.blob.store_key, claimed.store_key, "backups/2026-11-28"]
    )
    assert list(HeldDocument.objects.all()) == [claimed]
    assert b"".join(plaintext(kept.blob)) == pdf()
    assert actions.sweep_orphaned_files(tomorrow) == 0


def test_the_orphan_sweep_removes_nothing_when_the_database_names_almost_nothing(
    exchanging, caplog
) -> None:
    """Pointed at the wrong database (empty, an older backup, another installation's), every
    file looks orphaned: the sweep refuses rather than empty the store."""
    from datetime import UTC, datetime, timedelta

    from netcourt.evidence.store import blob_key, blob_store

    store = blob_store()
    keys = [blob_key(exchanging, f"0d7d1e63-0000-4000-8000-{n:012d}") for n in range(120)]
    for key in keys:
        with store.writer(key) as out:
            out.write(b"ciphertext")
    tomorrow = datetime.now(UTC) + actions.ORPHAN_GRACE + timedelta(minutes=1)
    assert actions.sweep_orphaned_files(tomorrow) == 0
    assert sorted(store.keys()) == sorted(keys)
    assert "orphan sweep refused: 120 of 120 stored files under cases/" in caplog.text


def test_the_orphan_sweep_runs_as_one_job_a_day(
    exchanging, django_capture_on_commit_callbacks
) -> None:
    from datetime import UTC, datetime, timedelta

    from netcourt.core import clock, jobs
    from netcourt.core.models import Job
    from netcourt.evidence import tasks
    from netcourt.evidence.store import blob_key, blob_store

    lost = blob_key(exchanging, "0d7d1e63-0000-4000-8000-000000000001")
    with blob_store().writer(lost) as out:
        out.write(b"ciphertext")
    assert tasks.sweep_orphaned_files_daily in jobs.PERIODIC
    later = clock.FixedClock(datetime.now(UTC) + actions.ORPHAN_GRACE + timedelta(hours=1))
    with clock.use(later), django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            tasks.sweep_orphaned_files_daily()
        later.advance(timedelta(days=1))
        tasks.sweep_orphaned_files_daily()
    made = Job.objects.filter(name=tasks.ORPHANS)
    assert made.count() == 2 and all(job.done_at is not None for job in made)
    assert not blob_store().exists(lost)


def test_a_person_has_only_a_few_files_on_their_way_in_at_once(exchanging, alice) -> None:
    for _ in range(actions.MAX_OPEN_UPLOADS):
        actions.start_upload(alice, exchanging.pk, 10, "a.pdf")
    with pytest.raises(Problem) as refused:
        actions.start_upload(alice, exchanging.pk, 10, "a.pdf")
    assert refused.value.code == "rate_limited" and refused.value.status == 429
    assert Upload.objects.count() == actions.MAX_OPEN_UPLOADS


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00"
    b"\x00IEND\xaeB`\x82"
)


def test_a_file_is_kept_under_the_extension_of_what_it_contains(exchanging, alice) -> None:
    item = submit(alice, exchanging, PNG, "receipt.html")
    assert (item.blob.mime, item.blob.filename) == ("image/png", "receipt.html.png")
    sneaky = submit(alice, exchanging, pdf(), "invoice\u202efdp.exe")
    assert "\u202e" not in sneaky.blob.filename and sneaky.blob.filename.endswith(".pdf")
    plain = submit(alice, exchanging, pdf(), "order.pdf")
    assert plain.blob.filename == "order.pdf"


def test_one_upload_makes_one_item(exchanging, alice) -> None:
    done = upload(alice, exchanging, pdf())
    actions.submit(alice, exchanging.pk, done.pk, title="t", purpose="p", source="s")
    with pytest.raises(Problem) as again:
        actions.submit(alice, exchanging.pk, done.pk, title="t", purpose="p", source="s")
    assert again.value.status == 404
    assert EvidenceItem.objects.count() == 1
    with pytest.raises(Problem) as malformed:
        actions.receive(alice, "not-a-uuid", 0, io.BytesIO(b"x"))
    assert malformed.value.status == 404


def test_the_orphan_sweep_refuses_a_hundred_orphans_even_in_a_large_store(
    exchanging, capsys
) -> None:
    """Another installation's 101 files in a bucket of thousands are still not ours to
    remove; an operator who has checked raises the limit for one run."""
    from datetime import UTC, datetime, timedelta

    from netcourt.cli import main
    from netcourt.core import clock
    from netcourt.evidence.store import blob_key, blob_store

    store = blob_store()
    for n in range(101):
        with store.writer(blob_key(exchanging, f"0d7d1e63-0000-4000-8000-{n:012d}")) as out:
            out.write(b"ciphertext")
    tomorrow = datetime.now(UTC) + actions.ORPHAN_GRACE + timedelta(minutes=1)
    assert actions.sweep_orphaned_files(tomorrow) == 0
    with clock.use(clock.FixedClock(tomorrow)):
        assert main(["sweep", "--json", "--orphan-limit", "200"]) == 0
    assert json.loads(capsys.readouterr().out)["orphaned_files_removed"] == 101
