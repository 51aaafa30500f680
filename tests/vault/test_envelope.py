"""Sealed values: round trips, tampering, contexts, rotation and rewrapping."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netcourt.vault import Keyring, VaultError, from_text, open_sealed, rewrap, seal, to_text

NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
LATER = datetime(2027, 5, 1, 2, 0, tzinfo=UTC)
KEYRING = Keyring.generate(NOW)
OVERHEAD = 1 + 4 + 40 + 12 + 16
PAYLOAD_AT = 1 + 4 + 40
CONTEXT = b"accounts.person.id_number:42"
BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def refused(code: str | None, keyring: Keyring, sealed: bytes, context: bytes = CONTEXT) -> None:
    with pytest.raises(VaultError) as error:
        open_sealed(keyring, sealed, context)
    if code is not None:
        assert error.value.code == code


def rewrap_refused(keyring: Keyring, sealed: bytes) -> str:
    with pytest.raises(VaultError) as error:
        rewrap(keyring, sealed)
    return error.value.code


def flipped(data: bytes, bit: int) -> bytes:
    changed = bytearray(data)
    changed[bit // 8] ^= 1 << (bit % 8)
    return bytes(changed)


@given(st.binary(), st.binary())
def test_round_trip(plaintext: bytes, context: bytes) -> None:
    sealed = seal(KEYRING, plaintext, context)
    assert len(sealed) == OVERHEAD + len(plaintext)
    assert sealed[0] == 1
    assert sealed[1:5].hex() == KEYRING.active.id
    assert open_sealed(KEYRING, sealed, context) == plaintext
    assert open_sealed(KEYRING, from_text(to_text(sealed)), context) == plaintext


@given(st.binary(), st.binary(), st.binary())
def test_another_context_does_not_open(plaintext: bytes, context: bytes, other: bytes) -> None:
    if other != context:
        refused("tampered", KEYRING, seal(KEYRING, plaintext, context), other)


def test_every_single_bit_flip_is_refused() -> None:
    sealed = seal(KEYRING, b"11010519491231002X", CONTEXT)
    for bit in range(len(sealed) * 8):
        refused(None, KEYRING, flipped(sealed, bit))


def test_the_error_says_what_went_wrong_but_not_the_value() -> None:
    sealed = seal(KEYRING, b"11010519491231002X", CONTEXT)
    refused("malformed", KEYRING, flipped(sealed, 0))
    refused("unknown_key", KEYRING, flipped(sealed, 8))
    refused("tampered", KEYRING, flipped(sealed, 8 * 5))
    refused("tampered", KEYRING, flipped(sealed, 8 * PAYLOAD_AT))
    refused("tampered", KEYRING, flipped(sealed, len(sealed) * 8 - 1))
    with pytest.raises(VaultError) as error:
        open_sealed(KEYRING, flipped(sealed, 8 * PAYLOAD_AT), CONTEXT)
    assert "11010519491231002X" not in str(error.value) + repr(error.value)
    assert KEYRING.active.key.hex() not in str(error.value)


@pytest.mark.parametrize("sealed", [b"", b"\x01", bytes([1]) + bytes(OVERHEAD - 2)])
def test_too_short_is_malformed(sealed: bytes) -> None:
    refused("malformed", KEYRING, sealed)


def test_a_value_from_another_keyring_names_an_unknown_key() -> None:
    other = Keyring.generate(NOW)
    refused("unknown_key", KEYRING, seal(other, b"secret", CONTEXT))
    assert rewrap_refused(KEYRING, seal(other, b"secret", CONTEXT)) == "unknown_key"


def test_a_data_key_moved_to_another_value_does_not_open_it() -> None:
    first = seal(KEYRING, b"first", CONTEXT)
    second = seal(KEYRING, b"second", CONTEXT)
    refused("tampered", KEYRING, first[:PAYLOAD_AT] + second[PAYLOAD_AT:])


def test_sealing_twice_gives_unrelated_values() -> None:
    first, second = (seal(KEYRING, b"same", CONTEXT) for _ in range(2))
    assert first[5:PAYLOAD_AT] != second[5:PAYLOAD_AT]
    assert first[PAYLOAD_AT:] != second[PAYLOAD_AT:]


def test_rotation_rewrap_and_retirement() -> None:
    before = seal(KEYRING, b"sealed before rotation", CONTEXT)
    rotated = KEYRING.rotate(LATER)
    assert open_sealed(rotated, before, CONTEXT) == b"sealed before rotation"
    assert seal(rotated, b"new", CONTEXT)[1:5].hex() == rotated.active.id

    moved = rewrap(rotated, before)
    assert moved[1:5].hex() == rotated.active.id
    assert moved[5:PAYLOAD_AT] != before[5:PAYLOAD_AT]
    assert moved[PAYLOAD_AT:] == before[PAYLOAD_AT:]
    assert open_sealed(rotated, moved, CONTEXT) == b"sealed before rotation"
    assert rewrap(rotated, moved) == moved

    retired = rotated.retire(KEYRING.active.id)
    assert open_sealed(retired, moved, CONTEXT) == b"sealed before rotation"
    refused("unknown_key", retired, before)


def test_rewrap_refuses_a_changed_wrapped_key() -> None:
    sealed = seal(KEYRING, b"value", CONTEXT)
    assert rewrap_refused(KEYRING, flipped(sealed, 8 * 5)) == "tampered"
    assert rewrap_refused(KEYRING, b"\x02" + sealed[1:]) == "malformed"


def test_text_form_is_unpadded_base64url() -> None:
    for size in range(4):
        text = to_text(seal(KEYRING, bytes(size), CONTEXT))
        assert text.isascii() and "=" not in text
        assert set(text) <= set(BASE64URL)


@pytest.mark.parametrize("size", [0, 1, 2])
def test_every_changed_character_of_the_text_form_is_refused(size: int) -> None:
    sealed = seal(KEYRING, bytes(size), CONTEXT)
    text = to_text(sealed)
    for at, char in enumerate(text):
        for bit in range(7):
            changed = text[:at] + chr(ord(char) ^ (1 << bit)) + text[at + 1 :]
            with pytest.raises(VaultError):
                open_sealed(KEYRING, from_text(changed), CONTEXT)


@pytest.mark.parametrize("text", ["a", "abcde", "ab=c", "ab+/", "ab cd", "é", "AB=="])
def test_text_that_is_not_a_sealed_form_is_malformed(text: str) -> None:
    with pytest.raises(VaultError) as error:
        from_text(text)
    assert error.value.code == "malformed"


def test_a_non_canonical_text_form_is_malformed() -> None:
    text = to_text(seal(KEYRING, b"", CONTEXT))
    assert len(text) % 4 == 2, "73 bytes: the last character carries four unused bits"
    alias = text[:-1] + BASE64URL[BASE64URL.index(text[-1]) ^ 1]
    assert base64.urlsafe_b64decode(alias + "==") == base64.urlsafe_b64decode(text + "==")
    with pytest.raises(VaultError) as error:
        from_text(alias)
    assert error.value.code == "malformed"
