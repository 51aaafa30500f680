"""The receipt for a fee paid online: one bilingual PDF (Chinese and English on the same page),
rendered by WeasyPrint with the Noto CJK fonts. A payment the case could not take (it came
after the case closed, say) gets a receipt of payment that says it was not applied and is
refunded in full, not a fee receipt.

WeasyPrint needs Pango, a system library (Debian: libpango-1.0-0, brought in by Chromium and
by most desktops); without it the receipt is refused with ``receipt_unavailable`` and the rest
of the court works on.
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import translation

from netcourt.cases.models import Case
from netcourt.core.money import format_money
from netcourt.core.problems import Problem
from netcourt.payments.models import LedgerEntry, PaymentIntent, Refund, RefundReason


def receipt_pdf(intent: PaymentIntent) -> bytes:
    try:
        from weasyprint import HTML
    except OSError:  # Pango is missing on this machine
        raise Problem("receipt_unavailable", status=503) from None
    case: Case = intent.case
    entry = LedgerEntry.objects.filter(intent=intent).order_by("at", "id").first()
    texts = {}
    for lang in ("zh-hans", "en"):
        with translation.override(lang):
            texts[lang] = {
                "court": case.court.name_in(lang),
                "amount": format_money(intent.amount, intent.currency, lang),
                "cause": case.court.pack.categories[case.category].label.get(lang),
            }
    plaintiffs = "; ".join(p.name for p in case.people() if p.role == "plaintiff")
    html = render_to_string(
        "payments/receipt.html",
        {
            "case": case,
            "plaintiffs": plaintiffs,
            "intent": intent,
            "transaction": entry.transaction if entry else "",
            "paid_at": entry.at if entry else intent.updated_at,
            "zh": texts["zh-hans"],
            "en": texts["en"],
            # A payment no case could take is a receipt of money, not of a fee.
            "not_applied": Refund.objects.filter(
                intent=intent, reason=RefundReason.NOT_APPLIED
            ).exists(),
        },
    )
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf
