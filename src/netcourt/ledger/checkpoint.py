"""C2SP checkpoints (https://c2sp.org/tlog-checkpoint): the text a log signs about its head.

::

    <origin>\\n
    <tree size, decimal, no leading zeroes>\\n
    <base64 root hash>\\n
    [<extension line>\\n ...]

The note around it (signatures) is ``netcourt.ledger.note``; this module only reads and writes
the text, strictly: one spelling per checkpoint.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from netcourt.ledger.errors import LedgerError
from netcourt.ledger.tree import HASH_SIZE, MAX_TREE_SIZE

_SIZE = re.compile(r"0|[1-9][0-9]{0,18}")


def _check_line(line: object, what: str) -> str:
    if not isinstance(line, str) or not line:
        raise LedgerError("malformed", f"checkpoint {what} must be a non-empty line")
    if any(char < " " for char in line):
        raise LedgerError("malformed", f"checkpoint {what} contains a control character")
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        raise LedgerError("malformed", f"checkpoint {what} is not valid UTF-8") from None
    return line


@dataclass(frozen=True)
class Checkpoint:
    """A log's origin, its size and the root of its Merkle tree at that size."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_line(self.origin, "origin")
        if type(self.size) is not int or not 0 <= self.size <= MAX_TREE_SIZE:
            raise LedgerError("malformed", f"checkpoint size {self.size!r} is out of range")
        if not isinstance(self.root, bytes) or len(self.root) != HASH_SIZE:
            raise LedgerError("malformed", f"checkpoint root must be {HASH_SIZE} bytes")
        if not isinstance(self.extensions, tuple):
            object.__setattr__(self, "extensions", tuple(self.extensions))
        for number, line in enumerate(self.extensions, start=1):
            _check_line(line, f"extension line {number}")

    def text(self) -> str:
        """The checkpoint as note text (ending in a newline), ready to be signed."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode("ascii")]
        return "\n".join([*lines, *self.extensions]) + "\n"


def parse_checkpoint(text: str) -> Checkpoint:
    """Read a checkpoint's note text (the part above the signatures), refusing anything loose."""
    if not isinstance(text, str):
        raise LedgerError("malformed", "a checkpoint is text")
    if not text.endswith("\n"):
        raise LedgerError("malformed", "a checkpoint ends with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise LedgerError("malformed", "a checkpoint has at least three lines")
    origin, size_line, root_line, *extensions = lines
    _check_line(origin, "origin")
    if not _SIZE.fullmatch(size_line):
        raise LedgerError(
            "malformed", "checkpoint size must be a decimal number without leading zeroes"
        )
    try:
        root = base64.b64decode(root_line.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise LedgerError("malformed", "checkpoint root is not valid base64") from None
    if len(root) != HASH_SIZE or base64.b64encode(root).decode("ascii") != root_line:
        raise LedgerError("malformed", "checkpoint root is not the base64 of a 32-byte hash")
    return Checkpoint(origin, int(size_line), root, tuple(extensions))
