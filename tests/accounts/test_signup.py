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
