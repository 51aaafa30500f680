"""The back office lists jobs, read only, without their arguments."""

from __future__ import annotations

from netcourt.core import jobs
from netcourt.core.models import Job
from tests.conftest import make_user, signed_in, with_second_factor


def test_the_back_office_lists_jobs_without_their_arguments(db) -> None:
    jobs.enqueue(
        "notify.person",
        "notify:secret",
        {"user": 1, "case": None, "subject": "Private", "body": "Very private", "link": ""},
    )
    admin = with_second_factor(make_user("root", is_staff=True, is_superuser=True))
    page = signed_in(admin)
    listing = page.get("/backoffice/core/job/").content.decode()
    assert "notify.person" in listing
    job = Job.objects.get()
    detail = page.get(f"/backoffice/core/job/{job.pk}/change/").content.decode()
    assert "notify:secret" in detail and "Very private" not in detail
    assert page.get("/backoffice/core/job/add/").status_code == 403
