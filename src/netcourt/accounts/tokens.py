from __future__ import annotations

from datetime import timedelta
from typing import Any

from netcourt.accounts.models import ApiToken, User, hash_token
from netcourt.core import clock

# Recording each use would cost a write per request; to the hour is enough to spot stale tokens.
LAST_USED_RESOLUTION = timedelta(hours=1)


def create_token(user: User, name: str = "cli") -> str:
    """Create a bearer token and return its raw value; only its hash is kept."""
    raw = ApiToken.new_raw()
    ApiToken.objects.create(user=user, name=name, digest=hash_token(raw), created_at=clock.now())
    return raw


def user_for_token(raw: str) -> Any:
    token = (
        ApiToken.objects.filter(digest=hash_token(raw), revoked_at__isnull=True)
        .select_related("user")
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = clock.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
