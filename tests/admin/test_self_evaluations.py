"""The ministry's side of the cities' self-evaluations (自评) in the admin: a read-only list and
page (each indicator's figures, target, attainment, expected points, the city's reason and
measures, the province's opinions, the document, the history) and the review steps the
workflow table allows, accept and return with a comment, through the services; where the
province reviews first, nothing for the ministry until it has forwarded. And the province's
opinion on a report's page."""

from __future__ import annotations

import re

import pytest

from evaluation.models import ProvincialOpinion, SelfEvaluation
from evaluation.services import people, reporting
from evaluation.services import self_evaluation as service
from tests.admin.conftest import history_rows, logged_in, page, shown_messages, submitted_report
from tests.factories import UserFactory
from tests.self_evaluations import (
    MEASURES,
    REASON,
    provincial,
    submitted_self_evaluation,
    with_a_shortfall,
)

pytestmark = pytest.mark.django_db

LIST = "/admin/evaluation/selfevaluation/"


@pytest.fixture
def submitted(city_a, official) -> SelfEvaluation:
    """Shenzhen's mid-term self-evaluation, one shortfall explained, submitted."""
    return submitted_self_evaluation(with_a_shortfall(city_a), official)


@pytest.fixture
def guangdong(db):
    """A reviewer of Guangdong (44), Shenzhen's province."""
    user = UserFactory(username="guangdong.reviewer", first_name="粤审")
    people.province_bind(user=user, province="44")
    return user


def buttons(response) -> list[str]:
    return re.findall(r'<input type="submit"[^>]*value="([^"]*)"', response.content.decode())


def test_the_list_shows_the_self_evaluations_and_filters_them_by_status(
    reviewer_client, submitted, city_b
):
    listed = reviewer_client.get(LIST)
    assert listed.status_code == 200
    assert "Shenzhen" in page(listed) or "深圳" in page(listed)
    assert reviewer_client.get(LIST, {"status__exact": "submitted"}).context["cl"].result_count == 1
    assert reviewer_client.get(LIST, {"status__exact": "accepted"}).context["cl"].result_count == 0
    by_city = reviewer_client.get(LIST, {"participation__city__id__exact": city_b.city.pk})
    assert by_city.context["cl"].result_count == 0


def test_the_page_shows_each_indicator_the_reason_and_measures_and_the_document(
    reviewer_client, submitted
):
    response = reviewer_client.get(f"{LIST}{submitted.pk}/change/")
    assert response.status_code == 200
    text = page(response)
    assert REASON in text and MEASURES in text and "总体进展顺利" in text
    rows = re.findall(r'<tr class="short">(.*?)</tr>', response.content.decode(), re.S)
    assert len(rows) == 1, "one indicator short of its target"
    cells = [page_text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", rows[0], re.S)]
    line = submitted.lines.get(indicator__code="operation_centres")
    assert cells[4] == "50%" or cells[4].startswith("50")
    assert cells[5] == str(line.points)
    assert f"/reports/self-evaluations/{submitted.pk}/self-evaluation.pdf" in (
        response.content.decode()
    )
    # Nothing to edit: the ministry's steps instead of Save.
    assert not re.findall(r'<textarea name="(?!text)', response.content.decode())
    assert len(buttons(response)) == 2


def page_text(cell: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell)).strip()


def test_the_ministry_accepts_it_from_its_page(reviewer_client, reviewer, submitted):
    response = reviewer_client.post(f"{LIST}{submitted.pk}/review/accept/", follow=True)
    submitted.refresh_from_db()
    assert (submitted.status, submitted.reviewed_by) == ("accepted", reviewer)
    assert len(shown_messages(response)) == 1
    assert buttons(reviewer_client.get(f"{LIST}{submitted.pk}/change/")) == []


def test_returning_asks_for_the_comment_and_an_empty_one_changes_nothing(
    reviewer_client, submitted
):
    url = f"{LIST}{submitted.pk}/review/return/"
    asked = reviewer_client.post(url)
    assert asked.status_code == 200 and 'name="text"' in asked.content.decode()
    empty = reviewer_client.post(
        url,
        {"apply": "1", "text": " ", "action": "return_to_city", "_selected_action": [submitted.pk]},
    )
    assert empty.status_code == 200
    submitted.refresh_from_db()
    assert submitted.status == "submitted"

    reviewer_client.post(
        url,
        {
            "apply": "1",
            "text": "请补充整改时间表",
            "action": "return_to_city",
            "_selected_action": [submitted.pk],
        },
    )
    submitted.refresh_from_db()
    assert (submitted.status, submitted.review_comment) == ("returned", "请补充整改时间表")


def test_the_lists_actions_report_each_refusal_in_the_readers_words(
    reviewer_client, submitted, official
):
    accepted = service.self_evaluation_accept(
        self_evaluation=submitted, by=UserFactory(is_superuser=True)
    )
    response = reviewer_client.post(
        LIST,
        {
            "action": "return_to_city",
            "_selected_action": [accepted.pk],
            "apply": "1",
            "text": "再看看",
        },
        follow=True,
    )
    said = shown_messages(response)
    assert len(said) == 1 and str(accepted) in said[0]
    accepted.refresh_from_db()
    assert accepted.status == "accepted"


