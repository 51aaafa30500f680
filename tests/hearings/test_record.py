"""The record of a hearing (笔录): written live by the clerk with revision checks, signed by
each party with a second factor, closed as an encrypted bilingual PDF whose hash is logged."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from netcourt.cases import actions
from netcourt.cases.models import AccessLogEntry, Case
from netcourt.core.problems import Problem
from netcourt.evidence.store import plaintext
from netcourt.hearings import record, scheduling
from netcourt.hearings.models import Hearing, HearingRecord, HearingStatus, RecordSignature
from netcourt.transparency.models import LogEntry
from tests.conftest import complete_filing, confirmed, make_user, signed_in, verified
from tests.evidence.test_pdf import squeezed, text_of

TEXT = "审判员：现在开庭。\n原告：我于8月3日付款，手机没有发货。\n"


def scheduled_hearing(case: Case, clerk: Any) -> Hearing:
    """``case`` (answer period) taken to its scheduled hearing, a week ahead."""
    actions.fire(clerk, case.id, "close_answer_period", case.version)
    case.refresh_from_db()
    scheduling.schedule(
        case.judge, case.id, case.version, starts_at=datetime(2026, 11, 9, 2, 0, tzinfo=UTC)
    )
    return case.hearings.get()


def hold(case: Case, hearing: Hearing, frozen: Any) -> None:
    """The hearing took place (ended in its room), and the judge records that it was held."""
    frozen.advance(timedelta(days=7))
    hearing.status = HearingStatus.ENDED
    hearing.opened_at = frozen.now()
    hearing.ended_at = frozen.now() + timedelta(minutes=40)
    hearing.save()
    case.refresh_from_db()
    actions.fire(case.judge, case.id, "hold_hearing", case.version)
    case.refresh_from_db()


@pytest.fixture
def clerk(staff: dict[str, Any]) -> Any:
    return staff["clerk-hangzhou"]


@pytest.fixture
def hearing(exchanging: Case, clerk: Any) -> Hearing:
    return scheduled_hearing(exchanging, clerk)


@pytest.fixture
def heard(exchanging: Case, hearing: Hearing, clerk: Any, frozen: Any) -> Hearing:
    """A hearing held and ended, with the clerk's record written."""
    record.update_text(hearing, clerk, TEXT, 0)
    hold(exchanging, hearing, frozen)
    hearing.refresh_from_db()
    return hearing


def party(case: Case, role: str) -> int:
    return case.parties.get(role=role).pk


def refused(call: Any) -> Problem:
    with pytest.raises(Problem) as caught:
        call()
    return caught.value


def test_the_clerk_writes_the_record_revision_by_revision(hearing, clerk) -> None:
    first = record.update_text(hearing, clerk, "审判员：现在开庭。", 0)
    assert (first.revision, first.updated_by) == (1, clerk)
    judge = hearing.case.judge
    second = record.update_text(hearing, judge, TEXT.replace("\n", "\r\n"), 1)
    assert second.revision == 2 and second.text == TEXT  # one kind of line ending
    stale = refused(lambda: record.update_text(hearing, clerk, "something else", 1))
    assert (stale.code, stale.status, stale.extra) == ("record_stale", 409, {"current_revision": 2})
    assert HearingRecord.objects.get(hearing=hearing).text == TEXT  # nothing was written
    assert record.update_text(hearing, clerk, TEXT, 2).revision == 2  # the same text again
    for bad in ("a\x00b", "x" * (record.MAX_TEXT + 1)):
        problem = refused(lambda bad=bad: record.update_text(hearing, clerk, bad, 2))
        assert (problem.code, problem.field) == ("input_invalid", "text")
    assert HearingRecord.objects.get(hearing=hearing).revision == 2


