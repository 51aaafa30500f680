"""The courtroom's socket, as the browsers use it, with aiortc peers for their media.

Each test drives `netcourt.hearings.room.serve` through the ASGI WebSocket messages a
browser's socket produces, with the browser's signed-in session cookie, against a real
database (the room reads and writes it from the event loop's worker thread).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from typing import Any, TypeVar

import pytest
from aiortc import RTCSessionDescription
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connections

from netcourt.cases import actions as case_actions
from netcourt.cases.models import Case
from netcourt.core import clock
from netcourt.core.problems import Problem
from netcourt.evidence.store import blob_store, plaintext
from netcourt.hearings import actions, recordings, room
from netcourt.hearings.models import (
    Hearing,
    HearingRecord,
    HearingStatus,
    LogKind,
    Presence,
    Recording,
    RecordingStatus,
)
from netcourt.service import actions as service_actions
from tests.conftest import confirmed, signed_in
from tests.hearings.media_peers import (
    BLUE,
    RED,
    ColourTrack,
    ToneTrack,
    decode_webm,
    looks_like,
    new_pc,
    offer_of,
    wait_for,
)

pytestmark = pytest.mark.django_db(transaction=True)

HOST = "testserver"
T = TypeVar("T")


class Socket:
    """A browser's WebSocket to the room: what it sends, what it receives."""

    def __init__(self, hearing: Hearing, cookie: str, *, origin: str = f"http://{HOST}") -> None:
        self.to_server: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.from_server: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        scope = {
            "type": "websocket",
            "path": f"/hearings/{hearing.pk}/room",
            "headers": [
                (b"host", HOST.encode()),
                (b"origin", origin.encode()),
                (b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()),
            ],
        }
        self.to_server.put_nowait({"type": "websocket.connect"})
        self.task = asyncio.create_task(room.serve(scope, self.to_server.get, self._sent))
        self.seen: list[dict[str, Any]] = []

    async def _sent(self, message: dict[str, Any]) -> None:
        await self.from_server.put(message)
        if message["type"] == "websocket.close":  # as the ASGI server then tells the app
            await self.to_server.put({"type": "websocket.disconnect", "code": message["code"]})

    async def say(self, payload: dict[str, Any]) -> None:
        await self.to_server.put({"type": "websocket.receive", "text": json.dumps(payload)})

    async def expect(self, kind: str, timeout: float = 15) -> dict[str, Any]:
        """The next message of ``kind`` (``closed`` for the socket's close)."""
        while True:
            message = await asyncio.wait_for(self.from_server.get(), timeout)
            if message["type"] == "websocket.close":
                received = {"type": "closed", "code": message.get("code")}
            elif message["type"] == "websocket.send":
                received = json.loads(message["text"])
            else:
                continue
            self.seen.append(received)
            if received["type"] == kind:
                return received
            if received["type"] == "closed":
                raise AssertionError(f"closed while waiting for {kind}: {self.seen}")

    async def roster_with(self, role: str, admitted: bool) -> dict[str, Any]:
        """The first person of ``role`` in the next roster that has one so admitted."""
        while True:
            people = (await self.expect("roster"))["people"]
            for person in people:
                if person["role"] == role and person["admitted"] == admitted:
                    return dict(person)

    async def leave(self) -> None:
        await self.to_server.put({"type": "websocket.disconnect", "code": 1000})
        await asyncio.wait_for(self.task, 15)


@pytest.fixture
def hearing(exchanging: Case, staff: dict[str, Any], alice: Any, bob: Any, frozen: Any) -> Hearing:
    """An online hearing of the Hangzhou case, starting in ten minutes."""
    clerk = staff["clerk-hangzhou"]
    exchanging.refresh_from_db()
    case_actions.fire(clerk, exchanging.id, "close_answer_period", exchanging.version)
    for user, role in ((alice, "plaintiff"), (bob, "defendant")):
        party = exchanging.parties.get(role=role)
        service_actions.record_consent(user, exchanging.pk, party.pk, "online_litigation", "given")
    exchanging.refresh_from_db()
    starts_at = clock.now() + timedelta(days=5)
    case_actions.fire(
        exchanging.judge,
        exchanging.id,
        "schedule_hearing",
        exchanging.version,
        {"hearing_at": starts_at.date()},
        extra={"hearing": {"starts_at": starts_at.isoformat(), "minutes": 30, "public": False}},
    )
    frozen.advance(timedelta(days=5) - timedelta(minutes=10))
    return Hearing.objects.get(case=exchanging)


