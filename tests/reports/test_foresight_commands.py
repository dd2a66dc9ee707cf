"""The forecast and the what-if through the command line: ``forecast`` prints every city's
forecast (or one city's in detail) without storing anything; ``compare_draft`` makes a draft
with the changes given, has a worker compare it and prints what it would change; a refused
change leaves nothing behind."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from evaluation.models import CityResult, Ruleset
from reports.models import DraftComparison
from tests.followup import half_way
from tests.reports.conftest import give_figures

pytestmark = pytest.mark.django_db


def run_command(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_forecast_prints_every_city_and_stores_nothing(shenzhen, chaoyang):
    half_way(shenzhen.city, growth=130, cumulative=8)
    half_way(chaoyang.city, growth=100, cumulative=2)

    text = run_command("forecast", "--programme", "2020", "--today", "2021-07-15")

    assert "Forecast of programme 2020 to 2021-12-31 (ruleset 2020-v1), as on 2021-07-15" in text
    assert "440300 Shenzhen" in text and "110105 Beijing Chaoyang District" in text
    assert "risk of falling a tier" in text
    assert not CityResult.objects.exists()


def test_forecast_of_one_city_says_how_each_indicator_was_projected(shenzhen):
    half_way(shenzhen.city)

    text = run_command(
        "forecast", "--programme", "2020", "--city", "440300", "--today", "2021-07-15"
    )

    assert "Shenzhen at the current pace, by 2021-12-31" in text
    # 5 a month over 18 months; six more at that pace.
    assert "90 approved over 18 months since 2020-01-01, 5.00 a month" in text
    assert "bring the total to 120" in text


@pytest.mark.chinese
def test_forecast_speaks_chinese_by_default(shenzhen):
    half_way(shenzhen.city)

    text = run_command("forecast", "--programme", "2020", "--today", "2021-07-15")

    assert "2020 批次预测" in text and "降档风险" in text


# The command waits for the worker, which is sent the comparison on commit: this test commits
# for real (restoring the shipped data afterwards).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_compare_draft_prints_what_the_draft_would_change(reviewer, shenzhen, chaoyang):
    give_figures(shenzhen, chaoyang)

    text = run_command(
        "compare_draft",
        "--programme",
        "2020",
        "--by",
        "reviewer",
        "--set",
        "excellent.release_share=0.9",
    )

    assert "Draft 2020-v2 against 2020-v1, as of 2021-12-31" in text
    assert "440300 Shenzhen: 100.00 → 100.00, excellent → excellent" in text
    assert "50,000,000.00 → 45,000,000.00 yuan" in text
    assert "grade bands: excellent: share released 100.00% → 90.00%" in text
    assert DraftComparison.objects.get().status == DraftComparison.Status.READY


@pytest.mark.parametrize(
    "arguments, says",
    [
        (["--by", "nobody"], "no user named 'nobody'"),
        (["--by", "reviewer", "--set", "certified_entities.weight=30"], "not 100"),
        (["--by", "reviewer", "--set", "certified_entities.colour=red"], "--set"),
        (["--by", "li.wei"], "only ministry reviewers may do this"),
    ],
)
def test_a_refused_comparison_leaves_nothing_behind(reviewer, official, arguments, says):
    with pytest.raises(CommandError, match=says):
        run_command("compare_draft", "--programme", "2020", *arguments)

    assert not Ruleset.objects.filter(is_draft=True).exists()
    assert not DraftComparison.objects.exists()
