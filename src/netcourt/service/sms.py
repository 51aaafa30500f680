"""An SMS gateway client speaking the Twilio Programmable Messaging REST API.

The gateway is configured by one URL (see ``SmsGateway.from_url``). A message is sent with
``POST {base_url}/2010-04-01/Accounts/{account_sid}/Messages.json`` (HTTP Basic auth with the
account sid and auth token, form fields ``To``, ``From``, ``Body`` and ``StatusCallback``);
the gateway later posts a delivery report to the status callback URL, signed with the
``X-Twilio-Signature`` header (``verify_signature``, then ``parse_status_callback``).

Phone numbers are personal data: nothing here logs them, and no error carries one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import httpx

API_VERSION = "2010-04-01"
SIGNATURE_HEADER = "X-Twilio-Signature"
DEFAULT_TIMEOUT_SECONDS = 10.0

SmsState = Literal["sent", "delivered", "failed"]

# Every message status the gateway may report, and what it means for service.
_STATES: dict[str, SmsState] = {
    "accepted": "sent",
    "scheduled": "sent",
    "queued": "sent",
    "sending": "sent",
    "sent": "sent",
    "delivered": "delivered",
    "read": "delivered",
    "undelivered": "failed",
    "failed": "failed",
    "canceled": "failed",
}

# Refusals that say nothing about the message: retrying later, or after the operator fixes
# the gateway's credentials, may succeed.
_RETRYABLE = frozenset({401, 403, 408, 429})


class SmsError(Exception):
    """The gateway did not take the message."""


class SmsRefused(SmsError):
    """The gateway refused this message for good (a number that cannot take SMS, ...).

    ``code`` is the gateway's error code (``21211``: not a valid phone number), or the HTTP
    status when the answer carried none. ``message`` never contains the phone number.
    """

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"SMS refused ({code}): {message}")
        self.code = code
        self.message = message


class SmsUnavailable(SmsError):
    """The gateway could not be reached or could not take the message now: retry later."""


class InvalidStatusReport(ValueError):
    """A delivery report without a message sid, with an unknown status or error code."""


@dataclass(frozen=True)
class SentSms:
    sid: str
    status: str  # as the gateway said: "queued", "accepted", ...


@dataclass(frozen=True)
class SmsStatus:
    sid: str
    status: SmsState
    error_code: int | None


@dataclass(frozen=True)
class SmsGateway:
    base_url: str
    account_sid: str
    auth_token: str = field(repr=False)
    sender: str
    timeout: float = DEFAULT_TIMEOUT_SECONDS

    @classmethod
    def from_url(cls, url: str) -> SmsGateway:
        """The gateway configured by ``url``::

            https://<account sid>:<auth token>@<host>[:<port>][/<path>]?from=<sender>[&timeout=<seconds>]

        for example ``https://ACxxxx:token@api.twilio.com?from=%2B8610690000``. The sender is
        the number (E.164, ``+`` written as is or as ``%2B``) or alphanumeric sender id that
        messages come from; ``timeout`` (default 10 seconds) bounds each request. The sid
        and token are percent-decoded.
        """
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise ValueError("SMS gateway URL: the scheme must be http or https")
        credentials, at, host = parts.netloc.rpartition("@")
        account_sid, colon, auth_token = credentials.partition(":")
        if not (at and colon and account_sid and auth_token and host):
            raise ValueError("SMS gateway URL: expected <account sid>:<auth token>@<host>")
        options = dict(parse_qsl(parts.query.replace("+", "%2B"), keep_blank_values=True))
        unknown = sorted(options.keys() - {"from", "timeout"})
        if unknown:
            raise ValueError(f"SMS gateway URL: unknown option(s) {', '.join(unknown)}")
        sender = options.get("from", "")
        if not sender:
            raise ValueError("SMS gateway URL: the sender (?from=) is missing")
        try:
            timeout = float(options.get("timeout", DEFAULT_TIMEOUT_SECONDS))
        except ValueError:
            raise ValueError("SMS gateway URL: timeout must be a number of seconds") from None
        if not timeout > 0:
            raise ValueError("SMS gateway URL: timeout must be positive")
        return cls(
            base_url=f"{parts.scheme}://{host}{parts.path.rstrip('/')}",
            account_sid=unquote(account_sid),
            auth_token=unquote(auth_token),
            sender=sender,
            timeout=timeout,
        )

    @property
    def messages_url(self) -> str:
        account = quote(self.account_sid, safe="")
        return f"{self.base_url}/{API_VERSION}/Accounts/{account}/Messages.json"

    def send(self, to: str, body: str, status_callback: str | None = None) -> SentSms:
        """Hand ``body`` to the gateway for ``to`` (E.164). The gateway reports delivery to
        ``status_callback`` if given. Raises ``SmsRefused`` or ``SmsUnavailable``."""
        form = {"To": to, "From": self.sender, "Body": body}
        if status_callback is not None:
            form["StatusCallback"] = status_callback
        try:
            response = httpx.post(
                self.messages_url,
                data=form,
                auth=(self.account_sid, self.auth_token),
                headers={"Accept": "application/json"},
                timeout=self.timeout,
            )
        except httpx.HTTPError as exc:
            raise SmsUnavailable(f"SMS gateway unreachable ({type(exc).__name__})") from exc
        answer = _json_object(response)
        if response.is_success:
            sid = answer.get("sid")
            if not isinstance(sid, str) or not sid:
                raise SmsUnavailable("SMS gateway accepted the message without a sid")
            status = answer.get("status")
            return SentSms(sid=sid, status=status if isinstance(status, str) else "queued")
        code = answer.get("code")
        code = code if isinstance(code, int) else response.status_code
        message = answer.get("message")
        message = _redact(message if isinstance(message, str) else response.reason_phrase, to)
        if response.is_client_error and response.status_code not in _RETRYABLE:
            raise SmsRefused(code, message)
        raise SmsUnavailable(f"SMS gateway answered {response.status_code} ({code}): {message}")


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        answer = response.json()
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


def _redact(message: str, number: str) -> str:
    """``message`` without ``number``, which gateways like to quote back in errors."""
    digits = number.lstrip("+")
    return message.replace(number, "[number]").replace(digits, "[number]") if digits else message


def parse_status_callback(form: Mapping[str, str]) -> SmsStatus:
    """The delivery report the gateway posted (form fields ``MessageSid``, ``MessageStatus``
    and, when delivery failed, ``ErrorCode``). Verify its signature first."""
    sid = form.get("MessageSid", "")
    if not sid:
        raise InvalidStatusReport("delivery report without MessageSid")
    reported = form.get("MessageStatus", "")
    status = _STATES.get(reported)
    if status is None:
        raise InvalidStatusReport(f"delivery report with unknown status {reported!r}")
    error = form.get("ErrorCode", "")
    if error and not (error.isascii() and error.isdigit()):
        raise InvalidStatusReport("delivery report with a non-numeric ErrorCode")
    return SmsStatus(sid=sid, status=status, error_code=int(error) if error else None)


def verify_signature(
    url: str, form: Mapping[str, str], signature_header: str | None, auth_token: str
) -> bool:
    """Whether ``signature_header`` (the ``X-Twilio-Signature`` header) signs this request.

    The signature is the base64 HMAC-SHA1, keyed with the auth token, of ``url`` (the full
    URL the gateway called, query string included, exactly as it called it) followed by
    each POST parameter's name and value, sorted by name, with no separators.
    """
    if not signature_header:
        return False
    signed = url + "".join(name + form[name] for name in sorted(form))
    digest = hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()
    expected = base64.b64encode(digest)
    return hmac.compare_digest(expected, signature_header.encode())
