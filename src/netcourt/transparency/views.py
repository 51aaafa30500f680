"""The public log: C2SP tlog-tiles at /log/, JSON proofs, and the RFC 3161 authority at /tsa.

Everything here is public and carries no personal data: leaf records hold identifiers and
hashes only. Full tiles never change and are served as immutable; the checkpoint and partial
tiles change as the log grows.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from netcourt.cases import actions as case_actions
from netcourt.cases import policy as case_policy
from netcourt.core import clock
from netcourt.core.numbers import whole_number
from netcourt.core.problems import Problem, problem_response
from netcourt.ledger.errors import LedgerError
from netcourt.ledger.tiles import TILE_HEIGHT, entry_bundle, parse_tile_path
from netcourt.transparency import keys
from netcourt.transparency.actions import latest_checkpoint
from netcourt.transparency.models import LogEntry, LogNode
from netcourt.transparency.proofs import consistency_proof, inclusion_proof

IMMUTABLE = "public, max-age=31536000, immutable"
FRESH = "no-cache"
MAX_TSA_REQUEST = 4096


def _text(body: str | bytes, content_type: str, cache: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Cache-Control"] = cache
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def about(request: HttpRequest) -> HttpResponse:
    """The log explained, for people: what it holds, its latest signed checkpoint, the court's
    key, and how to check a receipt offline."""
    context = {"checkpoint": latest_checkpoint(), "key": keys.log_verifier_key()}
    return render(request, "transparency/about.html", context)


@require_GET
def checkpoint(request: HttpRequest) -> HttpResponse:
    return _text(latest_checkpoint().note, "text/plain; charset=utf-8", FRESH)


@require_GET
def verifier_key(request: HttpRequest) -> HttpResponse:
    return _text(keys.log_verifier_key() + "\n", "text/plain; charset=utf-8", FRESH)


def _not_found(request: HttpRequest, detail: str) -> HttpResponse:
    return problem_response(request, Problem("log_not_found", detail, status=404))


@require_GET
def tile(request: HttpRequest, path: str) -> HttpResponse:
    try:
        ref = parse_tile_path("tile/" + path)
    except LedgerError:
        return _not_found(request, _("There is no tile at this path (C2SP tlog-tiles)."))
    size = latest_checkpoint().size
    level = ref.level * TILE_HEIGHT
    first = ref.index << TILE_HEIGHT
    if first + ref.width > size >> level:
        return _not_found(request, _("The log does not have this tile yet."))
    if ref.entries:
        records = LogEntry.objects.filter(index__gte=first, index__lt=first + ref.width).order_by(
            "index"
        )
        body = entry_bundle([r.record.encode("utf-8") for r in records])
    else:
        hashes = LogNode.objects.filter(
            level=level, index__gte=first, index__lt=first + ref.width
        ).order_by("index")
        body = b"".join(bytes.fromhex(n.hash) for n in hashes)
    cache = FRESH if ref.partial else IMMUTABLE
    return _text(body, "application/octet-stream", cache)


def _int(request: HttpRequest, name: str) -> int:
    value = whole_number(request.GET.get(name, ""), signed=True)
    if value is None:
        raise Problem(
            "validation_error", _("%(name)s must be a whole number.") % {"name": name}, status=422
        )
    if value < 0:
        raise Problem(
            "validation_error", _("%(name)s cannot be negative.") % {"name": name}, status=422
        )
    return value


@require_GET
def inclusion(request: HttpRequest) -> HttpResponse:
    """``?leaf_hash=<hex>&tree_size=N`` (or ``?index=I&tree_size=N``): RFC 9162 get-proof."""
    try:
        size = _int(request, "tree_size")
        if "leaf_hash" in request.GET:
            entry = LogEntry.objects.filter(
                leaf_hash=request.GET["leaf_hash"].lower(), index__isnull=False
            ).first()
            if entry is None or entry.index is None:
                raise Problem("log_not_found", _("No integrated leaf has this hash."), status=404)
            index = entry.index
        else:
            index = _int(request, "index")
        if size > latest_checkpoint().size or index >= size:
            raise Problem("log_not_found", _("The leaf is not in a tree of this size."), status=404)
    except Problem as problem:
        return problem_response(request, problem)
    return JsonResponse(
        {
            "leaf_index": index,
            "tree_size": size,
            "inclusion_path": [h.hex() for h in inclusion_proof(index, size)],
        }
    )


@require_GET
def consistency(request: HttpRequest) -> HttpResponse:
    """``?first=M&second=N``: RFC 9162 get-sth-consistency."""
    try:
        first, second = _int(request, "first"), _int(request, "second")
        if first > second or second > latest_checkpoint().size:
            raise Problem("log_not_found", _("The log has no such pair of tree sizes."), status=404)
    except Problem as problem:
        return problem_response(request, problem)
    return JsonResponse(
        {
            "first": first,
            "second": second,
            "consistency": [h.hex() for h in consistency_proof(first, second)],
        }
    )


@csrf_exempt
@require_http_methods(["POST"])
def timestamp_authority(request: HttpRequest) -> HttpResponse:
    """The built-in RFC 3161 authority over HTTP (RFC 3161 §3.4)."""
    if request.content_type != "application/timestamp-query":
        return HttpResponse(status=415)
    body = request.read(MAX_TSA_REQUEST + 1)
    if len(body) > MAX_TSA_REQUEST:
        return HttpResponse(status=413)
    reply = keys.authority().respond(body, now=clock.now(), serial=keys.new_serial())
    return HttpResponse(reply, content_type="application/timestamp-reply")


def json_download(body: dict[str, Any], name: str) -> HttpResponse:
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False, indent=2) + "\n",
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_GET
def event_receipt(request: HttpRequest, case_id: UUID, seq: int) -> HttpResponse:
    try:
        case = case_policy.get_case(request.user, case_id)
    except Problem as problem:
        return render(request, "cases/problem.html", {"problem": problem}, status=problem.status)
    event = case.events.filter(seq=seq).first()
    if event is None:
        return render(request, "cases/problem.html", {"problem": Problem("not_found")}, status=404)
    case_actions.log_access(request.user, case, f"event.receipt:{seq}")
    return json_download(
        case_actions.event_receipt(request.user, event), f"receipt-event-{case.pk}-{seq}.json"
    )
