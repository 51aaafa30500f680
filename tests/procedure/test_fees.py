"""The fee engine on the shipped pack: the worked values of the Measures, every kind of line
and every refusal, and properties of the bands for any amount."""

from __future__ import annotations

import shutil
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netcourt.procedure import (
    FEE_ERROR_CODES,
    PACKS_DIR,
    Aid,
    FeeError,
    Quote,
    load_pack,
    load_pack_dir,
    quote,
    quote_to_dict,
)

PACK = load_pack("cn_internet_court")
CENT = Decimal("0.01")
PROPERTY = next(c for c in PACK.fees.classes if c.id == "property")
assert PROPERTY.bands is not None
EDGES = [PROPERTY.bands.flat_up_to] + [b.up_to for b in PROPERTY.bands.bands if b.up_to]


def fee(amount: Decimal | str, **options: object) -> Decimal:
    return quote(PACK, kind="property", amount=amount, **options).total  # type: ignore[arg-type]


def refused(**arguments: object) -> FeeError:
    arguments.setdefault("kind", "property")
    with pytest.raises(FeeError) as caught:
        quote(PACK, **arguments)  # type: ignore[arg-type]
    assert caught.value.code in FEE_ERROR_CODES
    return caught.value


def codes(result: Quote) -> list[str]:
    return [line.code for line in result.lines]


def half(amount: Decimal) -> Decimal:
    return (amount / 2).quantize(CENT, ROUND_HALF_UP)


WORKED = {
    "5000": "50",
    "50000": "1050",
    "100000": "2300",
    "200000": "4300",
    "500000": "8800",
    "1000000": "13800",
    "2000000": "22800",
    "5000000": "46800",
    "10000000": "81800",
    "20000000": "141800",
}


@pytest.mark.parametrize("amount, expected", WORKED.items())
def test_the_worked_values_of_the_measures(amount: str, expected: str) -> None:
    assert fee(amount) == Decimal(expected)
    assert str(fee(amount)) == f"{expected}.00"


@pytest.mark.parametrize("amount, expected", WORKED.items())
def test_the_simplified_procedure_halves_each(amount: str, expected: str) -> None:
    for track in ("simplified", "small_claims"):
        assert fee(amount, track=track) == Decimal(expected) / 2
    assert fee(amount, track="ordinary") == Decimal(expected)


def test_each_band_used_is_a_line_a_clerk_can_check_by_hand() -> None:
    result = quote(PACK, kind="property", amount=Decimal("123456.78"))
    assert [(line.code, str(line.amount)) for line in result.lines] == [
        ("flat", "50.00"),
        ("band", "2250.00"),
        ("band", "469.1356"),
        ("rounding", "0.0044"),
    ]
    assert result.lines[2].label.en == "Above 100,000 up to 200,000 at 2%: 23,456.78 × 2%"
    assert result.lines[2].label.zh == "超过100,000至200,000的部分按2%交纳：23,456.78 × 2%"
    assert result.lines[3].label.en == "2,769.1356 rounded half up to 0.01"
    assert result.lines[3].basis.article.zh == "《中华人民共和国人民币管理条例》第四条"
    assert all("Art. 13(1)" in line.basis.article.en for line in result.lines[:3])
    assert result.total == sum(line.amount for line in result.lines) == Decimal("2769.14")
    assert result.currency == "CNY"


def test_the_last_band_has_no_upper_end() -> None:
    result = quote(PACK, kind="property", amount="25000000")
    assert codes(result) == ["flat"] + ["band"] * 9
    assert result.lines[-1].label.en == "Above 20,000,000 at 0.5%: 5,000,000 × 0.5%"
    assert result.total == Decimal("166800.00")


def test_an_amount_within_the_flat_part_is_one_line() -> None:
    result = quote(PACK, kind="property", amount="10000")
    assert codes(result) == ["flat"]
    assert result.lines[0].label.en == "Up to 10,000: a flat 50"


