from __future__ import annotations

from typing import Any

from netcourt.accounts.models import ApiToken, User, hash_token
from netcourt.core import clock


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
    return token.user
