"""The embedded media engine of video hearings: a small forwarding server built on aiortc.

A hearing has up to about six participants. Each browser opens one *publish* peer connection
(sendonly: microphone and, unless in audio-only mode, camera) and one *subscribe* peer connection
per other publisher (recvonly). The browser always offers, with all its ICE candidates in the
offer (no trickle), and the server answers with all of its own.

aiortc decodes every received track. Each publisher's media is then encoded ONCE by the server:
one VP8 encoder (at the room's ``video_size``) and one Opus encoder per publisher. The encoded
packets go unchanged to every subscriber (aiortc's ``RTCRtpSender`` packetizes pre-encoded
``av.Packet`` objects without encoding again) and to the publisher's recording, a WebM written
through PyAV to a write-only sink, so recording costs no extra encode. A subscriber's video
starts on a keyframe: the shared encoder emits one when a subscriber starts receiving, when a
subscriber reports picture loss, and at least every two seconds.

``Room`` is one hearing; ``Echo`` is the pre-hearing self-test, which sends a browser's own media
back through the same pipeline. This module is pure asyncio + aiortc + PyAV (no Django); the
Django side does the signalling and decides where recordings go. Logs carry hearing and member
ids only, never names.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Protocol

import av
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpSender,
    RTCRtpTransceiver,
    RTCSessionDescription,
)
from aiortc.exceptions import InternalError, InvalidAccessError, OperationError
from aiortc.mediastreams import MediaStreamError
from aiortc.sdp import SessionDescription
from av.container import OutputContainer
from av.packet import Packet
from av.stream import Stream
from av.video.frame import PictureType

logger = logging.getLogger(__name__)

VIDEO_TIME_BASE = Fraction(1, 90_000)
AUDIO_RATE = 48_000
AUDIO_TIME_BASE = Fraction(1, AUDIO_RATE)
OPUS_FRAME_SAMPLES = 960  # 20 ms, the packet duration browsers use
AUDIO_BITRATE = 64_000

# A recording is kept in parts of about this much media, each stored as soon as it ends, so
# a crash of the server loses at most the part being written.
SEGMENT_SECONDS = 300.0
# After a cut, the part that ends takes the sound due before it until the next part's sound
# begins, or this much video later (a microphone that stopped sends none).
ENDING_AUDIO_WAIT = 90_000  # 1 s in video pts
KEYFRAME_INTERVAL = 2 * 90_000  # a keyframe at least every 2 s (in video pts units)
MIN_FORCED_KEYFRAME_GAP = 90_000 // 2  # requested keyframes at most every 0.5 s
MAX_SILENCE_FILL = 5 * AUDIO_RATE  # longer audio gaps become a timestamp jump, not silence
VIDEO_BACKLOG = 4  # decoded frames waiting for the encoder; older ones are skipped
RELAY_QUEUE_LIMIT = {"video": 60, "audio": 50}  # about 2 s of video, 1 s of audio

SEND_DIRECTIONS = {None, "sendrecv", "sendonly"}
RECEIVE_DIRECTIONS = {None, "sendrecv", "recvonly"}
MEDIA_KINDS = ("audio", "video")
# What the server sends: the shared encoders' VP8 (with RTX retransmission) and Opus.
SENT_CODECS = {"video": ("video/vp8", "video/rtx"), "audio": ("audio/opus",)}

EncodedPacket = tuple[bytes, int, bool]  # payload, pts, is_keyframe
RecordedPacket = tuple[str, bytes, int, bool]  # kind, payload, pts, is_keyframe


class MediaError(Exception):
    """A request the media engine refuses; ``code`` is stable, ``message`` is for logs."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Member:
    """A hearing participant as the engine sees them."""

    id: str
    name: str  # display name; never logged
    role: str  # judge, clerk, party, representative, witness, interpreter, viewer


class RecordingSink(Protocol):
    """Where a recording's bytes go: written in order, never seeked, never closed by the engine.

    ``write`` must take all the bytes it is given (as a file or ``BufferedWriter`` does). It is
    called from a worker thread (never from two threads at once), so it may block.
    """

    def write(self, data: bytes, /) -> object: ...


@dataclass(frozen=True)
class RecordingResult:
    """What one recording (one publisher, one WebM) holds once finished."""

    member_id: str
    started_at: datetime  # aware UTC
    ended_at: datetime
    video_frames: int  # frames muxed
    audio_frames: int
    error: str = ""  # "" when the recording finished cleanly
    # The sink this recording was written to (None if it never got one): a member who
    # publishes again may have several recordings, each with its own sink.
    sink: RecordingSink | None = field(default=None, compare=False)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _ticks(frame: av.AudioFrame | av.VideoFrame, rate: int) -> int:
    """A received frame's timestamp in units of 1/rate s (aiortc counts from the first one)."""
    if frame.pts is None or frame.time_base is None:
        return 0
    return int(frame.pts * frame.time_base * rate)


def _silence(samples: int) -> av.AudioFrame:
    frame = av.AudioFrame(format="s16", layout="stereo", samples=samples)
    frame.planes[0].update(bytes(frame.planes[0].buffer_size))
    frame.sample_rate = AUDIO_RATE
    return frame


