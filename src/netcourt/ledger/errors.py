"""The one error the ledger's pure core raises, with a stable code for each kind of fault.

A verifier must never crash on hostile input and never answer "yes" by accident: every check in
``netcourt.ledger`` either returns normally or raises :class:`LedgerError`, whose ``code`` says
what kind of fault it found (for APIs and the CLI's ``--json``) and whose message says where.
"""

from __future__ import annotations

ERROR_CODES: frozenset[str] = frozenset(
    {
        # The input is not well formed: a bad path, key, note, checkpoint, receipt or proof shape.
        "malformed",
        # An inclusion proof does not lead from the leaf to the root it should.
        "bad_proof",
        # Two tree heads (or a receipt and its checkpoint) cannot both be true.
        "inconsistent",
        # A signature by a known key does not verify.
        "bad_signature",
        # No signature by any of the keys the caller trusts.
        "unknown_key",
        # A value that should match another does not (e.g. a file's SHA-256 and its record).
        "mismatch",
        # The RFC 3161 timestamp is missing where required, cannot be checked, or is wrong.
        "bad_timestamp",
    }
)


class LedgerError(Exception):
    """A refused proof, note, checkpoint, tile path or receipt."""

    def __init__(self, code: str, message: str) -> None:
        if code not in ERROR_CODES:
            raise ValueError(f"unknown ledger error code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"LedgerError({self.code!r}, {self.message!r})"
