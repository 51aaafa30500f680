"""C2SP checkpoints: the specification's example, round trips, strict parsing."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netcourt.ledger.checkpoint import Checkpoint, parse_checkpoint
from netcourt.ledger.errors import LedgerError
from netcourt.ledger.note import new_signer, open_note, sign_note, verifier_key
from netcourt.ledger.tree import EMPTY_ROOT, MemoryTree, leaf_hash

# The example of https://c2sp.org/tlog-checkpoint (its note text).
SPEC_TEXT = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
ROOT = bytes(range(32))


def test_the_specifications_example() -> None:
    checkpoint = parse_checkpoint(SPEC_TEXT)
    assert checkpoint.origin == "example.com/behind-the-sofa"
    assert checkpoint.size == 20852163
    assert checkpoint.root == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    assert checkpoint.extensions == ()
    assert checkpoint.text() == SPEC_TEXT


def test_the_empty_log_and_extension_lines() -> None:
    empty = Checkpoint("court.example/log", 0, EMPTY_ROOT)
    assert empty.text() == ("court.example/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n")
    assert parse_checkpoint(empty.text()) == empty
    extended = Checkpoint("o", 5, ROOT, ("first extension", "second"))
    assert extended.text().endswith("\nfirst extension\nsecond\n")
    assert parse_checkpoint(extended.text()) == extended
    assert Checkpoint("o", 1, ROOT, ["list"]).extensions == ("list",)  # type: ignore[arg-type]


line = st.text(st.characters(min_codepoint=0x20, blacklist_categories=("Cs",)), min_size=1)


@given(line, st.integers(0, 2**63 - 1), st.binary(min_size=32, max_size=32), st.lists(line))
def test_checkpoints_round_trip(origin: str, size: int, root: bytes, extensions: list[str]) -> None:
    checkpoint = Checkpoint(origin, size, root, tuple(extensions))
    assert parse_checkpoint(checkpoint.text()) == checkpoint


def test_a_signed_checkpoint_of_a_real_tree() -> None:
    tree = MemoryTree(leaf_hash(bytes([i])) for i in range(40))
    signer = new_signer("court.example/log")
    note = sign_note(Checkpoint("court.example/log", tree.size, tree.root()).text(), signer)
    checkpoint = parse_checkpoint(open_note(note, [verifier_key(signer)]).text)
    assert (checkpoint.size, checkpoint.root) == (40, tree.root())


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n",
        "origin\n1\n",
        SPEC_TEXT.rstrip("\n"),
        "\n1\n" + SPEC_TEXT.split("\n")[2] + "\n",  # empty origin
        SPEC_TEXT.replace("20852163", "020852163"),
        SPEC_TEXT.replace("20852163", "+20852163"),
        SPEC_TEXT.replace("20852163", " 20852163"),
        SPEC_TEXT.replace("20852163", "20_852_163"),
        SPEC_TEXT.replace("20852163", "-1"),
        SPEC_TEXT.replace("20852163", "\u0661"),  # ARABIC-INDIC DIGIT ONE
        SPEC_TEXT.replace("20852163", "9223372036854775808"),  # 2**63
        SPEC_TEXT.replace("20852163", "99999999999999999999"),
        SPEC_TEXT.replace("20852163", ""),
        SPEC_TEXT.replace("=\n", "\n"),  # padding missing
        SPEC_TEXT.replace("q2I=", "q2J="),  # non-canonical trailing bits
        SPEC_TEXT.replace("CsUY", "CsU*"),
        SPEC_TEXT.replace("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=", "AAAA"),
        SPEC_TEXT + "\n",  # an empty extension line
        SPEC_TEXT + "ext\n\n",
        SPEC_TEXT.replace("example.com", "example\r.com"),
        SPEC_TEXT.replace("\n", "\r\n"),
    ],
)
def test_malformed_checkpoints_are_refused(text: str) -> None:
    with pytest.raises(LedgerError) as caught:
        parse_checkpoint(text)
    assert caught.value.code == "malformed"


@pytest.mark.parametrize(
    ("origin", "size", "root", "extensions"),
    [
        ("", 1, ROOT, ()),
        ("a\nb", 1, ROOT, ()),
        ("o", -1, ROOT, ()),
        ("o", 2**63, ROOT, ()),
        ("o", True, ROOT, ()),
        ("o", 1, ROOT[:31], ()),
        ("o", 1, "x" * 32, ()),
        ("o", 1, ROOT, ("",)),
        ("o", 1, ROOT, ("a\nb",)),
    ],
)
def test_impossible_checkpoints_are_not_made(
    origin: str, size: int, root: bytes, extensions: tuple[str, ...]
) -> None:
    with pytest.raises(LedgerError):
        Checkpoint(origin, size, root, extensions)