class _SinkWriter:
    """Hands PyAV a write-only file object (no ``seek``, so PyAV muxes as for a live stream).

    It keeps the sink's own exception, which PyAV sometimes replaces by a generic callback error.
    """

    def __init__(self, sink: RecordingSink) -> None:
        self._sink = sink
        self.error: Exception | None = None

    def write(self, data: bytes) -> int:
        try:
            self._sink.write(data)
        except Exception as exc:
            self.error = self.error or exc
            raise
        return len(data)


@dataclass
class _Segment:
    """One WebM of a recording: its sink, its container, and where its timestamps start."""

    sink: RecordingSink
    writer: _SinkWriter
    container: OutputContainer
    streams: dict[str, Stream]
    started_at: datetime  # aware UTC
    base: dict[str, int]  # the recording's pts, per kind, at which this WebM's time is 0
    audio_until: int | None = None  # once replaced: the audio pts from which the next takes it
    video_frames: int = 0
    audio_frames: int = 0
    error: str = ""  # why this WebM is not whole, after a failure

    def result(self, member_id: str, ended_at: datetime, error: str = "") -> RecordingResult:
        return RecordingResult(
            member_id=member_id,
            started_at=self.started_at,
            ended_at=ended_at,
            video_frames=self.video_frames,
            audio_frames=self.audio_frames,
            error=error,
            sink=self.sink,
        )


