"""Paying a fee online: start (a button on the case page), come back, and the provider's
webhooks. Thin: parse, authorise, call one action, render."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from netcourt.core.problems import Problem, problem_response
from netcourt.payments import actions
from netcourt.payments.models import RefundReason
from netcourt.payments.policy import paid_intent
from netcourt.payments.providers import ProviderError, WebhookRejected
from netcourt.payments.receipt import receipt_pdf


@login_required
@require_POST
def pay(request: HttpRequest, case_id: UUID) -> HttpResponse:
    back = request.build_absolute_uri(reverse("payments:return", args=[case_id]))
    try:
        intent = actions.start_payment(request.user, case_id, back)
    except Problem as problem:
        if problem.status == 404:
            return render(request, "cases/problem.html", {"problem": problem}, status=404)
        messages.error(request, problem.message)
        return redirect("cases:detail", case_id)
    return redirect(intent.checkout_url)


@login_required
@require_GET
def returned(request: HttpRequest, case_id: UUID) -> HttpResponse:
    try:
        intent = actions.intent_for_return(request.user, case_id, request.GET.get("intent", ""))
    except Problem as problem:
        return render(request, "cases/problem.html", {"problem": problem}, status=problem.status)
    refund = intent.refunds.filter(reason=RefundReason.NOT_APPLIED).first()
    return render(
        request, "payments/return.html", {"intent": intent, "case_id": case_id, "refund": refund}
    )


@login_required
@require_GET
def receipt(request: HttpRequest, case_id: UUID, intent_id: UUID) -> HttpResponse:
    """The bilingual PDF receipt of a fee paid online, for the people of the case."""
    try:
        pdf = receipt_pdf(paid_intent(request.user, case_id, intent_id))
    except Problem as problem:
        return render(request, "cases/problem.html", {"problem": problem}, status=problem.status)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="receipt-{intent_id}.pdf"'
    return response


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, provider: str) -> HttpResponse:
    """The provider tells the court what happened. 2xx means "taken, do not send again"."""
    try:
        outcome = actions.receive_webhook(provider, request.headers, request.body)
    except WebhookRejected as error:
        return problem_response(request, Problem("webhook_rejected", str(error), status=400))
    except ProviderError:
        # The court could not check with the provider: the provider should retry later.
        return problem_response(request, Problem("payment_unavailable", status=503))
    return JsonResponse({"outcome": outcome})
