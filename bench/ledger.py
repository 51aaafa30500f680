"""The transparency log's Merkle tree: appending, proving and verifying, next to pymerkle 7.

Both trees are built in this process from the same entries (8-byte big-endian counters), in
batches, and both hash the entries themselves (RFC 9162 leaf hashes, SHA-256):

* netcourt: ``netcourt.ledger.tree.MemoryTree.append_many(leaf_hash(e) for e in batch)``; the
  rate without the leaf hashing (the tree alone) is reported too;
* pymerkle: ``InmemoryTree(algorithm="sha256").append_entries(batch)`` (its defaults use the
  RFC 9162 0x00/0x01 prefixes). If it has not reached the full size after ``--pymerkle-budget``
  seconds of appending, it stops there and its proofs are measured at the size it reached
  (said in the output).

Then, at the full size, the median (and p99) time of one call over ``--proofs`` random leaf
indexes / old sizes, each timed on its own: inclusion proof, consistency proof against the
full size, and verification of each. Before timing, the two trees' roots and inclusion paths
are compared at pymerkle's size (they must be identical).

    .venv/bin/python bench/ledger.py [--size 1000000] [--batch 10000] [--proofs 10000]
                                     [--pymerkle-budget 60] [--seed 1] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from pymerkle import InmemoryTree
from pymerkle import verify_consistency as pm_verify_consistency
from pymerkle import verify_inclusion as pm_verify_inclusion

from netcourt.ledger.tree import (
    MemoryTree,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def rss_mib() -> float:
    with contextlib.suppress(OSError, ValueError, IndexError):
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    return 0.0


def entries(first: int, count: int) -> list[bytes]:
    return [i.to_bytes(8, "big") for i in range(first, first + count)]


def timed(calls: list[Callable[[], object]]) -> dict[str, float]:
    """Median and p99 of one call, in microseconds, each call timed on its own."""
    times = []
    clock = time.perf_counter_ns
    for call in calls:
        started = clock()
        call()
        times.append(clock() - started)
    times.sort()
    return {
        "median_us": round(statistics.median(times) / 1000, 2),
        "p99_us": round(times[min(len(times) - 1, int(len(times) * 0.99))] / 1000, 2),
        "count": len(times),
    }


# --- netcourt -------------------------------------------------------------------------------


def build_netcourt(size: int, batch: int) -> tuple[MemoryTree, dict[str, Any]]:
    gc.collect()
    before = rss_mib()
    tree = MemoryTree()
    spent = 0.0
    hashing = 0.0
    for first in range(0, size, batch):
        data = entries(first, min(batch, size - first))
        started = time.perf_counter()
        hashes = [leaf_hash(e) for e in data]
        hashed = time.perf_counter()
        tree.append_many(hashes)
        done = time.perf_counter()
        hashing += hashed - started
        spent += done - started
    assert tree.size == size
    return tree, {
        "size": size,
        "seconds": round(spent, 3),
        "leaves_per_s": round(size / spent),
        "tree_only_leaves_per_s": round(size / (spent - hashing)),
        "rss_growth_mib": round(rss_mib() - before, 1),
    }


def prove_netcourt(tree: MemoryTree, indexes: list[int], olds: list[int]) -> dict[str, Any]:
    size = tree.size
    root = tree.root()
    proofs = {i: inclusion_proof(i, size, tree) for i in indexes}
    leaves = {i: tree.leaf(i) for i in indexes}
    cons = {m: consistency_proof(m, size, tree) for m in olds}
    old_roots = {m: tree.root(m) for m in olds}
    return {
        "size": size,
        "inclusion_proof": timed([lambda i=i: inclusion_proof(i, size, tree) for i in indexes]),
        "consistency_proof": timed([lambda m=m: consistency_proof(m, size, tree) for m in olds]),
        "verify_inclusion": timed(
            [lambda i=i: verify_inclusion(leaves[i], i, size, proofs[i], root) for i in indexes]
        ),
        "verify_consistency": timed(
            [lambda m=m: verify_consistency(m, size, cons[m], old_roots[m], root) for m in olds]
        ),
    }


# --- pymerkle -------------------------------------------------------------------------------


def build_pymerkle(size: int, batch: int, budget: float) -> tuple[InmemoryTree, dict[str, Any]]:
    gc.collect()
    before = rss_mib()
    tree = InmemoryTree(algorithm="sha256")
    spent = 0.0
    for first in range(0, size, batch):
        data = entries(first, min(batch, size - first))
        started = time.perf_counter()
        tree.append_entries(data)
        spent += time.perf_counter() - started
        if spent > budget and tree.get_size() < size:
            log(f"pymerkle: stopped at {tree.get_size():,} leaves after {spent:.0f} s")
            break
    reached = tree.get_size()
    return tree, {
        "size": reached,
        "seconds": round(spent, 3),
        "leaves_per_s": round(reached / spent),
        "rss_growth_mib": round(rss_mib() - before, 1),
        "stopped_early": reached < size,
    }


def prove_pymerkle(tree: InmemoryTree, indexes: list[int], olds: list[int]) -> dict[str, Any]:
    size = tree.get_size()
    root = tree.get_root(size)
    proofs = {i: tree.prove_inclusion(i + 1, size) for i in indexes}
    leaves = {i: tree.get_leaf(i + 1) for i in indexes}
    cons = {m: tree.prove_consistency(m, size) for m in olds}
    old_roots = {m: tree.get_root(m) for m in olds}
    return {
        "size": size,
        "inclusion_proof": timed([lambda i=i: tree.prove_inclusion(i + 1, size) for i in indexes]),
        "consistency_proof": timed([lambda m=m: tree.prove_consistency(m, size) for m in olds]),
        "verify_inclusion": timed(
            [lambda i=i: pm_verify_inclusion(leaves[i], root, proofs[i]) for i in indexes]
        ),
        "verify_consistency": timed(
            [lambda m=m: pm_verify_consistency(old_roots[m], root, cons[m]) for m in olds]
        ),
    }


def cross_check(ours: MemoryTree, theirs: InmemoryTree, rng: random.Random) -> None:
    size = theirs.get_size()
    assert ours.root(size) == theirs.get_root(size), "the roots differ"
    for index in rng.sample(range(size), min(200, size)):
        path = theirs.prove_inclusion(index + 1, size).path
        assert list(path[1:]) == inclusion_proof(index, size, ours), f"paths differ at {index}"


# --- report ---------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break

    def version(package: str) -> str:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return "not installed"

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "pymerkle": version("pymerkle"),
    }


def table(report: dict[str, Any]) -> str:
    m = report["machine"]
    ours, theirs = report["netcourt"], report["pymerkle"]
    lines = [
        f"netcourt ledger tree benchmark — {report['date']}",
        f"{m['cpu']}, {m['cores']} cores; {m['implementation']} {m['python']};"
        f" pymerkle {m['pymerkle']}",
        f"{report['config']['size']:,} entries appended in batches of"
        f" {report['config']['batch']:,}; one call timed at a time over"
        f" {report['config']['proofs']:,} random leaves / old sizes",
        "",
    ]
    head = f"{'':<36} {'netcourt':>16} {'pymerkle':>16}"
    lines += [head, "-" * len(head)]

    def row(name: str, left: str, right: str) -> None:
        lines.append(f"{name:<36} {left:>16} {right:>16}")

    b_ours, b_theirs = ours["append"], theirs["append"]
    row("leaves in the tree", f"{b_ours['size']:,}", f"{b_theirs['size']:,}")
    row(
        "append, leaves/s (hashing included)",
        f"{b_ours['leaves_per_s']:,}",
        f"{b_theirs['leaves_per_s']:,}",
    )
    row("append, leaves/s (tree only)", f"{b_ours['tree_only_leaves_per_s']:,}", "")
    row("append, seconds", f"{b_ours['seconds']:.2f}", f"{b_theirs['seconds']:.2f}")
    row(
        "memory growth, MiB", f"{b_ours['rss_growth_mib']:.0f}", f"{b_theirs['rss_growth_mib']:.0f}"
    )
    for name in ("inclusion_proof", "consistency_proof", "verify_inclusion", "verify_consistency"):
        a, b = ours["proofs"][name], theirs["proofs"][name]
        row(
            f"{name.replace('_', ' ')}, median (p99) µs",
            f"{a['median_us']:.1f} ({a['p99_us']:.1f})",
            f"{b['median_us']:.1f} ({b['p99_us']:.1f})",
        )
    if b_theirs["stopped_early"]:
        lines.append(
            f"pymerkle reached {b_theirs['size']:,} leaves in its"
            f" {report['config']['pymerkle_budget']:g} s budget; its proofs are at that size"
        )
    lines.append("roots and inclusion paths identical at pymerkle's size: yes")
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--proofs", type=int, default=10_000)
    parser.add_argument("--pymerkle-budget", type=float, default=60.0, help="seconds")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.size < 2 or args.batch < 1 or args.proofs < 1:
        parser.error("--size must be at least 2, --batch and --proofs at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rng = random.Random(args.seed)
    report: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "config": {
            "size": args.size,
            "batch": args.batch,
            "proofs": args.proofs,
            "pymerkle_budget": args.pymerkle_budget,
            "seed": args.seed,
        },
    }

    log(f"netcourt: appending {args.size:,} leaves")
    ours, built = build_netcourt(args.size, args.batch)
    indexes = [rng.randrange(args.size) for _ in range(args.proofs)]
    olds = [rng.randrange(1, args.size) for _ in range(args.proofs)]
    log("netcourt: proofs")
    report["netcourt"] = {"append": built, "proofs": prove_netcourt(ours, indexes, olds)}

    log(f"pymerkle: appending up to {args.size:,} leaves")
    theirs, built = build_pymerkle(args.size, args.batch, args.pymerkle_budget)
    log("pymerkle: checking that both trees agree")
    cross_check(ours, theirs, rng)
    size = theirs.get_size()
    if size < args.size:
        indexes = [rng.randrange(size) for _ in range(args.proofs)]
        olds = [rng.randrange(1, size) for _ in range(args.proofs)]
    log("pymerkle: proofs")
    report["pymerkle"] = {"append": built, "proofs": prove_pymerkle(theirs, indexes, olds)}

    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
