"""Envelope encryption of one value: a fresh data key per value, wrapped under the active KEK.

A sealed value (format 1) is one byte string::

    offset  size   field
    0       1      format version, 0x01
    1       4      id of the KEK that wraps the data key
    5       40     the 256-bit data key wrapped with AES key wrap (RFC 3394) under that KEK
    45      12     random nonce
    57      n+16   AES-256-GCM ciphertext of the n plaintext bytes, then the 16-byte tag

The GCM associated data is ``b"netcourt-vault/seal/v1\\x00" + context``: a value opens only
with the context it was sealed with, so a value copied to another row or field is refused (the
caller puts the table, field and row id in the context). The key id and wrapped key are not
part of it, so `rewrap` can move a value to a new KEK without touching the payload.

The data key is wrapped with AES key wrap rather than AES-GCM: key wrap is deterministic and
takes no nonce, so there is no limit on how many data keys one KEK may wrap (random 96-bit GCM
nonces allow about 2**32 per key), and it costs 40 bytes instead of 60. Its 64-bit integrity
check refuses a changed wrapped key; a forged one would anyway give a data key whose GCM tag
fails.

`to_text` and `from_text` carry a sealed value as unpadded base64url, for text columns.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from netcourt.vault.errors import VaultError
from netcourt.vault.keys import KEY_BYTES, KEY_ID_BYTES, KeySource

SEALED_VERSION = 1
WRAPPED_KEY_BYTES = KEY_BYTES + 8
KEY_BLOCK_BYTES = KEY_ID_BYTES + WRAPPED_KEY_BYTES
"""The KEK id and the wrapped data key, as sealed values and stream headers carry them."""
NONCE_BYTES = 12
TAG_BYTES = 16

_SEAL_LABEL = b"netcourt-vault/seal/v1\x00"
_PAYLOAD_AT = 1 + KEY_BLOCK_BYTES
_TEXT = re.compile(r"[A-Za-z0-9_-]*")


def new_data_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def wrap_data_key(keys: KeySource, data_key: bytes) -> bytes:
    """The key block for `data_key`: the active KEK's id, then the key wrapped under it."""
    kek = keys.active
    return bytes.fromhex(kek.id) + aes_key_wrap(kek.key, data_key)


def unwrap_data_key(keys: KeySource, key_block: bytes) -> bytes:
    kek = keys.get(key_block[:KEY_ID_BYTES].hex())
    try:
        return aes_key_unwrap(kek.key, key_block[KEY_ID_BYTES:])
    except InvalidUnwrap:
        raise VaultError(
            "tampered", f"the data key wrapped under key {kek.id} fails its check"
        ) from None


def seal(keys: KeySource, plaintext: bytes, context: bytes) -> bytes:
    data_key = new_data_key()
    nonce = secrets.token_bytes(NONCE_BYTES)
    ciphertext = AESGCM(data_key).encrypt(nonce, plaintext, _SEAL_LABEL + context)
    return bytes([SEALED_VERSION]) + wrap_data_key(keys, data_key) + nonce + ciphertext


def open_sealed(keys: KeySource, sealed: bytes, context: bytes) -> bytes:
    key_block, payload = _split(sealed)
    aead = AESGCM(unwrap_data_key(keys, key_block))
    try:
        return aead.decrypt(payload[:NONCE_BYTES], payload[NONCE_BYTES:], _SEAL_LABEL + context)
    except InvalidTag:
        raise VaultError(
            "tampered", "the sealed value was changed, or belongs to another context"
        ) from None


def rewrap(keys: KeySource, sealed: bytes) -> bytes:
    """The same value with its data key wrapped under the active KEK; the payload is unchanged."""
    key_block, payload = _split(sealed)
    data_key = unwrap_data_key(keys, key_block)
    return bytes([SEALED_VERSION]) + wrap_data_key(keys, data_key) + payload


def to_text(sealed: bytes) -> str:
    return base64.urlsafe_b64encode(sealed).rstrip(b"=").decode("ascii")


def from_text(text: str) -> bytes:
    """The bytes `to_text` encoded; `malformed` for any other text, non-canonical forms too."""
    if not _TEXT.fullmatch(text):
        raise VaultError("malformed", "a sealed text value is base64url without padding")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error:
        raise VaultError("malformed", "a sealed text value has a bad length") from None
    if to_text(raw) != text:
        raise VaultError("malformed", "a sealed text value is not in canonical base64url")
    return raw


def _split(sealed: bytes) -> tuple[bytes, bytes]:
    if len(sealed) < _PAYLOAD_AT + NONCE_BYTES + TAG_BYTES:
        raise VaultError("malformed", "too short to be a sealed value")
    if sealed[0] != SEALED_VERSION:
        raise VaultError("malformed", f"not a sealed value of format {SEALED_VERSION}")
    return sealed[1:_PAYLOAD_AT], sealed[_PAYLOAD_AT:]
