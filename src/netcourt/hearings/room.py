"""The virtual courtroom: a WebSocket per person, a waiting room, the judge's controls.

The browser opens ``/hearings/<id>/room`` (served on the event loop by `netcourt.core.asgi`)
and sends its single-use pass first. The pass must be this hearing's, unused, fresh and
presented from the signed-in session of the person it was issued to (`actions.redeem_pass`).
The judge and the clerk go straight in; a public viewer too (they only receive); everyone
else waits until the judge admits them. Media goes through the embedded provider
(`netcourt.hearings.media`): each admitted person publishes their camera and microphone and
subscribes to everyone else's, and each publication is recorded into the case's vault.

Messages are JSON objects with a ``type``. From the browser: ``hello`` (the pass),
``publish`` (``kind`` camera or screen, ``sdp``), ``subscribe`` (``publisher``, ``sdp``),
``record`` (clerk or judge: ``text``, ``revision``) and the judge's ``admit``, ``remove``,
``mute``, ``screen``, ``lock`` and ``end``. To the browser: ``waiting``, ``admitted``,
``roster``, ``publishers``, ``answer``, ``muted``, ``screen``, ``record``, ``alert``,
``removed``, ``ended``, ``refused`` and ``error`` (each refusal with a stable code).

One process holds a hearing's room: see docs/decisions/0006-embedded-media-in-the-server.md.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from http.cookies import SimpleCookie
from importlib import import_module
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections, transaction
from django.http import HttpRequest
from django.utils import translation

from netcourt.core import clock
from netcourt.core.problems import Problem
from netcourt.hearings import actions, media, providers, recordings
from netcourt.hearings.models import (
    Hearing,
    HearingStatus,
    LogKind,
    Participant,
    Presence,
    Role,
)

logger = logging.getLogger(__name__)

HELLO_SECONDS = 10
MAX_MESSAGE_BYTES = 512 * 1024  # an SDP offer is a few kB; the record text is the largest
SCREEN = "screen"
SCREEN_SIZE = (1280, 720)  # a shared document must stay legible
# Who reads the record live and sees who is here: not the public, not witnesses.
TAKING_PART = frozenset(
    {Role.JUDGE, Role.CLERK, Role.PARTY, Role.REPRESENTATIVE, Role.INTERPRETER, Role.WITNESS}
)
READS_RECORD = frozenset({Role.JUDGE, Role.CLERK, Role.PARTY, Role.REPRESENTATIVE})
MAX_VIEWERS = 30  # public viewers of one hearing (each costs a connection per speaker)
UNATTENDED_SECONDS = 600  # a room without its judge closes after this
CAMERA = "camera"

Send = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass
class Seat:
    """One connected person."""

    participant: Participant
    send: Send
    close: Callable[[int], Awaitable[None]]
    admitted: bool = False
    since: datetime = field(default_factory=clock.now)
    language: str = ""

    @property
    def id(self) -> int:
        return int(self.participant.pk)

    @property
    def role(self) -> str:
        return str(self.participant.role)


class Courtroom:
    """The live state of one hearing in this process."""

    def __init__(self, hearing: Hearing, keys: Any) -> None:
        self.hearing = hearing
        self.seats: dict[int, Seat] = {}
        self.lock = asyncio.Lock()
        self.media = providers.open_room(
            str(hearing.pk),
            sink_for=self._sink_for,
            on_recording_failure=self._recording_failed,
            on_recording_done=self._store,
            ice_servers=_ice_servers(),
        )
        self._keys = keys
        self.ended = False
        self._unattended: asyncio.TimerHandle | None = None

    # --- media callbacks -----------------------------------------------------------------

    def _sink_for(self, member: media.Member) -> recordings.VaultSink:
        return recordings.VaultSink(self.hearing.case, self._keys)

    async def _recording_failed(self, member: media.Member, error: str) -> None:
        participant_id = int(member.id.split(":")[0])
        logger.warning(
            "recording failed in hearing %s for participant %s", self.hearing.pk, participant_id
        )
        await sync_to_async(_log)(
            self.hearing, LogKind.RECORDING_FAILED, participant_id, None, error=error[:200]
        )
        await self._alert_bench("recording_failed", participant_id, name=member.name)

    async def _alert_bench(self, code: str, participant_id: int | None, **values: Any) -> None:
        for seat in list(self.seats.values()):
            if seat.role == Role.JUDGE:
                await seat.send(
                    {
                        "type": "alert",
                        "code": code,
                        "participant": participant_id,
                        "message": _text(seat, code, **values),
                    }
                )

    async def _store(self, result: media.RecordingResult | None) -> None:
        """Keep a finished recording: its blob, its row, its hash in the case's log. A store
        that fails is a failed recording the judge is told of; it never stops the room."""
        if result is None or not isinstance(result.sink, recordings.VaultSink):
            return
        participant_id = int(result.member_id.split(":")[0])
        try:
            # Not on the thread every room's database calls share: storing a part (its upload
            # to the store, its transaction) must not hold up the other rooms.
            await sync_to_async(_store_recording, thread_sensitive=False)(
                participant_id, result.sink, result
            )
        except Exception:  # a database or store outage: the hearing goes on
            logger.exception("a recording of hearing %s could not be stored", self.hearing.pk)
            await self._alert_bench("recording_failed", participant_id, name="")

    # --- people --------------------------------------------------------------------------

    def roster(self) -> list[dict[str, Any]]:
        publishing = set(self.media.publishers())
        return [
            {
                "id": seat.id,
                "name": seat.participant.name,
                "role": seat.role,
                "admitted": seat.admitted,
                "muted": seat.participant.muted,
                "screen": seat.participant.may_share_screen,
                "publishing": str(seat.id) in publishing,
            }
            for seat in self.seats.values()
            if seat.role != Role.VIEWER  # the public watching is not listed to anyone
        ]

    async def broadcast(
        self,
        message: dict[str, Any],
        *,
        admitted_only: bool = True,
        roles: frozenset[str] | None = None,
    ) -> None:
        for seat in list(self.seats.values()):
            if (seat.admitted or not admitted_only) and (roles is None or seat.role in roles):
                await seat.send(message)

    async def tell_roster(self) -> None:
        """Who is here: to those taking part (not to public viewers)."""
        await self.broadcast({"type": "roster", "people": self.roster()}, roles=TAKING_PART)

    async def tell_publishers(self) -> None:
        names = {str(s.id): s.participant.name for s in self.seats.values()}
        listed = [
            {"id": pid, "name": names.get(pid.split(":")[0], ""), "kind": _kind(pid)}
            for pid in self.media.publishers()
        ]
        await self.broadcast({"type": "publishers", "publishers": listed})

    async def arrive(self, seat: Seat) -> None:
        """Seat the person: straight in for the bench and public viewers, else wait."""
        old = self.seats.pop(seat.id, None)
        if old is not None:  # the same person from another tab: the newer one stays
            await self._leave_media(old)
            await old.send({"type": "error", "code": "replaced"})
            await old.close(4409)
        if seat.role == Role.VIEWER and self._viewers() >= MAX_VIEWERS:
            raise Problem("hearing_full", status=409)
        self.seats[seat.id] = seat
        if seat.role == Role.JUDGE and self._unattended is not None:
            self._unattended.cancel()
            self._unattended = None
        if seat.role in (Role.JUDGE, Role.CLERK, Role.VIEWER):
            await self.admit(seat, by=None)
        else:
            await sync_to_async(_presence)(seat.participant, Presence.WAITING, LogKind.ENTERED)
            await seat.send({"type": "waiting"})
            await self.broadcast(
                {"type": "roster", "people": self.roster()},
                roles=frozenset({Role.JUDGE, Role.CLERK}),
            )

    def _viewers(self) -> int:
        return sum(1 for seat in self.seats.values() if seat.role == Role.VIEWER)

    async def admit(self, seat: Seat, by: Seat | None) -> None:
        seat.admitted = True
        seat.since = clock.now()
        await sync_to_async(_admitted)(seat.participant, by.participant if by else None)
        admitted: dict[str, Any] = {"type": "admitted", "locked": self.hearing.locked}
        if seat.role in READS_RECORD:
            admitted["record"] = await sync_to_async(_record_state)(self.hearing)
        await seat.send(admitted)
        await self.tell_roster()
        await self.tell_publishers()

    async def _leave_media(self, seat: Seat) -> None:
        for member_id in (str(seat.id), f"{seat.id}:{SCREEN}"):
            await self._store(await self.media.drop(member_id))

    async def depart(self, seat: Seat) -> None:
        """The person's connection ended (left, lost, or removed). With no one left, the room
        closes (its recordings stored; the hearing can be entered again and ended); with no
        judge left, it closes after `UNATTENDED_SECONDS` unless the judge comes back."""
        if self.seats.get(seat.id) is not seat:
            return
        del self.seats[seat.id]
        try:
            await self._leave_media(seat)
            seconds = int((clock.now() - seat.since).total_seconds()) if seat.admitted else 0
            await sync_to_async(_left)(seat.participant, seconds)
        finally:
            if not self.seats:
                await self.close()
            else:
                await self.tell_roster()
                await self.tell_publishers()
                if seat.role == Role.JUDGE and not any(
                    s.role == Role.JUDGE for s in self.seats.values()
                ):
                    loop = asyncio.get_running_loop()
                    self._unattended = loop.call_later(
                        UNATTENDED_SECONDS, lambda: asyncio.ensure_future(self._pause())
                    )

    async def _pause(self) -> None:
        async with self.lock:
            if self.ended or any(s.role == Role.JUDGE for s in self.seats.values()):
                return
            await self.broadcast({"type": "paused"}, admitted_only=False)
            await self.close()

    async def close(self) -> None:
        """Close the room without ending the hearing: everyone out, the recordings stored."""
        try:
            await self._finish_media()
        finally:
            await self._empty_seats()

    async def _finish_media(self) -> None:
        self.ended = True
        ROOMS.pop(str(self.hearing.pk), None)
        for result in await self.media.close():
            await self._store(result)

    async def _empty_seats(self) -> None:
        for seat in list(self.seats.values()):
            try:
                seconds = int((clock.now() - seat.since).total_seconds()) if seat.admitted else 0
                await sync_to_async(_left)(seat.participant, seconds)
            except Exception:  # the database is away: the person still goes
                logger.exception("leaving hearing %s was not recorded", self.hearing.pk)
            finally:
                await seat.close(1000)
        self.seats.clear()

    # --- the judge's controls ------------------------------------------------------------

    async def control(self, judge: Seat, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "end":
            await self.end(judge)
            return
        if kind == "lock":
            locked = bool(message.get("locked"))
            await sync_to_async(_lock)(self.hearing, judge.participant, locked)
            await self.broadcast({"type": "locked", "locked": locked})
            return
        target = self.seats.get(_int(message.get("id")))
        if target is None or target is judge:
            await judge.send({"type": "error", "code": "not_found"})
            return
        if kind == "admit" and not target.admitted:
            await self.admit(target, by=judge)
        elif kind == "remove":
            await sync_to_async(_removed)(target.participant, judge.participant)
            await target.send({"type": "removed"})
            await self.depart(target)
            await target.close(4403)
        elif kind == "mute":
            muted = bool(message.get("muted", True))
            for member_id in (str(target.id), f"{target.id}:{SCREEN}"):
                await self.media.mute(member_id, muted)
            await sync_to_async(_muted)(target.participant, judge.participant, muted)
            await target.send({"type": "muted", "muted": muted})
            await self.tell_roster()
        elif kind == "screen":
            allowed = bool(message.get("allowed"))
            await sync_to_async(_screen)(target.participant, judge.participant, allowed)
            if not allowed:
                await self._store(await self.media.drop(f"{target.id}:{SCREEN}"))
                await self.tell_publishers()
            await target.send({"type": "screen", "allowed": allowed})
            await self.tell_roster()

    async def end(self, judge: Seat) -> None:
        """End the hearing: the recordings finished and logged, the case moves on (the judge
        is told if it cannot), everyone out. Not before the hearing can be held (the judge
        may open the room early): the judge is told from when, and the hearing goes on."""
        early = await sync_to_async(_too_early)(self.hearing, judge)
        if early is not None:
            await judge.send({"type": "error", "code": "hearing_too_early", "message": early})
            return
        await self.broadcast({"type": "ended"}, admitted_only=False)
        try:
            await self._finish_media()
            if not await sync_to_async(_ended)(self.hearing, judge.participant):
                await self._alert_bench("not_moved", None)
        finally:
            await self._empty_seats()


ROOMS: dict[str, Courtroom] = {}
_ROOMS_LOCK = asyncio.Lock()


async def _room_for(hearing_id: str) -> Courtroom:
    async with _ROOMS_LOCK:
        room = ROOMS.get(hearing_id)
        if room is None:
            hearing, keys = await sync_to_async(_prepare)(hearing_id)
            room = ROOMS[hearing_id] = Courtroom(hearing, keys)
        return room


# --- the socket ------------------------------------------------------------------------


async def serve(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The ASGI WebSocket application: ``/hearings/<id>/room`` and the self-test's echo."""
    path = scope.get("path", "")
    hearing_id = _hearing_id(path)
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    if (hearing_id is None and path != SELF_TEST_PATH) or not _same_origin(scope):
        await send({"type": "websocket.close", "code": 4403})
        return
    await send({"type": "websocket.accept"})
    if hearing_id is None:
        await _self_test(scope, receive, send)
        return

    async def send_json(payload: dict[str, Any]) -> None:
        try:
            await send({"type": "websocket.send", "text": json.dumps(payload)})
        except (OSError, RuntimeError):
            logger.debug("a room message could not be sent")

    async def close(code: int) -> None:
        try:
            await send({"type": "websocket.close", "code": code})
        except (OSError, RuntimeError):
            logger.debug("a room socket was closed already")

    language = _language(scope)
    with translation.override(language):
        seat = await _hello(hearing_id, scope, receive, send_json, close)
    if seat is None:
        return
    seat.language = language
    room = await _room_for(hearing_id)
    try:
        async with room.lock:
            while room.ended:  # it closed while this person came in: a new one
                room = await _room_for(hearing_id)
            await room.arrive(seat)
        while True:
            incoming = await receive()
            if incoming["type"] == "websocket.disconnect":
                break
            data = _parse(incoming)
            if data is None:
                await send_json({"type": "error", "code": "bad_message"})
                continue
            with translation.override(language):
                await _dispatch(room, seat, data)
            if room.ended:
                break
    except Problem as problem:  # turned away at the door (a full public gallery)
        with translation.override(language):
            await send_json(
                {"type": "refused", "code": problem.code, "message": str(problem.message)}
            )
        await close(4403)
    finally:
        if not room.ended:
            async with room.lock:
                await room.depart(seat)


