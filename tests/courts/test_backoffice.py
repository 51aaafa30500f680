"""Court administrators manage their own court's staff in the back office, and no other."""

from __future__ import annotations

from django.test import Client

from netcourt.courts.models import CourtMembership, CourtRole
from tests.conftest import make_user, signed_in, with_second_factor


def court_admin(courts, slug: str):
    user = with_second_factor(make_user(f"admin-{slug}", is_staff=True))
    CourtMembership.objects.create(court=courts[slug], user=user, role=CourtRole.ADMIN)
    return user, signed_in(user)


def test_a_court_admin_sees_only_their_court(courts, staff) -> None:
    _, client = court_admin(courts, "hangzhou")
    listing = client.get("/backoffice/courts/court/").content.decode()
    assert "hangzhou" in listing and "beijing" not in listing
    beijing = courts["beijing"]
    assert client.get(f"/backoffice/courts/court/{beijing.pk}/change/").status_code in (
        302,
        403,
        404,
    )
    memberships = client.get("/backoffice/courts/courtmembership/").content.decode()
    assert "Clerk-Hangzhou" in memberships and "Clerk-Beijing" not in memberships


def test_a_court_admin_adds_a_judge_to_their_court(courts, staff) -> None:
    _, client = court_admin(courts, "hangzhou")
    newcomer = make_user("new-judge")
    response = client.post(
        "/backoffice/courts/courtmembership/add/",
        {
            "court": courts["hangzhou"].pk,
            "user": newcomer.pk,
            "role": "judge",
            "active": "on",
            "eligible_for_assignment": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert CourtMembership.objects.filter(user=newcomer, court=courts["hangzhou"]).exists()
    refused = client.post(
        "/backoffice/courts/courtmembership/add/",
        {"court": courts["beijing"].pk, "user": newcomer.pk, "role": "judge", "active": "on"},
    )
    assert refused.status_code == 200
    assert not CourtMembership.objects.filter(user=newcomer, court=courts["beijing"]).exists()


def test_a_litigant_cannot_enter_the_back_office(courts, alice) -> None:
    client = Client()
    client.force_login(alice)
    assert client.get("/backoffice/").status_code == 302


def test_a_court_admin_cannot_browse_litigants_or_other_courts_staff(courts, staff, alice) -> None:
    _, client = court_admin(courts, "hangzhou")
    assert client.get(f"/backoffice/accounts/user/{alice.pk}/change/").status_code in (302, 404)
    beijing_clerk = staff["clerk-beijing"]
    assert client.get(f"/backoffice/accounts/user/{beijing_clerk.pk}/change/").status_code in (
        302,
        404,
    )
    search = client.get(
        "/backoffice/autocomplete/",
        {"app_label": "courts", "model_name": "courtmembership", "field_name": "user", "term": "a"},
    ).json()
    assert search["results"] == []
    exact = client.get(
        "/backoffice/autocomplete/",
        {
            "app_label": "courts",
            "model_name": "courtmembership",
            "field_name": "user",
            "term": alice.email,
        },
    ).json()
    assert [r["id"] for r in exact["results"]] == [str(alice.pk)]
