"""AES-256-CTR for scratch data: bytes that wait on disk for a short while (a request body
being received, an upload being resumed) and are checked and stored properly afterwards.

CTR lets bytes be encrypted or decrypted at any offset, so a scratch file can be appended to
and read back from anywhere. It gives no integrity: never use it for what is kept. Evidence
and recordings are kept as authenticated streams (`netcourt.vault.stream`).
"""

from __future__ import annotations

import secrets

from cryptography.hazmat.primitives.ciphers import Cipher, CipherContext, algorithms, modes

SCRATCH_KEY_BYTES = 48  # a 256-bit AES key, then the 128-bit initial counter block
_KEY = 32
_BLOCK = 16


def new_scratch_key() -> bytes:
    return secrets.token_bytes(SCRATCH_KEY_BYTES)


def crypter(key: bytes, offset: int) -> CipherContext:
    """A keystream positioned at byte ``offset``: `update` encrypts, or decrypts, from there."""
    if len(key) != SCRATCH_KEY_BYTES:
        raise ValueError(f"a scratch key is {SCRATCH_KEY_BYTES} bytes")
    if offset < 0:
        raise ValueError("an offset is never negative")
    counter = (int.from_bytes(key[_KEY:], "big") + offset // _BLOCK) % (1 << 128)
    context = Cipher(
        algorithms.AES(key[:_KEY]), modes.CTR(counter.to_bytes(_BLOCK, "big"))
    ).encryptor()
    context.update(bytes(offset % _BLOCK))
    return context
