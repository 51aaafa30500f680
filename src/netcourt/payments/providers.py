"""Payment providers behind one small interface. The court creates an intent with an
idempotency key of its choosing, sends the payer to the provider's checkout, and learns the
outcome from a signed webhook, from the return to the court, or by asking (`retrieve`)."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from netcourt.core import loopback
from netcourt.core.numbers import whole_number

PENDING, SUCCEEDED, FAILED = "pending", "succeeded", "failed"
# Client errors that may pass when asked again: a timeout, a conflict, too early or too
# many; and the court's own fault, not the request's: its key refused or not allowed (401,
# 403, a wrong or rotated secret) or the address wrong (404). A refund refused with one of
# these stays owed, to go at the next run once the setting is put right.
RETRYABLE = frozenset({401, 403, 404, 408, 409, 425, 429})
WEBHOOK_TOLERANCE = timedelta(minutes=5)  # older signatures are refused as replays
CLOCK_SKEW = timedelta(seconds=30)  # a signature from further in the future is refused


# Unix times a provider sends (seconds): up to the year 3000, in ASCII digits.
MAX_UNIX_TIME = 32_503_680_000


def _unix_time(raw: object, now: datetime) -> datetime:
    """A Unix time a provider sent (a JSON number or ASCII digits) in ``now``'s zone;
    ValueError for anything else: other scripts' digits, a fraction, the far future."""
    text = str(raw) if isinstance(raw, int | str) and not isinstance(raw, bool) else None
    seconds = whole_number(text, maximum=MAX_UNIX_TIME)
    if seconds is None:
        raise ValueError(f"not a Unix time: {raw!r}")
    return datetime.fromtimestamp(seconds, now.tzinfo)


@dataclass(frozen=True)
class Intent:
    id: str
    status: str  # PENDING, SUCCEEDED or FAILED (the last attempt was declined)
    checkout_url: str


@dataclass(frozen=True)
class Refund:
    id: str
    status: str  # PENDING, SUCCEEDED or FAILED


@dataclass(frozen=True)
class WebhookEvent:
    id: str
    type: str
    intent_id: str
    status: str
    created: datetime
    refund_id: str = ""  # for a refund's event: the provider's refund, and
    reference: str = ""  # the court's key for it (given as the refund's reference)


class ProviderError(Exception):
    """The provider could not be reached or gave an answer that makes no sense; ``refused``
    when it answered that it will not do what was asked (a 4xx answer other than a timeout,
    a conflict or too many requests), so that asking again cannot help."""

    def __init__(self, message: str, *, refused: bool = False) -> None:
        super().__init__(message)
        self.refused = refused


class WebhookRejected(Exception):
    """A webhook that is not the provider's, or not fresh."""


class Provider(Protocol):
    name: str

    def create_intent(
        self, key: str, amount: Decimal, currency: str, reference: str, return_url: str
    ) -> Intent: ...

    def retrieve(self, intent_id: str) -> Intent: ...

    def refund(self, intent_id: str, key: str, amount: Decimal) -> Refund: ...

    def verify_webhook(
        self, headers: Mapping[str, str], body: bytes, now: datetime
    ) -> WebhookEvent: ...


