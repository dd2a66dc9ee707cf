"""The review queue: submitted reports filtered by programme, city, period, status and flag;
each report beside the same period a year earlier with its flags; approve, return and reopen,
one or many at a time, through the same services as the API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from evaluation.models import MetricValue, Programme, Report
from tests.admin.conftest import history_rows, page, shown_messages, submitted_report
from tests.factories import ParticipationFactory, add_value

pytestmark = pytest.mark.django_db

QUEUE = "/admin/evaluation/report/"


@pytest.fixture
def flagged(city_a, official) -> Report:
    """Shenzhen's March 2021: ten times March 2020, so it is flagged for the reviewer."""
    add_value(city_a.city, "transfer_licence_count", "2020-03", "100")
    add_value(city_a.city, "pledge_amount", "2020-03", "50")
    return submitted_report(
        city_a, official, "2021-03", {"transfer_licence_count": "1000", "pledge_amount": "60"}
    )


@pytest.fixture
def plain(city_b, official) -> Report:
    """Chaoyang's March 2021, nothing unusual."""
    return submitted_report(city_b, official, "2021-03", {"transfer_licence_count": "40"})


@pytest.fixture
def draft(city_a, official) -> Report:
    from evaluation.scoring import Period
    from evaluation.services.reporting import report_create

    return report_create(participation=city_a, period=Period.parse("2021-04"), by=official)


@pytest.fixture
def older(city_b, official, reviewer) -> Report:
    """Chaoyang's December 2020, already approved."""
    from evaluation.services.reporting import report_approve

    report = submitted_report(city_b, official, "2020-12", {"transfer_licence_count": "30"})
    return report_approve(report=report, by=reviewer)


def listed(response) -> set[int]:
    assert response.status_code == 200
    return {report.pk for report in response.context["cl"].result_list}


def act(client, action: str, reports: list[Report], **extra):
    data = {"action": action, "_selected_action": [r.pk for r in reports], **extra}
    return client.post(QUEUE, data, follow=True)


def statuses(*reports: Report) -> list[str]:
    return [Report.objects.get(pk=r.pk).status for r in reports]


# The queue and its filters ----------------------------------------------------------------


def test_the_queue_lists_every_report_with_city_period_status_and_flag(
    reviewer_client, flagged, plain, draft
):
    response = reviewer_client.get(QUEUE)

    assert listed(response) == {flagged.pk, plain.pk, draft.pk}
    text = page(response)
    assert "440300 Shenzhen" in text and "110105 Chaoyang" in text
    assert "2021-03" in text and "2021-04" in text
    assert "submitted, awaiting review" in text


def test_the_queue_filters_by_status(reviewer_client, flagged, plain, draft, older):
    assert listed(reviewer_client.get(QUEUE + "?status=submitted")) == {flagged.pk, plain.pk}
    assert listed(reviewer_client.get(QUEUE + "?status=draft")) == {draft.pk}
    assert listed(reviewer_client.get(QUEUE + "?status=approved")) == {older.pk}


def test_the_queue_filters_by_programme(reviewer_client, flagged, plain):
    other = Programme.objects.get(code="2019")
    elsewhere = ParticipationFactory(
        programme=other,
        city__code="500000",
        total_amount=Decimal("150000000.00"),
        first_tranche=Decimal("100000000.00"),
    )
    earlier = Report.objects.create(
        participation=elsewhere,
        city=elsewhere.city,
        year=2020,
        granularity="month",
        number=3,
        status=Report.Status.SUBMITTED,
        due_date=dt.date(2020, 4, 15),
        submitted_at=dt.datetime(2020, 4, 1, tzinfo=dt.UTC),
    )

    in_2020 = reviewer_client.get(
        QUEUE + f"?participation__programme__id__exact={flagged.participation.programme_id}"
    )
    in_2019 = reviewer_client.get(QUEUE + f"?participation__programme__id__exact={other.pk}")

    assert listed(in_2020) == {flagged.pk, plain.pk}
    assert listed(in_2019) == {earlier.pk}


def test_the_queue_filters_by_city(reviewer_client, city_a, city_b, flagged, plain, older):
    shenzhen = reviewer_client.get(QUEUE + f"?participation__city__id__exact={city_a.city_id}")
    chaoyang = reviewer_client.get(QUEUE + f"?participation__city__id__exact={city_b.city_id}")

    assert listed(shenzhen) == {flagged.pk}
    assert listed(chaoyang) == {plain.pk, older.pk}


