"""Every sign-in, failed sign-in and change to how a person signs in is a tagged security
event shown to that person; repeated failures lock the account for minutes, not longer."""

from __future__ import annotations

import time
from typing import Any

from allauth.usersessions.models import UserSession
from django.test import Client, RequestFactory

from netcourt.accounts import security
from netcourt.accounts.mfa import add_totp, current_totp_code
from netcourt.accounts.models import SecurityEvent
from tests.conftest import make_user, signed_in

PASSWORD = "a long enough passphrase 42"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def person(username: str = "zhao", lang: str = "en") -> Any:
    user = make_user(username, lang)
    user.set_password(PASSWORD)
    user.save()
    return user


def sign_in(client: Client, user: Any, password: str = PASSWORD) -> Any:
    return client.post(
        "/accounts/login/",
        {"login": user.email, "password": password},
        REMOTE_ADDR="203.0.113.7",
        HTTP_USER_AGENT="Firefox on a phone",
    )


def tags(user: Any) -> list[str]:
    return list(
        SecurityEvent.objects.filter(user=user).order_by("id").values_list("tag", flat=True)
    )


def test_a_sign_in_is_recorded_and_shown_to_the_person_in_their_language(db) -> None:
    zhao = person(lang="zh-hans")
    client = Client()
    assert sign_in(client, zhao).status_code == 302
    event = SecurityEvent.objects.get(user=zhao)
    assert (event.tag, event.ip, event.device) == (
        "account:signin",
        "203.0.113.7",
        "Firefox on a phone",
    )
    page = client.get("/accounts/security/").content.decode()
    assert "登录" in page and "203.0.113.7" in page and "Firefox on a phone" in page


def test_a_wrong_password_is_recorded_on_the_account_it_was_aimed_at(db) -> None:
    zhao = person()
    assert sign_in(Client(), zhao, "wrong password").status_code == 200
    assert tags(zhao) == ["account:signin:failed"]
    client = Client()
    sign_in(client, zhao)
    page = client.get("/accounts/security/").content.decode()
    assert "Failed sign-in attempt (wrong password)" in page


def test_a_failed_sign_in_for_no_account_records_nothing(db) -> None:
    Client().post("/accounts/login/", {"login": "nobody@example.org", "password": "x" * 12})
    assert not SecurityEvent.objects.exists()


def test_no_one_sees_another_persons_history(db) -> None:
    zhao, qian = person("zhao"), person("qian")
    sign_in(Client(), zhao)
    client = Client()
    sign_in(client, qian)
    page = client.get("/accounts/security/").content.decode()
    assert page.count('data-tag="account:signin"') == 1
    assert Client().get("/accounts/security/").status_code == 302


def test_second_factor_changes_and_wrong_codes_are_recorded(
    db, django_capture_on_commit_callbacks
) -> None:
    zhao = person()
    client = Client()
    sign_in(client, zhao)
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    client.get("/accounts/2fa/totp/activate/")
    secret = client.session["mfa.totp.secret"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/2fa/totp/activate/", {"code": current_totp_code(secret)})
    added = SecurityEvent.objects.filter(user=zhao, tag="account:mfa:added")
    assert sorted(e.detail["kind"] for e in added) == ["recovery_codes", "totp"]
    again = Client()
    sign_in(again, zhao)
    again.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert tags(zhao)[-1] == "account:mfa:failed"
    assert "(authenticator app)" in client.get("/accounts/security/").content.decode()


def test_five_wrong_passwords_lock_the_account_for_five_minutes_only(db, monkeypatch) -> None:
    zhao, qian = person("zhao"), person("qian")
    for _ in range(5):
        sign_in(Client(), zhao, "wrong password")
    locked = sign_in(Client(), zhao)
    assert locked.status_code != 302
    assert "account:signin" not in tags(zhao)
    assert sign_in(Client(), qian).status_code == 302  # the lock is per account
    later = time.time() + 301
    monkeypatch.setattr(time, "time", lambda: later)
    assert sign_in(Client(), zhao).status_code == 302


def test_sign_out_everywhere_else_ends_the_other_sessions(db) -> None:
    zhao = person()
    phone, laptop = Client(), Client()
    sign_in(phone, zhao)
    sign_in(laptop, zhao)
    assert UserSession.objects.filter(user=zhao).count() == 2
    page = laptop.get("/accounts/sessions/")
    assert page.status_code == 200
    laptop.post("/accounts/sessions/", {})
    assert UserSession.objects.filter(user=zhao).count() == 1
    assert phone.get("/accounts/security/").status_code == 302
    assert laptop.get("/accounts/security/").status_code == 200


def test_staff_without_a_factor_can_still_reach_their_security_page(hangzhou) -> None:
    from netcourt.courts.models import CourtMembership, CourtRole

    clerk = person("clerk-no-factor")
    CourtMembership.objects.create(court=hangzhou, user=clerk, role=CourtRole.CLERK)
    client = Client()
    sign_in(client, clerk)
    assert client.get("/accounts/security/").status_code == 200
    add_totp(clerk, SECRET)  # added elsewhere: this session has not used it yet
    assert client.get("/dashboard/")["Location"].startswith("/accounts/2fa/reauthenticate/")


def test_a_malformed_client_address_is_left_out_not_fatal(db) -> None:
    """A misconfigured proxy can hand over anything as the address; the event is kept."""
    request = RequestFactory().get("/", REMOTE_ADDR="unknown, 10.0.0.1")
    event = security.record(person(), "account:signin", request)
    assert event.ip is None


def test_a_factor_removed_in_the_back_office_is_in_the_owners_history(db) -> None:
    """Someone who lost their password, device and recovery codes proves who they are at
    the court; the administrator removes the old factor; the owner sees that it happened."""
    zhao = person()
    add_totp(zhao, SECRET)
    root = make_user("root", is_staff=True, is_superuser=True)
    add_totp(root, SECRET)
    factor = zhao.authenticator_set.get()
    admin = signed_in(root)
    page = admin.post(f"/backoffice/accounts/secondfactor/{factor.pk}/delete/", {"post": "yes"})
    assert page.status_code == 302
    assert not zhao.authenticator_set.exists()
    removed = SecurityEvent.objects.get(user=zhao, tag="account:mfa:removed")
    assert removed.detail == {"kind": "totp"}


def test_the_back_office_names_factors_and_sessions_in_chinese_and_ending_one_signs_out(
    db,
) -> None:
    zhao = person()
    phone = Client()
    sign_in(phone, zhao)
    add_totp(zhao, SECRET)
    root = make_user("root", "zh-hans", is_staff=True, is_superuser=True)
    add_totp(root, SECRET)
    admin = signed_in(root)
    index = admin.get("/backoffice/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "第二重验证" in index and "登录会话" in index
    assert "Authenticators" not in index and "User sessions" not in index
    listed = admin.get("/backoffice/accounts/signedinsession/").content.decode()
    assert "登录时间" in listed and "最近活动" not in listed and "Firefox on a phone" in listed
    factors = admin.get("/backoffice/accounts/secondfactor/").content.decode()
    assert "添加时间" in factors and str(zhao) in factors
    session = UserSession.objects.get(user=zhao)
    page = admin.post(f"/backoffice/accounts/signedinsession/{session.pk}/delete/", {"post": "yes"})
    assert page.status_code == 302
    assert phone.get("/accounts/security/").status_code == 302  # signed out, not just unlisted
    # A court administrator who is not a superuser sees neither.
    assert signed_in(make_user("clerk-admin", is_staff=True)).get(
        "/backoffice/accounts/secondfactor/"
    ).status_code in (302, 403)
