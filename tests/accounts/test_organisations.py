"""Organisations: a person asks to act for one with the document that shows it, a clerk
decides, an approved member holds the organisation's place in its cases — and loses it at once
when the authority ends."""

from __future__ import annotations

import io
from contextlib import nullcontext
from typing import Any

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from netcourt.accounts import organisations
from netcourt.accounts.models import (
    HeldDocument,
    MemberStatus,
    Organisation,
    OrganisationMember,
    SecurityEvent,
)
from netcourt.cases import actions, policy
from netcourt.cases.models import Case, CaseEvent, Party, Representative
from netcourt.core.problems import NotFound, Problem
from netcourt.evidence.actions import staging
from netcourt.identity.numbers import validate
from tests.conftest import (
    api_client,
    complete_filing,
    confirmed,
    make_user,
    signed_in,
    verified,
)
from tests.evidence.test_submission import PDF, pdf

CODE = "91330110MA2H3K7D8J"  # valid: organisation code MA2H3K7D8, check character J
OTHER_CODE = "91110000600037341L"  # valid, from GB 32100's public examples
NAME = "杭州云购电子商务有限公司"
ELF = b"\x7fELF\x02\x01\x01" + bytes(200)
SCRIPTED = PDF.replace(
    b"<< /Type /Catalog >>", b"<< /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>"
)


def incoming(data: bytes, name: str = "licence.pdf") -> organisations.Incoming:
    return organisations.Incoming(
        opener=lambda: nullcontext(io.BytesIO(data)),
        size=len(data),
        filename=name,
        discard=lambda: None,
    )


def ask(user: Any, code: str = CODE, role: str = "legal_representative", data: bytes = b"") -> Any:
    return organisations.register(user, NAME, code, role, incoming(data or pdf(2000)))


def blobs_on_disk(settings: Any) -> list[Any]:
    from pathlib import Path

    root = Path(settings.NETCOURT_BLOB_STORE)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def carol(db: Any) -> Any:
    return verified(make_user("carol", display_name="李强"))


@pytest.fixture
def approved(carol: Any, staff: dict[str, Any]) -> OrganisationMember:
    member = ask(carol)
    return organisations.approve(staff["clerk-beijing"], member.pk)


# --- asking -------------------------------------------------------------------------------


def test_a_request_is_pending_with_its_document_stored_encrypted(carol, settings) -> None:
    data = pdf(5000)
    member = ask(carol, data=data)
    assert member.status == MemberStatus.PENDING
    assert member.organisation.credit_code == CODE and member.organisation.name == NAME
    document = member.document
    assert (document.owner, document.mime, document.size) == (carol, "application/pdf", 5000)
    assert b"".join(organisations.plaintext(document)) == data
    on_disk = b"".join(p.read_bytes() for p in blobs_on_disk(settings))
    assert b"%PDF" not in on_disk and data[:100] not in on_disk
    assert SecurityEvent.objects.filter(user=carol, tag="account:organisation:requested").exists()


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_an_invalid_credit_code_is_refused_with_the_validators_exact_reason(
    carol, lang, settings
) -> None:
    wrong = "91330110MA2H3K7D5X"
    expected = " ".join(f.message.get(lang) for f in validate("uscc", wrong).findings)
    with translation.override(lang), pytest.raises(Problem) as refused:
        ask(carol, code=wrong)
    assert (refused.value.code, refused.value.field, refused.value.message) == (
        "credit_code_invalid",
        "credit_code",
        expected,
    )
    # Names the characters that do not add up, never the one that would match (8).
    assert "17" in refused.value.message and "8" not in refused.value.message
    assert not Organisation.objects.exists() and not HeldDocument.objects.exists()
    assert not blobs_on_disk(settings)


@pytest.mark.parametrize(
    ("code", "finding"),
    [
        ("", "empty"),
        ("91330110 MA2H3K7D8J", "spaces"),
        ("91330110MA2H3K7D8", "length"),
        ("91330110MA2H3K7DZJ", "characters"),
        ("９１330110MA2H3K7D8J", "characters"),
    ],
)
def test_malformed_codes_say_what_is_wrong(carol, code, finding) -> None:
    with pytest.raises(Problem) as refused:
        ask(carol, code=code)
    assert refused.value.code == "credit_code_invalid"
    assert finding in refused.value.extra["findings"]


