"""A lawyer or agent who is not in a case asks to represent a party, with the power of attorney
the party signed; a clerk of the court approves (the representative then acts for the party at
once) or refuses. The requester cannot learn whether a case exists, and no one can attach a file
that is not their own."""

from __future__ import annotations

import io
from contextlib import nullcontext
from typing import Any

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from netcourt.accounts import organisations
from netcourt.accounts.models import HeldDocument, SecurityEvent
from netcourt.cases import actions, policy, present, representation
from netcourt.cases.models import (
    Case,
    CaseEvent,
    Party,
    RepresentationRequest,
    Representative,
    RequestStatus,
)
from netcourt.core.problems import NotFound, Problem
from netcourt.evidence.actions import staging
from netcourt.evidence.models import CaseDocument, Upload
from netcourt.evidence.store import plaintext
from tests.conftest import api_client, make_user, signed_in, verified
from tests.evidence.test_submission import PDF, pdf, upload

LICENCE = "13301201910123456"
ELF = b"\x7fELF\x02\x01\x01" + bytes(200)
SCRIPTED = PDF.replace(
    b"<< /Type /Catalog >>", b"<< /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>"
)


def incoming(data: bytes, name: str = "poa.pdf") -> organisations.Incoming:
    return organisations.Incoming(
        opener=lambda: nullcontext(io.BytesIO(data)),
        size=len(data),
        filename=name,
        discard=lambda: None,
    )


def data(number: str, role: str = "defendant", **extra: str) -> representation.RequestData:
    fields = {"kind": "lawyer", "licence_number": LICENCE, "firm": "West Lake Law Firm"}
    fields.update(extra)
    return representation.RequestData(case_number=number, role=role, **fields)


@pytest.fixture
def lawyer(db: Any) -> Any:
    return verified(make_user("lawyer-qian", display_name="钱律师"))


@pytest.fixture
def shop(accepted: Case) -> Any:
    """The defendant, with an account of its own."""
    person = verified(make_user("shop"))
    Party.objects.filter(case=accepted, role="defendant").update(user=person)
    return person


@pytest.fixture
def asked(accepted: Case, lawyer, shop) -> RepresentationRequest:
    return representation.ask(lawyer, data(accepted.number), incoming(pdf(6000)))


def test_a_request_reaches_the_clerks_of_the_court_that_holds_the_case(
    asked, accepted, hangzhou, courts, staff
) -> None:
    assert asked.case == accepted and asked.status == RequestStatus.PENDING
    assert list(representation.waiting(hangzhou)) == [asked]
    assert not representation.waiting(courts["beijing"]).exists()
    assert representation.get_for_clerk(staff["clerk-hangzhou"], hangzhou, asked.pk) == asked
    for outsider in (staff["clerk-beijing"], staff["judge1-hangzhou"], asked.requester):
        with pytest.raises(NotFound):
            representation.get_for_clerk(outsider, hangzhou, asked.pk)
    with pytest.raises(NotFound):
        representation.get_for_clerk(staff["clerk-beijing"], courts["beijing"], asked.pk)


def test_the_requester_learns_nothing_about_which_cases_exist(accepted, lawyer, hangzhou) -> None:
    real = representation.ask(lawyer, data(accepted.number), incoming(pdf()))
    made_up = representation.ask(lawyer, data("(2026)浙0192民初99999号"), incoming(pdf()))
    typed = representation.ask(
        lawyer, data(accepted.number.replace("(", "（").replace(")", "）")), incoming(pdf())
    )
    assert typed.case == accepted  # full-width brackets are the same number
    assert made_up.case is None and made_up.status == real.status == RequestStatus.PENDING
    client = api_client(lawyer)
    answers = [
        client.get(f"/api/v1/cases/representation-requests/{r.pk}").json() for r in (real, made_up)
    ]
    assert {tuple(sorted(a)) for a in answers} == {tuple(sorted(answers[0]))}
    assert [a["case"] for a in answers] == [None, None]
    assert [a["status"] for a in answers] == ["pending", "pending"]
    # A request for no case reaches no one.
    assert made_up not in set(representation.waiting(hangzhou))


