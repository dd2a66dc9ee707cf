"""The portal of a city in two batches: a period it reports in one batch says so in the other,
offers nothing to edit there, and a forced save changes nothing."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from evaluation.models import MetricValue, Programme, Report
from evaluation.scoring import Period
from evaluation.services import reporting
from tests.cities.conftest import _official, browser
from tests.factories import ParticipationFactory, with_the_2020_rules

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_2019(city_a):
    batch = Programme.objects.get(code="2019")
    with_the_2020_rules(batch)
    return ParticipationFactory(
        programme=batch,
        city=city_a.city,
        total_amount=Decimal("150000000.00"),
        first_tranche=Decimal("100000000.00"),
    )


@pytest.mark.chinese
def test_a_period_reported_in_the_other_batch_is_shown_and_not_offered(city_a, in_2019):
    official = _official("li.wei", city_a, in_2019)
    report = reporting.report_create(
        participation=in_2019, period=Period.parse("2021-03"), by=official
    )
    reporting.report_values_set(
        report=report, values={"pledge_projects": "4"}, version=report.version, by=official
    )
    portal = browser(official)
    url = f"/city/{city_a.pk}/periods/2021-03/"

    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", portal.get(url).content.decode()))

    assert f"报表 #{report.pk}" in page and "2019" in page
    assert 'name="pledge_projects"' not in portal.get(url).content.decode()
    forced = portal.post(url, {"action": "save", "pledge_projects": "9"})
    assert forced.status_code == 400
    assert Report.objects.count() == 1
    assert MetricValue.objects.get().value == 4
