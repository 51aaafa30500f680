"""The RFC 9162 tree: known answers, a naive reference, pymerkle, and every way to lie."""

from __future__ import annotations

import hashlib
import statistics
import time
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pymerkle import InmemoryTree

from netcourt.ledger.errors import LedgerError
from netcourt.ledger.tree import (
    EMPTY_ROOT,
    MemoryTree,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_hash,
    verify_consistency,
    verify_inclusion,
)

# --- a naive reference: RFC 9162 §2.1.1, §2.1.3.1 and §2.1.4.1 written as they read ----------

MAX = 400
DATA = [f"leaf number {i}".encode() for i in range(MAX)]


def _k(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


@cache
def mth(start: int, end: int) -> bytes:
    """MTH(D[start:end])."""
    n = end - start
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + DATA[start]).digest()
    k = _k(n)
    return hashlib.sha256(b"\x01" + mth(start, start + k) + mth(start + k, end)).digest()


def ref_path(m: int, start: int, end: int) -> list[bytes]:
    """PATH(m, D[start:end])."""
    n = end - start
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return ref_path(m, start, start + k) + [mth(start + k, end)]
    return ref_path(m - k, start + k, end) + [mth(start, start + k)]


def ref_subproof(m: int, start: int, end: int, b: bool) -> list[bytes]:
    """SUBPROOF(m, D[start:end], b)."""
    n = end - start
    if m == n:
        return [] if b else [mth(start, end)]
    k = _k(n)
    if m <= k:
        return ref_subproof(m, start, start + k, b) + [mth(start + k, end)]
    return ref_subproof(m - k, start + k, end, False) + [mth(start, start + k)]


def ref_proof(m: int, n: int) -> list[bytes]:
    """PROOF(m, D[n]) for 0 < m < n."""
    return ref_subproof(m, 0, n, True)


TREE = MemoryTree(leaf_hash(item) for item in DATA)