def test_the_queue_filters_by_period_year(reviewer_client, flagged, plain, older):
    assert listed(reviewer_client.get(QUEUE + "?year=2021")) == {flagged.pk, plain.pk}
    assert listed(reviewer_client.get(QUEUE + "?year=2020")) == {older.pk}


def test_the_queue_filters_by_flag(reviewer_client, flagged, plain, draft):
    assert listed(reviewer_client.get(QUEUE + "?flagged=yes")) == {flagged.pk}
    assert listed(reviewer_client.get(QUEUE + "?flagged=no")) == {plain.pk, draft.pk}


def test_filters_combine(reviewer_client, city_b, flagged, plain, older):
    response = reviewer_client.get(
        QUEUE + f"?status=submitted&participation__city__id__exact={city_b.city_id}&year=2021"
    )

    assert listed(response) == {plain.pk}


def test_a_report_shows_its_values_beside_a_year_earlier_and_its_flags(reviewer_client, flagged):
    response = reviewer_client.get(f"{QUEUE}{flagged.pk}/change/")

    assert response.status_code == 200
    text = page(response)
    assert "a year earlier" in text
    # Indicators by name, figures as the portal writes them with their units, flags in words.
    assert "transfer_licence_count" not in text and "pledge_amount" not in text
    assert (
        "Number of IP transfers and licences 1,000 transfers and licences "
        "submitted, awaiting review 100 transfers and licences"
    ) in text
    assert (
        "1,000 transfers and licences is more than 3 times the 2020-03 value "
        "100 transfers and licences"
    ) in text
    # 60 is close enough to last March's 50: shown beside it, not flagged.
    assert (
        "IP pledge-financing amount (10,000 yuan) 60.00 10k yuan submitted, awaiting review "
        "50.00 10k yuan"
    ) in text
    assert "60.00 10k yuan is" not in text


def test_a_value_with_nothing_a_year_earlier_shows_a_dash(reviewer_client, plain):
    text = page(reviewer_client.get(f"{QUEUE}{plain.pk}/change/"))

    assert (
        "Number of IP transfers and licences 40 transfers and licences submitted, awaiting review —"
    ) in text


# Approve -------------------------------------------------------------------------------------


def test_approving_one_report(reviewer_client, reviewer, flagged, plain):
    response = act(reviewer_client, "approve", [flagged])

    assert "Approved 1 of 1." in shown_messages(response)
    assert statuses(flagged, plain) == ["approved", "submitted"]
    flagged.refresh_from_db()
    assert flagged.reviewed_by == reviewer
    assert set(MetricValue.objects.filter(report=flagged).values_list("status", flat=True)) == {
        "approved"
    }


def test_approving_in_bulk(reviewer_client, reviewer, flagged, plain):
    response = act(reviewer_client, "approve", [flagged, plain])

    assert "Approved 2 of 2." in shown_messages(response)
    assert statuses(flagged, plain) == ["approved", "approved"]
    assert {r.reviewed_by for r in Report.objects.filter(pk__in=[flagged.pk, plain.pk])} == {
        reviewer
    }


def test_approving_a_draft_is_refused_and_changes_nothing(reviewer_client, draft, plain):
    before = Report.objects.get(pk=draft.pk).version

    response = act(reviewer_client, "approve", [draft, plain])

    messages = shown_messages(response)
    assert any(
        m.startswith("440300 2021-04")
        and "only a submitted report can be approved; it is draft" in m
        for m in messages
    ), messages
    assert "Approved 1 of 2." in messages
    assert statuses(draft, plain) == ["draft", "approved"]
    assert Report.objects.get(pk=draft.pk).version == before


# Return to the city --------------------------------------------------------------------------


def test_returning_asks_for_a_comment_first(reviewer_client, flagged, plain):
    response = act(reviewer_client, "return_to_city", [flagged, plain])

    assert response.status_code == 200
    text = page(response)
    assert "Return reports to the city" in text
    assert "What should the city fix?" in text
    assert "2 selected" in text
    assert statuses(flagged, plain) == ["submitted", "submitted"]


def test_returning_without_a_comment_shows_the_form_again_and_changes_nothing(
    reviewer_client, flagged
):
    history = flagged.history.count()

    response = act(reviewer_client, "return_to_city", [flagged], apply="Apply", text="  ")

    assert response.status_code == 200
    text = page(response)
    assert "Return reports to the city" in text
    assert "This field is required." in text
    assert '<input type="submit" name="apply"' in response.content.decode()
    assert statuses(flagged) == ["submitted"]
    assert Report.objects.get(pk=flagged.pk).version == flagged.version
    assert Report.objects.get(pk=flagged.pk).history.count() == history