SELF_TEST_PATH = "/hearings/self-test/socket"
SELF_TEST_SECONDS = 20
SELF_TESTS_AT_ONCE = 4
_self_tests = asyncio.Semaphore(SELF_TESTS_AT_ONCE)


async def _self_test(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Send a signed-in person's camera and microphone straight back (nothing recorded), for
    a few seconds, so they see and hear what the court receives from their network."""

    async def reply(payload: dict[str, Any]) -> None:
        await send({"type": "websocket.send", "text": json.dumps(payload)})

    if await sync_to_async(_session_user)(scope) is None:
        await reply({"type": "refused", "code": "not_authenticated"})
        await send({"type": "websocket.close", "code": 4401})
        return
    if _self_tests.locked():
        await reply({"type": "refused", "code": "rate_limited"})
        await send({"type": "websocket.close", "code": 4429})
        return
    async with _self_tests:
        try:
            incoming = await asyncio.wait_for(receive(), HELLO_SECONDS)
        except TimeoutError:
            return
        data = _parse(incoming) if incoming["type"] == "websocket.receive" else None
        if not data or data.get("type") != "echo":
            await send({"type": "websocket.close", "code": 4400})
            return
        try:
            echo = media.Echo(_ice_servers())
            await reply({"type": "answer", "sdp": await echo.answer(str(data.get("sdp", "")))})
        except media.MediaError as error:
            await reply({"type": "error", "code": error.code})
            return
        try:
            await asyncio.wait_for(_until_closed(receive), SELF_TEST_SECONDS)
        except TimeoutError:
            pass
        finally:
            await echo.close()


async def _until_closed(receive: Any) -> None:
    while (await receive())["type"] != "websocket.disconnect":
        continue


async def _hello(
    hearing_id: str, scope: dict[str, Any], receive: Any, send: Send, close: Any
) -> Seat | None:
    try:
        incoming = await asyncio.wait_for(receive(), HELLO_SECONDS)
    except TimeoutError:
        await close(4408)
        return None
    data = _parse(incoming) if incoming["type"] == "websocket.receive" else None
    if not data or data.get("type") != "hello":
        await close(4400)
        return None
    user_id = await sync_to_async(_session_user)(scope)
    try:
        participant = await sync_to_async(actions.redeem_pass)(
            hearing_id, str(data.get("pass", "")), user_id
        )
    except Problem as problem:
        if user_id is not None:  # a stranger's attempts are not worth a row each
            await sync_to_async(actions.refused)(hearing_id, problem.code)
        await send({"type": "refused", "code": problem.code, "message": str(problem.message)})
        await close(4403)
        return None
    return Seat(participant=participant, send=send, close=close)


async def _dispatch(room: Courtroom, seat: Seat, data: dict[str, Any]) -> None:
    kind = data.get("type")
    try:
        if kind in ("admit", "remove", "mute", "screen", "lock", "end"):
            if seat.role != Role.JUDGE:
                raise Problem("role_not_allowed", status=403)
            async with room.lock:
                await room.control(seat, data)
        elif not seat.admitted:
            raise Problem("permission_denied", status=403)
        elif kind == "publish":
            await _publish(room, seat, data)
        elif kind == "subscribe":
            answer = await room.media.subscribe(
                media.Member(str(seat.id), seat.participant.name, seat.role),
                str(data.get("publisher", "")),
                str(data.get("sdp", "")),
            )
            await seat.send(
                {
                    "type": "answer",
                    "for": "subscribe",
                    "publisher": data.get("publisher"),
                    "sdp": answer,
                }
            )
        elif kind == "record":
            if seat.role not in (Role.JUDGE, Role.CLERK):
                raise Problem("role_not_allowed", status=403)
            await _write_record(room, seat, data)
        else:
            await seat.send({"type": "error", "code": "bad_message"})
    except Problem as problem:
        await seat.send({"type": "error", "code": problem.code, "message": str(problem.message)})
    except media.MediaError as error:
        await seat.send({"type": "error", "code": error.code})


async def _publish(room: Courtroom, seat: Seat, data: dict[str, Any]) -> None:
    kind = str(data.get("kind", CAMERA))
    if seat.role == Role.VIEWER or kind not in (CAMERA, SCREEN):
        raise Problem("permission_denied", status=403)
    if kind == SCREEN and not (seat.role == Role.JUDGE or seat.participant.may_share_screen):
        raise Problem("screen_not_allowed", status=403)
    member_id = str(seat.id) if kind == CAMERA else f"{seat.id}:{SCREEN}"
    answer = await room.media.publish(
        media.Member(member_id, seat.participant.name, seat.role),
        str(data.get("sdp", "")),
        video_size=SCREEN_SIZE if kind == SCREEN else None,
    )
    if kind == CAMERA and seat.participant.muted:
        await room.media.mute(member_id, True)
    await seat.send({"type": "answer", "for": "publish", "kind": kind, "sdp": answer})
    await room.tell_publishers()
    await room.tell_roster()


async def _write_record(room: Courtroom, seat: Seat, data: dict[str, Any]) -> None:
    from netcourt.hearings.record import update_text

    try:
        row = await sync_to_async(update_text)(
            room.hearing,
            seat.participant.user,
            str(data.get("text", "")),
            _int(data.get("revision")),
        )
    except Problem as problem:
        if problem.code != "record_stale":
            raise
        state = await sync_to_async(_record_state)(room.hearing)
        await seat.send({"type": "record", "stale": True, **state})
        return
    await room.broadcast({"type": "record", "text": row.text, "revision": row.revision})


# --- helpers (synchronous: run through sync_to_async) -----------------------------------


def _prepare(hearing_id: str) -> tuple[Hearing, Any]:
    from netcourt.evidence.store import case_keys

    hearing = Hearing.objects.select_related("case__court", "case__judge").get(pk=hearing_id)
    return hearing, case_keys(hearing.case)


def _session_user(scope: dict[str, Any]) -> int | None:
    """The signed-in user of the session cookie the socket came with (None if none)."""
    from django.contrib.auth import get_user

    morsel = _cookies(scope).get(settings.SESSION_COOKIE_NAME)
    if morsel is None:
        return None
    engine = import_module(settings.SESSION_ENGINE)
    request = HttpRequest()
    request.session = engine.SessionStore(morsel.value)
    user = get_user(request)
    return int(user.pk) if user.is_authenticated else None


def _log(
    hearing: Hearing, kind: str, participant_id: int, by: Participant | None, **detail: Any
) -> None:
    participant = Participant.objects.filter(pk=participant_id).first()
    actions.log(hearing, kind, participant, by, **detail)


def _presence(participant: Participant, presence: str, kind: str) -> None:
    participant.presence = presence
    participant.first_joined_at = participant.first_joined_at or clock.now()
    participant.save(update_fields=["presence", "first_joined_at"])
    actions.log(participant.hearing, kind, participant)


def _admitted(participant: Participant, by: Participant | None) -> None:
    now = clock.now()
    with transaction.atomic():
        hearing = Hearing.objects.select_for_update().get(pk=participant.hearing_id)
        if hearing.status == HearingStatus.SCHEDULED and participant.role == Role.JUDGE:
            hearing.status = HearingStatus.OPEN
            hearing.opened_at = now
            hearing.save(update_fields=["status", "opened_at"])
            actions.log(hearing, LogKind.OPENED, by=participant)
        participant.presence = Presence.ADMITTED
        participant.first_joined_at = participant.first_joined_at or now
        participant.admitted_at = now
        participant.save(update_fields=["presence", "first_joined_at", "admitted_at"])
        actions.log(hearing, LogKind.ADMITTED, participant, by)


def _left(participant: Participant, seconds: int) -> None:
    participant.refresh_from_db(fields=["presence", "seconds_present"])
    if participant.presence != Presence.REMOVED:
        participant.presence = Presence.LEFT
    participant.left_at = clock.now()
    participant.seconds_present += max(seconds, 0)
    participant.save(update_fields=["presence", "left_at", "seconds_present"])
    actions.log(participant.hearing, LogKind.LEFT, participant)


def _removed(participant: Participant, by: Participant) -> None:
    participant.presence = Presence.REMOVED
    participant.save(update_fields=["presence"])
    actions.log(participant.hearing, LogKind.REMOVED, participant, by)


def _muted(participant: Participant, by: Participant, muted: bool) -> None:
    participant.muted = muted
    participant.save(update_fields=["muted"])
    actions.log(participant.hearing, LogKind.MUTED if muted else LogKind.UNMUTED, participant, by)


def _screen(participant: Participant, by: Participant, allowed: bool) -> None:
    participant.may_share_screen = allowed
    participant.save(update_fields=["may_share_screen"])
    kind = LogKind.SCREEN_GRANTED if allowed else LogKind.SCREEN_REVOKED
    actions.log(participant.hearing, kind, participant, by)


def _lock(hearing: Hearing, by: Participant, locked: bool) -> None:
    hearing.locked = locked
    hearing.save(update_fields=["locked"])
    actions.log(hearing, LogKind.LOCKED if locked else LogKind.UNLOCKED, by=by)


def _too_early(hearing: Hearing, seat: Seat) -> str | None:
    """Why the hearing cannot be ended yet, in the judge's language (None: it can)."""
    fresh = Hearing.objects.filter(pk=hearing.pk).first()  # postponed meanwhile?
    if fresh is None:
        return None
    with translation.override(seat.language or settings.LANGUAGE_CODE):
        return actions.hold_too_early(fresh)


def _ended(hearing: Hearing, by: Participant) -> bool:
    """The hearing is over: its row, its log, and the case's ``hold_hearing`` step taken in
    the judge's name (the pack's record that the hearing was held). False when the case did
    not move on: the hearing was cancelled meanwhile (the case closed), or the step was
    refused."""
    from netcourt.cases import actions as case_actions

    now = clock.now()
    ended = Hearing.objects.filter(
        pk=hearing.pk, status__in=(HearingStatus.SCHEDULED, HearingStatus.OPEN)
    ).update(status=HearingStatus.ENDED, ended_at=now, locked=False)
    actions.log(hearing, LogKind.ENDED, by=by)
    if not ended:
        return False
    try:
        case_actions.fire(
            by.user,
            hearing.case_id,
            "hold_hearing",
            None,
            {},
            extra={"hearing": {"id": str(hearing.pk), "ended_at": now.isoformat()}},
            any_version=True,
        )
    except Problem as problem:
        logger.warning(
            "hearing %s ended but the case did not move on: %s", hearing.pk, problem.code
        )
        return False
    return True


def _store_recording(
    participant_id: int, sink: recordings.VaultSink, result: media.RecordingResult
) -> None:
    try:
        participant = Participant.objects.select_related("hearing__case__court").get(
            pk=participant_id
        )
        recordings.store(
            participant,
            sink,
            started_at=result.started_at,
            ended_at=result.ended_at,
            video_frames=result.video_frames,
            audio_frames=result.audio_frames,
            error=result.error,
        )
    finally:
        close_old_connections()  # a worker thread of the loop's: give its connection back


def _record_state(hearing: Hearing) -> dict[str, Any]:
    from netcourt.hearings.models import HearingRecord

    row = HearingRecord.objects.filter(hearing=hearing).first()
    return {"text": row.text if row else "", "revision": row.revision if row else 0}


def _text(seat: Seat, code: str, **values: Any) -> str:
    """An alert to the judge, in the judge's language."""
    with translation.override(seat.language or settings.LANGUAGE_CODE):
        if code == "recording_failed" and values.get("name"):
            return translation.gettext(
                "The recording of %(name)s failed. The hearing goes on; consider pausing it."
            ) % {"name": values["name"]}
        if code == "recording_failed":
            return translation.gettext(
                "A recording could not be stored. The hearing goes on; consider pausing it."
            )
        if code == "not_moved":
            return translation.gettext(
                "The hearing has ended, but the case did not move on by itself: see the case's "
                "page."
            )
    return code


# --- small parsers -------------------------------------------------------------------------


def _hearing_id(path: str) -> str | None:
    parts = path.strip("/").split("/")
    if len(parts) != 3 or parts[0] != "hearings" or parts[2] != "room":
        return None
    try:
        return str(uuid.UUID(parts[1]))
    except ValueError:
        return None


def _same_origin(scope: dict[str, Any]) -> bool:
    """A socket opened by the court's own pages: its Origin is the host it connects to."""
    headers = dict(scope.get("headers", []))
    origin = headers.get(b"origin", b"").decode("latin-1")
    host = headers.get(b"host", b"").decode("latin-1")
    trusted = {f"http://{host}", f"https://{host}", *settings.CSRF_TRUSTED_ORIGINS}
    return bool(origin) and origin in trusted


def _cookies(scope: dict[str, Any]) -> SimpleCookie:
    """The cookies the socket's request carried."""
    cookies = SimpleCookie()
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            cookies.load(value.decode("latin-1"))
    return cookies


def _language(scope: dict[str, Any]) -> str:
    morsel = _cookies(scope).get(settings.LANGUAGE_COOKIE_NAME)
    codes = {code for code, _ in settings.LANGUAGES}
    return morsel.value if morsel and morsel.value in codes else settings.LANGUAGE_CODE


def _parse(message: dict[str, Any]) -> dict[str, Any] | None:
    text = message.get("text")
    if text is None or len(text) > MAX_MESSAGE_BYTES:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def _kind(member_id: str) -> str:
    return SCREEN if member_id.endswith(f":{SCREEN}") else CAMERA


def _ice_servers() -> list[Any]:
    from aiortc import RTCIceServer

    return [
        RTCIceServer(
            urls=server["urls"],
            username=server.get("username"),
            credential=server.get("credential"),
        )
        for server in settings.NETCOURT_ICE_SERVERS
    ]
