"""Court staff cannot act until they have a second factor; then sign-in asks for it."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.test import Client

from netcourt.accounts.mfa import current_totp_code
from netcourt.accounts.models import User
from netcourt.accounts.tokens import create_token
from netcourt.courts.models import CourtMembership, CourtRole
from tests.conftest import STAFF_TOTP_SECRET, make_user, signed_in, with_second_factor

PASSWORD = "a long enough passphrase 42"
ACTIVATE = "/accounts/2fa/totp/activate/"


def new_clerk(court, username: str = "new-clerk"):
    clerk = make_user(username)
    clerk.set_password(PASSWORD)
    clerk.save()
    CourtMembership.objects.create(court=court, user=clerk, role=CourtRole.CLERK)
    return clerk


def test_staff_without_a_second_factor_are_sent_to_set_one_up(hangzhou) -> None:
    client = Client()
    client.force_login(new_clerk(hangzhou))
    page = client.get("/courts/hangzhou/queue/", follow=True)
    assert page.redirect_chain[0][0].startswith(ACTIVATE + "?next=")
    assert "second factor" in page.content.decode()


def test_the_api_refuses_staff_without_a_second_factor(hangzhou) -> None:
    token = create_token(new_clerk(hangzhou))
    answer = Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/v1/cases")
    assert answer.status_code == 403
    assert answer["Content-Type"] == "application/problem+json"
    assert answer.json()["code"] == "second_factor_required"


def test_the_refusal_is_in_the_persons_language(hangzhou) -> None:
    clerk = new_clerk(hangzhou)
    clerk.preferred_language = "zh-hans"
    clerk.save()
    client = Client()
    client.force_login(clerk)
    answer = client.get("/api/v1/cases")
    assert answer.status_code == 403
    assert answer.json()["detail"].startswith("法院工作人员须先设置第二重验证")


def test_litigants_are_not_asked_for_one(alice, courts) -> None:
    token = create_token(alice)
    assert Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/v1/cases").status_code == 200
    client = Client()
    client.force_login(alice)
    assert client.get("/dashboard/").status_code == 200


@pytest.mark.django_db(transaction=True)  # allauth announces the new factor on commit
def test_a_clerk_sets_up_an_authenticator_then_works_and_signs_in_with_it(hangzhou) -> None:
    clerk = new_clerk(hangzhou)
    client = Client()
    assert (
        client.post("/accounts/login/", {"login": clerk.email, "password": PASSWORD}).status_code
        == 302
    )
    # Adding a factor asks for the password again (a stolen session cannot add its own).
    assert client.get(ACTIVATE)["Location"].startswith("/accounts/reauthenticate/")
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    setup = client.get(ACTIVATE)
    assert setup.status_code == 200
    secret = client.session["mfa.totp.secret"]
    done = client.post(ACTIVATE, {"code": current_totp_code(secret)})
    assert done.status_code == 302
    assert client.get("/courts/hangzhou/queue/").status_code == 200

    again = Client()
    answer = again.post("/accounts/login/", {"login": clerk.email, "password": PASSWORD})
    assert answer.status_code == 302 and answer["Location"] == "/accounts/2fa/authenticate/"
    assert again.get("/courts/hangzhou/queue/").status_code == 302
    wrong = again.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200
    assert again.get("/courts/hangzhou/queue/").status_code == 302


def test_staff_with_a_factor_sign_in_with_their_code(hangzhou, staff) -> None:
    judge = staff["judge1-hangzhou"]
    judge.set_password(PASSWORD)
    judge.save()
    client = Client()
    answer = client.post("/accounts/login/", {"login": judge.email, "password": PASSWORD})
    assert answer["Location"] == "/accounts/2fa/authenticate/"
    signed_in = client.post(
        "/accounts/2fa/authenticate/", {"code": current_totp_code(STAFF_TOTP_SECRET)}
    )
    assert signed_in.status_code == 302
    assert client.get("/dashboard/").status_code == 200


def test_the_back_office_login_form_cannot_skip_the_second_factor(hangzhou, staff) -> None:
    judge = staff["judge1-hangzhou"]
    judge.is_staff = True
    judge.set_password(PASSWORD)
    judge.save()
    client = Client()
    page = client.get("/backoffice/login/")
    assert page.status_code == 302 and page["Location"].startswith("/accounts/login/")
    client.post("/backoffice/login/", {"username": judge.username, "password": PASSWORD})
    assert client.get("/backoffice/").status_code == 302
    assert client.get("/api/v1/courts/hangzhou/queue").status_code == 401


def test_an_account_made_in_the_back_office_can_set_up_a_second_factor(db) -> None:
    root = with_second_factor(make_user("root", is_staff=True, is_superuser=True))
    client = signed_in(root)
    made = client.post(
        "/backoffice/accounts/user/add/",
        {"username": "new-judge", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert made.status_code == 302
    new = User.objects.get(username="new-judge")
    new.email = "new.judge@court.example"
    new.save()
    change = client.get(f"/backoffice/accounts/user/{new.pk}/change/")
    assert change.status_code == 200
    form = change.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and not isinstance(v, list)}
    data.update(
        {
            "username": "new-judge",
            "email": "new.judge@court.example",
            "date_joined_0": "2026-11-02",
            "date_joined_1": "10:00:00",
            "preferred_language": "zh-hans",
            "is_active": "on",
        }
    )
    client.post(f"/backoffice/accounts/user/{new.pk}/change/", data)
    assert EmailAddress.objects.filter(
        user=new, email="new.judge@court.example", verified=True
    ).exists()


def test_a_staff_session_that_never_used_the_factor_must_confirm_it(hangzhou, staff) -> None:
    """A clerk signed in before adding a factor, or by any way around allauth's second step,
    confirms the factor before any staff work."""
    client = Client()
    client.force_login(staff["clerk-hangzhou"])
    page = client.get("/courts/hangzhou/queue/")
    assert page["Location"].startswith("/accounts/2fa/reauthenticate/?next=")
    assert client.get("/api/v1/courts/hangzhou/queue").json()["code"] == "second_factor_required"
    client.post("/accounts/2fa/reauthenticate/", {"code": current_totp_code(STAFF_TOTP_SECRET)})
    assert client.get("/courts/hangzhou/queue/").status_code == 200
