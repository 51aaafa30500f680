"""The hearing media engine, end to end: aiortc peers on loopback play the browsers.

Each test runs its own event loop (``asyncio.run``); no database is involved.
"""

from __future__ import annotations

import asyncio
import io
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from fractions import Fraction
from functools import partial
from typing import TypeVar

import av
import pytest
from aiortc import RTCSessionDescription

from netcourt.hearings.media import Echo, MediaError, Member, RecordingResult, Room, _Recorder
from tests.hearings.media_peers import (
    BLUE,
    GREEN,
    RED,
    ColourTrack,
    Decoded,
    MemorySink,
    Subscription,
    ToneTrack,
    colour_of,
    decode_webm,
    is_closed,
    looks_like,
    new_pc,
    offer_of,
    peak,
    publish,
    subscribe,
    wait_for,
)

JUDGE = Member("m-judge", "Judge Ada", "judge")
PARTY = Member("m-party", "Party Bo", "party")
WITNESS = Member("m-witness", "Witness Cy", "witness")

T = TypeVar("T")


def run(scenario: Callable[[], Awaitable[T]]) -> T:
    return asyncio.run(asyncio.wait_for(scenario(), timeout=30))


@dataclass
class TwoWay:
    """Two members publishing at 640x480 and watching each other, then the hearing closed."""

    judge_sees: tuple[list[tuple[int, int, int]], int, int]  # colours, audio frames, audio peak
    party_sees: tuple[list[tuple[int, int, int]], int, int]
    sizes_seen: set[tuple[int, int]]
    results: dict[str, RecordingResult]
    recordings: dict[str, Decoded]


@pytest.fixture(scope="module")
def two_way() -> TwoWay:
    sinks: dict[str, MemorySink] = {}

    def sink_for(member: Member) -> MemorySink:
        sinks[member.id] = MemorySink()
        return sinks[member.id]

    async def scenario() -> TwoWay:
        room = Room("h-1", sink_for=sink_for)
        judge_pc = await publish(room, JUDGE, RED, size=(640, 480))
        party_pc = await publish(room, PARTY, BLUE, size=(640, 480))
        assert room.publishers() == [JUDGE.id, PARTY.id]
        judge_view = await subscribe(room, JUDGE, PARTY.id)
        party_view = await subscribe(room, PARTY, JUDGE.id)
        await wait_for(lambda: min(len(judge_view.video), len(party_view.video)) >= 30)
        await wait_for(lambda: min(len(judge_view.audio), len(party_view.audio)) >= 50)
        results = await room.close()
        for closable in (judge_view, party_view, judge_pc, party_pc):
            await closable.close()
        return TwoWay(
            judge_sees=(
                [colour_of(frame) for frame in judge_view.video],
                len(judge_view.audio),
                max(peak(frame) for frame in judge_view.audio),
            ),
            party_sees=(
                [colour_of(frame) for frame in party_view.video],
                len(party_view.audio),
                max(peak(frame) for frame in party_view.audio),
            ),
            sizes_seen={
                (frame.width, frame.height) for frame in judge_view.video + party_view.video
            },
            results={result.member_id: result for result in results},
            recordings={
                member_id: decode_webm(bytes(sink.data)) for member_id, sink in sinks.items()
            },
        )

    return run(scenario)


def test_members_see_and_hear_each_other(two_way: TwoWay) -> None:
    judge_colours, judge_audio, judge_peak = two_way.judge_sees
    party_colours, party_audio, party_peak = two_way.party_sees
    assert all(looks_like(colour, BLUE) for colour in judge_colours)
    assert all(looks_like(colour, RED) for colour in party_colours)
    assert two_way.sizes_seen == {(640, 480)}
    assert judge_audio >= 50 and judge_peak > 1000
    assert party_audio >= 50 and party_peak > 1000


