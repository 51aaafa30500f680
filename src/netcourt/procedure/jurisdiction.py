"""Which court of a pack may hear a dispute, and on which track.

Every finding carries its reason in both languages and, where one exists, its legal basis.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from netcourt.procedure.pack import Pack
from netcourt.procedure.schema import Basis, Category, Court, Text

OUTSIDE = "other"
"""The factor value for a place outside every place the pack lists."""


@dataclass(frozen=True)
class Finding:
    code: str
    ok: bool
    message: Text
    basis: Basis | None


@dataclass(frozen=True)
class Assessment:
    """`alternatives` are the other courts of the pack that could hear the case; `elsewhere`
    says where to file when no court of the pack can."""

    competent: bool
    findings: tuple[Finding, ...]
    alternatives: tuple[str, ...]
    elsewhere: Text | None


@dataclass(frozen=True)
class TrackProposal:
    track: str
    reasons: tuple[Finding, ...]


def _t(en: str, zh: str) -> Text:
    return Text(en=en, zh=zh)


def _yuan(amount: Decimal) -> Text:
    return _t(f"CNY {amount:,}", f"人民币{amount:,}元")


def _place(pack: Pack, place_id: str) -> Text:
    if place_id == OUTSIDE:
        return _t("a place outside those listed", "所列地区以外的地方")
    return pack.places[place_id].label


def _check_factors(pack: Pack, factors: Mapping[str, str]) -> None:
    for factor_id, place_id in factors.items():
        if factor_id not in pack.connecting_factors:
            raise ValueError(f"unknown connecting factor {factor_id!r}")
        if place_id != OUTSIDE and place_id not in pack.places:
            raise ValueError(f"unknown place {place_id!r} for connecting factor {factor_id!r}")


def _court_findings(
    pack: Pack, court: Court, category: Category, factors: Mapping[str, str], amount: Decimal | None
) -> list[Finding]:
    name = court.name
    hears = category.id in court.categories
    findings = [
        Finding(
            "category",
            hears,
            _t(
                f"{name.en} {'hears' if hears else 'does not hear'} {category.label.en} cases.",
                f"{name.zh}{'受理' if hears else '不受理'}{category.label.zh}案件。",
            ),
            category.basis,
        )
    ]
    given = [f for f in category.connecting_factors if f in factors]
    located = False
    for factor_id in given:
        factor = pack.connecting_factors[factor_id]
        place = _place(pack, factors[factor_id])
        inside = factors[factor_id] in court.territory
        located = located or inside
        findings.append(
            Finding(
                f"factor.{factor_id}",
                inside,
                _t(
                    f"{factor.label.en}: {place.en},"
                    f" {'within' if inside else 'outside'} the territory"
                    f" of {name.en}.",
                    f"{factor.label.zh}：{place.zh}，{'在' if inside else '不在'}{name.zh}辖区内。",
                ),
                factor.basis,
            )
        )
    if given:
        message = (
            _t(
                f"At least one connecting factor lies within the territory of {name.en}.",
                f"至少一个管辖连接点位于{name.zh}辖区内。",
            )
            if located
            else _t(
                f"No connecting factor lies within the territory of {name.en}.",
                f"没有管辖连接点位于{name.zh}辖区内。",
            )
        )
    else:
        labels = [pack.connecting_factors[f].label for f in category.connecting_factors]
        message = _t(
            "None of the places that establish territorial jurisdiction for this category was"
            f" given ({', '.join(x.en for x in labels)}).",
            f"未提供确定本类案件地域管辖的连接点（{'、'.join(x.zh for x in labels)}）。",
        )
    findings.append(Finding("territory", located, message, None))
    if amount is not None and court.max_amount is not None:
        within = amount < court.max_amount
        ceiling = _yuan(court.max_amount)
        findings.append(
            Finding(
                "amount",
                within,
                _t(
                    f"The amount in dispute is {'below' if within else 'not below'} {ceiling.en},"
                    " the first-instance ceiling of a basic-level court.",
                    f"诉讼标的额{'低于' if within else '达到或超过'}{ceiling.zh}"
                    "（基层人民法院管辖第一审民事案件的标准）。",
                ),
                court.max_amount_basis,
            )
        )
    return findings


def _competent(findings: Iterable[Finding]) -> bool:
    return all(f.ok for f in findings if not f.code.startswith("factor."))


def _elsewhere(
    pack: Pack, category: Category, factors: Mapping[str, str], amount: Decimal | None
) -> Text:
    places = [
        (pack.connecting_factors[f].label, _place(pack, factors[f]))
        for f in category.connecting_factors
        if f in factors
    ]
    where = _t(
        "; ".join(f"{label.en}: {place.en}" for label, place in places)
        or "the defendant's domicile",
        "；".join(f"{label.zh}：{place.zh}" for label, place in places) or "被告住所地",
    )
    hearing = [c for c in pack.courts.values() if category.id in c.categories]
    located = [
        c
        for c in hearing
        if any(factors.get(f) in c.territory for f in category.connecting_factors)
    ]
    if located and amount is not None:
        return _t(
            "The amount reaches the first-instance ceiling of basic-level courts: file with the"
            f" intermediate people's court having jurisdiction ({where.en}).",
            f"诉讼标的额已达到基层人民法院管辖标准，请向有管辖权的中级人民法院起诉（{where.zh}）。",
        )
    return _t(
        "No court of this pack can hear the case: file with the ordinary people's court having"
        f" jurisdiction ({where.en}). This is not a case for the courts of “{pack.title.en}”.",
        f"本案不属于“{pack.title.zh}”所列法院管辖，请向有管辖权的普通人民法院起诉（{where.zh}）。",
    )


def assess_jurisdiction(
    pack: Pack,
    court_id: str,
    category_id: str,
    factors: Mapping[str, str],
    amount: Decimal | None,
) -> Assessment:
    """Whether `court_id` may hear a dispute of `category_id`.

    `factors` maps connecting-factor ids to place ids (or "other"). The court must hear the
    category, at least one of the category's connecting factors must lie in its territory, and
    the amount must stay below its ceiling. KeyError for an unknown court or category,
    ValueError for an unknown factor or place or a negative amount.
    """
    court = pack.court(court_id)
    category = pack.categories[category_id]
    _check_factors(pack, factors)
    if amount is not None and amount < 0:
        raise ValueError("the amount in dispute must not be negative")
    findings = _court_findings(pack, court, category, factors, amount)
    competent = _competent(findings)
    alternatives = tuple(
        other.id
        for other in pack.courts.values()
        if other.id != court.id
        and _competent(_court_findings(pack, other, category, factors, amount))
    )
    elsewhere = None
    if not competent and not alternatives:
        elsewhere = _elsewhere(pack, category, factors, amount)
    return Assessment(competent, tuple(findings), alternatives, elsewhere)


def propose_track(
    pack: Pack,
    court_id: str,
    category_id: str,
    amount: Decimal | None,
    exclusions: Iterable[str],
    simple: bool,
) -> TrackProposal:
    """Propose the track for a case.

    Small claims: a property case whose category allows it, simple (facts clear, rights and
    obligations clear, dispute small), the amount at or below the ceiling of the court's
    province, and none of `exclusions` (ids of the pack's small-claims exclusions that the filer
    says apply). Otherwise the simplified track if `simple`, else the ordinary track, each for
    the category's case type.
    """
    court = pack.court(court_id)
    category = pack.categories[category_id]
    known = {e.id: e for e in pack.small_claims_exclusions}
    applied = list(dict.fromkeys(exclusions))
    for exclusion_id in applied:
        if exclusion_id not in known:
            raise ValueError(f"unknown small-claims exclusion {exclusion_id!r}")
    if amount is not None and amount < 0:
        raise ValueError("the amount in dispute must not be negative")
    tracks = {t.kind: t for t in pack.tracks.values() if t.case_type == category.case_type}
    simplified = tracks.get("simplified")
    small = tracks.get("small_claims")
    sc = pack.small_claims
    reasons: list[Finding] = []
    if small is None:
        reasons.append(
            Finding(
                "small_claims_available",
                False,
                _t(
                    f"There is no small-claims procedure for {category.case_type} cases.",
                    f"{'行政' if category.case_type == 'administrative' else '民事'}"
                    "案件不适用小额诉讼程序。",
                ),
                None,
            )
        )
    else:
        reasons.append(
            Finding(
                "small_claims_property",
                category.property,
                _t(
                    "The claim is for payment of money."
                    if category.property
                    else "Small claims are for the payment of money; this category is not.",
                    "本案为金钱给付案件。"
                    if category.property
                    else "小额诉讼仅适用于金钱给付案件，本类案件不属于此类。",
                ),
                sc.basis,
            )
        )
        reasons.append(
            Finding(
                "small_claims_category",
                category.small_claims_allowed,
                _t(
                    f"{category.label.en} cases may be heard as small claims."
                    if category.small_claims_allowed
                    else f"{category.label.en} cases are not heard as small claims.",
                    f"{category.label.zh}案件可以适用小额诉讼程序。"
                    if category.small_claims_allowed
                    else f"{category.label.zh}案件不适用小额诉讼程序。",
                ),
                sc.excluded_basis,
            )
        )
        reasons.append(_amount_finding(pack, court, amount))
        for exclusion_id in applied:
            exclusion = known[exclusion_id]
            reasons.append(
                Finding(
                    f"exclusion.{exclusion_id}",
                    False,
                    _t(
                        f"Small claims are excluded: {exclusion.label.en}.",
                        f"不适用小额诉讼程序：{exclusion.label.zh}。",
                    ),
                    exclusion.basis,
                )
            )
    reasons.append(
        Finding(
            "simple",
            simple,
            _t(
                "The facts are clear, the rights and obligations clear and the dispute small."
                if simple
                else "The case is not simple (facts, rights and obligations or the dispute).",
                "事实清楚、权利义务关系明确、争议不大。"
                if simple
                else "案件不属于事实清楚、权利义务关系明确、争议不大的简单案件。",
            ),
            simplified.basis if simplified is not None else None,
        )
    )
    if small is not None and all(r.ok for r in reasons):
        chosen = small
    elif simple and simplified is not None:
        chosen = simplified
    else:
        chosen = tracks["ordinary"]
    reasons.append(
        Finding(
            "track",
            True,
            _t(f"Proposed track: {chosen.label.en}.", f"建议适用：{chosen.label.zh}。"),
            chosen.basis,
        )
    )
    return TrackProposal(chosen.id, tuple(reasons))


def _amount_finding(pack: Pack, court: Court, amount: Decimal | None) -> Finding:
    sc = pack.small_claims
    ceiling_data = next(c for c in sc.ceilings if c.province == court.province)
    province = pack.provinces[court.province].label
    ceiling = _yuan(ceiling_data.ceiling)
    source = _t(
        f"{int(sc.share * 100)}% of the {ceiling_data.wage_year} average annual wage"
        f" in {province.en}",
        f"{province.zh}{ceiling_data.wage_year}年度就业人员年平均工资的{int(sc.share * 100)}%",
    )
    if amount is None:
        return Finding(
            "small_claims_amount",
            False,
            _t("No amount in dispute was given.", "未提供诉讼标的额。"),
            sc.basis,
        )
    if amount <= ceiling_data.ceiling:
        return Finding(
            "small_claims_amount",
            True,
            _t(
                f"{_yuan(amount).en} is within the small-claims ceiling of {ceiling.en}"
                f" ({source.en}).",
                f"{_yuan(amount).zh}未超过小额诉讼标的额上限{ceiling.zh}（{source.zh}）。",
            ),
            sc.basis,
        )
    agreed = ceiling_data.average_wage * sc.agreement_multiple
    note_en, note_zh = "", ""
    if amount <= agreed:
        note_en = f" Up to {_yuan(agreed).en} the parties may agree to small claims."
        note_zh = f"标的额在{_yuan(agreed).zh}以下的，当事人双方可以约定适用小额诉讼程序。"
    return Finding(
        "small_claims_amount",
        False,
        _t(
            f"{_yuan(amount).en} exceeds the small-claims ceiling of {ceiling.en}"
            f" ({source.en}).{note_en}",
            f"{_yuan(amount).zh}超过小额诉讼标的额上限{ceiling.zh}（{source.zh}）。{note_zh}",
        ),
        sc.basis,
    )
