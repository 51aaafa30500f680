"""How many participants one video hearing holds, and how many hearings run at once.

The script builds a fresh court the way ``make run`` does (a temporary ``NETCOURT_DATA_DIR``,
``netcourt migrate``, ``netcourt demo``) and starts ``netcourt serve --host 127.0.0.1 --port P``
with ``NETCOURT_JOBS=immediate`` and everything else at its defaults: one uvicorn process,
whose event loop also runs the embedded aiortc media server and writes the recordings
(decision 0006). It then opens hearings in that court, each on a demo case with the case's
judge presiding and witnesses the judge invited (``actions.invite``); every person gets a
signed-in session (Django's session store, as ``django.contrib.auth.login`` leaves it) and a
single-use pass (``actions.issue_pass``, with a second factor used just now).

The "browsers" run in other processes (``multiprocessing``, spawned, so that their CPU is not
counted as the server's): aiortc peers speaking the courtroom's protocol over a real WebSocket
(``ws://127.0.0.1:P/hearings/<id>/room``, with the session cookie and the court's Origin).
The judge enters first and admits everyone from the roster; each person publishes a 640×480,
30 fps camera and a tone, and subscribes to every other publisher, as the court's page does.

What the browsers send is encoded once, before the runs: 4 s of FFmpeg's ``testsrc2`` (moving
patterns, colour bars, a running clock) with temporal noise (``noise=alls=6:allf=t``, like a
camera's sensor) as VP8, as aiortc encodes a camera, at a 1 Mbit/s target, and 1 s of a 440 Hz
tone as Opus, both looped. So the server receives real VP8 and Opus and does all of its own
work: it decodes each publisher once, encodes VP8 and Opus once, sends the packets to every
subscriber over SRTP and muxes them into the encrypted WebM recording. The browsers spend no
CPU encoding, and most of them none decoding either, because they share the server's two
cores. The judges' browsers (one process) receive as aiortc does (jitter buffer, NACKs,
decoders) and count the frames they decode, checking they are 640×480. Everyone else's
browsers (the other processes) count what arrives at the RTP level instead of aiortc's
reception (`PacketCounter`): a video frame counts when every one of its packets arrived,
which is when a browser could decode it. With aiortc's reception in every browser (and no
decoding), the browsers needed about 0.03 of a core per subscription, four times what the
server spends sending it: 0.66 cores beside the server's 0.85 in a hearing of 5.

Each run waits until every subscription receives video, lets it settle (``--warmup``), then
measures for ``--seconds``: the server process's CPU (user + system of all its threads, from
/proc; and of its main thread, the event loop, alone), the browsers' processes' CPU, the rest
of the machine's, and the frames each subscription received. Then each judge ends their hearing, and the script checks in the
database that every participant's recording was stored, and how large it is.

A run *holds* when every subscription received at least 20 video frames a second and the
server used less than 1.8 cores. The sweeps: one hearing of 2, 3, 4 … people until a run does
not hold (or ``--max-participants``); then, for each of ``--sizes`` (2 and 4 people), 1, 2, 3 …
such hearings at once until a run does not hold (or ``--max-hearings``). One server serves
every run; each run has new hearings.

The server is stopped, the browsers' processes ended and the temporary data directory removed
on exit, on error and on Ctrl-C. The exit status is non-zero when a hearing did not come up or
a recording was not stored.

    .venv/bin/python bench/hearing.py [--max-participants 12] [--max-hearings 10]
                                      [--sizes 2,4] [--seconds 10] [--warmup 3]
                                      [--client-processes 3] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import multiprocessing
import os
import signal
import statistics
import struct
import sys
import tempfile
import threading
import time
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fractions import Fraction
from importlib import import_module, metadata
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import av
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpReceiver,
    RTCRtpSender,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError
from aiortc.rtp import RtpPacket
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException
from websockets.typing import Origin

from filing import (
    BUSY_WARNING_CORES,
    HOST,
    background_load,
    free_port,
    log,
    machine,
    run_netcourt,
    running_server,
)

FPS = 30
SIZE = (640, 480)
CAMERA = f"testsrc2=size={SIZE[0]}x{SIZE[1]}:rate={FPS},noise=alls=6:allf=t"
CAMERA_SECONDS = 4
CAMERA_BITRATE = 1_000_000
AUDIO_RATE = 48_000
AUDIO_SAMPLES = 960  # 20 ms
VIDEO_TIME_BASE = Fraction(1, 90_000)
AUDIO_TIME_BASE = Fraction(1, AUDIO_RATE)

MIN_FPS = 20.0
MAX_SERVER_CORES = 1.8
SATURATED_SHARE = 0.95  # of all cores: above it, the machine had no CPU to spare
READY_SECONDS = 30.0  # to bring a run's hearings up, plus READY_PER_CONNECTION each
READY_PER_CONNECTION = 0.3
END_SECONDS = 60.0
QUIET_SERVER_CORES = 0.05


# --- what the browsers send ---------------------------------------------------------------


def camera_loop() -> list[bytes]:
    """``CAMERA_SECONDS`` of the synthetic camera as VP8 frames, the first a keyframe (so the
    loop can start again there), encoded with aiortc's settings for a camera."""
    frames: list[av.VideoFrame] = []
    with av.open(CAMERA, format="lavfi") as source:
        for frame in source.decode(video=0):
            frames.append(frame)
            if len(frames) == FPS * CAMERA_SECONDS:
                break
    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height = SIZE
    codec.pix_fmt = "yuv420p"
    codec.time_base = VIDEO_TIME_BASE
    codec.bit_rate = CAMERA_BITRATE
    codec.gop_size = 3000
    codec.thread_count = 1
    codec.qmin, codec.qmax = 2, 56
    codec.options = {
        "bufsize": str(CAMERA_BITRATE),
        "cpu-used": "-6",
        "deadline": "realtime",
        "lag-in-frames": "0",
        "minrate": str(CAMERA_BITRATE),
        "maxrate": str(CAMERA_BITRATE),
        "noise-sensitivity": "4",
        "overshoot-pct": "15",
        "partitions": "0",
        "static-thresh": "1",
        "undershoot-pct": "100",
    }
    packets: list[bytes] = []
    for n, frame in enumerate(frames):
        frame.pts = n * VIDEO_TIME_BASE.denominator // FPS
        frame.time_base = VIDEO_TIME_BASE
        frame.pict_type = (
            av.video.frame.PictureType.I if n == 0 else av.video.frame.PictureType.NONE
        )
        packets += [bytes(packet) for packet in codec.encode(frame)]
    packets += [bytes(packet) for packet in codec.encode(None)]
    return packets


