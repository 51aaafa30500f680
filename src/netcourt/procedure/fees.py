"""The fee engine: the acceptance fee of a case, from the pack's fee schedule, line by line.

Every quote is a list of line items a clerk can check by hand, each with the rule it comes
from: the flat part and each band used, the per-case figure (set by law, or by the province
for the court), each reduction, judicial aid and every rounding. Money is exact decimal
throughout; the running amount is rounded (as the pack says) after the bands and after each
reduction, never in between. Nothing here knows a fee class, track or court by name.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from netcourt.procedure.errors import RefusedError
from netcourt.procedure.money import MoneyError, parse_money
from netcourt.procedure.pack import Pack
from netcourt.procedure.schema import (
    Basis,
    Court,
    FeeAid,
    FeeBands,
    FeeClass,
    FeeReduction,
    FeeSchedule,
    Text,
)

FEE_ERROR_CODES = (
    "unknown_fee_class",
    "unknown_court",
    "court_required",
    "court_amount_missing",
    "amount_required",
    "amount_not_allowed",
    "amount_invalid",
    "amount_too_large",
    "unknown_track",
    "unknown_reduction",
    "reduction_not_allowed",
    "aid_not_allowed",
    "aid_invalid",
)

# Wide enough that no product of an amount (below 10^15, to the fen) and a rate or share is
# ever rounded by the context: the only rounding is the schedule's own.
_PRECISION = 60


class FeeError(RefusedError):
    """A quote was refused. `code` is one of FEE_ERROR_CODES; `field` is `kind`, `court`,
    `amount`, `track`, `reductions` or `aid`."""


@dataclass(frozen=True)
class Aid:
    """Judicial aid the court granted: `kind` is `deferral`, `reduction` or `exemption`;
    `share` is the part of the fee a reduction takes off (e.g. 0.3); `natural_person` says
    whether the party it was granted to is a natural person."""

    kind: str
    natural_person: bool
    share: Decimal | None = None


@dataclass(frozen=True)
class Line:
    """One line of a quote. `code` is `flat`, `band`, `per_case`, `court_figure`,
    `reduction`, `aid_deferral`, `aid_reduction`, `aid_exemption` or `rounding`; reductions
    are negative; `basis` is the rule the line comes from."""

    code: str
    label: Text
    amount: Decimal
    basis: Basis


@dataclass(frozen=True)
class Quote:
    """`total` is the sum of the lines, a multiple of the schedule's rounding quantum."""

    total: Decimal
    currency: str
    lines: tuple[Line, ...]


def _t(en: str, zh: str) -> Text:
    return Text(en=en, zh=zh)


def _n(amount: Decimal) -> str:
    """An amount with thousands separators and no exponent, a whole one without cents however
    it was written (90,000 beside 86,000, never 86,000.00), any other as it is (23,456.78,
    and 2,769.1356 before it is rounded)."""
    if amount == amount.to_integral_value():
        return f"{amount.quantize(Decimal(1)):,f}"
    return f"{amount:,f}"


def _percent(share: Decimal) -> str:
    return f"{(share * 100).normalize():f}"


def _ids(ids: Iterable[str]) -> str:
    return ", ".join(ids)


def _fee_class(pack: Pack, kind: str) -> FeeClass:
    for fee_class in pack.fees.classes:
        if fee_class.id == kind:
            return fee_class
    known = _ids(c.id for c in pack.fees.classes)
    raise FeeError(
        "unknown_fee_class",
        _t(
            f"There is no kind of case {kind!r} in the fee schedule of “{pack.title.en}”;"
            f" the kinds are: {known}.",
            f"“{pack.title.zh}”的收费标准中没有“{kind}”这类案件；可选：{known}。",
        ),
        "kind",
    )


def _court(pack: Pack, court: str | None) -> Court | None:
    if court is None:
        return None
    found = pack.courts.get(court)
    if found is None:
        known = _ids(pack.courts)
        raise FeeError(
            "unknown_court",
            _t(
                f"There is no court {court!r} in “{pack.title.en}”; the courts are: {known}.",
                f"“{pack.title.zh}”中没有“{court}”这一法院；可选：{known}。",
            ),
            "court",
        )
    return found


