"""Identity-document numbers: the rules each kind follows, and exactly why a number breaks them.

Pure: nothing here imports Django, so the `netcourt identity validate` command and any form or
API can use it alike. Every finding says why in English and Simplified Chinese. The rules and
their sources are in docs/identity.md.

A number is normalised before it is checked: surrounding whitespace is stripped and the letters
a-z are written as capitals. Whitespace inside a number is refused, never silently removed.

Nothing here writes a number anywhere; callers that show or log one use `mask` and
`public_details`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from netcourt.procedure.schema import Text

KINDS = ("prc-id", "uscc", "passport-cn", "passport", "hk-macao-permit", "taiwan-permit")

FINDING_CODES = (
    "empty",
    "spaces",
    "length",
    "characters",
    "format",
    "region",
    "birth_date",
    "organisation_check",
    "check_character",
)

PROVINCE_CODES = frozenset(
    {"11", "12", "13", "14", "15", "21", "22", "23"}
    | {str(code) for code in range(31, 38)}
    | {str(code) for code in range(41, 47)}
    | {str(code) for code in range(50, 55)}
    | {str(code) for code in range(61, 66)}
    | {"71", "81", "82", "83"}
)
"""First two digits of a resident identity card number: GB/T 2260 province-level codes, plus
81, 82 and 83, which the residence permits for Hong Kong, Macao and Taiwan residents use."""

EARLIEST_BIRTH_DATE = date(1900, 1, 1)

_DIGITS = "0123456789"
_ALPHANUMERIC = _DIGITS + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_PRC_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORGANISATION_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_CHINA = ZoneInfo("Asia/Shanghai")
_PASSPORT_CN = re.compile("E[0-9]{8}|E[A-HJ-NP-Z][0-9]{7}|G[0-9]{8}")
# Shown with a masked PRC ID number, its region and birth year would leave only the day of
# birth hidden; so a person's number shows none of them. An organisation's region is public.
_PRIVATE_DETAILS = {"prc-id": frozenset({"birth_date", "birth_year", "region"})}


@dataclass(frozen=True)
class Finding:
    """One reason a number is invalid: `code` is one of FINDING_CODES."""

    code: str
    message: Text


@dataclass(frozen=True)
class Result:
    """The verdict on a number. `number` is the normalised number (never log it: see `mask`);
    `details` is filled for a valid number only."""

    kind: str
    number: str
    findings: tuple[Finding, ...]
    details: dict[str, str]

    @property
    def valid(self) -> bool:
        return not self.findings


def _t(en: str, zh: str) -> Text:
    return Text(en=en, zh=zh)


def _normalise(number: str) -> str:
    stripped = number.strip()
    return "".join(c.upper() if "a" <= c <= "z" else c for c in stripped)


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; known kinds: {', '.join(KINDS)}")


def _value(character: str) -> int:
    """A character's value in an organisation code (GB 11714): 0-9, then A=10 ... Z=35."""
    return _ALPHANUMERIC.index(character)


def prc_id_check_character(body: str) -> str:
    """The ISO 7064 MOD 11-2 check character of a resident identity card number's first 17
    digits (GB 11643-1999)."""
    total = sum(int(c) * w for c, w in zip(body, _PRC_ID_WEIGHTS, strict=True))
    check = (12 - total % 11) % 11
    return "X" if check == 10 else str(check)


