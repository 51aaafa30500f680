"""The sandbox's JSON API (secret key) and its hosted checkout page (the payer's browser)."""

from __future__ import annotations

import hmac
import json
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from netcourt.paysandbox import actions
from netcourt.paysandbox.models import IntentStatus, SandboxIntent
from netcourt.procedure.money import MoneyError, parse_money


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


def _api_down() -> JsonResponse | None:
    """The switch that simulates a provider that does not answer in time."""
    if settings.NETCOURT_SANDBOX_PAY_API == "timeout":
        return _error(504, "timeout", "The payment service did not answer in time.")
    return None


def _authorised(request: HttpRequest) -> bool:
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").encode()
    return hmac.compare_digest(given, settings.NETCOURT_SANDBOX_PAY_SECRET.encode())


def _authorised_with_key(request: HttpRequest) -> tuple[str, JsonResponse | None]:
    """The request's Idempotency-Key, or the refusal when the secret key or the
    Idempotency-Key is missing (or the service is switched to time out)."""
    down = _api_down()
    if down is not None:
        return "", down
    if not _authorised(request):
        return "", _error(401, "unauthorized", "Give the secret key as a bearer token.")
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key or len(key) > 255:
        return "", _error(400, "idempotency_key_required", "Give an Idempotency-Key header.")
    return key, None


def _amount(raw: object) -> Decimal | None:
    """``amount`` as a client sends it, text ("25.00") or a whole number, read as the court
    reads an amount (:func:`netcourt.procedure.money.parse_money`); None when it is not one:
    another script's digits, "1_0", "1e3", a float, a fraction of a cent, absurdly large."""
    try:
        return parse_money(raw)
    except MoneyError:
        return None


def _intent_response(request: HttpRequest, intent: SandboxIntent, status: int) -> JsonResponse:
    url = request.build_absolute_uri(actions.checkout_path(intent))
    return JsonResponse(actions.intent_json(intent, url), status=status)


@csrf_exempt
@require_http_methods(["POST"])
def create_intent(request: HttpRequest) -> JsonResponse:
    key, refusal = _authorised_with_key(request)
    if refusal is not None:
        return refusal
    try:
        data = json.loads(request.body)
        amount = _amount(data["amount"])
        currency, reference = str(data["currency"]), str(data.get("reference", ""))[:200]
        return_url = str(data["return_url"])
    except (ValueError, KeyError, TypeError):
        return _error(400, "invalid_request", "amount, currency and return_url are required.")
    if amount is None or amount <= 0:
        return _error(400, "invalid_amount", "The amount must be positive, in whole cents.")
    if len(currency) != 3 or not return_url.startswith(("http://", "https://")):
        return _error(400, "invalid_request", "A three-letter currency and an http(s) return_url.")
    try:
        intent, created = actions.create_intent(key, amount, currency, reference, return_url)
    except actions.KeyReused:
        return _error(422, "idempotency_key_reused", "The key was used for another request.")
    return _intent_response(request, intent, 201 if created else 200)


@require_http_methods(["GET"])
def retrieve_intent(request: HttpRequest, intent_id: str) -> JsonResponse:
    down = _api_down()
    if down is not None:
        return down
    if not _authorised(request):
        return _error(401, "unauthorized", "Give the secret key as a bearer token.")
    intent = SandboxIntent.objects.filter(id=intent_id).first()
    if intent is None:
        return _error(404, "not_found", "No such intent.")
    return _intent_response(request, intent, 200)


@csrf_exempt
@require_http_methods(["POST"])
def create_refund(request: HttpRequest, intent_id: str) -> JsonResponse:
    """Give back ``amount`` (all or part) of a paid intent; the same Idempotency-Key with
    the same body gives the same refund."""
    key, refusal = _authorised_with_key(request)
    if refusal is not None:
        return refusal
    try:
        data = json.loads(request.body)
        amount = _amount(data["amount"])
        reference = str(data.get("reference", ""))[:255]
    except (ValueError, KeyError, TypeError):
        return _error(400, "invalid_request", "amount is required.")
    if amount is None or amount <= 0:
        return _error(400, "invalid_amount", "The amount must be positive, in whole cents.")
    try:
        refund, created = actions.create_refund(intent_id, key, amount, reference)
    except SandboxIntent.DoesNotExist:
        return _error(404, "not_found", "No such intent.")
    except actions.KeyReused:
        return _error(422, "idempotency_key_reused", "The key was used for another request.")
    except actions.RefundRefused as refused:
        message = {
            "intent_not_paid": "The intent has not been paid.",
            "amount_too_large": "More than was paid, less what was refunded already.",
        }[refused.code]
        return _error(409 if refused.code == "intent_not_paid" else 422, refused.code, message)
    return JsonResponse(actions.refund_json(refund), status=201 if created else 200)


def _back(intent: SandboxIntent) -> str:
    separator = "&" if "?" in intent.return_url else "?"
    return f"{intent.return_url}{separator}intent={intent.id}"


@require_http_methods(["GET", "POST"])
def checkout(request: HttpRequest, intent_id: str) -> HttpResponse:
    """The hosted checkout: the payer types a test card number; the browser goes back to the
    court's return URL with ``?intent=…`` whatever the outcome."""
    intent = SandboxIntent.objects.filter(id=intent_id).first()
    if intent is None:
        raise Http404()
    context: dict[str, Any] = {"intent": intent, "error": ""}
    if intent.status == IntentStatus.SUCCEEDED:
        return redirect(_back(intent))
    if request.method == "POST":
        paid = actions.pay(intent.id, request.POST.get("card_number", ""))
        if paid is not None:
            return redirect(_back(paid))
        context["error"] = _("This is not one of the test cards listed below.")
        context["card_number"] = request.POST.get("card_number", "")[:30]
    elif intent.last_error:
        context["error"] = _("The card was declined. Try another card.")
    return render(
        request,
        "paysandbox/checkout.html",
        context,
        status=422 if request.method == "POST" else 200,
    )
