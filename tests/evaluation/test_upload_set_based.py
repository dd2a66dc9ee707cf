"""An upload opens and fills all its periods at once (``reporting._reports_fill``), and leaves
exactly what opening and filling each period in turn through ``report_create`` and
``report_values_set`` leaves: the same values with the same flags, the same reports and
versions, the same history rows with the same reasons, the same ledger entries. Two cities
start from the same state; one gets the file, the other the same figures period by period."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from evaluation.exceptions import ImportRefused
from evaluation.models import LedgerEntry, MetricValue, OfficialAssignment, Report
from evaluation.scoring import Period
from evaluation.services import reporting
from evaluation.services.reporting import reports_upload
from tests.conftest import csv_bytes
from tests.factories import INDICATORS_2020, ParticipationFactory, UserFactory, complete

pytestmark = pytest.mark.django_db


def _city(programme, code: str):
    participation = ParticipationFactory(programme=programme, city__code=code)
    official = UserFactory(username=f"official-{code}")
    OfficialAssignment.objects.create(user=official, participation=participation)
    return participation, official


def _report(participation, official, period: str, values: dict[str, str]):
    report = reporting.report_create(
        participation=participation, period=Period.parse(period), by=official
    )
    return reporting.report_values_set(
        report=report, values=values, version=report.version, by=official
    )


def _before(participation, official, reviewer) -> None:
    """January a draft; February submitted and returned whole; March submitted and one value
    returned on its own."""
    _report(participation, official, "2021-01", {"pledge_projects": "4", "pledge_amount": "10"})
    for period, step in (("2021-02", "return"), ("2021-03", "return_values")):
        report = _report(participation, official, period, complete({}, rest="8"))
        report = reporting.report_submit(report=report, version=None, by=official)
        if step == "return":
            reporting.report_return(report=report, comment="请核对", by=reviewer)
        else:
            reporting.report_return_values(
                report=report, reasons={"pledge_projects": "请核对件数"}, by=reviewer
            )


# January: one value changed, one as it was, one new; February: every value lower (the
# running totals fall, and are flagged); March: the returned value changed, the others as they
# were; April and May: new reports.
FILE = [
    ("2021-01", {"pledge_projects": "5", "pledge_amount": "10", "contract_turnover": "3"}),
    ("2021-02", complete({}, rest="4")),
    ("2021-03", complete({"pledge_projects": "9"}, rest="8")),
    ("2021-04", complete({}, rest="2")),
    ("2021-05", {"operation_centres": "1"}),
]


def _rows(city_code: str) -> list[str]:
    return ["city_code,period,indicator,value"] + [
        f"{city_code},{period},{code},{value}"
        for period, values in FILE
        for code, value in values.items()
    ]


def _what_is_left(participation) -> dict[str, Counter]:
    """Everything the city's figures left, with each report named by its period."""
    reports = {r.pk: r.period.label for r in Report.objects.filter(participation=participation)}

    def named(reason: str | None) -> str:
        return re.sub(
            r"report (\d+)", lambda found: f"report {reports[int(found[1])]}", reason or ""
        )

    values = MetricValue.objects.filter(city=participation.city).select_related("indicator")
    history = MetricValue.history.filter(city=participation.city).select_related("indicator")
    entries = LedgerEntry.objects.filter(
        subject="report", object_id__in=reports
    ) | LedgerEntry.objects.filter(subject="metricvalue", object_id__in=values.values("pk"))
    return {
        "values": Counter(
            (v.indicator.code, v.period.label, str(v.value), v.status, str(v.flags)) for v in values
        ),
        "reports": Counter(
            (r.period.label, r.status, r.version)
            for r in Report.objects.filter(participation=participation)
        ),
        "value history": Counter(
            (
                h.indicator.code,
                (h.year, h.granularity, h.number),
                str(h.value),
                h.status,
                h.history_type,
                named(h.history_change_reason),
                h.history_user_id is not None,
            )
            for h in history
        ),
        "report history": Counter(
            (
                reports[h.id],
                h.status,
                h.version,
                h.history_type,
                named(h.history_change_reason),
            )
            for h in Report.history.filter(participation=participation)
        ),
        "ledger": Counter((e.subject, named(e.action)) for e in entries),
    }


def test_an_upload_leaves_what_filling_each_period_in_turn_leaves(programme, reviewer):
    by_file, official_a = _city(programme, "210100")
    in_turn, official_b = _city(programme, "220100")
    _before(by_file, official_a, reviewer)
    _before(in_turn, official_b, reviewer)

    outcome = reports_upload(
        participation=by_file,
        name="f.csv",
        data=csv_bytes(*_rows("210100")),
        by=official_a,
    )
    for period, values in FILE:
        _report(in_turn, official_b, period, values)

    assert outcome["reports"] == 5 and outcome["reports_changed"] == 5
    assert outcome["rows"] == sum(len(values) for _, values in FILE)
    left, expected = _what_is_left(by_file), _what_is_left(in_turn)
    for part in expected:
        assert left[part] == expected[part], part
    # The falls were flagged, as a single save flags them.
    assert any(flags != "[]" for *_, flags in left["values"])


def test_a_value_not_returned_is_refused_by_its_lines_and_nothing_changes(programme, reviewer):
    participation, official = _city(programme, "210100")
    _before(participation, official, reviewer)
    before = _what_is_left(participation)
    rows = [
        "city_code,period,indicator,value",
        "210100,2021-04,pledge_projects,1",
        "210100,2021-03,pledge_projects,9",
        "210100,2021-03,pledge_amount,7",
    ]
    with pytest.raises(ImportRefused) as refused:
        reports_upload(
            participation=participation, name="f.csv", data=csv_bytes(*rows), by=official
        )
    assert {e.line for e in refused.value.errors} == {3, 4}
    assert all("pledge_amount" in e.reason for e in refused.value.errors)
    assert _what_is_left(participation) == before
    assert not Report.objects.filter(participation=participation, number=4).exists()
    assert set(INDICATORS_2020) >= {"pledge_projects", "pledge_amount"}


def test_a_file_mixing_a_quarter_and_a_month_of_one_year_is_refused_on_both(programme, reviewer):
    """The file's periods are opened at once, so each is checked against the others as well as
    against the stored reports: a quarter and a month of one year are refused together."""
    participation, official = _city(programme, "210100")
    rows = [
        "city_code,period,indicator,value",
        "210100,2021-Q1,pledge_projects,1",
        "210100,2021-02,pledge_amount,7",
    ]
    with pytest.raises(ImportRefused) as refused:
        reports_upload(
            participation=participation, name="f.csv", data=csv_bytes(*rows), by=official
        )
    assert {(e.line, e.column) for e in refused.value.errors} == {(2, "period"), (3, "period")}
    assert not Report.objects.filter(participation=participation).exists()
    assert not MetricValue.objects.filter(city=participation.city).exists()
