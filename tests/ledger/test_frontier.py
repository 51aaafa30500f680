"""Appending from the right edge gives the same tree as building it whole."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from netcourt.ledger.frontier import extend, fold, frontier_positions
from netcourt.ledger.tree import EMPTY_ROOT, MemoryTree, leaf_hash


def leaves(n: int) -> list[bytes]:
    return [leaf_hash(hashlib.sha256(str(i).encode()).digest()) for i in range(n)]


@given(st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=8))
def test_batches_appended_from_the_frontier_match_a_whole_tree(batches: list[int]) -> None:
    stored: dict[tuple[int, int], bytes] = {}
    size = 0
    all_leaves = leaves(sum(batches))
    for batch in batches:
        frontier = {p: stored[p] for p in frontier_positions(size)}
        made, new_size, root = extend(size, frontier, all_leaves[size : size + batch])
        for node in made:
            assert (node.level, node.index) not in stored
            stored[node.level, node.index] = node.hash
        size = new_size
        whole = MemoryTree(all_leaves[:size])
        assert root == whole.root()
        for (level, index), digest in stored.items():
            assert whole.node(level, index) == digest


def test_frontier_positions_are_the_bits_of_the_size() -> None:
    assert frontier_positions(0) == []
    assert frontier_positions(13) == [(3, 0), (2, 2), (0, 12)]
    assert fold([]) == EMPTY_ROOT
