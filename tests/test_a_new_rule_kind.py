"""A rule kind added in the scoring core alone works everywhere: registered from this test (the
throwaway "must not exceed" kind of ``tests/scoring/ceiling_kind.py``), it is offered by the
admin, refuses the committed targets it says it refuses, is scored by a real run, and the run
document, the figures, the reasons in both languages, the verification and the city's page all
say what the kind says, with no other change to the code."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import translation

from evaluation.exceptions import ImportRefused
from evaluation.models import (
    EvaluationRun,
    IndicatorResult,
    IndicatorRule,
    OfficialAssignment,
    Ruleset,
)
from evaluation.scoring import RULE_KINDS
from evaluation.services.imports import targets_import
from evaluation.services.people import role_grant
from evaluation.services.runs import evaluation_run_request
from reports import figures, wording
from reports.runs import run_document, run_table
from reports.verification import run_verify
from tests.admin.conftest import form_data
from tests.factories import ParticipationFactory, UserFactory, add_value
from tests.scoring.ceiling_kind import CeilingRule

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def ceiling(monkeypatch):
    """The new kind, registered as adding it to ``RULE_KINDS`` would."""
    monkeypatch.setitem(RULE_KINDS, CeilingRule.name, CeilingRule())


@pytest.fixture
def shenyang(programme):
    participation = ParticipationFactory(
        programme=programme, city__code="210100", city__name_en="Shenyang", city__name_zh="沈阳市"
    )
    add_value(participation.city, "operation_centres", "2020", "2")
    add_value(participation.city, "operation_centres", "2021", "2")
    return participation


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def administrator(db):
    user = UserFactory(username="administrator")
    role_grant(user=user, role="administrator", by=None)
    return user


@pytest.fixture
def official(shenyang):
    user = UserFactory(username="li.wei")
    OfficialAssignment.objects.create(user=user, participation=shenyang)
    return user


def the_centres_become_a_ceiling(administrator, programme) -> None:
    """The administrator gives operation centres the new kind in the admin (a ruleset no run
    has used yet is edited in place)."""
    client = logged_in(administrator)
    ruleset = Ruleset.objects.get(programme=programme, version=1)
    url = f"/admin/evaluation/ruleset/{ruleset.pk}/change/"
    response = client.get(url)
    assert '<option value="ceiling">ceiling (total since the start, at most the target)' in (
        response.content.decode()
    )
    data = form_data(response)
    for inline in response.context["inline_admin_formsets"]:
        for form in inline.formset.forms:
            rule = form.instance
            if isinstance(rule, IndicatorRule) and rule.indicator.code == "operation_centres":
                data[f"{form.prefix}-kind"] = "ceiling"

    assert client.post(url, data).status_code == 302
    assert IndicatorRule.objects.get(ruleset=ruleset, indicator__code="operation_centres").kind == (
        "ceiling"
    )


@pytest.fixture
def run(administrator, programme, shenyang, django_capture_on_commit_callbacks) -> EvaluationRun:
    the_centres_become_a_ceiling(administrator, programme)
    with django_capture_on_commit_callbacks(execute=True):
        queued = evaluation_run_request(
            programme=programme,
            kind=EvaluationRun.Kind.PROVISIONAL,
            trigger=EvaluationRun.Trigger.API,
            by=administrator,
        )
    finished = EvaluationRun.objects.get(pk=queued.pk)
    assert finished.status == EvaluationRun.Status.SUCCEEDED, finished.error
    return finished


def centres(run: EvaluationRun) -> IndicatorResult:
    return IndicatorResult.objects.select_related("indicator").get(
        city_result__run=run, indicator__code="operation_centres"
    )


def test_the_kind_refuses_a_committed_target_above_its_ceiling(administrator, programme, shenyang):
    the_centres_become_a_ceiling(administrator, programme)
    data = b"city_code,indicator,target\n210100,operation_centres,5\n"

    with pytest.raises(ImportRefused) as refused:
        targets_import(name="targets.csv", data=data, programme=programme, by=administrator)

    assert [str(e) for e in refused.value.errors] == [
        "line 2, column target: committed target 5 is above the national ceiling 3"
    ]
    targets_import(
        name="targets.csv",
        data=b"city_code,indicator,target\n210100,operation_centres,2\n",
        programme=programme,
        by=administrator,
    )
    assert shenyang.targets.get().value == 2


def test_a_run_scores_the_kind_and_its_document_keeps_the_kinds_places(run):
    result = centres(run)
    # 4 centres against a ceiling of 3: attainment 2 - 4/3 = 0.6667 of 2 points.
    assert (result.kind, result.status, result.points) == ("ceiling", "partial", Decimal("1.33"))
    (city,) = run_document(run)["cities"]
    shown = {i["indicator"]: i for i in city["indicators"]}
    # Whole numbers, as the kind measures them; the shipped kinds keep 4 and 2 decimals.
    assert (shown["operation_centres"]["actual"], shown["operation_centres"]["target"]) == (
        "4",
        "3",
    )
    assert shown["transfer_licence_count"]["target"] == "0.2000"
    assert shown["sme_transformations"]["target"] == "66.67"
    assert run_verify(run=run).matches


def test_the_figures_and_reasons_of_the_kind_in_both_languages(run):
    result = centres(run)
    assert (figures.target(result), figures.actual(result)) == ("3.00", "4.00")
    with translation.override("en"):
        assert wording.indicator_reason(result, run=run) == result.reason
        assert result.reason in run_table(run, details=True)
    with translation.override("zh-hans"):
        text = wording.indicator_reason(result, run=run)
        table = run_table(run, details=True)
    # The kind's own sentence (this test's kind has no Chinese), the shared words in Chinese.
    assert text.startswith("4.00 approved: above 国家参考指标（底线） of 3.00.")
    assert "1.33" in text and text in table


def test_the_city_page_says_what_the_kind_says(run, official, shenyang):
    client = logged_in(official)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    html = client.get(f"/city/{shenyang.pk}/").content.decode()
    card = re.search(
        r'<article class="card indicator" id="ind-operation_centres">(.*?)</article>', html, re.S
    ).group(1)
    words = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", card))

    assert "ceiling (total since the start, at most the target)" in words
    assert "Target at most 3 centres national floor" in words
    assert "Approved so far 4 centres" in words
    assert "1 centre over the ceiling" in words
    assert "66.67%" in words  # attainment of the provisional run
    charts = json.loads(
        re.search(r'<script id="charts" type="application/json">(.*?)</script>', html).group(1)
    )
    assert charts["operation_centres"]["path"] == [3.0, 3.0, 3.0]
    assert charts["operation_centres"]["actual"] == [2.0, 4.0, 4.0]
