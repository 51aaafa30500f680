from __future__ import annotations

from django.test import Client


def test_accept_language_chooses_chinese_for_a_visitor(courts) -> None:
    page = Client(HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").get("/")
    assert page["Content-Language"] == "zh-hans"
    assert 'lang="zh-Hans"' in page.content.decode()


def test_switching_language_is_remembered_for_a_signed_in_person(alice, courts) -> None:
    alice.preferred_language = "en"
    alice.save()
    client = Client()
    client.force_login(alice)
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/dashboard/"})
    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    alice.refresh_from_db()
    assert alice.preferred_language == "zh-hans"
    page = Client(HTTP_ACCEPT_LANGUAGE="en")
    page.force_login(alice)
    assert "我的案件" in page.get("/dashboard/").content.decode()


def test_the_switch_refuses_to_redirect_off_site(courts) -> None:
    response = Client().post("/i18n/setlang/", {"language": "en", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_the_sign_in_page_says_passkey_as_the_site_does(courts) -> None:
    """allauth's own Chinese leaves "passkey" in English; netcourt says 通行密钥 everywhere."""
    page = Client(HTTP_ACCEPT_LANGUAGE="zh-CN").get("/accounts/login/").content.decode()
    assert "使用通行密钥登录" in page and "使用 passkey" not in page
