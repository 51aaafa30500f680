"""The server is killed in the middle of an upload: nothing half-stored is visible, the
upload resumes from the last piece the server acknowledged, and the file arrives whole."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import Server, demo_email, launch

pytestmark = pytest.mark.e2e

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
MB = 1024 * 1024


def _call(
    server: Server, token: str, method: str, path: str, body: bytes = b"", **headers: str
) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.request(
        method,
        path,
        body=body,
        headers={"Authorization": f"Bearer {token}", "Tus-Resumable": "1.0.0", **headers},
    )
    return connection.getresponse()


def test_a_server_killed_mid_upload_loses_nothing_acknowledged(tmp_path: Path) -> None:
    server = launch(tmp_path)
    try:
        token = json.loads(server.run("token", "create", "--user", demo_email("bob"), "--json"))[
            "token"
        ]
        cases = json.loads(
            _call(server, token, "GET", "/api/v1/cases?state=evidence_exchange").read()
        )["items"]
        case_id = cases[0]["id"]
        before = json.loads(_call(server, token, "GET", f"/api/v1/cases/{case_id}/evidence").read())
        data = PDF + b"%" + os.urandom(3 * MB).hex().encode()[: 3 * MB] + b"\n"
        created = _call(
            server,
            token,
            "POST",
            f"/api/v1/cases/{case_id}/uploads",
            **{"Upload-Length": str(len(data))},
        )
        assert created.status == 201
        location = created.getheader("Location")
        first = _call(
            server,
            token,
            "PATCH",
            location,
            data[:MB],
            **{"Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"},
        )
        assert first.status == 204 and first.getheader("Upload-Offset") == str(MB)

        # The second piece is half sent when the server dies.
        raw = socket.create_connection(("127.0.0.1", server.port))
        raw.sendall(
            (
                f"PATCH {location} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: Bearer {token}\r\nTus-Resumable: 1.0.0\r\n"
                f"Upload-Offset: {MB}\r\nContent-Type: application/offset+octet-stream\r\n"
                f"Content-Length: {len(data) - MB}\r\n\r\n"
            ).encode()
            + data[MB : 2 * MB]
        )
        time.sleep(0.5)
        assert server.process is not None
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=10)
        raw.close()
        server.start()

        head = _call(server, token, "HEAD", location)
        assert head.getheader("Upload-Offset") == str(MB)
        after = json.loads(_call(server, token, "GET", f"/api/v1/cases/{case_id}/evidence").read())
        assert len(after) == len(before)
        early = _call(
            server,
            token,
            "POST",
            f"/api/v1/cases/{case_id}/evidence",
            json.dumps(
                {"upload": location.rsplit("/", 1)[1], "title": "t", "purpose": "p", "source": "s"}
            ).encode(),
            **{"Content-Type": "application/json"},
        )
        assert early.status == 409 and json.loads(early.read())["code"] == "upload_incomplete"

        rest = _call(
            server,
            token,
            "PATCH",
            location,
            data[MB:],
            **{"Upload-Offset": str(MB), "Content-Type": "application/offset+octet-stream"},
        )
        assert rest.status == 204 and rest.getheader("Upload-Offset") == str(len(data))
        made = _call(
            server,
            token,
            "POST",
            f"/api/v1/cases/{case_id}/evidence",
            json.dumps(
                {"upload": location.rsplit("/", 1)[1], "title": "t", "purpose": "p", "source": "s"}
            ).encode(),
            **{"Content-Type": "application/json"},
        )
        assert made.status == 201, made.read()
        item = json.loads(made.read())
        file = _call(server, token, "GET", f"/api/v1/cases/{case_id}/evidence/{item['id']}/file")
        assert file.read() == data
        server.run("ledger", "verify", "--integrate")
    finally:
        server.stop()
