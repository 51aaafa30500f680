"""Key-encryption keys (KEKs), the keyring that holds them, and the keyring's JSON document.

Whatever wraps data keys is a `KeySource`: an active KEK to wrap new data keys under, and
lookup of any KEK by id to unwrap old ones. The installation's master `Keyring` is one; a
`KeySet` is another, holding no lookup key — a case's own KEKs, for instance, which are stored
sealed under the master keyring so that rotating the master key rewraps only them.

A keyring holds one or more 256-bit KEKs, each named by a short random id (eight hex digits),
exactly one of them active: new data keys are wrapped under the active KEK, and the others stay
to open what was sealed under them until they are retired. It also holds one 256-bit lookup
key for keyed hashes (`netcourt.vault.lookup`), which is never used to encrypt.

A keyring never changes: `rotate` and `retire` return a new one. Its repr names the key ids
only; key material leaves it only through `to_json`.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from netcourt.vault.errors import VaultError

KEY_BYTES = 32
KEY_ID_BYTES = 4
DOCUMENT_FORMAT = "netcourt-vault-keys"
DOCUMENT_VERSION = 1

_KEY_ID = re.compile(r"[0-9a-f]{8}")
_T = TypeVar("_T")


def _invalid(message: str) -> VaultError:
    return VaultError("invalid_keyring", message)


@dataclass(frozen=True)
class Kek:
    """A key-encryption key: its id, when it was made, and the 32 key bytes (never shown)."""

    id: str
    created: datetime
    key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not _KEY_ID.fullmatch(self.id):
            raise _invalid("a key id is eight lowercase hex digits")
        if len(self.key) != KEY_BYTES:
            raise _invalid(f"key {self.id}: a key is {KEY_BYTES} bytes")
        if self.created.tzinfo is None:
            raise _invalid(f"key {self.id}: the creation time needs a time zone")

    @classmethod
    def generate(cls, now: datetime) -> Kek:
        """A new random KEK with a random id (a case's own key, say)."""
        return cls(_new_key_id(()), now, secrets.token_bytes(KEY_BYTES))


class KeySource(Protocol):
    """What wraps and unwraps data keys: `Keyring` and `KeySet` are both one."""

    @property
    def active(self) -> Kek:
        """The KEK new data keys are wrapped under."""
        ...

    def get(self, key_id: str) -> Kek:
        """The KEK `key_id`; `unknown_key` if this source does not hold it."""
        ...


def _index(keys: Iterable[Kek], active_id: str) -> tuple[dict[str, Kek], Kek]:
    by_id: dict[str, Kek] = {}
    for kek in keys:
        if kek.id in by_id:
            raise _invalid(f"key id {kek.id} appears twice")
        by_id[kek.id] = kek
    if active_id not in by_id:
        raise _invalid("the active key id names none of the keys")
    return by_id, by_id[active_id]


class KeySet:
    """One or more KEKs, one of them active, and no lookup key; it never changes.

    A case's keys are one: each case gets its own random KEK (`Kek.generate`), kept in the
    database sealed under the master keyring, and every blob of the case is a stream whose
    data key is wrapped under it. Its repr names the key ids only.
    """

    __slots__ = ("_active", "_keys")

    def __init__(self, keys: Iterable[Kek], active_id: str) -> None:
        self._keys, self._active = _index(keys, active_id)

    @classmethod
    def single(cls, kek: Kek) -> KeySet:
        return cls([kek], kek.id)

    @property
    def keys(self) -> tuple[Kek, ...]:
        return tuple(self._keys.values())

    @property
    def active(self) -> Kek:
        return self._active

    def get(self, key_id: str) -> Kek:
        try:
            return self._keys[key_id]
        except KeyError:
            raise VaultError("unknown_key", f"this key set holds no key {key_id}") from None

    def __setattr__(self, name: str, value: object) -> None:
        if hasattr(self, "_active"):
            raise AttributeError("a KeySet never changes")
        super().__setattr__(name, value)

    def __repr__(self) -> str:
        return f"KeySet(active={self._active.id!r}, keys={list(self._keys)!r})"


class Keyring:
    __slots__ = ("_active", "_keys", "_lookup_key")

    def __init__(self, keys: Iterable[Kek], active_id: str, lookup_key: bytes) -> None:
        by_id, active = _index(keys, active_id)
        if len(lookup_key) != KEY_BYTES:
            raise _invalid(f"the lookup key is {KEY_BYTES} bytes")
        self._keys = by_id
        self._active = active
        self._lookup_key = lookup_key

    @classmethod
    def generate(cls, now: datetime) -> Keyring:
        """A new keyring: one random KEK, active, and a random lookup key."""
        first = Kek(_new_key_id(()), now, secrets.token_bytes(KEY_BYTES))
        return cls([first], first.id, secrets.token_bytes(KEY_BYTES))

    @property
    def keys(self) -> tuple[Kek, ...]:
        """Every KEK, oldest first."""
        return tuple(self._keys.values())

    @property
    def active(self) -> Kek:
        return self._active

    @property
    def lookup_key(self) -> bytes:
        return self._lookup_key

    def get(self, key_id: str) -> Kek:
        try:
            return self._keys[key_id]
        except KeyError:
            raise VaultError("unknown_key", f"this keyring holds no key {key_id}") from None

    def rotate(self, now: datetime) -> Keyring:
        """This keyring plus a new random KEK, which becomes the active one."""
        new = Kek(_new_key_id(self._keys), now, secrets.token_bytes(KEY_BYTES))
        return Keyring([*self._keys.values(), new], new.id, self._lookup_key)

    def retire(self, key_id: str) -> Keyring:
        """This keyring without the KEK `key_id`: what was sealed under it no longer opens."""
        if self.get(key_id) is self._active:
            raise _invalid(f"key {key_id} is active; rotate before retiring it")
        kept = [kek for kek in self._keys.values() if kek.id != key_id]
        return Keyring(kept, self._active.id, self._lookup_key)

    def to_json(self) -> str:
        document = {
            "format": DOCUMENT_FORMAT,
            "version": DOCUMENT_VERSION,
            "active": self._active.id,
            "keys": [
                {"id": kek.id, "created": kek.created.isoformat(), "key": _b64(kek.key)}
                for kek in self._keys.values()
            ],
            "lookup_key": _b64(self._lookup_key),
        }
        return json.dumps(document, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Keyring:
        """The keyring in a document `to_json` wrote; `invalid_keyring` for anything else."""
        try:
            document = json.loads(text)
        except ValueError:
            raise _invalid("the keys document is not JSON") from None
        if not isinstance(document, dict) or document.get("format") != DOCUMENT_FORMAT:
            raise _invalid(f"the keys document is not a {DOCUMENT_FORMAT} document")
        if document.get("version") != DOCUMENT_VERSION:
            raise _invalid(f"this code reads version {DOCUMENT_VERSION} of the keys document")
        entries = _member(document, "keys", list, "the keys document")
        keks = []
        for index, entry in enumerate(entries):
            where = f"keys[{index}]"
            if not isinstance(entry, dict):
                raise _invalid(f"{where} is not an object")
            try:
                created = datetime.fromisoformat(_member(entry, "created", str, where))
            except ValueError:
                raise _invalid(f"{where}: 'created' is not an ISO 8601 time") from None
            keks.append(
                Kek(
                    _member(entry, "id", str, where),
                    created,
                    _unb64(_member(entry, "key", str, where), where),
                )
            )
        return cls(
            keks,
            _member(document, "active", str, "the keys document"),
            _unb64(_member(document, "lookup_key", str, "the keys document"), "lookup_key"),
        )

    def __repr__(self) -> str:
        return f"Keyring(active={self._active.id!r}, keys={list(self._keys)!r})"


def _new_key_id(taken: Iterable[str]) -> str:
    used = set(taken)
    while True:
        key_id = secrets.token_hex(KEY_ID_BYTES)
        if key_id not in used:
            return key_id


def _member(obj: dict[str, Any], name: str, kind: type[_T], where: str) -> _T:
    value = obj.get(name)
    if not isinstance(value, kind):
        raise _invalid(f"{where}: {name!r} must be a {kind.__name__}")
    return value


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str, where: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error:
        raise _invalid(f"{where}: the key is not base64") from None


if TYPE_CHECKING:  # mypy checks that both are key sources
    _SOURCES: tuple[type[KeySource], ...] = (Keyring, KeySet)
