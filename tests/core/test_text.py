"""What text people type may hold (netcourt.core.text): nothing that shows as nothing, no
accents on nothing, and in a name or a title nothing that makes two names look alike."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netcourt.core.problems import Problem
from netcourt.core.text import (
    JOINERS,
    clean_text,
    has_forbidden_characters,
    refuse_for_one_line,
)

# What the security review typed into names and titles, all accepted before.
FOUND = {
    "braille pattern blank": "\u2800",
    "soft hyphen": "\u00ad",
    "combining grapheme joiner": "\u034f",
    "musical symbol begin beam": "\U0001d173",
    "Khmer vowel inherent aq": "\u17b4",
    "noncharacter U+FFFE": "\ufffe",
    "noncharacter U+10FFFF": "\U0010ffff",
    "noncharacter U+FDD0": "\ufdd0",
}

# Text anyone may write: letters, digits, punctuation, symbols, spaces (no controls, no
# format characters, no private use or unassigned code points; not the fillers and the blank,
# which are letters and a symbol that show nothing).
plain = st.text(
    st.characters(
        categories=["L", "N", "P", "S", "Zs"],
        exclude_characters="\u115f\u1160\u3164\uffa0\u2800",
    ),
    min_size=1,
).filter(lambda t: t.strip() and not all(c.isspace() for c in t))


@pytest.mark.parametrize("found", FOUND.values(), ids=FOUND.keys())
def test_what_the_review_found_is_refused_alone_and_inside_a_name(found: str) -> None:
    for text in (found, f"Zhang{found}Wei", f"张{found}伟"):
        assert has_forbidden_characters(text)
        with pytest.raises(Problem) as refused:
            clean_text(text, "name", 200, one_line=True)
        assert (refused.value.code, refused.value.field) == ("input_invalid", "name")


def test_a_tab_is_refused_in_a_name_but_not_in_a_longer_text() -> None:
    with pytest.raises(Problem):
        refuse_for_one_line("Zhang\tWei", "name")
    assert not has_forbidden_characters("Item\tPrice\n1\t4,299.00")


@given(text=plain, at=st.integers(min_value=0), code=st.sampled_from(sorted(FOUND.values())))
def test_an_invisible_character_anywhere_is_refused(text: str, at: int, code: str) -> None:
    at %= len(text) + 1
    assert not has_forbidden_characters(text, one_line=True)
    assert has_forbidden_characters(text[:at] + code + text[at:])


@given(
    marks=st.text(st.characters(categories=["Mn", "Mc", "Me"]), min_size=1),
    spaces=st.text(" \u3000", max_size=3),
)
def test_text_made_only_of_combining_marks_is_refused(marks: str, spaces: str) -> None:
    assert has_forbidden_characters(spaces + marks + spaces)


@given(text=plain)
def test_accented_and_plain_text_is_taken(text: str) -> None:
    accented = unicodedata.normalize("NFD", f"{text}é")  # e, then a combining acute accent
    assert not has_forbidden_characters(accented, one_line=True)


def test_joiners_and_variation_selectors_stay_in_a_longer_text_not_in_a_name() -> None:
    for text in ("I ❤\ufe0f it", "می\u200cخواهم", "👩\u200d💻", "葛\U000e0100"):
        assert not has_forbidden_characters(text)
        assert has_forbidden_characters(text, one_line=True)


def test_every_default_ignorable_code_point_is_refused() -> None:
    """Checked against an independent reading of Unicode's Default_Ignorable_Code_Point
    property (the ``regex`` module's tables)."""
    regex = pytest.importorskip("regex")
    ignorable = regex.compile(r"\p{Default_Ignorable_Code_Point}")
    found = [chr(c) for c in range(0x110000) if ignorable.match(chr(c))]
    assert len(found) > 4000
    for c in found:
        assert has_forbidden_characters(f"a{c}b", one_line=True), hex(ord(c))
        if c not in JOINERS:
            assert has_forbidden_characters(f"a{c}b"), hex(ord(c))
