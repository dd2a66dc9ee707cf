"""How the language is chosen: Chinese when nothing is asked for, the browser's
Accept-Language honoured, and the switch remembered."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = [pytest.mark.django_db, pytest.mark.chinese]


def test_the_admin_speaks_chinese_when_no_language_is_asked_for():
    page = Client().get("/admin/login/")

    assert page.status_code == 200
    assert page.headers["Content-Language"] == "zh-hans"
    assert "用户名" in page.content.decode()


def test_accept_language_english_gives_english():
    page = Client().get("/admin/login/", headers={"accept-language": "en-GB,en;q=0.9"})

    assert page.headers["Content-Language"] == "en"
    assert "Username" in page.content.decode()
    assert "用户名" not in page.content.decode()


def test_a_browser_asking_for_chinese_in_any_spelling_gets_simplified_chinese():
    page = Client().get("/admin/login/", headers={"accept-language": "zh-CN,zh;q=0.9"})

    assert page.headers["Content-Language"] == "zh-hans"


def test_the_switch_sets_the_language_for_the_next_pages_over_the_browsers_choice():
    client = Client(headers={"accept-language": "zh-CN"})

    switched = client.post("/i18n/setlang/", {"language": "en", "next": "/admin/login/"})

    assert switched.status_code == 302
    assert switched.headers["Location"] == "/admin/login/"
    page = client.get("/admin/login/")
    assert "Username" in page.content.decode()
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/admin/login/"})
    assert "用户名" in client.get("/admin/login/").content.decode()


def test_the_switch_refuses_a_language_the_project_does_not_offer():
    client = Client()

    client.post("/i18n/setlang/", {"language": "fr", "next": "/admin/login/"})

    assert "用户名" in client.get("/admin/login/").content.decode()
