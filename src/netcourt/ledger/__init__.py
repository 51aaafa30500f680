"""The transparency log's pure core: canonical records, the RFC 9162 tree and its proofs,
tiles, signed notes and checkpoints, and receipts that anyone can check offline."""

from netcourt.ledger.canonical import canonical_json, new_salt, record_hash, sha256_hex
from netcourt.ledger.checkpoint import Checkpoint, parse_checkpoint
from netcourt.ledger.errors import ERROR_CODES, LedgerError
from netcourt.ledger.note import OpenedNote, new_signer, open_note, sign_note, verifier_key
from netcourt.ledger.receipt import ReceiptReport, check_receipt, load_receipt, make_receipt
from netcourt.ledger.tiles import (
    TileRef,
    entries_path,
    entry_bundle,
    parse_entry_bundle,
    parse_tile_path,
    tile_hashes,
    tile_path,
    tiles_for_size,
)
from netcourt.ledger.tree import (
    EMPTY_ROOT,
    MemoryTree,
    NodeSource,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_hash,
    verify_consistency,
    verify_inclusion,
)

__all__ = [
    "EMPTY_ROOT",
    "ERROR_CODES",
    "Checkpoint",
    "LedgerError",
    "MemoryTree",
    "NodeSource",
    "OpenedNote",
    "ReceiptReport",
    "TileRef",
    "canonical_json",
    "check_receipt",
    "consistency_proof",
    "entries_path",
    "entry_bundle",
    "inclusion_proof",
    "leaf_hash",
    "load_receipt",
    "make_receipt",
    "new_salt",
    "new_signer",
    "node_hash",
    "open_note",
    "parse_checkpoint",
    "parse_entry_bundle",
    "parse_tile_path",
    "record_hash",
    "root_hash",
    "sha256_hex",
    "sign_note",
    "tile_hashes",
    "tile_path",
    "tiles_for_size",
    "verifier_key",
    "verify_consistency",
    "verify_inclusion",
]
