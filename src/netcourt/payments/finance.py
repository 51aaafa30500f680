"""The court's finance office: what came in, what is pending, what aid was granted, and every
ledger entry as CSV — all for one court, for its clerks and administrators only."""

from __future__ import annotations

import csv
from datetime import timedelta
from decimal import Decimal

from django.db.models import Sum
from django.db.models.functions import TruncDate
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from netcourt.cases.models import Case
from netcourt.core import clock
from netcourt.core.i18n import current_language
from netcourt.core.money import format_money
from netcourt.core.problems import NotFound
from netcourt.courts.models import Court
from netcourt.payments.models import (
    Account,
    IntentStatus,
    LedgerEntry,
    PaymentIntent,
    Refund,
    RefundStatus,
)
from netcourt.payments.policy import finance_court

DAYS_SHOWN = 30


def _court(request: HttpRequest, slug: str) -> Court:
    try:
        return finance_court(request.user, slug)
    except NotFound:
        raise Http404 from None


@require_GET
def finance(request: HttpRequest, slug: str) -> HttpResponse:
    court = _court(request, slug)
    lang = current_language()
    since = clock.today() - timedelta(days=DAYS_SHOWN - 1)
    received = (
        LedgerEntry.objects.filter(
            case__court=court, account=Account.FEES_RECEIVED, at__date__gte=since
        )
        .annotate(day=TruncDate("at"))
        .values("day", "currency")
        .annotate(total=Sum("credit"))
        .order_by("-day")
    )
    pending = (
        PaymentIntent.objects.filter(case__court=court, status=IntentStatus.PENDING)
        .select_related("case")
        .order_by("created_at")
    )
    refunds = [
        {
            "case": refund.case,
            "amount": format_money(refund.amount, refund.currency, lang),
            "status": refund.get_status_display(),
            "due_by": refund.due_by,
            "overdue": refund.status != RefundStatus.SUCCEEDED and refund.due_by < clock.today(),
        }
        for refund in Refund.objects.filter(case__court=court)
        .select_related("case")
        .order_by("-created_at")[:200]
    ]
    aid_labels = {rule.kind: rule.label.get(lang) for rule in court.pack.fees.aid}
    aided = [
        {
            "case": case,
            "aid": aid_labels.get(case.fee_aid.get("kind", ""), case.fee_aid.get("kind", "")),
            "share": case.fee_aid.get("share"),
        }
        for case in Case.objects.filter(court=court)
        .exclude(fee_aid={})
        .order_by("-updated_at")[:200]
    ]
    return render(
        request,
        "payments/finance.html",
        {
            "court": court,
            "days": DAYS_SHOWN,
            "received": [
                {"day": r["day"], "total": format_money(r["total"], r["currency"], lang)}
                for r in received
            ],
            "pending": [
                {
                    "case": intent.case,
                    "amount": format_money(intent.amount, intent.currency, lang),
                    "since": intent.created_at,
                }
                for intent in pending
            ],
            "aided": aided,
            "refunds": refunds,
        },
    )


@require_GET
def ledger_csv(request: HttpRequest, slug: str) -> HttpResponse:
    """Every ledger entry of the court's cases, oldest first, exact to the fen; the last line
    totals debits and credits, which are equal."""
    court = _court(request, slug)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="ledger-{court.slug}.csv"'
    writer = csv.writer(response)
    writer.writerow(
        ["at", "transaction", "account", "debit", "credit", "currency", "case", "intent", "memo"]
    )
    debits = credits = Decimal(0)
    entries = (
        LedgerEntry.objects.filter(case__court=court).select_related("case").order_by("at", "id")
    )
    for entry in entries:
        debits += entry.debit
        credits += entry.credit
        writer.writerow(
            [
                entry.at.isoformat(),
                entry.transaction,
                entry.account,
                f"{entry.debit:.2f}",
                f"{entry.credit:.2f}",
                entry.currency,
                entry.case.number or entry.case_id,
                entry.intent_id or "",
                entry.memo,
            ]
        )
    writer.writerow(["total", "", "", f"{debits:.2f}", f"{credits:.2f}", "", "", "", ""])
    return response