def test_the_record_stands_once_the_case_has_gone_past_it(exchanging, heard, clerk) -> None:
    """Withdrawn after the hearing (or final, or on appeal): the record can no longer be
    signed or closed, so it can no longer be rewritten either."""
    exchanging.refresh_from_db()
    actions.fire(
        exchanging.created_by,
        exchanging.id,
        "withdraw",
        exchanging.version,
        {},
        step_up=confirmed(),
    )
    heard.refresh_from_db()
    problem = refused(lambda: record.update_text(heard, clerk, "改写的笔录", 1))
    assert (problem.code, problem.status) == ("record_closed", 409)
    assert HearingRecord.objects.get(hearing=heard).text == TEXT


def test_only_the_clerk_or_the_judge_writes_the_record(
    hearing, alice, bob, mallory, staff, hangzhou
) -> None:
    for party_side in (alice, bob):
        problem = refused(lambda user=party_side: record.update_text(hearing, user, "x", 0))
        assert (problem.code, problem.status) == ("role_not_allowed", 403)
    other_court_clerk = staff["clerk-beijing"]
    outsider = verified(make_user("carol"))
    other = actions.file_case(outsider, hangzhou, "ecommerce_purchase", complete_filing())
    actions.fire(outsider, other.id, "submit", other.version)
    for stranger in (mallory, other_court_clerk, outsider):
        problem = refused(lambda user=stranger: record.update_text(hearing, user, "x", 0))
        assert problem.status == 404
    assert not HearingRecord.objects.filter(hearing=hearing).exists()


def test_a_party_signs_after_the_hearing_with_a_second_factor(
    exchanging, hearing, clerk, alice, frozen
) -> None:
    plaintiff = party(exchanging, "plaintiff")
    record.update_text(hearing, clerk, TEXT, 0)
    early = refused(lambda: record.sign(alice, hearing, plaintiff, "confirm", "", 1, confirmed()))
    assert (early.code, early.status) == ("record_not_ready", 409)
    hold(exchanging, hearing, frozen)
    hearing.refresh_from_db()
    for step_up in (None, confirmed().__class__("totp", frozen.now() - timedelta(minutes=30))):
        problem = refused(
            lambda step_up=step_up: record.sign(
                alice, hearing, plaintiff, "confirm", "", 1, step_up
            )
        )
        assert (problem.code, problem.status) == ("step_up_required", 403)
    assert not RecordSignature.objects.exists()
    signature = record.sign(alice, hearing, plaintiff, "confirm", "ignored", 1, confirmed())
    assert (signature.revision, signature.decision, signature.objection) == (1, "confirm", "")
    assert signature.sha256 == hashlib.sha256(TEXT.encode()).hexdigest()
    event = signature.event
    assert (event.event, event.actor, event.on_behalf_of_id) == (
        "sign_hearing_record",
        alice,
        plaintiff,
    )
    assert event.payload["record"] == {
        "hearing": str(hearing.pk),
        "revision": 1,
        "sha256": signature.sha256,
        "decision": "confirm",
        "party": plaintiff,
    }
    assert event.payload["step_up"]["method"] == "totp"
    assert LogEntry.objects.filter(ref=actions.event_leaf_ref(event)).exists()
    again = refused(lambda: record.sign(alice, hearing, plaintiff, "confirm", "", 1, confirmed()))
    assert (again.code, again.status) == ("limit_reached", 409)
    assert RecordSignature.objects.count() == 1


def test_an_objection_is_kept_with_the_signature_and_out_of_the_payload(
    exchanging, heard, bob
) -> None:
    defendant = party(exchanging, "defendant")
    missing = refused(lambda: record.sign(bob, heard, defendant, "object", "  ", 1, confirmed()))
    assert (missing.code, missing.field) == ("input_missing", "objection")
    objection = "笔录漏记了被告关于发货日期的陈述。"
    signature = record.sign(bob, heard, defendant, "object", objection, 1, confirmed())
    assert (signature.decision, signature.objection) == ("object", objection)
    payload = signature.event.payload
    assert objection not in str(payload) and "漏记" not in str(payload)
    assert payload["record"]["objection_sha256"] == hashlib.sha256(objection.encode()).hexdigest()


