"""The one exception the vault raises, with a stable code."""

from __future__ import annotations

ERROR_CODES = (
    "malformed",
    "unknown_key",
    "tampered",
    "invalid_keyring",
    "too_large",
    "bad_key",
    "not_found",
    "backend",
)
"""``malformed``: not a sealed value or stream of a format this code reads.
``unknown_key``: sealed under a key-encryption key the keyring (or key set) does not hold
(retired, or from another installation or another case). ``tampered``: authentication failed —
the bytes were changed, truncated, reordered, spliced, or opened with another context.
``invalid_keyring``: a keys document that cannot be read, or a keyring change that would break
it. ``too_large``: a stream longer than the format can count, or a blob over the caller's limit.
``bad_key``: a blob key that is not of the allowed form. ``not_found``: no blob under that key.
``backend``: the blob store failed (a disk or an object store error; the cause is chained)."""


class VaultError(Exception):
    """A vault failure. The message names no key material and no plaintext."""

    def __init__(self, code: str, message: str) -> None:
        if code not in ERROR_CODES:
            raise ValueError(f"unknown vault error code {code!r}")
        super().__init__(message)
        self.code = code
