"""Identity-document numbers: published examples, every finding in both languages, and the
error-detecting power of the check characters."""

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netcourt.identity.numbers import (
    FINDING_CODES,
    KINDS,
    PROVINCE_CODES,
    mask,
    organisation_check_character,
    prc_id_check_character,
    public_details,
    uscc_check_character,
    validate,
)

TODAY = date(2026, 11, 2)
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
DIGITS = "0123456789"


def prc_id(body: str) -> str:
    return body + prc_id_check_character(body)


def codes(kind: str, number: str) -> list[str]:
    return [f.code for f in validate(kind, number, today=TODAY).findings]


# Published examples.


def test_the_gb_11643_example_is_valid_and_says_who() -> None:
    result = validate("prc-id", "11010519491231002X", today=TODAY)
    assert result.valid
    assert result.findings == ()
    assert result.details == {
        "region": "110105",
        "birth_date": "1949-12-31",
        "birth_year": "1949",
        "sex": "female",
    }


def test_the_gb_11643_example_from_1880_has_a_correct_check_but_is_refused_for_its_age() -> None:
    result = validate("prc-id", "440524188001010014", today=TODAY)
    assert [(f.code, f.message.en) for f in result.findings] == [
        ("birth_date", "The date of birth (characters 7 to 14) is before 1 January 1900.")
    ]


def test_an_odd_17th_digit_is_male() -> None:
    number = prc_id("11010519800101001")
    assert validate("prc-id", number, today=TODAY).details["sex"] == "male"


@pytest.mark.parametrize(
    "number",
    [
        "91350100M000100Y43",  # the commonly cited example
        "91110000600037341L",  # python-stdnum's documented example
        "91110108551385082Q",  # uscc-utils' documented example
        "91440300MA5DLQQW0F",  # codes printed on public business listings
        "92361130MA386N427K",
        "12440113455410604B",
        "51210100508206173F",
    ],
)
def test_published_unified_social_credit_codes_are_valid(number: str) -> None:
    result = validate("uscc", number)
    assert result.valid, result.findings
    assert result.details["region"] == number[2:8]


def test_a_pilot_code_that_breaks_the_standard_is_refused() -> None:
    """Issued in Fujian before the standard settled (see docs/identity.md)."""
    assert codes("uscc", "91350100M0001TGQXM") == ["check_character"]


# The check-character functions agree with ISO 7064 computed another way.


@given(st.text(DIGITS, min_size=17, max_size=17))
def test_mod_11_2_matches_the_iso_7064_recursive_method(body: str) -> None:
    p = 0
    for digit in body:
        p = (p + int(digit)) * 2 % 11
    check = (12 - p) % 11
    assert prc_id_check_character(body) == ("X" if check == 10 else str(check))


@given(st.text(USCC_ALPHABET, min_size=17, max_size=17))
def test_mod_31_matches_horners_method_over_powers_of_3(body: str) -> None:
    p = 0
    for character in reversed(body):
        p = (p * 3 + USCC_ALPHABET.index(character)) % 31
    assert uscc_check_character(body) == USCC_ALPHABET[-p % 31]


def test_the_organisation_code_check_uses_gb_11714_letter_values() -> None:
    assert organisation_check_character("M000100Y") == "4"  # M = 22, Y = 34
    assert organisation_check_character("MA1H971R") == "X"
    assert organisation_check_character("00000000") == "0"


# Every finding, exactly, in both languages.


