"""The media provider interface: what the courtroom asks of whatever carries the media.

`netcourt.hearings.room` speaks only to a `MediaRoom`; the embedded provider (aiortc in the
server's own event loop, `netcourt.hearings.media.Room`) is the default and the only one built
in. A provider for an external SFU (Janus, LiveKit) implements the same methods against that
server and is chosen with ``NETCOURT_MEDIA_PROVIDER``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from netcourt.hearings import media


class MediaRoom(Protocol):
    """One hearing's media: each member publishes once and subscribes to the others."""

    async def publish(
        self, member: media.Member, offer_sdp: str, *, video_size: tuple[int, int] | None = None
    ) -> str: ...

    async def subscribe(
        self, subscriber: media.Member, publisher_id: str, offer_sdp: str
    ) -> str: ...

    def publishers(self) -> list[str]: ...

    async def mute(self, member_id: str, muted: bool) -> None: ...

    async def drop(self, member_id: str) -> media.RecordingResult | None: ...

    async def close(self) -> list[media.RecordingResult]: ...


def open_room(
    hearing_id: str,
    *,
    sink_for: Callable[[media.Member], media.RecordingSink],
    on_recording_failure: Callable[[media.Member, str], Awaitable[None]],
    on_recording_done: Callable[[media.RecordingResult], Awaitable[None]],
    ice_servers: Sequence[Any],
) -> MediaRoom:
    """The media of one hearing, from the provider the installation names."""
    name = settings.NETCOURT_MEDIA_PROVIDER
    if name != "embedded":
        raise ImproperlyConfigured(f"NETCOURT_MEDIA_PROVIDER: no media provider {name!r}")
    return media.Room(
        hearing_id,
        sink_for=sink_for,
        on_recording_failure=on_recording_failure,
        on_recording_done=on_recording_done,
        ice_servers=ice_servers,
    )
