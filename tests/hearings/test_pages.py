"""The hearing pages around the room: calling a witness, the hearing's own page, playing a
recording (logged), and the court's statistics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.urls import reverse

from netcourt.cases import actions as case_actions
from netcourt.cases.models import AccessLogEntry, Case
from netcourt.core import clock
from netcourt.evidence.store import case_keys
from netcourt.hearings import actions, recordings, stats
from netcourt.hearings.models import Hearing, HearingStatus, Mode, Participant, Role
from netcourt.service.models import Notification
from tests.conftest import make_user, signed_in


def in_five_days(exchanging: Case, clerk: Any, *, public: bool) -> Hearing:
    """The Hangzhou case's hearing, scheduled for five days from now: open to the public or
    not; online unless no party agreed to take part online."""
    exchanging.refresh_from_db()
    case_actions.fire(clerk, exchanging.id, "close_answer_period", exchanging.version)
    exchanging.refresh_from_db()
    starts_at = clock.now() + timedelta(days=5)
    case_actions.fire(
        exchanging.judge,
        exchanging.id,
        "schedule_hearing",
        exchanging.version,
        {"hearing_at": starts_at.date()},
        extra={"hearing": {"starts_at": starts_at.isoformat(), "minutes": 30, "public": public}},
    )
    return Hearing.objects.get(case=exchanging)


@pytest.fixture
def hearing(exchanging: Case, staff: dict[str, Any], frozen: Any) -> Hearing:
    """A public hearing of the Hangzhou case in five days, in the courtroom (no party agreed
    to take part online)."""
    return in_five_days(exchanging, staff["clerk-hangzhou"], public=True)


def test_a_hearing_in_the_courtroom_offers_no_online_room(hearing: Hearing, alice: Any) -> None:
    """No party agreed to take part online: the judge is not offered a room, nor told that
    they did not agree; the parties are told where the hearing is."""
    Hearing.objects.filter(pk=hearing.pk).update(mode=Mode.OFFLINE)
    url = reverse("hearings:hearing", args=[hearing.pk])
    for person in (hearing.case.judge, alice):
        page = signed_in(person).get(url).content.decode()
        assert "Enter the hearing" not in page and "进入庭审" not in page
        assert "held in the courtroom" in page or "在法庭进行" in page
        assert "not agreed" not in page and "未同意" not in page
    refused = signed_in(hearing.case.judge).post(reverse("hearings:enter", args=[hearing.pk]))
    assert refused.status_code == 409
    assert "there is no online room" in refused.content.decode()


def test_the_judge_calls_a_witness_who_sees_the_hearing_and_nothing_else_of_the_case(
    hearing: Hearing, alice: Any, django_capture_on_commit_callbacks: Any
) -> None:
    witness = make_user("witness")
    judge = signed_in(hearing.case.judge)
    url = reverse("hearings:invite", args=[hearing.pk])
    with django_capture_on_commit_callbacks(execute=True):
        answer = judge.post(url, {"email": "WITNESS@example.test", "role": "witness"})
    assert answer.status_code == 302
    called = Participant.objects.get(hearing=hearing, user=witness)
    assert (called.role, called.presence) == (Role.WITNESS, "invited")
    told = Notification.objects.get(user=witness)
    assert reverse("hearings:hearing", args=[hearing.pk]) in told.body
    page = signed_in(witness).get(reverse("hearings:hearing", args=[hearing.pk]))
    # Held in the courtroom (no party agreed to take part online): the witness is told so.
    assert page.status_code == 200 and "held in the courtroom" in page.content.decode()
    assert (
        signed_in(witness).get(reverse("hearings:case", args=[hearing.case_id])).status_code == 404
    )
    assert actions.place_for(witness, hearing) == (Role.WITNESS, None)

    nobody = judge.post(url, {"email": "nobody@mail.example", "role": "witness"})
    assert nobody.status_code == 422
    as_party = signed_in(alice).post(url, {"email": "witness@example.test", "role": "witness"})
    assert as_party.status_code == 403
    bad_role = judge.post(url, {"email": "witness@example.test", "role": "judge"})
    assert bad_role.status_code == 422


def test_a_private_hearing_is_no_one_elses_business(hearing: Hearing, mallory: Any) -> None:
    page = reverse("hearings:hearing", args=[hearing.pk])
    assert signed_in(mallory).get(page).status_code == 200  # public: mallory may watch
    assert actions.place_for(mallory, hearing) == (Role.VIEWER, None)
    Hearing.objects.filter(pk=hearing.pk).update(public=False)
    assert signed_in(mallory).get(page).status_code == 404
    enter = reverse("hearings:enter", args=[hearing.pk])
    assert signed_in(mallory).post(enter).status_code == 404


def test_a_long_quiet_recording_on_s3_outlives_the_minutely_sweep(
    hearing: Hearing, settings: Any, s3: Any, moto_endpoint: str, monkeypatch: Any
) -> None:
    """An audio-only participant who says little fills an 8 MiB part of the recording's
    multipart upload slowly: two hours with no part sent, and the sweep must not abort the
    upload, or the recording would be lost when the hearing ends."""
    from netcourt.evidence import actions as evidence_actions
    from netcourt.evidence.store import _store_for, plaintext
    from tests.conftest import new_bucket

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    bucket = new_bucket(s3)
    settings.NETCOURT_BLOB_STORE = f"s3://{bucket}"
    settings.NETCOURT_S3_ENDPOINT_URL = moto_endpoint
    _store_for.cache_clear()
    try:
        participant = actions.participant_for(hearing.case.judge, hearing)
        assert participant is not None
        sink = recordings.VaultSink(hearing.case, case_keys(hearing.case))
        first_part = b"\x1a\x45\xdf\xa3" + bytes(9 * 1024 * 1024)  # past one part: multipart
        sink.write(first_part)
        assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads")
        # The store keeps real time: the sweep runs two hours after the part was sent.
        later = clock.FixedClock(datetime.now(UTC) + timedelta(hours=2))
        with clock.use(later):
            evidence_actions.sweep_uploads()
        sink.write(b"the last words")
        row = recordings.store(
            participant, sink, ended_at=clock.now(), video_frames=0, audio_frames=9
        )
        assert row.blob is not None
        assert b"".join(plaintext(row.blob)) == first_part + b"the last words"
    finally:
        _store_for.cache_clear()


def test_the_minutely_sweep_leaves_a_recordings_file_alone(hearing: Hearing) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from netcourt.evidence import actions as evidence_actions
    from netcourt.evidence.store import plaintext

    participant = actions.participant_for(hearing.case.judge, hearing)
    assert participant is not None
    sink = recordings.VaultSink(hearing.case, case_keys(hearing.case))
    sink.write(b"\x1a\x45\xdf\xa3 a recording")
    row = recordings.store(participant, sink, ended_at=clock.now(), video_frames=3, audio_frames=5)
    assert row.blob is not None
    with CaptureQueriesContext(connection) as queries:
        evidence_actions.sweep_uploads()
    # Not even looked at, let alone locked or deleted: a court records every hearing, and
    # the sweep runs every minute.
    named = [
        q["sql"] for q in queries if row.blob.pk.hex in q["sql"] or str(row.blob.pk) in q["sql"]
    ]
    assert named == []
    assert b"".join(plaintext(row.blob)).endswith(b"a recording")


def test_a_recording_plays_for_the_parties_and_each_playback_is_logged(
    hearing: Hearing, alice: Any, mallory: Any
) -> None:
    judge = hearing.case.judge
    participant = actions.participant_for(judge, hearing)
    assert participant is not None
    sink = recordings.VaultSink(hearing.case, case_keys(hearing.case))
    sink.write(b"\x1a\x45\xdf\xa3 a recording")
    row = recordings.store(participant, sink, ended_at=clock.now(), video_frames=3, audio_frames=5)
    assert row.blob is not None and row.event is not None
    assert row.event.event == "store_recording"
    url = reverse("hearings:recording", args=[hearing.pk, row.pk])
    answer = signed_in(alice).get(url)
    assert answer.status_code == 200 and answer["Content-Type"] == "video/webm"
    assert b"".join(answer.streaming_content) == b"\x1a\x45\xdf\xa3 a recording"  # type: ignore[attr-defined]
    assert AccessLogEntry.objects.filter(
        case=hearing.case, user=alice, what=f"recording:{row.pk}"
    ).exists()
    assert signed_in(mallory).get(url).status_code == 404  # a public viewer plays nothing


def test_a_player_seeks_in_a_recording_by_byte_ranges_logged_with_its_playing(
    hearing: Hearing, alice: Any, bob: Any, monkeypatch: Any
) -> None:
    """A <video> element asks for ``bytes=0-``, then for where the viewer seeks: 206 with
    those bytes, shown in the browser as before; each request from the start is in the access
    log, the seeking counts with the playing it continues."""
    from netcourt.vault import blobs as vault_blobs

    participant = actions.participant_for(hearing.case.judge, hearing)
    assert participant is not None
    webm = b"\x1a\x45\xdf\xa3" + bytes(range(256)) * 1000  # four chunks of 64 KiB, and a bit
    sink = recordings.VaultSink(hearing.case, case_keys(hearing.case))
    for at in range(0, len(webm), 10_000):  # written as it comes, in pieces
        sink.write(webm[at : at + 10_000])
    row = recordings.store(participant, sink, ended_at=clock.now(), video_frames=3, audio_frames=5)
    assert row.blob is not None
    url = reverse("hearings:recording", args=[hearing.pk, row.pk])
    player = signed_in(bob)
    size = len(webm)

    whole = player.get(url)
    assert whole.status_code == 200 and whole["Accept-Ranges"] == "bytes"
    assert b"".join(whole.streaming_content) == webm  # type: ignore[attr-defined]

    def decrypted_from_the_start(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a range is decrypted from the chunk that holds it")

    monkeypatch.setattr(vault_blobs, "decrypt_chunks", decrypted_from_the_start)
    for header, first, last in [
        ("bytes=0-", 0, size - 1),
        ("bytes=200000-", 200_000, size - 1),
        ("bytes=131072-131171", 131_072, 131_171),
        ("bytes=-4", size - 4, size - 1),
    ]:
        part = player.get(url, HTTP_RANGE=header)
        assert part.status_code == 206, header
        assert b"".join(part.streaming_content) == webm[first : last + 1]  # type: ignore[attr-defined]
        assert part["Content-Range"] == f"bytes {first}-{last}/{size}"
        assert part["Content-Length"] == str(last - first + 1)
        assert part["Content-Type"] == "video/webm"
        assert "Content-Disposition" not in part  # played in the page, as before
        assert part["Cache-Control"] == "private, no-store"
        assert part["X-Content-SHA256"] == row.blob.sha256
        assert part["ETag"] == f'"{row.blob.sha256}"'
    monkeypatch.undo()

    beyond = player.get(url, HTTP_RANGE=f"bytes={size}-")
    assert beyond.status_code == 416 and beyond["Content-Range"] == f"bytes */{size}"
    assert beyond.json()["code"] == "range_not_satisfiable"
    several = player.get(url, HTTP_RANGE="bytes=0-1,10-11")
    assert several.status_code == 200
    assert b"".join(several.streaming_content) == webm  # type: ignore[attr-defined]
    logged = AccessLogEntry.objects.filter(case=hearing.case, user=bob, what=f"recording:{row.pk}")
    assert logged.count() == 3  # the whole, bytes=0- and the several ranges (served whole)
    assert AccessLogEntry.objects.filter(user=alice).count() == 0


def test_an_empty_recording_is_stored_as_failed_and_logs_nothing(hearing: Hearing) -> None:
    participant = actions.participant_for(hearing.case.judge, hearing)
    assert participant is not None
    sink = recordings.VaultSink(hearing.case, case_keys(hearing.case))
    row = recordings.store(participant, sink, ended_at=clock.now(), video_frames=0, audio_frames=0)
    assert (row.status, row.blob, row.event) == ("failed", None, None)
    assert row.error == "nothing was recorded"


def test_the_statistics_count_what_the_court_held(
    hearing: Hearing, staff: dict[str, Any], alice: Any, frozen: Any
) -> None:
    opened = hearing.starts_at
    Hearing.objects.filter(pk=hearing.pk).update(
        status=HearingStatus.ENDED, opened_at=opened, ended_at=opened + timedelta(minutes=24)
    )
    party = hearing.case.parties.get(role="plaintiff")
    Participant.objects.create(
        hearing=hearing,
        user=alice,
        party=party,
        role=Role.PARTY,
        name="alice",
        presence="left",
        first_joined_at=opened,
    )
    figures = stats.for_court(
        hearing.case.court_id, clock.now() - timedelta(days=1), clock.now() + timedelta(days=30)
    )
    assert (figures.held, figures.scheduled) == (1, 0)
    assert figures.median_minutes == figures.longest_minutes == 24.0
    assert figures.modes == {hearing.mode: 1} and (figures.attended, figures.expected) == (1, 1)
    clerk = signed_in(staff["clerk-hangzhou"])
    frozen.advance(timedelta(days=6))
    page = clerk.get(reverse("hearings:statistics"))
    assert page.status_code == 200 and "24.0" in page.content.decode()
    assert signed_in(alice).get(reverse("hearings:statistics")).status_code == 404


def test_the_statistics_name_each_court_in_the_clerks_language(staff: dict[str, Any]) -> None:
    clerk = staff["clerk-hangzhou"]
    court = clerk.court_memberships.get().court
    heading = f'<h2 id="court-{court.pk}-h">'
    html = signed_in(clerk).get(reverse("hearings:statistics")).content.decode()
    assert f"{heading}Hangzhou Internet Court</h2>" in html
    clerk.preferred_language = "zh-hans"
    clerk.save()
    html = signed_in(clerk).get(reverse("hearings:statistics")).content.decode()
    assert f"{heading}杭州互联网法院</h2>" in html


def test_the_hearings_time_reads_with_each_languages_punctuation(
    hearing: Hearing, alice: Any, bob: Any
) -> None:
    url = reverse("hearings:case", args=[hearing.case.pk])
    chinese = signed_in(alice).get(url).content.decode()
    assert "（中国时间），30 分钟" in chinese
    english = signed_in(bob).get(url).content.decode()
    assert "(China Time), 30 minutes" in english


def test_the_clerk_gives_a_scheduled_hearing_another_judge_when_its_judge_leaves(
    hearing: Hearing, staff: dict[str, Any]
) -> None:
    """The judge's membership ends after the hearing was scheduled: the clerk assigns another
    judge, the parties are told, and the new judge takes the bench of the same hearing."""
    from netcourt.courts.models import CourtMembership, CourtRole

    case = hearing.case
    leaving = case.judge
    CourtMembership.objects.filter(user=leaving, role=CourtRole.JUDGE).update(active=False)
    successor = next(
        m.user
        for m in CourtMembership.objects.filter(
            court=case.court, role=CourtRole.JUDGE, active=True
        ).exclude(user=leaving)
    )
    case.refresh_from_db()
    assert case.state == "hearing_scheduled"
    case_actions.fire(
        staff["clerk-hangzhou"],
        case.id,
        "assign_judge",
        case.version,
        {"judge": str(successor.pk)},
    )
    case.refresh_from_db()
    assert case.judge == successor
    assert [e.event for e in case.events.order_by("-seq")[:2]] == [
        "give_judge_notice",
        "assign_judge",
    ]
    assert actions.place_for(successor, hearing) == (Role.JUDGE, None)
    assert actions.place_for(leaving, hearing) == (Role.VIEWER, None)  # a public hearing


def test_anyone_finds_the_public_hearings_and_a_signed_in_person_watches_one(
    hearing: Hearing, exchanging: Case
) -> None:
    """The court's list of public hearings names no party; a hearing held online links to its
    page, where a signed-in member of the public watches; a hearing not public is not listed."""
    from django.test import Client

    Hearing.objects.filter(pk=hearing.pk).update(mode=Mode.ONLINE)
    listed = Client().get(reverse("hearings:public")).content.decode()
    kind = hearing.case.court.pack.categories[hearing.case.category].label
    assert hearing.case.number in listed and kind.en in listed and kind.zh not in listed
    for name in [p.name for p in hearing.case.parties.all()]:
        assert name not in listed
    page = reverse("hearings:hearing", args=[hearing.pk])
    assert f'href="{page}"' in listed
    assert Client().get(page).status_code == 302  # to sign in
    stranger = signed_in(make_user("member-of-the-public"))
    watched = stranger.get(page)
    assert watched.status_code == 200 and "You watch as a member of the public" in (
        watched.content.decode()
    )
    Hearing.objects.filter(pk=hearing.pk).update(public=False)
    assert hearing.case.number not in Client().get(reverse("hearings:public")).content.decode()
    assert 'href="/hearings/public/"' in Client().get("/").content.decode()