FINDINGS = [
    ("prc-id", "", "empty", "No number was given.", "未填写号码。"),
    ("uscc", "  \t", "empty", "No number was given.", "未填写号码。"),
    (
        "prc-id",
        "110105 19491231002X",
        "spaces",
        "The number must not contain spaces.",
        "号码中不能有空格。",
    ),
    (
        "prc-id",
        "11010519491231002",
        "length",
        "A resident identity card number has 18 characters, not 17.",
        "居民身份证号码应为 18 位，而不是 17 位。",
    ),
    (
        "prc-id",
        "110105491231002",
        "length",
        "A resident identity card number has 18 characters, not 15. 15-digit"
        " first-generation card numbers are no longer in use.",
        "居民身份证号码应为 18 位，而不是 15 位。15 位的第一代身份证号码已停止使用。",
    ),
    (
        "prc-id",
        "1101A519491231002X",
        "characters",
        "Character 5 is “A”; characters 1 to 17 must be digits.",
        "第 5 位是“A”；第 1 至 17 位只能是数字。",
    ),
    (
        "prc-id",
        "11010519491231002Y",
        "characters",
        "Character 18 is “Y”; the last character must be a digit or X.",
        "第 18 位是“Y”；最后一位只能是数字或 X。",
    ),
    (
        "prc-id",
        prc_id("91010519491231002"),
        "region",
        "The first two digits, 91, are not a province-level region code.",
        "前两位“91”不是省级行政区划代码。",
    ),
    (
        "prc-id",
        prc_id("11010519490231002"),
        "birth_date",
        "The date of birth (characters 7 to 14) is not a real date.",
        "出生日期（第 7 至 14 位）不是真实存在的日期。",
    ),
    (
        "prc-id",
        prc_id("11010520261103002"),
        "birth_date",
        "The date of birth (characters 7 to 14) is in the future.",
        "出生日期（第 7 至 14 位）晚于今天。",
    ),
    (
        "prc-id",
        prc_id("11010518991231002"),
        "birth_date",
        "The date of birth (characters 7 to 14) is before 1 January 1900.",
        "出生日期（第 7 至 14 位）早于 1900 年 1 月 1 日。",
    ),
    (
        "prc-id",
        "110105194912310021",
        "check_character",
        "The number does not add up to its last character (the check character): a character"
        " was mistyped or two were swapped. Check it against the document.",
        "号码与其最后一位（校验码）不符：可能有某一位输错或两位颠倒。请对照证件核对。",
    ),
    (
        "uscc",
        "91350100M000100Y4",
        "length",
        "A unified social credit code has 18 characters, not 17.",
        "统一社会信用代码应为 18 位，而不是 17 位。",
    ),
    (
        "uscc",
        "91350100M0001O0Y43",
        "characters",
        "Character 14 is “O”; only digits and the capital letters A to Y other than I, O,"
        " S and V are used.",
        "第 14 位是“O”；只使用数字和除 I、O、S、V、Z 以外的大写英文字母。",
    ),
    (
        "uscc",
        "9135A100M000100Y4" + uscc_check_character("9135A100M000100Y4"),
        "region",
        "Characters 3 to 8 (the registration authority's region code) must be digits;"
        " character 5 is “A”.",
        "第 3 至 8 位（登记管理机关行政区划码）只能是数字；第 5 位是“A”。",
    ),
    (
        "uscc",
        "91350100M000100Y5" + uscc_check_character("91350100M000100Y5"),
        "organisation_check",
        "Characters 9 to 16 (the organisation code) do not add up to character 17 (their"
        " check character): one was mistyped or two were swapped.",
        "第 9 至 16 位（组织机构代码）与第 17 位（其校验码）不符：可能有某一位输错或两位颠倒。",
    ),
    (
        "uscc",
        "91350100M000100Y4X",
        "check_character",
        "The number does not add up to its last character (the check character): a character"
        " was mistyped or two were swapped. Check it against the document.",
        "号码与其最后一位（校验码）不符：可能有某一位输错或两位颠倒。请对照证件核对。",
    ),
    (
        "passport-cn",
        "E1234567",
        "length",
        "A Chinese ordinary passport number has 9 characters, not 8.",
        "中国普通护照号码应为 9 位，而不是 8 位。",
    ),
    (
        "passport-cn",
        "E1234567-",
        "characters",
        "Character 9 is “-”; only capital letters A to Z and digits are allowed.",
        "第 9 位是“-”；只能是大写英文字母或数字。",
    ),
    (
        "passport-cn",
        "EO1234567",
        "format",
        "A Chinese ordinary passport number is E followed by 8 digits, E and a letter other"
        " than I or O followed by 7 digits, or (older passports) G followed by 8 digits.",
        "中国普通护照号码应为 E 加 8 位数字、E 加一个字母（I 和 O 除外）再加 7 位数字，"
        "或（旧版护照）G 加 8 位数字。",
    ),
    (
        "passport",
        "AB12",
        "length",
        "A passport number has 5 to 20 characters, not 4.",
        "护照号码应为 5 至 20 位，而不是 4 位。",
    ),
    (
        "passport",
        "AB12.45",
        "characters",
        "Character 5 is “.”; only capital letters A to Z and digits are allowed.",
        "第 5 位是“.”；只能是大写英文字母或数字。",
    ),
    (
        "hk-macao-permit",
        "H123456789",
        "length",
        "A Mainland Travel Permit for Hong Kong and Macao Residents number has 9 or 11"
        " characters (H or M, then 8 or 10 digits), not 10.",
        "港澳居民来往内地通行证号码应为 9 位或 11 位（H 或 M 加 8 位或 10 位数字），而不是 10 位。",
    ),
    (
        "hk-macao-permit",
        "K12345678",
        "format",
        "The first character must be H (Hong Kong residents) or M (Macao residents).",
        "第 1 位应为 H（香港居民）或 M（澳门居民）。",
    ),
    (
        "hk-macao-permit",
        "M1234A678",
        "format",
        "Only digits follow the first letter; character 6 is “A”.",
        "第 1 位之后只能是数字；第 6 位是“A”。",
    ),
    (
        "taiwan-permit",
        "1234567",
        "length",
        "A Mainland Travel Permit for Taiwan Residents number has 8 digits, not 7.",
        "台湾居民来往大陆通行证号码应为 8 位，而不是 7 位。",
    ),
    (
        "taiwan-permit",
        "1234567A",
        "characters",
        "Character 8 is “A”; only digits are allowed.",
        "第 8 位是“A”；只能是数字。",
    ),
    (
        "taiwan-permit",
        "0561682001(D)",
        "format",
        "This number is in the format used until 25 September 2008 (the lifelong number,"
        " the issue count and perhaps the issuing office); since then the permit number is"
        " the 8-digit lifelong number alone: give its first 8 digits.",
        "这是 2008 年 9 月 25 日以前的号码格式（终身号、签发次数，可能还有签发机关代码）；"
        "此后通行证号码只有 8 位终身号，请填写前 8 位。",
    ),
]


