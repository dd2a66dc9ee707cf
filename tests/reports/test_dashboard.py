"""The programme dashboard for reviewers, linked from the admin: reports awaiting review and
late reports per city, the latest runs, the score distribution, a heat map of attainment,
trends between runs; each tile links to the list behind it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from evaluation.models import Report
from evaluation.scoring import Period
from evaluation.services import reporting
from tests.factories import ParticipationFactory, complete, meet_every_target
from tests.reports.conftest import text_of

pytestmark = pytest.mark.django_db


def url(programme, lang: str = "en") -> str:
    return f"/reports/programmes/{programme.pk}/dashboard/?lang={lang}"


def submitted(participation, official, period: str) -> Report:
    report = reporting.report_create(
        participation=participation, period=Period.parse(period), by=official
    )
    report = reporting.report_values_set(
        report=report,
        values=complete({"operation_centres": "1"}),
        version=report.version,
        by=official,
    )
    return reporting.report_submit(report=report, version=report.version, by=official)


@pytest.fixture
def queue(shenzhen, chaoyang, official, other_official):
    """Shenzhen: two reports awaiting review, both submitted after their due dates (late);
    Chaoyang: a draft long past its due date (late, not awaiting review)."""
    submitted(shenzhen, official, "2022-01")
    submitted(shenzhen, official, "2022-02")
    reporting.report_create(
        participation=chaoyang, period=Period.parse("2022-03"), by=other_official
    )


def test_reports_awaiting_review_and_late_per_city(reviewer_client, programme, queue):
    response = reviewer_client.get(url(programme))

    assert response.status_code == 200
    board = response.context["board"]
    counts = {q.participation.city.code: q.awaiting_review for q in board.queues}
    assert counts == {"440300": 2, "110105": 0}
    assert board.awaiting_total == 2


def test_missing_and_late_add_up_to_what_the_api_says_of_each_city(
    reviewer, reviewer_client, programme, queue, shenzhen, chaoyang
):
    """The dashboard counts by the one rule of the periods owed: a city that never opened a
    report counts too, and the figures are those of each city's periods in the API."""
    silent = ParticipationFactory(programme=programme, city__code="530100")
    board = reviewer_client.get(url(programme)).context["board"]

    api = APIClient()
    api.force_authenticate(reviewer)
    expected = {}
    for participation in (shenzhen, chaoyang, silent):
        rows = api.get(f"/api/v1/participations/{participation.pk}/periods/").json()
        expected[participation.city.code] = (
            sum(1 for row in rows if row["missing"]),
            sum(1 for row in rows if row["late"]),
        )
    shown = {q.participation.city.code: (q.missing, q.late) for q in board.queues}
    assert shown == expected
    assert shown["530100"][0] > 0  # never opened a report: every due period is missing
    # Shenzhen's two reports were submitted, after their due dates: late, not missing.
    assert shown["440300"] == (shown["530100"][0] - 2, shown["530100"][1])
    assert board.missing_total == sum(m for m, _ in expected.values())
    assert board.late_total == sum(n for _, n in expected.values())
    page = text_of(reviewer_client.get(url(programme)))
    assert f"Missing periods: {board.missing_total}" in page
    assert f"Late periods: {board.late_total}" in page


def test_runs_scores_heat_map_and_trends(reviewer_client, programme, run, provisional):
    response = reviewer_client.get(url(programme, "zh-hans"))

    board = response.context["board"]
    assert [r.pk for r in board.latest_runs] == [provisional.pk, run.pk]
    assert board.latest == provisional
    assert [t.run.pk for t in board.trends] == [run.pk, provisional.pk]
    text = text_of(response)
    assert "批次总览" in text and "深圳市" in text and "北京市朝阳区" in text
    body = response.content.decode()
    assert body.count("<svg") == 3  # scores, grades and trend, drawn on the server
    # The heat map: each city's row with each indicator's attainment, linked to its scorecard.
    shenzhen_row = next(r for r in board.heat if r.result.participation.city.code == "440300")
    assert [cell.attainment for cell in shenzhen_row.cells] == [1] * 10
    assert f"/reports/runs/{provisional.pk}/cities/110105/" in body
    assert "100.00%" in text and "0.00%" in text
    assert "<script" not in body  # nothing to load from anywhere


