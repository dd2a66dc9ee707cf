"""The portal's pages as an official reads and uses them."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.core.cache import caches
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from cities import selectors
from evaluation.models import EvaluationRun, MetricValue, Report
from evaluation.models.people import OfficialProfile
from evaluation.scoring import Period
from evaluation.services import reporting
from evaluation.services.imports import metrics_import
from evaluation.services.runs import evaluation_run_request
from tests.cities.conftest import browser
from tests.conftest import csv_bytes
from tests.factories import add_target, add_value, complete

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


# Where my city stands -----------------------------------------------------------------------


def test_still_needed_for_a_cumulative_and_a_growth_indicator(official_a, city_a):
    add_target(city_a, "sme_transformations", "100")
    add_value(city_a.city, "sme_transformations", "2020", "30")
    add_value(city_a.city, "sme_transformations", "2021-03", "25")
    add_value(city_a.city, "sme_transformations", "2021-04", "9", approved=False)
    add_value(city_a.city, "transfer_licence_count", "2019", "1000")
    add_value(city_a.city, "transfer_licence_count", "2021-01", "400")

    with translation.override("zh-hans"):
        standing = selectors.city_standing(
            participation=city_a, fetched_by=official_a, today=dt.date(2021, 6, 1)
        )

    rows = {row.code: row for row in standing.indicators}
    assert standing.next_evaluation == dt.date(2021, 12, 31)
    sme = rows["sme_transformations"]
    # 100 x 2/3 = 66.67 due: 67 SMEs, 55 approved, 12 more; the 9 submitted are apart.
    assert (sme.approved, sme.pending, sme.need.needed) == (55, 9, 12)
    assert (sme.unit, sme.target_source) == ("家", "committed")
    transfers = rows["transfer_licence_count"]
    # 1000 in 2019 at the floor of 20%: 2021 must reach 1440; 400 approved so far in 2021.
    assert (transfers.need.target_year, transfers.need.required, transfers.need.needed) == (
        2021,
        1440,
        1040,
    )
    assert transfers.target_source == "floor" and transfers.unit == "件"
    assert standing.run is None and transfers.status is None


def test_the_dashboard_shows_units_targets_and_the_latest_provisional_run(
    portal_a, city_a, reviewer, django_capture_on_commit_callbacks
):
    add_value(city_a.city, "sme_transformations", "2020", "30")
    page = text(portal_a.get(f"/city/{city_a.pk}/"))
    assert "承接高校院所专利技术的中小企业数" in page and "30 家" in page
    assert "no run yet" in page or "尚无" in page

    with django_capture_on_commit_callbacks(execute=True):
        evaluation_run_request(
            programme=city_a.programme,
            kind=EvaluationRun.Kind.PROVISIONAL,
            trigger=EvaluationRun.Trigger.API,
            by=reviewer,
        )
    page = text(portal_a.get(f"/city/{city_a.pk}/"))
    run = EvaluationRun.objects.get()
    assert run.status == "succeeded", run.error
    score = run.city_results.get(participation=city_a).score
    assert f"{score:.2f}" in page
    assert "no run yet" not in page


def test_an_official_run_is_not_shown_as_the_provisional_one(
    official_a, city_a, reviewer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        evaluation_run_request(
            programme=city_a.programme, trigger=EvaluationRun.Trigger.API, by=reviewer
        )
    assert "no run yet" in text(browser(official_a, "en").get(f"/city/{city_a.pk}/"))


def _grow(participation, months: int, *, first: int = 1) -> None:
    for number in range(first, months + 1):
        for code in ("sme_transformations", "pledge_projects"):
            add_value(participation.city, code, f"2021-{number:02d}", "3")
            add_value(participation.city, code, f"2020-{number:02d}", "2", approved=False)


def _queries(client, url: str, *, cached: bool) -> list[str]:
    """The SQL of one visit (copied: the next request outside a capture clears Django's log)."""
    if not cached:
        caches["pages"].clear()  # the dashboard is drawn again from the database
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in queries.captured_queries]


