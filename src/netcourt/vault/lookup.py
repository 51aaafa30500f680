"""Keyed lookup hashes: find a row by an encrypted value without decrypting every row.

``lookup_hash(keyring, "prc-id", number)`` is the hex HMAC-SHA256, under the keyring's lookup
key, of ``b"netcourt-vault/lookup/v1\\x00"`` followed by the kind and the value, each as UTF-8
behind its length (4 bytes, big-endian) — so no two (kind, value) pairs share an input. Without
the lookup key the hashes cannot be tested against guesses, which matters for values as
guessable as identity numbers. The caller normalises the value first (for identity numbers,
`netcourt.identity.numbers` does), so that equal values hash alike.
"""

from __future__ import annotations

import hashlib
import hmac

from netcourt.vault.keys import Keyring

_LOOKUP_LABEL = b"netcourt-vault/lookup/v1\x00"


def lookup_hash(keyring: Keyring, kind: str, value: str) -> str:
    if not kind:
        raise ValueError("a lookup hash needs a kind")
    message = _LOOKUP_LABEL + _framed(kind.encode("utf-8")) + _framed(value.encode("utf-8"))
    return hmac.new(keyring.lookup_key, message, hashlib.sha256).hexdigest()


def _framed(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data
