"""Test helpers for the media engine: aiortc peers standing in for the participants' browsers.

Each "browser" publishes a solid-colour video (one colour per participant, so a test can tell
whose frames it sees) and a tone, and subscribes with recvonly offers, as the real client does.
All connections run on loopback, without STUN.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import io
import math
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import av
from aiortc import (
    AudioStreamTrack,
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
    VideoStreamTrack,
)
from aiortc.mediastreams import MediaStreamError

from netcourt.hearings.media import MediaError, Member, Room

RGB = tuple[int, int, int]
RED: RGB = (220, 30, 30)
BLUE: RGB = (30, 30, 220)
GREEN: RGB = (30, 200, 30)

TONE_RATE = 48_000
TONE_SAMPLES = 960  # 20 ms
# One second of a 440 Hz tone (s16 mono): a whole number of periods, so it loops seamlessly.
TONE_SECOND = b"".join(
    struct.pack("<h", round(8000 * math.sin(2 * math.pi * 440 * i / TONE_RATE)))
    for i in range(TONE_RATE)
)


def _yuv(rgb: RGB) -> tuple[int, int, int]:
    """BT.601 limited-range YUV of an RGB colour."""
    r, g, b = rgb
    y = 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255
    u = 128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255
    v = 128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255
    return round(y), round(u), round(v)


class ColourTrack(VideoStreamTrack):
    """A camera filming a wall of one colour, at 30 frames per second."""

    def __init__(self, rgb: RGB, size: tuple[int, int]) -> None:
        super().__init__()
        self._size = size
        self._planes = _yuv(rgb)

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = av.VideoFrame(self._size[0], self._size[1], "yuv420p")
        for plane, value in zip(frame.planes, self._planes, strict=True):
            plane.update(bytes([value]) * plane.buffer_size)
        frame.pts = pts
        frame.time_base = time_base
        return frame


class ToneTrack(AudioStreamTrack):
    """A microphone hearing a steady 440 Hz tone (48 kHz mono, 20 ms frames)."""

    def __init__(self) -> None:
        super().__init__()
        self._sent = 0
        self._started_at: float | None = None

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._started_at is None:
            self._started_at = time.time()
        else:
            await asyncio.sleep(self._started_at + self._sent / TONE_RATE - time.time())
        frame = av.AudioFrame(format="s16", layout="mono", samples=TONE_SAMPLES)
        start = self._sent % TONE_RATE * 2
        frame.planes[0].update(TONE_SECOND[start : start + TONE_SAMPLES * 2])
        frame.pts = self._sent
        frame.sample_rate = TONE_RATE
        frame.time_base = fractions.Fraction(1, TONE_RATE)
        self._sent += TONE_SAMPLES
        return frame


def colour_of(frame: av.VideoFrame) -> RGB:
    """The colour in the middle of a frame."""
    tiny = frame.reformat(width=4, height=4, format="rgb24")
    row = bytes(tiny.planes[0])[tiny.planes[0].line_size * 2 :]
    r, g, b = row[6:9]
    return r, g, b


def looks_like(seen: RGB, expected: RGB, tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(seen, expected, strict=True))


def peak(frame: av.AudioFrame) -> int:
    """The loudest sample of a frame, on the 16-bit scale (s16 from aiortc, fltp from WebM)."""
    if frame.format.name == "fltp":
        return max(
            (
                round(abs(sample) * 32767)
                for plane in frame.planes
                for (sample,) in struct.iter_unpack("<f", bytes(plane)[: frame.samples * 4])
            ),
            default=0,
        )
    assert frame.format.name == "s16", frame.format.name
    data = bytes(frame.planes[0])[: frame.samples * len(frame.layout.channels) * 2]
    return max((abs(sample) for (sample,) in struct.iter_unpack("<h", data)), default=0)


def new_pc() -> RTCPeerConnection:
    return RTCPeerConnection(RTCConfiguration(iceServers=[]))


def is_closed(pc: RTCPeerConnection) -> bool:
    """Whether a connection has ended (closed by either side, or failed)."""
    return pc.connectionState in ("closed", "failed")


async def offer_of(pc: RTCPeerConnection) -> str:
    """The complete (non-trickle) offer, as the browser sends it."""
    await pc.setLocalDescription(await pc.createOffer())
    return pc.localDescription.sdp


async def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll ``condition`` until it holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for a condition")
        await asyncio.sleep(0.05)


async def publish(
    room: Room,
    member: Member,
    rgb: RGB | None,
    size: tuple[int, int] = (320, 240),
    *,
    tone: bool = True,
    video_size: tuple[int, int] | None = None,
) -> RTCPeerConnection:
    """A browser publishing a tone (unless ``tone`` is false, as for a shared screen) and,
    unless ``rgb`` is None (audio-only), a colour."""
    pc = new_pc()
    if tone:
        pc.addTransceiver(ToneTrack(), direction="sendonly")
    if rgb is not None:
        pc.addTransceiver(ColourTrack(rgb, size), direction="sendonly")
    try:
        answer = await room.publish(member, await offer_of(pc), video_size=video_size)
    except MediaError:
        await pc.close()
        raise
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    return pc


@dataclass
class Subscription:
    """A browser's receiving connection, keeping the frames it received."""

    pc: RTCPeerConnection
    video: list[av.VideoFrame] = field(default_factory=list)
    audio: list[av.AudioFrame] = field(default_factory=list)
    ended: set[str] = field(default_factory=set)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def collect(self, track: MediaStreamTrack) -> None:
        """Keep a received track's frames (a handler for the connection's "track" event)."""
        self.tasks.append(asyncio.create_task(self._collect(track)))

    async def _collect(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                frame = await track.recv()
                if isinstance(frame, av.VideoFrame):
                    self.video.append(frame)
                elif isinstance(frame, av.AudioFrame):
                    self.audio.append(frame)
        except MediaStreamError:
            self.ended.add(track.kind)

    async def close(self) -> None:
        await self.pc.close()
        for task in self.tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def subscribe(
    room: Room, member: Member, publisher_id: str, kinds: tuple[str, ...] = ("audio", "video")
) -> Subscription:
    """A browser subscribing to a publisher with one recvonly m-line per kind."""
    pc = new_pc()
    subscription = Subscription(pc)
    for kind in kinds:
        pc.addTransceiver(kind, direction="recvonly")

    pc.on("track", subscription.collect)
    try:
        answer = await room.subscribe(member, publisher_id, await offer_of(pc))
    except MediaError:
        await pc.close()
        raise
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    return subscription


class MemorySink:
    """A write-only recording sink (no seek, no close), as the engine's contract allows."""

    def __init__(self, fail_after: int | None = None) -> None:
        self.data = bytearray()
        self.fail_after = fail_after

    def write(self, data: bytes, /) -> int:
        if self.fail_after is not None and len(self.data) + len(data) > self.fail_after:
            raise OSError("disk full")
        self.data += data
        return len(data)


@dataclass
class Decoded:
    """What a recorded WebM holds, decoded."""

    kinds: set[str]
    video_size: tuple[int, int] | None
    video: list[RGB]
    audio_frames: int
    audio_peak: int


def decode_webm(data: bytes) -> Decoded:
    with av.open(io.BytesIO(data), mode="r", format="webm") as container:
        kinds: set[str] = {stream.type for stream in container.streams}
        video_size = None
        if container.streams.video:
            stream = container.streams.video[0]
            video_size = (stream.codec_context.width, stream.codec_context.height)
        colours: list[RGB] = []
        audio_frames = 0
        audio_peak = 0
        for frame in container.decode(*container.streams):
            if isinstance(frame, av.VideoFrame):
                colours.append(colour_of(frame))
            elif isinstance(frame, av.AudioFrame):
                audio_frames += 1
                audio_peak = max(audio_peak, peak(frame))
    return Decoded(kinds, video_size, colours, audio_frames, audio_peak)
