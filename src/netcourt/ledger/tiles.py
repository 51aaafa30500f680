"""C2SP tlog-tiles: the log's Merkle tree and entries as static, cacheable files.

https://c2sp.org/tlog-tiles. A tile is 256 consecutive hashes at one *tile level*: level 0 holds
leaf hashes, level ``L`` the roots of the perfect subtrees of ``256**L`` leaves, that is the
nodes at tree level ``8 * L``. The ``n``-th tile at level ``L`` covers leaves
``[n * 256**(L+1), (n + 1) * 256**(L+1))``. The rightmost tile of a level is *partial* (1 to 255
hashes) when the tree size stops inside it; for a tree of size ``s`` there are
``s // 256**(L+1)`` full tiles at level ``L`` and one partial tile of width
``(s // 256**L) % 256`` when that is not 0. Empty tiles do not exist.

Paths are ``tile/<L>/<N>[.p/<W>]`` for hashes and ``tile/entries/<N>[.p/<W>]`` for the entry
bundles (the leaf data of a level-0 tile, each entry a big-endian uint16 length and the bytes).
``<N>`` is written in groups of three digits, all but the last prefixed with ``x``:
index 1234067 is ``x001/x234/067``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from netcourt.ledger.errors import LedgerError
from netcourt.ledger.tree import HASH_SIZE, MAX_TREE_SIZE, NodeSource

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
MAX_TILE_LEVEL = 63
MAX_ENTRY_SIZE = 0xFFFF
MAX_TILE_INDEX = MAX_TREE_SIZE >> TILE_HEIGHT


@dataclass(frozen=True)
class TileRef:
    """One tile (or, with ``entries``, one entry bundle): level, index and width."""

    level: int
    index: int
    width: int = TILE_WIDTH
    entries: bool = False

    def __post_init__(self) -> None:
        _check_coordinates(self.level, self.index, self.width)
        if self.entries and self.level != 0:
            raise LedgerError("malformed", "an entry bundle belongs to level 0")

    @property
    def partial(self) -> bool:
        return self.width < TILE_WIDTH

    @property
    def path(self) -> str:
        if self.entries:
            return entries_path(self.index, self.width)
        return tile_path(self.level, self.index, self.width)

    @property
    def start(self) -> int:
        """The first leaf under this tile."""
        return self.index << (TILE_HEIGHT * (self.level + 1))

    @property
    def end(self) -> int:
        """One past the last leaf under this tile's hashes (its width, not 256, for a partial)."""
        return self.start + (self.width << (TILE_HEIGHT * self.level))


def _check_coordinates(level: int, index: int, width: int) -> None:
    if type(level) is not int or not 0 <= level <= MAX_TILE_LEVEL:
        raise LedgerError("malformed", f"tile level must be 0 to {MAX_TILE_LEVEL}, not {level!r}")
    if type(index) is not int or not 0 <= index <= MAX_TILE_INDEX:
        raise LedgerError("malformed", f"tile index {index!r} is out of range")
    if type(width) is not int or not 1 <= width <= TILE_WIDTH:
        raise LedgerError("malformed", f"tile width must be 1 to {TILE_WIDTH}, not {width!r}")


def _encode_index(index: int) -> str:
    digits = str(index)
    digits = "0" * (-len(digits) % 3) + digits
    groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    return "/".join([*("x" + group for group in groups[:-1]), groups[-1]])


def _suffix(width: int) -> str:
    return "" if width == TILE_WIDTH else f".p/{width}"


def tile_path(level: int, index: int, width: int = TILE_WIDTH) -> str:
    """``tile/<L>/<N>[.p/<W>]``, e.g. ``tile/0/x001/x234/067.p/15``."""
    _check_coordinates(level, index, width)
    return f"tile/{level}/{_encode_index(index)}{_suffix(width)}"


def entries_path(index: int, width: int = TILE_WIDTH) -> str:
    """``tile/entries/<N>[.p/<W>]``: the entry bundle of level-0 tile ``index``."""
    _check_coordinates(0, index, width)
    return f"tile/entries/{_encode_index(index)}{_suffix(width)}"


_PATH = re.compile(
    r"tile/(?P<level>entries|0|[1-9][0-9]?)/(?P<index>(?:x[0-9]{3}/){0,6}[0-9]{3})"
    r"(?:\.p/(?P<width>[1-9][0-9]{0,2}))?"
)


def parse_tile_path(path: str) -> TileRef:
    """The tile a path names, refusing any path that is not exactly the canonical form."""
    if not isinstance(path, str):
        raise LedgerError("malformed", "a tile path is a string")
    match = _PATH.fullmatch(path)
    if match is None:
        raise LedgerError("malformed", f"not a tile path: {path[:100]!r}")
    index = int(match["index"].replace("x", "").replace("/", ""))
    width = int(match["width"]) if match["width"] is not None else TILE_WIDTH
    if match["width"] is not None and width >= TILE_WIDTH:
        raise LedgerError("malformed", f"a partial tile is 1 to {TILE_WIDTH - 1} wide: {path!r}")
    entries = match["level"] == "entries"
    level = 0 if entries else int(match["level"])
    tile = TileRef(level, index, width, entries)
    # Exactly one spelling per tile: no leading zero groups such as ``x000/001``.
    if tile.path != path:
        raise LedgerError("malformed", f"tile path is not in canonical form: {path!r}")
    return tile