def test_a_fixed_fee_needs_no_court() -> None:
    result = quote(PACK, kind="labour")
    assert [(line.code, line.amount) for line in result.lines] == [("per_case", Decimal("10"))]
    assert result.lines[0].label.zh == "劳动争议案件：每件10"
    assert quote(PACK, kind="administrative_other", track="administrative_simplified").total == (
        Decimal("25.00")
    )


@pytest.mark.parametrize(
    "court, kind, expected",
    [
        ("hangzhou", "other_non_property", "80"),
        ("hangzhou", "ip_no_amount", "900"),
        ("beijing", "other_non_property", "70"),
        ("beijing", "jurisdiction_objection", "70"),
        ("guangzhou", "ip_no_amount", "1000"),
        ("guangzhou", "personality_rights", "500"),
    ],
)
def test_a_range_fee_is_the_figure_the_province_set_for_the_court(
    court: str, kind: str, expected: str
) -> None:
    result = quote(PACK, kind=kind, court=court)
    assert codes(result) == ["court_figure"]
    assert result.total == Decimal(expected)
    assert PACK.fees.court_amounts_source[court].en in result.lines[0].basis.article.en
    assert "Art. 13" in result.lines[0].basis.article.en


def test_divorce_with_property_divided_adds_the_band_to_the_court_figure() -> None:
    result = quote(PACK, kind="divorce", court="hangzhou", amount="300000")
    assert [(line.code, line.amount) for line in result.lines] == [
        ("court_figure", Decimal("300")),
        ("flat", Decimal("0")),
        ("band", Decimal("500")),
    ]
    assert result.lines[1].label.en == "Up to 200,000: nothing more"
    assert result.total == Decimal("800.00")
    assert quote(PACK, kind="divorce", court="hangzhou").total == Decimal("300.00")


def test_personality_rights_with_damages() -> None:
    result = quote(PACK, kind="personality_rights", court="beijing", amount="150000")
    assert result.total == Decimal("300") + Decimal("500") + Decimal("250")


def test_mediation_or_withdrawal_is_named_and_halves() -> None:
    result = quote(PACK, kind="property", amount="100000", reductions=["mediation_or_withdrawal"])
    assert codes(result) == ["flat", "band", "reduction"]
    assert result.lines[-1].amount == Decimal("-1150.00")
    assert result.lines[-1].label.en == (
        "Settled by mediation or withdrawn: 50% of 2,300 is payable"
    )
    assert "Art. 15" in result.lines[-1].basis.article.en
    assert result.total == Decimal("1150.00")


def test_a_counterclaim_pays_half() -> None:
    result = quote(PACK, kind="property", amount="50000", counterclaim=True)
    assert result.total == Decimal("525.00")
    assert "Art. 18" in result.lines[-1].basis.article.en


def test_halvings_on_several_grounds_halve_once() -> None:
    result = quote(
        PACK,
        kind="property",
        amount="50000",
        track="simplified",
        counterclaim=True,
        reductions=["mediation_or_withdrawal"],
    )
    assert result.total == Decimal("525.00")
    taken = [line.amount for line in result.lines if line.code == "reduction"]
    assert taken == [Decimal("-525.00"), Decimal("0.00"), Decimal("0.00")]
    assert result.lines[-1].label.zh.endswith("已按同类情形减收一次，不重复减收")


def test_halving_an_odd_fen_rounds_half_up_and_says_so() -> None:
    assert fee("10000.44") == Decimal("50.01")  # 50 + 0.44 × 2.5% = 50.011
    result = quote(PACK, kind="property", amount="10000.44", track="simplified")
    assert [(line.code, str(line.amount)) for line in result.lines][-2:] == [
        ("reduction", "-25.005"),
        ("rounding", "0.005"),
    ]
    assert result.total == Decimal("25.01")