def tone_loop() -> list[bytes]:
    """One second of a 440 Hz tone as 20 ms Opus packets (stereo, 48 kHz)."""
    codec = av.CodecContext.create("libopus", "w")
    codec.sample_rate = AUDIO_RATE
    codec.layout = "stereo"
    codec.format = "s16"
    codec.time_base = AUDIO_TIME_BASE
    codec.bit_rate = 64_000
    packets: list[bytes] = []
    for n in range(AUDIO_RATE // AUDIO_SAMPLES):
        frame = av.AudioFrame(format="s16", layout="stereo", samples=AUDIO_SAMPLES)
        samples = [
            round(8000 * math.sin(2 * math.pi * 440 * i / AUDIO_RATE))
            for i in range(n * AUDIO_SAMPLES, (n + 1) * AUDIO_SAMPLES)
            for _channel in range(2)
        ]
        frame.planes[0].update(struct.pack(f"<{len(samples)}h", *samples))
        frame.sample_rate = AUDIO_RATE
        frame.pts = n * AUDIO_SAMPLES
        frame.time_base = AUDIO_TIME_BASE
        packets += [bytes(packet) for packet in codec.encode(frame)]
    packets += [bytes(packet) for packet in codec.encode(None)]
    return packets


class EncodedTrack(MediaStreamTrack):
    """A browser's camera or microphone: encoded packets from a loop, sent in real time.

    aiortc's sender packetizes an ``av.Packet`` as it is, without encoding it again.
    """

    def __init__(self, kind: str, packets: list[bytes], step: int, time_base: Fraction) -> None:
        super().__init__()
        self.kind = kind
        self._packets = packets
        self._step = step  # pts units between two packets
        self._time_base = time_base
        self._sent = 0
        self._start: float | None = None

    async def recv(self) -> av.Packet:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        else:
            due = self._start + float(self._sent * self._step * self._time_base)
            await asyncio.sleep(due - time.monotonic())
        packet = av.Packet(self._packets[self._sent % len(self._packets)])
        packet.pts = packet.dts = self._sent * self._step
        packet.time_base = self._time_base
        self._sent += 1
        return packet


# --- the browsers (in their own processes) ---------------------------------------------------


@dataclass(frozen=True)
class Seat:
    """One person's place in one hearing of a run, as their browser needs it."""

    hearing: int  # the hearing's index in the run
    hearing_id: str
    participant: int  # their seat in the room (the Participant's id)
    judge: bool
    cookie: str  # the session key of their signed-in browser
    pass_: str
    others: int  # how many other people publish in the hearing


@dataclass
class Received:
    """What one subscription received."""

    video: int = 0  # complete frames (decoded ones, in a judge's browser)
    video_bytes: int = 0  # RTP payload bytes of video (counted where not decoded)
    audio: int = 0  # Opus packets (decoded frames, in a judge's browser)
    sizes: set[tuple[int, int]] = field(default_factory=set)  # decoded frames' sizes


@dataclass
class PacketCounter:
    """Counts what reaches one receiver, in place of aiortc's jitter buffer and decoder.

    A video frame counts when its last packet (the RTP marker) arrives and no packet was
    missing since the previous frame's last one: every packet of it arrived, so a browser
    could decode it. Nothing is asked again (no NACK, no picture loss indication).
    """

    kind: str
    received: Received
    last_sequence: int | None = None
    intact: bool = True

    def count(self, packet: RtpPacket) -> None:
        if self.kind == "audio":
            self.received.audio += 1
            return
        self.received.video_bytes += len(packet.payload)
        expected = None if self.last_sequence is None else (self.last_sequence + 1) & 0xFFFF
        if expected is not None and packet.sequence_number != expected:
            self.intact = False
        self.last_sequence = packet.sequence_number
        if packet.marker:
            if self.intact:
                self.received.video += 1
            self.intact = True


COUNTERS: dict[RTCRtpReceiver, PacketCounter] = {}


def _prepare_browser_process(decode: bool) -> None:
    """The browsers' ICE candidates on 127.0.0.1 only (the server's are this machine's own
    addresses: aioice leaves out loopback). Unless ``decode``, each receiver only counts the
    packets it gets (`PacketCounter`): aiortc's reception (jitter buffer, NACKs, a decoder
    thread, one cross-thread hand-over per frame) costs four times the server's sending."""
    import aioice.ice

    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: [HOST]
    if decode:
        return

    async def count(self: RTCRtpReceiver, packet: RtpPacket, arrival_time_ms: int) -> None:
        counter = COUNTERS.get(self)
        if counter is not None:
            counter.count(packet)

    RTCRtpReceiver._handle_rtp_packet = count  # type: ignore[method-assign]


def _codecs(kind: str, names: tuple[str, ...]) -> list[Any]:
    capabilities = RTCRtpSender.getCapabilities(kind).codecs
    return [codec for codec in capabilities if codec.mimeType.lower() in names]


class Browser:
    """One person's browser in a hearing: the room's socket, a publication, subscriptions."""

    def __init__(
        self,
        seat: Seat,
        port: int,
        cookie_name: str,
        camera: list[bytes],
        tone: list[bytes],
        decode: bool,
    ) -> None:
        self.seat = seat
        self.decode = decode
        self.url = f"ws://{HOST}:{port}/hearings/{seat.hearing_id}/room"
        self.origin = Origin(f"http://{HOST}:{port}")
        self.cookie = f"{cookie_name}={seat.cookie}"
        self.camera = camera
        self.tone = tone
        self.received: dict[str, Received] = {}
        self.errors: list[str] = []
        self.published = False
        self.ended = False
        self._socket: ClientConnection | None = None
        self._answers: dict[str, asyncio.Future[str]] = {}
        self._admitting: set[int] = set()
        self._pcs: list[RTCPeerConnection] = []
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def ready(self) -> bool:
        return (
            self.published
            and len(self.received) == self.seat.others
            and all(received.video > 0 for received in self.received.values())
        )

    async def run(self) -> None:
        try:
            async with connect(
                self.url,
                origin=self.origin,
                additional_headers={"Cookie": self.cookie},
                proxy=None,
                compression=None,
                max_size=None,
            ) as socket:
                self._socket = socket
                await self._say({"type": "hello", "pass": self.seat.pass_})
                async for text in socket:
                    message = json.loads(text)
                    self._on(message)
                    if message["type"] in ("ended", "refused", "removed"):
                        break
        except (OSError, WebSocketException) as error:
            self.errors.append(f"socket: {type(error).__name__}: {error}")

    async def end(self) -> None:
        """The judge ends the hearing."""
        await self._say({"type": "end"})

    async def close(self) -> None:
        for pc in self._pcs:
            await pc.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _on(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "admitted":
            self._spawn(self._publish())
        elif kind == "publishers":
            for publisher in message["publishers"]:
                pid = str(publisher["id"])
                if publisher["kind"] != "camera" or pid == str(self.seat.participant):
                    continue
                if pid not in self.received:
                    self.received[pid] = Received()
                    self._spawn(self._subscribe(pid))
        elif kind == "roster" and self.seat.judge:
            for person in message["people"]:
                if not person["admitted"] and person["id"] not in self._admitting:
                    self._admitting.add(person["id"])
                    self._spawn(self._say({"type": "admit", "id": person["id"]}))
        elif kind == "answer":
            key = "publish" if message.get("for") == "publish" else str(message.get("publisher"))
            answer = self._answers.pop(key, None)
            if answer is not None and not answer.done():
                answer.set_result(str(message["sdp"]))
        elif kind in ("error", "refused", "removed"):
            self.errors.append(f"{kind}: {message.get('code', '')}")
        elif kind == "ended":
            self.ended = True

    async def _say(self, message: dict[str, Any]) -> None:
        if self._socket is not None:
            await self._socket.send(json.dumps(message))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            error = task.exception()
            self.errors.append(f"{type(error).__name__}: {error}")

    async def _negotiate(self, pc: RTCPeerConnection, key: str, message: dict[str, Any]) -> None:
        """Offer (all candidates in it), send the offer, apply the server's answer."""
        self._pcs.append(pc)
        await pc.setLocalDescription(await pc.createOffer())
        answer = self._answers[key] = asyncio.get_running_loop().create_future()
        await self._say({**message, "sdp": pc.localDescription.sdp})
        sdp = await answer
        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))

    async def _publish(self) -> None:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        audio = EncodedTrack("audio", self.tone, AUDIO_SAMPLES, AUDIO_TIME_BASE)
        video = EncodedTrack(
            "video", self.camera, VIDEO_TIME_BASE.denominator // FPS, VIDEO_TIME_BASE
        )
        pc.addTransceiver(audio, direction="sendonly").setCodecPreferences(
            _codecs("audio", ("audio/opus",))
        )
        pc.addTransceiver(video, direction="sendonly").setCodecPreferences(
            _codecs("video", ("video/vp8", "video/rtx"))
        )
        await self._negotiate(pc, "publish", {"type": "publish", "kind": "camera"})
        self.published = True

    async def _subscribe(self, publisher: str) -> None:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        received = self.received[publisher]
        for kind in ("audio", "video"):
            receiver = pc.addTransceiver(kind, direction="recvonly").receiver
            if not self.decode:
                COUNTERS[receiver] = PacketCounter(kind, received)
        if self.decode:
            pc.on("track", lambda track: self._spawn(self._decode(track, received)))
        await self._negotiate(pc, publisher, {"type": "subscribe", "publisher": publisher})

    @staticmethod
    async def _decode(track: MediaStreamTrack, received: Received) -> None:
        """Count the decoded frames of a track (in a judge's browser, which decodes)."""
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                if isinstance(frame, av.VideoFrame):
                    received.video += 1
                    received.sizes.add((frame.width, frame.height))
                else:
                    received.audio += 1