def in_db(function: Callable[..., T], *args: Any) -> Awaitable[T]:
    """Database work from the loop, on the one thread the room uses for it too."""
    return sync_to_async(function, thread_sensitive=True)(*args)


def run(scenario: Coroutine[Any, Any, T]) -> T:
    """Run a scenario, then close the database connection its thread opened (PostgreSQL
    refuses to drop the test database while it is open)."""

    async def then_close() -> T:
        try:
            return await scenario
        finally:
            await in_db(connections.close_all)

    return asyncio.run(then_close())


def _pass(hearing: Hearing, user: Any) -> str:
    participant = actions.participant_for(user, hearing)
    assert participant is not None
    return actions.issue_pass(participant, confirmed())


def _cookie(user: Any) -> str:
    """The session cookie of a browser where ``user`` signed in with a second factor."""
    return str(signed_in(user).cookies[settings.SESSION_COOKIE_NAME].value)


async def _enter(hearing: Hearing, user: Any, expect: str = "admitted") -> Socket:
    raw = await in_db(_pass, hearing, user)
    socket = Socket(hearing, await in_db(_cookie, user))
    await socket.say({"type": "hello", "pass": raw})
    await socket.expect(expect)
    return socket


async def _publish(socket: Socket, rgb: Any) -> Any:
    pc = new_pc()
    pc.addTransceiver(ToneTrack(), direction="sendonly")
    pc.addTransceiver(ColourTrack(rgb, (320, 240)), direction="sendonly")
    await socket.say({"type": "publish", "kind": "camera", "sdp": await offer_of(pc)})
    answer = await socket.expect("answer")
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))
    return pc


async def _subscribe(socket: Socket, publisher: str, frames: list[Any]) -> Any:
    pc = new_pc()
    pc.addTransceiver("audio", direction="recvonly")
    pc.addTransceiver("video", direction="recvonly")

    @pc.on("track")
    def on_track(track: Any) -> None:
        async def collect() -> None:
            while True:
                frame = await track.recv()
                if track.kind == "video":
                    frames.append(frame)

        asyncio.ensure_future(collect())

    await socket.say({"type": "subscribe", "publisher": publisher, "sdp": await offer_of(pc)})
    answer = await socket.expect("answer")
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))
    return pc


def test_the_judge_admits_a_party_media_flows_both_ways_and_the_recordings_are_logged(
    hearing: Hearing, alice: Any
) -> None:
    judge = hearing.case.judge

    async def scenario() -> None:
        bench = await _enter(hearing, judge)
        party = await _enter(hearing, alice, expect="waiting")
        waiting = await bench.roster_with("party", admitted=False)
        await bench.say({"type": "admit", "id": waiting["id"]})
        await party.expect("admitted")
        pcs = [await _publish(bench, RED), await _publish(party, BLUE)]
        seen_by_judge: list[Any] = []
        seen_by_party: list[Any] = []
        pcs.append(await _subscribe(bench, str(waiting["id"]), seen_by_judge))
        me = await in_db(lambda: hearing.participants.get(role="judge").pk)
        pcs.append(await _subscribe(party, str(me), seen_by_party))
        await wait_for(lambda: len(seen_by_judge) > 10 and len(seen_by_party) > 10, 20)
        assert looks_like(_colour(seen_by_judge[-1]), BLUE)
        assert looks_like(_colour(seen_by_party[-1]), RED)
        await bench.say({"type": "end"})
        await party.expect("ended")
        await bench.expect("ended")
        for pc in pcs:
            await pc.close()
        await asyncio.wait_for(asyncio.gather(bench.task, party.task), 15)

    run(scenario())
    hearing.refresh_from_db()
    assert hearing.status == HearingStatus.ENDED and hearing.opened_at and hearing.ended_at
    case = Case.objects.get(pk=hearing.case_id)
    assert case.state == "heard"
    recordings = list(Recording.objects.filter(hearing=hearing).select_related("participant"))
    assert {r.participant.role for r in recordings} == {"judge", "party"}
    for recording in recordings:
        assert recording.status == RecordingStatus.STORED, recording.error
        assert recording.event is not None
        assert recording.event.payload["recording"]["sha256"] == recording.blob.sha256
        with blob_store().open(recording.blob.store_key) as stored:
            assert stored.read(4) == b"NCVS"  # the vault's stream, never the WebM in clear
        decoded = decode_webm(b"".join(plaintext(recording.blob)))
        colour = RED if recording.participant.role == "judge" else BLUE
        assert decoded.video and looks_like(decoded.video[-1], colour)
        assert decoded.audio_frames > 0
    kinds = list(hearing.log.values_list("kind", flat=True))
    assert kinds[:1] == [LogKind.ADMITTED] or LogKind.OPENED in kinds
    assert LogKind.ENDED in kinds