def test_judicial_aid_reduction_takes_off_the_share_after_halving() -> None:
    result = quote(
        PACK,
        kind="property",
        amount="100000",
        track="simplified",
        aid=Aid("reduction", natural_person=False, share=Decimal("0.3")),
    )
    assert [(line.code, line.amount) for line in result.lines][-1] == (
        "aid_reduction",
        Decimal("-345.00"),
    )
    assert result.lines[-1].label.en == (
        "Reduction of the fee (judicial aid): 30% of 1,150 is taken off"
    )
    assert "46" in result.lines[-1].basis.article.en
    assert result.total == Decimal("805.00")


def test_judicial_aid_exemption_and_deferral() -> None:
    exempt = quote(
        PACK, kind="property", amount="100000", aid=Aid("exemption", natural_person=True)
    )
    assert codes(exempt)[-1] == "aid_exemption"
    assert exempt.total == Decimal("0.00")
    deferred = quote(
        PACK, kind="property", amount="100000", aid=Aid("deferral", natural_person=False)
    )
    assert [(line.code, str(line.amount)) for line in deferred.lines][-1] == (
        "aid_deferral",
        "0.00",
    )
    assert deferred.total == Decimal("2300.00")


@pytest.mark.parametrize(
    "arguments, code, field, message",
    [
        (
            {"kind": "propety", "amount": "1"},
            "unknown_fee_class",
            "kind",
            "There is no kind of case 'propety' in the fee schedule",
        ),
        ({"kind": "labour", "court": "shanghai"}, "unknown_court", "court", "no court 'shanghai'"),
        ({}, "amount_required", "amount", "is charged on the amount claimed; give the amount."),
        ({"amount": "  "}, "amount_required", "amount", "give the amount"),
        (
            {"kind": "labour", "amount": "100"},
            "amount_not_allowed",
            "amount",
            "“Labour dispute” is charged per case and takes no amount.",
        ),
        ({"amount": "-5"}, "amount_invalid", "amount", "The amount must not be negative."),
        ({"amount": "12abc"}, "amount_invalid", "amount", "written in digits"),
        ({"amount": "0"}, "amount_invalid", "amount", "The amount must be more than zero."),
        ({"amount": "1.005"}, "amount_invalid", "amount", "at most two decimal places"),
        ({"amount": "NaN"}, "amount_invalid", "amount", "written in digits"),
        ({"amount": Decimal("NaN")}, "amount_invalid", "amount", "must be a finite amount"),
        ({"amount": "1e15"}, "amount_invalid", "amount", "written in digits"),
        ({"amount": "\u0661\u0660\u0660"}, "amount_invalid", "amount", "written in digits"),
        ({"amount": "1_000"}, "amount_invalid", "amount", "written in digits"),
        ({"amount": "10" + "0" * 14}, "amount_too_large", "amount", "The amount is too large."),
        ({"amount": "1", "track": "fast"}, "unknown_track", "track", "no track 'fast'"),
        (
            {"amount": "1", "reductions": ["charity"]},
            "unknown_reduction",
            "reductions",
            "those that can be named are: mediation_or_withdrawal.",
        ),
        (
            {"amount": "1", "reductions": ["simplified_procedure"]},
            "reduction_not_allowed",
            "reductions",
            "follows from the case's track",
        ),
        (
            {"kind": "other_non_property"},
            "court_required",
            "court",
            "is set for each court between 50 and 100; say which court.",
        ),
        (
            {"amount": "1", "aid": Aid("exemption", natural_person=False)},
            "aid_not_allowed",
            "aid",
            "“Exemption from the fee (judicial aid)” is granted to natural persons only.",
        ),
        (
            {"amount": "1", "aid": Aid("amnesty", natural_person=True)},
            "aid_not_allowed",
            "aid",
            "provides no judicial aid 'amnesty'",
        ),
        (
            {"amount": "1", "aid": Aid("reduction", natural_person=True, share=Decimal("0.2"))},
            "aid_invalid",
            "aid",
            "takes off at least 30% and less than all of the fee (all of it is an exemption);"
            " 20% was given.",
        ),
        (
            {"amount": "1", "aid": Aid("reduction", natural_person=True, share=Decimal("1"))},
            "aid_invalid",
            "aid",
            "100% was given",
        ),
        (
            {"amount": "1", "aid": Aid("reduction", natural_person=True)},
            "aid_invalid",
            "aid",
            "none was given",
        ),
        (
            {"amount": "1", "aid": Aid("deferral", natural_person=True, share=Decimal("0.5"))},
            "aid_invalid",
            "aid",
            "takes no share of the fee",
        ),
    ],
)
def test_bad_input_is_refused_with_a_stable_code_and_the_field(
    arguments: dict[str, object], code: str, field: str, message: str
) -> None:
    error = refused(**arguments)
    assert (error.code, error.field) == (code, field)
    assert message in error.message.en
    assert error.message.zh


