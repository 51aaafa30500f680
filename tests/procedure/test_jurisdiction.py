"""Which internet court may hear a dispute, and on which track."""

from decimal import Decimal

import pytest

from netcourt.procedure import assess_jurisdiction, load_pack, propose_track

PACK = load_pack("cn_internet_court")


def _codes(findings: object) -> dict[str, bool]:
    return {f.code: f.ok for f in findings}  # type: ignore[attr-defined]


def test_hangzhou_buyer_against_shenzhen_seller_is_heard_in_hangzhou() -> None:
    result = assess_jurisdiction(
        PACK,
        "hangzhou",
        "ecommerce_purchase",
        {"buyer_domicile": "hangzhou", "defendant_domicile": "shenzhen"},
        Decimal("3999.00"),
    )
    assert result.competent
    assert result.alternatives == ()
    assert result.elsewhere is None
    codes = _codes(result.findings)
    assert codes["category"] and codes["territory"] and codes["amount"]
    assert codes["factor.buyer_domicile"] is True
    assert codes["factor.defendant_domicile"] is False
    buyer = next(f for f in result.findings if f.code == "factor.buyer_domicile")
    assert buyer.basis is not None and "第二十条" in buyer.basis.article.zh
    assert "杭州市" in buyer.message.zh and "杭州互联网法院" in buyer.message.zh


def test_a_shanghai_only_dispute_belongs_to_an_ordinary_court() -> None:
    result = assess_jurisdiction(
        PACK,
        "hangzhou",
        "ecommerce_purchase",
        {"buyer_domicile": "shanghai", "defendant_domicile": "shanghai"},
        Decimal("3999"),
    )
    assert not result.competent
    assert result.alternatives == ()
    assert result.elsewhere is not None
    assert "ordinary people's court" in result.elsewhere.en
    assert "普通人民法院" in result.elsewhere.zh and "上海市" in result.elsewhere.zh


def test_a_beijing_defendant_points_to_the_beijing_internet_court() -> None:
    result = assess_jurisdiction(
        PACK,
        "hangzhou",
        "online_service_contract",
        {"defendant_domicile": "beijing", "place_of_performance": "other"},
        None,
    )
    assert not result.competent
    assert result.alternatives == ("beijing",)
    assert result.elsewhere is None


def test_online_defamation_is_heard_where_the_injured_party_lives() -> None:
    result = assess_jurisdiction(
        PACK,
        "guangzhou",
        "online_rights_infringement",
        {
            "plaintiff_domicile": "guangzhou",
            "defendant_domicile": "other",
            "place_of_infringing_act": "other",
        },
        Decimal("20000"),
    )
    assert result.competent


def test_an_amount_at_the_intermediate_court_threshold_is_not_for_an_internet_court() -> None:
    result = assess_jurisdiction(
        PACK, "beijing", "online_loan", {"defendant_domicile": "beijing"}, Decimal("500000000")
    )
    assert not result.competent
    assert _codes(result.findings)["amount"] is False
    assert result.elsewhere is not None and "intermediate people's court" in result.elsewhere.en
    assert assess_jurisdiction(
        PACK, "beijing", "online_loan", {"defendant_domicile": "beijing"}, Decimal("499999999.99")
    ).competent


def test_administrative_case_follows_the_agency() -> None:
    result = assess_jurisdiction(
        PACK, "hangzhou", "internet_administrative", {"agency_seat": "guangzhou"}, None
    )
    assert not result.competent
    assert result.alternatives == ("guangzhou",)


def test_no_connecting_factor_given_is_explained() -> None:
    result = assess_jurisdiction(PACK, "hangzhou", "copyright_ownership", {}, None)
    territory = next(f for f in result.findings if f.code == "territory")
    assert not territory.ok
    assert "被告住所地" in territory.message.zh


def test_unknown_factor_place_court_or_category_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown place 'mars'"):
        assess_jurisdiction(PACK, "hangzhou", "online_loan", {"defendant_domicile": "mars"}, None)
    with pytest.raises(ValueError, match="unknown connecting factor"):
        assess_jurisdiction(PACK, "hangzhou", "online_loan", {"moon_phase": "hangzhou"}, None)
    with pytest.raises(KeyError):
        assess_jurisdiction(PACK, "shanghai", "online_loan", {}, None)
    with pytest.raises(ValueError, match="negative"):
        assess_jurisdiction(PACK, "hangzhou", "online_loan", {}, Decimal("-1"))


def test_small_claim_below_the_zhejiang_ceiling() -> None:
    proposal = propose_track(PACK, "hangzhou", "ecommerce_purchase", Decimal("54323"), [], True)
    assert proposal.track == "small_claims"
    amount = next(r for r in proposal.reasons if r.code == "small_claims_amount")
    assert "54,323" in amount.message.en and "2020" in amount.message.en


def test_just_above_the_ceiling_is_simplified_and_mentions_the_parties_option() -> None:
    proposal = propose_track(PACK, "hangzhou", "ecommerce_purchase", Decimal("54323.01"), [], True)
    assert proposal.track == "simplified"
    amount = next(r for r in proposal.reasons if r.code == "small_claims_amount")
    assert not amount.ok
    assert "217,290" in amount.message.en and "约定适用小额诉讼程序" in amount.message.zh


def test_the_ceiling_is_the_courts_province() -> None:
    assert (
        PACK.small_claims_ceilings["beijing"]
        > Decimal("80000")
        > PACK.small_claims_ceilings["zhejiang"]
    )
    assert (
        propose_track(PACK, "beijing", "online_loan", Decimal("80000"), [], True).track
        == "small_claims"
    )
    assert (
        propose_track(PACK, "hangzhou", "online_loan", Decimal("80000"), [], True).track
        == "simplified"
    )


def test_copyright_ownership_is_never_a_small_claim() -> None:
    proposal = propose_track(PACK, "hangzhou", "copyright_ownership", Decimal("5000"), [], True)
    assert proposal.track == "simplified"
    category = next(r for r in proposal.reasons if r.code == "small_claims_category")
    assert not category.ok
    assert category.basis is not None and "第一百六十六条" in category.basis.article.zh


def test_an_appraisal_excludes_small_claims() -> None:
    proposal = propose_track(
        PACK, "hangzhou", "online_product_liability", Decimal("3000"), ["needs_appraisal"], True
    )
    assert proposal.track == "simplified"
    excluded = next(r for r in proposal.reasons if r.code == "exclusion.needs_appraisal")
    assert not excluded.ok
    assert "鉴定" in excluded.message.zh


def test_a_complex_case_goes_to_the_ordinary_track() -> None:
    proposal = propose_track(PACK, "guangzhou", "online_loan", Decimal("3000"), [], False)
    assert proposal.track == "ordinary"
    assert _codes(proposal.reasons)["simple"] is False


def test_administrative_cases_have_their_own_tracks() -> None:
    assert (
        propose_track(PACK, "beijing", "internet_administrative", None, [], True).track
        == "administrative_simplified"
    )
    proposal = propose_track(PACK, "beijing", "internet_administrative", None, [], False)
    assert proposal.track == "administrative_ordinary"
    assert _codes(proposal.reasons)["small_claims_available"] is False


def test_unknown_exclusion_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown small-claims exclusion 'rainy_day'"):
        propose_track(PACK, "hangzhou", "online_loan", Decimal("100"), ["rainy_day"], True)
