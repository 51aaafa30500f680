"""Documents netcourt writes for a party, in that party's language, from pack templates."""

from __future__ import annotations

from django.utils import formats, translation

from netcourt.cases.models import Case, Party, PartyRole
from netcourt.core import clock
from netcourt.core.money import format_money
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
            "date": formats.date_format(clock.today(), "DATE_FORMAT"),
        }
    return render_template(pack, "statement_of_claim", lang, context)


# The pack templates netcourt can fill from a case, by template id.
WRITERS = {"statement_of_claim": statement_of_claim}


def written(case: Case, template: str, lang: str) -> str | None:
    """The text of pack template ``template`` filled from ``case`` in ``lang``; None for a
    template netcourt does not fill."""
    writer = WRITERS.get(template)
    return writer(case, lang) if writer is not None else None