def test_refusals_speak_chinese_too() -> None:
    assert refused(amount="-1").message.zh == "金额不得为负数。"
    assert refused(kind="labour", amount="1").message.zh == "“劳动争议案件”按件计收，无需填写金额。"


def test_a_court_without_a_figure_in_the_pack_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "cn_internet_court"
    shutil.copytree(PACKS_DIR / "cn_internet_court", target)
    fees = target / "fees.yaml"
    fees.write_text(fees.read_text(encoding="utf-8").replace('    ip_no_amount: "750"\n', ""))
    pack = load_pack_dir(target)
    with pytest.raises(FeeError) as caught:
        quote(pack, kind="ip_no_amount", court="beijing")
    assert (caught.value.code, caught.value.field) == ("court_amount_missing", "court")
    assert caught.value.message.en == (
        "The fee schedule gives no figure for “Intellectual-property case without an amount in"
        " dispute” at Beijing Internet Court, only the range 500 to 1,000; the court's figure"
        " must be added to the pack first."
    )


def test_a_quote_as_json_in_either_language() -> None:
    result = quote(PACK, kind="property", amount="123456.78", track="simplified")
    data = quote_to_dict(result, "zh-hans")
    assert data["total"] == "1384.57"
    assert data["currency"] == "CNY"
    assert data["lines"][0] == {
        "code": "flat",
        "label": "不超过10,000的部分：每件50",
        "amount": "50.00",
        "basis": {
            "article": "《诉讼费用交纳办法》第十三条第（一）项、第（三）项",
            "text": PROPERTY.basis.text.zh,
        },
    }
    assert [line["amount"] for line in data["lines"]] == [
        "50.00",
        "2250.00",
        "469.1356",
        "0.0044",
        "-1384.57",
    ]
    assert quote_to_dict(result, "en")["lines"][-1]["label"] == (
        "Tried under the simplified procedure: 50% of 2,769.14 is payable"
    )


amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1e14"), places=2)


@given(amounts, amounts)
def test_the_fee_never_decreases_as_the_amount_grows(a: Decimal, b: Decimal) -> None:
    low, high = sorted((a, b))
    assert fee(low) <= fee(high)


@given(st.sampled_from(EDGES), st.integers(1, 10_000))
def test_the_fee_is_continuous_at_every_band_edge(edge: Decimal, fen: int) -> None:
    """Just below an edge the fee approaches the fee at the edge: `fen` fen below it, it is
    less by at most the highest rate on those fen (plus a fen of rounding)."""
    below = edge - fen * CENT
    gap = fee(edge) - fee(below)
    assert 0 <= gap <= fen * CENT * max(b.rate for b in PROPERTY.bands.bands) + CENT  # type: ignore[union-attr]
    assert fee(edge) - fee(edge - CENT) <= CENT


@given(amounts)
def test_halving_is_exact_to_the_fen(amount: Decimal) -> None:
    full = fee(amount)
    assert fee(amount, track="simplified") == half(full)
    assert fee(amount, counterclaim=True) == half(full)
    assert fee(amount, reductions=["mediation_or_withdrawal"]) == half(full)


@given(amounts)
def test_every_quote_is_the_sum_of_its_lines_to_the_fen(amount: Decimal) -> None:
    result = quote(PACK, kind="property", amount=amount, track="simplified")
    assert result.total == sum(line.amount for line in result.lines)
    assert result.total == result.total.quantize(CENT)
