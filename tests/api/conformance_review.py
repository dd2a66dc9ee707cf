"""The operations of the self-evaluations (自评) and of the province's review (省级复核),
exercised for the schema conformance walk (``test_schema_conformance``): the city submits, its
province sends back and forwards, the ministry returns and accepts; a report forwarded and sent
back by the province. Successes and refusals, each checked against the document."""

from __future__ import annotations

from typing import Any

from evaluation.models import Participation
from evaluation.scoring import Period
from evaluation.services import reporting
from evaluation.services.people import province_bind
from tests.api.conftest import client_for
from tests.factories import UserFactory, complete
from tests.self_evaluations import prepared_and_explained, provincial


def exercise_review(
    check: Any,
    *,
    city: Participation,
    official_user: Any,
    official: Any,
    reviewer: Any,
    other: Any,
) -> None:
    """``city`` is the official's participation (in Guangdong, 44); ``other`` another city's
    official's client. The programme uses the provincial review from here on."""
    programme = city.programme
    item = prepared_and_explained(city, official_user)
    guangdong_user = UserFactory(username="guangdong.reviewer")
    province_bind(user=guangdong_user, province="44")
    province = client_for(guangdong_user)
    provincial(programme)

    listed = "/api/v1/self-evaluations/"
    detail = listed + "{id}/"
    one = f"{listed}{item.pk}/"
    check(official, "get", listed, 200)
    check(official, "get", listed, 400, data={"colour": "red"})
    check(province, "get", listed, 200, data={"status": "draft"})
    check(official, "get", detail, 200, one)
    check(other, "get", detail, 404, one)
    check(province, "post", detail + "submit/", 404, one + "submit/")
    check(official, "post", detail + "submit/", 200, one + "submit/")
    check(reviewer, "post", detail + "accept/", 409, one + "accept/")
    check(province, "post", detail + "send-back/", 400, one + "send-back/", {"comment": " "})
    check(province, "post", detail + "send-back/", 200, one + "send-back/", {"comment": "请补充"})
    check(official, "post", detail + "submit/", 200, one + "submit/")
    check(reviewer, "post", detail + "forward/", 403, one + "forward/", {"opinion": "同意"})
    check(province, "post", detail + "forward/", 200, one + "forward/", {"opinion": "同意报送"})
    check(reviewer, "post", detail + "return/", 400, one + "return/", {})
    check(reviewer, "post", detail + "return/", 200, one + "return/", {"comment": "请补充措施"})
    check(official, "post", detail + "submit/", 200, one + "submit/")
    check(province, "post", detail + "forward/", 200, one + "forward/", {"opinion": "同意报送"})
    check(reviewer, "post", detail + "accept/", 200, one + "accept/")

    report = reporting.report_create(
        participation=city, period=Period.parse("2022-06"), by=official_user
    )
    report = reporting.report_values_set(
        report=report, values=complete({}), version=report.version, by=official_user
    )
    report = reporting.report_submit(report=report, version=None, by=official_user)
    on_report = f"/api/v1/reports/{report.pk}/"
    path = "/api/v1/reports/{id}/"
    check(province, "post", path + "forward/", 400, on_report + "forward/", {"opinion": ""})
    check(reviewer, "post", path + "forward/", 403, on_report + "forward/", {"opinion": "同意"})
    check(other, "post", path + "send-back/", 404, on_report + "send-back/", {"comment": "x"})
    check(province, "post", path + "send-back/", 200, on_report + "send-back/", {"comment": "核对"})
    reporting.report_submit(report=report, version=None, by=official_user)
    check(province, "post", path + "forward/", 200, on_report + "forward/", {"opinion": "属实"})
    check(province, "post", path + "forward/", 400, on_report + "forward/", {"opinion": "再次"})
    provincial(programme, on=False)
