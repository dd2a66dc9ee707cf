"""One precision per figure: the API's results give every figure exactly as ``evaluate --json``
does (a count with 2 decimals, a growth fraction with 4), never a rounded figure padded to
look exact, and the schema says which."""

from __future__ import annotations

import re

import pytest

from reports.runs import run_document

pytestmark = pytest.mark.django_db


def test_results_give_each_figure_with_the_precision_of_the_runs_document(world):
    results = world.api_reviewer.get("/api/v1/results/", {"run": world.run.pk}).json()["results"]
    document = {city["city"]: city for city in run_document(world.run)["cities"]}

    compared = 0
    for result in results:
        city = document[result["city"]["code"]]
        assert result["score"] == city["score"]
        assert result["decision"]["recommended_amount"] == city["amount"]
        shown = {i["indicator"]: i for i in result["indicators"]}
        for indicator in city["indicators"]:
            api = shown[indicator["indicator"]]
            for figure in ("actual", "target", "attainment", "points"):
                assert api[figure] == indicator[figure], (indicator["indicator"], figure)
                compared += 1
    assert compared == 2 * 10 * 4


def test_counts_have_two_decimals_and_growth_fractions_four(world):
    results = world.api_reviewer.get("/api/v1/results/", {"run": world.run.pk}).json()["results"]
    indicators = [i for r in results for i in r["indicators"]]
    cumulative = [i for i in indicators if i["kind"] == "cumulative"]
    growth = [i for i in indicators if i["kind"] == "growth"]
    assert cumulative and growth
    for row in cumulative:
        for figure in ("full_target", "target", "actual"):
            assert row[figure] is None or re.fullmatch(r"\d+\.\d{2}", row[figure]), row
    for row in growth:
        for figure in ("full_target", "target", "actual"):
            assert row[figure] is None or re.fullmatch(r"-?\d+\.\d{4}", row[figure]), row
    # The count that was shown as "66.6700" beside "66.67".
    assert any(row["target"] == "66.67" for row in cumulative)


def test_the_schema_says_each_figures_precision(api_reviewer):
    schema = api_reviewer.get("/api/schema/", {"format": "json"}).json()
    figures = schema["components"]["schemas"]["IndicatorResult"]["properties"]
    assert "4 decimals" in figures["actual"]["description"]
    assert "2 decimals" in figures["actual"]["description"]
    assert "4 decimals" in figures["attainment"]["description"]
