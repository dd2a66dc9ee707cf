"""History reasons: each written once (``evaluation.reasons``), stored as the English phrase
the services always wrote, and read back as a sentence in the reader's language."""

from __future__ import annotations

import pytest
from django.utils import translation

from evaluation.models import MetricValue, Report
from evaluation.reasons import REASONS, history_reason, reason_code, reason_words
from evaluation.scoring import Period
from evaluation.services import reporting
from evaluation.services.imports import metrics_import
from tests.conftest import csv_bytes
from tests.factories import ParticipationFactory, UserFactory, complete

FIGURES = {
    "report": "3",
    "text": "请核对三月的数字",
    "file": "synthetic-metrics.csv",
    "programme": "2020",
    "ruleset": "2020 v1",
    "trigger": "schedule",
    "seconds": "120",
    "chunks": "1, 2",
    "run": "7",
    "codes": "pledge_amount, transfer_licence_count",
    "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "kind": "return",
}


@pytest.mark.parametrize("reason", REASONS, ids=lambda r: r.code)
def test_every_reason_is_read_back_as_the_code_and_figures_it_was_written_with(reason):
    figures = {name: FIGURES[name] for name in reason.pattern.groupindex}
    stored = history_reason(reason.code, **figures)

    assert reason_code(stored) == (reason.code, figures)
    with translation.override("zh-hans"):
        chinese = reason_words(stored)
    assert chinese and chinese != stored
    assert not any(
        word in chinese for word in ("report", "import_metrics", "--approve", "return", "written")
    )


def test_the_phrases_of_the_issue_read_as_sentences():
    with translation.override("zh-hans"):
        assert reason_words("report 3 values set") == "在报表 #3 中填入数据"
        assert (
            reason_words("import_metrics synthetic-metrics.csv --approve")
            == "部委从经审核的文件 synthetic-metrics.csv 导入，已审核通过"
        )
        assert reason_words("requested (schedule)") == "已请求（定时任务）"
    with translation.override("en"):
        assert reason_words("report 3 values set") == "figures entered in report #3"
        assert reason_words("import_metrics a.csv") == (
            "loaded by the ministry from the file a.csv, awaiting review"
        )


def test_a_reason_no_phrase_matches_is_shown_as_stored():
    assert reason_words("fixed by hand after the audit") == "fixed by hand after the audit"
    assert reason_words(None) == "" and reason_words("") == ""


@pytest.mark.django_db
def test_the_services_write_the_registrys_phrases(reviewer, programme):
    participation = ParticipationFactory(programme=programme, city__code="440300")
    official = UserFactory(username="li.wei")
    participation.officials.create(user=official)
    report = reporting.report_create(
        participation=participation, period=Period.parse("2021-03"), by=official
    )
    report = reporting.report_values_set(
        report=report, values=complete({}), version=report.version, by=official
    )
    report = reporting.report_submit(report=report, version=None, by=official)
    reporting.report_return(report=report, comment="请核对", by=reviewer)
    metrics_import(
        name="audited.csv",
        data=csv_bytes("city_code,period,indicator,value", "440300,2021-04,pledge_projects,2"),
        approve=True,
        by=reviewer,
    )

    codes = {
        reason_code(r)[0]
        for r in [
            *MetricValue.history.values_list("history_change_reason", flat=True),
            *Report.history.values_list("history_change_reason", flat=True),
        ]
    }
    assert codes == {
        "report_created",
        "report_values_set",
        "report_values_submitted",
        "report_submitted",
        "report_values_returned",
        "report_returned",
        "metrics_import_approved",
    }


def test_a_reason_too_long_for_the_history_keeps_its_words_and_the_end_of_its_file():
    name = "市级知识产权运营服务体系建设" * 6 + "-2021年度数据.csv"
    stored = history_reason("metrics_import_approved", file=name)

    assert len(stored) == 100
    assert stored.startswith("import_metrics …") and stored.endswith("-2021年度数据.csv --approve")
    code, figures = reason_code(stored)
    assert code == "metrics_import_approved" and name.endswith(figures["file"][1:])
    assert history_reason("metrics_import_approved", file="a.csv") == (
        "import_metrics a.csv --approve"
    )


@pytest.mark.django_db
def test_values_loaded_from_a_file_with_a_long_name_keep_a_reason_that_says_approved(reviewer):
    ParticipationFactory(city__code="440300")
    name = "a" * 120 + ".csv"

    metrics_import(
        name=name,
        data=csv_bytes("city_code,period,indicator,value", "440300,2021-03,pledge_projects,4"),
        approve=True,
        by=reviewer,
    )

    history = MetricValue.objects.get().history.get()
    assert history.history_change_reason.endswith("aaa.csv --approve")
    assert reason_code(history.history_change_reason)[0] == "metrics_import_approved"
