"""Errors with a stable code: RFC 9457 problem+json in the API, translated messages in forms."""

from __future__ import annotations

import json
import re
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

PROBLEM_TYPE_BASE = "https://netcourt.example/problems/"
# The members every problem has; a problem's own extra members take other names.
RESERVED = frozenset({"type", "title", "status", "code", "detail", "instance", "field"})

TITLES: dict[str, Promise] = {
    "validation_error": _("The request is not valid."),
    "server_error": _("The court's server could not complete the request."),
    "not_found": _("Not found."),
    "not_authenticated": _("Sign in to continue."),
    "permission_denied": _("You may not do this."),
    "csrf_failed": _("The request did not carry the page's security token: reload the page."),
    "method_not_allowed": _("This address does not take this method."),
    "stale_version": _("The case changed since you opened it."),
    "wrong_state": _("This cannot be done at the case's current stage."),
    "role_not_allowed": _("Your role in this case does not allow this."),
    "unknown_event": _("There is no such step in this court's procedure."),
    "input_missing": _("A required answer is missing."),
    "input_invalid": _("An answer is not valid."),
    "limit_reached": _("This step cannot be taken again."),
    "not_competent": _("This court cannot hear the case."),
    "incomplete_filing": _("The filing is not complete."),
    "idempotency_key_reused": _("This Idempotency-Key was used for a different request."),
    "idempotency_key_invalid": _("The Idempotency-Key header is not valid."),
    "no_eligible_judge": _("No judge of this court is available for assignment."),
    "rate_limited": _("Too many requests."),
    "second_factor_required": _("Set up a second factor first."),
    "assurance_required": _("The court must verify who you are first."),
    "step_up_required": _("Confirm it is you with your second factor first."),
    "receipt_unavailable": _("The receipt cannot be made on this server just now."),
    "identity_number_invalid": _("The document number is not valid."),
    "identity_in_use": _("This identity document is already in use."),
    "eid_unavailable": _("The identity provider cannot be reached."),
    "eid_refused": _("The identity provider did not confirm who you are."),
    "eid_invalid": _("The identity provider's answer was not accepted."),
    "unknown_pack": _("There is no such procedure pack."),
    "unknown_court": _("There is no such court."),
    "unknown_fee_class": _("There is no such kind of case in the fee schedule."),
    "unknown_track": _("There is no such track in this court's procedure."),
    "unknown_reduction": _("There is no such fee reduction."),
    "reduction_not_allowed": _("This fee reduction follows from the case itself."),
    "court_required": _("Say which court: the fee depends on it."),
    "court_amount_missing": _("The fee schedule has no figure for this court."),
    "amount_required": _("The amount claimed is required."),
    "amount_not_allowed": _("This kind of case is charged per case, without an amount."),
    "amount_invalid": _("The amount is not valid."),
    "amount_too_large": _("The amount is too large."),
    "payment_not_due": _("No fee is waiting to be paid online."),
    "payment_unavailable": _("The payment service cannot be reached."),
    "webhook_rejected": _("The webhook was not accepted."),
    "own_endpoint": _("This step has a page and an endpoint of its own."),
    "evidence_not_taken": _("This court takes no evidence files."),
    "file_name_invalid": _("The file name is not valid."),
    "file_empty": _("The file is empty."),
    "file_too_large": _("The file is too large."),
    "file_type_not_allowed": _("The court does not take files of this type."),
    "file_active_content": _("The file contains active content."),
    "file_malware": _("The file contains malicious software."),
    "file_scanner_unavailable": _("The virus scanner cannot be reached."),
    "opinion_given": _("Your side has given its opinion on this item."),
    "upload_offset_mismatch": _("The upload is at another offset."),
    "upload_too_long": _("More bytes arrived than announced."),
    "upload_incomplete": _("The file has not arrived in full."),
    "upload_invalid": _("The upload request is not valid."),
    "platform_signature_invalid": _("The platform's signature does not verify."),
    "platform_record_invalid": _("The platform's record is not valid."),
    "platform_inactive": _("The court does not take records from this platform now."),
    "export_request_not_found": _("There is no such export request for this platform."),
    "export_request_used": _("This export request was used already."),
    "export_request_expired": _("This export request has expired."),
    "log_not_found": _("The log has no such entry."),
    "request_too_large": _("The request is too large."),
    "range_not_satisfiable": _("The file has no bytes in the range asked for."),
    "credit_code_invalid": _("The unified social credit code is not valid."),
    "organisation_unknown": _("No organisation with this code is registered."),
    "duplicate_request": _("A request like this one is waiting or granted already."),
    "document_already_sent": _("The document was sent already."),
    "hearing_not_open": _("This hearing is not open to enter."),
    "hearing_too_early": _("The hearing cannot be entered yet."),
    "hearing_locked": _("The judge has locked the hearing."),
    "hearing_full": _("The hearing has as many public viewers as it can take."),
    "hearing_removed": _("The judge removed you from this hearing."),
    "attends_in_court": _("You take part in this hearing in the courtroom."),
    "join_token_invalid": _("This entry pass is not valid."),
    "join_token_used": _("This entry pass was used already."),
    "join_token_expired": _("This entry pass has expired."),
    "screen_not_allowed": _("Only the judge, or whom the judge allows, shares a screen."),
    "schedule_too_soon": _("The hearing is too soon for the notice the law requires."),
    "schedule_outside_sitting": _("The court does not sit at this time."),
    "schedule_clash": _("Someone who must attend has another commitment at this time."),
    "schedule_party_unavailable": _("A party said it cannot attend on this day."),
    "time_zone_invalid": _("This is not a time zone the court knows."),
    "record_stale": _("The record changed since you opened it."),
    "record_closed": _("The record is closed."),
    "record_not_ready": _("The record cannot be signed yet."),
    "asynchronous_not_allowed": _("This case cannot be tried asynchronously."),
}


