"""The eID provider the tests verify people against: panva's certified ``oidc-provider`` on the
machine's Node.js (``server.mjs`` here), started on a free loopback port, and a way to go
through its sign-in and consent pages the way a browser does.

``make test`` installs its ``node_modules`` (``npm ci --prefix tests/eid_provider``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest

from tests.net import free_port

HERE = Path(__file__).resolve().parent
CLIENT_ID = "netcourt"
CLIENT_SECRET = "netcourt-eid-test-secret-0123456789abcdef"  # noqa: S105 - a test provider's
CALLBACK_PATH = "/accounts/identity/eid/callback/"
DISPLAY_NAME = {"en": "Test eID", "zh": "测试电子身份"}


@dataclass
class EidProvider:
    """One running ``server.mjs``."""

    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def config(self, **overrides: Any) -> dict[str, Any]:
        """``NETCOURT_EID`` for a court that trusts this provider."""
        config: dict[str, Any] = {
            "issuer": self.issuer,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "scopes": ["openid", "profile", "eid"],
            "claims": {
                "legal_name": "name",
                "document_number": "document_number",
                "document_kind": "document_kind",
            },
            "name": DISPLAY_NAME,
        }
        config.update(overrides)
        return config

    def sign_in(self, authorization_url: str, account: str, *, cancel: bool = False) -> str:
        """Go through the provider's pages as ``account`` (signing in and consenting, or
        cancelling at the sign-in page); the URL the provider sends the person back to."""
        with httpx.Client(timeout=10) as browser:
            response = browser.get(authorization_url)
            for _ in range(12):
                if response.is_redirect:
                    location = urljoin(str(response.url), response.headers["location"])
                    if not location.startswith(self.issuer + "/"):
                        return location
                    response = browser.get(location)
                    continue
                page = response.text
                prompt = re.search(r'name="prompt" value="(\w+)"', page)
                action = re.search(r'<form[^>]*action="([^"]+)"', page)
                if prompt is None or action is None:
                    raise AssertionError(f"unexpected page from the provider:\n{page[:2000]}")
                target = urljoin(str(response.url), unescape(action.group(1)))
                if prompt.group(1) == "login" and cancel:
                    abort = re.search(r'href="([^"]+/abort)"', page)
                    assert abort is not None, page[:2000]
                    response = browser.get(urljoin(str(response.url), unescape(abort.group(1))))
                elif prompt.group(1) == "login":
                    response = browser.post(
                        target, data={"prompt": "login", "login": account, "password": "any"}
                    )
                else:
                    response = browser.post(target, data={"prompt": prompt.group(1)})
        raise AssertionError("the provider never sent the person back")

    def stop(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:]


def start_provider(
    log_dir: Path,
    redirect_uris: list[str],
    accounts: dict[str, dict[str, str]],
    *,
    timeout: float = 30,
    **env: str,
) -> EidProvider:
    """Start ``server.mjs`` on a free loopback port and wait until it answers discovery.
    ``env`` adds its other settings (``EID_AUTH_METHOD``, ``EID_ID_TOKEN_ALG``)."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (apt-get install nodejs npm)")
    if not (HERE / "node_modules" / "oidc-provider").is_dir():
        pytest.skip("the test eID provider is not installed (npm ci --prefix tests/eid_provider)")
    port = free_port()
    log_path = log_dir / f"eid-provider-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own program, fixed arguments
            [node, str(HERE / "server.mjs")],
            cwd=HERE,
            env={
                **os.environ,
                "EID_PORT": str(port),
                "EID_REDIRECT_URIS": ",".join(redirect_uris),
                "EID_CLIENT_ID": CLIENT_ID,
                "EID_CLIENT_SECRET": CLIENT_SECRET,
                "EID_ACCOUNTS": json.dumps(accounts),
                **env,
            },
            stdin=subprocess.PIPE,  # the provider stops when this closes, even if we die
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as a whole
        )
    provider = EidProvider(port, process, log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the eID provider exited early:\n{provider.log()}")
        try:
            url = f"{provider.issuer}/.well-known/openid-configuration"
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return provider
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    provider.stop()
    raise RuntimeError(f"the eID provider did not answer in {timeout}s:\n{provider.log()}")
