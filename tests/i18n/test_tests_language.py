"""The suite's own language: English unless a test is marked ``chinese`` (tests/conftest.py)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation
from rest_framework.test import APIClient


@pytest.mark.django_db
def test_an_unmarked_test_speaks_english_through_every_client():
    assert translation.get_language() == "en"
    assert "Username" in Client().get("/admin/login/").content.decode()
    refused = APIClient().get("/api/v1/programmes/")
    assert refused.status_code in (401, 403)
    assert refused.headers["Content-Language"] == "en"


@pytest.mark.django_db
def test_an_unmarked_test_may_still_ask_for_chinese_itself():
    page = Client().get("/admin/login/", headers={"accept-language": "zh-hans"})

    assert "用户名" in page.content.decode()


@pytest.mark.chinese
def test_a_chinese_test_runs_with_the_real_default():
    assert translation.get_language() == "zh-hans"