class Problem(Exception):
    """A refusal that the user must see: code is stable, message is translated when rendered."""

    status = 400

    def __init__(
        self,
        code: str,
        detail: str | Promise | None = None,
        *,
        status: int | None = None,
        field: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        if code not in TITLES:
            raise ValueError(f"unregistered problem code {code!r}")
        if extra and RESERVED.intersection(extra):  # RFC 9457: detail is a string, and so on
            raise ValueError(f"extra members {sorted(RESERVED.intersection(extra))} are reserved")
        self.code = code
        self.detail = detail
        self.field = field
        self.extra = extra or {}
        if status is not None:
            self.status = status
        super().__init__(code)

    @property
    def title(self) -> str:
        return str(TITLES[self.code])

    @property
    def message(self) -> str:
        return str(self.detail) if self.detail else self.title

    def as_dict(self, instance: str = "") -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEM_TYPE_BASE + self.code,
            "title": self.title,
            "status": self.status,
            "code": self.code,
            "detail": self.message,
        }
        if instance:
            body["instance"] = instance
        if self.field:
            body["field"] = self.field
        body.update(self.extra)
        return body


class NotFound(Problem):
    status = 404

    def __init__(self) -> None:
        super().__init__("not_found")


class Conflict(Problem):
    status = 409


def field_problem(field: str, reason: str, *, code: str = "validation_error") -> Problem:
    """A 422 about one field of the body or the query, its detail naming the field and why
    (``reason``, translated, a phrase: "not a cursor this server gave")."""
    return Problem(
        code,
        gettext("“%(field)s”: %(reason)s") % {"field": field, "reason": reason},
        status=422,
        field=field,
        extra={"errors": [{"field": field, "message": reason, "type": "value_error"}]},
    )


def request_too_large(limit: int) -> Problem:
    """A request body larger than the court takes (413), ``limit`` bytes at most."""
    return Problem(
        "request_too_large",
        gettext("The request is larger than the court takes (%(bytes)s bytes at most).")
        % {"bytes": limit},
        status=413,
        extra={"max_bytes": limit},
    )


# A lone UTF-16 surrogate is no character: UTF-8 cannot encode it. Text from a request that
# holds one (the API's parser refuses such a body, see netcourt.core.api) shows U+FFFD here.
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def problem_response(request: HttpRequest, problem: Problem) -> HttpResponse:
    text = json.dumps(
        problem.as_dict(instance=request.path), cls=DjangoJSONEncoder, ensure_ascii=False
    )
    return HttpResponse(
        LONE_SURROGATE.sub("\ufffd", text).encode(),
        status=problem.status,
        content_type="application/problem+json",
    )