def test_a_party_signs_only_for_its_own_side(exchanging, heard, alice, mallory) -> None:
    defendant = party(exchanging, "defendant")
    problem = refused(lambda: record.sign(alice, heard, defendant, "confirm", "", 1, confirmed()))
    assert (problem.code, problem.status) == ("role_not_allowed", 403)
    stranger = refused(
        lambda: record.sign(mallory, heard, defendant, "confirm", "", 1, confirmed())
    )
    assert stranger.status == 404


def test_a_correction_keeps_the_signatures_given_and_asks_for_new_ones(
    exchanging, heard, clerk, alice
) -> None:
    plaintiff = party(exchanging, "plaintiff")
    first = record.sign(alice, heard, plaintiff, "object", "漏记了发货日期。", 1, confirmed())
    corrected = TEXT + "被告：货物于8月10日发出。\n"
    record.update_text(heard, clerk, corrected, 1)
    stale = refused(lambda: record.sign(alice, heard, plaintiff, "confirm", "", 1, confirmed()))
    assert (stale.code, stale.extra) == ("record_stale", {"current_revision": 2})
    row = HearingRecord.objects.get(hearing=heard)
    assert [p.pk for p in record.signable_parties(alice, heard, row)] == [plaintiff]
    second = record.sign(alice, heard, plaintiff, "confirm", "", 2, confirmed())
    first.refresh_from_db()
    assert (first.revision, first.decision) == (1, "object")
    assert second.sha256 == hashlib.sha256(corrected.encode()).hexdigest() != first.sha256
    assert record.signable_parties(alice, heard, row) == []


def test_closing_files_the_record_as_a_pdf_whose_hash_is_logged(
    exchanging, heard, clerk, alice, bob
) -> None:
    plaintiff = party(exchanging, "plaintiff")
    record.sign(alice, heard, plaintiff, "confirm", "", 1, confirmed())
    for not_clerk in (exchanging.judge, alice):
        problem = refused(lambda user=not_clerk: record.close(user, heard))
        assert (problem.code, problem.status) == ("role_not_allowed", 403)
    event = record.close(clerk, heard)
    row = HearingRecord.objects.select_related("blob").get(hearing=heard)
    assert row.closed_at == event.at and row.event == event and row.blob is not None
    pdf = b"".join(plaintext(row.blob))
    assert pdf.startswith(b"%PDF")
    assert hashlib.sha256(pdf).hexdigest() == row.blob.sha256 == event.payload["record"]["sha256"]
    assert event.payload["record"]["signatures"] == [
        {"party_role": "plaintiff", "decision": "confirm", "revision": 1}
    ]
    assert LogEntry.objects.filter(ref=actions.event_leaf_ref(event)).exists()
    exchanging.refresh_from_db()
    assert actions.verify_chain(exchanging)
    text = squeezed(text_of(pdf))
    for expected in ("杭州互联网法院", "Hearingrecord", "现在开庭", "张伟", "Yungou", "Didnotsign"):
        assert expected in text, expected
    assert hashlib.sha256(TEXT.encode()).hexdigest() in text
    defendant = party(exchanging, "defendant")
    for late in (
        lambda: record.update_text(heard, clerk, TEXT + "补充。", 1),
        lambda: record.sign(bob, heard, defendant, "confirm", "", 1, confirmed()),
        lambda: record.close(clerk, heard),
    ):
        assert refused(late).code == "record_closed"
    assert HearingRecord.objects.get(hearing=heard).text == TEXT


def test_a_record_is_closed_only_once_the_hearing_ended(hearing, clerk) -> None:
    record.update_text(hearing, clerk, TEXT, 0)
    assert refused(lambda: record.close(clerk, hearing)).code == "record_not_ready"
    assert not HearingRecord.objects.filter(closed_at__isnull=False).exists()


