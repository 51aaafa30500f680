"""The security history of an account: every sign-in, failed sign-in, second-factor and
password change, tagged and shown to the person (``/accounts/security/``).

Events come from allauth's and Django's signals, so every way in (the sign-in form, the
second-factor step, password reset by e-mail) is recorded the same way.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from allauth.account import signals as account_signals
from allauth.mfa import signals as mfa_signals
from allauth.mfa.models import Authenticator
from django.contrib.auth import signals as auth_signals
from django.db.models import Q
from django.db.models.signals import post_delete
from django.http import HttpRequest
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from netcourt.accounts.models import SecurityEvent, User
from netcourt.core import clock

LABELS: dict[str, Promise] = {
    "account:signup": _("Account created"),
    "account:signin": _("Signed in"),
    "account:signin:failed": _("Failed sign-in attempt (wrong password)"),
    "account:signout": _("Signed out"),
    "account:password:changed": _("Password changed"),
    "account:password:set": _("Password set"),
    "account:password:reset": _("Password reset by e-mail"),
    "account:email:added": _("E-mail address added"),
    "account:email:removed": _("E-mail address removed"),
    "account:email:changed": _("Primary e-mail address changed"),
    "account:email:confirmed": _("E-mail address confirmed"),
    "account:mfa:added": _("Second factor added"),
    "account:mfa:removed": _("Second factor removed"),
    "account:mfa:reset": _("New recovery codes generated"),
    "account:mfa:failed": _("Wrong second-factor code"),
    "account:identity:verified": _("Identity verified"),
    "account:identity:superseded": _(
        "Identity check withdrawn: the same document was verified more strongly for another account"
    ),
    "account:representation:appointed": _("Representative appointed in a case"),
    "account:representation:ended": _("Representation in a case ended"),
    "account:organisation:requested": _("Asked to act for an organisation"),
    "account:organisation:approved": _("Approved to act for an organisation"),
    "account:organisation:refused": _("Refused authority to act for an organisation"),
    "account:organisation:revoked": _("Authority to act for an organisation ended"),
    "account:calendar:created": _("Calendar address made (an earlier one stopped working)"),
    "account:calendar:ended": _("Calendar address ended"),
}
MFA_KINDS: dict[str, Promise] = {
    "totp": _("authenticator app"),
    "recovery_codes": _("recovery codes"),
    "webauthn": _("security key or passkey"),
}


def _client(request: HttpRequest | None) -> tuple[str | None, str]:
    if request is None:
        return None, ""
    try:
        ip: str | None = str(ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")))
    except ValueError:  # not an address (a misconfigured proxy): keep the event without it
        ip = None
    return ip, request.META.get("HTTP_USER_AGENT", "")[:200]


def record(user: Any, tag: str, request: HttpRequest | None, **detail: str) -> SecurityEvent:
    if tag not in LABELS:
        raise ValueError(f"unknown security event tag {tag!r}")
    ip, device = _client(request)
    return SecurityEvent.objects.create(
        user=user, tag=tag, at=clock.now(), ip=ip, device=device, detail=detail
    )


def label(event: SecurityEvent) -> str:
    text = str(LABELS[event.tag])
    kind = event.detail.get("kind")
    if kind in MFA_KINDS:
        text = f"{text} ({MFA_KINDS[kind]})"
    return text


def _user_for_login(credentials: dict[str, Any]) -> User | None:
    """The account a failed sign-in was aimed at, if the login names one."""
    login = str(credentials.get("email") or credentials.get("username") or "").strip()
    if not login:
        return None
    return (
        User.objects.filter(Q(email__iexact=login) | Q(emailaddress__email__iexact=login))
        .distinct()
        .first()
    )


def _on_signout(request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record(user, "account:signout", request)


def _on_signin_failed(credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    user = _user_for_login(credentials)
    if user is not None:
        record(user, "account:signin:failed", request)


def _simple(tag: str) -> Any:
    def receiver(request: HttpRequest, **kwargs: Any) -> None:
        user = kwargs.get("user") or kwargs["email_address"].user
        record(user, tag, request)

    return receiver


def _on_authenticator(tag: str) -> Any:
    def receiver(request: HttpRequest, authenticator: Any, **kwargs: Any) -> None:
        record(authenticator.user, tag, request, kind=str(authenticator.type))

    return receiver


_RECEIVERS: list[tuple[Any, Any]] = [
    (account_signals.user_signed_up, _simple("account:signup")),
    (account_signals.user_logged_in, _simple("account:signin")),
    (auth_signals.user_logged_out, _on_signout),
    (auth_signals.user_login_failed, _on_signin_failed),
    (account_signals.password_changed, _simple("account:password:changed")),
    (account_signals.password_set, _simple("account:password:set")),
    (account_signals.password_reset, _simple("account:password:reset")),
    (account_signals.email_added, _simple("account:email:added")),
    (account_signals.email_removed, _simple("account:email:removed")),
    (account_signals.email_changed, _simple("account:email:changed")),
    (account_signals.email_confirmed, _simple("account:email:confirmed")),
    (mfa_signals.authenticator_added, _on_authenticator("account:mfa:added")),
    (mfa_signals.authenticator_reset, _on_authenticator("account:mfa:reset")),
    (mfa_signals.authentication_failed, _simple("account:mfa:failed")),
]


def _on_factor_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Every way a factor goes — the person removing it, or the court's administrator
    removing it in the back office to let someone who lost everything back in — is recorded."""
    record(instance.user, "account:mfa:removed", None, kind=str(instance.type))


def connect() -> None:
    from netcourt.accounts.models import SecondFactor

    for model in (Authenticator, SecondFactor):  # the back office deletes through the proxy
        post_delete.connect(
            _on_factor_deleted,
            sender=model,
            weak=False,
            dispatch_uid=f"netcourt.mfa.removed.{model.__name__}",
        )
    for number, (signal, receiver) in enumerate(_RECEIVERS):
        signal.connect(receiver, weak=False, dispatch_uid=f"netcourt.security.{number}")
