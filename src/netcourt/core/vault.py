"""The court's keyring, and sealing text with it (the pure part is `netcourt.vault`).

The keyring is the JSON document in ``NETCOURT_VAULT_KEYS`` when that variable is set, for
deployments that keep keys outside the data directory; otherwise the file
``DATA_DIR/vault-keys.json``, made (mode 0600) on first use. It is read once per process;
`open_text` reads it again when a value names a key it does not know, so a process started
before `netcourt vault rotate` still opens values that newer processes sealed.

A context names where a value lives — table, field and row, e.g. ``"accounts.person.id_number:42"``
— so that a value copied elsewhere does not open.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
import threading
from contextlib import suppress
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from netcourt.core import clock
from netcourt.vault import (
    Keyring,
    VaultError,
    from_text,
    lookup_hash,
    open_sealed,
    rewrap,
    seal,
    to_text,
)

ENV_VAR = "NETCOURT_VAULT_KEYS"
KEYS_FILE = "vault-keys.json"

_lock = threading.Lock()
_cached: tuple[tuple[str, str], Keyring] | None = None


def keys_file() -> Path:
    return Path(settings.DATA_DIR) / KEYS_FILE


def keys_from_environment() -> bool:
    return bool(os.environ.get(ENV_VAR))


def keyring() -> Keyring:
    """The keyring of this installation, read once per process (and per source)."""
    global _cached
    from_env = os.environ.get(ENV_VAR)
    source = ("env", from_env) if from_env else ("file", str(keys_file()))
    cached = _cached
    if cached is not None and cached[0] == source:
        return cached[1]
    with _lock:
        if _cached is None or _cached[0] != source:
            loaded = Keyring.from_json(from_env) if from_env else _load_or_create(keys_file())
            _cached = (source, loaded)
        return _cached[1]


def reset() -> None:
    """Forget the keyring read so far; the next use reads it again."""
    global _cached
    with _lock:
        _cached = None


def rotate() -> Keyring:
    """Add a new key-encryption key to the keys file and make it active; returns the keyring.

    The file is rewritten whole (a temporary file, flushed to disk, renamed over the old one),
    under a lock on the data directory, so two rotations at once both land.
    """
    if keys_from_environment():
        raise ImproperlyConfigured(
            f"the keyring comes from {ENV_VAR}; rotate it where that document is kept"
        )
    path = keys_file()
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        fcntl.flock(directory, fcntl.LOCK_EX)
        rotated = _load_or_create(path).rotate(clock.now())
        write_secret_file(path, rotated.to_json(), replace=True)
    finally:
        os.close(directory)
    reset()
    return rotated


# Every column that holds sealed values, as (app label, model, field): `rewrap_all` moves
# them to the active key so that an older key can be retired. Files are never rewrapped:
# their data keys are wrapped by their case's key, which is one of these sealed values.
SEALED_COLUMNS = (
    ("accounts", "IdentityVerification", "number_sealed"),
    ("evidence", "CaseKey", "sealed"),
    ("evidence", "Upload", "sealed_key"),
    ("accounts", "HeldDocument", "sealed_key"),
)


def rewrap_all() -> int:
    """Rewrap every sealed value under the active key; how many were rewrapped."""
    from django.apps import apps
    from django.db import transaction

    keys = keyring()
    moved = 0
    for app_label, model_name, field in SEALED_COLUMNS:
        model = apps.get_model(app_label, model_name)
        rows = model.objects.values_list("pk", field).iterator(chunk_size=1000)
        for pk, sealed in rows:
            raw = from_text(sealed)
            if raw[1 : 1 + 4] == bytes.fromhex(keys.active.id):
                continue
            with transaction.atomic():
                model.objects.filter(pk=pk, **{field: sealed}).update(
                    **{field: to_text(rewrap(keys, raw))}
                )
            moved += 1
    return moved


def seal_text(value: str, context: str) -> str:
    return to_text(seal(keyring(), value.encode("utf-8"), context.encode("utf-8")))


def open_text(sealed: str, context: str) -> str:
    raw = from_text(sealed)
    try:
        plaintext = open_sealed(keyring(), raw, context.encode("utf-8"))
    except VaultError as error:
        if error.code != "unknown_key":
            raise
        reset()
        plaintext = open_sealed(keyring(), raw, context.encode("utf-8"))
    return plaintext.decode("utf-8")


def lookup(kind: str, value: str) -> str:
    return lookup_hash(keyring(), kind, value)


def _load_or_create(path: Path) -> Keyring:
    if not path.exists():
        write_secret_file(path, Keyring.generate(clock.now()).to_json(), replace=False)
    return Keyring.from_json(path.read_text(encoding="utf-8"))


def write_secret_file(path: Path, text: str, *, replace: bool) -> None:
    """Write `text` to a temporary file (mode 0600) flushed to disk, then put it at `path`.

    `replace` renames it over what is there; otherwise it is linked into place only if `path`
    does not exist yet, so of two processes starting at once one wins and the other reads the
    winner's complete file.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(tmp, path)
        else:
            with suppress(FileExistsError):
                os.link(tmp, path)
    finally:
        with suppress(FileNotFoundError):
            os.unlink(tmp)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