def test_returning_with_a_comment_sends_the_reports_back(reviewer_client, reviewer, flagged, plain):
    response = act(
        reviewer_client,
        "return_to_city",
        [flagged, plain],
        apply="Apply",
        text="March looks ten times too high",
    )

    assert "Returned 2 of 2." in shown_messages(response)
    assert statuses(flagged, plain) == ["returned", "returned"]
    for report in Report.objects.filter(pk__in=[flagged.pk, plain.pk]):
        assert report.review_comment == "March looks ten times too high"
        assert report.reviewed_by == reviewer


def test_returning_an_approved_report_is_refused(reviewer_client, older):
    response = act(reviewer_client, "return_to_city", [older], apply="Apply", text="fix it")

    assert any(
        "only a submitted report can be returned; it is approved" in m
        for m in shown_messages(response)
    )
    assert statuses(older) == ["approved"]


# Reopen --------------------------------------------------------------------------------------


def test_reopening_needs_a_reason(reviewer_client, older):
    asked = act(reviewer_client, "reopen", [older])
    empty = act(reviewer_client, "reopen", [older], apply="Apply", text="")

    assert "Why reopen?" in page(asked)
    assert "This field is required." in page(empty)
    assert statuses(older) == ["approved"]


def test_reopening_with_a_reason_unlocks_the_report(reviewer_client, reviewer, older):
    response = act(
        reviewer_client, "reopen", [older], apply="Apply", text="the audit found an error"
    )

    assert "Reopened 1 of 1." in shown_messages(response)
    older.refresh_from_db()
    assert (older.status, older.review_comment, older.reviewed_by) == (
        "returned",
        "the audit found an error",
        reviewer,
    )
    values = MetricValue.objects.filter(report=older)
    assert {(value.status, value.approved_at) for value in values} == {("draft", None)}


def test_reopening_in_bulk_refuses_the_reports_not_approved(reviewer_client, older, plain):
    response = act(reviewer_client, "reopen", [older, plain], apply="Apply", text="recount")

    messages = shown_messages(response)
    assert "Reopened 1 of 2." in messages
    assert any("only an approved report can be reopened; it is submitted" in m for m in messages)
    assert statuses(older, plain) == ["returned", "submitted"]


# History -------------------------------------------------------------------------------------


def test_the_history_of_a_report_names_who_did_what(
    admin_client, reviewer_client, reviewer, flagged
):
    act(reviewer_client, "return_to_city", [flagged], apply="Apply", text="too high")

    rows = history_rows(admin_client.get(f"{QUEUE}{flagged.pk}/history/"))

    assert [(row["by"], row["reason"]) for row in rows] == [
        ("reviewer", "returned to the city: too high"),
        ("official", "submitted for review"),
        ("official", f"figures entered in report #{flagged.pk}"),
        ("official", "report opened"),
    ]
    assert "Review comment: — → too high" in rows[0]["changes"]


def test_the_history_records_the_reviewer_of_a_bulk_approval(
    admin_client, reviewer_client, flagged, plain
):
    act(reviewer_client, "approve", [flagged, plain])

    for report in (flagged, plain):
        latest = history_rows(admin_client.get(f"{QUEUE}{report.pk}/history/"))[0]
        assert (latest["by"], latest["reason"]) == ("reviewer", "approved by a reviewer")
        assert "Status: submitted, awaiting review → approved (locked)" in latest["changes"]


def test_the_history_of_a_reopened_report_keeps_the_reason(admin_client, reviewer_client, older):
    act(reviewer_client, "reopen", [older], apply="Apply", text="audit correction")

    rows = history_rows(admin_client.get(f"{QUEUE}{older.pk}/history/"))

    assert [(row["by"], row["reason"]) for row in rows[:2]] == [
        ("reviewer", "reopened by a reviewer: audit correction"),
        ("reviewer", "approved by a reviewer"),
    ]


def test_the_queue_filters_by_period(reviewer_client, official, city_a):
    march = submitted_report(city_a, official, "2021-03", {"pledge_projects": "3"})
    april = submitted_report(city_a, official, "2021-04", {"pledge_projects": "3"})

    response = reviewer_client.get("/admin/evaluation/report/?period=2021-03")

    shown = [report.pk for report in response.context["cl"].result_list]
    assert shown == [march.pk]
    assert april.pk not in shown
    assert "2021-04" in page(response)  # still offered as a choice
