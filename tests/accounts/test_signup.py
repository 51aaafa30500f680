from __future__ import annotations

from django.test import Client

from netcourt.accounts.models import User


def test_a_litigant_signs_up_in_chinese_and_keeps_the_language(db) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-CN")
    page = client.get("/accounts/signup/").content.decode()
    assert "姓名" in page
    response = client.post(
        "/accounts/signup/",
        {
            "display_name": "李娜",
            "email": "lina@example.test",
            "password1": "a long passphrase 2026",
            "password2": "a long passphrase 2026",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="lina@example.test")
    assert user.display_name == "李娜"
    assert user.preferred_language == "zh-hans"
    assert user.password.startswith(("argon2", "md5"))


def test_a_weak_password_is_refused_with_a_reason(db) -> None:
    response = Client().post(
        "/accounts/signup/",
        {"display_name": "X", "email": "x@example.test", "password1": "123", "password2": "123"},
    )
    assert response.status_code == 200
    assert "too short" in response.content.decode()
    assert not User.objects.filter(email="x@example.test").exists()


def test_a_name_of_invisible_characters_is_refused(db) -> None:
    for name in ("\u2800", "Li\u00adNa", "Li\tNa", "\u0301"):
        response = Client().post(
            "/accounts/signup/",
            {
                "display_name": name,
                "email": "x@example.test",
                "password1": "a long passphrase 2026",
                "password2": "a long passphrase 2026",
            },
        )
        assert response.status_code == 200
        assert "The text contains characters that are not allowed." in response.content.decode()
        assert not User.objects.filter(email="x@example.test").exists()


def test_a_short_password_is_refused_in_chinese_too(db) -> None:
    """Django 5.2's own Chinese catalogue lacks its new wording of this message."""
    page = Client(HTTP_ACCEPT_LANGUAGE="zh-CN").post(
        "/accounts/signup/",
        {"display_name": "李娜", "email": "x@example.test", "password1": "短", "password2": "短"},
    )
    text = page.content.decode()
    assert "密码太短，至少需要 10 个字符。" in text and "too short" not in text


def test_signing_in_says_so_in_the_persons_own_language(db) -> None:
    """A Chinese reader signing in from an English browser is greeted in Chinese."""
    from tests.conftest import make_user

    person = make_user("zhou", "zh-hans")
    person.set_password("a long passphrase 2026")
    person.save()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    done = client.post(
        "/accounts/login/",
        {"login": person.email, "password": "a long passphrase 2026"},
        follow=True,
    ).content.decode()
    assert "成功登录" in done and "Successfully signed in" not in done


def test_the_greeting_is_kept_on_the_server_not_in_a_readable_cookie(db) -> None:
    """Flash messages (which name the person) live in the instance's own session, not in a
    cookie any page of the host can read and another instance on it would show."""
    from tests.conftest import make_user

    person = make_user("zhou", "zh-hans", display_name="周杰")
    person.set_password("a long passphrase 2026")
    person.save()
    client = Client()
    signed = client.post(
        "/accounts/login/", {"login": person.email, "password": "a long passphrase 2026"}
    )
    assert signed.status_code == 302
    assert "messages" not in signed.cookies
    assert not any("周杰" in morsel.value for morsel in client.cookies.values())
    assert "成功登录" in client.get(signed["Location"], follow=True).content.decode()


def test_the_security_key_form_names_its_field_in_chinese(db) -> None:
    from allauth.mfa import app_settings
    from allauth.mfa.webauthn.views import AddWebAuthnView
    from django.utils import translation

    from tests.conftest import make_user

    form_class = AddWebAuthnView().get_form_class()
    assert form_class.__module__ == "netcourt.accounts.forms", app_settings.FORMS
    with translation.override("zh-hans"):
        form = form_class(user=make_user("qian", "zh-hans"))
        assert str(form.fields["name"].label) == "名称"
