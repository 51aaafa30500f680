"""The evidence list of a case (证据清单) as one bilingual PDF: Chinese and English on the same
page, rendered by WeasyPrint with the Noto CJK fonts, like the fee receipt.

Each label is translated twice, under ``translation.override("zh-hans")`` and ``"en"``; dates
are formatted per language with Babel, in the court's time zone. The data (titles, names,
comments) is the parties' own and is shown once, escaped by the template.

WeasyPrint needs Pango, a system library; without it the list is refused with
``receipt_unavailable`` (503) and the rest of the court works on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from django.conf import settings
from django.db import models
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst

from netcourt.cases.models import Case, Party
from netcourt.core import clock
from netcourt.core.money import babel_locale
from netcourt.core.problems import Problem
from netcourt.evidence.models import EvidenceItem, Opinion

LANGUAGES = ("zh-hans", "en")
VERIFY_COMMAND = "python -m netcourt.ledger.verify"


@dataclass(frozen=True)
class Both:
    """One text in Chinese and in English."""

    zh: str
    en: str


def in_both(make: Callable[[], Any]) -> Both:
    """``make()`` evaluated once per language, as text."""
    texts = []
    for lang in LANGUAGES:
        with translation.override(lang):
            texts.append(str(make()))
    return Both(*texts)


def when_in_both(moment: datetime) -> Both:
    """A moment in the court's time zone, formatted per language (Babel)."""
    zone = ZoneInfo(settings.TIME_ZONE)
    return Both(
        *(
            format_datetime(moment, "medium", tzinfo=zone, locale=babel_locale(lang))
            for lang in LANGUAGES
        )
    )


def _field(model: type[models.Model], name: str) -> str:
    """The label of a model field (its translated verbose name), capitalised."""
    found = model._meta.get_field(name)
    assert isinstance(found, models.Field)
    return str(capfirst(str(found.verbose_name)))


def _labels() -> dict[str, str]:
    """Every fixed text of the list, in the active language."""
    return {
        "heading": translation.gettext("Evidence list"),
        "case_number": _field(Case, "number"),
        "case_title": _field(Case, "title"),
        "number": translation.gettext("No."),
        "title": _field(EvidenceItem, "title"),
        "purpose": _field(EvidenceItem, "purpose"),
        "source": _field(EvidenceItem, "source"),
        "submitted": translation.gettext("Submitted"),
        "file": translation.gettext("File"),
        "sha256": translation.gettext("SHA-256"),
        "late": translation.gettext("submitted late"),
        "platform": translation.gettext("platform-sourced"),
        "examination": translation.gettext("Cross-examination"),
        "no_opinion": translation.gettext("No opinion yet."),
        "reply": translation.gettext("reply"),
        "authenticity": _field(Opinion, "authenticity"),
        "legality": _field(Opinion, "legality"),
        "relevance": _field(Opinion, "relevance"),
        "nothing": translation.gettext(
            "No evidence has been submitted in this case yet, or none you may see."
        ),
        "zone": translation.gettext("Times are in the court's time zone (%(zone)s).")
        % {"zone": settings.TIME_ZONE},
        "ledger": translation.gettext(
            "The SHA-256 of each file is recorded in the court's public transparency log. "
            "The receipt of an item (on the case's evidence page) can be checked offline "
            "with %(command)s."
        )
        % {"command": VERIFY_COMMAND},
    }


def _css_string(text: str) -> str:
    """``text`` as the inside of a double-quoted CSS string, safe inside a <style> element."""
    out = []
    for char in text:
        if char in '"\\<>&' or ord(char) < 0x20:
            out.append(f"\\{ord(char):x} ")
        else:
            out.append(char)
    return "".join(out)


def page_counter() -> SafeString:
    """The CSS ``content`` of the page-number box: "第X页 共Y页 · Page X of Y"."""
    parts = []
    for lang in LANGUAGES:
        with translation.override(lang):
            pattern = translation.gettext("Page %(page)s of %(pages)s")
        marker = "\x00"
        split = pattern.replace("%(page)s", marker + "page" + marker).replace(
            "%(pages)s", marker + "pages" + marker
        )
        tokens = []
        for n, piece in enumerate(split.split(marker)):
            if n % 2:
                tokens.append(f"counter({piece})")
            elif piece:
                tokens.append(f'"{_css_string(piece)}"')
        parts.append(" ".join(tokens))
    return mark_safe(' "  ·  " '.join(parts))  # noqa: S308 — every literal is CSS-escaped


@dataclass
class OpinionRow:
    opinion: Opinion
    depth: int
    role: Both
    at: Both
    verdicts: list[tuple[Both, Both]] = field(default_factory=list)


@dataclass
class ItemRow:
    item: EvidenceItem
    submitted: Both
    size: Both
    related: Both | None
    opinions: list[OpinionRow]
    keep: bool = True


# Kept on one page: an item whose rows take at most this many lines of text (of about 60 on
# an A4 page). A longer one starts where it falls and runs on, rather than leaving a page
# nearly empty and then splitting anyway.
KEEP_LINES = 40