def browsers(
    conn: Connection,
    port: int,
    cookie_name: str,
    seats: list[Seat],
    decode: bool,
    camera: list[bytes],
    tone: list[bytes],
) -> None:
    """A browsers' process: its people enter, publish and subscribe; it then answers the
    bench's commands (``count``, ``end``) over ``conn``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the bench ends it
    _prepare_browser_process(decode)
    asyncio.run(_browsers(conn, port, cookie_name, seats, camera, tone, decode))


async def _browsers(
    conn: Connection,
    port: int,
    cookie_name: str,
    seats: list[Seat],
    camera: list[bytes],
    tone: list[bytes],
    decode: bool,
) -> None:
    loop = asyncio.get_running_loop()
    commands: asyncio.Queue[str] = asyncio.Queue()

    def read() -> None:
        try:
            while True:
                command = conn.recv()
                loop.call_soon_threadsafe(commands.put_nowait, command)
        except (EOFError, OSError):
            loop.call_soon_threadsafe(commands.put_nowait, "end")

    threading.Thread(target=read, daemon=True).start()
    people = [Browser(seat, port, cookie_name, camera, tone, decode) for seat in seats]
    runs = [asyncio.create_task(person.run()) for person in people]
    while not all(person.ready for person in people):
        errors = [f"{p.seat.participant}: {e}" for p in people for e in p.errors]
        if errors or any(run.done() for run in runs):
            _tell(conn, {"error": "; ".join(errors) or "a socket closed before the hearing began"})
            break
        if not commands.empty():  # the bench stopped waiting (another process failed)
            break
        await asyncio.sleep(0.05)
    else:
        _tell(conn, {"ready": True})
    while await commands.get() != "end":  # "count"
        counts = {  # plain values: this module is __mp_main__ here, not in the bench
            f"{p.seat.hearing}:{p.seat.participant}<{publisher}": (
                r.video,
                r.video_bytes,
                r.audio,
                sorted(r.sizes),
            )
            for p in people
            for publisher, r in p.received.items()
        }
        _tell(conn, {"counts": counts})
    for person in people:
        if person.seat.judge:
            await person.end()
    await asyncio.wait(runs, timeout=END_SECONDS)
    for person in people:
        await person.close()
    _tell(
        conn,
        {
            "done": True,
            "not_ended": [p.seat.participant for p in people if not p.ended],
            "errors": [f"{p.seat.participant}: {e}" for p in people for e in p.errors],
        },
    )


def _tell(conn: Connection, message: dict[str, Any]) -> None:
    """Answer the bench, unless it has stopped listening (it was interrupted)."""
    with contextlib.suppress(OSError):
        conn.send(message)


# --- the court (this process, through Django's ORM) ------------------------------------------


class Court:
    """The court under test, seen from the bench: it opens hearings and reads what they left."""

    def __init__(self) -> None:
        from netcourt.cases.models import Case

        self.cases = list(
            Case.objects.filter(judge__isnull=False).select_related("judge").order_by("number")
        )
        if not self.cases:
            raise RuntimeError("the demo made no case with a judge")
        self._witnesses: list[Any] = []
        self._next_case = 0

    def witness(self, n: int) -> Any:
        from netcourt.accounts.models import User

        while len(self._witnesses) <= n:
            number = len(self._witnesses) + 1
            self._witnesses.append(
                User.objects.create_user(
                    username=f"bench-witness-{number}",
                    email=f"witness{number}@bench.netcourt.localhost",
                    display_name=f"Witness {number}",
                )
            )
        return self._witnesses[n]

    @staticmethod
    def session(user: Any) -> str:
        """A new signed-in browser session of ``user``: its key (the cookie's value)."""
        from django.conf import settings
        from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

        store = import_module(settings.SESSION_ENGINE).SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        return str(store.session_key)

    def open(self, hearings: int, people: int) -> list[Seat]:
        """``hearings`` online hearings starting now, each with its case's judge and
        ``people - 1`` invited witnesses; a seat (session and pass) for each person."""
        from netcourt.accounts.mfa import StepUp
        from netcourt.core import clock
        from netcourt.hearings import actions
        from netcourt.hearings.models import Hearing, Mode, Role

        seats: list[Seat] = []
        for h in range(hearings):
            case = self.cases[self._next_case % len(self.cases)]
            self._next_case += 1
            now = clock.now()
            hearing = Hearing.objects.create(
                case=case,
                scheduled_by=case.events.order_by("-seq").first(),
                starts_at=now,
                minutes=30,
                mode=Mode.ONLINE,
                public=False,
            )
            judge = actions.participant_for(case.judge, hearing)
            if judge is None:
                raise RuntimeError(f"the judge of {case.number} has no place in its hearing")
            witnesses = [self.witness(h * (people - 1) + i) for i in range(people - 1)]
            invited = [
                actions.invite(hearing, user, Role.WITNESS, by=case.judge) for user in witnesses
            ]
            for participant in (judge, *invited):
                seats.append(
                    Seat(
                        hearing=h,
                        hearing_id=str(hearing.pk),
                        participant=int(participant.pk),
                        judge=participant is judge,
                        cookie=self.session(participant.user),
                        pass_=actions.issue_pass(participant, StepUp(method="bench", at=now)),
                        others=people - 1,
                    )
                )
        return seats

    @staticmethod
    def recordings(hearing_ids: list[str], people: int, timeout: float) -> dict[str, Any]:
        """Wait until the hearings have ended (their recordings are then in); say what was
        stored."""
        from django.db import connection

        from netcourt.hearings.models import Hearing, HearingStatus, Recording, RecordingStatus

        deadline = time.monotonic() + timeout
        # A hearing is marked ended after its recordings were stored (`Courtroom.end`).
        while (
            ended := Hearing.objects.filter(pk__in=hearing_ids, status=HearingStatus.ENDED).count()
        ) < len(hearing_ids) and time.monotonic() < deadline:
            time.sleep(0.2)
        rows = list(Recording.objects.filter(hearing_id__in=hearing_ids).select_related("blob"))
        connection.close()
        stored = [r for r in rows if r.status == RecordingStatus.STORED and r.blob]
        minutes = [(r.ended_at - r.started_at).total_seconds() / 60 for r in stored if r.ended_at]
        fps = [
            r.video_frames / ((r.ended_at - r.started_at).total_seconds() or 1)
            for r in stored
            if r.ended_at
        ]
        size = sum(r.blob.size for r in stored if r.blob)
        return {
            "hearings_ended": ended,
            "expected": len(hearing_ids) * people,
            "stored": len(stored),
            "failed": [r.error or r.status for r in rows if r not in stored],
            "bytes": size,
            "mb_per_participant_minute": round(size / 1e6 / sum(minutes), 2) if minutes else 0.0,
            "video_fps_min": round(min(fps), 1) if fps else 0.0,
        }


# --- measuring ---------------------------------------------------------------------------------


def process_cpu(pid: int, thread: int | None = None) -> float:
    """CPU seconds (user + system) a process has used, all its threads or only ``thread``;
    0 once it is gone."""
    stat = Path(f"/proc/{pid}/task/{thread}/stat" if thread else f"/proc/{pid}/stat")
    try:
        fields = stat.read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu() -> tuple[int, int, int, int]:
    """The whole machine's ticks: all, idle (with I/O wait), interrupts (hard and soft: the
    kernel's share of the network traffic, counted to no process) and stolen by the host."""
    parts = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return sum(parts[:8]), parts[3] + parts[4], parts[5] + parts[6], parts[7]


def udp_drops(pid: int) -> int:
    """Datagrams the kernel dropped, since they were opened, because a UDP socket of the
    process was full: it did not read them in time."""
    inodes = set()
    with contextlib.suppress(OSError):
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                link = os.readlink(fd)
                if link.startswith("socket:["):
                    inodes.add(link[len("socket:[") : -1])
    drops = 0
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if fields[9] in inodes:
                    drops += int(fields[-1])
    return drops


class Meter:
    """Cores used over an interval: the server, each browsers' process, and the machine;
    and the datagrams the server's and the browsers' sockets dropped."""

    def __init__(self, server: int, clients: list[int]) -> None:
        self.server = server
        self.clients = clients
        self.t0 = time.perf_counter()
        self.cpu0 = [process_cpu(pid) for pid in (server, *clients)]
        self.loop0 = process_cpu(server, server)
        self.drops0 = [udp_drops(pid) for pid in (server, *clients)]
        self.machine0 = machine_cpu()

    def stop(self) -> dict[str, Any]:
        wall = time.perf_counter() - self.t0
        cores = [
            (process_cpu(pid) - before) / wall
            for pid, before in zip((self.server, *self.clients), self.cpu0, strict=True)
        ]
        total, idle, interrupts, steal = (
            now - before for now, before in zip(machine_cpu(), self.machine0, strict=True)
        )
        count = os.cpu_count() or 1

        def share(ticks: int) -> float:
            return count * ticks / total if total else 0.0

        busy = share(total - idle - steal)
        return {
            "server": round(cores[0], 3),
            # The server's main thread runs the event loop: all of the Python work (Django,
            # signalling, RTP, SRTP); codecs and the recordings' muxing run in other threads.
            "server_loop": round((process_cpu(self.server, self.server) - self.loop0) / wall, 3),
            "clients": round(sum(cores[1:]), 3),
            "client_processes": [round(c, 3) for c in cores[1:]],
            "machine": round(busy, 3),
            "other": round(max(0.0, busy - sum(cores)), 3),
            "interrupts": round(share(interrupts), 3),
            "stolen": round(share(steal), 3),
            "server_udp_drops": udp_drops(self.server) - self.drops0[0],
            "browser_udp_drops": sum(
                udp_drops(pid) - before
                for pid, before in zip(self.clients, self.drops0[1:], strict=True)
            ),
        }


def server_cores(pid: int, seconds: float) -> float:
    before, t0 = process_cpu(pid), time.perf_counter()
    time.sleep(seconds)
    return (process_cpu(pid) - before) / (time.perf_counter() - t0)


def wait_quiet(pid: int, timeout: float = 15.0) -> float:
    """Wait until the server idles (what an ended hearing leaves winds down); its cores then."""
    deadline = time.monotonic() + timeout
    while (cores := server_cores(pid, 0.5)) > QUIET_SERVER_CORES and time.monotonic() < deadline:
        continue
    return round(cores, 3)


def spread(values: list[float]) -> dict[str, float]:
    if not values:
        return {"min": 0.0, "median": 0.0, "max": 0.0}
    return {
        "min": round(min(values), 1),
        "median": round(statistics.median(values), 1),
        "max": round(max(values), 1),
    }


# --- one run -------------------------------------------------------------------------------------


@dataclass
class Setup:
    """What every run shares."""

    port: int
    server_pid: int
    cookie_name: str
    camera: list[bytes]
    tone: list[bytes]
    seconds: float
    warmup: float
    client_processes: int


def _assign(seats: list[Seat], processes: int) -> list[list[Seat]]:
    """The judges in the first process (which decodes video); the others in turn over the rest."""
    judges = [seat for seat in seats if seat.judge]
    others = [seat for seat in seats if not seat.judge]
    rest = max(1, min(processes - 1, len(others)))
    groups = [judges] + [others[i::rest] for i in range(rest)]
    return [group for group in groups if group]


def _expect(conns: list[Connection], key: str, timeout: float) -> tuple[list[dict[str, Any]], str]:
    """Each process's next message carrying ``key``, or why not: while waiting for
    ``ready``, an error; otherwise, messages without ``key`` (an error another process's
    failure left unread) are passed over."""
    replies: dict[int, dict[str, Any]] = {}
    deadline = time.monotonic() + timeout
    while len(replies) < len(conns):
        left = deadline - time.monotonic()
        waiting = [c for i, c in enumerate(conns) if i not in replies]
        if left <= 0 or not (ready := wait(waiting, left)):
            return [], f"no {key!r} from a browsers' process within {timeout:.0f} s"
        for conn in ready:
            assert isinstance(conn, Connection)
            try:
                message = conn.recv()
            except EOFError:
                return [], "a browsers' process exited"
            if key in message:
                replies[conns.index(conn)] = message
            elif key == "ready":
                return [], str(message.get("error", message))
    return [replies[i] for i in range(len(conns))], ""


def run(court: Court, setup: Setup, hearings: int, people: int) -> dict[str, Any]:
    """``hearings`` hearings of ``people`` people at once: bring them up, measure, end them."""
    from django.db import connection

    idle = wait_quiet(setup.server_pid)
    seats = court.open(hearings, people)
    connection.close()  # the server has the database to itself during the run
    hearing_ids = sorted({seat.hearing_id for seat in seats})
    groups = _assign(seats, setup.client_processes)
    context = multiprocessing.get_context("spawn")
    processes: list[BaseProcess] = []
    conns: list[Connection] = []
    result: dict[str, Any] = {
        "hearings": hearings,
        "people": people,
        "participants": hearings * people,
        "subscriptions": hearings * people * (people - 1),
        "browser_processes": len(groups),
        "idle_server_cores_before": idle,
    }
    log(f"run: {hearings} hearing(s) of {people}, {len(groups)} browsers' processes")
    t0 = time.perf_counter()
    try:
        for n, group in enumerate(groups):
            ours, theirs = context.Pipe()
            process = context.Process(
                target=browsers,
                args=(
                    theirs,
                    setup.port,
                    setup.cookie_name,
                    group,
                    n == 0,
                    setup.camera,
                    setup.tone,
                ),
                daemon=True,
            )
            process.start()
            theirs.close()
            processes.append(process)
            conns.append(ours)
        connections = hearings * people * people  # a publication and the subscriptions each
        ready_timeout = READY_SECONDS + READY_PER_CONNECTION * connections
        _, error = _expect(conns, "ready", ready_timeout)
        result["setup_seconds"] = round(time.perf_counter() - t0, 1)
        if error:
            result["error"] = f"the hearing did not come up: {error}"
        else:
            time.sleep(setup.warmup)
            pids = [p.pid for p in processes if p.pid is not None]
            meter = Meter(setup.server_pid, pids)
            before, error = _expect(_sent(conns, "count"), "counts", 30)
            t1 = time.perf_counter()
            time.sleep(setup.seconds)
            after, error2 = _expect(_sent(conns, "count"), "counts", 30)
            t2 = time.perf_counter()
            cpu = meter.stop()
            if error or error2:
                result["error"] = error or error2
            else:
                result.update(_measured(before, after, t2 - t1, cpu))
                if result["decoded_sizes"] != [f"{SIZE[0]}x{SIZE[1]}"]:
                    result["error"] = f"the judges decoded {result['decoded_sizes']}"
        done, error = _expect(_sent(conns, "end"), "done", END_SECONDS + 30)
        if error:
            result.setdefault("error", f"ending: {error}")
        for reply in done:
            if reply["not_ended"]:
                reply["errors"].append(f"no 'ended' for seats {reply['not_ended']}")
            if reply["errors"] and "error" not in result:
                result["error"] = "; ".join(reply["errors"])[:500]
    finally:
        for conn in conns:  # on an interruption, the browsers see it and end their hearings
            conn.close()
        for child in processes:
            child.join(timeout=10)
            if child.is_alive():
                child.kill()
                child.join()
    result["recordings"] = court.recordings(hearing_ids, people, END_SECONDS)
    result["disturbed"] = result.get("cpu", {}).get("other", 0.0) > BUSY_WARNING_CORES
    result["holds"] = _holds(result)
    result["limit"] = _limit(result)
    return result


def _sent(conns: list[Connection], command: str) -> list[Connection]:
    for conn in conns:
        conn.send(command)
    return conns


def _measured(
    before: list[dict[str, Any]], after: list[dict[str, Any]], wall: float, cpu: dict[str, Any]
) -> dict[str, Any]:
    # Per subscription: (video frames, their bytes if not decoded, audio packets, sizes).
    first = {k: v for reply in before for k, v in reply["counts"].items()}
    last = {k: v for reply in after for k, v in reply["counts"].items()}
    video = [(last[k][0] - first[k][0]) / wall for k in last]
    audio = [(last[k][2] - first[k][2]) / wall for k in last]
    kbps = [(last[k][1] - first[k][1]) * 8 / 1000 / wall for k in last if last[k][1]]
    decoded = [k for k in last if last[k][3]]
    sizes = sorted({tuple(size) for k in decoded for size in last[k][3]})
    return {
        "seconds": round(wall, 1),
        "cpu": cpu,
        "video_fps": spread(video),
        "audio_packets_per_s": spread(audio),
        "video_kbps": spread(kbps),
        "decoded_subscriptions": len(decoded),
        "decoded_sizes": [f"{w}x{h}" for w, h in sizes],
    }


def _holds(result: dict[str, Any]) -> bool:
    return (
        "error" not in result
        and result["video_fps"]["min"] >= MIN_FPS
        and result["cpu"]["server"] < MAX_SERVER_CORES
    )


def _limit(result: dict[str, Any]) -> str:
    """What the figures point to when a run does not hold ("" when it holds)."""
    if result["holds"]:
        return ""
    if "error" in result:
        return "error"
    cpu = result["cpu"]
    if cpu["server"] >= MAX_SERVER_CORES:
        return "server CPU"
    if cpu["machine"] >= SATURATED_SHARE * (os.cpu_count() or 1):
        return "machine full"
    if cpu["server_udp_drops"] or result["recordings"]["video_fps_min"] < MIN_FPS:
        # The server's event loop did not read its sockets in time, or its encoders fell
        # behind (the recordings have fewer frames), while the machine had CPU to spare.
        return "server behind"
    return "delivery"


# --- the sweep -----------------------------------------------------------------------------------


def sweep(court: Court, setup: Setup, args: argparse.Namespace) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    single: dict[int, dict[str, Any]] = {}
    for people in range(2, args.max_participants + 1):
        result = {"sweep": "one hearing", **run(court, setup, 1, people)}
        results.append(result)
        single[people] = result
        _say(result)
        if not result["holds"]:
            break
    for people in args.sizes:
        for hearings in range(1, args.max_hearings + 1):
            if hearings == 1 and people in single:
                result = {**single[people], "sweep": f"hearings of {people}", "same_as_above": True}
            else:
                result = {"sweep": f"hearings of {people}", **run(court, setup, hearings, people)}
                _say(result)
            results.append(result)
            if not result["holds"]:
                break
    return results


def _say(result: dict[str, Any]) -> None:
    if "cpu" in result:
        log(
            f"  server {result['cpu']['server']:.2f} cores, browsers {result['cpu']['clients']:.2f},"
            f" fps min {result['video_fps']['min']}, holds: {result['holds']}"
            f" {result['limit']}"
        )
    else:
        log(f"  {result.get('error', '')}")


# --- the court's server and the report -----------------------------------------------------------


@contextlib.contextmanager
def court_under_test() -> Iterator[tuple[dict[str, str], Path]]:
    """A fresh data directory with the demo in it; this process's Django pointed at it."""
    with tempfile.TemporaryDirectory(prefix="netcourt-bench-") as directory:
        data_dir = Path(directory)
        env = dict(os.environ)
        env["DJANGO_SETTINGS_MODULE"] = "netcourt.core.settings"
        env["NETCOURT_DATA_DIR"] = str(data_dir)
        env["NETCOURT_JOBS"] = "immediate"
        env.pop("NETCOURT_DATABASE_URL", None)
        run_netcourt(env, "migrate")
        run_netcourt(env, "demo")
        os.environ.update(env)
        os.environ.pop("NETCOURT_DATABASE_URL", None)
        import django

        django.setup()
        yield env, data_dir


def versions() -> dict[str, str]:
    def version(package: str) -> str:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return "not installed"

    return {package: version(package) for package in ("aiortc", "av", "aioice", "websockets")}


def table(report: dict[str, Any]) -> str:
    m, c = report["machine"], report["config"]
    lines = [
        f"netcourt hearing benchmark — {report['date']}",
        f"{m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB, {m['os']}; Python {m['python']},"
        f" aiortc {m['aiortc']}, PyAV {m['av']}, uvicorn {m['uvicorn']}",
        f"camera {SIZE[0]}x{SIZE[1]} {FPS} fps ({report['camera_kbps']} kbit/s sent) + Opus;"
        f" {c['seconds']:g} s measured after {c['warmup']:g} s; other load before:"
        f" {report['background_cores']:.2f} cores",
        f"holds = every subscription ≥ {MIN_FPS:g} fps and server < {MAX_SERVER_CORES:g} cores;"
        " CPU in cores: srv the server process (loop: its event loop thread), cli the"
        " browsers, other the rest of the machine; drops: datagrams the server's full"
        " sockets lost",
        "",
    ]
    head = (
        f"{'sweep':<14} {'hear':>4} {'ppl':>3} {'subs':>4}  {'srv':>4} {'loop':>4} {'cli':>4}"
        f" {'other':>5} {'srv/ppl':>7} {'drops':>5}  {'fps min/med':>11} {'kbit/s':>6} {'rec fps':>7}"
        f" {'MB/min':>6} {'stored':>6}  holds"
    )
    lines += [head, "-" * len(head)]
    for r in report["results"]:
        rec = r["recordings"]
        start = f"{r['sweep']:<14} {r['hearings']:>4} {r['people']:>3} {r['subscriptions']:>4}  "
        stored = f"{rec['stored']}/{rec['expected']}"
        if "cpu" not in r:
            lines.append(f"{start}{r.get('error', '')[:80]}  (stored {stored})")
            continue
        cpu = r["cpu"]
        lines.append(
            start
            + f"{cpu['server']:>4.2f} {cpu['server_loop']:>4.2f} {cpu['clients']:>4.2f}"
            + f" {cpu['other']:>5.2f} {cpu['server'] / r['participants']:>7.3f}"
            + f" {cpu['server_udp_drops']:>5}"
            + f"  {r['video_fps']['min']:>5.1f}/{r['video_fps']['median']:<5.1f}"
            + f" {r['video_kbps']['median']:>6.0f} {rec['video_fps_min']:>7.1f}"
            + f" {rec['mb_per_participant_minute']:>6.2f} {stored:>6}"
            + f"  {'yes' if r['holds'] else 'NO: ' + r['limit']}"
            + (" (disturbed)" if r["disturbed"] else "")
            + ("  (the run above)" if r.get("same_as_above") else "")
        )
    lines += ["", *report["summary"]]
    return "\n".join(lines)


def fit(results: list[dict[str, Any]]) -> tuple[float, float] | None:
    """Server cores ≈ a × participants + b × subscriptions (least squares through the
    origin), over the measured runs that held on an undisturbed machine; None if too few."""
    runs = [
        (r["participants"], r["subscriptions"], r["cpu"]["server"])
        for r in results
        if r["holds"] and not r.get("same_as_above") and not r["disturbed"]
    ]
    pp = sum(p * p for p, _, _ in runs)
    ps = sum(p * s for p, s, _ in runs)
    ss = sum(s * s for _, s, _ in runs)
    pc = sum(p * c for p, _, c in runs)
    sc = sum(s * c for _, s, c in runs)
    determinant = pp * ss - ps * ps
    if len(runs) < 2 or not determinant:
        return None
    return (pc * ss - sc * ps) / determinant, (pp * sc - ps * pc) / determinant


def summary(results: list[dict[str, Any]]) -> list[str]:
    """The largest hearing and the most hearings at once that held; the server's CPU per
    participant and per subscription."""
    lines = []

    def capped(name: str) -> str:
        runs = [r for r in results if r["sweep"] == name]
        return " (the most tried: raise the bound to go on)" if runs[-1]["holds"] else ""

    single = [r for r in results if r["sweep"] == "one hearing" and r["holds"]]
    lines.append(
        f"measured: one hearing holds up to {max(r['people'] for r in single)} people"
        + capped("one hearing")
        if single
        else "measured: no hearing held, not even of 2 people"
    )
    for name in dict.fromkeys(r["sweep"] for r in results if r["sweep"] != "one hearing"):
        held = [r for r in results if r["sweep"] == name and r["holds"]]
        most = max((r["hearings"] for r in held), default=0)
        lines.append(f"measured: {name}: up to {most} at once{capped(name)}")
    disturbed = [r for r in results if r["disturbed"] and not r.get("same_as_above")]
    if disturbed:
        lines.append(
            f"{len(disturbed)} run(s) disturbed: other processes used more than"
            f" {BUSY_WARNING_CORES} of a core (the 'other' column)"
        )
    measured = [r for r in results if "cpu" in r and not r.get("same_as_above")]
    if measured:
        per = [r["cpu"]["server"] / r["participants"] for r in measured if r["holds"]]
        if per:
            lines.append(
                f"server CPU per participant where it held: {min(per):.3f}–{max(per):.3f} cores"
                " (CPU seconds per participant-second)"
            )
        last = measured[-1] if not single else max(single, key=lambda r: r["people"])
        lines.append(
            f"browsers: {last['cpu']['clients']:.2f} cores beside the server's"
            f" {last['cpu']['server']:.2f} in {last['hearings']} hearing(s) of {last['people']}"
            " (they share the machine; see the 'cli' column)"
        )
    model = fit(results)
    if model is not None:
        lines.append(
            f"fitted on the undisturbed runs that held: server cores ≈ {model[0]:.3f} ×"
            f" participants + {model[1]:.4f} × subscriptions"
        )
    return lines


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-participants", type=int, default=12, help="largest hearing (12)")
    parser.add_argument("--max-hearings", type=int, default=10, help="most at once (10)")
    parser.add_argument(
        "--sizes", default="2,4", help="people per hearing in the concurrent sweeps (2,4)"
    )
    parser.add_argument("--seconds", type=float, default=10, help="measured per run (10)")
    parser.add_argument("--warmup", type=float, default=3, help="settling time per run (3)")
    parser.add_argument(
        "--client-processes", type=int, default=3, help="browsers' processes per run (3)"
    )
    parser.add_argument("--port", type=int, default=0, help="server port (default: a free one)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    try:
        args.sizes = [int(size) for size in args.sizes.split(",") if size]
    except ValueError:
        parser.error("--sizes: numbers separated by commas")
    if (
        args.max_participants < 2
        or args.max_hearings < 1
        or any(size < 2 for size in args.sizes)
        or args.seconds <= 0
        or args.warmup < 0
        or args.client_processes < 1
    ):
        parser.error(
            "--max-participants ≥ 2, --max-hearings ≥ 1, --sizes ≥ 2, --seconds > 0,"
            " --warmup ≥ 0, --client-processes ≥ 1"
        )
    return args


def _terminate(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    camera, tone = camera_loop(), tone_loop()
    report: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {**machine(), **versions()},
        "camera_kbps": round(sum(map(len, camera)) * 8 / 1000 / CAMERA_SECONDS),
        "config": {
            "seconds": args.seconds,
            "warmup": args.warmup,
            "client_processes": args.client_processes,
            "camera": f"{CAMERA} as VP8 ({CAMERA_BITRATE} bit/s target), looped every"
            f" {CAMERA_SECONDS} s; a 440 Hz tone as Opus",
            "holds": f"every subscription ≥ {MIN_FPS} video fps and server < {MAX_SERVER_CORES}"
            " cores",
        },
    }
    try:
        log("preparing a fresh court (migrate, demo)")
        with court_under_test() as (env, data_dir):
            from django.conf import settings

            court = Court()
            report["background_cores"] = background_load()
            if report["background_cores"] > BUSY_WARNING_CORES:
                log(f"warning: other processes keep {report['background_cores']:.2f} cores busy")
            port = args.port or free_port()
            with running_server(env, port, data_dir / "server.log") as server:
                log(f"server up at http://{HOST}:{port} (pid {server.pid})")
                setup = Setup(
                    port=port,
                    server_pid=server.pid,
                    cookie_name=settings.SESSION_COOKIE_NAME,
                    camera=camera,
                    tone=tone,
                    seconds=args.seconds,
                    warmup=args.warmup,
                    client_processes=args.client_processes,
                )
                report["results"] = sweep(court, setup, args)
    except KeyboardInterrupt:
        log("interrupted; cleaned up")
        return 130
    report["summary"] = summary(report["results"])
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(table(report))
    failed = [
        r
        for r in report["results"]
        if "error" in r or r["recordings"]["stored"] < r["recordings"]["expected"]
    ]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