def test_a_clerk_approves_and_the_lawyer_acts_for_the_party_at_once(
    asked, accepted, hangzhou, staff, shop, lawyer, django_capture_on_commit_callbacks
) -> None:
    clerk = staff["clerk-hangzhou"]
    defendant = Party.objects.get(case=accepted, role="defendant")
    with pytest.raises(NotFound):
        policy.get_case(lawyer, accepted.id)
    with django_capture_on_commit_callbacks(execute=True):
        done = representation.approve(clerk, hangzhou, asked.pk, defendant.pk)
    assert done.status == RequestStatus.APPROVED and done.party == defendant
    rep = Representative.objects.get(user=lawyer)
    assert (rep.party, rep.kind, rep.licence_number, rep.firm, rep.active) == (
        defendant,
        "lawyer",
        LICENCE,
        "West Lake Law Firm",
        True,
    )
    # The step names the clerk as actor; the request's own stored file became the case's.
    record = CaseEvent.objects.get(case=accepted, event="register_representative")
    assert (record.actor, record.actor_role) == (clerk, "clerk")
    assert done.event == record and done.decided_by == clerk
    document = CaseDocument.objects.get(event=record)
    assert (document.input, document.party, document.submitted_by) == (
        "power_of_attorney",
        defendant,
        lawyer,
    )
    assert b"".join(plaintext(document.blob)) == pdf(6000)
    assert record.payload["inputs"]["power_of_attorney"]["sha256"] == asked.document.sha256
    assert not Upload.objects.exists() and not list(staging().root.iterdir())
    # The lawyer now holds the defendant's role and acts for it.
    accepted.refresh_from_db()
    assert policy.case_roles(lawyer, accepted) == {"defendant"}
    assert policy.acting_party(lawyer, accepted, "defendant") == defendant
    assert policy.get_case(lawyer, accepted.id) == accepted
    # Both sides of the representation have it in their security history; the lawyer got an
    # e-mail, and the parties the step's notice.
    for person in (lawyer, shop):
        assert SecurityEvent.objects.filter(
            user=person, tag="account:representation:appointed"
        ).exists()
    to_lawyer = [m for m in mail.outbox if m.to == [lawyer.email]]
    assert any("registered you as a representative" in m.body for m in to_lawyer)
    assert any(m.to == [shop.email] for m in mail.outbox)
    # The docket shows the step with the file's fingerprint, the court sees the document and
    # so does the represented side; the other side does not.
    entry = present.docket_entry(accepted.court.pack, record)
    assert "representation_request" not in entry["inputs"]
    from netcourt.evidence import policy as evidence_policy

    assert evidence_policy.visible_documents(lawyer, accepted) == [document]
    assert evidence_policy.visible_documents(shop, accepted) == [document]
    assert evidence_policy.visible_documents(accepted.created_by, accepted) == []
    with pytest.raises(Problem) as twice:
        representation.approve(clerk, hangzhou, asked.pk, defendant.pk)
    assert twice.value.code == "wrong_state"


def test_ending_the_representation_ends_access_at_once(
    asked, accepted, hangzhou, staff, shop, lawyer
) -> None:
    defendant = Party.objects.get(case=accepted, role="defendant")
    representation.approve(staff["clerk-hangzhou"], hangzhou, asked.pk, defendant.pk)
    rep = Representative.objects.get(user=lawyer)
    accepted.refresh_from_db()
    actions.fire(
        shop,
        accepted.id,
        "revoke_representative",
        accepted.version,
        {"representative": str(rep.pk)},
    )
    with pytest.raises(NotFound):
        policy.get_case(lawyer, accepted.id)


def test_a_refusal_needs_reasons_and_the_requester_reads_them(
    asked, hangzhou, staff, lawyer, django_capture_on_commit_callbacks
) -> None:
    clerk = staff["clerk-hangzhou"]
    with pytest.raises(Problem) as bare:
        representation.refuse(clerk, hangzhou, asked.pk, "")
    assert bare.value.field == "reasons"
    with django_capture_on_commit_callbacks(execute=True):
        refused = representation.refuse(clerk, hangzhou, asked.pk, "The power is not signed.")
    assert refused.status == RequestStatus.REFUSED
    assert "The power is not signed." in mail.outbox[-1].body
    assert mail.outbox[-1].to == [lawyer.email]
    assert not Representative.objects.exists()
    assert not CaseEvent.objects.filter(event="register_representative").exists()
    with pytest.raises(Problem) as late:
        representation.approve(clerk, hangzhou, asked.pk, refused.case.parties.first().pk)
    assert late.value.code == "wrong_state"


def test_the_approval_is_refused_for_someone_who_may_not_represent(
    accepted, hangzhou, staff, shop
) -> None:
    clerk = staff["clerk-hangzhou"]
    defendant = Party.objects.get(case=accepted, role="defendant")
    judge = verified(staff["judge1-hangzhou"])
    for person in (shop, judge):
        found = representation.ask(person, data(accepted.number), incoming(pdf()))
        with pytest.raises(Problem) as refused:
            representation.approve(clerk, hangzhou, found.pk, defendant.pk)
        assert refused.value.field == "party"
        found.refresh_from_db()
        assert found.status == RequestStatus.PENDING
    assert not Representative.objects.exists()
    assert not CaseEvent.objects.filter(event="register_representative").exists()
    assert not Upload.objects.exists()


