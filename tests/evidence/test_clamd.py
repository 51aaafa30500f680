"""The clamd client against a real clamd (started by the `clamd` fixture), and `check` with it."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest

from netcourt.evidence.clamd import ClamdClient, ClamdError, ClamdResult
from netcourt.evidence.scan import ScanPolicy, check

from .conftest import (
    CLAMD_STREAM_MAX,
    EICAR,
    EICAR_SIGNATURE,
    TEST_PATTERN,
    TEST_PATTERN_SIGNATURE,
    Clamd,
    Samples,
)

MiB = 1024 * 1024


@pytest.fixture(params=["unix", "tcp"])
def client(request: pytest.FixtureRequest, clamd: Clamd) -> ClamdClient:
    address = clamd.unix_address if request.param == "unix" else clamd.tcp_address
    return ClamdClient(address, timeout=60)


def test_ping_and_version(client: ClamdClient) -> None:
    assert client.ping() is True
    assert client.version().startswith("ClamAV 1.")


def test_a_clean_file_is_clean(client: ClamdClient, samples: Samples) -> None:
    assert client.scan(samples.of(samples.pdf()).opener) == ClamdResult(found=False)


def test_the_eicar_file_is_found(client: ClamdClient, samples: Samples) -> None:
    result = client.scan(samples.of(EICAR).opener)
    assert result.found
    assert result.signature is not None
    # clamd marks signatures from a local database as unofficial.
    assert result.signature in {EICAR_SIGNATURE, f"{EICAR_SIGNATURE}.UNOFFICIAL"}


def test_a_pattern_in_the_middle_of_a_20_mib_stream_is_found(
    clamd: Clamd, samples: Samples
) -> None:
    built = samples.stream((10 * MiB, 0x20), TEST_PATTERN, (10 * MiB, 0x20), max_read=100_000)
    client = ClamdClient(clamd.unix_address, timeout=60, chunk_size=64 * 1024)
    result = client.scan(built.opener)
    assert result.found
    assert result.signature is not None
    assert result.signature.startswith(TEST_PATTERN_SIGNATURE)


def test_a_stream_longer_than_clamds_limit_is_an_error(clamd: Clamd, samples: Samples) -> None:
    built = samples.stream((CLAMD_STREAM_MAX + MiB, 0))
    with pytest.raises(ClamdError, match="StreamMaxLength"):
        ClamdClient(clamd.unix_address).scan(built.opener)


def test_check_refuses_malware_found_by_clamd(clamd: Clamd, samples: Samples) -> None:
    policy = ScanPolicy(max_bytes=64 * MiB, clamd=ClamdClient(clamd.unix_address))
    built = samples.of(EICAR)
    verdict = check(built.opener, size=built.size, filename="eicar.txt", policy=policy)
    assert verdict.ok is False
    assert verdict.code == "malware"
    assert verdict.mime == "text/plain"
    assert verdict.detail["signature"].startswith(EICAR_SIGNATURE)
    assert built.times_opened == 2

    clean = samples.of(samples.pdf())
    verdict = check(clean.opener, size=clean.size, filename="a.pdf", policy=policy)
    assert verdict.ok, verdict


def test_check_fails_closed_when_clamd_is_unreachable(
    samples: Samples, unreachable_clamd: ClamdClient
) -> None:
    assert unreachable_clamd.ping() is False
    with pytest.raises(ClamdError, match="cannot connect"):
        unreachable_clamd.version()
    built = samples.of(samples.pdf())
    policy = ScanPolicy(max_bytes=MiB, clamd=unreachable_clamd)
    verdict = check(built.opener, size=built.size, filename="a.pdf", policy=policy)
    assert (verdict.ok, verdict.code) == (False, "scanner_unavailable")
    assert verdict.mime == "application/pdf"
    assert verdict.detail["scanner"] == "clamd"
    assert "cannot connect" in verdict.detail["reason"]


def test_a_tcp_port_nobody_listens_on_is_unavailable(samples: Samples) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = ClamdClient(f"tcp:127.0.0.1:{port}", connect_timeout=1)
    assert client.ping() is False
    with pytest.raises(ClamdError):
        client.scan(samples.of(b"hello").opener)


def test_a_clamd_that_does_not_answer_times_out(samples: Samples) -> None:
    # A listening socket that never accepts: connecting works, no reply ever comes.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        client = ClamdClient(f"tcp:127.0.0.1:{port}", timeout=0.3, connect_timeout=1)
        assert client.ping() is False
        with pytest.raises(ClamdError, match="did not answer in time"):
            client.scan(samples.of(b"hello").opener)


def test_an_error_from_clamd_is_a_clamd_error(tmp_path: Path, samples: Samples) -> None:
    # A one-shot fake clamd on a Unix socket that answers every stream with an error.
    path = tmp_path / "fake.sock"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        server.listen(1)
        client = ClamdClient(f"unix:{path}", timeout=5)

        def answer() -> None:
            connection, _ = server.accept()
            with connection:
                received = b""
                while not received.endswith(b"\0\0\0\0"):
                    data = connection.recv(65536)
                    if not data:
                        break
                    received += data
                connection.sendall(b"stream: Can't allocate memory ERROR\0")

        thread = threading.Thread(target=answer)
        thread.start()
        with pytest.raises(ClamdError, match="allocate memory"):
            client.scan(samples.of(b"hello").opener)
        thread.join(5)


@pytest.mark.parametrize(
    ("address", "family", "target"),
    [
        ("unix:/run/clamav/clamd.ctl", socket.AF_UNIX, "/run/clamav/clamd.ctl"),
        ("tcp:127.0.0.1:3310", socket.AF_INET, ("127.0.0.1", 3310)),
        ("tcp:clamav.internal:3310", socket.AF_INET, ("clamav.internal", 3310)),
        ("tcp:[::1]:3310", socket.AF_INET6, ("::1", 3310)),
    ],
)
def test_addresses(address: str, family: int, target: object) -> None:
    client = ClamdClient(address)
    assert (client._family, client._target) == (family, target)


@pytest.mark.parametrize(
    "address", ["", "/run/clamd.ctl", "unix:", "tcp:host", "tcp:host:0", "tcp::3310", "udp:h:1"]
)
def test_bad_addresses_are_refused(address: str) -> None:
    with pytest.raises(ValueError):
        ClamdClient(address)
