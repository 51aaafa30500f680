"""The transparency log's pure core: canonical records and their hashes."""

from netcourt.ledger.canonical import canonical_json, record_hash, sha256_hex

__all__ = ["canonical_json", "record_hash", "sha256_hex"]
