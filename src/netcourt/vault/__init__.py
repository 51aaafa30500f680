"""Encryption at rest, pure: keyrings, sealed values, encrypted streams, lookup hashes and blobs.

Nothing here imports Django (nor boto3: `S3Store` takes a client made by the caller);
`netcourt.core.vault` keeps the keyring in the data directory and offers text helpers to the
apps. docs/security.md describes the formats and the threat model.
"""

from netcourt.vault.blobs import (
    BlobStore,
    LocalDirectoryStore,
    S3Client,
    S3Store,
    StoredBlob,
    check_key,
    read_decrypted,
    read_plaintext,
    read_range,
    store_encrypted,
    verify_blob,
)
from netcourt.vault.envelope import from_text, open_sealed, rewrap, seal, to_text
from netcourt.vault.errors import ERROR_CODES, VaultError
from netcourt.vault.keys import Kek, Keyring, KeySet, KeySource
from netcourt.vault.lookup import lookup_hash
from netcourt.vault.stream import (
    DEFAULT_CHUNK_SIZE,
    EncryptingWriter,
    Reader,
    Writer,
    decrypt_chunks,
    decrypt_range,
    decrypt_stream,
    encrypt_stream,
    range_span,
    read_header,
)

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "EncryptingWriter",
    "ERROR_CODES",
    "BlobStore",
    "Kek",
    "KeySet",
    "KeySource",
    "Keyring",
    "LocalDirectoryStore",
    "Reader",
    "S3Client",
    "S3Store",
    "StoredBlob",
    "VaultError",
    "Writer",
    "check_key",
    "decrypt_chunks",
    "decrypt_range",
    "decrypt_stream",
    "encrypt_stream",
    "from_text",
    "lookup_hash",
    "open_sealed",
    "range_span",
    "read_decrypted",
    "read_plaintext",
    "read_range",
    "read_header",
    "rewrap",
    "seal",
    "store_encrypted",
    "to_text",
    "verify_blob",
]