@pytest.mark.parametrize("kind, number, code, en, zh", FINDINGS)
def test_each_finding_says_exactly_why(kind: str, number: str, code: str, en: str, zh: str) -> None:
    result = validate(kind, number, today=TODAY)
    assert not result.valid
    assert result.details == {}
    assert [(f.code, f.message.en, f.message.zh) for f in result.findings] == [(code, en, zh)]
    assert result.findings[0].message.get("zh-hans") == zh


def test_several_faults_are_all_reported() -> None:
    assert codes("prc-id", "910105194902290021") == ["region", "birth_date", "check_character"]
    assert codes("passport", "A-1") == ["length", "characters"]


def test_the_table_above_covers_every_finding_code() -> None:
    assert [row[2] for row in FINDINGS if row[2] not in FINDING_CODES] == []
    assert {row[2] for row in FINDINGS} == set(FINDING_CODES)


# Normalisation.


def test_surrounding_whitespace_and_a_lowercase_x_are_normalised() -> None:
    result = validate("prc-id", " \u300011010519491231002x\t\n", today=TODAY)
    assert result.valid
    assert result.number == "11010519491231002X"


def test_lowercase_letters_are_accepted_everywhere() -> None:
    assert validate("uscc", "91350100m000100y43").number == "91350100M000100Y43"
    assert validate("passport-cn", "ea1234567").valid
    assert validate("hk-macao-permit", "m12345678").details == {"issued_to": "macao"}


@pytest.mark.parametrize("number", ["110105\u300019491231002X", "1101051949123\xa01002X"])
def test_whitespace_inside_is_refused_not_removed(number: str) -> None:
    assert codes("prc-id", number) == ["spaces"]


def test_fullwidth_digits_and_non_ascii_letters_are_refused() -> None:
    assert codes("prc-id", "１１０１０５１９４９１２３１００２Ｘ") == ["characters"]
    assert codes("passport", "ABCDEß") == ["characters"]