def test_where_the_province_reviews_first_the_ministry_waits_then_reads_its_opinion(
    reviewer_client, programme, city_a, official, guangdong
):
    provincial(programme)
    item = submitted_self_evaluation(with_a_shortfall(city_a), official)
    waiting = reviewer_client.get(f"{LIST}{item.pk}/change/")
    assert buttons(waiting) == []
    assert 'id="no-review-step"' in waiting.content.decode()
    refused = reviewer_client.post(f"{LIST}{item.pk}/review/accept/", follow=True)
    assert len(shown_messages(refused)) == 1
    item.refresh_from_db()
    assert item.status == "submitted"

    service.self_evaluation_forward(
        self_evaluation=item, opinion="情况属实，同意报送", by=guangdong
    )
    forwarded = reviewer_client.get(f"{LIST}{item.pk}/change/")
    text = page(forwarded)
    assert "情况属实，同意报送" in text and "粤审" in text
    assert len(buttons(forwarded)) == 2
    reviewer_client.post(f"{LIST}{item.pk}/review/accept/")
    item.refresh_from_db()
    assert item.status == "accepted"


def test_nobody_but_the_ministry_reaches_the_pages(submitted, official, guangdong):
    for user in (official, guangdong, None):
        client = logged_in(user)
        for url in (LIST, f"{LIST}{submitted.pk}/change/", f"{LIST}{submitted.pk}/history/"):
            assert client.get(url).status_code in (302, 403), (user, url)
        client.post(f"{LIST}{submitted.pk}/review/accept/")
    submitted.refresh_from_db()
    assert submitted.status == "submitted"


def test_a_step_is_posted_and_the_page_saves_nothing(reviewer_client, submitted):
    assert reviewer_client.get(f"{LIST}{submitted.pk}/review/accept/").status_code == 405
    assert reviewer_client.post(f"{LIST}{submitted.pk}/change/", {}).status_code == 405
    assert reviewer_client.post(f"{LIST}{submitted.pk}/review/nonesuch/").status_code == 404
    submitted.refresh_from_db()
    assert submitted.status == "submitted"


def test_the_history_says_who_submitted_and_who_accepted(reviewer_client, submitted, reviewer):
    service.self_evaluation_accept(self_evaluation=submitted, by=reviewer)
    rows = history_rows(reviewer_client.get(f"{LIST}{submitted.pk}/history/"))
    assert rows[0]["by"] == "reviewer" or "reviewer" in rows[0]["by"]
    assert len(rows) >= 3


def test_the_reports_page_shows_what_the_province_wrote_who_and_when(
    reviewer_client, programme, city_a, official, guangdong
):
    provincial(programme)
    report = submitted_report(city_a, official, "2021-03", {"transfer_licence_count": "40"})
    reporting.report_forward(report=report, opinion="数据已核实，同意报送", by=guangdong)
    response = reviewer_client.get(f"/admin/evaluation/report/{report.pk}/change/")
    assert response.status_code == 200
    opinion = ProvincialOpinion.objects.get(report=report)
    found = re.search(r'<li class="opinion-forward">(.*?)</li>', response.content.decode(), re.S)
    assert found is not None
    said = page_text(found.group(1))
    assert "数据已核实，同意报送" in said and "粤审" in said
    assert opinion.at.astimezone().strftime("%Y") in said


def test_the_list_is_read_in_a_fixed_number_of_queries(reviewer, programme, city_a, official):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from evaluation.models import OfficialAssignment
    from tests.factories import ParticipationFactory

    provincial(programme)

    def queries() -> tuple[int, int]:
        client = logged_in(reviewer)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(LIST)
        return len(captured), response.context["cl"].result_count

    submitted_self_evaluation(with_a_shortfall(city_a), official)
    few = queries()
    for code in ("440100", "340100", "530100"):
        participation = ParticipationFactory(programme=programme, city__code=code)
        OfficialAssignment.objects.create(user=official, participation=participation)
        submitted_self_evaluation(with_a_shortfall(participation), official)
    many = queries()
    assert (few[1], many[1]) == (1, 4)
    assert many[0] == few[0]


def test_where_the_province_reviews_first_the_ministrys_to_do_counts_only_what_it_forwarded(
    reviewer, reviewer_client, programme, city_a, official, guangdong
):
    """A report submitted in a programme with the provincial review awaits the province: the
    index does not count it for the ministry, and its link lists it once forwarded."""
    import datetime as dt

    from evaluation import selectors

    provincial(programme)
    report = submitted_report(city_a, official, "2021-03", {"transfer_licence_count": "40"})
    today = dt.date(2022, 6, 30)
    awaiting = "/admin/evaluation/report/?awaiting=ministry"

    assert selectors.reviewer_todo(by=reviewer, today=today).reports_to_review == 0
    assert reviewer_client.get(awaiting).context["cl"].result_count == 0

    reporting.report_forward(report=report, opinion="情况属实，同意报送", by=guangdong)

    assert selectors.reviewer_todo(by=reviewer, today=today).reports_to_review == 1
    listed = reviewer_client.get(awaiting)
    assert [r.pk for r in listed.context["cl"].result_list] == [report.pk]
    assert (
        'href="/admin/evaluation/report/?awaiting=ministry"'
        in reviewer_client.get("/admin/").content.decode()
    )
