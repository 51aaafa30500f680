"""The double-entry fee ledger: postings that balance, and the check that they do."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal

from django.db.models import Sum

from netcourt.cases.models import Case
from netcourt.core import clock
from netcourt.payments.models import LedgerEntry, PaymentIntent


def post(
    case: Case,
    amount: Decimal,
    currency: str,
    debit: str,
    credit: str,
    memo: str,
    intent: PaymentIntent | None = None,
) -> uuid.UUID:
    """Move ``amount`` from ``credit`` to ``debit``: one transaction of two entries. Call it
    inside the transaction of the change it records."""
    if amount <= 0:
        raise ValueError("a posting moves a positive amount")
    txn = uuid.uuid4()
    at = clock.now()
    common = {"transaction": txn, "currency": currency, "case": case, "intent": intent}
    LedgerEntry.objects.bulk_create(
        [
            LedgerEntry(account=debit, debit=amount, memo=memo, at=at, **common),
            LedgerEntry(account=credit, credit=amount, memo=memo, at=at, **common),
        ]
    )
    return txn


def unbalanced() -> Sequence[uuid.UUID]:
    """The transactions whose debits and credits differ: none, ever."""
    return [
        row["transaction"]
        for row in LedgerEntry.objects.values("transaction", "currency").annotate(
            debits=Sum("debit"), credits=Sum("credit")
        )
        if row["debits"] != row["credits"]
    ]


def balance(account: str) -> Decimal:
    """Debits minus credits on ``account``."""
    totals = LedgerEntry.objects.filter(account=account).aggregate(d=Sum("debit"), c=Sum("credit"))
    return (totals["d"] or Decimal(0)) - (totals["c"] or Decimal(0))