def test_each_publisher_is_recorded_as_a_webm(two_way: TwoWay) -> None:
    assert set(two_way.results) == {JUDGE.id, PARTY.id}
    for member_id, colour in ((JUDGE.id, RED), (PARTY.id, BLUE)):
        result = two_way.results[member_id]
        recording = two_way.recordings[member_id]
        assert result.error == ""
        assert result.started_at.tzinfo is not None and result.started_at < result.ended_at
        assert recording.kinds == {"audio", "video"}
        assert recording.video_size == (640, 480)
        assert len(recording.video) >= 30
        assert all(looks_like(seen, colour) for seen in recording.video)
        assert recording.audio_frames >= 50 and recording.audio_peak > 1000
        assert abs(len(recording.video) - result.video_frames) <= 2
        assert abs(recording.audio_frames - result.audio_frames) <= 2


def test_audio_only_publisher() -> None:
    sinks: dict[str, MemorySink] = {}

    def sink_for(member: Member) -> MemorySink:
        sinks[member.id] = MemorySink()
        return sinks[member.id]

    async def scenario() -> tuple[int, int, set[str], list[RecordingResult]]:
        room = Room("h-2", sink_for=sink_for, video_size=(320, 240))
        witness_pc = await publish(room, WITNESS, None)
        view = await subscribe(room, JUDGE, WITNESS.id)
        await wait_for(lambda: len(view.audio) >= 25)
        await asyncio.sleep(0.3)
        results = await room.close()
        await view.close()
        await witness_pc.close()
        return len(view.video), max(peak(frame) for frame in view.audio), view.ended, results

    video_frames, audio_peak, _, results = run(scenario)
    assert video_frames == 0
    assert audio_peak > 1000
    recording = decode_webm(bytes(sinks[WITNESS.id].data))
    assert recording.kinds == {"audio"}
    assert recording.audio_frames >= 25 and recording.audio_peak > 1000
    assert results[0].video_frames == 0 and results[0].audio_frames >= 25


def test_shared_screen_is_video_only_at_its_own_size() -> None:
    sinks: dict[str, MemorySink] = {}

    def sink_for(member: Member) -> MemorySink:
        sinks[member.id] = MemorySink()
        return sinks[member.id]

    screen = Member(f"{JUDGE.id}:screen", JUDGE.name, JUDGE.role)

    async def scenario() -> tuple[set[tuple[int, int]], int, RecordingResult]:
        room = Room("h-2b", sink_for=sink_for, video_size=(320, 240))
        screen_pc = await publish(
            room, screen, GREEN, (640, 480), tone=False, video_size=(480, 270)
        )
        view = await subscribe(room, PARTY, screen.id)
        await wait_for(lambda: len(view.video) >= 10)
        (result,) = await room.close()
        await view.close()
        await screen_pc.close()
        return {(frame.width, frame.height) for frame in view.video}, len(view.audio), result

    sizes, audio_frames, result = run(scenario)
    assert sizes == {(480, 270)}
    assert audio_frames == 0
    recording = decode_webm(bytes(sinks[screen.id].data))
    assert recording.kinds == {"video"} and recording.video_size == (480, 270)
    assert all(looks_like(colour, GREEN) for colour in recording.video)
    assert result.audio_frames == 0 and result.video_frames >= 10


def test_echo_sends_the_browsers_media_back() -> None:
    async def scenario() -> tuple[list[tuple[int, int, int]], list[int]]:
        echo = Echo(video_size=(320, 240))
        browser = new_pc()
        browser.addTransceiver(ToneTrack(), direction="sendrecv")
        browser.addTransceiver(ColourTrack(BLUE, (320, 240)), direction="sendrecv")
        back = Subscription(browser)
        browser.on("track", back.collect)
        answer = await echo.answer(await offer_of(browser))
        await browser.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        await wait_for(lambda: len(back.video) >= 10 and len(back.audio) >= 25)
        await echo.close()
        await back.close()
        return [colour_of(frame) for frame in back.video], [peak(frame) for frame in back.audio]

    colours, peaks = run(scenario)
    assert all(looks_like(colour, BLUE) for colour in colours)
    assert max(peaks) > 1000


def test_muted_member_is_heard_as_silence() -> None:
    sinks: dict[str, MemorySink] = {}

    def sink_for(member: Member) -> MemorySink:
        sinks[member.id] = MemorySink()
        return sinks[member.id]

    async def scenario() -> tuple[list[int], list[int], list[int]]:
        room = Room("h-3", sink_for=sink_for, video_size=(320, 240))
        party_pc = await publish(room, PARTY, None)
        view = await subscribe(room, JUDGE, PARTY.id, kinds=("audio",))
        await wait_for(lambda: len(view.audio) >= 10)

        async def window() -> list[int]:
            await asyncio.sleep(0.4)  # let frames in flight before the change pass
            start = len(view.audio)
            await wait_for(lambda: len(view.audio) >= start + 25)
            return [peak(frame) for frame in view.audio[start:]]

        before = await window()
        await room.mute(PARTY.id, True)
        muted = await window()
        await room.mute(PARTY.id, False)
        after = await window()
        await room.close()
        await view.close()
        await party_pc.close()
        return before, muted, after

    before, muted, after = run(scenario)
    assert min(before) > 1000
    assert max(muted) == 0
    assert min(after[-10:]) > 1000
    recording = decode_webm(bytes(sinks[PARTY.id].data))
    assert recording.audio_peak > 1000  # the recording holds the unmuted parts


def test_drop_closes_the_members_connections() -> None:
    async def scenario() -> None:
        room = Room("h-4", sink_for=lambda member: MemorySink(), video_size=(320, 240))
        judge_pc = await publish(room, JUDGE, RED)
        party_pc = await publish(room, PARTY, BLUE)
        judge_view = await subscribe(room, JUDGE, PARTY.id)
        party_view = await subscribe(room, PARTY, JUDGE.id)
        witness_view = await subscribe(room, WITNESS, JUDGE.id)
        await wait_for(lambda: bool(party_view.video and witness_view.video and judge_view.video))

        result = await room.drop(JUDGE.id)
        assert result is not None and result.member_id == JUDGE.id and result.error == ""
        assert room.publishers() == [PARTY.id]
        # Subscribers of the dropped member and the member's own view all end.
        await wait_for(
            lambda: all(
                view.ended == {"audio", "video"} for view in (party_view, witness_view, judge_view)
            )
        )
        for pc in (judge_pc, judge_view.pc, party_view.pc, witness_view.pc):
            await wait_for(partial(is_closed, pc))
        assert party_pc.connectionState == "connected"
        with pytest.raises(MediaError) as refused:
            await subscribe(room, WITNESS, JUDGE.id)
        assert refused.value.code == "not_publishing"
        assert await room.drop(WITNESS.id) is None  # a viewer has no recording

        # The party still publishes: a new subscriber gets their video.
        late_view = await subscribe(room, WITNESS, PARTY.id)
        await wait_for(lambda: len(late_view.video) >= 3)
        assert looks_like(colour_of(late_view.video[-1]), BLUE)

        assert [r.member_id for r in await room.close()] == [PARTY.id]
        for closable in (judge_view, party_view, witness_view, late_view, judge_pc, party_pc):
            await closable.close()

    run(scenario)


def test_failing_sink_stops_only_the_recording() -> None:
    failures: list[tuple[str, str]] = []

    async def on_failure(member: Member, error: str) -> None:
        failures.append((member.id, error))

    async def scenario() -> tuple[RecordingResult, int, int]:
        room = Room(
            "h-5",
            sink_for=lambda member: MemorySink(fail_after=20_000),
            on_recording_failure=on_failure,
            video_size=(320, 240),
        )
        party_pc = await publish(room, PARTY, GREEN, size=(640, 480))
        view = await subscribe(room, JUDGE, PARTY.id)
        await wait_for(lambda: bool(failures))
        seen_at_failure = len(view.video)
        await wait_for(lambda: len(view.video) >= seen_at_failure + 15)
        (result,) = await room.close()
        await view.close()
        await party_pc.close()
        assert {(frame.width, frame.height) for frame in view.video} == {(320, 240)}  # scaled
        return result, len(view.video), seen_at_failure

    result, seen, seen_at_failure = run(scenario)
    assert failures == [(PARTY.id, result.error)]
    assert "disk full" in result.error
    assert seen >= seen_at_failure + 15