def organisation_check_character(body: str) -> str:
    """The GB 11714-1997 check character of an organisation code's first 8 characters."""
    total = sum(_value(c) * w for c, w in zip(body, _ORGANISATION_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def uscc_check_character(body: str) -> str:
    """The check character of a unified social credit code's first 17 characters
    (GB 32100-2015, MOD 31 over its 31-character alphabet)."""
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(body, _USCC_WEIGHTS, strict=True))
    return _USCC_ALPHABET[(31 - total % 31) % 31]


def _first_outside(number: str, allowed: Callable[[int], str]) -> int | None:
    """The 0-based position of the first character not allowed at its position, if any."""
    return next((i for i, c in enumerate(number) if c not in allowed(i)), None)


def _character_finding(number: str, position: int, rule: Text) -> Finding:
    character = number[position]
    return Finding(
        "characters",
        _t(
            f"Character {position + 1} is “{character}”; {rule.en}",
            f"第 {position + 1} 位是“{character}”；{rule.zh}",
        ),
    )


# A check character that does not match means a character was mistyped or two swapped: the
# findings say so and never give the character that would match, which would invite changing
# the last one to it and so pass a wrong number.
def _check_finding() -> Finding:
    return Finding(
        "check_character",
        _t(
            "The number does not add up to its last character (the check character): a"
            " character was mistyped or two were swapped. Check it against the document.",
            "号码与其最后一位（校验码）不符：可能有某一位输错或两位颠倒。请对照证件核对。",
        ),
    )


def _alphanumeric(number: str) -> Finding | None:
    bad = _first_outside(number, lambda i: _ALPHANUMERIC)
    if bad is None:
        return None
    rule = _t("only capital letters A to Z and digits are allowed.", "只能是大写英文字母或数字。")
    return _character_finding(number, bad, rule)


def _length(en: str, zh: str, number: str) -> Finding:
    return Finding(
        "length",
        _t(f"{en}, not {len(number)}.", f"{zh}，而不是 {len(number)} 位。"),
    )


def _birth_date(number: str, today: date) -> tuple[date | None, Finding | None]:
    where = _t("The date of birth (characters 7 to 14)", "出生日期（第 7 至 14 位）")
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        problem = _t("is not a real date.", "不是真实存在的日期。")
    else:
        if born > today:
            problem = _t("is in the future.", "晚于今天。")
        elif born < EARLIEST_BIRTH_DATE:
            problem = _t("is before 1 January 1900.", "早于 1900 年 1 月 1 日。")
        else:
            return born, None
    return None, Finding("birth_date", _t(f"{where.en} {problem.en}", f"{where.zh}{problem.zh}"))


def _prc_id(number: str, today: date) -> tuple[list[Finding], dict[str, str]]:
    findings: list[Finding] = []
    if len(number) != 18:
        en = f"A resident identity card number has 18 characters, not {len(number)}."
        zh = f"居民身份证号码应为 18 位，而不是 {len(number)} 位。"
        if len(number) == 15:
            en += " 15-digit first-generation card numbers are no longer in use."
            zh += "15 位的第一代身份证号码已停止使用。"
        findings.append(Finding("length", _t(en, zh)))
    bad = _first_outside(number, lambda i: _DIGITS if i < 17 else _DIGITS + "X")
    if bad is not None:
        rule = (
            _t("characters 1 to 17 must be digits.", "第 1 至 17 位只能是数字。")
            if bad < 17
            else _t("the last character must be a digit or X.", "最后一位只能是数字或 X。")
        )
        findings.append(_character_finding(number, bad, rule))
    if findings:
        return findings, {}
    if number[:2] not in PROVINCE_CODES:
        findings.append(
            Finding(
                "region",
                _t(
                    f"The first two digits, {number[:2]}, are not a province-level region code.",
                    f"前两位“{number[:2]}”不是省级行政区划代码。",
                ),
            )
        )
    born, date_finding = _birth_date(number, today)
    if date_finding is not None:
        findings.append(date_finding)
    expected = prc_id_check_character(number[:17])
    if number[17] != expected:
        findings.append(_check_finding())
    if findings or born is None:
        return findings, {}
    return findings, {
        "region": number[:6],
        "birth_date": born.isoformat(),
        "birth_year": str(born.year),
        "sex": "male" if int(number[16]) % 2 else "female",
    }


def _uscc(number: str) -> tuple[list[Finding], dict[str, str]]:
    findings: list[Finding] = []
    if len(number) != 18:
        findings.append(
            _length(
                "A unified social credit code has 18 characters",
                "统一社会信用代码应为 18 位",
                number,
            )
        )
    bad = _first_outside(number, lambda i: _USCC_ALPHABET)
    if bad is not None:
        rule = _t(
            "only digits and the capital letters A to Y other than I, O, S and V are used.",
            "只使用数字和除 I、O、S、V、Z 以外的大写英文字母。",
        )
        findings.append(_character_finding(number, bad, rule))
    if findings:
        return findings, {}
    region_bad = _first_outside(number[2:8], lambda i: _DIGITS)
    if region_bad is not None:
        position = region_bad + 3
        findings.append(
            Finding(
                "region",
                _t(
                    "Characters 3 to 8 (the registration authority's region code) must be"
                    f" digits; character {position} is “{number[position - 1]}”.",
                    f"第 3 至 8 位（登记管理机关行政区划码）只能是数字；第 {position} 位是"
                    f"“{number[position - 1]}”。",
                ),
            )
        )
    organisation = organisation_check_character(number[8:16])
    if number[16] != organisation:
        findings.append(
            Finding(
                "organisation_check",
                _t(
                    "Characters 9 to 16 (the organisation code) do not add up to character 17"
                    " (their check character): one was mistyped or two were swapped.",
                    "第 9 至 16 位（组织机构代码）与第 17 位（其校验码）不符：可能有某一位输错或两位颠倒。",
                ),
            )
        )
    expected = uscc_check_character(number[:17])
    if number[17] != expected:
        findings.append(_check_finding())
    if findings:
        return findings, {}
    return findings, {
        "registration_authority": number[0],
        "organisation_type": number[1],
        "region": number[2:8],
    }


def _passport_cn(number: str) -> tuple[list[Finding], dict[str, str]]:
    findings: list[Finding] = []
    if len(number) != 9:
        findings.append(
            _length(
                "A Chinese ordinary passport number has 9 characters",
                "中国普通护照号码应为 9 位",
                number,
            )
        )
    bad = _alphanumeric(number)
    if bad is not None:
        findings.append(bad)
    if findings:
        return findings, {}
    if _PASSPORT_CN.fullmatch(number):
        return findings, {"series": number[0]}
    return [
        Finding(
            "format",
            _t(
                "A Chinese ordinary passport number is E followed by 8 digits, E and a letter"
                " other than I or O followed by 7 digits, or (older passports) G followed by"
                " 8 digits.",
                "中国普通护照号码应为 E 加 8 位数字、E 加一个字母（I 和 O 除外）再加 7 位数字，"
                "或（旧版护照）G 加 8 位数字。",
            ),
        )
    ], {}


def _passport(number: str) -> tuple[list[Finding], dict[str, str]]:
    findings: list[Finding] = []
    if not 5 <= len(number) <= 20:
        findings.append(
            _length("A passport number has 5 to 20 characters", "护照号码应为 5 至 20 位", number)
        )
    bad = _alphanumeric(number)
    if bad is not None:
        findings.append(bad)
    return findings, {}


def _hk_macao_permit(number: str) -> tuple[list[Finding], dict[str, str]]:
    findings: list[Finding] = []
    if len(number) not in (9, 11):
        findings.append(
            _length(
                "A Mainland Travel Permit for Hong Kong and Macao Residents number has 9 or 11"
                " characters (H or M, then 8 or 10 digits)",
                "港澳居民来往内地通行证号码应为 9 位或 11 位（H 或 M 加 8 位或 10 位数字）",
                number,
            )
        )
    bad = _alphanumeric(number)
    if bad is not None:
        findings.append(bad)
    if findings:
        return findings, {}
    if number[0] not in "HM":
        findings.append(
            Finding(
                "format",
                _t(
                    "The first character must be H (Hong Kong residents) or M (Macao residents).",
                    "第 1 位应为 H（香港居民）或 M（澳门居民）。",
                ),
            )
        )
    digits_bad = _first_outside(number[1:], lambda i: _DIGITS)
    if digits_bad is not None:
        position = digits_bad + 2
        findings.append(
            Finding(
                "format",
                _t(
                    f"Only digits follow the first letter; character {position} is"
                    f" “{number[position - 1]}”.",
                    f"第 1 位之后只能是数字；第 {position} 位是“{number[position - 1]}”。",
                ),
            )
        )
    if findings:
        return findings, {}
    return findings, {"issued_to": "hong_kong" if number[0] == "H" else "macao"}


def _taiwan_permit(number: str) -> tuple[list[Finding], dict[str, str]]:
    old = len(number) in (10, 13) and number[:10].isascii() and number[:10].isdigit()
    if old and (len(number) == 10 or (number[10] == "(" and number[12] == ")")):
        return [
            Finding(
                "format",
                _t(
                    "This number is in the format used until 25 September 2008 (the lifelong"
                    " number, the issue count and perhaps the issuing office); since then the"
                    " permit number is the 8-digit lifelong number alone: give its first 8"
                    " digits.",
                    "这是 2008 年 9 月 25 日以前的号码格式（终身号、签发次数，可能还有签发机关代码）；"
                    "此后通行证号码只有 8 位终身号，请填写前 8 位。",
                ),
            )
        ], {}
    findings: list[Finding] = []
    if len(number) != 8:
        findings.append(
            _length(
                "A Mainland Travel Permit for Taiwan Residents number has 8 digits",
                "台湾居民来往大陆通行证号码应为 8 位",
                number,
            )
        )
    bad = _first_outside(number, lambda i: _DIGITS)
    if bad is not None:
        findings.append(
            _character_finding(number, bad, _t("only digits are allowed.", "只能是数字。"))
        )
    return findings, {}


def validate(kind: str, number: str, today: date | None = None) -> Result:
    """Check `number` as a number of `kind` (one of KINDS; anything else is a ValueError).

    `today` bounds a date of birth; when it is not given, today's date in Beijing is used.
    Callers that have the court's clock pass its date.
    """
    _check_kind(kind)
    normalised = _normalise(number)
    findings: list[Finding]
    details: dict[str, str] = {}
    if not normalised:
        findings = [Finding("empty", _t("No number was given.", "未填写号码。"))]
    elif any(c.isspace() for c in normalised):
        findings = [
            Finding("spaces", _t("The number must not contain spaces.", "号码中不能有空格。"))
        ]
    elif kind == "prc-id":
        findings, details = _prc_id(
            normalised, today if today is not None else datetime.now(_CHINA).date()
        )
    elif kind == "uscc":
        findings, details = _uscc(normalised)
    elif kind == "passport-cn":
        findings, details = _passport_cn(normalised)
    elif kind == "passport":
        findings, details = _passport(normalised)
    elif kind == "hk-macao-permit":
        findings, details = _hk_macao_permit(normalised)
    else:
        findings, details = _taiwan_permit(normalised)
    return Result(kind=kind, number=normalised, findings=tuple(findings), details=details)


def public_details(result: Result) -> dict[str, str]:
    """The details that may be shown or logged: nothing that narrows a person's number down."""
    private = _PRIVATE_DETAILS.get(result.kind, frozenset())
    return {k: v for k, v in result.details.items() if k not in private}


def mask(kind: str, number: str) -> str:
    """The number (normalised as for `kind`) with its middle replaced by '*': at most 4
    characters kept at each end and never more than half of the number shown, e.g.
    "3301**********1234" for an 18-character number and "E1*****78" for a 9-character one."""
    _check_kind(kind)
    normalised = _normalise(number)
    shown = min(8, len(normalised) // 2)
    head = shown // 2
    tail = shown - head
    return (
        normalised[:head] + "*" * (len(normalised) - shown) + normalised[len(normalised) - tail :]
    )
