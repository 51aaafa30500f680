"""Appending to a Merkle tree that lives in storage, knowing only its right edge.

A tree of size n is the concatenation of perfect subtrees, one for each bit set in n, largest
first: its *frontier*. Appending a leaf pushes a level-0 node and merges the two rightmost
nodes while they are of equal height, exactly like adding one to a binary counter; every merge
completes a new perfect subtree. So a sequencer that stores every complete node can extend the
tree by reading only the frontier (at most 64 nodes), and the root of any size is the frontier
folded from the right.

Nodes are named ``(level, index)``: the perfect subtree over leaves
``[index * 2**level, (index + 1) * 2**level)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from netcourt.ledger.tree import EMPTY_ROOT, node_hash


@dataclass(frozen=True)
class Node:
    level: int
    index: int
    hash: bytes


def frontier_positions(size: int) -> list[tuple[int, int]]:
    """The ``(level, index)`` of the perfect subtrees that make up a tree of ``size`` leaves,
    left to right (largest first)."""
    if size < 0:
        raise ValueError("a tree size is never negative")
    positions = []
    offset = 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            positions.append((level, offset >> level))
            offset += 1 << level
    return positions


def extend(
    size: int, frontier: Mapping[tuple[int, int], bytes], leaf_hashes: Iterable[bytes]
) -> tuple[list[Node], int, bytes]:
    """Append ``leaf_hashes`` to a tree of ``size`` leaves whose frontier nodes are given.

    Returns every node the new leaves complete (level 0 included), in the order they were
    made, with the new size and root.
    """
    stack = [
        Node(level, index, frontier[level, index]) for level, index in frontier_positions(size)
    ]
    made: list[Node] = []
    for leaf in leaf_hashes:
        node = Node(0, size, leaf)
        made.append(node)
        size += 1
        while stack and stack[-1].level == node.level:
            left = stack.pop()
            node = Node(node.level + 1, left.index >> 1, node_hash(left.hash, node.hash))
            made.append(node)
        stack.append(node)
    return made, size, fold(node.hash for node in stack)


def fold(frontier_hashes: Iterable[bytes]) -> bytes:
    """The root of a tree given its frontier's hashes, left to right (RFC 9162 MTH)."""
    hashes = list(frontier_hashes)
    if not hashes:
        return EMPTY_ROOT
    root = hashes[-1]
    for left in reversed(hashes[:-1]):
        root = node_hash(left, root)
    return root
