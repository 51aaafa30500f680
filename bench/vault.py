"""Throughput of encrypted evidence blobs in the local directory store, next to plain SHA-256.

For each chunk size (64 KiB, 1 MiB and 4 MiB by default) this script streams the same
pseudo-random bytes (1 GiB by default, made as they are read from a random block, never held
whole) through:

* ``sha256``: ``hashlib.sha256`` over the bytes, read a chunk at a time — the ceiling, since
  storing a blob hashes it too;
* ``copy``: SHA-256 and a plain write to a file, flushed and fsync'd — what storing costs
  without encryption;
* ``store``: ``store_encrypted`` into a `LocalDirectoryStore` — one pass that hashes, encrypts
  (AES-256-GCM) and writes, fsync and rename included;
* ``verify``: ``verify_blob`` — read back, decrypt and hash (the page cache probably holds the
  file, so this is CPU-bound).

Throughput is in MB/s (10^6 bytes of plaintext per second of wall time). The ratio compared
is store ÷ sha256, by wall time and by CPU time (steadier when other processes share the
machine). Temporary files go under ``--dir`` (the system temporary directory by
default) and are removed on exit.

    .venv/bin/python bench/vault.py [--size-mib 1024] [--chunk-kib 64,1024,4096]
                                    [--dir /tmp] [--repeat 1] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import platform
import ssl
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from netcourt.vault import (
    DEFAULT_CHUNK_SIZE,
    Kek,
    KeySet,
    LocalDirectoryStore,
    store_encrypted,
    verify_blob,
)
from netcourt.vault.stream import MAX_CHUNK_SIZE

KiB = 1024
MiB = 1024 * KiB
CONTEXT = b"evidence.item.blob:bench"
KEY = "bench/blob"


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


class Generated:
    """`total` pseudo-random bytes, made as they are read from one random 8 MiB block."""

    BLOCK = os.urandom(8 * MiB + 4 * KiB)

    def __init__(self, total: int) -> None:
        self.left = total
        self.offset = 0

    def read(self, size: int, /) -> bytes:
        size = min(size, self.left)
        self.left -= size
        self.offset = (self.offset + 4099) % (len(self.BLOCK) - size + 1)
        return self.BLOCK[self.offset : self.offset + size]


def timed(work: Callable[[], object], size: int, repeat: int) -> dict[str, float]:
    """The fastest of `repeat` runs of `work`, by wall time."""
    best: dict[str, float] = {}
    for _ in range(repeat):
        cpu0, t0 = time.process_time(), time.perf_counter()
        work()
        wall = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
        if not best or wall < best["seconds"]:
            best = {
                "seconds": round(wall, 3),
                "mb_per_s": round(size / wall / 1e6, 1),
                "cpu_seconds": round(cpu, 3),
            }
    return best


def sha256_only(size: int, chunk: int) -> str:
    source, digest = Generated(size), hashlib.sha256()
    while part := source.read(chunk):
        digest.update(part)
    return digest.hexdigest()


def plain_copy(size: int, chunk: int, path: Path) -> str:
    source, digest = Generated(size), hashlib.sha256()
    with path.open("wb") as out:
        while part := source.read(chunk):
            digest.update(part)
            out.write(part)
        out.flush()
        os.fsync(out.fileno())
    path.unlink()
    return digest.hexdigest()


def bench_chunk(chunk: int, size: int, root: Path, repeat: int) -> dict[str, Any]:
    keys = KeySet.single(Kek.generate(datetime.now(UTC)))
    blobs = LocalDirectoryStore(root / "blobs")
    digests: dict[str, str] = {}
    result: dict[str, Any] = {"chunk_bytes": chunk}

    log(f"chunk {chunk // KiB} KiB: sha256")
    result["sha256"] = timed(lambda: digests.update(sha256=sha256_only(size, chunk)), size, repeat)
    log(f"chunk {chunk // KiB} KiB: copy")
    result["copy"] = timed(
        lambda: digests.update(copy=plain_copy(size, chunk, root / "plain")), size, repeat
    )
    log(f"chunk {chunk // KiB} KiB: store_encrypted")

    def store() -> None:
        blob = store_encrypted(blobs, KEY, Generated(size), keys, CONTEXT, chunk_size=chunk)
        digests["store"] = blob.sha256
        result["stored_bytes"] = blob.stored_size

    result["store"] = timed(store, size, repeat)
    log(f"chunk {chunk // KiB} KiB: verify_blob")
    result["verify"] = timed(
        lambda: digests.update(verify=verify_blob(blobs, KEY, keys, CONTEXT)[0]), size, repeat
    )
    blobs.delete(KEY)
    if len(set(digests.values())) != 1:
        raise RuntimeError(f"the digests differ: {digests}")
    result["store_vs_sha256"] = round(result["store"]["mb_per_s"] / result["sha256"]["mb_per_s"], 3)
    result["store_vs_copy"] = round(result["store"]["mb_per_s"] / result["copy"]["mb_per_s"], 3)
    # CPU time is steadier than wall time on a shared machine: the same ratio by CPU seconds.
    result["store_vs_sha256_cpu"] = round(
        result["sha256"]["cpu_seconds"] / max(result["store"]["cpu_seconds"], 1e-9), 3
    )
    return result


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "cryptography": metadata.version("cryptography"),
        "openssl": ssl.OPENSSL_VERSION,
        "kernel": platform.release(),
    }


def table(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [
        f"netcourt vault benchmark — {report['date']}",
        f"{m['cpu']}, {m['cores']} cores; Python {m['python']}, cryptography"
        f" {m['cryptography']}; {report['config']['size_mib']} MiB per run in"
        f" {report['config']['dir']}, fastest of {report['config']['repeat']}",
        "MB/s of plaintext (10^6 bytes per second, wall time)",
        "",
    ]
    head = (
        f"{'chunk':>8} {'sha256':>8} {'copy':>8} {'store':>8} {'verify':>8}"
        f" {'store÷sha256':>13} {'store÷copy':>11} {'store cpu s':>12} {'÷sha256 by cpu':>15}"
    )
    lines += [head, "-" * len(head)]
    for r in report["results"]:
        lines.append(
            f"{r['chunk_bytes'] // KiB:>5} KiB {r['sha256']['mb_per_s']:>8.1f}"
            f" {r['copy']['mb_per_s']:>8.1f} {r['store']['mb_per_s']:>8.1f}"
            f" {r['verify']['mb_per_s']:>8.1f} {r['store_vs_sha256'] * 100:>12.1f}%"
            f" {r['store_vs_copy'] * 100:>10.1f}% {r['store']['cpu_seconds']:>12.2f}"
            f" {r['store_vs_sha256_cpu'] * 100:>14.1f}%"
        )
    cheapest = min(report["results"], key=lambda r: r["store"]["cpu_seconds"])
    default = next((r for r in report["results"] if r["chunk_bytes"] == DEFAULT_CHUNK_SIZE), None)
    if default is not None and cheapest is not default:
        saving = 1 - cheapest["store"]["cpu_seconds"] / default["store"]["cpu_seconds"]
        lines.append("")
        lines.append(
            f"least CPU to store: {cheapest['chunk_bytes'] // KiB} KiB chunks,"
            f" {saving * 100:.0f}% less than the default {DEFAULT_CHUNK_SIZE // KiB} KiB"
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024, help="bytes per run (1024 MiB)")
    parser.add_argument(
        "--chunk-kib", default="64,1024,4096", help="chunk sizes in KiB (64,1024,4096)"
    )
    parser.add_argument("--dir", default=tempfile.gettempdir(), help="where to write")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; the fastest counts")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    try:
        args.chunks = [int(part) * KiB for part in args.chunk_kib.split(",")]
    except ValueError:
        parser.error("--chunk-kib is a comma-separated list of integers")
    if (
        args.size_mib < 1
        or args.repeat < 1
        or not all(1 <= c <= MAX_CHUNK_SIZE for c in args.chunks)
    ):
        parser.error(
            f"--size-mib ≥ 1, --repeat ≥ 1 and each chunk 1 KiB to {MAX_CHUNK_SIZE // KiB} KiB"
        )
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    size = args.size_mib * MiB
    report: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "config": {
            "size_mib": args.size_mib,
            "dir": args.dir,
            "chunks": args.chunks,
            "repeat": args.repeat,
        },
        "results": [],
    }
    with tempfile.TemporaryDirectory(prefix="netcourt-vault-bench-", dir=args.dir) as tmp:
        for chunk in args.chunks:
            report["results"].append(bench_chunk(chunk, size, Path(tmp), args.repeat))
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