def _amount(fee_class: FeeClass, amount: Decimal | int | str | None) -> Decimal | None:
    label = fee_class.label
    if amount is None or (isinstance(amount, str) and not amount.strip()):
        if fee_class.bands is not None and fee_class.minimum is None:
            raise FeeError(
                "amount_required",
                _t(
                    f"“{label.en}” is charged on the amount claimed; give the amount.",
                    f"“{label.zh}”按诉讼请求的金额计收，请填写金额。",
                ),
                "amount",
            )
        return None
    if fee_class.bands is None:
        raise FeeError(
            "amount_not_allowed",
            _t(
                f"“{label.en}” is charged per case and takes no amount.",
                f"“{label.zh}”按件计收，无需填写金额。",
            ),
            "amount",
        )
    try:
        value = parse_money(amount)
    except MoneyError as exc:
        raise FeeError(
            exc.code, _t(f"The amount {exc.text.en}.", f"金额{exc.text.zh}。"), "amount"
        ) from None
    if value == 0:
        raise FeeError(
            "amount_invalid", _t("The amount must be more than zero.", "金额应大于零。"), "amount"
        )
    return value


def _check_track(pack: Pack, track: str | None) -> None:
    if track is not None and track not in pack.tracks:
        known = _ids(pack.tracks)
        raise FeeError(
            "unknown_track",
            _t(
                f"There is no track {track!r} in “{pack.title.en}”; the tracks are: {known}.",
                f"“{pack.title.zh}”中没有“{track}”这一程序；可选：{known}。",
            ),
            "track",
        )


def _reductions(
    pack: Pack, named: Sequence[str], track: str | None, counterclaim: bool
) -> list[FeeReduction]:
    """The reductions that apply, in schedule order: those named and those that follow from
    the track or from the claim being a counterclaim."""
    fees = pack.fees
    by_id = {r.id: r for r in fees.reductions}
    for reduction_id in named:
        reduction = by_id.get(reduction_id)
        if reduction is None:
            known = _ids(r.id for r in fees.reductions if not r.tracks and not r.counterclaim)
            raise FeeError(
                "unknown_reduction",
                _t(
                    f"There is no fee reduction {reduction_id!r} in “{pack.title.en}”;"
                    f" those that can be named are: {known}.",
                    f"“{pack.title.zh}”中没有“{reduction_id}”这一减收情形；可以指明的有：{known}。",
                ),
                "reductions",
            )
        if reduction.tracks or reduction.counterclaim:
            raise FeeError(
                "reduction_not_allowed",
                _t(
                    f"“{reduction.label.en}” follows from the case's track or from the claim"
                    " being a counterclaim; give the track or say it is a counterclaim instead.",
                    f"“{reduction.label.zh}”取决于案件适用的程序或是否为反诉，"
                    "请填写程序或注明反诉，不能直接指明。",
                ),
                "reductions",
            )
    return [
        r
        for r in fees.reductions
        if r.id in named
        or (track is not None and track in r.tracks)
        or (counterclaim and r.counterclaim)
    ]


def _aid_rule(pack: Pack, aid: Aid) -> tuple[FeeAid, Decimal]:
    """The schedule's rule for the aid granted, and the share of the fee it takes off."""
    rule = next((a for a in pack.fees.aid if a.kind == aid.kind), None)
    if rule is None:
        raise FeeError(
            "aid_not_allowed",
            _t(
                f"The fee schedule of “{pack.title.en}” provides no judicial aid {aid.kind!r}.",
                f"“{pack.title.zh}”的收费标准中没有“{aid.kind}”这一司法救助。",
            ),
            "aid",
        )
    if rule.natural_persons_only and not aid.natural_person:
        raise FeeError(
            "aid_not_allowed",
            _t(
                f"“{rule.label.en}” is granted to natural persons only.",
                f"“{rule.label.zh}”仅适用于自然人。",
            ),
            "aid",
        )
    if rule.minimum_share is None:
        if aid.share is not None:
            raise FeeError(
                "aid_invalid",
                _t(
                    f"“{rule.label.en}” takes no share of the fee.",
                    f"“{rule.label.zh}”不适用减交比例。",
                ),
                "aid",
            )
    elif aid.share is None or not rule.minimum_share <= aid.share < 1:
        given = (
            _t("none was given", "未填写比例")
            if aid.share is None
            else _t(f"{_percent(aid.share)}% was given", f"所填比例为{_percent(aid.share)}%")
        )
        least = _percent(rule.minimum_share)
        raise FeeError(
            "aid_invalid",
            _t(
                f"“{rule.label.en}” takes off at least {least}% and less than all of the fee"
                f" (all of it is an exemption); {given.en}.",
                f"“{rule.label.zh}”的比例不得低于{least}%且应低于100%（全部免交的为免交）；"
                f"{given.zh}。",
            ),
            "aid",
        )
    if rule.kind == "exemption":
        return rule, Decimal(1)
    return rule, aid.share or Decimal(0)


