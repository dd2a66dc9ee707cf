"""The programme's input rules (evaluation/inputs.py), each written once, and the callers that
must agree on them: the reporting workflow, the file imports and the admin forms."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from evaluation import inputs
from evaluation.exceptions import ImportRefused, Locked
from evaluation.models import EvaluationRun, MetricValue, Programme, Report, Ruleset
from evaluation.scoring import Period
from evaluation.services.imports import metrics_import
from evaluation.services.reporting import report_create, report_values_set
from tests.conftest import csv_bytes
from tests.factories import CityFactory, ParticipationFactory, UserFactory

HEADER = "city_code,period,indicator,value"


# Pure rules -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "refused"),
    [("440300", False), ("44030", True), ("4403000", True), ("44030a", True), ("", True)],
)
def test_a_city_is_named_by_a_six_digit_division_code(code: str, refused: bool) -> None:
    why = inputs.division_code_error(code)
    assert (why is not None) == refused
    if refused:
        assert "6-digit administrative division code" in why  # type: ignore[operator]


@pytest.mark.parametrize(
    ("kind", "value", "floor", "refused"),
    [
        ("growth", "0.2", "0.2", False),
        ("growth", "0.19", "0.2", True),
        ("cumulative", "250", "200", False),
        ("cumulative", "199", "200", True),
    ],
)
def test_a_committed_target_meets_the_floor_including_the_floor_itself(
    kind: str, value: str, floor: str, refused: bool
) -> None:
    why = inputs.target_floor_error(floor=Decimal(floor), value=Decimal(value), kind=kind)
    assert (why is not None) == refused


def test_a_growth_floor_is_also_given_as_a_percentage() -> None:
    assert inputs.floor_in_words(kind="growth", floor=Decimal("0.30")) == "0.3 (30% growth)"
    assert inputs.floor_in_words(kind="cumulative", floor=Decimal("200.0000")) == "200"


@pytest.mark.parametrize(
    ("text", "places", "read"),
    [
        ("1,200", 0, "1200"),
        ("30,000,000.50", 2, "30000000.50"),
        ("1,234,567", 0, "1234567"),
        ("1200", 0, "1200"),
        ("12.0", 0, "12"),
    ],
)
def test_numbers_are_read_with_their_thousands_grouped_by_commas_or_not(
    text: str, places: int, read: str
) -> None:
    assert inputs.parse_number(text, places=places) == Decimal(read)


@pytest.mark.parametrize(("text", "places"), [("-0", 0), ("-0.00", 2), ("-0E+3", 0)])
def test_a_negative_zero_is_zero_without_its_sign(text: str, places: int) -> None:
    """As the database keeps it: a value's history and ledger entry say what is stored."""
    read = inputs.parse_number(text, places=places)
    assert read == 0 and not read.is_signed()


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("1,20", "not_a_number"),
        ("1200,5", "not_a_number"),
        (",200", "not_a_number"),
        ("1,2000", "not_a_number"),
        ("-1,200", "negative"),
        ("1,200.5", "not_whole"),
    ],
)
def test_a_comma_anywhere_but_between_thousands_is_refused(text: str, code: str) -> None:
    with pytest.raises(ValueError) as refused:
        inputs.parse_number(text, places=0)
    assert refused.value.args[0].code == code


@pytest.mark.django_db
def test_a_file_a_form_and_the_api_accept_1_200_alike(reviewer) -> None:
    """The one rule is read by every way in: a metrics file with "1,200" loads 1200."""
    city = CityFactory(code="440300")
    ParticipationFactory(city=city)
    metrics_import(
        name="grouped.csv",
        data=csv_bytes(HEADER, '440300,2021-01,sme_transformations,"1,200"'),
        approve=True,
        by=reviewer,
    )
    assert MetricValue.objects.get().value == 1200


@pytest.mark.django_db
def test_amounts_lie_in_the_programmes_range_and_the_first_tranche_within_the_total() -> None:
    p2019 = Programme.objects.get(code="2019")
    low, high = p2019.total_amount_min, p2019.total_amount_max

    assert inputs.amount_errors(programme=p2019, total=low, first=p2019.first_tranche_min) == []
    errors = dict(
        inputs.amount_errors(programme=p2019, total=high + 1, first=p2019.first_tranche_min)
    )
    assert list(errors) == ["total_amount"] and "outside programme 2019" in errors["total_amount"]
    # Every fault of a field is named: out of range, and above the total.
    both = inputs.amount_errors(programme=p2019, total=low, first=p2019.first_tranche_max + 1)
    assert [field for field, _why in both] == ["first_tranche", "first_tranche"]
    assert ("first_tranche", "the first tranche exceeds the total") in both


def test_mixed_granularity_names_the_new_figures_and_the_stored_periods() -> None:
    new = [
        inputs.Figure("440300", "pledge_amount", Period.parse("2020-Q1"), "3"),
        inputs.Figure("440300", "pledge_amount", Period.parse("2020-Q2"), "4"),
        inputs.Figure("440300", "pledge_projects", Period.parse("2020-Q1"), "5"),
    ]
    stored = [inputs.Figure("440300", "pledge_amount", Period.parse("2020-01"))]

    clashes = inputs.mixed_granularity(new, stored)

    assert set(clashes) == set(new[:2])
    assert "lines 3, 4; already stored: 2020-01" in clashes[new[0]]
    assert "would mix month and quarter figures" in clashes[new[0]]