class _Recorder:
    """Muxes one publisher's encoded packets into WebM files (VP8 + Opus, or Opus only).

    A long recording is cut into parts of about ``segment_seconds`` of media, each a WebM of
    its own from a fresh ``sink_for`` call that starts on a keyframe at time 0; a finished part
    goes to ``on_segment`` at once, so a crash loses at most the part being written. At a cut,
    the audio still due before the keyframe goes to the part that ends, so no sound is lost
    between parts. ``finish`` returns the last part.

    Muxing and writing run in a worker thread, one batch at a time, so a slow sink never
    blocks the event loop. The first failure stops the recording for good and is reported once
    through ``on_failure``; the publisher's media keeps flowing to subscribers regardless.
    """

    def __init__(
        self,
        member: Member,
        sink_for: Callable[[Member], RecordingSink],
        kinds: frozenset[str],
        video_size: tuple[int, int],
        on_failure: Callable[[Member, str], Awaitable[None]] | None,
        on_segment: Callable[[RecordingResult], Awaitable[None]] | None = None,
        segment_seconds: float | None = None,
    ) -> None:
        self.member = member
        self.kinds = kinds
        self.started_at = datetime.now(UTC)
        self.epoch = asyncio.get_running_loop().time()
        self.video_size = video_size
        self._sink_for = sink_for
        self._on_failure = on_failure
        self._on_segment = on_segment
        self._segment_seconds = segment_seconds if on_segment is not None else None
        self._queue: asyncio.Queue[RecordedPacket | None] = asyncio.Queue()
        self._last_pts: dict[str, int] = {}
        self._video_started = False
        self._error = ""
        self._finishing = False
        self._segment: _Segment | None = None  # the WebM being written
        self._ending: _Segment | None = None  # the one before it, taking its last audio
        self._done: list[RecordingResult] = []  # parts finished, not yet given to on_segment
        self._unopened: tuple[RecordingSink, datetime] | None = None  # a sink no WebM began in
        self._unopened_result: RecordingResult | None = None
        self._task = asyncio.create_task(self._run())

    @property
    def failed(self) -> bool:
        return bool(self._error)

    def offer(self, kind: str, data: bytes, pts: int, keyframe: bool) -> None:
        if not (self._error or self._finishing):
            self._queue.put_nowait((kind, data, pts, keyframe))

    async def finish(self) -> RecordingResult:
        """Mux what is queued, write the last WebM's end, and say what that part holds."""
        if not self._finishing:
            self._finishing = True
            self._queue.put_nowait(None)
        await self._task
        segment = self._segment
        if segment is None and self._unopened_result is not None:
            return self._unopened_result
        return RecordingResult(
            member_id=self.member.id,
            started_at=segment.started_at if segment else self.started_at,
            ended_at=datetime.now(UTC),
            video_frames=segment.video_frames if segment else 0,
            audio_frames=segment.audio_frames if segment else 0,
            error=segment.error if segment else self._error,
            sink=segment.sink if segment else None,
        )

    async def _run(self) -> None:
        try:
            await asyncio.to_thread(self._open, {}, self.started_at)
            ended = False
            while not ended:
                batch = [await self._queue.get()]
                while not self._queue.empty():
                    batch.append(self._queue.get_nowait())
                packets = [item for item in batch if item is not None]
                ended = len(packets) < len(batch)
                await asyncio.to_thread(self._mux, packets)
                await self._report()
            await asyncio.to_thread(self._close_ending)
            await self._report()
            if self._segment is not None:
                await asyncio.to_thread(self._segment.container.close)
        except Exception as exc:
            await self._fail(exc)

    def _open(self, base: dict[str, int], started_at: datetime) -> None:
        """Start a WebM from a new sink: it becomes the part being written once it is open."""
        sink = self._sink_for(self.member)
        try:
            self._segment = self._started(sink, base, started_at)
        except Exception:
            self._unopened = (sink, started_at)  # reported as a failed part, its sink with it
            raise

    def _started(self, sink: RecordingSink, base: dict[str, int], started_at: datetime) -> _Segment:
        writer = _SinkWriter(sink)
        container = av.open(writer, mode="w", format="webm")
        streams: dict[str, Stream] = {}
        if "video" in self.kinds:
            width, height = self.video_size
            streams["video"] = container.add_mux_stream(
                "libvpx", rate=30, width=width, height=height, time_base=VIDEO_TIME_BASE
            )
        if "audio" in self.kinds:
            # A stream with its own (idle) Opus encoder: opening it yields the OpusHead header
            # WebM needs, identical to the shared encoder's since the settings are the same.
            audio = container.add_stream("libopus", rate=AUDIO_RATE)
            audio.codec_context.layout = "stereo"
            audio.codec_context.format = "s16"
            audio.codec_context.bit_rate = AUDIO_BITRATE
            streams["audio"] = audio
        container.start_encoding()
        return _Segment(sink, writer, container, streams, started_at, base)

    def _mux(self, items: list[RecordedPacket]) -> None:
        for kind, data, pts, keyframe in items:
            if pts <= self._last_pts.get(kind, -(1 << 62)):
                continue  # a reconnected publisher's first packets may overlap the old ones
            if kind == "video" and not self._video_started:
                if not keyframe:
                    continue
                self._video_started = True
            if self._cut_due(kind, pts, keyframe):
                self._cut(kind, pts)
            segment = self._segment
            assert segment is not None
            if self._ending is not None:
                assert self._ending.audio_until is not None
                if kind == "audio" and pts < self._ending.audio_until:
                    segment = self._ending
                elif kind == "audio" or pts - segment.base["video"] >= ENDING_AUDIO_WAIT:
                    self._close_ending()  # its sound is all in, or is not coming
            packet = av.Packet(data)
            packet.pts = packet.dts = pts - segment.base.get(kind, 0)
            packet.time_base = VIDEO_TIME_BASE if kind == "video" else AUDIO_TIME_BASE
            packet.is_keyframe = keyframe
            packet.stream = segment.streams[kind]
            segment.container.mux(packet)
            self._last_pts[kind] = pts
            if kind == "video":
                segment.video_frames += 1
            else:
                segment.audio_frames += 1

    def _cut_due(self, kind: str, pts: int, keyframe: bool) -> bool:
        """Whether this packet starts a new part: the part is long enough, and a part starts
        on a keyframe (on any packet when there is no video)."""
        if self._segment_seconds is None or self._ending is not None or self._segment is None:
            return False
        if "video" in self.kinds and not (kind == "video" and keyframe):
            return False
        rate = 90_000 if kind == "video" else AUDIO_RATE
        start = self._segment.base.get(kind, 0)
        return pts - start >= self._segment_seconds * rate

    def _cut(self, kind: str, pts: int) -> None:
        """End the part being written at this packet and open the next, whose time 0 is
        this packet's time for every kind."""
        ending = self._segment
        assert ending is not None
        seconds = pts / (90_000 if kind == "video" else AUDIO_RATE)
        base = {"video": round(seconds * 90_000), "audio": round(seconds * AUDIO_RATE)}
        self._open(base, self.started_at + timedelta(seconds=seconds))  # may fail: no cut
        ending.audio_until = base["audio"]
        self._ending = ending  # takes the audio due before the cut, then is closed
        if not ("audio" in self.kinds and kind == "video"):
            self._close_ending()

    def _close_ending(self) -> None:
        ending = self._ending
        if ending is not None:
            ending.container.close()
            self._ending = None
            assert self._segment is not None
            self._done.append(ending.result(self.member.id, self._segment.started_at))

    @staticmethod
    async def _settle(segment: _Segment) -> None:
        """Close a part after a failure: whole if its own writes went well, else failed."""
        if segment.writer.error is not None:
            segment.error = _describe(segment.writer.error)
        try:
            await asyncio.to_thread(segment.container.close)
        except Exception as exc:
            segment.error = segment.error or _describe(exc)

    async def _report(self) -> None:
        done, self._done = self._done, []
        for result in done:
            if self._on_segment is not None:
                await self._on_segment(result)

    async def _fail(self, exc: BaseException) -> None:
        """Stop recording for good. The parts finished before are given as usual; the part
        ending at a cut and the part being written are closed and kept as far as they go,
        each marked failed only if its own writing or closing failed."""
        writers = [s.writer for s in (self._ending, self._segment) if s is not None]
        cause = next((w.error for w in writers if w.error is not None), None) or exc
        self._error = _describe(cause)
        logger.warning("recording of member %s failed: %s", self.member.id, self._error)
        await self._report()
        ending, self._ending = self._ending, None
        if ending is not None:
            await self._settle(ending)
            if self._on_segment is not None:
                ended_at = self._segment.started_at if self._segment else datetime.now(UTC)
                await self._on_segment(ending.result(self.member.id, ended_at, ending.error))
        if self._segment is not None:
            await self._settle(self._segment)
        if self._unopened is not None:
            sink, started_at = self._unopened
            failed = RecordingResult(
                self.member.id, started_at, datetime.now(UTC), 0, 0, self._error, sink
            )
            if self._segment is None:
                self._unopened_result = failed
            elif self._on_segment is not None:
                await self._on_segment(failed)
        if self._on_failure is not None:
            try:
                await self._on_failure(self.member, self._error)
            except Exception:
                logger.exception("on_recording_failure raised for member %s", self.member.id)


class _Relay(MediaStreamTrack):
    """One subscriber's copy of a publisher's encoded track, read by an ``RTCRtpSender``.

    Packets offered before the sender starts reading are dropped (the connection is not up yet);
    video then waits for a keyframe, which it asks the source for when it starts.
    If the sender falls behind by more than ~1-2 s, the backlog is dropped.
    """

    def __init__(
        self, kind: str, request_keyframe: Callable[[], None], detach: Callable[[_Relay], None]
    ) -> None:
        super().__init__()
        self.kind = kind
        self._request_keyframe = request_keyframe
        self._detach = detach
        self._queue: asyncio.Queue[Packet[Stream] | None] = asyncio.Queue()
        self._started = False
        self._awaiting_keyframe = kind == "video"

    def offer(self, packet: Packet[Stream], keyframe: bool) -> None:
        if not self._started:
            return
        if self._queue.qsize() >= RELAY_QUEUE_LIMIT[self.kind]:
            while not self._queue.empty():
                self._queue.get_nowait()
            if self.kind == "video":
                self._awaiting_keyframe = True
                self._request_keyframe()
        if self._awaiting_keyframe:
            if not keyframe:
                return
            self._awaiting_keyframe = False
        self._queue.put_nowait(packet)

    def end(self) -> None:
        self._queue.put_nowait(None)

    async def recv(self) -> Packet[Stream]:
        if self.readyState != "live":
            raise MediaStreamError
        if not self._started:
            self._started = True
            self._request_keyframe()
        packet = await self._queue.get()
        if packet is None:
            self.stop()
            raise MediaStreamError
        return packet

    def stop(self) -> None:
        super().stop()
        self._detach(self)


class _Source(ABC):
    """One kind of one publisher's media: read from aiortc, encoded once, fanned out."""

    kind = ""
    time_base = Fraction(1)

    def __init__(
        self, member_id: str, track: MediaStreamTrack, recorder: _Recorder | None, epoch: float
    ) -> None:
        self._member_id = member_id
        self._track = track
        self._recorder = recorder
        self._epoch = epoch
        self._relays: set[_Relay] = set()
        self._task: asyncio.Task[None] | None = None
        self._keyframe_requested = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._guarded_run())

    async def _guarded_run(self) -> None:
        """Run until the track ends; whatever happens, tell the subscribers' senders it ended."""
        try:
            await self._run()
        except MediaStreamError:
            logger.debug("%s track of member %s ended", self.kind, self._member_id)
        except Exception:
            logger.exception("%s of member %s can no longer be relayed", self.kind, self._member_id)
        finally:
            for relay in list(self._relays):
                relay.end()

    def attach(self) -> _Relay:
        """A new track carrying this source's packets to one more subscriber."""
        relay = _Relay(self.kind, self.request_keyframe, self._relays.discard)
        self._relays.add(relay)
        return relay

    def request_keyframe(self) -> None:
        """Ask for a keyframe soon (a subscriber starts or lost pictures); audio ignores it."""
        self._keyframe_requested = True

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _since_epoch(self, rate: int) -> int:
        return round((asyncio.get_running_loop().time() - self._epoch) * rate)

    def _emit(self, packets: list[EncodedPacket]) -> None:
        for data, pts, keyframe in packets:
            if self._relays:
                packet = av.Packet(data)
                packet.pts = packet.dts = pts
                packet.time_base = self.time_base
                for relay in list(self._relays):
                    relay.offer(packet, keyframe)
            if self._recorder is not None:
                self._recorder.offer(self.kind, data, pts, keyframe)

    @abstractmethod
    async def _run(self) -> None:
        """Read the received track until it ends (``MediaStreamError``), encoding and emitting
        what it carries."""


class _VideoSource(_Source):
    """Scales a publisher's decoded video to the room's size and encodes it once as VP8.

    Encoding runs in a worker thread. A reader task keeps the last few decoded frames (enough to
    absorb bursty arrival), so when the CPU cannot keep up the oldest frames are skipped instead
    of piling up and adding latency.
    """

    kind = "video"
    time_base = VIDEO_TIME_BASE

    def __init__(
        self,
        member_id: str,
        track: MediaStreamTrack,
        recorder: _Recorder | None,
        epoch: float,
        *,
        size: tuple[int, int],
        bitrate: int,
    ) -> None:
        super().__init__(member_id, track, recorder, epoch)
        self._width, self._height = size
        self._codec = av.CodecContext.create("libvpx", "w")
        self._codec.width = self._width
        self._codec.height = self._height
        self._codec.pix_fmt = "yuv420p"
        self._codec.time_base = VIDEO_TIME_BASE
        self._codec.bit_rate = bitrate
        self._codec.gop_size = 3000  # keyframes are forced by time instead, see _wants_keyframe
        # One thread: libvpx's multithreaded VP8 encoder busy-waits between rows, which burns
        # CPU the other publishers' encoders need when several hearings share the cores.
        self._codec.thread_count = 1
        self._codec.qmin = 2
        self._codec.qmax = 56
        self._codec.options = {  # aiortc's real-time VP8 settings, constant bitrate
            "bufsize": str(bitrate),
            "cpu-used": "-6",
            "deadline": "realtime",
            "lag-in-frames": "0",
            "minrate": str(bitrate),
            "maxrate": str(bitrate),
            "noise-sensitivity": "4",
            "overshoot-pct": "15",
            "partitions": "0",
            "static-thresh": "1",
            "undershoot-pct": "100",
        }
        self._last_keyframe: int | None = None
        self._last_pts = -1
        self._first_in: tuple[int, int] | None = None  # (input pts, output pts) of frame one
        self._backlog: deque[av.VideoFrame] = deque(maxlen=VIDEO_BACKLOG)
        self._arrived = asyncio.Event()
        self._ended = False

    async def _read(self) -> None:
        try:
            while True:
                frame = await self._track.recv()
                if isinstance(frame, av.VideoFrame):
                    self._backlog.append(frame)
                    self._arrived.set()
        except MediaStreamError:
            self._ended = True
            self._arrived.set()

    async def _run(self) -> None:
        reader = asyncio.create_task(self._read())
        try:
            while self._backlog or not self._ended:
                if not self._backlog:
                    self._arrived.clear()
                    await self._arrived.wait()
                    continue
                frame = self._backlog.popleft()
                pts = self._pts(frame)
                keyframe = self._wants_keyframe(pts)
                try:
                    packets = await asyncio.to_thread(self._encode, frame, pts, keyframe)
                except av.FFmpegError as exc:
                    logger.warning("video frame of member %s skipped: %s", self._member_id, exc)
                    continue
                if any(key for _, _, key in packets):
                    self._last_keyframe = pts
                    self._keyframe_requested = False
                self._emit(packets)
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader

    def _pts(self, frame: av.VideoFrame) -> int:
        """The frame's time since the epoch: the sender's timing, anchored at its arrival."""
        frame_pts = _ticks(frame, 90_000)
        if self._first_in is None:
            self._first_in = (frame_pts, self._since_epoch(90_000))
        pts = self._first_in[1] + frame_pts - self._first_in[0]
        self._last_pts = max(pts, self._last_pts + 1)
        return self._last_pts

    def _wants_keyframe(self, pts: int) -> bool:
        if self._last_keyframe is None:
            return True
        since = pts - self._last_keyframe
        return since >= KEYFRAME_INTERVAL or (
            self._keyframe_requested and since >= MIN_FORCED_KEYFRAME_GAP
        )

    def _encode(self, frame: av.VideoFrame, pts: int, keyframe: bool) -> list[EncodedPacket]:
        image = frame.reformat(width=self._width, height=self._height, format="yuv420p")
        image.pts = pts
        image.time_base = VIDEO_TIME_BASE
        image.pict_type = PictureType.I if keyframe else PictureType.NONE
        return [
            (bytes(packet), pts if packet.pts is None else packet.pts, packet.is_keyframe)
            for packet in self._codec.encode(image)
        ]