@pytest.mark.parametrize(
    ("data", "code"),
    [(ELF, "file_type_not_allowed"), (SCRIPTED, "file_active_content"), (b"", "file_empty")],
)
def test_refused_files_leave_nothing_behind(carol, data, code, settings) -> None:
    discarded = []
    with pytest.raises(Problem) as refused:
        organisations.register(
            carol,
            NAME,
            CODE,
            "authorised_staff",
            organisations.Incoming(
                opener=lambda: nullcontext(io.BytesIO(data)),
                size=len(data),
                filename="authorisation.pdf",
                discard=lambda: discarded.append(True),
            ),
        )
    assert refused.value.code == code
    assert discarded == [True]
    assert not OrganisationMember.objects.exists() and not HeldDocument.objects.exists()
    assert not blobs_on_disk(settings)


def test_hostile_text_is_refused(carol) -> None:
    for name, field in (("ACME\x00Ltd", "name"), ("x" * 201, "name"), ("  ", "name")):
        with pytest.raises(Problem) as refused:
            organisations.register(carol, name, CODE, "authorised_staff", incoming(pdf()))
        assert refused.value.field == field
    with pytest.raises(Problem) as refused:
        organisations.register(carol, NAME, CODE, "owner", incoming(pdf()))
    assert refused.value.field == "role"
    assert not OrganisationMember.objects.exists()


def test_an_unverified_person_is_told_to_verify_first(db) -> None:
    nobody = make_user("nobody")
    with pytest.raises(Problem) as refused:
        ask(nobody)
    assert refused.value.code == "assurance_required"


def test_one_request_at_a_time_per_organisation(carol) -> None:
    ask(carol)
    with pytest.raises(Problem) as refused:
        ask(carol)
    assert refused.value.code == "duplicate_request"
    ask(carol, code=OTHER_CODE)
    assert OrganisationMember.objects.filter(user=carol).count() == 2


# --- the clerk decides --------------------------------------------------------------------


def test_a_clerk_approves_and_may_correct_the_registered_name(
    carol, staff, django_capture_on_commit_callbacks
) -> None:
    member = ask(carol)
    with django_capture_on_commit_callbacks(execute=True):
        organisations.approve(
            staff["clerk-hangzhou"], member.pk, name="杭州云购电子商务有限公司（测试）"
        )
    member.refresh_from_db()
    assert member.status == MemberStatus.APPROVED
    assert member.decided_by == staff["clerk-hangzhou"]
    assert member.organisation.name == "杭州云购电子商务有限公司（测试）"
    assert organisations.acts_for(carol, member.organisation)
    assert SecurityEvent.objects.filter(user=carol, tag="account:organisation:approved").exists()
    assert [m.to for m in mail.outbox] == [[carol.email]]
    with pytest.raises(Problem) as twice:
        organisations.approve(staff["clerk-hangzhou"], member.pk)
    assert twice.value.code == "wrong_state"


def test_only_clerks_decide_and_never_on_their_own_request(carol, staff, mallory) -> None:
    member = ask(carol)
    for outsider in (mallory, staff["judge1-hangzhou"], carol):
        with pytest.raises(NotFound):
            organisations.approve(outsider, member.pk)
    clerk = verified(staff["clerk-guangzhou"])
    own = ask(clerk, code=OTHER_CODE)
    with pytest.raises(Problem) as refused:
        organisations.approve(clerk, own.pk)
    assert refused.value.code == "permission_denied"
    assert OrganisationMember.objects.get(pk=own.pk).status == MemberStatus.PENDING


def test_a_refusal_needs_reasons_and_the_person_reads_them(
    carol, staff, django_capture_on_commit_callbacks
) -> None:
    member = ask(carol)
    with pytest.raises(Problem) as bare:
        organisations.refuse(staff["clerk-hangzhou"], member.pk, "  ")
    assert bare.value.field == "reasons"
    with django_capture_on_commit_callbacks(execute=True):
        organisations.refuse(staff["clerk-hangzhou"], member.pk, "The licence names someone else.")
    member.refresh_from_db()
    assert member.status == MemberStatus.REFUSED
    assert not organisations.acts_for(carol, member.organisation)
    assert SecurityEvent.objects.filter(user=carol, tag="account:organisation:refused").exists()
    assert "The licence names someone else." in mail.outbox[0].body
    ask(carol)  # a new request may follow a refusal


# --- acting for the organisation in its cases --------------------------------------------