def _colour(frame: Any) -> Any:
    from tests.hearings.media_peers import colour_of

    return colour_of(frame)


def test_a_pass_counts_once_belongs_to_its_person_and_a_removed_party_stays_out(
    hearing: Hearing, alice: Any, bob: Any
) -> None:
    judge = hearing.case.judge

    async def scenario() -> None:
        bench = await _enter(hearing, judge)
        raw = await in_db(_pass, hearing, alice)
        alices, bobs = await in_db(lambda: (_cookie(alice), _cookie(bob)))
        stolen = Socket(hearing, bobs)  # bob's session with alice's pass
        await stolen.say({"type": "hello", "pass": raw})
        assert (await stolen.expect("refused"))["code"] == "join_token_invalid"
        party = Socket(hearing, alices)
        await party.say({"type": "hello", "pass": raw})
        await party.expect("waiting")
        again = Socket(hearing, alices)
        await again.say({"type": "hello", "pass": raw})
        assert (await again.expect("refused"))["code"] == "join_token_used"
        forged = Socket(hearing, alices)
        await forged.say({"type": "hello", "pass": "not-a-pass"})
        assert (await forged.expect("refused"))["code"] == "join_token_invalid"
        alice_id = (await bench.roster_with("party", admitted=False))["id"]
        await party.say({"type": "admit", "id": alice_id})  # only the judge admits
        assert (await party.expect("error"))["code"] == "role_not_allowed"
        await bench.say({"type": "remove", "id": alice_id})
        await party.expect("removed")
        assert (await party.expect("closed"))["code"] == 4403
        await bench.say({"type": "lock", "locked": True})
        await bench.expect("locked")
        late = await in_db(_pass, hearing, bob)
        locked_out = Socket(hearing, bobs)
        await locked_out.say({"type": "hello", "pass": late})
        assert (await locked_out.expect("refused"))["code"] == "hearing_locked"
        await bench.leave()

    run(scenario())
    participant = hearing.participants.get(user=alice)
    assert participant.presence == Presence.REMOVED
    with pytest.raises(Problem) as refused:
        actions.issue_pass(participant, confirmed())
    assert refused.value.code == "hearing_removed"
    refusals = hearing.log.filter(kind=LogKind.REFUSED).values_list("detail__code", flat=True)
    assert sorted(refusals) == sorted(
        ["join_token_invalid", "join_token_used", "join_token_invalid", "hearing_locked"]
    )


def test_entering_needs_a_fresh_second_factor_and_the_waiting_room_to_be_open(
    hearing: Hearing, alice: Any, frozen: Any
) -> None:
    participant = actions.participant_for(alice, hearing)
    assert participant is not None
    with pytest.raises(Problem) as refused:
        actions.issue_pass(participant, None)
    assert refused.value.code == "step_up_required"
    frozen.advance(-timedelta(hours=1))
    with pytest.raises(Problem) as refused:
        actions.issue_pass(participant, confirmed())
    assert refused.value.code == "hearing_too_early"


def test_a_socket_from_another_site_is_turned_away(hearing: Hearing) -> None:
    judge = hearing.case.judge

    async def scenario() -> dict[str, Any]:
        cookie = await in_db(_cookie, judge)
        socket = Socket(hearing, cookie, origin="https://evil.example")
        message = await asyncio.wait_for(socket.from_server.get(), 5)
        await socket.task
        return message

    assert run(scenario()) == {"type": "websocket.close", "code": 4403}


