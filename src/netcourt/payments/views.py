"""Paying a fee online: start (a button on the case page), come back, and the provider's
webhooks. Thin: parse, authorise, call one action, render."""

from __future__ import annotations

from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from netcourt.cases import actions as case_actions
from netcourt.core.problems import Problem, problem_response, request_too_large
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
        intent = paid_intent(request.user, case_id, intent_id)
    except Problem as problem:
        return render(request, "cases/problem.html", {"problem": problem}, status=problem.status)
    case_actions.log_access(request.user, intent.case, f"fee.receipt:{intent.pk}")
    pdf = receipt_pdf(intent)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="receipt-{intent_id}.pdf"'
    return response


# Why a webhook was refused, in the reader's language (the reasons the checks give).
WEBHOOK_REASONS = {
    "not this court's provider": _("The court does not use this payment service."),
    "unknown intent": _("The court knows no such payment."),
    "unknown refund": _("The court knows no such refund."),
    "signature missing": _("The webhook is not signed."),
    "signature invalid": _("The webhook's signature does not verify."),
    "timestamp outside the tolerance": _("The webhook was signed too long ago, or in the future."),
    "body malformed": _("The webhook's body is not what the payment service sends."),
}


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, provider: str) -> HttpResponse:
    """The provider tells the court what happened. 2xx means "taken, do not send again"."""
    try:
        outcome = actions.receive_webhook(provider, request.headers, request.body)
    except RequestDataTooBig:
        return problem_response(request, request_too_large(settings.DATA_UPLOAD_MAX_MEMORY_SIZE))
    except WebhookRejected as error:
        reason = WEBHOOK_REASONS.get(str(error))
        detail = str(reason) if reason is not None else None
        return problem_response(request, Problem("webhook_rejected", detail, status=400))
    except ProviderError:
        # The court could not check with the provider: the provider should retry later.
        return problem_response(request, Problem("payment_unavailable", status=503))
    return JsonResponse({"outcome": outcome})
