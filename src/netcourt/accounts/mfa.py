"""Second factors: court staff cannot act until they have one.

Staff are the people with an active role at a court (clerk, judge, administrator) and the
back-office users. A second factor is an allauth authenticator that proves possession (TOTP
today; passkeys join it with the identity work); recovery codes alone do not count.
Once a person has one, allauth asks for it at every sign-in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from allauth.mfa.models import Authenticator
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation

from netcourt.accounts import security
from netcourt.accounts.models import User
from netcourt.core import clock, ratelimit
from netcourt.core.problems import Problem, problem_response
from netcourt.courts.models import CourtMembership

FACTOR_TYPES = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)
# Pages a member of staff without a second factor can still reach: signing in and out, the
# account pages where the factor is set up, the language switch and static files.
OPEN_PREFIXES = ("/accounts/", "/i18n/", "/static/", "/healthz")


def has_second_factor(user: Any) -> bool:
    return bool(
        user.is_authenticated
        and Authenticator.objects.filter(user=user, type__in=FACTOR_TYPES).exists()
    )


def staff_and_factor(user_ref: str) -> tuple[Exists, Exists]:
    """Expressions telling, for the user at ``user_ref``, whether they are court staff by
    membership and whether they have a second factor (for one query with others)."""
    return (
        Exists(CourtMembership.objects.filter(user=OuterRef(user_ref), active=True)),
        Exists(Authenticator.objects.filter(user=OuterRef(user_ref), type__in=FACTOR_TYPES)),
    )


def staff_factor(user: Any) -> tuple[bool, bool]:
    """(is court staff, has a second factor) for ``user``, in one query."""
    if user is None or not user.is_authenticated:
        return False, False
    row = User.objects.filter(pk=user.pk).values_list(*staff_and_factor("pk")).first()
    if row is None:
        return False, False
    is_member, has_factor = row
    return bool(is_member or user.is_staff or user.is_superuser), bool(has_factor)


def used_second_factor(request: HttpRequest) -> bool:
    """Whether this session's sign-in (or a later confirmation) used a second factor."""
    from allauth.account.internal.flows.login import get_authentication_records

    return any(r.get("method") == "mfa" for r in get_authentication_records(request, request.user))


# Where a person was sent from to set up or confirm a second factor (a page of theirs).
STEP_UP_BACK = "netcourt.step_up_back"
# An API client confirms a sensitive step with a current authenticator code in this header.
STEP_UP_HEADER = "Netcourt-Second-Factor"
# Wrong codes in that header: after this many in this many seconds, no code is checked until
# the window ends (allauth limits its own forms; a code is six digits, a bearer token could
# otherwise try them all). Each wrong code is in the person's security history.
HEADER_SCOPE, HEADER_FAILURES, HEADER_WINDOW = "second-factor-header", 5, 300


@dataclass(frozen=True)
class StepUp:
    """The second factor a person used most recently: how, and when."""

    method: str
    at: datetime