# Dates of birth.


def test_born_today_is_valid_and_tomorrow_is_not() -> None:
    born_today = prc_id("110105" + TODAY.strftime("%Y%m%d") + "001")
    assert validate("prc-id", born_today, today=TODAY).valid
    assert codes("prc-id", born_today.replace("1102", "1103")[:17] + "0")[0] == "birth_date"
    tomorrow = TODAY + timedelta(days=1)
    assert codes("prc-id", prc_id("110105" + tomorrow.strftime("%Y%m%d") + "001")) == ["birth_date"]


def test_the_future_is_relative_to_the_day_given() -> None:
    number = prc_id("11010520300101001")
    assert codes("prc-id", number) == ["birth_date"]
    assert validate("prc-id", number, today=date(2030, 1, 1)).valid


def test_without_a_day_given_today_in_beijing_bounds_the_date_of_birth() -> None:
    assert validate("prc-id", "11010519491231002X").valid
    assert [f.code for f in validate("prc-id", prc_id("11010529991231001")).findings] == [
        "birth_date"
    ]


@pytest.mark.parametrize(
    "birth, valid",
    [
        ("20000229", True),
        ("20240229", True),
        ("19000101", True),
        ("19000229", False),
        ("20230229", False),
        ("20250431", False),
        ("20251301", False),
        ("20250100", False),
    ],
)
def test_calendar_dates(birth: str, valid: bool) -> None:
    result = validate("prc-id", prc_id("330106" + birth + "123"), today=TODAY)
    assert result.valid is valid
    assert [f.code for f in result.findings] == ([] if valid else ["birth_date"])


@pytest.mark.parametrize("code", sorted(PROVINCE_CODES))
def test_every_province_level_code_is_accepted(code: str) -> None:
    assert validate("prc-id", prc_id(code + "010519900307123"), today=TODAY).valid


@pytest.mark.parametrize("code", ["00", "10", "16", "24", "38", "47", "55", "66", "72", "84", "91"])
def test_other_first_two_digits_are_refused(code: str) -> None:
    assert codes("prc-id", prc_id(code + "010519900307123")) == ["region"]


# The other kinds.


@pytest.mark.parametrize(
    "number, series",
    [("E12345678", "E"), ("EA1234567", "E"), ("EZ7654321", "E"), ("G12345678", "G")],
)
def test_chinese_passport_formats(number: str, series: str) -> None:
    assert validate("passport-cn", number).details == {"series": series}


@pytest.mark.parametrize(
    "number", ["EI1234567", "EO1234567", "D12345678", "S12345678", "GA1234567", "E1234567A"]
)
def test_other_chinese_passport_numbers_are_refused(number: str) -> None:
    assert codes("passport-cn", number) == ["format"]


@pytest.mark.parametrize("number", ["12345", "X1234567", "L898902C3", "A" * 20])
def test_foreign_passports_are_taken_as_they_come(number: str) -> None:
    assert validate("passport", number).valid


def test_a_foreign_passport_number_is_at_most_20_characters() -> None:
    assert codes("passport", "A" * 21) == ["length"]


@pytest.mark.parametrize(
    "number, issued_to",
    [
        ("H12345678", "hong_kong"),
        ("M12345678", "macao"),
        ("H1234567801", "hong_kong"),
        ("M8765432100", "macao"),
    ],
)
def test_home_return_permits(number: str, issued_to: str) -> None:
    assert validate("hk-macao-permit", number).details == {"issued_to": issued_to}


def test_taiwan_permits_have_eight_digits() -> None:
    assert validate("taiwan-permit", "05616820").valid
    assert codes("taiwan-permit", "0561682001") == ["format"]
    assert codes("taiwan-permit", "A123456789") == ["length", "characters"]


# Kinds and privacy.


def test_an_unknown_kind_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match="known kinds: prc-id, uscc, passport-cn, passport"):
        validate("ssn", "123")
    with pytest.raises(ValueError, match="unknown kind 'ssn'"):
        mask("ssn", "123")


def test_public_details_leave_out_the_date_of_birth() -> None:
    result = validate("prc-id", "11010519491231002X", today=TODAY)
    assert public_details(result) == {"sex": "female"}


