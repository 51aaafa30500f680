from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netcourt.service.sms import (
    InvalidStatusReport,
    SentSms,
    SmsGateway,
    SmsRefused,
    SmsState,
    SmsStatus,
    SmsUnavailable,
    parse_status_callback,
    verify_signature,
)
from tests.service.sms_gateway import POLL_SECONDS, SmsGatewayStandIn, twilio_signature

NUMBER = "+8613800138000"
CALLBACK = "https://court.example.test/service/sms/status/?court=hangzhou"


Received = tuple[str, dict[str, str], str | None]  # URL, form, X-Twilio-Signature


class _CourtEndpoint(HTTPServer):
    """The court's end of delivery reports: keeps what arrived, answers 204."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ReportHandler)
        self.received: list[Received] = []
        self.url = f"http://127.0.0.1:{self.server_address[1]}/service/sms/status/?court=hangzhou"


class _ReportHandler(BaseHTTPRequestHandler):
    server: _CourtEndpoint

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        form = {name: values[-1] for name, values in parse_qs(body).items()}
        url = f"http://{self.headers['Host']}{self.path}"
        self.server.received.append((url, form, self.headers.get("X-Twilio-Signature")))
        self.send_response(HTTPStatus.NO_CONTENT)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def court() -> Iterator[_CourtEndpoint]:
    endpoint = _CourtEndpoint()
    thread = threading.Thread(
        target=endpoint.serve_forever, kwargs={"poll_interval": POLL_SECONDS}, daemon=True
    )
    thread.start()
    yield endpoint
    endpoint.shutdown()
    endpoint.server_close()
    thread.join()


def test_from_url_reads_the_configuration() -> None:
    gateway = SmsGateway.from_url(
        "https://AC0123:s%3Acret@api.twilio.com/?from=%2B8610690000&timeout=2.5"
    )
    assert gateway == SmsGateway(
        base_url="https://api.twilio.com",
        account_sid="AC0123",
        auth_token="s:cret",
        sender="+8610690000",
        timeout=2.5,
    )
    assert gateway.messages_url == "https://api.twilio.com/2010-04-01/Accounts/AC0123/Messages.json"
    assert "s:cret" not in repr(gateway)
    literal_plus = SmsGateway.from_url("http://AC1:t@127.0.0.1:8080/sms?from=+8610690000")
    assert literal_plus.sender == "+8610690000"
    assert literal_plus.base_url == "http://127.0.0.1:8080/sms"
    assert literal_plus.timeout == 10.0


@pytest.mark.parametrize(
    "url",
    [
        "ftp://AC1:t@example.test?from=%2B8610690000",
        "https://example.test?from=%2B8610690000",
        "https://AC1@example.test?from=%2B8610690000",
        "https://AC1:t@example.test",
        "https://AC1:t@example.test?from=%2B8610690000&timeout=soon",
        "https://AC1:t@example.test?from=%2B8610690000&timeout=0",
        "https://AC1:t@example.test?form=%2B8610690000",
    ],
)
def test_from_url_refuses_an_incomplete_configuration(url: str) -> None:
    with pytest.raises(ValueError, match="SMS gateway URL") as refused:
        SmsGateway.from_url(url)
    assert ":t@" not in str(refused.value)


def test_send_hands_the_message_to_the_gateway(sms_gateway: SmsGatewayStandIn) -> None:
    gateway = SmsGateway.from_url(sms_gateway.url)

    sent = gateway.send(NUMBER, "您有一份法院文书待查收 / A court document awaits you.", CALLBACK)

    assert re.fullmatch(r"SM[0-9a-f]{32}", sent.sid)
    assert sent == SentSms(sid=sent.sid, status="queued")
    [message] = sms_gateway.messages
    assert message.sid == sent.sid
    assert message.to == NUMBER
    assert message.sender == "+8610690000"
    assert message.body == "您有一份法院文书待查收 / A court document awaits you."
    assert message.status_callback == CALLBACK


def test_send_without_a_status_callback(sms_gateway: SmsGatewayStandIn) -> None:
    sent = SmsGateway.from_url(sms_gateway.url).send(NUMBER, "Hearing on 2 November.")

    assert sms_gateway.message(sent.sid).status_callback is None


def test_an_invalid_number_is_refused_with_the_gateways_code_and_without_the_number(
    sms_gateway: SmsGatewayStandIn,
) -> None:
    gateway = SmsGateway.from_url(sms_gateway.url)

    with pytest.raises(SmsRefused) as refused:
        gateway.send("+86 138", "Hello", CALLBACK)

    assert refused.value.code == 21211
    assert "not a valid phone number" in refused.value.message
    assert "138" not in str(refused.value)
    assert sms_gateway.messages == []


def test_wrong_credentials_are_not_a_refusal_of_the_message(
    sms_gateway: SmsGatewayStandIn,
) -> None:
    gateway = SmsGateway.from_url(sms_gateway.url.replace(sms_gateway.auth_token, "wrong"))

    with pytest.raises(SmsUnavailable, match="401"):
        gateway.send(NUMBER, "Hello")

    assert sms_gateway.messages == []


def test_a_gateway_in_trouble_is_unavailable(sms_gateway: SmsGatewayStandIn) -> None:
    sms_gateway.unavailable = True

    with pytest.raises(SmsUnavailable, match="503"):
        SmsGateway.from_url(sms_gateway.url).send(NUMBER, "Hello")


def test_a_gateway_that_is_down_is_unavailable(sms_gateway: SmsGatewayStandIn) -> None:
    gateway = SmsGateway.from_url(sms_gateway.url)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    down = SmsGateway(
        f"http://127.0.0.1:{closed_port}", gateway.account_sid, gateway.auth_token, gateway.sender
    )

    with pytest.raises(SmsUnavailable, match="ConnectError"):
        down.send(NUMBER, "Hello")


def test_a_gateway_that_never_answers_is_unavailable() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        gateway = SmsGateway.from_url(f"http://AC1:t@127.0.0.1:{port}?from=%2B1&timeout=0.2")

        with pytest.raises(SmsUnavailable, match="Timeout"):
            gateway.send(NUMBER, "Hello")


def test_a_signed_delivery_report_reaches_the_callback_and_verifies(
    sms_gateway: SmsGatewayStandIn,
    court: _CourtEndpoint,
) -> None:
    gateway = SmsGateway.from_url(sms_gateway.url)
    sent = gateway.send(NUMBER, "Hello", court.url)

    assert sms_gateway.report(sent.sid, "delivered").status_code == HTTPStatus.NO_CONTENT

    [(url, form, signature)] = court.received
    assert url == court.url
    assert verify_signature(url, form, signature, gateway.auth_token)
    assert parse_status_callback(form) == SmsStatus(sent.sid, "delivered", None)


def test_an_undeliverable_number_is_reported_failed(
    sms_gateway: SmsGatewayStandIn,
    court: _CourtEndpoint,
) -> None:
    sms_gateway.undeliverable.add(NUMBER)
    gateway = SmsGateway.from_url(sms_gateway.url)
    sent = gateway.send(NUMBER, "Hello", court.url)

    sms_gateway.report(sent.sid)

    [(url, form, signature)] = court.received
    assert verify_signature(url, form, signature, gateway.auth_token)
    assert parse_status_callback(form) == SmsStatus(sent.sid, "failed", 30003)


def test_a_forged_or_altered_report_is_rejected(sms_gateway: SmsGatewayStandIn) -> None:
    gateway = SmsGateway.from_url(sms_gateway.url)
    sent = gateway.send(NUMBER, "Hello", CALLBACK)
    report = sms_gateway.status_report(sent.sid, "undelivered")
    token = gateway.auth_token
    assert verify_signature(report.url, report.form, report.signature, token)

    delivered = {**report.form, "MessageStatus": "delivered"}
    extra = {**report.form, "Forged": "1"}
    forged = twilio_signature("not-the-token", report.url, report.form)
    other_url = CALLBACK.replace("hangzhou", "beijing")
    assert not verify_signature(report.url, delivered, report.signature, token)
    assert not verify_signature(report.url, extra, report.signature, token)
    assert not verify_signature(other_url, report.form, report.signature, token)
    assert not verify_signature(report.url, report.form, forged, token)
    assert not verify_signature(report.url, report.form, None, token)
    assert not verify_signature(report.url, report.form, "", token)
    assert not verify_signature(report.url, report.form, "签名", token)


def test_signature_matches_twilios_documented_example() -> None:
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+12349013030",
        "Digits": "1234",
        "From": "+12349013030",
        "To": "+18005551212",
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"

    assert verify_signature(url, params, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", "12345")


forms = st.dictionaries(st.text(min_size=1), st.text(), max_size=8)


@given(url=st.text(), form=forms, token=st.text(min_size=1))
def test_what_the_gateway_signs_verifies(url: str, form: dict[str, str], token: str) -> None:
    assert verify_signature(url, form, twilio_signature(token, url, form), token)


@given(url=st.text(), form=forms, token=st.text(min_size=1), name=st.text(min_size=1))
def test_a_changed_parameter_does_not_verify(
    url: str, form: dict[str, str], token: str, name: str
) -> None:
    signature = twilio_signature(token, url, form)
    altered = {**form, name: form.get(name, "") + "x"}

    assert not verify_signature(url, altered, signature, token)


@pytest.mark.parametrize(
    ("reported", "status"),
    [
        ("accepted", "sent"),
        ("scheduled", "sent"),
        ("queued", "sent"),
        ("sending", "sent"),
        ("sent", "sent"),
        ("delivered", "delivered"),
        ("read", "delivered"),
        ("undelivered", "failed"),
        ("failed", "failed"),
        ("canceled", "failed"),
    ],
)
def test_status_is_normalised(reported: str, status: SmsState) -> None:
    parsed = parse_status_callback({"MessageSid": "SM1", "MessageStatus": reported})

    assert parsed == SmsStatus("SM1", status, None)


def test_error_code_is_read() -> None:
    form = {"MessageSid": "SM1", "MessageStatus": "failed", "ErrorCode": "30005"}

    assert parse_status_callback(form).error_code == 30005


TWILIO_STATUSES = [
    *("accepted", "scheduled", "queued", "sending", "sent"),
    *("delivered", "read", "undelivered", "failed", "canceled"),
]


@given(st.one_of(st.sampled_from(TWILIO_STATUSES), st.text()))
def test_a_status_is_one_of_three_or_refused(reported: str) -> None:
    form = {"MessageSid": "SM1", "MessageStatus": reported}
    if reported in TWILIO_STATUSES:
        assert parse_status_callback(form).status in ("sent", "delivered", "failed")
    else:
        with pytest.raises(InvalidStatusReport):
            parse_status_callback(form)


@pytest.mark.parametrize(
    "form",
    [
        {"MessageStatus": "delivered"},
        {"MessageSid": "", "MessageStatus": "delivered"},
        {"MessageSid": "SM1"},
        {"MessageSid": "SM1", "MessageStatus": "DELIVERED"},
        {"MessageSid": "SM1", "MessageStatus": "failed", "ErrorCode": "30005; DROP"},
        {"MessageSid": "SM1", "MessageStatus": "failed", "ErrorCode": "٣٠٠٠٥"},
    ],
)
def test_a_malformed_report_is_refused(form: dict[str, str]) -> None:
    with pytest.raises(InvalidStatusReport):
        parse_status_callback(form)
