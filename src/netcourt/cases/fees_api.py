"""Fees over HTTP: quote the acceptance fee of a case before filing it."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, Router, Schema
from pydantic import BeforeValidator

from netcourt.core.i18n import current_language
from netcourt.core.problems import Problem
from netcourt.courts.models import Court
from netcourt.procedure import FeeError, PackError, load_pack, quote, quote_to_dict

router = Router(tags=["fees"])


def _number_as_text(value: object) -> object:
    """A JSON number as the decimal it shows (123456.78 → "123456.78", 1e16 →
    "10000000000000000", as Decimal fields read it elsewhere), for the fee engine to read
    exactly; anything else as it came."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{Decimal(str(value)):f}"
    return value


class FeeQuoteIn(Schema):
    pack: str | None = Field(default=None, max_length=100)
    court: str | None = Field(default=None, max_length=100, pattern=r"^[-a-zA-Z0-9_]+$")
    kind: str = Field(min_length=1, max_length=100)
    amount: Annotated[str | None, BeforeValidator(_number_as_text)] = Field(
        default=None, max_length=40, description='the amount claimed, e.g. "123456.78"'
    )
    track: str | None = Field(default=None, max_length=100)
    counterclaim: bool = False
    reductions: list[str] = Field(default_factory=list, max_length=20)


class BasisOut(Schema):
    article: str
    text: str


class FeeLineOut(Schema):
    code: str
    label: str
    amount: str
    basis: BasisOut


class FeeQuoteOut(Schema):
    total: str
    currency: str
    lines: list[FeeLineOut]


@router.post(
    "/quote",
    response=FeeQuoteOut,
    summary="Quote the acceptance fee, line by line, each line with its article",
)
def fee_quote(request: HttpRequest, payload: FeeQuoteIn) -> dict[str, Any]:
    pack_name = payload.pack or settings.NETCOURT_DEFAULT_PACK
    court_id = None
    if payload.court is not None:
        court = Court.objects.filter(slug=payload.court, active=True).first()
        if court is None or payload.pack not in (None, court.pack_name):
            raise Problem("unknown_court", field="court", status=422)
        pack_name, court_id = court.pack_name, court.pack_court_id
    try:
        pack = load_pack(pack_name)
    except PackError:
        raise Problem("unknown_pack", field="pack", status=422) from None
    lang = current_language()
    try:
        result = quote(
            pack,
            kind=payload.kind,
            court=court_id,
            amount=payload.amount,
            track=payload.track,
            reductions=payload.reductions,
            counterclaim=payload.counterclaim,
        )
    except FeeError as error:
        raise Problem(error.code, error.message.get(lang), field=error.field, status=422) from None
    return quote_to_dict(result, lang)