def test_sink_that_cannot_be_opened_fails_the_recording_only() -> None:
    failures: list[tuple[str, str]] = []

    async def on_failure(member: Member, error: str) -> None:
        failures.append((member.id, error))

    def sink_for(member: Member) -> MemorySink:
        raise PermissionError("read-only storage")

    async def scenario() -> tuple[list[RecordingResult], int]:
        room = Room("h-5b", sink_for=sink_for, on_recording_failure=on_failure)
        party_pc = await publish(room, PARTY, None)
        view = await subscribe(room, JUDGE, PARTY.id)
        await wait_for(lambda: len(view.audio) >= 10 and bool(failures))
        results = await room.close()
        await view.close()
        await party_pc.close()
        return results, len(view.audio)

    results, heard = run(scenario)
    assert failures == [(PARTY.id, "PermissionError: read-only storage")]
    assert [(r.member_id, r.error, r.audio_frames) for r in results] == [
        (PARTY.id, "PermissionError: read-only storage", 0)
    ]
    assert heard >= 10


def test_publishing_again_replaces_the_connection() -> None:
    sinks: list[MemorySink] = []

    def sink_for(member: Member) -> MemorySink:
        sinks.append(MemorySink())
        return sinks[-1]

    async def scenario() -> list[RecordingResult]:
        room = Room("h-6", sink_for=sink_for, video_size=(320, 240))
        first_pc = await publish(room, PARTY, GREEN)
        view = await subscribe(room, JUDGE, PARTY.id)
        await wait_for(lambda: len(view.video) >= 5)
        # Same media kinds: the old connection goes, the recording goes on.
        second_pc = await publish(room, PARTY, GREEN)
        await wait_for(lambda: view.ended == {"audio", "video"})
        second_view = await subscribe(room, JUDGE, PARTY.id)
        await wait_for(lambda: len(second_view.video) >= 5)
        assert len(sinks) == 1
        # Audio-only now: a WebM cannot gain or lose a track, so a second recording starts.
        third_pc = await publish(room, PARTY, None)
        assert room.publishers() == [PARTY.id]
        await wait_for(lambda: len(sinks) == 2)
        await asyncio.sleep(0.5)
        results = await room.close()
        for closable in (view, second_view, first_pc, second_pc, third_pc):
            await closable.close()
        return results

    first, second = run(scenario)
    assert first.video_frames >= 10 and first.error == ""
    assert second.video_frames == 0 and second.audio_frames > 0
    assert first.started_at < second.started_at
    assert decode_webm(bytes(sinks[0].data)).kinds == {"audio", "video"}
    assert decode_webm(bytes(sinks[1].data)).kinds == {"audio"}


def test_bad_offers_and_closed_rooms_are_refused() -> None:
    async def scenario() -> None:
        room = Room("h-7")
        for bad in ("", "not an SDP at all", "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF x\r\n"):
            with pytest.raises(MediaError) as refused:
                await room.publish(JUDGE, bad)
            assert refused.value.code == "bad_offer"
        sender = new_pc()
        sender.addTransceiver("audio", direction="sendonly")
        offer = await offer_of(sender)
        await sender.close()
        unsigned = "".join(line for line in offer.splitlines(True) if "fingerprint" not in line)
        with pytest.raises(MediaError) as refused:
            await room.publish(JUDGE, unsigned)
        assert refused.value.code == "bad_offer"
        receive_only = new_pc()
        receive_only.addTransceiver("audio", direction="recvonly")
        with pytest.raises(MediaError) as refused:
            await room.publish(JUDGE, await offer_of(receive_only))
        assert refused.value.code == "bad_offer"
        with pytest.raises(MediaError) as refused:
            await room.subscribe(PARTY, JUDGE.id, await offer_of(receive_only))
        assert refused.value.code == "not_publishing"
        await receive_only.close()

        assert await room.close() == []
        assert await room.close() == []
        attempts: list[Callable[[], Awaitable[object]]] = [
            lambda: room.publish(JUDGE, "v=0\r\n"),
            lambda: room.subscribe(PARTY, JUDGE.id, "v=0\r\n"),
            lambda: room.mute(JUDGE.id, True),
            lambda: room.drop(JUDGE.id),
        ]
        for attempt in attempts:
            with pytest.raises(MediaError) as refused:
                await attempt()
            assert refused.value.code == "room_closed"

    run(scenario)