@pytest.mark.parametrize(
    ("url", "at_most"),
    # The session, the user and the session's save (5 statements), the official's cities once,
    # then what the page shows: the dashboard drawn (the cache emptied), the periods page.
    [("/city/{pk}/", 16), ("/city/{pk}/periods/", 9)],
)
def test_queries_do_not_grow_with_the_periods(url, at_most, portal_a, city_a):
    url = url.format(pk=city_a.pk)
    _grow(city_a, 1)
    portal_a.get(url)  # the first visit records the official's language
    few = _queries(portal_a, url, cached=False)
    for n in range(1, 13):
        add_value(city_a.city, "navigation_projects", f"2022-{n:02d}", "1")
    _grow(city_a, 12, first=2)
    many = _queries(portal_a, url, cached=False)
    assert len(many) == len(few) <= at_most, [*few, "----", *many]


def _saved(client, participation, period: str, values: dict[str, str]) -> list[str]:
    """The SQL of one save of the period's form (a redirect: saved)."""
    report = Report.objects.filter(participation=participation).order_by("-pk").first()
    version = report.version if report is not None and report.period.label == period else 0
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            entry_url(participation, period), {"action": "save", "version": version, **values}
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    return [q["sql"] for q in queries.captured_queries]


def test_a_save_takes_the_same_queries_for_one_value_or_every_one_and_more_periods(
    portal_a, city_a
):
    """The period form's save is set-based: a new report with one value or with ten, a change
    to one value or to all ten, before or after a year of other periods, cost the same."""
    portal_a.get(entry_url(city_a))
    opened_one = _saved(portal_a, city_a, "2021-03", {"pledge_projects": "1"})
    changed_one = _saved(portal_a, city_a, "2021-03", {"pledge_projects": "2"})
    for n in range(1, 13):
        for code in ("sme_transformations", "pledge_projects", "navigation_projects"):
            add_value(city_a.city, code, f"2020-{n:02d}", "3")
    opened_every = _saved(portal_a, city_a, "2021-04", complete({}, rest="1"))
    changed_every = _saved(portal_a, city_a, "2021-04", complete({}, rest="2"))
    # (The city's reports locked while one is opened, ``city_reports_lock``, included.)
    assert len(opened_every) == len(opened_one) <= 45, [*opened_one, "----", *opened_every]
    # A change to a report the form has read: the form alone is read (not the figures a year
    # earlier, the files or the answers), and the report is not opened again.
    assert len(changed_every) == len(changed_one) <= 30, [*changed_one, "----", *changed_every]
    assert MetricValue.objects.filter(report__isnull=False, value=2).count() == 11


def test_a_cached_dashboard_costs_a_fixed_handful_of_queries(portal_a, city_a):
    """Read again with nothing changed, the dashboard is the session, the user, the official's
    cities, the one query that says whether the standing changed, and the session's save: the
    standing itself (10 more statements when drawn) comes from the cache."""
    url = f"/city/{city_a.pk}/"
    _grow(city_a, 1)
    portal_a.get(url)
    drawn = _queries(portal_a, url, cached=False)
    cached = _queries(portal_a, url, cached=True)
    _grow(city_a, 12, first=2)
    portal_a.get(url)  # drawn again: the values changed
    cached_after_growth = _queries(portal_a, url, cached=True)
    assert len(cached) == len(cached_after_growth) <= 7, cached
    assert len(drawn) - len(cached) >= 9, [*drawn, "----", *cached]
    assert not any("metricvalue" in sql and "history" not in sql for sql in cached)


# Periods --------------------------------------------------------------------------------


def test_periods_show_states_and_a_returned_report_shows_the_comment_first(
    portal_a, official_a, city_a, reviewer
):
    for code in complete({}):
        add_value(city_a.city, code, "2020-02", "1")  # an audited file: approved, no report
    report = reporting.report_create(
        participation=city_a, period=Period.parse("2020-03"), by=official_a
    )
    report = reporting.report_values_set(
        report=report, values=complete({}), version=report.version, by=official_a
    )
    report = reporting.report_submit(report=report, version=None, by=official_a)
    reporting.report_return(report=report, comment="三月的数字偏低请核对", by=reviewer)

    rows = {
        r.period: r
        for r in selectors.city_periods(
            participation=city_a, fetched_by=official_a, today=timezone.localdate()
        )
    }
    assert rows["2020-02"].state == "approved" and not rows["2020-02"].late
    assert rows["2020-03"].state == "returned"
    assert rows["2020-01"].state == "missing" and rows["2020-01"].late
    assert rows["2019"].due_date == dt.date(2020, 1, 15)
    page = portal_a.get(f"/city/{city_a.pk}/periods/").content.decode()
    assert page.index("三月的数字偏低请核对") < page.index("<table")
    # The comment links to the period's form, as each row of the table does.
    link = f'<a href="/city/{city_a.pk}/periods/2020-03/">'
    assert page.index(link) < page.index("<table") and page.count(link) == 2


