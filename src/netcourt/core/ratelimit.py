"""Fixed-window counters in Django's cache, for actions allauth does not limit itself.

One cache per process by default; several servers need a shared cache (Redis) for the
limits to hold across them.
"""

from __future__ import annotations

import contextlib
import time

from django.core.cache import cache


def allow(scope: str, key: str, limit: int, window: int) -> bool:
    """Count one attempt at ``scope`` by ``key``; False once ``limit`` attempts were made in
    the current ``window`` seconds. ``key`` must not be personal data in clear (use an id)."""
    bucket = int(time.time()) // window
    name = f"netcourt.ratelimit:{scope}:{key}:{bucket}"
    cache.add(name, 0, timeout=window)
    try:
        count = cache.incr(name)
    except ValueError:  # expired between add and incr: this attempt starts a new window
        cache.add(name, 1, timeout=window)
        count = 1
    return count <= limit


def give_back(scope: str, key: str, window: int) -> None:
    """Uncount the attempt `allow` just counted (it turned out to be no attempt to limit)."""
    bucket = int(time.time()) // window
    with contextlib.suppress(ValueError):
        cache.decr(f"netcourt.ratelimit:{scope}:{key}:{bucket}")