def last_second_factor(request: HttpRequest) -> StepUp | None:
    """The second factor used most recently for this request: a code sent with it in the
    ``Netcourt-Second-Factor`` header (API clients; each code counts once), otherwise the last
    one used in this browser session (allauth records each use)."""
    from allauth.account.internal.flows.login import get_authentication_records
    from allauth.mfa.totp.internal.auth import TOTP

    code = request.headers.get(STEP_UP_HEADER, "").strip()
    if code:
        user_key = str(request.user.pk)
        # Counted before the code is checked, so that requests sent at once cannot all pass a
        # count not yet raised; a right code is given back.
        if not ratelimit.allow(HEADER_SCOPE, user_key, HEADER_FAILURES, HEADER_WINDOW):
            raise Problem(
                "rate_limited",
                translation.gettext(
                    "Too many wrong second-factor codes: wait %(minutes)s minutes, then use "
                    "the code your authenticator shows."
                )
                % {"minutes": HEADER_WINDOW // 60},
                status=429,
            )
        totp = Authenticator.objects.filter(
            user_id=request.user.pk, type=Authenticator.Type.TOTP
        ).first()
        if totp is not None and TOTP(totp).validate_code(code):
            ratelimit.give_back(HEADER_SCOPE, user_key, HEADER_WINDOW)
            return StepUp(method=str(Authenticator.Type.TOTP), at=clock.now())
        security.record(request.user, "account:mfa:failed", request, via="api")
        return None
    if not hasattr(request, "session"):
        return None
    records = get_authentication_records(request, request.user)
    used = [r for r in records if r.get("method") == "mfa" and "at" in r]
    if not used:
        return None
    last = used[-1]
    return StepUp(
        method=str(last.get("type", "mfa")), at=datetime.fromtimestamp(float(last["at"]), UTC)
    )


def confirm_second_factor(request: HttpRequest, problem: Problem, back: str) -> HttpResponse:
    """A page's answer to ``step_up_required``: say why, let the person confirm with their
    second factor (or set one up first), then take them back to ``back``."""
    from django.contrib import messages

    messages.error(request, problem.message)
    where = "mfa_reauthenticate" if has_second_factor(request.user) else "mfa_index"
    if back.startswith("/") and not back.startswith("//"):
        # Setting a factor up takes several of allauth's pages, which forget ``next``: each
        # offers the way back until the person is there again (netcourt.web.context).
        request.session[STEP_UP_BACK] = back
    return redirect(f"{reverse(where)}?{urlencode({'next': back})}")


def add_totp(user: Any, secret: str) -> None:
    """Give ``user`` a TOTP authenticator with ``secret`` (base32), unless they have one."""
    from allauth.mfa.totp.internal.auth import TOTP

    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, secret)


def current_totp_code(secret: str) -> str:
    """The code an authenticator app shows now for ``secret``."""
    from allauth.mfa.totp.internal.auth import (
        format_hotp_value,
        hotp_value,
        yield_hotp_counters_from_time,
    )

    counters = list(yield_hotp_counters_from_time())
    return str(format_hotp_value(hotp_value(secret, counters[len(counters) // 2])))


def second_factor_problem() -> Problem:
    return Problem(
        "second_factor_required",
        translation.gettext(
            "Court staff must set up a second factor (an authenticator app) before acting. "
            "Set it up under “Account security”."
        ),
        status=403,
    )


class SecondFactorMiddleware:
    """Sends staff without a second factor to set one up; the API answers 403."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path
        if not path.startswith(OPEN_PREFIXES):
            is_staff, has_factor = staff_factor(request.user)
            if is_staff and not has_factor:
                return self._refuse(request, "mfa_activate_totp")
            # A session that never used the factor (signed in before it was added, or by
            # any way around allauth's second step) must confirm it before staff work.
            if is_staff and not used_second_factor(request):
                return self._refuse(request, "mfa_reauthenticate")
        response: HttpResponse = self.get_response(request)
        return response

    @staticmethod
    def _refuse(request: HttpRequest, where: str) -> HttpResponse:
        if request.path.startswith("/api/"):
            return problem_response(request, second_factor_problem())
        from django.contrib import messages

        messages.warning(request, second_factor_problem().message)
        return redirect(f"{reverse(where)}?{urlencode({'next': request.get_full_path()})}")


def _count_new_factor_as_used(request: HttpRequest, authenticator: Any, **kwargs: Any) -> None:
    """Adding a factor proves it (a code or a key was just used): the session counts it."""
    from allauth.account.internal.flows.login import record_authentication

    if authenticator.type in FACTOR_TYPES and hasattr(request, "session"):
        record_authentication(request, authenticator.user, "mfa", type=str(authenticator.type))


def connect() -> None:
    from allauth.mfa.signals import authenticator_added

    authenticator_added.connect(
        _count_new_factor_as_used, weak=False, dispatch_uid="netcourt.mfa.new-factor"
    )
