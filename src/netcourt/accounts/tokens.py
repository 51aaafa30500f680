from __future__ import annotations

import functools
from datetime import timedelta
from typing import Any

from django.db.models import Q, QuerySet

from netcourt.accounts.mfa import (
    second_factor_problem,
    staff_and_factor,
    staff_factor,
)
from netcourt.accounts.models import ApiToken, User, hash_token
from netcourt.core import clock

# Recording each use would cost a write per request; to the hour is enough to spot stale tokens.
LAST_USED_RESOLUTION = timedelta(hours=1)
# A token stands in for the password and the second factor at once, so none lasts forever;
# court staff's least long (their second factor is checked only when the token is made).
MAX_DAYS = 365
DEFAULT_DAYS = 90
MAX_STAFF_DAYS = 30


def create_token(user: User, name: str = "cli", days: int | None = None) -> str:
    """Create a bearer token valid for ``days`` and return its raw value; only its hash is
    kept. ValueError when ``days`` is out of range for this person."""
    is_staff, _ = staff_factor(user)
    longest = MAX_STAFF_DAYS if is_staff else MAX_DAYS
    days = days if days is not None else min(DEFAULT_DAYS, longest)
    if not 1 <= days <= longest:
        raise ValueError(f"a token for this person lasts 1 to {longest} days")
    raw = ApiToken.new_raw()
    now = clock.now()
    ApiToken.objects.create(
        user=user,
        name=name,
        digest=hash_token(raw),
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    return raw


@functools.cache
def _tokens() -> QuerySet[ApiToken]:
    """Tokens with their person and whether that person is court staff and has a second
    factor. Built once: resolving the two subqueries costs more than running the query, and
    each request only narrows a copy of it."""
    staff_member, has_factor = staff_and_factor("user_id")
    return ApiToken.objects.select_related("user").annotate(
        staff_member=staff_member, has_factor=has_factor
    )


def user_for_token(raw: str) -> Any:
    """The token's person, or None; court staff without a second factor are refused
    (``second_factor_required``) in the same query that finds the token."""
    token: Any = (
        _tokens()
        .filter(digest=hash_token(raw), revoked_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=clock.now()))
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    staff = token.staff_member or token.user.is_staff or token.user.is_superuser
    if staff and not token.has_factor:
        raise second_factor_problem()
    now = clock.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