def organisation_case(member: OrganisationMember, hangzhou) -> Case:
    parties = [
        actions.PartyData(role="plaintiff", kind="legal", name=member.organisation.name),
        actions.PartyData(role="defendant", kind="natural", name="王五"),
    ]
    return actions.file_case(
        member.user,
        hangzhou,
        "ecommerce_purchase",
        complete_filing(parties=parties),
        acting_as="organisation",
        organisation=member.organisation.credit_code,
    )


def test_an_approved_member_files_for_the_organisation(approved, hangzhou, frozen) -> None:
    case = organisation_case(approved, hangzhou)
    party = case.parties.get(role="plaintiff")
    assert (party.kind, party.name, party.organisation, party.user) == (
        "legal",
        NAME,
        approved.organisation,
        None,
    )
    draft = actions.create_draft(
        approved.user, hangzhou, "ecommerce_purchase", acting_as="organisation", organisation=CODE
    )
    # Opened without answers, the draft names the legal representative by their verified name.
    assert draft.parties.get().representative_name == "李强"
    assert case.events.get(seq=1).payload["organisation"] == CODE
    assert policy.case_roles(approved.user, case) == {"plaintiff"}
    assert policy.acting_party(approved.user, case, "plaintiff") == party


def test_filing_for_an_organisation_needs_an_approved_authority(
    carol, hangzhou, frozen, staff
) -> None:
    pending = ask(carol)
    for code in (CODE, OTHER_CODE, "not a code", ""):
        with pytest.raises(Problem) as refused:
            actions.file_case(
                carol,
                hangzhou,
                "ecommerce_purchase",
                complete_filing(parties=None),
                acting_as="organisation",
                organisation=code,
            )
        assert refused.value.code in ("role_not_allowed", "credit_code_invalid")
    assert pending.status == MemberStatus.PENDING
    assert not Case.objects.exists()


def test_ending_the_authority_ends_access_at_once(approved, hangzhou, frozen, staff) -> None:
    case = organisation_case(approved, hangzhou)
    colleague = verified(make_user("colleague"))
    second = organisations.approve(
        staff["clerk-hangzhou"], ask(colleague, role="authorised_staff").pk
    )
    assert policy.get_case(colleague, case.id) == case
    assert set(policy.visible_cases(colleague)) == {case}
    # The member withdraws: gone at the next request, on every path in.
    organisations.revoke(approved.user, approved.pk)
    with pytest.raises(NotFound):
        policy.get_case(approved.user, case.id)
    assert not policy.visible_cases(approved.user).exists()
    assert signed_in(approved.user).get(f"/cases/{case.id}/").status_code == 404
    assert SecurityEvent.objects.filter(
        user=approved.user, tag="account:organisation:revoked"
    ).exists()
    # A clerk ends the colleague's, with reasons (the organisation said they left).
    with pytest.raises(Problem) as bare:
        organisations.revoke(staff["clerk-hangzhou"], second.pk)
    assert bare.value.field == "reasons"
    organisations.revoke(staff["clerk-hangzhou"], second.pk, "No longer employed there.")
    with pytest.raises(NotFound):
        policy.get_case(colleague, case.id)
    with pytest.raises(Problem) as again:
        organisations.revoke(approved.user, approved.pk)
    assert again.value.code == "wrong_state"


def test_nobody_else_can_end_an_authority(approved, mallory, staff) -> None:
    with pytest.raises(NotFound):
        organisations.revoke(mallory, approved.pk)
    for someone in (mallory, staff["clerk-hangzhou"]):
        page = signed_in(someone).post(f"/accounts/organisations/{approved.pk}/withdraw/")
        assert page.status_code == 404
    assert OrganisationMember.objects.get(pk=approved.pk).status == MemberStatus.APPROVED


def test_a_member_appoints_the_organisations_lawyer(approved, hangzhou, frozen, staff) -> None:
    case = organisation_case(approved, hangzhou)
    actions.fire(approved.user, case.id, "submit", case.version)
    case.refresh_from_db()
    actions.fire(staff["clerk-hangzhou"], case.id, "accept", case.version)
    case.refresh_from_db()
    lawyer = verified(make_user("lawyer-org"))
    actions.fire(
        approved.user,
        case.id,
        "appoint_representative",
        case.version,
        {
            "representative_email": lawyer.email,
            "representative_kind": "lawyer",
            "licence_number": "13301201910123456",
            "firm": "West Lake",
        },
        step_up=confirmed(),
    )
    rep = Representative.objects.get(user=lawyer)
    assert rep.party.organisation == approved.organisation
    assert policy.case_roles(lawyer, case) == {"plaintiff"}