def test_a_clerk_cannot_take_the_step_without_a_request(accepted, staff, lawyer) -> None:
    clerk = staff["clerk-hangzhou"]
    own = upload(clerk, accepted, pdf(), "scan.pdf")
    with pytest.raises(Problem) as refused:
        actions.fire(
            clerk,
            accepted.id,
            "register_representative",
            accepted.version,
            {"power_of_attorney": str(own.pk), "representative_kind": "agent"},
        )
    assert refused.value.code == "own_endpoint"
    assert not Representative.objects.exists()
    assert not CaseEvent.objects.filter(event="register_representative").exists()


def test_another_persons_file_can_never_be_attached(
    accepted, staff, shop, lawyer, hangzhou, alice
) -> None:
    """Only the acting person's own upload becomes a document of their step; the files held
    with a request enter a case only through the clerk's approval."""
    clerk = staff["clerk-hangzhou"]
    theirs = upload(alice, accepted, pdf(), "alice.pdf")
    found = representation.ask(lawyer, data(accepted.number), incoming(pdf()))
    assert found.document is not None
    for foreign in (str(theirs.pk), str(found.document.pk)):
        with pytest.raises(NotFound):
            actions.fire(
                clerk,
                accepted.id,
                "register_representative",
                accepted.version,
                {"power_of_attorney": foreign, "representative_kind": "agent"},
            )
    forged = {"blob": "x", "sha256": "0" * 64, "filename": "f", "size": 1, "mime": "m"}
    with pytest.raises(Problem) as described:
        actions.fire(
            clerk,
            accepted.id,
            "register_representative",
            accepted.version,
            {"power_of_attorney": forged, "representative_kind": "agent"},
        )
    assert described.value.code == "input_invalid"
    # The lawyer cannot send a document to someone else's request, nor read its file.
    other = representation.ask(alice, data(accepted.number), None)
    with pytest.raises(NotFound):
        representation.attach_document(lawyer, other.pk, incoming(pdf()))
    assert signed_in(lawyer).get(f"/cases/represent/{other.pk}/document").status_code == 404
    # A party cannot take the clerk's step at all.
    with pytest.raises(Problem) as party:
        actions.fire(
            alice,
            accepted.id,
            "register_representative",
            accepted.version,
            {"power_of_attorney": str(theirs.pk), "representative_kind": "agent"},
        )
    assert party.value.code == "own_endpoint"  # taken only through the queue
    assert not CaseDocument.objects.exists()


@pytest.mark.parametrize(
    ("data_", "code"),
    [(ELF, "file_type_not_allowed"), (SCRIPTED, "file_active_content"), (b"", "file_empty")],
)
def test_a_refused_power_of_attorney_leaves_nothing(accepted, lawyer, data_, code) -> None:
    with pytest.raises(Problem) as refused:
        representation.ask(lawyer, data(accepted.number), incoming(data_))
    assert refused.value.code == code
    assert not HeldDocument.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "lawyer", "licence_number": "12345"}, "licence_number"),
        ({"kind": "boss"}, "kind"),
        ({"party_name": "A\x00B"}, "party_name"),
        ({"firm": "x" * 201}, "firm"),
    ],
)
def test_hostile_or_wrong_answers_are_refused(accepted, lawyer, fields, field) -> None:
    with pytest.raises(Problem) as refused:
        representation.ask(lawyer, data(accepted.number, **fields), incoming(pdf()))
    assert refused.value.field == field
    with pytest.raises(Problem) as role:
        representation.ask(lawyer, data(accepted.number, role="judge"), incoming(pdf()))
    assert role.value.field == "role"
    with pytest.raises(Problem) as number:
        representation.ask(lawyer, data("\x07"), incoming(pdf()))
    assert number.value.field == "case_number"
    assert not RepresentationRequest.objects.exists()


def test_an_unverified_person_is_told_to_verify_first(accepted, mallory) -> None:
    with pytest.raises(Problem) as refused:
        representation.ask(mallory, data(accepted.number), incoming(pdf()))
    assert refused.value.code == "assurance_required"


def test_requests_are_limited(accepted, lawyer) -> None:
    for _ in range(representation.PER_HOUR):
        representation.ask(lawyer, data(accepted.number), None)
    with pytest.raises(Problem) as limited:
        representation.ask(lawyer, data(accepted.number), None)
    assert limited.value.code == "rate_limited"