def tile_hashes(level: int, index: int, width: int, source: NodeSource) -> bytes:
    """The content of tile (``level``, ``index``) of ``width`` hashes: the concatenated hashes
    of nodes ``(8 * level, index * 256 + i)`` for ``i`` in ``range(width)``."""
    _check_coordinates(level, index, width)
    tree_level = TILE_HEIGHT * level
    first = index * TILE_WIDTH
    return b"".join(source.node(tree_level, first + i) for i in range(width))


def split_tile(data: bytes, width: int | None = None) -> list[bytes]:
    """The hashes in a tile's content (checking its width, if given)."""
    if len(data) % HASH_SIZE or not HASH_SIZE <= len(data) <= TILE_WIDTH * HASH_SIZE:
        raise LedgerError("malformed", f"a tile of {len(data)} bytes is not 1 to 256 hashes")
    if width is not None and len(data) != width * HASH_SIZE:
        raise LedgerError("malformed", f"tile has {len(data) // HASH_SIZE} hashes, not {width}")
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]


def tile_counts(size: int, level: int) -> tuple[int, int]:
    """``(full tiles, width of the partial tile or 0)`` at tile ``level`` for a tree of ``size``."""
    if type(size) is not int or not 0 <= size <= MAX_TREE_SIZE:
        raise LedgerError("malformed", f"tree size {size!r} is out of range")
    _check_coordinates(level, 0, 1)
    shift = TILE_HEIGHT * level
    return size >> (shift + TILE_HEIGHT), (size >> shift) % TILE_WIDTH


def tiles_for_size(size: int, *, entries: bool = False) -> Iterator[TileRef]:
    """Every tile a tree of ``size`` leaves has, level by level, full ones then the partial one.

    With ``entries``, the entry bundles instead (one for each level-0 tile).
    """
    for level in range(MAX_TILE_LEVEL + 1):
        full, partial = tile_counts(size, level)
        if full == 0 and partial == 0:
            return
        for index in range(full):
            yield TileRef(level, index, TILE_WIDTH, entries)
        if partial:
            yield TileRef(level, full, partial, entries)
        if entries:
            return


def new_tiles(old_size: int, new_size: int, *, entries: bool = False) -> Iterator[TileRef]:
    """The tiles a tree of ``new_size`` has and one of ``old_size`` has not: what a log writes
    when it grows. A tile that only grew wider counts as new (it has a new path)."""
    if old_size > new_size:
        raise LedgerError("malformed", f"a log does not shrink ({old_size} to {new_size})")
    for level in range(MAX_TILE_LEVEL + 1):
        old_full, old_partial = tile_counts(old_size, level)
        full, partial = tile_counts(new_size, level)
        if full == 0 and partial == 0:
            return
        for index in range(old_full, full):
            yield TileRef(level, index, TILE_WIDTH, entries)
        if partial and (full, partial) != (old_full, old_partial):
            yield TileRef(level, full, partial, entries)
        if entries:
            return


def entry_bundle(entries: Sequence[bytes]) -> bytes:
    """An entry bundle: each entry as a big-endian uint16 length followed by its bytes."""
    if not 1 <= len(entries) <= TILE_WIDTH:
        raise LedgerError(
            "malformed", f"an entry bundle holds 1 to 256 entries, not {len(entries)}"
        )
    parts = []
    for number, entry in enumerate(entries):
        if not isinstance(entry, bytes):
            raise LedgerError("malformed", f"entry {number} is not bytes")
        if len(entry) > MAX_ENTRY_SIZE:
            raise LedgerError(
                "malformed", f"entry {number} is {len(entry)} bytes; at most {MAX_ENTRY_SIZE} fit"
            )
        parts.append(len(entry).to_bytes(2, "big"))
        parts.append(entry)
    return b"".join(parts)


def parse_entry_bundle(data: bytes, width: int | None = None) -> list[bytes]:
    """The entries of a bundle (checking that there are ``width`` of them, if given)."""
    entries: list[bytes] = []
    offset = 0
    while offset < len(data):
        if len(entries) == TILE_WIDTH:
            raise LedgerError("malformed", "an entry bundle holds at most 256 entries")
        if offset + 2 > len(data):
            raise LedgerError("malformed", f"entry bundle ends inside a length at byte {offset}")
        length = int.from_bytes(data[offset : offset + 2], "big")
        offset += 2
        if offset + length > len(data):
            raise LedgerError("malformed", f"entry {len(entries)} of the bundle is truncated")
        entries.append(bytes(data[offset : offset + length]))
        offset += length
    if not entries:
        raise LedgerError("malformed", "an entry bundle is never empty")
    if width is not None and len(entries) != width:
        raise LedgerError("malformed", f"entry bundle has {len(entries)} entries, not {width}")
    return entries
