"""API error reasons in Chinese when the client asks for no language, in English with
``Accept-Language: en``; the numbers inside a reason stay exact either way."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from evaluation.models import Report
from tests.api.conftest import client_for
from tests.factories import complete

pytestmark = [pytest.mark.django_db, pytest.mark.chinese]


@pytest.fixture
def draft(api_a, city_a) -> dict:
    created = api_a.post(
        "/api/v1/reports/", {"participation": city_a.pk, "period": "2021-03"}, format="json"
    )
    assert created.status_code == 201
    return created.json()


def _put(client: APIClient, report: dict, values: dict, **headers: str):
    return client.put(
        f"/api/v1/reports/{report['id']}/values/",
        {"version": report["version"], "values": values},
        format="json",
        headers=headers,
    )


def test_a_refused_value_is_explained_in_chinese_with_its_number_kept(api_a, draft):
    refused = _put(api_a, draft, {"pledge_amount": "1.234", "transfer_licence_count": "-3"})

    assert refused.status_code == 400
    assert refused.headers["Content-Language"] == "zh-hans"
    assert refused.json() == {
        "errors": [
            {
                "field": "values.pledge_amount",
                "code": "too_many_decimals",
                "reason": "1.234 的小数超过 2 位",
            },
            {
                "field": "values.transfer_licence_count",
                "code": "negative",
                "reason": "-3 是负数；填报值不能为负数",
            },
        ]
    }


def test_the_same_refusal_in_english_when_asked(api_a, draft):
    refused = _put(api_a, draft, {"pledge_amount": "1.234"}, accept_language="en")

    assert refused.json() == {
        "errors": [
            {
                "field": "values.pledge_amount",
                "code": "too_many_decimals",
                "reason": "1.234 has more than 2 decimals",
            }
        ]
    }


def test_a_conflict_with_the_reports_state_is_explained_in_chinese(api_a, draft):
    url = f"/api/v1/reports/{draft['id']}/"
    filled = _put(api_a, draft, complete({"transfer_licence_count": "10"}))
    api_a.post(url + "submit/", {}, format="json")

    locked = _put(api_a, filled.json(), {"transfer_licence_count": "11"})

    assert locked.status_code == 409
    assert locked.json()["errors"] == [
        {"field": None, "code": "report_submitted", "reason": "2021-03 的报表已提交：正在等待审核"}
    ]
    kept = Report.objects.get(pk=draft["id"]).values.get(indicator__code="transfer_licence_count")
    assert kept.value == 10


def test_a_bad_file_row_is_explained_in_chinese(api_a, city_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(
        "march.csv",
        b"city_code,period,indicator,value\n440300,2021-13,pledge_amount,5\n",
        content_type="text/csv",
    )

    refused = api_a.post(
        f"/api/v1/participations/{city_a.pk}/upload/", {"file": upload}, format="multipart"
    )

    assert refused.status_code == 400
    assert refused.json()["errors"] == [
        {
            "line": 2,
            "column": "period",
            "code": "not_a_period",
            "reason": "'2021-13' 不是有效的期间："
            "请填写年份（2019）、季度（2020-Q3）或月份（2020-07）",
        }
    ]


def test_refusals_of_django_rest_framework_itself_are_chinese_too(api_a, city_a):
    missing = api_a.post("/api/v1/reports/", {"participation": city_a.pk}, format="json")

    assert missing.json() == {
        "errors": [{"field": "period", "code": "required", "reason": "该字段是必填项。"}]
    }


def test_another_citys_official_and_a_visitor_are_refused_in_chinese_and_change_nothing(
    official_b, draft
):
    other = _put(client_for(official_b), draft, {"transfer_licence_count": "1"})
    anonymous = _put(APIClient(), draft, {"transfer_licence_count": "1"})

    assert other.status_code == 404
    assert other.json() == {"errors": [{"field": None, "code": "not_found", "reason": "未找到。"}]}
    assert anonymous.status_code in (401, 403)
    assert anonymous.json() == {
        "errors": [{"field": None, "code": "not_authenticated", "reason": "身份认证信息未提供。"}]
    }
    assert not Report.objects.get(pk=draft["id"]).values.exists()