class _Sheet:
    """The lines of a quote as they are written, and the running amount."""

    def __init__(self, fees: FeeSchedule) -> None:
        self.fees = fees
        self.lines: list[Line] = []

    def plain(self, amount: Decimal) -> Decimal:
        """`amount` written with the quantum's places if it is a whole number of quanta
        (50.00), else exactly without trailing zeros (469.1356); never -0."""
        on_quantum = (amount or Decimal(0)).quantize(self.fees.rounding.quantum)
        return on_quantum if on_quantum == amount else amount.normalize()

    @property
    def running(self) -> Decimal:
        return self.plain(sum((line.amount for line in self.lines), Decimal(0)))

    def add(self, code: str, label: Text, amount: Decimal, basis: Basis) -> None:
        self.lines.append(Line(code, label, self.plain(amount), basis))

    def round(self) -> None:
        rounding = self.fees.rounding
        running = self.running
        rounded = running.quantize(rounding.quantum, ROUND_HALF_UP)
        if rounded != running:
            self.add(
                "rounding",
                _t(
                    f"{_n(running)} rounded half up to {rounding.quantum}",
                    f"{_n(running)}四舍五入至{rounding.quantum}",
                ),
                rounded - running,
                rounding.basis,
            )


def _per_case(sheet: _Sheet, pack: Pack, fee_class: FeeClass, court: Court | None) -> None:
    low, high = fee_class.minimum, fee_class.maximum
    if low is None or high is None:
        return
    label = fee_class.label
    if low == high:
        text = _t(f"{label.en}: {_n(low)} per case", f"{label.zh}：每件{_n(low)}")
        sheet.add("per_case", text, low, fee_class.basis)
        return
    if court is None:
        raise FeeError(
            "court_required",
            _t(
                f"The fee for “{label.en}” is set for each court between {_n(low)} and"
                f" {_n(high)}; say which court.",
                f"“{label.zh}”的受理费由各地在{_n(low)}至{_n(high)}的幅度内确定，请指明法院。",
            ),
            "court",
        )
    figure = pack.fees.court_amounts.get(court.id, {}).get(fee_class.id)
    source = pack.fees.court_amounts_source.get(court.id)
    if figure is None or source is None:
        raise FeeError(
            "court_amount_missing",
            _t(
                f"The fee schedule gives no figure for “{label.en}” at {court.name.en}, only"
                f" the range {_n(low)} to {_n(high)}; the court's figure must be added to the"
                " pack first.",
                f"收费标准中没有{court.name.zh}“{label.zh}”的具体交纳标准，仅有{_n(low)}至"
                f"{_n(high)}的幅度，须先在程序包中补充。",
            ),
            "court",
        )
    article = fee_class.basis.article
    sheet.add(
        "court_figure",
        _t(
            f"{label.en}: {_n(figure)} per case at {court.name.en} (range {_n(low)} to {_n(high)})",
            f"{label.zh}：{court.name.zh}每件{_n(figure)}（幅度{_n(low)}至{_n(high)}）",
        ),
        figure,
        Basis(
            article=_t(f"{article.en}; {source.en}", f"{article.zh}；{source.zh}"),
            text=fee_class.basis.text,
        ),
    )


def _bands(sheet: _Sheet, fee_class: FeeClass, bands: FeeBands, amount: Decimal) -> None:
    """The flat part and one line per band the amount reaches."""
    limit = _n(bands.flat_up_to)
    flat = (
        _t(f"Up to {limit}: a flat {_n(bands.flat)}", f"不超过{limit}的部分：每件{_n(bands.flat)}")
        if bands.flat
        else _t(f"Up to {limit}: nothing more", f"不超过{limit}的部分：不另行交纳")
    )
    sheet.add("flat", flat, bands.flat, fee_class.basis)
    for band in bands.bands:
        if amount <= band.above:
            break
        top = amount if band.up_to is None else min(amount, band.up_to)
        part = top - band.above
        rate = _percent(band.rate)
        span = (
            _t(f"Above {_n(band.above)}", f"超过{_n(band.above)}的部分")
            if band.up_to is None
            else _t(
                f"Above {_n(band.above)} up to {_n(band.up_to)}",
                f"超过{_n(band.above)}至{_n(band.up_to)}的部分",
            )
        )
        sheet.add(
            "band",
            _t(
                f"{span.en} at {rate}%: {_n(part)} × {rate}%",
                f"{span.zh}按{rate}%交纳：{_n(part)} × {rate}%",
            ),
            part * band.rate,
            fee_class.basis,
        )


