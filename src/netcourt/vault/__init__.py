"""Encryption at rest, pure: keyrings, sealed values, encrypted streams and lookup hashes.

Nothing here imports Django; `netcourt.core.vault` keeps the keyring in the data directory and
offers text helpers to the apps. docs/security.md describes the formats and the threat model.
"""

from netcourt.vault.envelope import from_text, open_sealed, rewrap, seal, to_text
from netcourt.vault.errors import ERROR_CODES, VaultError
from netcourt.vault.keys import Kek, Keyring
from netcourt.vault.lookup import lookup_hash
from netcourt.vault.stream import DEFAULT_CHUNK_SIZE, decrypt_stream, encrypt_stream

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "ERROR_CODES",
    "Kek",
    "Keyring",
    "VaultError",
    "decrypt_stream",
    "encrypt_stream",
    "from_text",
    "lookup_hash",
    "open_sealed",
    "rewrap",
    "seal",
    "to_text",
]
