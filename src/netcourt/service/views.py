"""Pages: consent and the service records of a case, the inbox, opening a served document,
and the SMS gateway's delivery reports."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from netcourt.cases import actions as case_actions
from netcourt.cases import documents, present
from netcourt.cases import policy as case_policy
from netcourt.cases.models import Case, PartyKind
from netcourt.cases.views import problem_page
from netcourt.core.i18n import current_language
from netcourt.core.problems import Problem
from netcourt.service import actions
from netcourt.service.forms import ConsentForm, PaperServiceForm
from netcourt.service.models import Channel, ConsentKind, Delivery, Service
from netcourt.service.sms import InvalidStatusReport, parse_status_callback, verify_signature


def _page(request: HttpRequest, case: Case, bound: ConsentForm | None = None) -> dict[str, object]:
    lang = current_language()
    pack = case.court.pack
    own = case_policy.own_parties(request.user, case)
    parties = []
    for party in case.people():
        if party.pk not in own:
            continue
        consents = actions.current_consents(party)
        forms = []
        for kind in ConsentKind:
            if (
                bound is not None
                and bound.consent_party == party.pk
                and bound.consent_kind == kind.value
            ):
                form = bound
            else:
                form = ConsentForm.for_party(party, kind.value, consents.get(kind.value))
            forms.append({"kind": kind, "form": form, "current": consents.get(kind.value)})
        parties.append({"party": party, "forms": forms})
    services = (
        Service.objects.filter(case=case)
        .select_related("party")
        .prefetch_related("deliveries")
        .order_by("created_at")
    )
    rules = pack.service
    roles = case_policy.case_roles(request.user, case)
    return {
        "case": case,
        "paper_form": PaperServiceForm() if "clerk" in roles else None,
        "parties": parties,
        "may_consent": bool(parties)
        and any(e.id == actions.CONSENT_EVENT for e in case_actions.open_steps(case, roles)),
        "services": [
            {
                "service": s,
                "label": rules.document(s.document).label.get(lang) if rules else s.document,
                "deliveries": [
                    {"d": d, "address": actions.mask_address(d.channel, d.address)}
                    for d in s.deliveries.all()
                ],
            }
            for s in services
        ],
        "basis": rules.basis.article.get(lang) if rules else "",
        "notice_basis": rules.notice_basis.article.get(lang) if rules else "",
    }


@login_required
@require_GET
def case_service(request: HttpRequest, case_id: UUID) -> HttpResponse:
    try:
        case = case_policy.get_case(request.user, case_id)
    except Problem as problem:
        return problem_page(request, problem)
    case_actions.log_access(request.user, case, "service.view")
    return render(request, "service/case.html", _page(request, case))


@login_required
@require_POST
def consent(request: HttpRequest, case_id: UUID) -> HttpResponse:
    try:
        case = case_policy.get_case(request.user, case_id)
    except Problem as problem:
        return problem_page(request, problem)
    form = ConsentForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            actions.record_consent(
                request.user,
                case.pk,
                data["party"],
                data["kind"],
                data["decision"],
                channels=data.get("channels") or (),
                email=data.get("email") or "",
                phone=data.get("phone") or "",
            )
        except Problem as problem:
            if problem.field in form.fields:
                form.add_error(problem.field, problem.message)
            else:
                messages.error(request, problem.message)
                return redirect("service:case", case.pk)
        else:
            messages.success(request, _("Your choice was recorded."))
            return redirect("service:case", case.pk)
    return render(request, "service/case.html", _page(request, case, form), status=422)


@login_required
@require_POST
def paper_service(request: HttpRequest, case_id: UUID, service_id: UUID) -> HttpResponse:
    """A clerk records that a document was served on paper."""
    try:
        case = case_policy.get_case(request.user, case_id)
    except Problem as problem:
        return problem_page(request, problem)
    form = PaperServiceForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the day the document was served."))
        return redirect("service:case", case.pk)
    try:
        actions.record_paper_service(
            request.user,
            service_id,
            form.cleaned_data["served_on"],
            returned=request.POST.get("result") == "returned",
        )
    except Problem as problem:
        if problem.status == 404:
            return problem_page(request, problem)
        messages.error(request, problem.message)
    else:
        messages.success(request, _("The service on paper was recorded."))
    return redirect("service:case", case.pk)


@require_GET
def notices(request: HttpRequest) -> HttpResponse:
    """The court's public notice board: documents served by public notice (CPL Art. 95)."""
    lang = current_language()
    rows = []
    for service in actions.public_notices():
        rules = service.case.court.pack.service
        if rules is None or service.notice_at is None:
            continue
        rows.append(
            {
                "service": service,
                "court": service.case.court.name_in(lang),
                "label": rules.document(service.document).label.get(lang),
                "deemed": service.notice_at + timedelta(days=rules.public_notice_days),
            }
        )
    return render(request, "service/notices.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
def open_document(request: HttpRequest, token: str) -> HttpResponse:
    """The link in a served message: shows what was served; confirming receipt records it
    as read (a mail scanner that only fetches the link reads nothing)."""
    delivery = get_object_or_404(
        actions.by_link(token).select_related("service__case__court", "service__party")
    )
    return _open(request, delivery, token)


@login_required
@require_http_methods(["GET", "POST"])
def open_received(request: HttpRequest, delivery_id: UUID) -> HttpResponse:
    """A document served in the person's netcourt inbox, opened from there: the inbox is
    theirs alone, so its messages carry no secret link. Only while they still act for the
    party it was served on: a representative whose mandate ended neither reads it nor, by
    confirming receipt, serves it."""
    delivery = get_object_or_404(
        Delivery.objects.select_related("service__case__court", "service__party"),
        pk=delivery_id,
        notification__user=request.user,
    )
    service = delivery.service
    if service.party_id not in case_policy.own_parties(request.user, service.case):
        raise Http404
    case_actions.log_access(request.user, service.case, f"served:{service.document}")
    return _open(request, delivery)


def _open(request: HttpRequest, delivery: Delivery, token: str = "") -> HttpResponse:
    if request.method == "POST":
        actions.mark_read(delivery)
        delivery.refresh_from_db()
    return _served_page(request, delivery, token=token)


def _served_page(
    request: HttpRequest, delivery: Delivery, status: int = 200, token: str = ""
) -> HttpResponse:
    """The served document's page, in the reader's language: what is served; once receipt is
    confirmed, its text where netcourt writes it, as served (in the language it was served
    in: the text its fingerprint is of), the time limits that run for the party, and how it
    takes part in the case: the case page, its account, joining online (a natural person,
    from the served link, whose ``token`` proves receipt at the party's address) or through
    its members (an organisation), or the court."""
    service = delivery.service
    case, party = service.case, service.party
    lang = current_language()
    pack = case.court.pack
    served = pack.service.document(service.document) if pack.service else None
    label = served.label.get(lang) if served else ""
    lead = _("The %(court)s serves on you: %(document)s, in case %(number)s.") % {
        "court": case.court.name_in(lang),
        "document": label,
        "number": case.number or case.pk,
    }
    in_case = bool(case_policy.case_roles(request.user, case))
    read = delivery.read_at is not None and delivery.channel != Channel.NOTICE
    # How the party takes part, once the person confirmed receipt, while the case is open.
    joining = actions.joining_step(pack)
    route = ""
    if in_case:
        route = "case"
    elif read and not pack.states[case.state].terminal:
        if party.kind == PartyKind.NATURAL and party.user_id is None:
            # The person served may take part online with an account of their own.
            joins = bool(token) and joining is not None and case.state in joining.from_states
            route = "join" if joins else ""
        elif party.kind == PartyKind.NATURAL or actions.inbox_of(party) is not None:
            route = "account"
        else:
            route = "organisation"
    limits = actions.limits_of(pack, party.role) if read else set()
    text, text_language, kept = service.text, service.text_language, True
    if delivery.read_at is not None and not text and served is not None and served.template:
        # Served before the court kept the text it serves: written out again from the file.
        text, kept = documents.as_served(case, served.template) or "", False
        text_language = case.language if text else ""
    return render(
        request,
        "service/open.html",
        {
            "delivery": delivery,
            "service": service,
            "label": label,
            "lead": " ".join([lead, *actions.particulars(service.served_by, party.pk, lang)]),
            "text": text if delivery.read_at is not None else "",
            "text_language": text_language,
            "text_kept": kept,
            "running": [
                present.deadline(d)
                for d in case.deadlines.filter(
                    time_limit__in=limits, stopped_by__isnull=True, direction="after"
                ).select_related("case__court")
            ],
            "to_come": [
                present.time_limit(limit)
                for limit in (actions.limits_to_come(service) if read else [])
            ],
            "route": route,
            "join_url": reverse("service:join", args=[token]) if route == "join" else "",
            "case_link": reverse("cases:detail", args=[case.pk]),
            "can_verify": route == "join"
            and joining is not None
            and actions.eid_reaches(pack, joining),
            "linked": party.organisation_id is not None,
            "party_name": party.name,
            "court_name": case.court.name_in(lang),
            "case_number": case.number or case.pk,
        },
        status=status,
    )


@login_required
@require_POST
def join_online(request: HttpRequest, token: str) -> HttpResponse:
    """Take part in the case online with one's own account, from the served link."""
    try:
        case = actions.join_online(request.user, token)
    except Problem as problem:
        delivery = get_object_or_404(
            actions.by_link(token).select_related("service__case__court", "service__party")
        )
        messages.error(request, problem.message)
        return _served_page(request, delivery, status=problem.status, token=token)
    messages.success(request, _("You now take part in this case with your account."))
    return redirect(reverse("cases:detail", args=[case.pk]))


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    notes, unread = actions.open_inbox(request.user)
    return render(request, "service/inbox.html", {"notifications": notes, "unread": unread})


@csrf_exempt
@require_POST
def sms_status(request: HttpRequest) -> HttpResponse:
    """The SMS gateway's delivery report, signed with the gateway's auth token."""
    if not settings.NETCOURT_SMS_GATEWAY:
        return HttpResponse(status=404)
    from netcourt.service.channels import gateway

    token = gateway(settings.NETCOURT_SMS_GATEWAY).auth_token
    url = settings.NETCOURT_BASE_URL + request.path
    form = {k: request.POST[k] for k in request.POST}
    if not verify_signature(url, form, request.headers.get("X-Twilio-Signature"), token):
        return HttpResponse(status=403)
    try:
        report = parse_status_callback(form)
    except InvalidStatusReport:
        return HttpResponse(status=400)
    actions.delivery_report(report.sid, report.status, str(report.error_code or ""))
    return HttpResponse(status=204)