# --- a clerk links a party to its organisation -------------------------------------------


def link(case: Case, clerk: Any, code: str) -> CaseEvent:
    case.refresh_from_db()
    return actions.fire(clerk, case.id, "link_organisation", case.version, {"credit_code": code})


def test_a_clerk_links_the_defendant_and_its_members_take_its_place(
    accepted, approved, staff, alice
) -> None:
    clerk = staff["clerk-hangzhou"]
    assert not policy.case_roles(approved.user, accepted)
    events = CaseEvent.objects.filter(case=accepted).count()
    with pytest.raises(Problem) as invalid:
        link(accepted, clerk, "91330110MA2H3K7D5X")
    assert invalid.value.code == "credit_code_invalid" and invalid.value.field == "credit_code"
    assert invalid.value.message == " ".join(
        f.message.get("en") for f in validate("uscc", "91330110MA2H3K7D5X").findings
    )
    with pytest.raises(Problem) as unknown:
        link(accepted, clerk, OTHER_CODE)
    assert unknown.value.code == "organisation_unknown"
    with pytest.raises(Problem) as not_clerk:
        link(accepted, alice, CODE)
    assert not_clerk.value.code == "role_not_allowed"
    assert CaseEvent.objects.filter(case=accepted).count() == events
    record = link(accepted, clerk, CODE)
    defendant = Party.objects.get(case=accepted, role="defendant")
    assert defendant.organisation == approved.organisation
    assert record.payload["inputs"]["credit_code"] == CODE
    assert record.payload["linked"]["party"] == defendant.pk
    accepted.refresh_from_db()
    assert policy.case_roles(approved.user, accepted) == {"defendant"}
    assert policy.acting_party(approved.user, accepted, "defendant") == defendant
    parties = api_client(approved.user).get(f"/api/v1/cases/{accepted.id}").json()["parties"]
    assert [p["organisation"] for p in parties] == [None, CODE]
    with pytest.raises(Problem) as twice:
        link(accepted, clerk, CODE)
    assert twice.value.code == "input_invalid"
    organisations.revoke(approved.user, approved.pk)
    accepted.forget_people()
    assert not policy.case_roles(approved.user, accepted)


def test_linking_picks_the_party_named_as_registered_or_refuses(accepted, approved, staff) -> None:
    Party.objects.create(case=accepted, role="third_party", kind="legal", name="Other Co.")
    accepted.forget_people()
    with pytest.raises(Problem) as ambiguous:
        link(accepted, staff["clerk-hangzhou"], CODE)
    assert ambiguous.value.field == "credit_code"
    Party.objects.filter(case=accepted, role="defendant").update(name=f"{NAME} Hangzhou")
    accepted.forget_people()
    link(accepted, staff["clerk-hangzhou"], CODE)
    assert Party.objects.get(case=accepted, role="defendant").organisation == approved.organisation
    assert Party.objects.get(case=accepted, role="third_party").organisation is None


# --- the pages ----------------------------------------------------------------------------


def test_the_page_takes_a_request_with_its_document(carol, settings) -> None:
    client = signed_in(carol)
    assert "统一社会信用代码" in client.get("/accounts/organisations/").content.decode()
    answer = client.post(
        "/accounts/organisations/",
        {
            "name": NAME,
            "credit_code": CODE.lower(),
            "role": "legal_representative",
            "document": SimpleUploadedFile("licence.pdf", pdf(4000), "application/pdf"),
        },
    )
    assert answer.status_code == 302
    member = OrganisationMember.objects.get(user=carol)
    assert member.organisation.credit_code == CODE and member.document.filename == "licence.pdf"
    page = client.get("/accounts/organisations/").content.decode()
    assert CODE in page and 'data-status="pending"' in page
    own = client.get(f"/accounts/organisations/{member.pk}/document")
    assert b"".join(own.streaming_content) == pdf(4000)  # type: ignore[attr-defined]
    assert own["Content-Security-Policy"] == "sandbox"
    assert own["Accept-Ranges"] == "bytes"
    part = client.get(f"/accounts/organisations/{member.pk}/document", HTTP_RANGE="bytes=10-29")
    assert part.status_code == 206 and part["Content-Range"] == "bytes 10-29/4000"
    assert b"".join(part.streaming_content) == pdf(4000)[10:30]  # type: ignore[attr-defined]
    assert part["Content-Security-Policy"] == "sandbox"
    assert not list(staging().root.iterdir())
    withdraw = client.post(f"/accounts/organisations/{member.pk}/withdraw/")
    assert withdraw.status_code == 302
    member.refresh_from_db()
    assert member.status == MemberStatus.REVOKED


