"""C2SP signed notes: the reference vectors, round trips, and notes that must be refused."""

from __future__ import annotations

import base64
import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netcourt.ledger.errors import LedgerError
from netcourt.ledger.note import (
    EM_DASH,
    MAX_SIGNATURES,
    is_valid_name,
    key_id,
    new_signer,
    open_note,
    parse_verifier_key,
    sign_note,
    verifier_key,
)

# The example of golang.org/x/mod/sumdb/note (package documentation): a signer key, the
# verifier key it implies, and the exact note it makes (Ed25519 is deterministic).
GO_SIGNER = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VERIFIER = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n"
    "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpR"
    "Zb6KE6RyyBwJnAM=\n"
)

# The example of the C2SP signed-note specification (verifier key and signed note).
SPEC_VERIFIER = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n\n"
    "\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mF"
    "XmRKuwHjG1Yu72IneyaQM=\n"
)

SIGNER = new_signer("court.example/log")
VERIFIER = verifier_key(SIGNER)
OTHER = new_signer("other.example/log")


def test_the_go_reference_example_byte_for_byte() -> None:
    assert verifier_key(GO_SIGNER) == GO_VERIFIER
    assert sign_note(GO_TEXT, GO_SIGNER) == GO_NOTE
    opened = open_note(GO_NOTE, [GO_VERIFIER])
    assert opened.text == GO_TEXT
    assert opened.signed_by == ["PeterNeumann"]
    key = parse_verifier_key(GO_VERIFIER)
    assert (key.name, key.key_id) == ("PeterNeumann", 0xC74F20A3)
    assert key.encoded == GO_VERIFIER


def test_the_specification_example() -> None:
    opened = open_note(SPEC_NOTE, [SPEC_VERIFIER])
    assert opened.text == "This is an example message.\n"
    assert opened.signed_by == ["example.com/foo"]
    assert open_note(SPEC_NOTE.encode("utf-8"), [SPEC_VERIFIER]).text == opened.text


def test_key_encodings_and_key_id() -> None:
    assert SIGNER.startswith("PRIVATE+KEY+court.example/log+")
    name, ident, encoded = VERIFIER.split("+", 2)
    raw = base64.b64decode(encoded)
    assert name == "court.example/log"
    assert raw[0] == 0x01 and len(raw) == 33
    expected = hashlib.sha256(b"court.example/log\n\x01" + raw[1:]).digest()[:4]
    assert ident == expected.hex()
    assert key_id("court.example/log", raw[1:]) == int.from_bytes(expected, "big")
    seed = base64.b64decode(SIGNER.split("+", 4)[4])
    assert seed[0] == 0x01 and len(seed) == 33
    assert new_signer("court.example/log") != SIGNER


def test_a_signed_note_has_the_specified_shape() -> None:
    note = sign_note("hello\n", SIGNER)
    text, blank, line, end = note.split("\n")
    assert (text, blank, end) == ("hello", "", "")
    assert line.startswith(EM_DASH + " court.example/log ")
    signature = base64.b64decode(line.rsplit(" ", 1)[1])
    assert len(signature) == 4 + 64
    assert signature[:4].hex() == VERIFIER.split("+")[1]


@settings(max_examples=100, deadline=None)
@given(
    st.text(
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\t\x0b\x0c"),
        max_size=200,
    ).map(lambda t: "".join(c for c in t if c >= " " or c == "\n") + "\n"),
    st.integers(0, 10**6),
)
def test_any_text_round_trips_and_any_change_is_refused(text: str, where: int) -> None:
    note = sign_note(text, SIGNER)
    assert open_note(note, [VERIFIER]).text == text
    position = where % len(text)
    replacement = "a" if text[position] != "a" else "b"
    changed = text[:position] + replacement + text[position + 1 :]
    if not changed.endswith("\n"):
        return
    forged = changed + note[len(text) :]
    with pytest.raises(LedgerError):
        open_note(forged, [VERIFIER])


def _line(name: str, blob: bytes) -> str:
    return f"{EM_DASH} {name} {base64.b64encode(blob).decode()}\n"