# Enter a period ---------------------------------------------------------------------------


def entry_url(participation, period="2021-03") -> str:
    return f"/city/{participation.pk}/periods/{period}/"


def test_the_form_shows_every_indicator_with_a_year_earlier(portal_a, city_a):
    add_value(city_a.city, "pledge_amount", "2020-03", "123.45")
    page = portal_a.get(entry_url(city_a)).content.decode()
    assert "知识产权质押融资金额" in page and "123.45" in page
    assert len(re.findall(r'<input type="text" name="[a-z_]+"', page)) == 10


def test_the_file_rules_apply_as_typed_each_message_by_its_field(portal_a, city_a):
    response = portal_a.post(
        entry_url(city_a),
        {
            "action": "save",
            "pledge_projects": "2.5",
            "pledge_amount": "1.234",
            "sme_transformations": "-1",
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "whole number" in errors["pledge_projects"][0] or "整数" in errors["pledge_projects"][0]
    assert set(errors) == {"pledge_projects", "pledge_amount", "sme_transformations"}
    # What was typed is kept.
    assert 'value="1.234"' in response.content.decode()
    assert not MetricValue.objects.exists()

    check = portal_a.post(
        entry_url(city_a) + "check/", {"field": "pledge_projects", "pledge_projects": "-3"}
    )
    assert check.status_code == 200 and "-3" in check.content.decode()
    fine = portal_a.post(
        entry_url(city_a) + "check/", {"field": "pledge_projects", "pledge_projects": "3"}
    )
    assert 'class="field-message"' in fine.content.decode()


def test_a_refused_save_shows_the_whole_page_again(portal_a, city_a):
    """A save reads only the form; refused, the page around it (the figures a year earlier,
    the answers) is shown as on a visit, with what was typed."""
    add_value(city_a.city, "pledge_amount", "2020-03", "123.45")
    shown = portal_a.get(entry_url(city_a))
    refused = portal_a.post(entry_url(city_a), {"action": "save", "pledge_projects": "2.5"})
    assert refused.status_code == 400
    assert "123.45" in refused.content.decode() and 'value="2.5"' in refused.content.decode()
    assert refused.context["entry"].rows == shown.context["entry"].rows


def test_save_a_draft_then_an_incomplete_report_is_not_submitted(portal_a, city_a):
    saved = portal_a.post(entry_url(city_a), {"action": "save", "pledge_projects": "4"})
    assert saved.status_code == 302
    report = Report.objects.get()
    assert report.status == "draft"
    refused = portal_a.post(
        entry_url(city_a), {"action": "submit", "pledge_projects": "4", "version": report.version}
    )
    assert refused.status_code == 400
    assert len(refused.context["form"].errors) == 9
    assert Report.objects.get().status == "draft"

    values = complete({"pledge_projects": "4"})
    report.refresh_from_db()
    sent = portal_a.post(
        entry_url(city_a), {"action": "submit", "version": report.version, **values}
    )
    assert sent.status_code == 302
    assert Report.objects.get().status == "submitted"
    # Submitted: the form says why and offers nothing to edit.
    page = portal_a.get(entry_url(city_a)).content.decode()
    assert '<input type="text"' not in page and 'value="submit"' not in page


def test_a_stale_form_says_so_and_keeps_what_was_typed(portal_a, official_a, city_a):
    portal_a.post(entry_url(city_a), {"action": "save", "pledge_projects": "4"})
    version = Report.objects.get().version
    # Someone else (another official of the city, or the API) saves meanwhile.
    reporting.report_values_set(
        report=Report.objects.get(), values={"pledge_projects": "5"}, version=version, by=official_a
    )
    stale = portal_a.post(
        entry_url(city_a), {"action": "save", "pledge_projects": "6", "version": version}
    )
    assert stale.status_code == 409
    assert 'value="6"' in stale.content.decode()
    assert MetricValue.objects.get().value == 5


def test_an_approved_period_offers_nothing_to_edit(portal_a, city_a):
    add_value(city_a.city, "pledge_projects", "2021-03", "4")
    page = portal_a.get(entry_url(city_a)).content.decode()
    assert 'name="pledge_projects"' not in page
    refused = portal_a.post(entry_url(city_a), {"action": "save", "pledge_projects": "9"})
    assert refused.status_code == 400
    assert MetricValue.objects.get().value == 4


def test_a_period_outside_the_programme_is_not_found(portal_a, city_a):
    assert portal_a.get(entry_url(city_a, "2030-01")).status_code == 404
    assert portal_a.get(entry_url(city_a, "March")).status_code == 404


# History and notifications ----------------------------------------------------------------


def _returned(official, participation, reviewer, period="2021-03"):
    report = reporting.report_create(
        participation=participation, period=Period.parse(period), by=official
    )
    report = reporting.report_values_set(
        report=report,
        values=complete({"pledge_projects": "4"}),
        version=report.version,
        by=official,
    )
    report = reporting.report_submit(report=report, version=None, by=official)
    return reporting.report_return(report=report, comment="请核对质押项目数", by=reviewer)


def test_history_shows_who_when_old_and_new_and_the_comments(
    portal_a, official_a, city_a, reviewer
):
    report = _returned(official_a, city_a, reviewer)
    reporting.report_values_set(
        report=report, values={"pledge_projects": "6"}, version=report.version, by=official_a
    )
    found = selectors.value_history(participation=city_a, fetched_by=official_a)
    changed = [r for r in found.rows if r.old == Decimal(4) and r.new == Decimal(6)]
    assert changed and changed[0].who == "li.wei"
    assert changed[0].reason == f"figures entered in report #{report.pk}"
    assert [c.comment for c in found.comments] == ["请核对质押项目数"]
    page = portal_a.get(f"/city/{city_a.pk}/history/").content.decode()
    assert "请核对质押项目数" in page and "wang.fang" in page


def test_history_filters_by_period_and_indicator_and_says_why_in_words(
    portal_a, official_a, city_a, reviewer
):
    report = _returned(official_a, city_a, reviewer)
    metrics_import(
        name="audited.csv",
        data=csv_bytes("city_code,period,indicator,value", "210100,2021-04,pledge_projects,9"),
        approve=True,
        by=reviewer,
    )
    url = f"/city/{city_a.pk}/history/"

    everything = text(portal_a.get(url))
    assert "2021-04" in everything and "2021-03" in everything
    assert "import_metrics" not in everything and f"report {report.pk}" not in everything
    # The audited file's reason and the report's, as sentences in the reader's language.
    assert "部委从经审核的文件 audited.csv 导入，已审核通过" in everything
    assert "退回城市：请核对质押项目数" in everything or f"报表 #{report.pk}" in everything
    chosen = portal_a.get(url, {"period": "2021-03", "indicator": "pledge_projects"})
    rows = chosen.context["history"].rows
    assert {(r.period, r.indicator) for r in rows} == {("2021-03", "知识产权质押融资项目数")}
    assert [r.new for r in rows][-1] == 4
    assert "2021-04" not in [r.period for r in rows]
    # A period that is not one shows everything rather than failing.
    assert portal_a.get(url, {"period": "March"}).status_code == 200


def test_each_field_of_the_period_form_links_to_its_history(portal_a, city_a):
    page = portal_a.get(entry_url(city_a)).content.decode()
    assert f'href="/city/{city_a.pk}/history/?period=2021-03&amp;indicator=pledge_projects"' in page


def test_history_reads_a_fixed_number_of_queries(portal_a, official_a, city_a, reviewer):
    url = f"/city/{city_a.pk}/history/"
    _returned(official_a, city_a, reviewer)
    portal_a.get(url)
    with CaptureQueriesContext(connection) as few:
        portal_a.get(url)
    for month in ("2021-05", "2021-06", "2021-07"):
        for code in ("pledge_projects", "pledge_amount"):
            add_value(city_a.city, code, month, "3")
    with CaptureQueriesContext(connection) as many:
        portal_a.get(url)
    assert len(many) == len(few)


def test_returned_and_approved_reports_email_each_official_in_their_language(
    official_a, city_a, reviewer, django_capture_on_commit_callbacks
):
    from tests.cities.conftest import _official

    english = _official("amy.li", city_a)
    OfficialProfile.objects.create(user=english, language="en")
    # li.wei has not chosen a language: the default, Chinese.
    with (
        override_settings(LANGUAGE_CODE="zh-hans"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        report = _returned(official_a, city_a, reviewer)
    to_official = {m.to[0]: m for m in mail.outbox if m.to[0] != reviewer.email}
    assert set(to_official) == {official_a.email, english.email}
    en = to_official[english.email]
    assert "returned" in en.subject and "Shenyang" in en.subject
    assert "请核对质押项目数" in en.body
    assert f"/city/{city_a.pk}/periods/2021-03/" in en.body
    assert "沈阳市" in to_official[official_a.email].subject

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        report = reporting.report_submit(report=report, version=None, by=official_a)
        reporting.report_approve(report=report, by=reviewer)
    approved = [m for m in mail.outbox if m.to[0] == english.email]
    assert len(approved) == 1 and "approved" in approved[0].subject


def test_the_language_used_on_the_portal_is_remembered_for_emails(official_a, city_a):
    browser(official_a, language="en").get(f"/city/{city_a.pk}/")
    assert OfficialProfile.objects.get(user=official_a).language == "en"


def test_reminders_link_to_the_periods_form(official_a, city_a):
    from evaluation.services.reminders import reminders_send

    sent = reminders_send(today=dt.date(2021, 4, 13))
    assert sent >= 1
    assert any(f"/city/{city_a.pk}/periods/2021-03/" in m.body for m in mail.outbox)


# Assets -----------------------------------------------------------------------------------


def test_pages_use_only_the_projects_own_assets(portal_a, city_a, anonymous):
    pages = [anonymous.get("/")] + [
        portal_a.get(url)
        for url in (
            f"/city/{city_a.pk}/",
            f"/city/{city_a.pk}/periods/",
            f"/city/{city_a.pk}/periods/2021-03/",
            f"/city/{city_a.pk}/excel/",
            f"/city/{city_a.pk}/history/",
        )
    ]
    for page in pages:
        html = page.content.decode()
        sources = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert sources
        assert not [s for s in sources if re.match(r"^(https?:)?//", s)], sources
    dashboard = pages[1].content.decode()
    assert "/static/vendor/echarts/echarts.min.js" in dashboard
    assert "/static/cities/vendor/htmx/htmx.min.js" in dashboard


def test_the_charts_of_counts_step_in_whole_numbers(portal_a, city_a):
    page = portal_a.get(f"/city/{city_a.pk}/").content.decode()
    charts = json.loads(
        re.search(r'<script id="charts" type="application/json">(.*?)</script>', page).group(1)
    )
    assert charts["sme_transformations"]["whole"] is True  # 家
    assert charts["securitization_products"]["whole"] is True  # 个
    assert charts["pledge_amount"]["whole"] is False  # 万元


def test_one_of_a_count_is_written_in_the_singular_in_english(official_a, city_a):
    add_value(city_a.city, "securitization_products", "2020", "1")
    add_value(city_a.city, "operation_centres", "2020", "2")
    english = text(browser(official_a, "en").get(f"/city/{city_a.pk}/"))
    # 1 product approved of the floor of 1; 2 centres of 3 by 2022: 1 more.
    assert "Approved so far 1 product " in english
    assert "1 centre more needed by" in english
    assert "Approved so far 2 centres" in english
    assert "1 products" not in english and "1 centres" not in english
    chinese = text(browser(official_a, "zh-hans").get(f"/city/{city_a.pk}/"))
    assert "累计审核通过 1 个" in chinese and "还需 1 个，截至" in chinese
