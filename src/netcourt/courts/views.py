from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from netcourt.cases import policy, present
from netcourt.core.i18n import current_language
from netcourt.courts.models import Court
from netcourt.courts.queue import filing_queue


@login_required
def queue(request: HttpRequest, slug: str) -> HttpResponse:
    court = Court.objects.filter(slug=slug).first()
    if court is None or not policy.is_clerk_of(request.user, court.pk):
        return render(request, "courts/not_found.html", status=404)
    lang = current_language()
    rows = [
        {
            "case": present.summary(item.case),
            "due": item.due,
            "days_left": item.days_left,
            "overdue": item.days_left is not None and item.days_left < 0,
            "days_overdue": -item.days_left
            if item.days_left is not None and item.days_left < 0
            else 0,
        }
        for item in filing_queue(court)
    ]
    return render(
        request,
        "courts/queue.html",
        {"court": court, "court_name": court.name_in(lang), "rows": rows},
    )