def _width(text: str) -> int:
    """Roughly how many Latin letters ``text`` is as wide as (a CJK character is two)."""
    return sum(2 if ord(char) >= 0x2E80 else 1 for char in text)


def _lines(item: EvidenceItem, opinions: list[OpinionRow]) -> float:
    """About how many lines ``item`` takes in the list, from the widths of its columns."""
    main = max(
        _width(item.purpose) / 30 + item.purpose.count("\n"),
        _width(item.title) / 20 + 2,
        _width(item.source) / 18,
        4,
    )
    return main + 3 + sum(3 + _width(o.opinion.comment) / 90 for o in opinions)


def _role(party: Party) -> Both:
    return in_both(party.get_role_display)


def _threads(opinions: Sequence[Opinion]) -> Iterator[tuple[Opinion, int]]:
    """The opinions in time order, each reply right after what it answers, with its depth."""
    present = {o.pk for o in opinions}
    children: dict[Any, list[Opinion]] = {}
    for opinion in opinions:
        parent = opinion.reply_to_id if opinion.reply_to_id in present else None
        children.setdefault(parent, []).append(opinion)

    def walk(parent: Any, depth: int) -> Iterator[tuple[Opinion, int]]:
        for opinion in children.get(parent, []):
            yield opinion, depth
            yield from walk(opinion.pk, depth + 1)

    return walk(None, 0)


def _opinion_rows(item: EvidenceItem, labels: dict[str, Both]) -> list[OpinionRow]:
    rows = []
    for opinion, depth in _threads(list(item.opinions.all())):
        row = OpinionRow(opinion, min(depth, 4), _role(opinion.party), when_in_both(opinion.at))
        for name in ("authenticity", "legality", "relevance"):
            if getattr(opinion, name):
                display = getattr(opinion, f"get_{name}_display")
                row.verdicts.append((labels[name], in_both(display)))
        rows.append(row)
    return rows


def _related(item: EvidenceItem) -> Both | None:
    """The warning that the platform an item comes from is a party, or related to one; the
    party's name is isolated (FSI … PDI) so that a right-to-left name keeps the sentence's
    order."""
    related = item.provenance.get("related_party") if item.platform_id else None
    if not related:
        return None
    return in_both(
        lambda: (
            translation.gettext(
                "This platform is a party to the case, or related to one: %(party)s."
            )
            % {"party": f"\u2068{related}\u2069"}
        )
    )


def _item_row(item: EvidenceItem, labels: dict[str, Both]) -> ItemRow:
    opinions = _opinion_rows(item, labels)
    return ItemRow(
        item=item,
        submitted=when_in_both(item.submitted_at),
        size=in_both(lambda: filesizeformat(item.blob.size)),
        related=_related(item),
        opinions=opinions,
        keep=_lines(item, opinions) <= KEEP_LINES,
    )


def round_in_both(number: int) -> Both:
    return in_both(lambda: translation.gettext("Round %(round)s") % {"round": number})


def _parties(
    case: Case, items: Sequence[EvidenceItem], labels: dict[str, Both]
) -> list[dict[str, Any]]:
    """Items by party (in the case's order), then by round."""
    groups = []
    for party in case.people():
        mine = [i for i in items if i.party_id == party.pk]
        if not mine:
            continue
        rounds: list[dict[str, Any]] = []
        for number in sorted({i.round for i in mine}):
            in_round = sorted((i for i in mine if i.round == number), key=lambda i: i.number)
            rounds.append(
                {
                    "label": round_in_both(number),
                    "items": [_item_row(i, labels) for i in in_round],
                }
            )
        groups.append({"party": party, "role": _role(party), "rounds": rounds})
    return groups


def _label_pairs() -> dict[str, Both]:
    """Every fixed text of the list, in both languages."""
    zh, en = (_labels_in(lang) for lang in LANGUAGES)
    return {key: Both(zh[key], en[key]) for key in zh}


def _labels_in(lang: str) -> dict[str, str]:
    with translation.override(lang):
        return _labels()


def evidence_list_pdf(case: Case, items: Sequence[EvidenceItem]) -> bytes:
    """The list of ``items`` (those the reader may see, chosen by the caller) as a PDF."""
    try:
        from weasyprint import HTML
    except OSError:  # Pango is missing on this machine
        raise Problem("receipt_unavailable", status=503) from None
    labels = _label_pairs()
    now = when_in_both(clock.now())
    generated = []
    for lang, moment in zip(LANGUAGES, (now.zh, now.en), strict=True):
        with translation.override(lang):
            generated.append(translation.gettext("Generated at %(time)s") % {"time": moment})
    html = render_to_string(
        "evidence/list_pdf.html",
        {
            "case": case,
            "court": Both(*(case.court.name_in(lang) for lang in LANGUAGES)),
            "labels": labels,
            "parties": _parties(case, items, labels),
            "generated": Both(*generated),
            "page_counter": page_counter(),
        },
    )
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf
