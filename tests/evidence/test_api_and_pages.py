"""Evidence through the API (tus 1.0 uploads) and the evidence page."""

from __future__ import annotations

import base64
import io
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from netcourt.accounts.mfa import add_totp, current_totp_code
from netcourt.cases.models import AccessLogEntry
from netcourt.core import clock
from netcourt.evidence import actions
from netcourt.evidence.models import Blob, EvidenceItem, Opinion, Upload
from tests.conftest import api_client, signed_in
from tests.evidence.test_submission import pdf, submit

TUS = {"HTTP_TUS_RESUMABLE": "1.0.0"}
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # a test authenticator's shared secret (base32)


def tus_upload(client, case, data: bytes, pieces: int = 3) -> str:
    name = base64.b64encode("合同.pdf".encode()).decode()
    created = client.post(
        f"/api/v1/cases/{case.pk}/uploads",
        HTTP_UPLOAD_LENGTH=str(len(data)),
        HTTP_UPLOAD_METADATA=f"filename {name}",
        **TUS,
    )
    assert created.status_code == 201, created.content
    location = created["Location"]
    step = -(-len(data) // pieces)
    for start in range(0, len(data), step):
        piece = data[start : start + step]
        answer = client.patch(
            location,
            piece,
            content_type="application/offset+octet-stream",
            HTTP_UPLOAD_OFFSET=str(start),
            **TUS,
        )
        assert answer.status_code == 204, answer.content
        assert answer["Upload-Offset"] == str(start + len(piece))
    head = client.head(location, **TUS)
    assert head["Upload-Offset"] == str(len(data)) == head["Upload-Length"]
    return location.rsplit("/", 1)[1]


def test_a_file_goes_in_by_tus_and_comes_back_whole(exchanging, alice, bob) -> None:
    client = api_client(alice)
    data = pdf(200_000)
    upload = tus_upload(client, exchanging, data)
    made = client.post(
        f"/api/v1/cases/{exchanging.pk}/evidence",
        {"upload": upload, "title": "合同", "purpose": "借款事实", "source": "平台导出"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="ev-1",
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["filename"] == "合同.pdf" and body["mime"] == "application/pdf"
    again = client.post(
        f"/api/v1/cases/{exchanging.pk}/evidence",
        {"upload": upload, "title": "合同", "purpose": "借款事实", "source": "平台导出"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="ev-1",
    )
    assert again.json()["id"] == body["id"] and EvidenceItem.objects.count() == 1
    other = api_client(bob)
    listed = other.get(f"/api/v1/cases/{exchanging.pk}/evidence").json()
    assert [i["id"] for i in listed] == [body["id"]]
    file = other.get(f"/api/v1/cases/{exchanging.pk}/evidence/{body['id']}/file")
    assert b"".join(file.streaming_content) == data
    assert AccessLogEntry.objects.filter(user=bob, what="evidence.file:plaintiff:1").exists()
    add_totp(bob, SECRET)
    add_totp(alice, SECRET)
    opinion = other.post(
        f"/api/v1/cases/{exchanging.pk}/evidence/{body['id']}/opinions",
        {"authenticity": "disputed", "legality": "accepted", "relevance": "accepted"},
        content_type="application/json",
        HTTP_NETCOURT_SECOND_FACTOR=current_totp_code(SECRET),
    )
    assert opinion.status_code == 201, opinion.content
    reply = client.post(
        f"/api/v1/cases/{exchanging.pk}/evidence/{body['id']}/opinions",
        {"reply_to": opinion.json()["id"], "comment": "原件可供核对。"},
        content_type="application/json",
        HTTP_NETCOURT_SECOND_FACTOR=current_totp_code(SECRET),
    )
    assert reply.status_code == 201, reply.content
    own = client.post(
        f"/api/v1/cases/{exchanging.pk}/evidence/{body['id']}/opinions",
        {"authenticity": "accepted", "legality": "accepted", "relevance": "accepted"},
        content_type="application/json",
        HTTP_NETCOURT_SECOND_FACTOR=current_totp_code(SECRET),
    )
    assert own.status_code == 403 and own.json()["code"] == "role_not_allowed"
    receipt = other.get(f"/api/v1/cases/{exchanging.pk}/evidence/{body['id']}/receipt").json()
    assert receipt["opening"]["sha256"] == body["sha256"]


def test_tus_protocol_errors_have_stable_codes(exchanging, alice) -> None:
    client = api_client(alice)
    no_version = client.post(f"/api/v1/cases/{exchanging.pk}/uploads", HTTP_UPLOAD_LENGTH="10")
    assert no_version.status_code == 412 and no_version.json()["code"] == "upload_invalid"
    bad_length = client.post(
        f"/api/v1/cases/{exchanging.pk}/uploads", HTTP_UPLOAD_LENGTH="-1", **TUS
    )
    assert bad_length.status_code == 400
    created = client.post(f"/api/v1/cases/{exchanging.pk}/uploads", HTTP_UPLOAD_LENGTH="4", **TUS)
    location = created["Location"]
    wrong_type = client.patch(
        location, b"abcd", content_type="application/json", HTTP_UPLOAD_OFFSET="0", **TUS
    )
    assert wrong_type.status_code == 415
    mismatch = client.patch(
        location,
        b"ab",
        content_type="application/offset+octet-stream",
        HTTP_UPLOAD_OFFSET="2",
        **TUS,
    )
    assert mismatch.status_code == 409 and mismatch.json()["offset"] == 0
    options = client.options("/api/v1/uploads")
    assert options["Tus-Version"] == "1.0.0" and "creation" in options["Tus-Extension"]
    assert client.delete(location, **TUS).status_code == 204
    assert client.head(location, **TUS).status_code == 404


def test_a_byte_count_not_in_ascii_digits_is_a_problem_not_a_crash(exchanging, alice) -> None:
    """A superscript passes str.isdigit() but not int(); int() refuses 5000 digits."""
    client = api_client(alice)
    url = f"/api/v1/cases/{exchanging.pk}/uploads"
    for raw in ("\u00b2", "\u0663", "9" * 5000, "99999999999999999999", "1_0", "+4", " "):
        refused = client.post(url, HTTP_UPLOAD_LENGTH=raw, **TUS)
        assert refused.status_code == 400, (raw, refused.content)
        assert refused["Content-Type"] == "application/problem+json"
        assert refused.json()["code"] == "upload_invalid"
        assert refused.json()["field"] == "Upload-Length"
    assert not Upload.objects.exists()
    location = client.post(url, HTTP_UPLOAD_LENGTH="4", **TUS)["Location"]
    for header, raw in (("HTTP_UPLOAD_OFFSET", "\u00b2"), ("CONTENT_LENGTH", "\u00b2")):
        headers = {"HTTP_UPLOAD_OFFSET": "0", header: raw}
        refused = client.patch(
            location, b"abcd", content_type="application/offset+octet-stream", **headers, **TUS
        )
        assert refused.status_code == 400, (header, refused.content)
        assert refused["Content-Type"] == "application/problem+json"
        assert refused.json()["code"] == "upload_invalid"
    assert client.head(location, **TUS)["Upload-Offset"] == "0"


def test_the_other_side_cannot_touch_your_upload(exchanging, alice, bob) -> None:
    created = api_client(alice).post(
        f"/api/v1/cases/{exchanging.pk}/uploads", HTTP_UPLOAD_LENGTH="4", **TUS
    )
    answer = api_client(bob).patch(
        created["Location"],
        b"abcd",
        content_type="application/offset+octet-stream",
        HTTP_UPLOAD_OFFSET="0",
        **TUS,
    )
    assert answer.status_code == 404


def test_a_closed_case_takes_no_upload(exchanging, alice) -> None:
    """A withdrawn (or final, settled...) case has no step that takes a file: no one may fill
    the court's staging area with uploads for it."""
    from netcourt.cases import actions as case_actions
    from tests.conftest import confirmed

    url = f"/api/v1/cases/{exchanging.pk}/uploads"
    open_case = api_client(alice).post(url, HTTP_UPLOAD_LENGTH="4", **TUS)
    assert open_case.status_code == 201
    exchanging.refresh_from_db()
    case_actions.fire(alice, exchanging.pk, "withdraw", exchanging.version, {}, step_up=confirmed())
    closed = api_client(alice).post(url, HTTP_UPLOAD_LENGTH="2000000000", **TUS)
    assert closed.status_code == 409 and closed.json()["code"] == "wrong_state"
    assert Upload.objects.filter(case=exchanging).count() == 1


def test_the_page_takes_a_file_and_shows_items_side_by_side(
    exchanging,
    alice,
    bob,
    staff,
    django_capture_on_commit_callbacks,
) -> None:
    page = signed_in(alice)
    with django_capture_on_commit_callbacks(execute=True):
        answer = page.post(
            f"/cases/{exchanging.pk}/evidence/submit/",
            {
                "file": SimpleUploadedFile("order.pdf", pdf(4000), "application/pdf"),
                "title": "Order confirmation",
                "purpose": "Payment",
                "source": "Shop page",
            },
        )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    item = EvidenceItem.objects.get()
    assert not list(actions.staging().root.iterdir())
    other = signed_in(bob)
    shown = other.get(f"/cases/{exchanging.pk}/evidence/").content.decode()
    assert "Order confirmation" in shown and "Give your opinion on this item" in shown
    other.post(
        f"/cases/{exchanging.pk}/evidence/{item.pk}/opinions/",
        {
            "authenticity": "disputed",
            "legality": "accepted",
            "relevance": "no_opinion",
            "comment": "Edited",
        },
    )
    assert Opinion.objects.get().authenticity == "disputed"
    judge = signed_in(exchanging.judge)
    seen = judge.get(f"/cases/{exchanging.pk}/evidence/").content.decode()
    assert "Order confirmation" in seen and "Edited" in seen
    assert "Give your opinion" not in seen
    refused = page.post(
        f"/cases/{exchanging.pk}/evidence/submit/",
        {
            "file": SimpleUploadedFile("notes.pdf", b"\x7fELF" + bytes(100), "application/pdf"),
            "title": "t",
            "purpose": "p",
            "source": "s",
        },
    )
    assert refused.status_code == 422
    assert "error-summary" in refused.content.decode()
    assert EvidenceItem.objects.count() == 1


def test_outsiders_see_nothing(exchanging, alice, mallory) -> None:
    item = submit(alice, exchanging, pdf())
    for url in (
        f"/cases/{exchanging.pk}/evidence/",
        f"/cases/{exchanging.pk}/evidence/{item.pk}/file",
        f"/cases/{exchanging.pk}/evidence/{item.pk}/receipt.json",
    ):
        assert signed_in(mallory).get(url).status_code == 404
    assert api_client(mallory).get(f"/api/v1/cases/{exchanging.pk}/evidence").status_code == 404


def test_staged_request_bodies_never_hit_the_disk_in_clear() -> None:
    from netcourt.core.spool import EncryptedSpool

    spool = EncryptedSpool(memory_limit=10)
    secret = b"line one\nSECRET-PLAINTEXT\n" + b"z" * 5000 + b"\nlast"
    for start in range(0, len(secret), 7):
        spool.write(secret[start : start + 7])
    assert spool._file is not None
    spool._file.seek(0)
    assert b"SECRET" not in spool._file.read()
    spool.seek(0)
    assert spool.readline() == b"line one\n"
    assert spool.readline() == b"SECRET-PLAINTEXT\n"
    spool.seek(3)
    assert spool.read(10) == secret[3:13]
    spool.seek(0)
    assert spool.read() == secret
    assert io.BytesIO(secret).read() == secret


def test_a_refused_page_submission_keeps_nothing(exchanging, staff) -> None:
    """A clerk (no party) sends a file from the page: refused, and nothing of it stays."""
    clerk = signed_in(staff["clerk-hangzhou"])
    answer = clerk.post(
        f"/cases/{exchanging.pk}/evidence/submit/",
        {
            "file": SimpleUploadedFile("order.pdf", pdf(4000), "application/pdf"),
            "title": "t",
            "purpose": "p",
            "source": "s",
        },
    )
    assert answer.status_code in (302, 422)
    from netcourt.evidence.models import Blob, Upload

    assert not Upload.objects.exists() and not Blob.objects.exists()
    assert not list(actions.staging().root.iterdir())


def test_examining_evidence_needs_a_recent_second_factor(exchanging, alice, bob) -> None:
    """Evidence exchange is a sensitive step (SPC Online Litigation Rules Art. 7): without a
    second factor used in the last 15 minutes nothing is recorded and the person is told how."""
    item = submit(alice, exchanging, pdf(3000))
    url = f"/api/v1/cases/{exchanging.pk}/evidence/{item.pk}/opinions"
    verdicts = {"authenticity": "accepted", "legality": "accepted", "relevance": "accepted"}
    api = api_client(bob)
    without = api.post(url, verdicts, content_type="application/json")
    assert without.status_code == 403 and without.json()["code"] == "step_up_required"
    add_totp(bob, SECRET)
    wrong = api.post(
        url, verdicts, content_type="application/json", HTTP_NETCOURT_SECOND_FACTOR="000000"
    )
    assert wrong.status_code == 403 and wrong.json()["within_minutes"] == 15
    page = f"/cases/{exchanging.pk}/evidence/{item.pk}/opinions/"
    stale = signed_in(bob)
    session = stale.session
    session["account_authentication_methods"][0]["at"] = clock.now().timestamp() - 16 * 60
    session.save()
    answer = stale.post(page, verdicts)
    assert answer.status_code == 302
    assert answer["Location"].startswith("/accounts/2fa/reauthenticate/")
    assert "next=" in answer["Location"]
    no_factor = Client()
    no_factor.force_login(alice)
    theirs = submit(bob, exchanging, pdf(2000))
    answer = no_factor.post(f"/cases/{exchanging.pk}/evidence/{theirs.pk}/opinions/", verdicts)
    assert answer.status_code == 302 and answer["Location"].startswith("/accounts/2fa/")
    assert not Opinion.objects.exists()
    code = current_totp_code(SECRET)
    done = api.post(
        url, verdicts, content_type="application/json", HTTP_NETCOURT_SECOND_FACTOR=code
    )
    assert done.status_code == 201, done.content
    event = Opinion.objects.get().event
    assert event.payload["step_up"]["method"] == "totp"
    replayed = api.post(
        url, verdicts, content_type="application/json", HTTP_NETCOURT_SECOND_FACTOR=code
    )
    assert replayed.status_code == 403 and replayed.json()["code"] == "step_up_required"


def test_an_evidence_file_is_served_in_byte_ranges_and_each_read_is_logged(
    exchanging, alice, bob, mallory, monkeypatch
) -> None:
    """A player seeks and a download resumes: one range is 206 with only its bytes, decrypted
    from the chunk that holds it; each read of the file's bytes is in the access log."""
    from netcourt.vault import blobs as vault_blobs

    data = pdf(300_000)  # five chunks of 64 KiB and a shorter last one
    item = submit(alice, exchanging, data)
    sha = item.blob.sha256
    logged = AccessLogEntry.objects.filter(
        case=exchanging, user=bob, what="evidence.file:plaintiff:1"
    )
    for client, url in [
        (api_client(bob), f"/api/v1/cases/{exchanging.pk}/evidence/{item.pk}/file"),
        (signed_in(bob), f"/cases/{exchanging.pk}/evidence/{item.pk}/file"),
    ]:
        logged.delete()
        whole = client.get(url)
        assert whole.status_code == 200 and b"".join(whole.streaming_content) == data
        assert whole["Accept-Ranges"] == "bytes" and whole["ETag"] == f'"{sha}"'
        assert whole["Content-Length"] == str(len(data)) and "Content-Range" not in whole

        def decrypted_from_the_start(*args, **kwargs):
            raise AssertionError("a range is decrypted from the chunk that holds it")

        monkeypatch.setattr(vault_blobs, "decrypt_chunks", decrypted_from_the_start)
        for header, first, last in [
            ("bytes=200000-200099", 200_000, 200_099),  # inside chunk 3
            ("bytes=65530-65545", 65_530, 65_545),  # across a chunk boundary
            ("bytes=250000-", 250_000, len(data) - 1),  # open-ended
            ("bytes=-1000", len(data) - 1000, len(data) - 1),  # the last 1000 bytes
            ("bytes=299000-999999", 299_000, len(data) - 1),  # clamped to the end
            ("bytes=0-", 0, len(data) - 1),
        ]:
            part = client.get(url, HTTP_RANGE=header)
            assert part.status_code == 206, (header, part.content)
            assert b"".join(part.streaming_content) == data[first : last + 1], header
            assert part["Content-Range"] == f"bytes {first}-{last}/{len(data)}"
            assert part["Content-Length"] == str(last - first + 1)
            assert part["Content-Type"] == "application/pdf"
            assert part["Content-Disposition"] == "attachment; filename*=UTF-8''order.pdf"
            assert part["Content-Security-Policy"] == "sandbox"
            assert part["Cache-Control"] == "private, no-store"
            assert part["X-Content-SHA256"] == sha
        resumed = client.get(url, HTTP_RANGE="bytes=100-199", HTTP_IF_RANGE=f'"{sha}"')
        assert resumed.status_code == 206
        assert b"".join(resumed.streaming_content) == data[100:200]
        monkeypatch.undo()

        beyond = client.get(url, HTTP_RANGE=f"bytes={len(data)}-")
        assert beyond.status_code == 416
        assert beyond["Content-Type"] == "application/problem+json"
        assert beyond["Content-Range"] == f"bytes */{len(data)}"
        assert beyond.json()["code"] == "range_not_satisfiable"
        for ignored in ("bytes=0-9,100-109", "pages=1-2", "bytes=9-0"):
            answer = client.get(url, HTTP_RANGE=ignored)
            assert answer.status_code == 200, ignored
            assert b"".join(answer.streaming_content) == data
        changed = client.get(url, HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE='"another"')
        assert changed.status_code == 200 and b"".join(changed.streaming_content) == data
        # Every request from the file's start was logged; a later part (a player seeking, a
        # download resuming) counts with the read logged a moment before it ...
        assert logged.count() == 1 + 1 + 1 + 1
        # ... but is logged when there is none of that person's in the last half hour.
        logged.delete()
        assert client.get(url, HTTP_RANGE="bytes=250000-").status_code == 206
        assert logged.count() == 1
    outsider = signed_in(mallory).get(
        f"/cases/{exchanging.pk}/evidence/{item.pk}/file", HTTP_RANGE="bytes=0-9"
    )
    assert outsider.status_code == 404  # a range is no way round the policy


def _complete_upload(client, case) -> str:
    return tus_upload(client, case, pdf(2_000), pieces=1)


@pytest.mark.parametrize(
    ("fields", "headers", "status", "code"),
    [
        ({"title": "a\u0000b"}, {}, 422, "input_invalid"),
        ({"purpose": "\u202eevil"}, {}, 422, "input_invalid"),
        ({"source": "   "}, {}, 422, "input_missing"),
        ({}, {"HTTP_IDEMPOTENCY_KEY": "k" * 10_000}, 400, "idempotency_key_invalid"),
        ({}, {"HTTP_IDEMPOTENCY_KEY": "  "}, 400, "idempotency_key_invalid"),
    ],
)
def test_a_bad_submission_is_refused_before_the_file_is_checked_and_stored(
    exchanging, alice, fields, headers, status, code
) -> None:
    client = api_client(alice)
    upload = _complete_upload(client, exchanging)
    body = {"upload": upload, "title": "合同", "purpose": "借款事实", "source": "平台导出"}
    refused = client.post(
        f"/api/v1/cases/{exchanging.pk}/evidence",
        {**body, **fields},
        content_type="application/json",
        **headers,
    )
    assert refused.status_code == status, refused.content
    assert refused.json()["code"] == code
    assert not Blob.objects.exists() and not EvidenceItem.objects.exists()
    assert Upload.objects.get(pk=upload).blob_id is None
    made = client.post(
        f"/api/v1/cases/{exchanging.pk}/evidence", body, content_type="application/json"
    )
    assert made.status_code == 201, made.content


def test_opening_an_upload_honours_the_idempotency_key(exchanging, alice) -> None:
    client = api_client(alice)
    url = f"/api/v1/cases/{exchanging.pk}/uploads"
    name = base64.b64encode(b"a.pdf").decode()
    headers = {"HTTP_UPLOAD_LENGTH": "10", "HTTP_UPLOAD_METADATA": f"filename {name}", **TUS}
    first = client.post(url, HTTP_IDEMPOTENCY_KEY="u-1", **headers)
    again = client.post(url, HTTP_IDEMPOTENCY_KEY="u-1", **headers)
    assert (first.status_code, again.status_code) == (201, 201), again.content
    assert again["Location"] == first["Location"]
    assert again["Upload-Expires"] == first["Upload-Expires"]
    assert again["Tus-Resumable"] == "1.0.0"
    assert Upload.objects.count() == 1
    longer = client.post(url, HTTP_IDEMPOTENCY_KEY="u-1", **{**headers, "HTTP_UPLOAD_LENGTH": "11"})
    assert longer.status_code == 422 and longer.json()["code"] == "idempotency_key_reused"
    other = client.post(url, HTTP_IDEMPOTENCY_KEY="u-2", **headers)
    assert other.status_code == 201 and other["Location"] != first["Location"]
    assert Upload.objects.count() == 2


def test_an_opinion_on_an_item_not_in_the_case_is_not_found(exchanging, alice, bob, mallory):
    """An opinion on an item that does not exist, or is in another case, answers 404 whatever
    the form holds: not "answer every question", not a message on the case's page."""
    from netcourt.cases import actions as case_actions
    from tests.conftest import complete_filing

    item = submit(alice, exchanging, pdf(2000))
    verdicts = {"authenticity": "disputed", "legality": "accepted", "relevance": "accepted"}
    other_case = case_actions.file_case(
        alice, exchanging.court, "ecommerce_purchase", complete_filing()
    )
    for who, url in (
        (bob, f"/cases/{exchanging.pk}/evidence/{uuid.uuid4()}/opinions/"),
        (alice, f"/cases/{other_case.pk}/evidence/{item.pk}/opinions/"),
        (mallory, f"/cases/{exchanging.pk}/evidence/{item.pk}/opinions/"),
    ):
        for form in ({}, verdicts):
            answer = signed_in(who).post(url, form)
            assert answer.status_code == 404, (url, form)
            assert "Answer every question" not in answer.content.decode()
    api = api_client(bob)
    for body in ({}, verdicts):
        answer = api.post(
            f"/api/v1/cases/{exchanging.pk}/evidence/{uuid.uuid4()}/opinions",
            body,
            content_type="application/json",
        )
        assert answer.status_code == 404 and answer.json()["code"] == "not_found"
    assert not Opinion.objects.exists()


def test_an_incomplete_opinion_on_a_real_item_still_asks_for_every_answer(
    exchanging, alice, bob
) -> None:
    item = submit(alice, exchanging, pdf(2000))
    answer = signed_in(bob).post(
        f"/cases/{exchanging.pk}/evidence/{item.pk}/opinions/", {}, follow=True
    )
    assert answer.redirect_chain[-1][0] == f"/cases/{exchanging.pk}/evidence/#item-{item.pk}"
    assert "Answer every question, then send your opinion again." in answer.content.decode()


def test_a_side_gives_one_opinion_on_an_item_and_answers_in_its_thread(
    exchanging, alice, bob
) -> None:
    """The page offers the form once; over the API a second opinion of the same side on the
    same item is refused (409 ``opinion_given``) and writes nothing: the judge reads one."""
    from netcourt.core.problems import Problem
    from netcourt.evidence import actions
    from tests.conftest import confirmed

    item = submit(alice, exchanging, pdf())
    verdicts = {"authenticity": "accepted", "legality": "accepted", "relevance": "accepted"}
    first = actions.examine(bob, exchanging.pk, item.pk, step_up=confirmed(), **verdicts)
    events = exchanging.events.count()
    with pytest.raises(Problem) as again:
        actions.examine(
            bob,
            exchanging.pk,
            item.pk,
            step_up=confirmed(),
            **{**verdicts, "relevance": "disputed"},
        )
    assert (again.value.code, again.value.status) == ("opinion_given", 409)
    assert list(Opinion.objects.filter(item=item)) == [first]
    assert exchanging.events.count() == events
    reply = actions.examine(
        alice, exchanging.pk, item.pk, reply_to=first.pk, comment="Agreed.", step_up=confirmed()
    )
    assert reply.reply_to_id == first.pk


def test_every_read_of_an_item_or_a_receipt_is_in_the_access_log(exchanging, alice, bob) -> None:
    """The item over the API, its receipt (API and page) and a step's receipt over the API:
    each read is written in the case's access log, as the parties see it."""
    item = submit(alice, exchanging, pdf())
    seq = exchanging.events.order_by("seq").last().seq
    api, page = api_client(bob), signed_in(bob)
    base = f"/api/v1/cases/{exchanging.pk}"
    reads = {
        f"{base}/evidence/{item.pk}": "evidence.item:plaintiff:1",
        f"{base}/evidence/{item.pk}/receipt": "evidence.receipt:plaintiff:1",
        f"/cases/{exchanging.pk}/evidence/{item.pk}/receipt.json": "evidence.receipt:plaintiff:1",
        f"{base}/events/{seq}/receipt": f"event.receipt:{seq}",
    }
    for url, what in reads.items():
        before = AccessLogEntry.objects.filter(case=exchanging, user=bob, what=what).count()
        answer = (page if url.startswith("/cases/") else api).get(url)
        assert answer.status_code == 200, (url, answer.content)
        after = AccessLogEntry.objects.filter(case=exchanging, user=bob, what=what)
        assert after.count() == before + 1, url
        assert after.first().roles == ["defendant"]