def test_every_tile_links_to_a_list_a_reviewer_can_open(reviewer_client, programme, run, queue):
    body = reviewer_client.get(url(programme)).content.decode()

    links = set(re.findall(r'href="(/admin/[^"]+|/reports/[^"]+)"', body))
    admin_lists = {link for link in links if link.startswith("/admin/evaluation/")}
    # The reports awaiting the ministry's review (the workflow table's rule, one filter).
    assert any(re.search(r"report/\?awaiting=ministry&", link) for link in admin_lists)
    assert any("evaluationrun/?programme__id__exact" in link for link in admin_lists)
    assert any("cityresult/?run__programme__id__exact" in link for link in admin_lists)
    assert any(f"/reports/runs/{run.pk}/ranking/" in link for link in links)
    for link in links:
        response = reviewer_client.get(link.replace("&amp;", "&"))
        assert response.status_code == 200, link
        # An admin list opened with a filter it does not know redirects with ?e=1.
        assert "e=1" not in response.get("Location", "")


def test_the_dashboard_reads_a_fixed_number_of_queries(
    reviewer_client, programme, shenzhen, evaluate
):
    meet_every_target(shenzhen.city)
    evaluate()
    with CaptureQueriesContext(connection) as few:
        reviewer_client.get(url(programme))
    for _ in range(4):
        meet_every_target(ParticipationFactory(programme=programme).city)
    evaluate()
    evaluate()
    with CaptureQueriesContext(connection) as many:
        reviewer_client.get(url(programme))
    assert len(many) == len(few)


def test_officials_and_signed_out_visitors_cannot_see_the_dashboard(
    official_client, anonymous_client, programme, run
):
    refused = official_client.get(url(programme))
    assert refused.status_code == 403
    assert "深圳" not in refused.content.decode() and "Shenzhen" not in refused.content.decode()
    visitor = anonymous_client.get(url(programme))
    assert visitor.status_code == 302 and visitor["Location"].startswith("/?next=")  # sign-in


def test_the_admin_links_to_the_dashboard_ranking_and_scorecards(reviewer_client, programme, run):
    index = reviewer_client.get("/admin/").content.decode()
    assert f'href="/reports/programmes/{programme.pk}/dashboard/"' in index
    assert f'href="/reports/runs/{run.pk}/ranking/"' in index

    change = reviewer_client.get(f"/admin/evaluation/programme/{programme.pk}/change/")
    assert f"/reports/programmes/{programme.pk}/dashboard/" in change.content.decode()
    run_page = reviewer_client.get(f"/admin/evaluation/evaluationrun/{run.pk}/change/")
    assert f"/reports/runs/{run.pk}/ranking/" in run_page.content.decode()
    result = run.city_results.get(participation__city__code="440300")
    result_page = reviewer_client.get(f"/admin/evaluation/cityresult/{result.pk}/change/")
    assert f"/reports/runs/{run.pk}/cities/440300/" in result_page.content.decode()


def test_a_late_report_is_one_submitted_after_its_due_date(
    reviewer_client, programme, shenzhen, official
):
    report = submitted(shenzhen, official, "2022-01")
    on_time = timezone.make_aware(dt.datetime.combine(report.due_date, dt.time(12)))
    Report.objects.filter(pk=report.pk).update(submitted_at=on_time)

    ParticipationFactory(programme=programme, city__code="530100")  # nothing reported

    board = reviewer_client.get(url(programme)).context["board"]
    late = {q.participation.city.code: (q.awaiting_review, q.late) for q in board.queues}
    # Every due period of the city that reported nothing is late; Shenzhen's 2022-01 is not.
    assert late["440300"] == (1, late["530100"][1] - 1)


@pytest.mark.parametrize(
    ("submitted_shanghai", "late"),
    [((0, 23, 30), False), ((1, 0, 30), True)],
    ids=["23:30 on the due date", "00:30 the day after"],
)
def test_the_dashboard_counts_late_reports_as_the_api_shows_them(
    reviewer_client, programme, shenzhen, official, submitted_shanghai, late
):
    """Late is one rule (``inputs.is_late``): the dashboard's count follows it at the day's
    edge in the project's time zone (Shanghai), where a UTC date would say otherwise."""
    from evaluation.inputs import is_late

    report = submitted(shenzhen, official, "2022-01")
    days, hour, minute = submitted_shanghai
    when = timezone.make_aware(
        dt.datetime.combine(report.due_date + dt.timedelta(days=days), dt.time(hour, minute))
    )
    Report.objects.filter(pk=report.pk).update(submitted_at=when)

    ParticipationFactory(programme=programme, city__code="530100")  # nothing reported

    today = report.due_date + dt.timedelta(days=30)
    assert is_late(due=report.due_date, submitted_at=when, today=today) is late
    board = reviewer_client.get(url(programme)).context["board"]
    counts = {q.participation.city.code: q.late for q in board.queues}
    assert counts["440300"] == counts["530100"] - 1 + int(late)
