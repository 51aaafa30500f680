"""A browser form's file (netcourt.evidence.uploads): counted against the person's uploads
before a byte of it is staged, and removed as soon as the form's answer is given unless the
form took it, whatever refused it (a CSRF token, an unknown step, an invalid form)."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from netcourt.evidence import actions
from netcourt.evidence.models import EvidenceItem, Upload
from netcourt.evidence.staging import StagingArea
from tests.conftest import signed_in
from tests.evidence.test_submission import pdf

FORMS = {
    "case step": ("/cases/{case}/steps/", {"event": "withdraw", "version": "1"}),
    "evidence": (
        "/cases/{case}/evidence/submit/",
        {"title": "Order", "purpose": "Payment", "source": "Shop"},
    ),
    "organisation": (
        "/accounts/organisations/",
        {"name": "Yungou", "credit_code": "91330110MA2H3K7D5Y", "role": "legal_representative"},
    ),
    "representation": (
        "/cases/represent/",
        {"case_number": "(2026)浙0192民初1号", "role": "defendant", "party_name": "Yungou"},
    ),
}


def staged() -> list[str]:
    """The files in the staging area (DATA_DIR/uploads)."""
    root = actions.staging().root
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


def _post(client: Client, form: str, case: Any, **extra: Any) -> Any:
    path, fields = FORMS[form]
    field = "document" if form in ("organisation", "representation") else "file"
    data = {**fields, **extra, field: SimpleUploadedFile("a.pdf", pdf(4000), "application/pdf")}
    return client.post(path.format(case=case.pk), data)


@pytest.mark.parametrize("form", list(FORMS))
def test_a_form_refused_for_its_csrf_token_leaves_nothing_staged(
    exchanging: Any, alice: Any, form: str
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    client.cookies[settings.CSRF_COOKIE_NAME] = "a" * 32  # a cookie, and another token
    answer = _post(client, form, exchanging, csrfmiddlewaretoken="b" * 32)
    assert answer.status_code == 403
    assert staged() == []


def test_an_unknown_step_or_an_invalid_form_leaves_nothing_staged(
    exchanging: Any, alice: Any
) -> None:
    page = signed_in(alice)
    assert _post(page, "case step", exchanging, event="no-such-step").status_code == 422
    assert staged() == []
    assert _post(page, "evidence", exchanging, title="").status_code == 422  # no title
    assert staged() == [] and not Upload.objects.exists()


def test_a_form_file_is_counted_before_it_is_staged(
    exchanging: Any, alice: Any, monkeypatch: Any
) -> None:
    """With as many files on their way in as a person may have, a form's file is refused
    with the reason, and none of its bytes are written."""
    for _ in range(actions.MAX_OPEN_UPLOADS):
        actions.start_upload(alice, exchanging.pk, 10, "a.pdf")
    before = staged()
    made: list[str] = []
    create = StagingArea.create
    monkeypatch.setattr(
        StagingArea, "create", lambda area, name: (made.append(name), create(area, name))
    )
    answer = _post(signed_in(alice), "evidence", exchanging)
    assert made == []
    assert answer.status_code == 422
    assert "您正在上传的文件过多" in answer.content.decode()  # alice reads Chinese
    assert staged() == before and not EvidenceItem.objects.exists()
    assert Upload.objects.count() == actions.MAX_OPEN_UPLOADS


def test_a_form_file_the_court_takes_counts_once(
    exchanging: Any, alice: Any, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """A submitted form file is one upload of the hour: counted as it is staged, not again
    when it becomes an upload."""
    monkeypatch.setattr(actions, "UPLOADS_PER_HOUR", 1)
    with django_capture_on_commit_callbacks(execute=True):
        answer = _post(signed_in(alice), "evidence", exchanging)
    assert answer.status_code == 302, answer.content.decode()[-3000:]
    assert staged() == [] and EvidenceItem.objects.count() == 1