def _reduce(sheet: _Sheet, reductions: Sequence[FeeReduction]) -> None:
    """Make each reduction, most favourable first, so that of a group's reductions the most
    favourable is the one made; the others are shown with nothing taken off."""
    applied: set[str] = set()
    for reduction in sorted(reductions, key=lambda r: r.factor):
        label = reduction.label
        if reduction.group is not None and reduction.group in applied:
            sheet.add(
                "reduction",
                _t(
                    f"{label.en}: not added to the reduction already made on the same footing",
                    f"{label.zh}：已按同类情形减收一次，不重复减收",
                ),
                Decimal(0),
                reduction.basis,
            )
            continue
        if reduction.group is not None:
            applied.add(reduction.group)
        running = sheet.running
        payable = _percent(reduction.factor)
        sheet.add(
            "reduction",
            _t(
                f"{label.en}: {payable}% of {_n(running)} is payable",
                f"{label.zh}：按{_n(running)}的{payable}%交纳",
            ),
            running * reduction.factor - running,
            reduction.basis,
        )
        sheet.round()


def _grant(sheet: _Sheet, rule: FeeAid, share: Decimal) -> None:
    running = sheet.running
    label = rule.label
    if rule.kind == "deferral":
        text = _t(
            f"{label.en}: payment is deferred; the amount is unchanged",
            f"{label.zh}：准予缓交，金额不变",
        )
    elif rule.kind == "exemption":
        text = _t(f"{label.en}: all of {_n(running)} is waived", f"{label.zh}：免交{_n(running)}")
    else:
        off = _percent(share)
        text = _t(
            f"{label.en}: {off}% of {_n(running)} is taken off",
            f"{label.zh}：减交{_n(running)}的{off}%",
        )
    sheet.add(f"aid_{rule.kind}", text, -(running * share), rule.basis)
    sheet.round()


def quote(
    pack: Pack,
    *,
    kind: str,
    court: str | None = None,
    amount: Decimal | int | str | None = None,
    track: str | None = None,
    reductions: Sequence[str] = (),
    counterclaim: bool = False,
    aid: Aid | None = None,
) -> Quote:
    """The acceptance fee for a case of fee class `kind`, explained line by line.

    `court` is the pack's court id (needed where the province sets the figure inside a
    range); `amount` the amount claimed (or the property divided, or the damages claimed),
    a Decimal or a string of digits; `track` the case's track; `reductions` names reductions
    that the engine cannot see for itself (e.g. settled by mediation); `counterclaim` says
    the fee is for a counterclaim; `aid` is judicial aid the court granted.
    Raises FeeError for any bad input.
    """
    fee_class = _fee_class(pack, kind)
    found_court = _court(pack, court)
    value = _amount(fee_class, amount)
    _check_track(pack, track)
    chosen = _reductions(pack, reductions, track, counterclaim)
    granted = _aid_rule(pack, aid) if aid is not None else None
    sheet = _Sheet(pack.fees)
    with decimal.localcontext(prec=_PRECISION):
        _per_case(sheet, pack, fee_class, found_court)
        if value is not None and fee_class.bands is not None:
            _bands(sheet, fee_class, fee_class.bands, value)
        sheet.round()
        _reduce(sheet, chosen)
        if granted is not None:
            _grant(sheet, *granted)
        total = sheet.running.quantize(pack.fees.rounding.quantum)
    return Quote(total=total, currency=pack.fees.currency, lines=tuple(sheet.lines))


def quote_to_dict(result: Quote, lang: str) -> dict[str, Any]:
    """A quote as JSON-ready data in one language; amounts as exact decimal strings."""
    return {
        "total": f"{result.total:f}",
        "currency": result.currency,
        "lines": [
            {
                "code": line.code,
                "label": line.label.get(lang),
                "amount": f"{line.amount:f}",
                "basis": {
                    "article": line.basis.article.get(lang),
                    "text": line.basis.text.get(lang),
                },
            }
            for line in result.lines
        ],
    }