def test_the_page_shows_the_validators_reason_next_to_the_field(carol) -> None:
    with translation.override("zh-hans"):
        expected = validate("uscc", "91330110MA2H3K7D5X").findings[0].message.get("zh-hans")
    carol.preferred_language = "zh-hans"
    carol.save()
    answer = signed_in(carol).post(
        "/accounts/organisations/",
        {
            "name": NAME,
            "credit_code": "91330110MA2H3K7D5X",
            "role": "legal_representative",
            "document": SimpleUploadedFile("licence.pdf", pdf(), "application/pdf"),
        },
    )
    assert answer.status_code == 422
    assert expected in answer.content.decode()
    assert not HeldDocument.objects.exists()
    assert not list(staging().root.iterdir())


def test_a_refused_file_is_shown_on_the_form(carol) -> None:
    answer = signed_in(carol).post(
        "/accounts/organisations/",
        {
            "name": NAME,
            "credit_code": CODE,
            "role": "legal_representative",
            "document": SimpleUploadedFile("licence.pdf", ELF, "application/pdf"),
        },
    )
    assert answer.status_code == 422
    assert "does not take files of this type" in answer.content.decode()
    assert not OrganisationMember.objects.exists()


def test_clerks_decide_on_their_pages_and_no_one_else_sees_them(
    carol, staff, mallory, django_capture_on_commit_callbacks
) -> None:
    member = ask(carol, data=pdf(3000))
    clerk = signed_in(staff["clerk-guangzhou"])
    queue = clerk.get("/courts/guangzhou/queue/").content.decode()
    assert "/courts/authorisations/" in queue
    listing = clerk.get("/courts/authorisations/").content.decode()
    assert f"/courts/authorisations/{member.pk}/" in listing
    document = clerk.get(f"/courts/authorisations/{member.pk}/document")
    assert b"".join(document.streaming_content) == pdf(3000)  # type: ignore[attr-defined]
    for outsider in (signed_in(mallory), signed_in(staff["judge1-hangzhou"])):
        assert outsider.get("/courts/authorisations/").status_code == 404
        assert outsider.get(f"/courts/authorisations/{member.pk}/").status_code == 404
        assert outsider.get(f"/courts/authorisations/{member.pk}/document").status_code == 404
    assert (
        signed_in(mallory).get(f"/accounts/organisations/{member.pk}/document").status_code == 404
    )
    refused = clerk.post(
        f"/courts/authorisations/{member.pk}/", {"decision": "refuse", "reasons": ""}
    )
    assert refused.status_code == 422
    with django_capture_on_commit_callbacks(execute=True):
        done = clerk.post(
            f"/courts/authorisations/{member.pk}/",
            {"decision": "approve", "name": NAME, "reasons": ""},
        )
    assert done.status_code == 302
    member.refresh_from_db()
    assert member.status == MemberStatus.APPROVED
    assert member.decided_by == staff["clerk-guangzhou"]


def test_the_security_history_names_the_new_entries(carol) -> None:
    ask(carol)
    page = signed_in(carol).get("/accounts/security/").content.decode()
    assert "Asked to act for an organisation" in page


def test_the_new_filing_page_offers_filing_for_the_organisation(
    approved, alice, hangzhou, frozen
) -> None:
    page = signed_in(approved.user)
    shown = page.get("/cases/new/").content.decode()
    assert 'value="organisation"' in shown and CODE in shown
    assert 'value="organisation"' not in signed_in(alice).get("/cases/new/").content.decode()
    missing = page.post(
        "/cases/new/",
        {"court": hangzhou.pk, "category": "ecommerce_purchase", "acting_as": "organisation"},
    )
    assert missing.status_code == 200 and "error-summary" in missing.content.decode()
    made = page.post(
        "/cases/new/",
        {
            "court": hangzhou.pk,
            "category": "ecommerce_purchase",
            "acting_as": "organisation",
            "organisation": CODE,
        },
    )
    assert made.status_code == 302
    party = Case.objects.get().parties.get(role="plaintiff")
    assert party.organisation == approved.organisation and party.name == NAME
