"""Documents netcourt writes for a party, in that party's language, from pack templates."""

from __future__ import annotations

import re
from typing import Any

from django.utils import formats, translation

from netcourt.cases import policy
from netcourt.cases.models import Case, Party, PartyRole
from netcourt.core import clock
from netcourt.core.money import format_money
from netcourt.hearings.times import court_zone
from netcourt.procedure import render_template


def _colon(lang: str) -> str:
    return "：" if lang.startswith("zh") else ": "


def _party_line(party: Party, lang: str) -> str:
    with translation.override(lang):
        parts = [
            f"{party.get_role_display()}{_colon(lang)}{party.name}",
            str(party.get_kind_display()),
        ]
        if party.representative_name:
            parts.append(
                translation.gettext("legal representative: %(name)s")
                % {"name": party.representative_name}
            )
        if party.address:
            parts.append(translation.gettext("address: %(address)s") % {"address": party.address})
        separator = "，" if lang.startswith("zh") else ", "
        return separator.join(parts)


def _block(case: Case, role: str, lang: str) -> str:
    lines = [_party_line(p, lang) for p in case.people() if p.role == role]
    if lines:
        return "\n".join(lines)
    with translation.override(lang):
        return f"{PartyRole(role).label}{_colon(lang)}{translation.gettext('None')}"


def statement_of_claim(case: Case, lang: str) -> str:
    pack = case.court.pack
    category = pack.categories[case.category]
    factors = case.filing.get("factors", {})
    with translation.override(lang):
        connection_lines = []
        for factor_id, place_id in factors.items():
            factor = pack.connecting_factors[factor_id]
            place = (
                pack.places[place_id].label.get(lang)
                if place_id in pack.places
                else translation.gettext("elsewhere")
            )
            connection_lines.append(f"{factor.label.get(lang)}{_colon(lang)}{place}")
        if case.filing.get("connection"):
            connection_lines.append(case.filing["connection"])
        amount = (
            format_money(case.amount, case.currency, lang)
            if case.amount is not None
            else translation.gettext("not a property claim")
        )
        context = {
            "court_name": case.court.name_in(lang),
            "plaintiffs": _block(case, "plaintiff", lang),
            "defendants": _block(case, "defendant", lang),
            "third_parties": _block(case, "third_party", lang),
            "category": category.label.get(lang),
            "claims": case.filing.get("claims", ""),
            "amount": amount,
            "facts": case.filing.get("facts", ""),
            "platform": case.filing.get("platform", "") or translation.gettext("None"),
            "connection": "\n".join(connection_lines),
            # The day it was filed (a draft's preview: today), the same on every later reading.
            "date": formats.date_format(
                case.submitted_at.astimezone(court_zone()).date()
                if case.submitted_at
                else clock.today(),
                "DATE_FORMAT",
            ),
        }
    return render_template(pack, "statement_of_claim", lang, context)


_DIGITS = "零一二三四五六七八九"


def _chinese_number(n: int) -> str:
    """1 to 99 as a Chinese numeral (一, 十二, 二十一), as the items of a judgment count."""
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _DIGITS[ones]
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")


# A number the judge typed before an order ("1. ", "一、", "(2)"): the judgment numbers them.
_TYPED_NUMBER = re.compile(
    r"^\s*[(（]?\s*(?:\d+|[一二三四五六七八九十]+)\s*(?:[.．](?!\d)|[、)）])\s*"
)


def _numbered(lines: list[str], lang: str) -> str:
    lines = [_TYPED_NUMBER.sub("", line, count=1) for line in lines]
    if lang.startswith("zh"):
        return "\n".join(f"{_chinese_number(n)}、{line}" for n, line in enumerate(lines, 1))
    return "\n".join(f"{n}. {line}" for n, line in enumerate(lines, 1))


def judgment(case: Case, lang: str) -> str | None:
    """The judgment as the judge pronounced it (the latest ``issue_judgment`` step's findings,
    reasoning, orders and costs), written out from the pack's template; None before it."""
    pack = case.court.pack
    record = case.events.filter(event="issue_judgment").order_by("-seq").first()
    if record is None:
        return None
    given = record.payload.get("inputs", {})
    local = record.at.astimezone(court_zone()).date()
    with translation.override(lang):
        if case.track == "small_claims":
            appeal = translation.gettext("This judgment is final.")
        else:
            days = pack.time_limits["appeal_judgment"].length
            appeal = translation.gettext(
                "A party who does not accept this judgment may appeal within %(days)s days of "
                "its service, by filing a statement of appeal with this court, to the people's "
                "court at the next level."
            ) % {"days": days}
        context = {
            "court_name": case.court.name_in(lang),
            "number": case.number,
            "plaintiffs": _block(case, "plaintiff", lang),
            "defendants": _block(case, "defendant", lang),
            "third_parties": _block(case, "third_party", lang),
            "judge": str(case.judge) if case.judge else "",
            "category": pack.categories[case.category].label.get(lang),
            "claims": case.filing.get("claims", ""),
            "findings": given.get("findings", ""),
            "reasoning": given.get("reasoning", ""),
            "orders": _numbered([str(line) for line in given.get("orders", [])], lang),
            "costs": given.get("costs", ""),
            "appeal": appeal,
            "date": formats.date_format(local, "DATE_FORMAT"),
        }
    return render_template(pack, "judgment", lang, context)


def _served_on(user: Any, case: Case) -> bool | None:
    """Whether the judgment is served on every party ``user`` acts for (None: it was not
    served on any of them, or the pack serves no judgment)."""
    from netcourt.service.models import Service

    rules = case.court.pack.service
    served_as = [d.id for d in rules.documents if d.template == "judgment"] if rules else []
    mine = Service.objects.filter(
        case=case, document__in=served_as, party_id__in=policy.own_parties(user, case)
    )
    if not mine.exists():
        return None
    return not mine.filter(effective_at__isnull=True).exists()


def judgment_for(user: Any, case: Case, roles: set[str]) -> str | None:
    """The judgment's text for ``user``, in the case's language as it is served: the court's
    at once; a party's once it is served on them (reading it through the served link is how a
    party who never agreed to electronic service is served: shown before, the time to appeal
    would start unseen, or the text reach a party not served)."""
    if roles & policy.COURT_ROLES or _served_on(user, case):
        return judgment(case, case.language)
    return None


def judgment_waits(user: Any, case: Case, roles: set[str]) -> bool:
    """Whether a judgment was pronounced that ``user`` may read once it is served on them."""
    return not roles & policy.COURT_ROLES and _served_on(user, case) is False


def as_served(case: Case, template: str) -> str | None:
    """The text of pack template ``template`` as the court serves it from ``case``, in the
    case's language (``Case.language``): the statement of claim as it was filed (the text
    whose fingerprint the filing recorded), the judgment as pronounced. None for a template
    netcourt does not fill, or a judgment not pronounced."""
    if template == "statement_of_claim":
        return case.statement or None
    if template == "judgment":
        return judgment(case, case.language)
    return None
