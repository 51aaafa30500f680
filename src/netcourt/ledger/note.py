"""C2SP signed notes with Ed25519 keys (https://c2sp.org/signed-note).

A signed note is a text ending in a newline, a blank line, then one line per signature::

    <text>\\n
    \\n
    — <key name> base64(key ID || signature)\\n

The key ID is the first four bytes of ``SHA-256(name || 0x0A || 0x01 || public key)`` read as a
big-endian uint32. Keys travel as strings, in the encoding of golang.org/x/mod/sumdb/note:

* signer (private): ``PRIVATE+KEY+<name>+<key ID as 8 hex digits>+base64(0x01 || seed)``
* verifier (public): ``<name>+<key ID as 8 hex digits>+base64(0x01 || public key)``

Opening a note follows the specification: signatures by keys the caller does not know are
ignored (even if they share the name or the ID of a known key, but not both); a signature by a
known key that does not verify refuses the whole note; a note with no verified signature by a
known key is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from netcourt.ledger.errors import LedgerError

ED25519 = 0x01
EM_DASH = "\u2014"
SIGNATURE_PREFIX = EM_DASH + " "
MAX_SIGNATURES = 100
MAX_NOTE_SIZE = 1 << 20

_HEX_ID = re.compile(r"[0-9a-f]{8}")


@dataclass(frozen=True)
class VerifierKey:
    """A parsed verifier key: who signs (``name``), which key (``key_id``) and the key itself."""

    name: str
    key_id: int
    public_key: bytes

    @property
    def encoded(self) -> str:
        return f"{self.name}+{self.key_id:08x}+{_b64(bytes([ED25519]) + self.public_key)}"


@dataclass(frozen=True)
class OpenedNote:
    """The text of a note whose signatures checked out, and the names of the keys that signed.

    ``ignored`` names the signatures by keys that were not among the verifier keys given.
    """

    text: str
    signed_by: list[str]
    ignored: list[str] = field(default_factory=list)


# --- names, keys and encodings --------------------------------------------------------------


def is_valid_name(name: object) -> bool:
    """A key name is non-empty, and has no Unicode space, no ``+`` and no control character."""
    if not isinstance(name, str) or not name or "+" in name:
        return False
    if any(char.isspace() or ord(char) < 0x20 or ord(char) == 0x7F for char in name):
        return False
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_name(name: object) -> str:
    if not is_valid_name(name):
        raise LedgerError(
            "malformed", f"invalid key name {name!r}: it must be non-empty, without spaces or '+'"
        )
    assert isinstance(name, str)
    return name


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str, what: str) -> bytes:
    """Standard base64, strictly: alphabet, padding, and the one canonical spelling."""
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise LedgerError("malformed", f"{what} is not valid base64") from None
    if _b64(data) != text:
        raise LedgerError("malformed", f"{what} is not canonical base64")
    return data


def key_id(name: str, public_key: bytes) -> int:
    """``SHA-256(name || 0x0A || 0x01 || public key)[:4]`` as a big-endian uint32."""
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([ED25519]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def _parse_id(text: str, what: str) -> int:
    if not _HEX_ID.fullmatch(text):
        raise LedgerError("malformed", f"{what}: the key ID must be 8 lowercase hex digits")
    return int(text, 16)


def _parse_typed_key(text: str, what: str) -> bytes:
    raw = _unb64(text, what)
    if len(raw) != 33 or raw[0] != ED25519:
        raise LedgerError("malformed", f"{what}: not an Ed25519 key (0x01 and 32 bytes)")
    return raw[1:]


def parse_verifier_key(key: str) -> VerifierKey:
    """Parse ``<name>+<hex key ID>+base64(0x01 || public key)``, checking the key ID."""
    if not isinstance(key, str):
        raise LedgerError("malformed", "a verifier key is a string")
    key = key.strip()
    parts = key.split("+", 2)
    if len(parts) != 3 or key.startswith("PRIVATE+"):
        raise LedgerError("malformed", "a verifier key is <name>+<key id>+<base64 key>")
    name = _check_name(parts[0])
    ident = _parse_id(parts[1], "verifier key")
    public_key = _parse_typed_key(parts[2], "verifier key")
    try:
        Ed25519PublicKey.from_public_bytes(public_key)
    except ValueError:
        raise LedgerError("malformed", "verifier key: not a valid Ed25519 public key") from None
    if key_id(name, public_key) != ident:
        raise LedgerError("malformed", f"verifier key: key ID {parts[1]} does not match the key")
    return VerifierKey(name, ident, public_key)


def _parse_signer(signer_key: str) -> tuple[str, int, Ed25519PrivateKey]:
    if not isinstance(signer_key, str):
        raise LedgerError("malformed", "a signer key is a string")
    parts = signer_key.strip().split("+", 4)
    if len(parts) != 5 or parts[0] != "PRIVATE" or parts[1] != "KEY":
        raise LedgerError("malformed", "a signer key is PRIVATE+KEY+<name>+<key id>+<base64 key>")
    name = _check_name(parts[2])
    ident = _parse_id(parts[3], "signer key")
    seed = _parse_typed_key(parts[4], "signer key")
    private = Ed25519PrivateKey.from_private_bytes(seed)
    if key_id(name, private.public_key().public_bytes_raw()) != ident:
        raise LedgerError("malformed", f"signer key: key ID {parts[3]} does not match the key")
    return name, ident, private


def new_signer(name: str) -> str:
    """A fresh Ed25519 signer key named ``name`` (keep it secret)."""
    _check_name(name)
    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes_raw()
    seed = private.private_bytes_raw()
    return f"PRIVATE+KEY+{name}+{key_id(name, public):08x}+{_b64(bytes([ED25519]) + seed)}"


def verifier_key(signer_key: str) -> str:
    """The public verifier key that checks what ``signer_key`` signs."""
    name, ident, private = _parse_signer(signer_key)
    return VerifierKey(name, ident, private.public_key().public_bytes_raw()).encoded


# --- notes ----------------------------------------------------------------------------------


def _check_characters(text: str, what: str) -> None:
    for char in text:
        if char < " " and char != "\n":
            raise LedgerError("malformed", f"{what} contains control character {char!r}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise LedgerError("malformed", f"{what} is not valid UTF-8") from None


def sign_note(text: str, signer_key: str) -> str:
    """``text`` (which must end in a newline) signed by ``signer_key``."""
    name, ident, private = _parse_signer(signer_key)
    if not isinstance(text, str) or not text.endswith("\n"):
        raise LedgerError("malformed", "a note's text must end with a newline")
    _check_characters(text, "note text")
    signature = private.sign(text.encode("utf-8"))
    blob = _b64(ident.to_bytes(4, "big") + signature)
    return f"{text}\n{SIGNATURE_PREFIX}{name} {blob}\n"


def _known_keys(verifier_keys: Sequence[str]) -> dict[tuple[str, int], VerifierKey]:
    if isinstance(verifier_keys, str):
        raise LedgerError("malformed", "verifier keys are a list of strings, not one string")
    known: dict[tuple[str, int], VerifierKey] = {}
    for encoded in verifier_keys:
        key = parse_verifier_key(encoded)
        other = known.setdefault((key.name, key.key_id), key)
        if other.public_key != key.public_key:
            raise LedgerError(
                "malformed", f"two verifier keys are both {key.name}+{key.key_id:08x}"
            )
    return known


def open_note(note: str | bytes, verifier_keys: Sequence[str]) -> OpenedNote:
    """Check a signed note against the verifier keys the caller trusts; return its text."""
    known = _known_keys(verifier_keys)
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError:
            raise LedgerError("malformed", "the note is not valid UTF-8") from None
    if not isinstance(note, str):
        raise LedgerError("malformed", "a note is text")
    if len(note) > MAX_NOTE_SIZE:
        raise LedgerError("malformed", "the note is too large")
    _check_characters(note, "the note")

    split = note.rfind("\n\n")
    if split < 0:
        raise LedgerError("malformed", "the note has no blank line before its signatures")
    text, block = note[: split + 1], note[split + 2 :]
    if not block or not block.endswith("\n"):
        raise LedgerError("malformed", "the note's signature lines must end with a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise LedgerError("malformed", f"the note has more than {MAX_SIGNATURES} signatures")

    message = text.encode("utf-8")
    signed_by: list[str] = []
    ignored: list[str] = []
    for number, line in enumerate(lines, start=1):
        if not line.startswith(SIGNATURE_PREFIX):
            raise LedgerError(
                "malformed", f"signature line {number} does not start with an em dash and a space"
            )
        name, space, blob = line[len(SIGNATURE_PREFIX) :].partition(" ")
        if not space or not is_valid_name(name) or not blob:
            raise LedgerError("malformed", f"signature line {number} is not '— <name> <base64>'")
        raw = _unb64(blob, f"signature line {number}")
        if len(raw) < 5:
            raise LedgerError("malformed", f"signature line {number} is too short")
        ident = int.from_bytes(raw[:4], "big")
        key = known.get((name, ident))
        if key is None:
            if name not in ignored:
                ignored.append(name)
            continue
        try:
            Ed25519PublicKey.from_public_bytes(key.public_key).verify(raw[4:], message)
        except InvalidSignature:
            raise LedgerError(
                "bad_signature", f"the signature by {name}+{ident:08x} does not verify"
            ) from None
        if name not in signed_by:
            signed_by.append(name)
    if not signed_by:
        raise LedgerError("unknown_key", "the note has no signature by any of the trusted keys")
    return OpenedNote(text, signed_by, ignored)