class SandboxProvider:
    """netcourt's own sandbox payment service (`netcourt.paysandbox`)."""

    name = "sandbox"
    SIGNATURE_HEADER = "Sandbox-Signature"

    def __init__(
        self, base_url: str, secret: str, webhook_secret: str, transport: loopback.Transport
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.secret = secret
        self.webhook_secret = webhook_secret
        self.transport = transport

    def _call(self, method: str, path: str, body: Any = None, key: str = "") -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.secret}", "Content-Type": "application/json"}
        if key:
            headers["Idempotency-Key"] = key
        data = None if body is None else json.dumps(body).encode()
        try:
            status, answer = self.transport(method, self.base_url + path, headers, data)
            parsed: dict[str, Any] = json.loads(answer)
        except (OSError, ValueError) as error:
            raise ProviderError(str(error)) from error
        if not 200 <= status < 300:
            raise ProviderError(
                f"{status}: {parsed.get('error', {}).get('code', '')}",
                refused=400 <= status < 500 and status not in RETRYABLE,
            )
        return parsed

    @staticmethod
    def _status(data: Mapping[str, Any]) -> str:
        if data.get("status") == "succeeded":
            return SUCCEEDED
        return FAILED if data.get("last_error") else PENDING

    def _intent(self, data: Mapping[str, Any]) -> Intent:
        try:
            return Intent(str(data["id"]), self._status(data), str(data.get("checkout_url", "")))
        except KeyError as error:
            raise ProviderError("no intent id") from error

    def create_intent(
        self, key: str, amount: Decimal, currency: str, reference: str, return_url: str
    ) -> Intent:
        body = {
            "amount": f"{amount:f}",
            "currency": currency,
            "reference": reference,
            "return_url": return_url,
        }
        return self._intent(self._call("POST", "/v1/intents", body, key=key))

    def retrieve(self, intent_id: str) -> Intent:
        return self._intent(self._call("GET", f"/v1/intents/{intent_id}"))

    def refund(self, intent_id: str, key: str, amount: Decimal) -> Refund:
        """Give back ``amount`` of a paid intent; asking again with the same ``key`` gives
        the same refund as it stands now (so it doubles as retrieving it)."""
        body = {"amount": f"{amount:f}", "reference": key}
        data = self._call("POST", f"/v1/intents/{intent_id}/refunds", body, key=key)
        return self._refund(data)

    @staticmethod
    def _refund(data: Mapping[str, Any]) -> Refund:
        status = {"succeeded": SUCCEEDED, "failed": FAILED}.get(str(data.get("status")), PENDING)
        try:
            return Refund(str(data["id"]), status)
        except KeyError as error:
            raise ProviderError("no refund id") from error

    def verify_webhook(
        self, headers: Mapping[str, str], body: bytes, now: datetime
    ) -> WebhookEvent:
        header = next(
            (v for k, v in headers.items() if k.lower() == self.SIGNATURE_HEADER.lower()), ""
        )
        parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
        timestamp, given = parts.get("t", ""), parts.get("v1", "")
        try:
            signed_at = _unix_time(timestamp, now)
        except ValueError as error:
            raise WebhookRejected("signature missing") from error
        if not given:
            raise WebhookRejected("signature missing")
        expected = hmac.new(
            self.webhook_secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
        ).hexdigest()
        if not hmac.compare_digest(expected.encode(), given.encode()):
            raise WebhookRejected("signature invalid")
        if signed_at < now - WEBHOOK_TOLERANCE or signed_at > now + CLOCK_SKEW:
            raise WebhookRejected("timestamp outside the tolerance")
        try:
            event = json.loads(body)
            created = _unix_time(event["created"], now)
            if "refund" in event["data"]:
                refund = event["data"]["refund"]
                return WebhookEvent(
                    id=str(event["id"]),
                    type=str(event["type"]),
                    intent_id=str(refund["intent"]),
                    status=self._refund(refund).status,
                    created=created,
                    refund_id=str(refund["id"]),
                    reference=str(refund.get("reference") or ""),
                )
            intent = event["data"]["intent"]
            return WebhookEvent(
                id=str(event["id"]),
                type=str(event["type"]),
                intent_id=str(intent["id"]),
                status=self._status(intent),
                created=created,
            )
        except (ValueError, KeyError, TypeError, ProviderError) as error:
            raise WebhookRejected("body malformed") from error


def get_provider(name: str | None = None) -> Provider:
    """The provider named by ``NETCOURT_PAYMENT_PROVIDER`` (or ``name``)."""
    name = name or settings.NETCOURT_PAYMENT_PROVIDER
    if name == "sandbox":
        url = settings.NETCOURT_SANDBOX_PAY_URL
        return SandboxProvider(
            url or settings.NETCOURT_BASE_URL.rstrip("/") + "/sandbox-pay",
            settings.NETCOURT_SANDBOX_PAY_SECRET,
            settings.NETCOURT_SANDBOX_PAY_WEBHOOK_SECRET,
            loopback.over_http if url else loopback.in_process,
        )
    raise ImproperlyConfigured(f"NETCOURT_PAYMENT_PROVIDER: no provider named {name!r}")