@pytest.mark.parametrize(
    "kind, number, masked",
    [
        ("prc-id", "330106199003071234", "3301**********1234"),
        ("prc-id", " 11010519491231002x ", "1101**********002X"),
        ("uscc", "91350100M000100Y43", "9135**********0Y43"),
        ("passport-cn", "E12345678", "E1*****78"),
        ("hk-macao-permit", "H1234567801", "H1******801"),
        ("hk-macao-permit", "H12345678", "H1*****78"),
        ("taiwan-permit", "05616820", "05****20"),
        ("passport", "12345", "1***5"),
        ("passport", "A", "*"),
        ("passport", "", ""),
    ],
)
def test_mask(kind: str, number: str, masked: str) -> None:
    assert mask(kind, number) == masked


@given(st.text(DIGITS + "ABCX", max_size=40))
def test_a_mask_never_shows_more_than_half_nor_more_than_four_at_each_end(number: str) -> None:
    masked = mask("passport", number)
    assert len(masked) == len(number)
    shown = [i for i, c in enumerate(masked) if c != "*"]
    assert len(shown) <= len(number) // 2
    assert all(masked[i] == number[i] for i in shown)
    assert sum(1 for i in shown if i < 4) <= 4 and len(shown) <= 8


# What the check characters catch. Both schemes are ISO 7064 pure systems with a prime modulus
# (11 and 31) and weights that are all non-zero and pairwise distinct for neighbours: a single
# substitution changes the weighted sum by w * (b - a) with 0 < |b - a| < modulus, and an
# adjacent transposition by (a - b) * (w_i - w_{i+1}), neither of which the modulus divides.
# So every single substitution and every adjacent transposition is caught, the check character
# included (its weight is 1; the character before it weighs 2 under MOD 11-2 and 28 under
# MOD 31). No class is undetectable, so the property is tested as stated.


@st.composite
def valid_prc_ids(draw: st.DrawFn) -> str:
    province = draw(st.sampled_from(sorted(PROVINCE_CODES)))
    district = draw(st.text(DIGITS, min_size=4, max_size=4))
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=TODAY))
    sequence = draw(st.text(DIGITS, min_size=3, max_size=3))
    return prc_id(province + district + born.strftime("%Y%m%d") + sequence)


@st.composite
def valid_usccs(draw: st.DrawFn) -> str:
    head = draw(st.text(USCC_ALPHABET, min_size=2, max_size=2))
    region = draw(st.text(DIGITS, min_size=6, max_size=6))
    body = draw(st.text(USCC_ALPHABET, min_size=8, max_size=8))
    organisation = organisation_check_character(body)
    first17 = head + region + body + organisation
    return first17 + uscc_check_character(first17)


def _mutations(number: str, alphabet: str) -> list[str]:
    substituted = [
        number[:i] + c + number[i + 1 :]
        for i in range(len(number))
        for c in alphabet
        if c != number[i]
    ]
    transposed = [
        number[:i] + number[i + 1] + number[i] + number[i + 2 :]
        for i in range(len(number) - 1)
        if number[i] != number[i + 1]
    ]
    return substituted + transposed


@settings(max_examples=40, deadline=None)
@given(valid_prc_ids())
def test_every_substitution_and_adjacent_transposition_of_an_id_number_is_caught(
    number: str,
) -> None:
    assert validate("prc-id", number, today=TODAY).valid
    for changed in _mutations(number, DIGITS + "X"):
        found = codes("prc-id", changed)
        assert found, changed
        if "characters" not in found:
            assert "check_character" in found, changed


@settings(max_examples=25, deadline=None)
@given(valid_usccs())
def test_every_substitution_and_adjacent_transposition_of_a_uscc_is_caught(number: str) -> None:
    assert validate("uscc", number).valid
    for changed in _mutations(number, USCC_ALPHABET):
        assert "check_character" in codes("uscc", changed), changed


def test_kinds() -> None:
    assert KINDS == (
        "prc-id",
        "uscc",
        "passport-cn",
        "passport",
        "hk-macao-permit",
        "taiwan-permit",
    )
