"""The reports app's own pages: the run comparison (reviewers) and the exports
(administrators). A city official and a signed-out visitor are sent to the login page and see
nothing of any city."""

from __future__ import annotations

import pytest

from evaluation.models import MetricValue
from tests.reports.conftest import logged_in

pytestmark = pytest.mark.django_db

COMPARE = "/admin/reports/runs/compare/"


def test_a_reviewer_compares_two_runs_whichever_order_they_are_given(cities, evaluate, reviewer):
    first, second = evaluate(), evaluate()
    client = logged_in(reviewer)

    response = client.get(COMPARE, {"runs": [second.pk, first.pk]})

    assert response.status_code == 200
    text = response.content.decode()
    assert f"Run #{first.pk} compared with run #{second.pk}" in text
    assert "Cities whose grade or amount changed (0)" in text


def test_a_comparison_needs_two_runs(cities, evaluate, reviewer):
    run = evaluate()
    client = logged_in(reviewer)

    assert client.get(COMPARE, {"runs": [run.pk]}).status_code == 404
    assert client.get(COMPARE, {"runs": [run.pk, "x"]}).status_code == 404


@pytest.mark.parametrize("who", ["official", "anonymous"])
def test_officials_and_strangers_see_no_comparison(request, who, cities, evaluate):
    first, second = evaluate(), evaluate()
    client = logged_in(request.getfixturevalue("official") if who == "official" else None)

    response = client.get(COMPARE, {"runs": [first.pk, second.pk]})

    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert "Shenzhen" not in response.content.decode()


def test_an_administrator_exports_the_metrics_in_few_queries(
    cities, administrator, django_assert_max_num_queries
):
    client = logged_in(administrator)
    client.get("/admin/")  # the session and the user are loaded once

    # 7: the session is saved on every request (idle expiry), the rest does not grow.
    with django_assert_max_num_queries(7):
        response = client.get("/admin/evaluation/metricvalue/export/metrics/csv/")

    assert response.status_code == 200
    lines = response.content.decode().splitlines()
    assert lines[0] == "city_code,period,indicator,value"
    assert len(lines) == 1 + MetricValue.objects.count()


def test_a_reviewer_may_not_export_and_an_unknown_format_is_not_found(
    cities, reviewer, administrator
):
    assert (
        logged_in(reviewer).get("/admin/evaluation/metricvalue/export/metrics/csv/").status_code
        == 403
    )
    assert (
        logged_in(administrator)
        .get("/admin/evaluation/metricvalue/export/metrics/pdf/")
        .status_code
        == 404
    )
    assert (
        logged_in(administrator)
        .get("/admin/evaluation/metricvalue/export/targets/csv/?programme=1999")
        .status_code
        == 404
    )
