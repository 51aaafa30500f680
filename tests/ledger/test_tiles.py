"""C2SP tlog-tiles: paths, which tiles a tree has, their content, entry bundles."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netcourt.ledger.errors import LedgerError
from netcourt.ledger.tiles import (
    MAX_TILE_INDEX,
    TILE_WIDTH,
    TileRef,
    entries_path,
    entry_bundle,
    new_tiles,
    parse_entry_bundle,
    parse_tile_path,
    split_tile,
    tile_counts,
    tile_hashes,
    tile_path,
    tiles_for_size,
)
from netcourt.ledger.tree import MemoryTree, leaf_hash, node_hash, root_hash

# --- paths ----------------------------------------------------------------------------------


def test_the_specifications_path_examples() -> None:
    # "index 1234067 will be encoded as x001/x234/067"
    assert tile_path(0, 1234067) == "tile/0/x001/x234/067"
    assert tile_path(0, 1234067, 15) == "tile/0/x001/x234/067.p/15"
    assert entries_path(1234067) == "tile/entries/x001/x234/067"
    assert entries_path(1234067, 15) == "tile/entries/x001/x234/067.p/15"


@pytest.mark.parametrize(
    ("level", "index", "width", "path"),
    [
        (0, 0, 256, "tile/0/000"),
        (0, 0, 1, "tile/0/000.p/1"),
        (1, 7, 256, "tile/1/007"),
        (2, 999, 255, "tile/2/999.p/255"),
        (0, 1000, 256, "tile/0/x001/000"),
        (63, 1_000_000, 256, "tile/63/x001/x000/000"),
        (0, 12_345_678_901, 256, "tile/0/x012/x345/x678/901"),
    ],
)
def test_tile_paths(level: int, index: int, width: int, path: str) -> None:
    assert tile_path(level, index, width) == path
    assert parse_tile_path(path) == TileRef(level, index, width)
    assert TileRef(level, index, width).path == path


@settings(max_examples=300)
@given(
    st.integers(0, 63),
    st.integers(0, MAX_TILE_INDEX),
    st.integers(1, 256),
    st.booleans(),
)
def test_every_path_reads_back_as_its_tile(
    level: int, index: int, width: int, entries: bool
) -> None:
    if entries:
        level = 0
    tile = TileRef(level, index, width, entries)
    assert parse_tile_path(tile.path) == tile
    assert tile.partial == (width < 256)


@pytest.mark.parametrize(
    "path",
    [
        "",
        "tile/0",
        "tile/0/",
        "/tile/0/000",
        "tile/0/000/",
        "tile//000",
        "tile/00/000",
        "tile/01/000",
        "tile/64/000",
        "tile/-1/000",
        "tile/0/1",
        "tile/0/01",
        "tile/0/0001",
        "tile/0/x000/001",
        "tile/0/x001",
        "tile/0/X001/000",
        "tile/0/x1/000",
        "tile/0/001/002",
        "tile/0/000.p/0",
        "tile/0/000.p/256",
        "tile/0/000.p/015",
        "tile/0/000.p/",
        "tile/0/000.p",
        "tile/0/000.p/15/",
        "tile/0/000.p/1x",
        "tile/0/000 ",
        "tile/0/\u0660\u0660\u0660",
        "tile/entries/0/000",
        "tile/entries/x000/000",
        "tile/entry/000",
        "tile/0/x001/x002/x003/x004/x005/x006/x007/008",
        "tiles/0/000",
    ],
)
def test_malformed_paths_are_refused(path: str) -> None:
    with pytest.raises(LedgerError) as caught:
        parse_tile_path(path)
    assert caught.value.code == "malformed"


@pytest.mark.parametrize(
    ("level", "index", "width"), [(64, 0, 256), (-1, 0, 1), (0, -1, 1), (0, 0, 0), (0, 0, 257)]
)
def test_impossible_tiles_are_refused(level: int, index: int, width: int) -> None:
    with pytest.raises(LedgerError):
        tile_path(level, index, width)


# --- which tiles a tree has -----------------------------------------------------------------


def _paths(size: int) -> set[str]:
    return {tile.path for tile in tiles_for_size(size)}


def test_the_specifications_example_of_a_tree_of_70000() -> None:
    # "273 full level 0 tiles, one partial level 0 tile of width 112, one full level 1 tile, one
    # partial level 1 tile of width 17, and one partial level 2 tile of width 1."
    tiles = list(tiles_for_size(70_000))
    level0 = [t for t in tiles if t.level == 0]
    assert [t for t in level0 if not t.partial] == [TileRef(0, i) for i in range(273)]
    assert [t for t in level0 if t.partial] == [TileRef(0, 273, 112)]
    assert [t for t in tiles if t.level == 1] == [TileRef(1, 0), TileRef(1, 1, 17)]
    assert [t for t in tiles if t.level == 2] == [TileRef(2, 0, 1)]
    assert len(tiles) == 273 + 1 + 2 + 1
    assert tile_counts(70_000, 0) == (273, 112)
    bundles = list(tiles_for_size(70_000, entries=True))
    assert len(bundles) == 274
    assert bundles[-1].path == "tile/entries/273.p/112"


def test_the_specifications_example_of_a_tree_of_256() -> None:
    # "a tree of size 256 will be represented by a full level 0 tile and a partial level 1 tile
    # of width 1"
    assert list(tiles_for_size(256)) == [TileRef(0, 0), TileRef(1, 0, 1)]
    assert list(tiles_for_size(0)) == []
    assert list(tiles_for_size(1)) == [TileRef(0, 0, 1)]


@settings(max_examples=200)
@given(st.integers(0, 300_000), st.integers(0, 300_000))
def test_new_tiles_are_exactly_what_growing_adds(first: int, second: int) -> None:
    old, new = sorted((first, second))
    added = [tile.path for tile in new_tiles(old, new)]
    assert len(added) == len(set(added))
    assert set(added) == _paths(new) - _paths(old)
    bundles = {t.path for t in new_tiles(old, new, entries=True)}
    assert bundles == {t.path for t in tiles_for_size(new, entries=True)} - {
        t.path for t in tiles_for_size(old, entries=True)
    }


def test_every_tile_covers_leaves_inside_the_tree() -> None:
    for size in [1, 255, 256, 257, 65_535, 65_536, 70_000, 16_777_217]:
        for tile in tiles_for_size(size):
            assert tile.end <= size
            assert (tile.end - tile.start) == tile.width << (8 * tile.level)


# --- content --------------------------------------------------------------------------------

SIZE = 70_000
LEAVES = [leaf_hash(i.to_bytes(4, "big")) for i in range(SIZE)]
TREE = MemoryTree(LEAVES)


def _fold(hashes: list[bytes]) -> bytes:
    """The root of a perfect subtree whose bottom row is ``hashes`` (a power of two of them)."""
    while len(hashes) > 1:
        hashes = [node_hash(hashes[i], hashes[i + 1]) for i in range(0, len(hashes), 2)]
    return hashes[0]


def test_level_0_tiles_hold_the_leaf_hashes() -> None:
    assert tile_hashes(0, 0, 256, TREE) == b"".join(LEAVES[:256])
    assert tile_hashes(0, 273, 112, TREE) == b"".join(LEAVES[273 * 256 :])
    assert split_tile(tile_hashes(0, 5, 256, TREE), 256) == LEAVES[5 * 256 : 6 * 256]


def test_a_hash_at_level_1_is_the_merkle_tree_hash_of_a_full_tile_below() -> None:
    level1 = split_tile(tile_hashes(1, 0, 256, TREE))
    for i in [0, 1, 100, 255]:
        below = split_tile(tile_hashes(0, i, 256, TREE))
        assert level1[i] == _fold(below)
        assert level1[i] == root_hash(256, MemoryTree(LEAVES[i * 256 : (i + 1) * 256]))
    partial = split_tile(tile_hashes(1, 1, 17, TREE), 17)
    assert partial[16] == _fold(split_tile(tile_hashes(0, 256 + 16, 256, TREE)))


def test_the_level_2_tile_holds_the_root_of_the_first_65536_leaves() -> None:
    assert tile_hashes(2, 0, 1, TREE) == TREE.root(65_536)
    assert tile_hashes(2, 0, 1, TREE) == _fold(split_tile(tile_hashes(1, 0, 256, TREE)))


def test_tile_content_is_checked_when_split() -> None:
    for data in [b"", b"x" * 31, b"x" * 33, b"x" * 32 * 257]:
        with pytest.raises(LedgerError):
            split_tile(data)
    with pytest.raises(LedgerError):
        split_tile(b"x" * 64, 3)


# --- entry bundles --------------------------------------------------------------------------


def test_an_entry_bundle_is_length_prefixed() -> None:
    assert entry_bundle([b"a", b"", b"bc"]) == b"\x00\x01a\x00\x00\x00\x02bc"
    assert parse_entry_bundle(b"\x00\x01a\x00\x00\x00\x02bc") == [b"a", b"", b"bc"]
    big = b"z" * 0xFFFF
    assert parse_entry_bundle(entry_bundle([big]), 1) == [big]


@settings(max_examples=100)
@given(st.lists(st.binary(max_size=300), min_size=1, max_size=256))
def test_entry_bundles_round_trip(entries: list[bytes]) -> None:
    data = entry_bundle(entries)
    assert parse_entry_bundle(data, len(entries)) == entries
    # The bundle's entries hash to the level-0 tile's hashes.
    assert b"".join(leaf_hash(e) for e in parse_entry_bundle(data)) == b"".join(
        leaf_hash(e) for e in entries
    )


@pytest.mark.parametrize(
    ("data", "width"),
    [
        (b"", None),
        (b"\x00", None),
        (b"\x00\x02a", None),
        (b"\x00\x01a\x00", None),
        (b"\x00\x01a", 2),
        (b"\x00\x00" * 257, None),
    ],
)
def test_malformed_bundles_are_refused(data: bytes, width: int | None) -> None:
    with pytest.raises(LedgerError) as caught:
        parse_entry_bundle(data, width)
    assert caught.value.code == "malformed"


def test_impossible_bundles_are_not_made() -> None:
    for entries in ([], [b"x"] * 257, [b"z" * 0x10000]):
        with pytest.raises(LedgerError):
            entry_bundle(entries)


def test_a_full_bundle_matches_its_tile() -> None:
    entries = [i.to_bytes(4, "big") for i in range(256, 512)]
    bundle = entry_bundle(entries)
    assert b"".join(leaf_hash(e) for e in parse_entry_bundle(bundle, TILE_WIDTH)) == tile_hashes(
        0, 1, 256, TREE
    )