# --- the pages ----------------------------------------------------------------------------


def test_the_page_answers_the_same_for_a_case_that_does_not_exist(accepted, lawyer) -> None:
    client = signed_in(lawyer)
    assert "The power of attorney" in client.get("/cases/represent/").content.decode()
    answers = []
    for number in (accepted.number, "(2026)浙0192民初424242号"):
        answer = client.post(
            "/cases/represent/",
            {
                "case_number": number,
                "role": "defendant",
                "party_name": "Yungou",
                "kind": "lawyer",
                "licence_number": LICENCE,
                "firm": "West Lake",
                "document": SimpleUploadedFile("poa.pdf", pdf(2500), "application/pdf"),
            },
            follow=True,
        )
        answers.append(answer.content.decode())
    assert all("Your request was sent." in a for a in answers)
    assert RepresentationRequest.objects.filter(requester=lawyer).count() == 2
    assert not list(staging().root.iterdir())
    page = client.get("/cases/represent/").content.decode()
    assert page.count('data-status="pending"') == 2
    mine = RepresentationRequest.objects.filter(requester=lawyer).first()
    copy = client.get(f"/cases/represent/{mine.pk}/document")
    assert b"".join(copy.streaming_content) == pdf(2500)  # type: ignore[attr-defined]


def test_the_page_shows_a_refused_file_next_to_its_field(accepted, lawyer) -> None:
    answer = signed_in(lawyer).post(
        "/cases/represent/",
        {
            "case_number": accepted.number,
            "role": "defendant",
            "kind": "agent",
            "document": SimpleUploadedFile("poa.pdf", ELF, "application/pdf"),
        },
    )
    assert answer.status_code == 422
    assert "does not take files of this type" in answer.content.decode()
    missing = signed_in(lawyer).post(
        "/cases/represent/", {"case_number": accepted.number, "role": "defendant", "kind": "agent"}
    )
    assert missing.status_code == 422
    assert not RepresentationRequest.objects.exists()


def test_the_clerk_decides_on_the_queue_pages(
    asked, accepted, hangzhou, staff, mallory, lawyer, django_capture_on_commit_callbacks
) -> None:
    clerk = signed_in(staff["clerk-hangzhou"])
    base = f"/courts/hangzhou/representation-requests/{asked.pk}/"
    assert (
        "/courts/hangzhou/representation-requests/"
        in clerk.get("/courts/hangzhou/queue/").content.decode()
    )
    assert base in clerk.get("/courts/hangzhou/representation-requests/").content.decode()
    page = clerk.get(base).content.decode()
    assert accepted.number in page and "钱律师" in page
    assert b"".join(clerk.get(base + "document").streaming_content) == pdf(6000)  # type: ignore[attr-defined]
    for outsider in (signed_in(mallory), signed_in(staff["clerk-beijing"]), signed_in(lawyer)):
        assert outsider.get("/courts/hangzhou/representation-requests/").status_code == 404
        assert outsider.get(base).status_code == 404
        assert outsider.get(base + "document").status_code == 404
    assert clerk.post(base, {"decision": "refuse", "refuse-reasons": ""}).status_code == 422
    defendant = Party.objects.get(case=accepted, role="defendant")
    with django_capture_on_commit_callbacks(execute=True):
        done = clerk.post(base, {"decision": "approve", "approve-party": str(defendant.pk)})
    assert done.status_code == 302, done.content.decode()[:2000]
    assert Representative.objects.get(user=lawyer).party == defendant
    assert signed_in(lawyer).get(f"/cases/{accepted.id}/").status_code == 200


def test_the_clerks_form_proposes_the_party_the_request_names(
    accepted, hangzhou, staff, lawyer
) -> None:
    found = representation.ask(lawyer, data(accepted.number, role="plaintiff"), incoming(pdf()))
    plaintiff = Party.objects.get(case=accepted, role="plaintiff")
    page = (
        signed_in(staff["clerk-hangzhou"])
        .get(f"/courts/hangzhou/representation-requests/{found.pk}/")
        .content.decode()
    )
    checked = [line for line in page.splitlines() if "checked" in line and "approve-party" in line]
    assert len(checked) == 1 and f'value="{plaintiff.pk}"' in checked[0]


# --- the API ------------------------------------------------------------------------------


