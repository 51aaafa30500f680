"""Idempotency-Key for every POST that creates something.

The action and the record of its answer commit in one transaction. A second request with the
same key either finds the record (and replays it) or loses the race on the unique constraint,
rolls its own work back and replays the winner's answer. Either way the thing is created once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest

from netcourt.core import clock
from netcourt.core.models import IdempotencyRecord
from netcourt.core.problems import Problem

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def _fingerprint(request: HttpRequest, headers: Sequence[str] = ()) -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode() if request.method else b"")
    digest.update(b"\0" + request.path.encode() + b"\0")
    for name in headers:  # what the request says in headers rather than in its body
        digest.update(name.encode() + b":" + request.headers.get(name, "").encode() + b"\0")
    digest.update(_canonical_body(request))
    return digest.hexdigest()


def _canonical_body(request: HttpRequest) -> bytes:
    """The body as what it says: a JSON body in one canonical form (keys sorted, no spaces),
    so that a retry whose client wrote the same JSON differently (keys reordered, other
    spacing) is the same request; any other body as sent."""
    body = request.body
    if request.content_type != "application/json":
        return body
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, or nested past what Python reads
        return body  # refused by the endpoint's own parsing, if it reads a body at all
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8", "surrogatepass"
    )


def _replay(record: IdempotencyRecord, fingerprint: str) -> tuple[int, Any]:
    if record.fingerprint != fingerprint:
        raise Problem("idempotency_key_reused", status=422)
    return record.status, record.body


def given_key(request: HttpRequest) -> str | None:
    """The request's Idempotency-Key, or None when it sends none; refused
    (``idempotency_key_invalid``) when empty, too long or unprintable."""
    given = request.headers.get(HEADER)
    if given is None:
        return None
    given = given.strip()
    if not given or len(given) > MAX_KEY_LENGTH or not given.isprintable():
        raise Problem("idempotency_key_invalid", field=HEADER)
    return given


def replay(request: HttpRequest) -> tuple[int, Any] | None:
    """The stored answer when this request's Idempotency-Key was used already, else None: for
    endpoints that do slow work before `run` (storing a file) and must not redo it. A key
    that is not valid is refused here, before that work."""
    key = given_key(request)
    if key is None:
        return None
    user: Any = request.user
    existing = IdempotencyRecord.objects.filter(user=user, key=key).first()
    return None if existing is None else _replay(existing, _fingerprint(request))


def run(
    request: HttpRequest,
    create: Callable[[], tuple[int, Any]],
    *,
    headers: Sequence[str] = (),
) -> tuple[int, Any]:
    """Run ``create`` once per (user, Idempotency-Key); return (status, JSON-able body).
    ``headers`` names the request headers that, with the body, say what to create (a tus
    creation's ``Upload-Length``): the same key with other values is a different request."""
    key = given_key(request)
    if key is None:
        return create()
    user: Any = request.user
    fingerprint = _fingerprint(request, headers)
    existing = IdempotencyRecord.objects.filter(user=user, key=key).first()
    if existing is not None:
        return _replay(existing, fingerprint)
    try:
        with transaction.atomic():
            status, body = create()
            IdempotencyRecord.objects.create(
                user=user,
                key=key,
                fingerprint=fingerprint,
                status=status,
                body=json.loads(json.dumps(body, default=str)),
                created_at=clock.now(),
            )
    except (Problem, IntegrityError):
        # A retry racing its original fails on the original's effects (say, a stale version)
        # or on the key itself; if the original has finished meanwhile, its answer is the
        # answer. Everything ``create`` wrote is rolled back by then.
        winner = IdempotencyRecord.objects.filter(user=user, key=key).first()
        if winner is None:
            raise
        return _replay(winner, fingerprint)
    return status, body