# --- the page ------------------------------------------------------------------------------


def test_the_page_shows_the_record_and_the_forms_each_person_may_use(
    exchanging, heard, clerk, alice, mallory
) -> None:
    url = f"/hearings/{heard.pk}/record/"
    page = signed_in(alice).get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert "现在开庭" in body and 'name="decision"' in body and "record/text" not in body
    clerk_page = signed_in(clerk).get(url).content.decode()
    assert "record/text" in clerk_page and "record/close" in clerk_page
    assert AccessLogEntry.objects.filter(case=exchanging, what="hearing.record").count() == 2
    assert signed_in(mallory).get(url).status_code == 404
    assert signed_in(mallory).get(f"/hearings/{heard.pk}/record/pdf").status_code == 404


def test_the_page_saves_the_text_and_keeps_a_stale_writer_s_words(heard, clerk) -> None:
    url = f"/hearings/{heard.pk}/record/text"
    client = signed_in(clerk)
    answer = client.post(url, {"text": TEXT + "补充一。", "revision": "1"})
    assert answer.status_code == 302
    stale = client.post(url, {"text": "我的版本", "revision": "1"})
    assert stale.status_code == 422
    body = stale.content.decode()
    assert "我的版本" in body and 'name="revision" value="2"' in body
    assert HearingRecord.objects.get(hearing=heard).text == TEXT + "补充一。"


def test_signing_from_the_page_asks_for_the_second_factor_and_keeps_the_draft(
    exchanging, heard, bob
) -> None:
    from django.test import Client

    client = Client()
    client.force_login(bob)  # no second factor used in this session
    form = {"party": party(exchanging, "defendant"), "decision": "object", "revision": "1"}
    form["objection"] = "漏记了发货日期。"
    answer = client.post(f"/hearings/{heard.pk}/record/sign", form)
    assert answer.status_code == 302 and "/accounts/" in answer["Location"]
    assert not RecordSignature.objects.exists()
    page = client.get(f"/hearings/{heard.pk}/record/").content.decode()
    assert "漏记了发货日期。" in page
    signed = signed_in(bob).post(f"/hearings/{heard.pk}/record/sign", form)
    assert signed.status_code == 302
    assert RecordSignature.objects.get().objection == "漏记了发货日期。"


def test_the_closed_record_downloads_and_the_download_is_logged(
    exchanging, heard, clerk, alice
) -> None:
    assert signed_in(clerk).post(f"/hearings/{heard.pk}/record/close").status_code == 302
    answer = signed_in(alice).get(f"/hearings/{heard.pk}/record/pdf")
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    pdf = b"".join(answer.streaming_content)
    assert hashlib.sha256(pdf).hexdigest() == answer["X-Content-SHA256"]
    assert AccessLogEntry.objects.filter(
        case=exchanging, user=alice, what=f"record.pdf:{heard.pk}"
    ).exists()
    part = signed_in(alice).get(f"/hearings/{heard.pk}/record/pdf", HTTP_RANGE="bytes=-100")
    assert part.status_code == 206 and b"".join(part.streaming_content) == pdf[-100:]
    assert part["Content-Range"] == f"bytes {len(pdf) - 100}-{len(pdf) - 1}/{len(pdf)}"
    assert part["Content-Disposition"].startswith("attachment;")
    assert (
        AccessLogEntry.objects.filter(
            case=exchanging, user=alice, what=f"record.pdf:{heard.pk}"
        ).count()
        == 2
    )


@pytest.mark.parametrize("typed", ["\u0663", "1_0", "\u00b2"])
def test_the_records_revision_is_ascii_digits(typed) -> None:
    from netcourt.hearings.record_forms import RecordTextForm

    assert RecordTextForm(data={"text": "x", "revision": "3"}).is_valid()
    form = RecordTextForm(data={"text": "x", "revision": typed})
    assert not form.is_valid() and "revision" in form.errors