def test_mixed_granularity_of_a_citys_reports_names_the_reports_already_there() -> None:
    asked = inputs.Figure("440300", None, Period.parse("2021-Q3"))
    stored = [inputs.Figure("440300", None, Period.parse("2021-01"))]

    (why,) = inputs.mixed_granularity([asked], stored).values()

    assert why.startswith("2021 is already reported by month (2021-01)")


@pytest.mark.parametrize(
    ("period", "due_day", "due"),
    [("2020-07", 15, "2020-08-15"), ("2020-12", 15, "2021-01-15"), ("2020-01", 31, "2020-02-29")],
)
def test_a_report_is_due_on_the_due_day_of_the_following_month(
    period: str, due_day: int, due: str
) -> None:
    programme = Programme(code="x", report_due_day=due_day)
    assert inputs.due_date(programme=programme, period=Period.parse(period)).isoformat() == due


def test_late_means_submitted_after_the_due_date_or_still_unsubmitted_past_it() -> None:
    due = dt.date(2020, 8, 15)
    on_time = timezone.make_aware(dt.datetime(2020, 8, 15, 23, 0))
    after = timezone.make_aware(dt.datetime(2020, 8, 16, 9, 0))
    assert not inputs.is_late(due=due, submitted_at=on_time, today=dt.date(2030, 1, 1))
    assert inputs.is_late(due=due, submitted_at=after, today=dt.date(2020, 8, 16))
    assert not inputs.is_late(due=due, submitted_at=None, today=due)
    assert inputs.is_late(due=due, submitted_at=None, today=dt.date(2020, 8, 16))


# The period-closed rule, for a city taking part in two programmes ----------------------------


@pytest.fixture
def two_programmes(db, reviewer):
    """Shenzhen in the 2019 batch (mid-term 2020-12-31) and in the 2020 batch; the 2019
    batch's official evaluation is finalised, the 2020 batch's is not."""
    city = CityFactory(code="440300", name_en="Shenzhen", name_zh="深圳市")
    p2019, p2020 = Programme.objects.get(code="2019"), Programme.objects.get(code="2020")
    in2019 = ParticipationFactory(
        programme=p2019,
        city=city,
        total_amount=Decimal("150000000.00"),
        first_tranche=Decimal("100000000.00"),
    )
    in2020 = ParticipationFactory(programme=p2020, city=city)
    official = UserFactory(username="li.wei")
    in2020.officials.create(user=official)
    in2019.officials.create(user=official)
    run = EvaluationRun.objects.create(
        programme=p2019,
        ruleset=Ruleset.objects.create(programme=p2019, version=1),
        as_of=dt.date(2020, 12, 31),
        trigger="command",
        status="succeeded",
        input_digest="x",
        result_digest="y",
        years_elapsed=2,
        finished_at=timezone.now(),
        finalised_at=timezone.now(),
    )
    return in2019, in2020, official, run


@pytest.mark.django_db
def test_a_finalised_run_of_one_programme_closes_the_citys_periods_in_the_other(
    two_programmes,
) -> None:
    _in2019, in2020, official, run = two_programmes

    with pytest.raises(Locked) as locked:
        report_create(participation=in2020, period=Period.parse("2020-06"), by=official)

    assert f"run #{run.pk}" in str(locked.value) and "programme 2019" in str(locked.value)
    assert not Report.objects.exists()


@pytest.mark.django_db
def test_file_loads_and_reports_agree_on_which_periods_are_closed(two_programmes, reviewer) -> None:
    _in2019, in2020, official, _run = two_programmes
    data = csv_bytes(HEADER, "440300,2020-06,pledge_projects,9", "440300,2021-01,pledge_projects,9")

    with pytest.raises(ImportRefused) as refused:
        metrics_import(name="m.csv", data=data, approve=True, by=reviewer)
    with pytest.raises(Locked) as locked:
        report_create(participation=in2020, period=Period.parse("2020-06"), by=official)

    (error,) = refused.value.errors
    assert (error.line, error.column) == (2, "period")
    assert error.reason == locked.value.errors[0].reason
    assert not MetricValue.objects.exists()

    # A period after the finalised run's as-of date is open to both.
    report = report_create(participation=in2020, period=Period.parse("2021-01"), by=official)
    report_values_set(
        report=report, values={"pledge_projects": "9"}, version=report.version, by=official
    )
    assert MetricValue.objects.get().period == Period.parse("2021-01")


@pytest.mark.django_db
def test_a_run_not_yet_finalised_closes_nothing(two_programmes) -> None:
    _in2019, _in2020, _official, run = two_programmes
    EvaluationRun.objects.filter(pk=run.pk).update(finalised_at=None)
    city_id = run.programme.participations.get().city_id

    assert inputs.period_closed_reason(city_id=city_id, period=Period.parse("2020-06")) is None