def _times(data: bytes) -> dict[str, list[float]]:
    """Each kind's frame times (seconds) in a WebM, and where each audio frame ends."""
    times: dict[str, list[float]] = {"video": [], "audio": [], "audio_end": []}
    with av.open(io.BytesIO(data), mode="r", format="webm") as container:
        for frame in container.decode(*container.streams):
            assert frame.time is not None
            if isinstance(frame, av.VideoFrame):
                times["video"].append(frame.time)
            else:
                times["audio"].append(frame.time)
                times["audio_end"].append(frame.time + frame.samples / frame.sample_rate)
    return times


def test_a_long_recording_is_kept_in_parts_each_stored_when_it_ends() -> None:
    """Parts of about `segment_seconds` of media, each a WebM of its own that starts at 0 on
    a keyframe, reach `on_recording_done` while the hearing goes on; sound runs to each cut."""
    sinks: list[MemorySink] = []
    parts_during: list[RecordingResult] = []

    def sink_for(member: Member) -> MemorySink:
        sinks.append(MemorySink())
        return sinks[-1]

    async def on_done(result: RecordingResult) -> None:
        parts_during.append(result)

    async def scenario() -> tuple[list[RecordingResult], int]:
        room = Room(
            "h-parts",
            sink_for=sink_for,
            on_recording_done=on_done,
            video_size=(320, 240),
            segment_seconds=1.0,
        )
        party_pc = await publish(room, PARTY, GREEN, size=(320, 240))
        view = await subscribe(room, JUDGE, PARTY.id)
        await wait_for(lambda: len(parts_during) >= 2, timeout=20)
        during = len(parts_during)
        last = await room.close()
        await view.close()
        await party_pc.close()
        return [*parts_during, *last], during

    results, stored_during = run(scenario)
    assert stored_during >= 2, "parts are handed over while the hearing goes on"
    assert len(results) == len(sinks) >= 3
    assert [result.sink for result in results] == sinks
    for before, after in itertools.pairwise(results):
        assert before.ended_at == after.started_at
    for index, (result, sink) in enumerate(zip(results, sinks, strict=True)):
        assert result.error == ""
        recording = decode_webm(bytes(sink.data))
        assert recording.kinds == {"audio", "video"}
        assert all(looks_like(seen, GREEN) for seen in recording.video)
        assert abs(len(recording.video) - result.video_frames) <= 2
        times = _times(bytes(sink.data))
        if index > 0:
            assert times["video"][0] < 0.05 and times["audio"][0] < 0.05, "a later part starts at 0"
        if index < len(results) - 1:
            length = times["video"][-1] + 1 / 30
            assert length >= 1.0, "a part holds at least segment_seconds of media"
            assert abs(times["audio_end"][-1] - length) < 0.06, "the sound runs to the cut"


def _encoded() -> tuple[bytes, bytes]:
    """A VP8 keyframe (64x48) and an Opus packet (20 ms), as the shared encoders make them."""
    video = av.CodecContext.create("libvpx", "w")
    video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
    video.time_base = Fraction(1, 30)
    frame = av.VideoFrame(64, 48, "yuv420p")
    frame.pts = 0
    keyframe = bytes(next(p for p in [*video.encode(frame), *video.encode(None)]))
    audio = av.CodecContext.create("libopus", "w")
    audio.sample_rate, audio.layout, audio.format = 48_000, "stereo", "s16"
    sound = av.AudioFrame(format="s16", layout="stereo", samples=960)
    sound.planes[0].update(bytes(sound.planes[0].buffer_size))
    sound.sample_rate, sound.pts = 48_000, 0
    opus = bytes(next(p for p in [*audio.encode(sound), *audio.encode(None)]))
    return keyframe, opus


def _parted_recorder(
    sink_for: Callable[[Member], MemorySink],
    on_segment: Callable[[RecordingResult], Awaitable[None]],
    on_failure: Callable[[Member, str], Awaitable[None]] | None = None,
) -> _Recorder:
    """The party's recorder of 64x48 video and sound, cut into parts of a second."""
    return _Recorder(
        PARTY,
        sink_for,
        frozenset({"audio", "video"}),
        (64, 48),
        on_failure,
        on_segment=on_segment,
        segment_seconds=1.0,
    )


