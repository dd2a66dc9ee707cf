"""Evaluation runs in the admin: status and progress while a run is going, every city's
result with every indicator's numbers and reason, and two runs compared (who changed grade or
amount, and which input or rule caused it)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from evaluation import figures
from evaluation.models import CityResult, EvaluationRun, MetricValue, Programme, Ruleset
from evaluation.services.rulesets import ruleset_revise
from evaluation.services.runs import (
    evaluation_chunk_execute,
    evaluation_run_request,
    evaluation_run_start,
)
from evaluation.vocabulary import grade_word
from tests.admin.conftest import page, shown_messages
from tests.factories import add_value, meet_every_target

pytestmark = pytest.mark.django_db

RUNS = "/admin/evaluation/evaluationrun/"


@pytest.fixture
def cities(city_a, city_b):
    """Shenzhen meets every target; Chaoyang reported one cumulative figure."""
    meet_every_target(city_a.city)
    add_value(city_b.city, "sme_transformations", "2020", "10")
    return city_a, city_b


def result_of(run: EvaluationRun, code: str) -> CityResult:
    return CityResult.objects.get(run=run, participation__city__code=code)


def compare(client, *runs: EvaluationRun):
    return client.post(
        RUNS, {"action": "compare", "_selected_action": [r.pk for r in runs]}, follow=True
    )


# Status and progress -------------------------------------------------------------------------


def test_the_runs_list_shows_status_and_progress_while_a_run_goes(
    reviewer_client, programme, reviewer, cities, settings
):
    settings.EVALUATION_CHUNK_SIZE = 1
    run = evaluation_run_request(programme=programme, trigger="admin", by=reviewer)

    def row() -> str:
        response = reviewer_client.get(RUNS)
        assert [r.pk for r in response.context["cl"].result_list] == [run.pk]
        return page(response)

    assert "queued —" in row()

    chunks = evaluation_run_start(run_id=run.pk)
    assert "running 0 of 2 cities" in row()

    evaluation_chunk_execute(run_id=run.pk, number=chunks[0])
    assert "running 1 of 2 cities" in row()

    evaluation_chunk_execute(run_id=run.pk, number=chunks[1])
    assert "succeeded 2 of 2 cities" in row()


def test_the_runs_list_filters_by_status(reviewer_client, programme, reviewer, cities, evaluate):
    done = evaluate()
    queued = evaluation_run_request(programme=programme, trigger="admin", by=reviewer)

    succeeded = reviewer_client.get(RUNS + "?status__exact=succeeded")
    waiting = reviewer_client.get(RUNS + "?status__exact=queued")

    assert [r.pk for r in succeeded.context["cl"].result_list] == [done.pk]
    assert [r.pk for r in waiting.context["cl"].result_list] == [queued.pk]


def test_a_failed_run_shows_why(
    reviewer_client, programme, reviewer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = evaluation_run_request(programme=programme, trigger="admin", by=reviewer)

    text = page(reviewer_client.get(f"{RUNS}{run.pk}/change/"))

    assert "failed" in text
    assert "programme 2020 has no cities: import them first" in text


def test_a_reviewer_runs_the_mid_term_evaluation_from_the_programmes_list(
    reviewer_client, reviewer, programme, cities, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = reviewer_client.post(
            "/admin/evaluation/programme/",
            {"action": "evaluate_now", "_selected_action": [programme.pk]},
            follow=True,
        )

    run = EvaluationRun.objects.get()
    assert shown_messages(response) == [
        f"Run #{run.pk} of 2020 as of 2021-12-31 is queued; its status shows under Evaluation runs."
    ]
    assert (run.status, run.trigger, run.triggered_by) == ("succeeded", "admin", reviewer)
    assert "succeeded 2 of 2 cities" in page(reviewer_client.get(RUNS))


def test_a_programme_without_a_ruleset_cannot_be_run(reviewer_client):
    other = Programme.objects.get(code="2019")

    response = reviewer_client.post(
        "/admin/evaluation/programme/",
        {"action": "evaluate_now", "_selected_action": [other.pk]},
        follow=True,
    )

    assert shown_messages(response) == [
        "programme 2019 has no ruleset yet: an administrator adds one in the admin (Rulesets, "
        "Add ruleset) before its figures can be entered or evaluated"
    ]
    assert not EvaluationRun.objects.exists()


# Results -------------------------------------------------------------------------------------


def test_a_run_lists_every_citys_result(reviewer_client, cities, evaluate):
    run = evaluate()

    response = reviewer_client.get(f"{RUNS}{run.pk}/change/")

    assert response.status_code == 200
    text = page(response)
    recommended = "(recommended, awaiting sign-off)"
    assert f"440300 Shenzhen 100.00 excellent release 50,000,000.00 yuan {recommended}" in text
    assert "110105 Chaoyang" in text
    weak = result_of(run, "110105")
    assert f"{weak.score} {grade_word(weak.grade)} withhold 0.00 yuan {recommended}" in text
    assert f"/admin/evaluation/cityresult/{weak.pk}/change/" in response.content.decode()


def test_a_city_result_shows_every_indicators_numbers_and_reason(reviewer_client, cities, evaluate):
    run = evaluate()
    result = result_of(run, "440300")

    response = reviewer_client.get(f"/admin/evaluation/cityresult/{result.pk}/change/")

    assert response.status_code == 200
    text = page(response)
    items = list(result.indicator_results.select_related("indicator"))
    assert len(items) == 10
    for item in items:
        # By name, not code; figures as the documents write them; the reason in words.
        assert item.indicator.code not in text
        assert item.indicator.name_en in text
        for shown in (figures.actual(item), figures.target(item), figures.percent(item.attainment)):
            assert shown in text
        assert str(item.points) in text
        assert item.reason and item.reason in text
    turnover = result.indicator_results.get(indicator__code="contract_turnover")
    assert (turnover.actual, turnover.target, turnover.attainment, turnover.points) == (
        Decimal("0.4000"),
        Decimal("0.4000"),
        Decimal("1.0000"),
        Decimal("20.00"),
    )
    assert result.reason in text


def test_a_city_with_no_figures_shows_why_it_is_not_assessable(reviewer_client, cities, evaluate):
    result = result_of(evaluate(), "110105")

    text = page(reviewer_client.get(f"/admin/evaluation/cityresult/{result.pk}/change/"))

    licences = result.indicator_results.get(indicator__code="transfer_licence_count")
    assert licences.status == "not_assessable"
    assert licences.reason in text
    assert "not assessable (flagged for review)" in text


# Comparing two runs --------------------------------------------------------------------------


def test_comparing_runs_names_the_city_whose_input_changed(reviewer_client, cities, evaluate):
    before = evaluate()
    MetricValue.objects.filter(
        city=cities[0].city, indicator__code="contract_turnover", year=2021
    ).update(value=Decimal("100.00"))
    after = evaluate()

    response = compare(reviewer_client, after, before)

    assert response.status_code == 200
    text = page(response)
    assert f"Run #{before.pk} compared with run #{after.pk}" in text
    assert "Inputs: changed" in text
    assert "Cities whose grade or amount changed (1)" in text
    assert "440300 Shenzhen 100.00 → 80.00 excellent → good 50000000.00 → 40000000.00" in text
    assert "contract_turnover: 20.00 → 0.00 points (inputs changed: met → missed" in text
    assert "110105 Chaoyang" not in text
    assert "Rule changes" not in text


def test_comparing_runs_names_the_rule_change_that_moved_a_grade(
    reviewer_client, administrator, cities, evaluate
):
    before = evaluate()
    ruleset_revise(
        ruleset=before.ruleset,
        by=administrator,
        floors={"transfer_licence_count": Decimal("0.80"), "contract_turnover": Decimal("0.80")},
    )
    after = evaluate()
    assert after.ruleset == Ruleset.objects.get(version=2)

    text = page(compare(reviewer_client, before, after))

    assert "Ruleset: 2020-v1 → 2020-v2" in text
    assert "Inputs: unchanged (same input digest)" in text
    assert "Rule changes" in text
    assert "contract_turnover: ('growth', Decimal('0.4000'), Decimal('20.00')) → " in text
    assert "Cities whose grade or amount changed (1)" in text
    assert "440300 Shenzhen 100.00 → 80.36 excellent → good 50000000.00 → 40000000.00" in text
    # Only the floors moved (the cities reported the same figures): the cause is the rule.
    assert "transfer_licence_count: 20.00 → 10.36 points (rule changed: met → partial" in text
    assert "contract_turnover: 20.00 → 10.00 points (rule changed: met → partial" in text
    assert "inputs changed" not in text


def test_comparing_identical_runs_shows_no_change(reviewer_client, cities, evaluate):
    first, second = evaluate(), evaluate()

    text = page(compare(reviewer_client, first, second))

    assert "Inputs: unchanged" in text
    assert "Cities whose grade or amount changed (0)" in text
    assert "None." in text


@pytest.mark.parametrize("selected", [1, 3])
def test_comparing_needs_exactly_two_runs(reviewer_client, cities, evaluate, selected):
    runs = [evaluate() for _ in range(selected)]

    response = compare(reviewer_client, *runs)

    assert response.redirect_chain and response.status_code == 200
    assert shown_messages(response) == ["Select exactly two runs to compare."]
    assert "compared with" not in page(response)
