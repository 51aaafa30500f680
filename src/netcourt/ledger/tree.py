"""RFC 9162 Merkle tree hashing, proofs and their verification.

The log is the Merkle Tree Hash (MTH) of RFC 9162 §2.1.1 over SHA-256: a leaf is
``SHA-256(0x00 || data)``, an interior node ``SHA-256(0x01 || left || right)``, and the empty
tree ``SHA-256("")``. The tree of ``n`` leaves splits at ``k``, the largest power of two below
``n``, into a *perfect* left subtree of ``k`` leaves and the tree of the remaining ``n - k``.

Every algorithm here reads hashes from a *node source* (:class:`NodeSource`): something that
answers ``node(level, index)`` with the hash of the perfect subtree over leaves
``[index * 2**level, (index + 1) * 2**level)``. It is only ever asked for perfect subtrees that
lie wholly inside the tree size it was given. An interior node on the right edge of a tree
whose size is not a power of two is never stored: it is folded from at most ``log2(n)`` perfect
subtrees when needed. Roots and proofs so read ``O(log n)`` nodes, whatever the storage is:
:class:`MemoryTree` in this module, tiles (``netcourt.ledger.tiles``) or database rows.

The verification functions follow RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency)
step by step, after checking that every argument has the shape the sizes imply. They return
``None`` or raise :class:`~netcourt.ledger.errors.LedgerError`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Protocol

from netcourt.ledger.errors import LedgerError

HASH_SIZE = 32
EMPTY_ROOT: bytes = hashlib.sha256(b"").digest()
MAX_TREE_SIZE = 2**63 - 1

_sha256 = hashlib.sha256
_NODE_PREFIX = _sha256(b"\x01")


class NodeSource(Protocol):
    """Anything that can give the hash of a perfect subtree of the log."""

    def node(self, level: int, index: int) -> bytes:
        """The hash of the perfect subtree over leaves ``[index << level, (index + 1) << level)``."""
        ...


def leaf_hash(data: bytes) -> bytes:
    """``SHA-256(0x00 || data)``: the hash of a leaf whose data is ``data``."""
    return _sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 || left || right)``: the hash of an interior node."""
    return _sha256(b"\x01" + left + right).digest()


# --- arguments ------------------------------------------------------------------------------


def _size(value: object, what: str) -> int:
    if type(value) is not int:
        raise LedgerError("malformed", f"{what} must be an integer, not {type(value).__name__}")
    if not 0 <= value <= MAX_TREE_SIZE:
        raise LedgerError("malformed", f"{what} {value} is out of range")
    return value


def _hash(value: object, what: str) -> bytes:
    if not isinstance(value, bytes):
        raise LedgerError("malformed", f"{what} must be bytes, not {type(value).__name__}")
    if len(value) != HASH_SIZE:
        raise LedgerError("malformed", f"{what} must be {HASH_SIZE} bytes, not {len(value)}")
    return value


def _proof(proof: object, expected: int, what: str) -> list[bytes]:
    if not isinstance(proof, (list, tuple)):
        raise LedgerError("malformed", f"{what} must be a list of hashes")
    if len(proof) != expected:
        raise LedgerError(
            "malformed", f"{what} has {len(proof)} hashes; these sizes need exactly {expected}"
        )
    return [_hash(item, f"{what} hash {number}") for number, item in enumerate(proof)]


def _popcount(value: int) -> int:
    return bin(value).count("1")


def inclusion_proof_length(index: int, size: int) -> int:
    """How many hashes the inclusion proof of leaf ``index`` in a tree of ``size`` has."""
    inner = (index ^ (size - 1)).bit_length()
    return inner + _popcount(index >> inner)


def consistency_proof_length(old_size: int, new_size: int) -> int:
    """How many hashes the consistency proof from ``old_size`` to ``new_size`` has."""
    if old_size == 0 or old_size == new_size:
        return 0
    inner = ((old_size - 1) ^ (new_size - 1)).bit_length()
    border = _popcount((old_size - 1) >> inner)
    shift = (old_size & -old_size).bit_length() - 1
    seed = 0 if old_size == 1 << shift else 1
    return seed + inner - shift + border


# --- reading a tree through a node source ---------------------------------------------------