def flip(value: bytes, bit: int) -> bytes:
    bit %= len(value) * 8
    changed = bytearray(value)
    changed[bit // 8] ^= 1 << (bit % 8)
    return bytes(changed)


# --- known answers --------------------------------------------------------------------------

# The Certificate Transparency test inputs and roots (certificate-transparency-go,
# merkle/log_verifier_test.go; also in certificate-transparency/python/ct/crypto/merkle_test.py).
CT_LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# (leaf index, tree size, proof), from the same file (whose leaf numbers count from 1).
CT_INCLUSION = [
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
CT_CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
CT_TREE = MemoryTree(leaf_hash(item) for item in CT_LEAVES)


def test_hashes_of_the_empty_tree_a_leaf_and_a_node() -> None:
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert leaf_hash(b"").hex() == CT_ROOTS[0]
    assert (
        leaf_hash(bytes.fromhex("101112131415161718191a1b1c1d1e1f")).hex()
        == "3bfb960453ebaebf33727da7a1f4db38acc051d381b6da20d6d4e88f0eabfd7a"
    )
    assert (
        node_hash(bytes(range(32)), bytes(range(32, 64))).hex()
        == "1a378704c17da31e2d05b6d121c2bb2c7d76f6ee6fa8f983e596c2d034963c57"
    )
    assert MemoryTree().root() == EMPTY_ROOT


@pytest.mark.parametrize("size", range(1, 9))
def test_certificate_transparency_roots(size: int) -> None:
    assert CT_TREE.root(size).hex() == CT_ROOTS[size - 1]


@pytest.mark.parametrize(("index", "size", "proof"), CT_INCLUSION)
def test_certificate_transparency_inclusion_proofs(index: int, size: int, proof: list[str]) -> None:
    assert [h.hex() for h in CT_TREE.inclusion_proof(index, size)] == proof
    root = bytes.fromhex(CT_ROOTS[size - 1])
    verify_inclusion(
        leaf_hash(CT_LEAVES[index]), index, size, CT_TREE.inclusion_proof(index, size), root
    )


@pytest.mark.parametrize(("old", "new", "proof"), CT_CONSISTENCY)
def test_certificate_transparency_consistency_proofs(old: int, new: int, proof: list[str]) -> None:
    assert [h.hex() for h in CT_TREE.consistency_proof(old, new)] == proof
    old_root, new_root = (bytes.fromhex(CT_ROOTS[s - 1]) for s in (old, new))
    verify_consistency(old, new, [bytes.fromhex(h) for h in proof], old_root, new_root)


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13, 100, 255, 256, 257, 400])
def test_roots_and_inclusion_paths_agree_with_pymerkle(size: int) -> None:
    # pymerkle 7 with its defaults hashes leaves and nodes with the RFC 9162 prefixes
    # (0x00 / 0x01, "security" on) over SHA-256.
    theirs = InmemoryTree(algorithm="sha256")
    for item in DATA[:size]:
        theirs.append_entry(item)
    assert theirs.get_root(size) == TREE.root(size)
    for index in {0, size // 3, size // 2, size - 1}:
        # pymerkle counts leaves from 1 and starts its path with the leaf itself.
        path = theirs.prove_inclusion(index + 1, size).path
        assert path[0] == leaf_hash(DATA[index])
        assert list(path[1:]) == TREE.inclusion_proof(index, size)


def test_every_root_up_to_the_maximum_matches_the_reference() -> None:
    for size in range(MAX + 1):
        assert TREE.root(size) == mth(0, size), size


def test_every_proof_of_every_small_tree_matches_the_reference_and_verifies() -> None:
    for size in range(1, 65):
        root = mth(0, size)
        for index in range(size):
            proof = inclusion_proof(index, size, TREE)
            assert proof == ref_path(index, 0, size), (index, size)
            verify_inclusion(leaf_hash(DATA[index]), index, size, proof, root)
        for old in range(1, size + 1):
            proof = consistency_proof(old, size, TREE)
            assert proof == (ref_proof(old, size) if old < size else []), (old, size)
            verify_consistency(old, size, proof, mth(0, old), root)


# --- properties: a proof proves exactly one thing -------------------------------------------


@st.composite
def leaf_in_tree(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(st.integers(1, MAX))
    return draw(st.integers(0, size - 1)), size


@st.composite
def two_sizes(draw: st.DrawFn) -> tuple[int, int]:
    new = draw(st.integers(1, MAX))
    return draw(st.integers(1, new)), new


@settings(max_examples=300, deadline=None)
@given(leaf_in_tree(), st.integers(0, 10**6))
def test_inclusion_proofs_match_the_reference_and_refuse_any_flipped_bit(
    position: tuple[int, int], bit: int
) -> None:
    index, size = position
    root, leaf = mth(0, size), leaf_hash(DATA[index])
    proof = inclusion_proof(index, size, TREE)
    assert proof == ref_path(index, 0, size)
    verify_inclusion(leaf, index, size, proof, root)

    with pytest.raises(LedgerError) as caught:
        verify_inclusion(flip(leaf, bit), index, size, proof, root)
    assert caught.value.code == "bad_proof"
    with pytest.raises(LedgerError):
        verify_inclusion(leaf, index, size, proof, flip(root, bit))
    for number in range(len(proof)):
        tampered = list(proof)
        tampered[number] = flip(tampered[number], bit)
        with pytest.raises(LedgerError):
            verify_inclusion(leaf, index, size, tampered, root)


@settings(max_examples=150, deadline=None)
@given(leaf_in_tree())
def test_an_inclusion_proof_proves_no_other_index_nor_other_signed_size(
    position: tuple[int, int],
) -> None:
    index, size = position
    leaf, proof = leaf_hash(DATA[index]), inclusion_proof(index, size, TREE)
    for other in range(size):
        if other != index:
            with pytest.raises(LedgerError):
                verify_inclusion(leaf, other, size, proof, mth(0, size))
    # A root alone does not say how many leaves it covers (RFC 9162 proofs for sizes 3 and 4
    # can coincide); a checkpoint signs the size with the root. So a wrong size is checked
    # against the root that size really has.
    for other in range(index + 1, min(MAX, size + 40) + 1):
        if other != size:
            with pytest.raises(LedgerError):
                verify_inclusion(leaf, index, other, proof, mth(0, other))
    with pytest.raises(LedgerError, match="not below"):
        verify_inclusion(leaf, size, size, proof, mth(0, size))
    with pytest.raises(LedgerError) as caught:
        verify_inclusion(leaf, index, size, [*proof, proof[0] if proof else leaf], mth(0, size))
    assert caught.value.code == "malformed"
    if proof:
        with pytest.raises(LedgerError):
            verify_inclusion(leaf, index, size, proof[:-1], mth(0, size))


@settings(max_examples=300, deadline=None)
@given(two_sizes(), st.integers(0, 10**6))
def test_consistency_proofs_match_the_reference_and_refuse_any_flipped_bit(
    sizes: tuple[int, int], bit: int
) -> None:
    old, new = sizes
    old_root, new_root = mth(0, old), mth(0, new)
    proof = consistency_proof(old, new, TREE)
    assert proof == (ref_proof(old, new) if old < new else [])
    verify_consistency(old, new, proof, old_root, new_root)

    with pytest.raises(LedgerError) as caught:
        verify_consistency(old, new, proof, flip(old_root, bit), new_root)
    assert caught.value.code == "inconsistent"
    with pytest.raises(LedgerError):
        verify_consistency(old, new, proof, old_root, flip(new_root, bit))
    for number in range(len(proof)):
        tampered = list(proof)
        tampered[number] = flip(tampered[number], bit)
        with pytest.raises(LedgerError):
            verify_consistency(old, new, tampered, old_root, new_root)
    with pytest.raises(LedgerError):
        verify_consistency(old, new, [*proof, new_root], old_root, new_root)
    if proof:
        with pytest.raises(LedgerError):
            verify_consistency(old, new, proof[1:], old_root, new_root)


@settings(max_examples=100, deadline=None)
@given(two_sizes())
def test_a_consistency_proof_proves_no_other_pair_of_sizes(sizes: tuple[int, int]) -> None:
    old, new = sizes
    proof = consistency_proof(old, new, TREE)
    for other_old in range(1, new + 1):
        if other_old != old:
            with pytest.raises(LedgerError):
                verify_consistency(other_old, new, proof, mth(0, other_old), mth(0, new))
    for other_new in range(old, min(MAX, new + 40) + 1):
        if other_new != new:
            with pytest.raises(LedgerError):
                verify_consistency(old, other_new, proof, mth(0, old), mth(0, other_new))


def test_the_trivial_consistency_proofs() -> None:
    verify_consistency(0, 0, [], EMPTY_ROOT, EMPTY_ROOT)
    verify_consistency(0, 10, [], EMPTY_ROOT, mth(0, 10))
    verify_consistency(10, 10, [], mth(0, 10), mth(0, 10))
    assert consistency_proof(0, 10, TREE) == []
    assert consistency_proof(10, 10, TREE) == []
    with pytest.raises(LedgerError, match="two different roots"):
        verify_consistency(10, 10, [], mth(0, 10), mth(0, 11))
    with pytest.raises(LedgerError, match="empty tree"):
        verify_consistency(0, 10, [], mth(0, 1), mth(0, 10))
    with pytest.raises(LedgerError) as caught:
        verify_consistency(10, 10, [mth(0, 10)], mth(0, 10), mth(0, 10))
    assert caught.value.code == "malformed"
    with pytest.raises(LedgerError) as caught:
        verify_consistency(1, 2, [], mth(0, 1), mth(0, 2))
    assert caught.value.code == "malformed"
    with pytest.raises(LedgerError) as caught:
        verify_consistency(11, 10, [], mth(0, 11), mth(0, 10))
    assert caught.value.code == "inconsistent"
    with pytest.raises(LedgerError):
        consistency_proof(11, 10, TREE)


@pytest.mark.parametrize(
    ("leaf", "index", "size", "proof", "root"),
    [
        (b"x" * 32, 0, 0, [], EMPTY_ROOT),
        (b"x" * 32, 1, 1, [], EMPTY_ROOT),
        (b"x" * 32, -1, 1, [], EMPTY_ROOT),
        (b"x" * 32, True, 2, [b"y" * 32], EMPTY_ROOT),
        (b"x" * 32, 0, 2**63, [], EMPTY_ROOT),
        (b"x" * 31, 0, 1, [], EMPTY_ROOT),
        (b"x" * 32, 0, 1, [], EMPTY_ROOT[:31]),
        (b"x" * 32, 0, 2, [b"y" * 33], EMPTY_ROOT),
        (b"x" * 32, 0, 2, ["y" * 32], EMPTY_ROOT),
        (b"x" * 32, 0, 2, b"y" * 32, EMPTY_ROOT),
        ("x" * 32, 0, 1, [], EMPTY_ROOT),
    ],
)
def test_malformed_inclusion_arguments_are_refused(
    leaf: bytes, index: int, size: int, proof: list[bytes], root: bytes
) -> None:
    with pytest.raises(LedgerError) as caught:
        verify_inclusion(leaf, index, size, proof, root)
    assert caught.value.code == "malformed"


def test_proof_generation_refuses_impossible_requests() -> None:
    for index, size in [(0, 0), (5, 5), (-1, 3), (0, MAX + 1)]:
        with pytest.raises(LedgerError):
            TREE.inclusion_proof(index, size)
    with pytest.raises(LedgerError):
        TREE.root(MAX + 1)
    with pytest.raises(LedgerError):
        TREE.leaf(MAX)
    assert TREE.leaf(7) == leaf_hash(DATA[7])


# --- the in-memory tree ---------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 40), max_size=12))
def test_a_memory_tree_is_the_same_whatever_the_batches(batches: list[int]) -> None:
    tree = MemoryTree()
    done = 0
    for count in batches:
        count = min(count, MAX - done)
        assert tree.append_many(leaf_hash(item) for item in DATA[done : done + count]) == (
            done + count
        )
        done += count
        assert tree.size == done
        assert tree.root() == mth(0, done)
    for level in range(done.bit_length()):
        for index in range(done >> level):
            assert tree.node(level, index) == TREE.node(level, index)
    with pytest.raises(ValueError):
        tree.node(0, done)


def test_one_leaf_at_a_time() -> None:
    tree = MemoryTree()
    for index in range(70):
        assert tree.append(leaf_hash(DATA[index])) == index
        assert tree.root() == mth(0, index + 1)


def test_a_leaf_hash_must_be_32_bytes() -> None:
    tree = MemoryTree()
    with pytest.raises(LedgerError, match="leaf hash 1"):
        tree.append_many([b"a" * 32, b"short"])
    assert tree.size == 0


def test_appending_is_fast_enough() -> None:
    hashes = [hashlib.sha256(i.to_bytes(8, "big")).digest() for i in range(100_000)]
    tree = MemoryTree()
    started = time.perf_counter()
    for first in range(0, len(hashes), 1000):
        tree.append_many(hashes[first : first + 1000])
    elapsed = time.perf_counter() - started
    assert len(hashes) / elapsed > 20_000, f"{len(hashes) / elapsed:.0f} leaves/s"


# --- O(log n): proofs read few nodes, whatever the size -------------------------------------


class Synthetic:
    """A node source for a huge tree that stores nothing: each node's hash is made up."""

    def __init__(self) -> None:
        self.reads = 0

    def node(self, level: int, index: int) -> bytes:
        self.reads += 1
        return hashlib.sha256(f"{level}/{index}".encode()).digest()


@pytest.mark.parametrize("size", [1_000_000, 2**40 + 12345, 2**63 - 1])
def test_proofs_read_a_logarithmic_number_of_nodes(size: int) -> None:
    source = Synthetic()
    bound = 2 * size.bit_length() + 2
    for index in [0, 1, size // 3, size // 2, size - 2, size - 1]:
        source.reads = 0
        inclusion_proof(index, size, source)
        assert source.reads <= bound
    for old in [1, 2, size // 3, size // 2 + 1, size - 1]:
        source.reads = 0
        consistency_proof(old, size, source)
        assert source.reads <= bound
    source.reads = 0
    root_hash(size, source)
    assert source.reads <= size.bit_length()


def test_a_proof_at_a_million_leaves_takes_well_under_a_millisecond() -> None:
    source = Synthetic()
    size = 1_000_000
    times = []
    for index in range(0, size, size // 200):
        started = time.perf_counter()
        inclusion_proof(index, size, source)
        consistency_proof(index + 1, size, source)
        times.append(time.perf_counter() - started)
    assert statistics.median(times) < 0.001
