"""Files do not overtake the reporting workflow, closed periods or the roles."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from evaluation.access import Forbidden
from evaluation.models import EvaluationRun, MetricValue
from evaluation.scoring import Period
from evaluation.services.imports import metrics_import
from evaluation.services.reporting import report_create, report_values_set
from evaluation.tabular import ImportRefused
from tests.conftest import csv_bytes
from tests.factories import ParticipationFactory, UserFactory

pytestmark = pytest.mark.django_db
HEADER = "city_code,period,indicator,value"


@pytest.fixture
def city(programme):
    return ParticipationFactory(programme=programme, city__code="440300")


def test_a_value_in_a_citys_draft_report_is_not_overwritten_by_a_file(city, reviewer):
    official = UserFactory(username="li")
    city.officials.create(user=official)
    report = report_create(participation=city, period=Period.parse("2021-03"), by=official)
    report_values_set(
        report=report, values={"pledge_projects": "4"}, version=report.version, by=official
    )

    with pytest.raises(ImportRefused) as refused:
        metrics_import(
            name="m.csv",
            data=csv_bytes(HEADER, "440300,2021-03,pledge_projects,9"),
            approve=True,
            by=reviewer,
        )

    (error,) = refused.value.errors
    assert (error.line, error.column) == (2, "value")
    assert f"report #{report.pk}, which is draft" in error.reason
    assert MetricValue.objects.get().value == Decimal("4.00")


def test_a_period_closed_by_a_finalised_evaluation_is_refused(city, reviewer, programme):
    run = EvaluationRun.objects.create(
        programme=programme,
        ruleset=programme.rulesets.get(),
        as_of=programme.midterm_as_of,
        trigger="command",
        status="succeeded",
        input_digest="x",
        result_digest="y",
        years_elapsed=2,
        finished_at=timezone.now(),
        finalised_at=timezone.now(),
    )
    with pytest.raises(ImportRefused) as refused:
        metrics_import(
            name="m.csv",
            data=csv_bytes(
                HEADER, "440300,2021-12,pledge_projects,9", "440300,2022-01,pledge_projects,9"
            ),
            approve=True,
            by=reviewer,
        )
    (error,) = refused.value.errors
    assert error.line == 2 and "closed" in error.reason and "2021-12-31" in error.reason
    assert not MetricValue.objects.exists()
    assert run.finalised_at is not None


def test_a_city_official_cannot_load_files(city):
    official = UserFactory(username="li")
    with pytest.raises(Forbidden):
        metrics_import(
            name="m.csv",
            data=csv_bytes(HEADER, "440300,2021-03,pledge_projects,9"),
            approve=True,
            by=official,
        )
    assert not MetricValue.objects.exists()


def test_administrators_load_files(city):
    admin = UserFactory(username="boss")
    admin.groups.add(Group.objects.get(name="administrators"))
    summary = metrics_import(
        name="m.csv",
        data=csv_bytes(HEADER, "440300,2021-03,pledge_projects,9"),
        approve=False,
        by=admin,
    )
    assert summary.created == 1
    assert MetricValue.objects.get().status == "submitted"