class _AudioSource(_Source):
    """Encodes a publisher's decoded audio once as Opus, replacing it by silence while muted.

    Opus encoding of 20 ms is cheap, so it runs on the event loop. Gaps in the received audio
    (lost packets, a stalled connection) are filled with silence so that the recording keeps
    its timeline and stays in step with the video.
    """

    kind = "audio"
    time_base = AUDIO_TIME_BASE

    def __init__(
        self,
        member_id: str,
        track: MediaStreamTrack,
        recorder: _Recorder | None,
        epoch: float,
        *,
        is_muted: Callable[[], bool],
    ) -> None:
        super().__init__(member_id, track, recorder, epoch)
        self._is_muted = is_muted
        self._codec = av.CodecContext.create("libopus", "w")
        self._codec.sample_rate = AUDIO_RATE
        self._codec.layout = "stereo"
        self._codec.format = "s16"
        self._codec.time_base = AUDIO_TIME_BASE
        self._codec.bit_rate = AUDIO_BITRATE
        self._codec.options = {"application": "voip"}
        self._resampler = av.AudioResampler(
            format="s16", layout="stereo", rate=AUDIO_RATE, frame_size=OPUS_FRAME_SAMPLES
        )
        self._next_in: int | None = None  # where the next received frame should start
        self._out = 0  # pts of the next frame given to the encoder

    async def _run(self) -> None:
        while True:
            frame = await self._track.recv()
            if isinstance(frame, av.AudioFrame):
                try:
                    self._handle(frame)
                except av.FFmpegError as exc:
                    logger.warning("audio frame of member %s skipped: %s", self._member_id, exc)

    def _handle(self, frame: av.AudioFrame) -> None:
        start = _ticks(frame, AUDIO_RATE)
        if self._next_in is None:
            self._out = self._since_epoch(AUDIO_RATE)
            gap = 0
        else:
            gap = start - self._next_in
        self._next_in = start + frame.samples * AUDIO_RATE // frame.sample_rate
        if gap >= OPUS_FRAME_SAMPLES:
            fill = min(gap, MAX_SILENCE_FILL) // OPUS_FRAME_SAMPLES * OPUS_FRAME_SAMPLES
            for _ in range(fill // OPUS_FRAME_SAMPLES):
                self._encode(_silence(OPUS_FRAME_SAMPLES))
            self._out += gap - fill
        muted = self._is_muted()
        for chunk in self._resampler.resample(frame):
            self._encode(_silence(chunk.samples) if muted else chunk)

    def _encode(self, frame: av.AudioFrame) -> None:
        frame.pts = self._out
        frame.time_base = AUDIO_TIME_BASE
        self._out += frame.samples
        self._emit(
            [
                (bytes(packet), self._out if packet.pts is None else packet.pts, True)
                for packet in self._codec.encode(frame)
            ]
        )


@dataclass
class _Publication:
    """A member's publish connection, its sources and its recording."""

    pc: RTCPeerConnection
    sources: dict[str, _Source]
    recorder: _Recorder | None
    closing: bool = False  # set once its connection starts closing: no new subscribers

    async def close(self) -> None:
        self.closing = True
        await self.pc.close()
        await asyncio.gather(*(source.stop() for source in self.sources.values()))


@dataclass
class _Subscription:
    """One subscriber's connection receiving one publisher's media."""

    pc: RTCPeerConnection
    relays: list[_Relay]

    async def close(self) -> None:
        await self.pc.close()
        for relay in self.relays:
            relay.stop()


def _parse_offer(offer_sdp: str, directions: set[str | None]) -> list[str]:
    """The media kinds (in m-line order) an offer carries in the wanted directions."""
    try:
        description = SessionDescription.parse(offer_sdp)
    except Exception as exc:  # aiortc's parser fails in many ways on bad input (even StopIteration)
        raise MediaError("bad_offer", f"unparseable SDP ({_describe(exc)})") from exc
    kinds = []
    for media in description.media:
        if media.kind not in MEDIA_KINDS or media.direction not in directions:
            continue
        # aiortc assumes these are present and fails obscurely without them.
        if not (media.ice and media.ice.usernameFragment and media.ice.password):
            raise MediaError("bad_offer", f"{media.kind}: ICE credentials are missing")
        if not (media.dtls and media.dtls.fingerprints and media.dtls.role):
            raise MediaError("bad_offer", f"{media.kind}: DTLS fingerprint or setup is missing")
        if not media.rtp.codecs:
            raise MediaError("bad_offer", f"{media.kind}: no codecs")
        kinds.append(media.kind)
    if not kinds:
        raise MediaError("bad_offer", "the offer has no usable audio or video")
    return kinds


def _new_pc(ice_servers: list[RTCIceServer]) -> RTCPeerConnection:
    # An explicit (possibly empty) server list: aiortc would otherwise use Google's STUN.
    return RTCPeerConnection(RTCConfiguration(iceServers=list(ice_servers)))


async def _answer(
    pc: RTCPeerConnection, offer_sdp: str, offer_applied: Callable[[], None] | None = None
) -> str:
    """Apply the offer and answer it, with all candidates gathered (no trickle).

    ``offer_applied`` runs between the two, when the received tracks exist but the answer is
    not written yet (the echo sends each track back on its own transceiver).
    """
    try:
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
        if offer_applied is not None:
            offer_applied()
        await pc.setLocalDescription(await pc.createAnswer())
    except (ValueError, KeyError, InternalError, InvalidAccessError, OperationError) as exc:
        await pc.close()
        raise MediaError("bad_offer", f"the offer was refused ({_describe(exc)})") from exc
    return pc.localDescription.sdp


def _sending_transceiver(pc: RTCPeerConnection, kind: str, direction: str) -> RTCRtpTransceiver:
    """A transceiver that will send what the shared encoders produce (VP8 or Opus only).

    Created before the offer is applied, so that aiortc matches it to the offer's m-line of
    that kind and negotiates only the codecs the server can send.
    """
    transceiver = pc.addTransceiver(kind, direction=direction)
    transceiver.setCodecPreferences(
        [
            codec
            for codec in RTCRtpSender.getCapabilities(kind).codecs
            if codec.mimeType.lower() in SENT_CODECS[kind]
        ]
    )
    return transceiver


def _send(transceiver: RTCRtpTransceiver, source: _Source) -> _Relay:
    """Send a source's packets through a transceiver; return the relay doing it."""
    relay = source.attach()
    transceiver.sender.replaceTrack(relay)
    # Picture loss reported by the receiving browser must reach the shared encoder.
    transceiver.sender._send_keyframe = source.request_keyframe  # type: ignore[method-assign]
    return relay


def _source(
    kind: str,
    member_id: str,
    track: MediaStreamTrack,
    recorder: _Recorder | None,
    epoch: float,
    *,
    video_size: tuple[int, int],
    video_bitrate: int,
    is_muted: Callable[[], bool],
) -> _Source:
    if kind == "video":
        return _VideoSource(
            member_id, track, recorder, epoch, size=video_size, bitrate=video_bitrate
        )
    return _AudioSource(member_id, track, recorder, epoch, is_muted=is_muted)


class Room:
    """The media side of one hearing: publishers, their subscribers, and their recordings.

    A second ``publish`` by the same member (a reconnect) replaces the first: the old publish
    connection and every subscription on it are closed (subscribers must subscribe again). The
    recording goes on in the same WebM when the new offer carries the same media kinds (audio,
    video, or both) at the same video size and the recording had not failed; otherwise it is
    finished and a new one
    started with a fresh ``sink_for(member)`` call; the finished result goes to
    ``on_recording_done`` at once (without it, ``close()`` returns it). So does each part of a
    long recording: every ``segment_seconds`` of media (None: never) a recording goes on in a
    new WebM from a new sink, and the part that ended is a finished result.

    Mutes belong to the member, not to a connection: they outlast a reconnect, and a member can
    be muted before publishing.

    ``sink_for`` and the sinks' ``write`` run in worker threads, never on the event loop, so they
    may block and may use Django's synchronous ORM; ``on_recording_failure`` is awaited on the
    loop. ``ice_servers`` are passed to aiortc as they are (an empty list means host candidates
    only, which suits a server with a public address).
    """

    def __init__(
        self,
        hearing_id: str,
        *,
        sink_for: Callable[[Member], RecordingSink] | None = None,
        on_recording_failure: Callable[[Member, str], Awaitable[None]] | None = None,
        on_recording_done: Callable[[RecordingResult], Awaitable[None]] | None = None,
        ice_servers: Sequence[RTCIceServer] = (),
        video_size: tuple[int, int] = (640, 480),
        video_bitrate: int = 800_000,
        segment_seconds: float | None = SEGMENT_SECONDS,
    ) -> None:
        self.hearing_id = hearing_id
        self._segment_seconds = segment_seconds
        self._sink_for = sink_for
        self._on_recording_failure = on_recording_failure
        self._on_recording_done = on_recording_done
        self._ice_servers = list(ice_servers)
        self._video_size = video_size
        self._video_bitrate = video_bitrate
        self._publications: dict[str, _Publication] = {}
        self._subscriptions: dict[tuple[str, str], _Subscription] = {}
        self._muted: set[str] = set()
        self._replaced_results: list[RecordingResult] = []
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._closed = False

    async def publish(
        self, member: Member, offer_sdp: str, *, video_size: tuple[int, int] | None = None
    ) -> str:
        """Answer a member's publish offer, relay their media and record it.

        The offer sends (sendonly) audio, video or both, at most one of each. ``video_size``
        overrides the room's for this publisher (e.g. a shared screen, which would be hard to
        read at 640x480); frames are scaled to it, not cropped.
        """
        size = video_size or self._video_size
        self._check_open()
        kinds = _parse_offer(offer_sdp, SEND_DIRECTIONS)
        if len(set(kinds)) < len(kinds):
            raise MediaError("bad_offer", "one audio and at most one video track can be published")
        async with self._locks[member.id]:
            self._check_open()
            pc = _new_pc(self._ice_servers)
            tracks: dict[str, MediaStreamTrack] = {}
            pc.on("track", lambda track: tracks.setdefault(track.kind, track))
            pc.on(
                "connectionstatechange",
                lambda: logger.info(
                    "hearing %s: publish connection of member %s is %s",
                    self.hearing_id,
                    member.id,
                    pc.connectionState,
                ),
            )
            answer = await _answer(pc, offer_sdp)
            if self._closed:
                await pc.close()
                raise MediaError("room_closed", "the hearing has ended")
            recorder = await self._replace_publication(member, frozenset(tracks), size)
            if self._closed:
                await pc.close()
                if recorder is not None:
                    await recorder.finish()
                raise MediaError("room_closed", "the hearing has ended")
            epoch = recorder.epoch if recorder else asyncio.get_running_loop().time()
            sources = {
                kind: _source(
                    kind,
                    member.id,
                    track,
                    recorder,
                    epoch,
                    video_size=size,
                    video_bitrate=self._video_bitrate,
                    is_muted=lambda: member.id in self._muted,
                )
                for kind, track in tracks.items()
            }
            for source in sources.values():
                source.start()
            self._publications[member.id] = _Publication(pc, sources, recorder)
            logger.info(
                "hearing %s: member %s publishes %s",
                self.hearing_id,
                member.id,
                "+".join(sorted(tracks)),
            )
            return answer

    async def subscribe(self, subscriber: Member, publisher_id: str, offer_sdp: str) -> str:
        """Answer a subscriber's offer with the publisher's tracks, per the offer's m-lines.

        An m-line for a kind the publisher does not send is answered inactive. A subscriber
        subscribing again to the same publisher replaces their previous connection.
        """
        self._check_open()
        kinds = _parse_offer(offer_sdp, RECEIVE_DIRECTIONS)
        async with self._locks[subscriber.id]:
            self._check_open()
            publication = self._publications.get(publisher_id)
            if publication is None or publication.closing:
                raise MediaError("not_publishing", f"member {publisher_id} is not publishing")
            pc = _new_pc(self._ice_servers)
            relays = [
                _send(_sending_transceiver(pc, kind, "sendonly"), publication.sources[kind])
                for kind in dict.fromkeys(kinds)
                if kind in publication.sources
            ]
            subscription = _Subscription(pc, relays)
            try:
                answer = await _answer(pc, offer_sdp)
            except MediaError:
                await subscription.close()
                raise
            if self._closed or publication.closing:
                await subscription.close()
                if self._closed:
                    raise MediaError("room_closed", "the hearing has ended")
                raise MediaError("not_publishing", f"member {publisher_id} stopped publishing")
            previous = self._subscriptions.get((subscriber.id, publisher_id))
            self._subscriptions[subscriber.id, publisher_id] = subscription
            if previous is not None:
                await previous.close()
            logger.info(
                "hearing %s: member %s subscribes to member %s",
                self.hearing_id,
                subscriber.id,
                publisher_id,
            )
            return answer

    def publishers(self) -> list[str]:
        """The ids of the members publishing now, in order of arrival."""
        return list(self._publications)

    async def mute(self, member_id: str, muted: bool) -> None:
        """Replace (or stop replacing) a member's audio by silence, for subscribers and the
        recording alike. Takes effect within one audio frame (20 ms)."""
        self._check_open()
        if muted:
            self._muted.add(member_id)
        else:
            self._muted.discard(member_id)
        logger.info(
            "hearing %s: member %s %s", self.hearing_id, member_id, "muted" if muted else "unmuted"
        )

    async def drop(self, member_id: str) -> RecordingResult | None:
        """Disconnect a member: their publish and subscribe connections, and every subscription
        others hold on them. Returns their finished recording (None if they were not publishing
        or nothing is recorded)."""
        self._check_open()
        async with self._locks[member_id]:
            publication = self._publications.pop(member_id, None)
            if publication is not None:
                publication.closing = True
            subscriptions = [
                self._subscriptions.pop(key)
                for key in list(self._subscriptions)
                if member_id in key
            ]
            await asyncio.gather(*(subscription.close() for subscription in subscriptions))
            if publication is None:
                return None
            await publication.close()
            logger.info("hearing %s: member %s dropped", self.hearing_id, member_id)
            return await publication.recorder.finish() if publication.recorder else None

    async def close(self) -> list[RecordingResult]:
        """End the hearing: close every connection and finish every recording.

        Returns the results of all recordings not already returned by ``drop()``, including
        those a reconnect with other media kinds replaced. Closing twice returns [].
        """
        if self._closed:
            return []
        self._closed = True
        subscriptions = list(self._subscriptions.values())
        publications = list(self._publications.values())
        self._subscriptions.clear()
        self._publications.clear()
        await asyncio.gather(*(subscription.close() for subscription in subscriptions))
        await asyncio.gather(*(publication.close() for publication in publications))
        finished = await asyncio.gather(
            *(publication.recorder.finish() for publication in publications if publication.recorder)
        )
        results = [*self._replaced_results, *finished]  # parts given while finishing included
        self._replaced_results.clear()
        logger.info("hearing %s: media room closed", self.hearing_id)
        return results

    def _check_open(self) -> None:
        if self._closed:
            raise MediaError("room_closed", "the hearing has ended")

    async def _replace_publication(
        self, member: Member, kinds: frozenset[str], video_size: tuple[int, int]
    ) -> _Recorder | None:
        """Close a member's previous publication, if any; return the recorder to use now."""
        previous = self._publications.get(member.id)
        recorder = previous.recorder if previous else None
        if previous is not None:
            previous.closing = True
            subscriptions = [
                self._subscriptions.pop(key)
                for key in list(self._subscriptions)
                if key[1] == member.id
            ]
            await asyncio.gather(*(subscription.close() for subscription in subscriptions))
            await previous.close()
            logger.info("hearing %s: member %s publishes again", self.hearing_id, member.id)
        if recorder is not None and (
            recorder.kinds != kinds or recorder.video_size != video_size or recorder.failed
        ):
            finished = await recorder.finish()
            if self._on_recording_done is not None:
                await self._on_recording_done(finished)
            else:
                self._replaced_results.append(finished)
            recorder = None
        if recorder is None and self._sink_for is not None:
            recorder = _Recorder(
                member,
                self._sink_for,
                kinds,
                video_size,
                self._on_recording_failure,
                on_segment=self._segment_done,
                segment_seconds=self._segment_seconds,
            )
        return recorder

    async def _segment_done(self, result: RecordingResult) -> None:
        """A part of a long recording is finished: kept at once, as a recording of its own."""
        if self._on_recording_done is not None:
            await self._on_recording_done(result)
        else:
            self._replaced_results.append(result)


class Echo:
    """The self-test's loopback: a browser's camera and microphone come back to it through the
    server, decoded and encoded as in a hearing, so the person sees and hears what the court
    would receive. Nothing is recorded.

    The browser offers one sendrecv m-line per track (audio, video or both).
    """

    def __init__(
        self,
        ice_servers: Sequence[RTCIceServer] = (),
        *,
        video_size: tuple[int, int] = (640, 480),
        video_bitrate: int = 800_000,
    ) -> None:
        self._ice_servers = list(ice_servers)
        self._video_size = video_size
        self._video_bitrate = video_bitrate
        self._pc: RTCPeerConnection | None = None
        self._sources: list[_Source] = []

    async def answer(self, offer_sdp: str) -> str:
        """Answer the browser's offer, sending each received track back; a second call replaces
        the first connection."""
        kinds = _parse_offer(offer_sdp, SEND_DIRECTIONS)
        if len(set(kinds)) < len(kinds):
            raise MediaError("bad_offer", "one audio and at most one video track can be echoed")
        await self.close()
        pc = self._pc = _new_pc(self._ice_servers)
        transceivers = {kind: _sending_transceiver(pc, kind, "sendrecv") for kind in kinds}
        epoch = asyncio.get_running_loop().time()

        def send_back() -> None:
            for kind, transceiver in transceivers.items():
                source = _source(
                    kind,
                    "echo",
                    transceiver.receiver.track,
                    None,
                    epoch,
                    video_size=self._video_size,
                    video_bitrate=self._video_bitrate,
                    is_muted=lambda: False,
                )
                _send(transceiver, source)
                self._sources.append(source)

        answer = await _answer(pc, offer_sdp, send_back)
        for source in self._sources:
            source.start()
        return answer

    async def close(self) -> None:
        """End the loopback (idempotent)."""
        if self._pc is not None:
            await self._pc.close()
        await asyncio.gather(*(source.stop() for source in self._sources))
        self._pc = None
        self._sources = []