def test_the_record_is_written_live_and_a_failed_recording_alerts_the_judge(
    hearing: Hearing, alice: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    judge = hearing.case.judge

    def disk_full(self: Any, data: bytes) -> int:
        raise OSError("disk full")

    monkeypatch.setattr(recordings.VaultSink, "write", disk_full)

    async def scenario() -> None:
        bench = await _enter(hearing, judge)
        party = await _enter(hearing, alice, expect="waiting")
        waiting = await bench.roster_with("party", admitted=False)
        await bench.say({"type": "admit", "id": waiting["id"]})
        await party.expect("admitted")
        await bench.say({"type": "record", "text": "The court is in session.", "revision": 0})
        seen = await party.expect("record")
        assert (seen["text"], seen["revision"]) == ("The court is in session.", 1)
        await bench.say({"type": "record", "text": "Something else.", "revision": 0})
        stale = await bench.expect("record")
        while not stale.get("stale"):
            stale = await bench.expect("record")
        assert stale["text"] == "The court is in session."
        await party.say({"type": "record", "text": "Mine.", "revision": 1})
        assert (await party.expect("error"))["code"] == "role_not_allowed"
        pc = await _publish(party, BLUE)
        alert = await bench.expect("alert", timeout=20)
        assert alert["code"] == "recording_failed" and alert["participant"] == waiting["id"]
        await bench.say({"type": "end"})
        await party.expect("ended")
        await pc.close()
        await asyncio.wait_for(asyncio.gather(bench.task, party.task), 15)

    run(scenario())
    assert hearing.log.filter(kind=LogKind.RECORDING_FAILED).exists()
    failed = Recording.objects.get(hearing=hearing, participant__role="party")
    assert failed.status == RecordingStatus.FAILED and failed.blob is None
    assert HearingRecord.objects.get(hearing=hearing).text == "The court is in session."


def test_switching_to_audio_only_keeps_both_recordings_and_a_room_left_by_its_judge_pauses(
    hearing: Hearing, alice: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    judge = hearing.case.judge
    monkeypatch.setattr(room, "UNATTENDED_SECONDS", 0.5)

    async def scenario() -> None:
        bench = await _enter(hearing, judge)
        party = await _enter(hearing, alice, expect="waiting")
        waiting = await bench.roster_with("party", admitted=False)
        await bench.say({"type": "admit", "id": waiting["id"]})
        await party.expect("admitted")
        camera = await _publish(party, BLUE)
        await asyncio.sleep(1.5)
        voice = new_pc()  # audio only, for a weak connection: a new publication
        voice.addTransceiver(ToneTrack(), direction="sendonly")
        await party.say({"type": "publish", "kind": "camera", "sdp": await offer_of(voice)})
        answer = await party.expect("answer")
        await voice.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))
        await asyncio.sleep(1)
        await bench.leave()
        await party.expect("paused", timeout=10)
        await asyncio.wait_for(party.task, 15)
        await camera.close()
        await voice.close()

    run(scenario())
    kept = Recording.objects.filter(hearing=hearing, participant__role="party").order_by(
        "started_at"
    )
    assert [r.status for r in kept] == [RecordingStatus.STORED, RecordingStatus.STORED]
    first, second = (decode_webm(b"".join(plaintext(r.blob))) for r in kept)
    assert first.video and looks_like(first.video[-1], BLUE) and first.audio_frames
    assert second.kinds == {"audio"} and second.audio_frames
    hearing.refresh_from_db()
    assert hearing.status == HearingStatus.OPEN  # paused, not held: the judge ends it later
    assert Case.objects.get(pk=hearing.case_id).state == "hearing_scheduled"


def test_the_judge_who_opens_the_room_early_cannot_end_the_hearing_before_it_can_be_held(
    hearing: Hearing, frozen: Any
) -> None:
    """The bench may open the room early to get ready; ending the hearing — so holding it,
    and the case moving on — waits until its room opens for everyone."""
    judge = hearing.case.judge
    frozen.advance(-timedelta(hours=2))

    async def scenario() -> dict[str, Any]:
        bench = await _enter(hearing, judge)
        await bench.say({"type": "end"})
        refused = await bench.expect("error")
        await bench.leave()
        return refused

    refused = run(scenario())
    assert refused["code"] == "hearing_too_early"
    assert "it cannot be held before" in refused["message"]
    hearing.refresh_from_db()
    assert hearing.status == HearingStatus.OPEN and hearing.ended_at is None
    assert Case.objects.get(pk=hearing.case_id).state == "hearing_scheduled"
    assert not hearing.log.filter(kind=LogKind.ENDED).exists()
