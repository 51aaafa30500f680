"""The log's signing key and its timestamp authority.

The checkpoint signer is a C2SP signed-note Ed25519 key named after the log's origin. It is
``NETCOURT_LOG_SIGNER_KEY`` when set (the ``PRIVATE+KEY+...`` encoding), otherwise the file
``DATA_DIR/log-signer.key``, made (mode 0600) on first use. `netcourt ledger key` prints the
verifier key that anyone checking a receipt or a checkpoint needs.

Checkpoints are timestamped by the built-in RFC 3161 authority (its key and self-signed
certificate in ``DATA_DIR/tsa.pem``, made on first use) unless ``NETCOURT_TSA_URL`` names an
external one, which is then asked over HTTP (``application/timestamp-query``).
"""

from __future__ import annotations

import os
import secrets
import threading
from pathlib import Path

import httpx
from django.conf import settings

from netcourt.core import clock
from netcourt.core.vault import write_secret_file
from netcourt.ledger.note import new_signer, verifier_key
from netcourt.ledger.timestamp import TimestampAuthority, request_for, token_from_response

SIGNER_ENV = "NETCOURT_LOG_SIGNER_KEY"
SIGNER_FILE = "log-signer.key"
TSA_FILE = "tsa.pem"
BUILT_IN_TSA = "built-in"
TSA_TIMEOUT_SECONDS = 10.0

_lock = threading.Lock()
_authority: tuple[Path, TimestampAuthority] | None = None


def origin() -> str:
    return str(settings.NETCOURT_LOG_ORIGIN)


def signer_key() -> str:
    from_env = os.environ.get(SIGNER_ENV)
    if from_env:
        return from_env.strip()
    path = Path(settings.DATA_DIR) / SIGNER_FILE
    if not path.exists():
        write_secret_file(path, new_signer(origin()) + "\n", replace=False)
    return path.read_text(encoding="utf-8").strip()


def log_verifier_key() -> str:
    return verifier_key(signer_key())


def authority() -> TimestampAuthority:
    """The built-in timestamp authority, read once per process."""
    global _authority
    path = Path(settings.DATA_DIR) / TSA_FILE
    with _lock:
        if _authority is None or _authority[0] != path:
            if not path.exists():
                made = TimestampAuthority.generate(
                    f"netcourt timestamp authority ({origin()})", clock.now()
                )
                write_secret_file(path, made.to_pem().decode("ascii"), replace=False)
            _authority = (path, TimestampAuthority.from_pem(path.read_bytes()))
        return _authority[1]


def timestamp(message: bytes) -> tuple[bytes, str]:
    """An RFC 3161 token over ``message`` and the name of the authority that made it."""
    url = settings.NETCOURT_TSA_URL
    if not url:
        token = authority().stamp(message, now=clock.now(), serial=new_serial())
        return token, BUILT_IN_TSA
    request = request_for(message, nonce=new_serial())
    response = httpx.post(
        url,
        content=request,
        headers={"Content-Type": "application/timestamp-query"},
        timeout=TSA_TIMEOUT_SECONDS,
    )
    response.raise_for_status()
    return token_from_response(response.content, request), url


def new_serial() -> int:
    return secrets.randbits(63) | 1