def _audio_packet_times(sink: MemorySink) -> list[Fraction]:
    with av.open(io.BytesIO(bytes(sink.data)), mode="r", format="webm") as container:
        return [p.pts * p.time_base for p in container.demux(audio=0) if p.pts is not None]


def test_sound_due_before_a_cut_that_arrives_after_it_ends_the_earlier_part() -> None:
    """Audio for the time before a cut may arrive after the keyframe that made it: it goes
    into the part that ends, and the next part starts its sound at 0."""
    keyframe, opus = _encoded()
    sinks: list[MemorySink] = []
    parts: list[RecordingResult] = []

    def sink_for(member: Member) -> MemorySink:
        sinks.append(MemorySink())
        return sinks[-1]

    async def on_segment(result: RecordingResult) -> None:
        parts.append(result)

    async def scenario() -> RecordingResult:
        recorder = _parted_recorder(sink_for, on_segment)
        recorder.offer("video", keyframe, 0, True)
        for pts in range(0, 46_080, 960):  # audio to 0.96 s
            recorder.offer("audio", opus, pts, False)
        recorder.offer("video", keyframe, 90_000, True)  # the cut, at 1.0 s
        for pts in (46_080, 47_040, 48_000, 48_960):  # 0.96 s and 0.98 s arrive late
            recorder.offer("audio", opus, pts, False)
        return await recorder.finish()

    last = run(scenario)
    assert len(parts) == 1 and len(sinks) == 2
    assert (parts[0].video_frames, parts[0].audio_frames) == (1, 50)
    assert (last.video_frames, last.audio_frames) == (1, 2)
    assert max(_audio_packet_times(sinks[0])) == Fraction(98, 100)
    assert min(_audio_packet_times(sinks[1])) == 0


def test_a_part_whose_successor_cannot_be_opened_is_kept_whole() -> None:
    """The sink of the next part fails at a cut: the recording stops, and the part that was
    being written is closed whole and kept, not thrown away with the failure."""
    keyframe, opus = _encoded()
    sinks: list[MemorySink] = []
    parts: list[RecordingResult] = []
    failures: list[str] = []

    def sink_for(member: Member) -> MemorySink:
        if sinks:
            raise OSError("store unavailable")
        sinks.append(MemorySink())
        return sinks[-1]

    async def on_segment(result: RecordingResult) -> None:
        parts.append(result)

    async def on_failure(member: Member, error: str) -> None:
        failures.append(error)

    async def scenario() -> RecordingResult:
        recorder = _parted_recorder(sink_for, on_segment, on_failure)
        recorder.offer("video", keyframe, 0, True)
        for pts in range(0, 48_000, 960):
            recorder.offer("audio", opus, pts, False)
        recorder.offer("video", keyframe, 90_000, True)  # the cut: no sink for the next part
        return await recorder.finish()

    last = run(scenario)
    assert failures == ["OSError: store unavailable"] and parts == []
    assert last.error == "" and last.sink is sinks[0]
    assert (last.video_frames, last.audio_frames) == (1, 50)
    kept = decode_webm(bytes(sinks[0].data))
    assert kept.kinds == {"audio", "video"} and len(kept.video) == 1


def test_a_part_is_stored_even_when_the_sound_stops_at_its_cut() -> None:
    """After a cut the ending part waits for the sound due before it, but not for ever: a
    microphone that stopped must not keep the part (and every later cut) from being stored."""
    keyframe, opus = _encoded()
    parts: list[RecordingResult] = []

    async def on_segment(result: RecordingResult) -> None:
        parts.append(result)

    async def scenario() -> RecordingResult:
        recorder = _parted_recorder(lambda member: MemorySink(), on_segment)
        recorder.offer("video", keyframe, 0, True)
        for pts in range(0, 48_000, 960):
            recorder.offer("audio", opus, pts, False)
        for pts in range(90_000, 200_000, 3_000):  # video only from the cut on
            recorder.offer("video", keyframe, pts, True)
        await wait_for(lambda: bool(parts), timeout=5)
        return await recorder.finish()

    last = run(scenario)
    assert len(parts) >= 1 and parts[0].audio_frames == 50 and parts[0].error == ""
    assert last.audio_frames == 0 and last.video_frames > 0
