"""Canonical JSON: one byte sequence per record, so that a hash means the same everywhere.

Keys sorted, no insignificant white space, UTF-8, no NaN or infinity. Only str, int, bool,
None, lists and dicts are accepted: anything else (floats, dates, decimals) must be turned
into a string by the caller, so that two implementations cannot disagree on its form.

A record whose hash is published but whose fields could be guessed (small account ids, a
handful of states, a known file) carries a ``salt`` from :func:`new_salt`: without it no one
can test a guess against the hash; with it, those given the record can check it.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping
from typing import Any


def _check(value: Any, path: str) -> None:
    if value is None or isinstance(value, (bool, int, str)):
        return
    if isinstance(value, list):
        for index, item in enumerate(value):
            _check(item, f"{path}[{index}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{path}: keys must be strings, not {type(key).__name__}")
            _check(item, f"{path}.{key}")
        return
    raise TypeError(f"{path}: {type(value).__name__} has no canonical form; pass a string")


def canonical_json(record: Mapping[str, Any]) -> bytes:
    plain = dict(record)
    _check(plain, "$")
    return json.dumps(
        plain, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def record_hash(record: Mapping[str, Any]) -> str:
    return sha256_hex(canonical_json(record))


SALT_BYTES = 32


def new_salt() -> str:
    """A secret random salt for a record whose hash is published: 256 bits, as hex."""
    return secrets.token_hex(SALT_BYTES)
