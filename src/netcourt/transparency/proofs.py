"""Proofs over the stored log, each read in one query.

The nodes a proof needs depend only on the leaf index and the tree sizes, never on hashes, so
a first run of the pure algorithm against a recorder learns which stored nodes it will ask
for; they are read at once, and a second run computes the proof from them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from netcourt.ledger.tree import consistency_proof as _consistency
from netcourt.ledger.tree import inclusion_proof as _inclusion
from netcourt.ledger.tree import root_hash as _root
from netcourt.transparency.actions import nodes

_PLACEHOLDER = bytes(32)
_T = TypeVar("_T")


class _Recorder:
    def __init__(self) -> None:
        self.asked: set[tuple[int, int]] = set()

    def node(self, level: int, index: int) -> bytes:
        self.asked.add((level, index))
        return _PLACEHOLDER


class _Stored:
    def __init__(self, found: dict[tuple[int, int], bytes]) -> None:
        self._found = found

    def node(self, level: int, index: int) -> bytes:
        return self._found[level, index]


def _run(algorithm: Callable[[_Recorder | _Stored], _T]) -> _T:
    recorder = _Recorder()
    algorithm(recorder)
    return algorithm(_Stored(nodes(recorder.asked)))


def inclusion_proof(index: int, size: int) -> list[bytes]:
    return _run(lambda source: _inclusion(index, size, source))


def consistency_proof(old_size: int, new_size: int) -> list[bytes]:
    return _run(lambda source: _consistency(old_size, new_size, source))


def root_at(size: int) -> bytes:
    return _run(lambda source: _root(size, source))