def test_the_api_takes_a_request_then_its_document(accepted, lawyer, hangzhou, staff) -> None:
    client = api_client(lawyer)
    created = client.post(
        "/api/v1/cases/representation-requests",
        {"case_number": accepted.number, "role": "defendant", "kind": "agent"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="rep-1",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["document"] is None and body["case"] is None and body["status"] == "pending"
    again = client.post(
        "/api/v1/cases/representation-requests",
        {"case_number": accepted.number, "role": "defendant", "kind": "agent"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="rep-1",
    )
    assert again.json()["id"] == body["id"]
    assert RepresentationRequest.objects.count() == 1
    # Without its document, the request waits for nobody.
    assert not representation.waiting(hangzhou).exists()
    url = f"/api/v1/cases/representation-requests/{body['id']}/document?filename=poa.pdf"
    sent = client.put(url, pdf(3000), content_type="application/pdf")
    assert sent.status_code == 200, sent.content
    assert sent.json()["document"]["filename"] == "poa.pdf"
    assert sent.json()["document"]["size"] == 3000
    assert list(representation.waiting(hangzhou))[0].pk.hex == body["id"].replace("-", "")
    twice = client.put(url, pdf(3000), content_type="application/pdf")
    assert twice.status_code == 409 and twice.json()["code"] == "document_already_sent"
    assert twice["Content-Type"] == "application/problem+json"
    listed = client.get("/api/v1/cases/representation-requests").json()
    assert [r["id"] for r in listed] == [body["id"]]
    assert not list(staging().root.iterdir())


def test_the_api_refuses_what_it_must(accepted, lawyer, alice) -> None:
    client = api_client(lawyer)
    bad = client.post(
        "/api/v1/cases/representation-requests",
        {"case_number": accepted.number, "role": "judge", "kind": "agent"},
        content_type="application/json",
    )
    assert bad.status_code == 422 and bad.json()["code"] == "validation_error"
    licence = client.post(
        "/api/v1/cases/representation-requests",
        {"case_number": accepted.number, "role": "defendant", "kind": "lawyer"},
        content_type="application/json",
    )
    assert licence.status_code == 422 and licence.json()["field"] == "licence_number"
    theirs = representation.ask(alice, data(accepted.number), None)
    stranger = client.put(
        f"/api/v1/cases/representation-requests/{theirs.pk}/document",
        pdf(),
        content_type="application/pdf",
    )
    assert stranger.status_code == 404
    assert client.get(f"/api/v1/cases/representation-requests/{theirs.pk}").status_code == 404
    mine = client.post(
        "/api/v1/cases/representation-requests",
        {"case_number": accepted.number, "role": "defendant", "kind": "agent"},
        content_type="application/json",
    ).json()
    url = f"/api/v1/cases/representation-requests/{mine['id']}/document"
    refused = client.put(url, ELF, content_type="application/octet-stream")
    assert refused.status_code == 422 and refused.json()["code"] == "file_type_not_allowed"
    empty = client.generic("PUT", url, b"", content_type="application/pdf", CONTENT_LENGTH="0")
    assert empty.status_code == 422 and empty.json()["code"] == "file_empty"
    unannounced = client.generic(
        "PUT", url, pdf(), content_type="application/pdf", CONTENT_LENGTH=""
    )
    assert unannounced.status_code == 411 and unannounced.json()["code"] == "upload_invalid"
    for length in ("\u00b2", "9" * 5000):  # a digit to str.isdigit(), not to int(); too long
        odd = client.generic(
            "PUT", url, pdf(), content_type="application/pdf", CONTENT_LENGTH=length
        )
        assert odd.status_code == 411 and odd.json()["code"] == "upload_invalid"
    assert not HeldDocument.objects.exists()
    assert not list(staging().root.iterdir())
    anonymous = client.__class__().get("/api/v1/cases/representation-requests")
    assert anonymous.status_code == 401


def test_the_case_page_sends_the_clerk_to_the_queue(accepted, staff) -> None:
    """The case page does not offer the step; posted there anyway, it is refused with where
    to go."""
    clerk = signed_in(staff["clerk-hangzhou"])
    page = clerk.get(f"/cases/{accepted.id}/").content.decode()
    assert 'value="register_representative"' not in page
    answer = clerk.post(
        f"/cases/{accepted.id}/steps/",
        {
            "event": "register_representative",
            "version": accepted.version,
            "register_representative-representative_kind": "agent",
            "register_representative-power_of_attorney": SimpleUploadedFile(
                "poa.pdf", pdf(), "application/pdf"
            ),
        },
    )
    assert answer.status_code == 302
    assert "in the court&#x27;s queue" in clerk.get(answer["Location"]).content.decode()
    assert not Representative.objects.exists()
    assert not CaseEvent.objects.filter(event="register_representative").exists()