def _signature(note: str) -> bytes:
    return base64.b64decode(note.rstrip("\n").rsplit(" ", 1)[1])


def test_a_changed_signature_is_refused() -> None:
    note = sign_note("checkpoint\n", SIGNER)
    signature = bytearray(_signature(note))
    signature[10] ^= 1
    forged = "checkpoint\n\n" + _line("court.example/log", bytes(signature))
    with pytest.raises(LedgerError) as caught:
        open_note(forged, [VERIFIER])
    assert caught.value.code == "bad_signature"
    short = "checkpoint\n\n" + _line("court.example/log", bytes(signature[:40]))
    with pytest.raises(LedgerError) as caught:
        open_note(short, [VERIFIER])
    assert caught.value.code == "bad_signature"


def test_a_note_signed_only_by_others_is_refused() -> None:
    note = sign_note("checkpoint\n", OTHER)
    with pytest.raises(LedgerError) as caught:
        open_note(note, [VERIFIER])
    assert caught.value.code == "unknown_key"
    with pytest.raises(LedgerError) as caught:
        open_note(note, [])
    assert caught.value.code == "unknown_key"


def test_unknown_signatures_are_ignored_beside_a_good_one() -> None:
    ours = sign_note("checkpoint\n", SIGNER)
    theirs = sign_note("checkpoint\n", OTHER)
    both = ours + theirs.split("\n\n", 1)[1]
    opened = open_note(both, [VERIFIER])
    assert opened.signed_by == ["court.example/log"]
    assert opened.ignored == ["other.example/log"]
    assert open_note(both, [VERIFIER, verifier_key(OTHER)]).signed_by == [
        "court.example/log",
        "other.example/log",
    ]


def test_same_name_or_same_id_but_not_both_is_an_unknown_key() -> None:
    signature = _signature(sign_note("checkpoint\n", SIGNER))
    other_id = bytes([signature[0] ^ 0xFF]) + signature[1:]
    for line in (
        _line("court.example/log", other_id),  # same name, another key ID
        _line("court.example/other", signature),  # same key ID, another name
    ):
        with pytest.raises(LedgerError) as caught:
            open_note("checkpoint\n\n" + line, [VERIFIER])
        assert caught.value.code == "unknown_key"


def test_one_bad_signature_by_a_known_key_refuses_the_note() -> None:
    good = sign_note("checkpoint\n", SIGNER)
    signature = bytearray(_signature(good))
    signature[-1] ^= 0x80
    note = good + _line("court.example/log", bytes(signature))
    with pytest.raises(LedgerError) as caught:
        open_note(note, [VERIFIER])
    assert caught.value.code == "bad_signature"


def test_text_that_looks_like_signatures_stays_text() -> None:
    text = f"origin\n\n{EM_DASH} court.example/log AAAA\n"
    note = sign_note(text, SIGNER)
    assert open_note(note, [VERIFIER]).text == text


GOOD = sign_note("checkpoint\n", SIGNER)
LINE = GOOD.split("\n\n", 1)[1]


@pytest.mark.parametrize(
    "note",
    [
        "",
        "checkpoint\n",
        "checkpoint\n" + LINE,  # no blank line
        "checkpoint\n\n",  # no signatures
        GOOD.rstrip("\n"),  # no final newline
        GOOD + "\n",  # a blank line at the end
        "checkpoint\n\n" + LINE.replace(EM_DASH, "-"),
        "checkpoint\n\n" + LINE.replace(EM_DASH, "--"),
        "checkpoint\n\n" + LINE.replace(EM_DASH + " ", EM_DASH),
        "checkpoint\n\n" + LINE.replace(" ", "  ", 1),
        "checkpoint\n\n" + LINE.replace("court.example/log", "court+example"),
        "checkpoint\n\n" + LINE.replace("court.example/log ", "court.example/log"),
        "checkpoint\n\n" + LINE.rstrip("\n") + "!\n",  # not base64
        "checkpoint\n\n" + LINE.rstrip("=\n") + "\n",  # padding missing
        "checkpoint\n\n" + f"{EM_DASH} court.example/log AAAAAA==\n",  # 4 bytes: no signature
        "checkpoint\n\n" + f"{EM_DASH} court.example/log \n",
        "check\tpoint\n\n" + LINE,  # control character
        "check\rpoint\n\n" + LINE,
        "checkpoint\x00\n\n" + LINE,
        "checkpoint\n\n" + LINE * (MAX_SIGNATURES + 1),
    ],
)
def test_malformed_notes_are_refused(note: str) -> None:
    with pytest.raises(LedgerError) as caught:
        open_note(note, [VERIFIER])
    assert caught.value.code == "malformed"


def test_a_note_that_is_not_utf8_is_refused() -> None:
    with pytest.raises(LedgerError) as caught:
        open_note(GOOD.encode("utf-8") + b"\xff", [VERIFIER])
    assert caught.value.code == "malformed"


def test_non_canonical_base64_is_refused() -> None:
    # The last base64 character of a 68-byte signature carries 4 unused bits.
    blob = LINE.rstrip("\n").rsplit(" ", 1)[1]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    last = blob.rstrip("=")[-1]
    loose = blob.rstrip("=")[:-1] + alphabet[alphabet.index(last) | 1] + "=" * blob.count("=")
    assert base64.b64decode(loose) == base64.b64decode(blob)
    assert loose != blob
    with pytest.raises(LedgerError) as caught:
        open_note("checkpoint\n\n" + f"{EM_DASH} court.example/log {loose}\n", [VERIFIER])
    assert caught.value.code == "malformed"


@pytest.mark.parametrize(
    "name",
    ["", "a b", "a+b", "a\tb", "a\nb", "a\u00a0b", "a\u3000b", "a\u2028b", "\x7f", "a\ud800"],
)
def test_invalid_key_names(name: str) -> None:
    assert not is_valid_name(name)
    with pytest.raises(LedgerError) as caught:
        new_signer(name)
    assert caught.value.code == "malformed"


def test_valid_key_names() -> None:
    for name in ["court.example/log", "PeterNeumann", "法院.example/日志", "a"]:
        assert is_valid_name(name)
        signer = new_signer(name)
        assert open_note(sign_note("x\n", signer), [verifier_key(signer)]).signed_by == [name]


@pytest.mark.parametrize(
    "key",
    [
        "",
        "court.example/log",
        GO_VERIFIER.replace("c74f20a3", "c74f20a4"),  # key ID of another key
        GO_VERIFIER.replace("c74f20a3", "C74F20A3"),
        GO_VERIFIER.replace("c74f20a3", "c74f20a"),
        GO_VERIFIER.replace("+ARpc", "+AhpC"),  # not type 0x01
        GO_VERIFIER[:-4],
        GO_VERIFIER + "AAAA",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        GO_SIGNER,
    ],
)
def test_malformed_verifier_keys_are_refused(key: str) -> None:
    with pytest.raises(LedgerError) as caught:
        parse_verifier_key(key)
    assert caught.value.code == "malformed"
    with pytest.raises(LedgerError):
        open_note(GO_NOTE, [key])


@pytest.mark.parametrize(
    "key",
    [
        "",
        GO_VERIFIER,
        GO_SIGNER.replace("c74f20a3", "c74f20a4"),
        GO_SIGNER.replace("PRIVATE+KEY", "PRIVATE+KEYS"),
        GO_SIGNER.replace("PeterNeumann", "Peter+Neumann"),
        GO_SIGNER[:-4],
    ],
)
def test_malformed_signer_keys_are_refused(key: str) -> None:
    with pytest.raises(LedgerError) as caught:
        sign_note("x\n", key)
    assert caught.value.code == "malformed"


@pytest.mark.parametrize("text", ["", "no newline", "tab\there\n", "nul\x00\n"])
def test_text_that_cannot_be_signed(text: str) -> None:
    with pytest.raises(LedgerError) as caught:
        sign_note(text, SIGNER)
    assert caught.value.code == "malformed"


def test_verifier_keys_are_a_list() -> None:
    with pytest.raises(LedgerError):
        open_note(GOOD, VERIFIER)
    assert open_note(GOOD, [VERIFIER, VERIFIER]).signed_by == ["court.example/log"]