def _range_hash(start: int, end: int, source: NodeSource) -> bytes:
    """MTH(D[start:end]) for a range that the RFC 9162 recursion produces.

    ``start`` is a multiple of the largest power of two not above ``end - start``, so the range
    is a run of perfect subtrees, largest first, folded from the right.
    """
    hashes = []
    while start < end:
        width = 1 << ((end - start).bit_length() - 1)
        level = width.bit_length() - 1
        if start & (width - 1):
            raise ValueError(f"leaf range [{start}, {end}) is not aligned to a subtree")
        hashes.append(source.node(level, start >> level))
        start += width
    result = hashes.pop()
    while hashes:
        result = _sha256(b"\x01" + hashes.pop() + result).digest()
    return result


def _split(width: int) -> int:
    """The largest power of two strictly below ``width`` (``width`` >= 2)."""
    return 1 << ((width - 1).bit_length() - 1)


def root_hash(size: int, source: NodeSource) -> bytes:
    """MTH of the first ``size`` leaves."""
    _size(size, "tree size")
    if size == 0:
        return EMPTY_ROOT
    return _range_hash(0, size, source)


def inclusion_proof(index: int, size: int, source: NodeSource) -> list[bytes]:
    """PATH(index, D[0:size]) of RFC 9162 §2.1.3.1, leaf side first."""
    _size(index, "leaf index")
    _size(size, "tree size")
    if index >= size:
        raise LedgerError("malformed", f"leaf index {index} is not below tree size {size}")
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            path.append(_range_hash(start + k, end, source))
            end = start + k
        else:
            level = k.bit_length() - 1
            path.append(source.node(level, start >> level))
            start += k
    path.reverse()
    return path


def consistency_proof(old_size: int, new_size: int, source: NodeSource) -> list[bytes]:
    """PROOF(old_size, D[0:new_size]) of RFC 9162 §2.1.4.1 (empty when there is nothing to prove)."""
    _size(old_size, "old tree size")
    _size(new_size, "new tree size")
    if old_size > new_size:
        raise LedgerError(
            "malformed", f"old tree size {old_size} is larger than new tree size {new_size}"
        )
    if old_size == 0 or old_size == new_size:
        return []
    path: list[bytes] = []
    start, end, whole = 0, new_size, True
    while True:
        if old_size == end:
            # The old tree's subtree is itself a node of the new tree; the verifier knows it
            # already when it is the old root (``whole``).
            if not whole:
                path.append(_range_hash(start, end, source))
            break
        k = _split(end - start)
        if old_size <= start + k:
            path.append(_range_hash(start + k, end, source))
            end = start + k
        else:
            level = k.bit_length() - 1
            path.append(source.node(level, start >> level))
            start += k
            whole = False
    path.reverse()
    return path


# --- verification (RFC 9162 §2.1.3.2 and §2.1.4.2) ------------------------------------------


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree of ``size`` leaves with ``root``."""
    _hash(leaf_hash, "leaf hash")
    _hash(root, "root hash")
    _size(index, "leaf index")
    _size(size, "tree size")
    if index >= size:
        raise LedgerError("malformed", f"leaf index {index} is not below tree size {size}")
    path = _proof(proof, inclusion_proof_length(index, size), "inclusion proof")

    fn, sn = index, size - 1
    r = leaf_hash
    for p in path:
        if sn == 0:
            raise LedgerError("bad_proof", "inclusion proof is longer than the tree is high")
        if fn & 1 or fn == sn:
            r = _sha256(b"\x01" + p + r).digest()
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = _sha256(b"\x01" + r + p).digest()
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise LedgerError("bad_proof", "inclusion proof is shorter than the tree is high")
    if r != root:
        raise LedgerError(
            "bad_proof", f"leaf {index} is not included in the tree of size {size} with this root"
        )


def verify_consistency(
    old_size: int, new_size: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes
) -> None:
    """Check that the tree of ``old_size`` with ``old_root`` is a prefix of the tree of
    ``new_size`` with ``new_root``."""
    _size(old_size, "old tree size")
    _size(new_size, "new tree size")
    _hash(old_root, "old root hash")
    _hash(new_root, "new root hash")
    if old_size > new_size:
        raise LedgerError(
            "inconsistent", f"old tree size {old_size} is larger than new tree size {new_size}"
        )
    path = _proof(proof, consistency_proof_length(old_size, new_size), "consistency proof")
    if old_size == 0:
        if old_root != EMPTY_ROOT:
            raise LedgerError("inconsistent", "the root of the empty tree is not SHA-256('')")
        return
    if old_size == new_size:
        if old_root != new_root:
            raise LedgerError("inconsistent", f"two different roots for tree size {old_size}")
        return

    # 2. If first is an exact power of 2, the old root is the first node of the path.
    if old_size & (old_size - 1) == 0:
        path = [old_root, *path]
    # 3.-4.
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # 5.-6.
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise LedgerError("inconsistent", "consistency proof is longer than the tree is high")
        if fn & 1 or fn == sn:
            fr = _sha256(b"\x01" + c + fr).digest()
            sr = _sha256(b"\x01" + c + sr).digest()
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = _sha256(b"\x01" + sr + c).digest()
        fn >>= 1
        sn >>= 1
    # 7.
    if sn != 0:
        raise LedgerError("inconsistent", "consistency proof is shorter than the tree is high")
    if fr != old_root:
        raise LedgerError(
            "inconsistent", f"the proof does not lead to the old root of tree size {old_size}"
        )
    if sr != new_root:
        raise LedgerError(
            "inconsistent", f"the proof does not lead to the new root of tree size {new_size}"
        )


# --- an in-memory tree ----------------------------------------------------------------------


class MemoryTree:
    """A whole tree in memory: every complete node, one ``bytearray`` of hashes per level.

    Level 0 holds the leaf hashes; level ``l`` holds the hash of each perfect subtree of
    ``2**l`` leaves completed so far. It is a :class:`NodeSource`, so the module's functions
    prove anything about any size up to :attr:`size`.
    """

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self._levels: list[bytearray] = [bytearray()]
        self.append_many(leaf_hashes)

    @property
    def size(self) -> int:
        return len(self._levels[0]) // HASH_SIZE

    def append(self, leaf_hash: bytes) -> int:
        """Append one leaf hash; returns its index."""
        self.append_many([leaf_hash])
        return self.size - 1

    def append_many(self, leaf_hashes: Iterable[bytes]) -> int:
        """Append leaf hashes (``leaf_hash(data)``, not data); returns the new size."""
        batch = list(leaf_hashes)
        for number, item in enumerate(batch):
            if not isinstance(item, bytes) or len(item) != HASH_SIZE:
                raise LedgerError(
                    "malformed", f"leaf hash {number} of the batch is not {HASH_SIZE} bytes"
                )
        if self.size + len(batch) > MAX_TREE_SIZE:
            raise LedgerError("malformed", "the tree would exceed its maximum size")
        levels = self._levels
        levels[0] += b"".join(batch)
        prefix = _NODE_PREFIX
        level = 0
        while True:
            children = levels[level]
            wanted = len(children) // (2 * HASH_SIZE)
            if wanted == 0:
                break
            if level + 1 == len(levels):
                levels.append(bytearray())
            parents = levels[level + 1]
            have = len(parents) // HASH_SIZE
            if have == wanted:
                break
            view = memoryview(children)
            made = []
            for offset in range(have * 2 * HASH_SIZE, wanted * 2 * HASH_SIZE, 2 * HASH_SIZE):
                digest = prefix.copy()
                digest.update(view[offset : offset + 2 * HASH_SIZE])
                made.append(digest.digest())
            view.release()
            parents += b"".join(made)
            level += 1
        return self.size

    def node(self, level: int, index: int) -> bytes:
        if not 0 <= level < len(self._levels):
            raise ValueError(f"no complete node at level {level}")
        hashes = self._levels[level]
        offset = index * HASH_SIZE
        if index < 0 or offset + HASH_SIZE > len(hashes):
            raise ValueError(f"no complete node ({level}, {index})")
        return bytes(hashes[offset : offset + HASH_SIZE])

    def leaf(self, index: int) -> bytes:
        """The hash of leaf ``index``."""
        if not 0 <= index < self.size:
            raise LedgerError("malformed", f"leaf index {index} is not below tree size {self.size}")
        return self.node(0, index)

    def root(self, size: int | None = None) -> bytes:
        """The root of the whole tree, or of its first ``size`` leaves."""
        return root_hash(self._bounded(size), self)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        return inclusion_proof(index, self._bounded(size), self)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        return consistency_proof(old_size, self._bounded(new_size), self)

    def _bounded(self, size: int | None) -> int:
        if size is None:
            return self.size
        _size(size, "tree size")
        if size > self.size:
            raise LedgerError("malformed", f"tree size {size} is beyond this tree ({self.size})")
        return size
