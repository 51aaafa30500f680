"""A local stand-in for an SMS gateway speaking the Twilio Programmable Messaging REST API.

It listens on 127.0.0.1 (an ephemeral port), takes ``POST /2010-04-01/Accounts/<sid>/
Messages.json`` with HTTP Basic auth and form fields ``To``, ``From``, ``Body`` and
``StatusCallback``, records each message and answers like the real gateway (201 with the
message as JSON; errors as JSON ``{code, message, status}``). It delivers nothing: a test
says what happened to a message with ``report`` (over HTTP, to the message's status
callback) or ``status_report`` (the signed report, for Django's test client).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpx

SENDER = "+8610690000"
E164 = re.compile(r"\+[1-9][0-9]{7,14}")
POLL_SECONDS = 0.05  # how soon the server notices it is asked to stop
UNREACHABLE_DESTINATION = 30003  # the gateway's error code for a handset it cannot reach


@dataclass(frozen=True)
class SmsMessage:
    sid: str
    to: str
    sender: str
    body: str
    status_callback: str | None


@dataclass(frozen=True)
class SignedReport:
    """A delivery report as the gateway posts it: ``form`` to ``url`` with ``signature`` in
    the ``X-Twilio-Signature`` header."""

    url: str
    form: dict[str, str]
    signature: str


def twilio_signature(auth_token: str, url: str, form: Mapping[str, str]) -> str:
    """The gateway's ``X-Twilio-Signature``, computed here independently of the client."""
    payload = url.encode()
    for name, value in sorted(form.items()):
        payload += name.encode() + value.encode()
    return base64.b64encode(hmac.new(auth_token.encode(), payload, hashlib.sha1).digest()).decode()


class SmsGatewayStandIn:
    """Start it with ``with SmsGatewayStandIn() as gateway:``; ``gateway.url`` configures
    ``SmsGateway.from_url``. Numbers in ``undeliverable`` are accepted but reported
    ``undelivered``; while ``unavailable`` is true every request gets a 503."""

    def __init__(self) -> None:
        self.account_sid = "AC" + secrets.token_hex(16)
        self.auth_token = secrets.token_hex(16)
        self.sender = SENDER
        self.undeliverable: set[str] = set()
        self.unavailable = False
        self._messages: list[SmsMessage] = []
        self._lock = threading.Lock()
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": POLL_SECONDS}, daemon=True
        )

    def __enter__(self) -> SmsGatewayStandIn:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The configuration URL for ``SmsGateway.from_url``."""
        return (
            f"http://{self.account_sid}:{self.auth_token}@127.0.0.1:{self.port}"
            f"?from={quote(self.sender)}"
        )

    @property
    def messages(self) -> list[SmsMessage]:
        """The messages taken so far, oldest first (a copy)."""
        with self._lock:
            return list(self._messages)

    def message(self, sid: str) -> SmsMessage:
        with self._lock:
            for message in self._messages:
                if message.sid == sid:
                    return message
        raise KeyError(sid)

    def status_report(
        self, sid: str, status: str | None = None, error_code: int | None = None
    ) -> SignedReport:
        """The signed delivery report for message ``sid``: ``status`` as given, or what
        became of it (``delivered``, or ``undelivered`` with error 30003 for a number in
        ``undeliverable``)."""
        message = self.message(sid)
        if message.status_callback is None:
            raise ValueError(f"message {sid} asked for no delivery report")
        if status is None:
            status = "undelivered" if message.to in self.undeliverable else "delivered"
        if error_code is None and status in ("undelivered", "failed"):
            error_code = UNREACHABLE_DESTINATION
        form = {
            "AccountSid": self.account_sid,
            "ApiVersion": "2010-04-01",
            "From": message.sender,
            "MessageSid": sid,
            "MessageStatus": status,
            "SmsSid": sid,
            "SmsStatus": status,
            "To": message.to,
        }
        if error_code is not None:
            form["ErrorCode"] = str(error_code)
        url = message.status_callback
        return SignedReport(url, form, twilio_signature(self.auth_token, url, form))

    def report(
        self, sid: str, status: str | None = None, error_code: int | None = None
    ) -> httpx.Response:
        """Post the signed delivery report (see ``status_report``) to the message's status
        callback, as the gateway does, and return the answer."""
        signed = self.status_report(sid, status, error_code)
        return httpx.post(
            signed.url, data=signed.form, headers={"X-Twilio-Signature": signed.signature}
        )

    def record(self, to: str, sender: str, body: str, status_callback: str | None) -> SmsMessage:
        """Take a message (the HTTP handler calls this for each accepted request)."""
        message = SmsMessage("SM" + secrets.token_hex(16), to, sender, body, status_callback)
        with self._lock:
            self._messages.append(message)
        return message


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, gateway: SmsGatewayStandIn) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.gateway = gateway


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        gateway = self.server.gateway
        length = int(self.headers.get("Content-Length") or 0)
        fields = parse_qs(self.rfile.read(length).decode(), keep_blank_values=True)
        form = {name: values[-1] for name, values in fields.items()}
        if gateway.unavailable:
            return self._error(HTTPStatus.SERVICE_UNAVAILABLE, 20503, "Service unavailable")
        if not self._authenticated(gateway):
            return self._error(HTTPStatus.UNAUTHORIZED, 20003, "Authenticate")
        if urlsplit(self.path).path != f"/2010-04-01/Accounts/{gateway.account_sid}/Messages.json":
            return self._error(
                HTTPStatus.NOT_FOUND, 20404, f"The requested resource {self.path} was not found"
            )
        to, sender, body = form.get("To", ""), form.get("From", ""), form.get("Body", "")
        if not to:
            return self._error(HTTPStatus.BAD_REQUEST, 21604, "A 'To' phone number is required.")
        if not E164.fullmatch(to):
            return self._error(
                HTTPStatus.BAD_REQUEST, 21211, f"The 'To' number {to} is not a valid phone number."
            )
        if sender != gateway.sender:
            return self._error(
                HTTPStatus.BAD_REQUEST,
                21606,
                f"The From phone number {sender} is not a valid, SMS-capable inbound phone "
                "number or short code for your account.",
            )
        if not body:
            return self._error(HTTPStatus.BAD_REQUEST, 21602, "Message body is required.")
        message = gateway.record(to, sender, body, form.get("StatusCallback"))
        self._json(
            HTTPStatus.CREATED,
            {
                "sid": message.sid,
                "account_sid": gateway.account_sid,
                "to": message.to,
                "from": message.sender,
                "body": message.body,
                "status": "queued",
                "api_version": "2010-04-01",
                "error_code": None,
                "error_message": None,
                "uri": f"/2010-04-01/Accounts/{gateway.account_sid}/Messages/{message.sid}.json",
            },
        )

    def _authenticated(self, gateway: SmsGatewayStandIn) -> bool:
        scheme, _, encoded = self.headers.get("Authorization", "").partition(" ")
        expected = base64.b64encode(f"{gateway.account_sid}:{gateway.auth_token}".encode())
        return scheme.lower() == "basic" and hmac.compare_digest(encoded.encode(), expected)

    def _error(self, status: HTTPStatus, code: int, message: str) -> None:
        self._json(status, {"code": code, "message": message, "status": int(status)})

    def _json(self, status: HTTPStatus, payload: Mapping[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if status == HTTPStatus.UNAUTHORIZED:
            self.send_header("WWW-Authenticate", 'Basic realm="Twilio API"')
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test output stays readable and no request line is printed."""
