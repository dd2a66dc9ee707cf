"""``manage.py verify_run RUN``: an untouched run matches its stored inputs; a stored input or a
stored result changed behind the services' back (``QuerySet.update``) is found and named; a
run that has not finished says so. Exit status 0, 1 (differs) or 2 (cannot be verified)."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evaluation.models import (
    CityResult,
    EvaluationRun,
    IndicatorResult,
    IndicatorRule,
    MetricValue,
    Participation,
    Target,
    TrancheDecision,
)
from evaluation.services.runs import evaluation_run_request
from reports.verification import RunNotVerifiable, run_verify
from tests.factories import ParticipationFactory, add_target, add_value, meet_every_target

pytestmark = pytest.mark.django_db


@pytest.fixture
def shenzhen(programme) -> Participation:
    """Meets every target: 100 points, the remaining 50 million released."""
    participation = ParticipationFactory(programme=programme, city__code="440300")
    meet_every_target(participation.city)
    return participation


@pytest.fixture
def hefei(programme) -> Participation:
    """Committed to 150 SME transformations and reported 55 of them: partial."""
    participation = ParticipationFactory(programme=programme, city__code="340100")
    add_target(participation, "sme_transformations", "150")
    add_value(participation.city, "sme_transformations", "2020", "30")
    add_value(participation.city, "sme_transformations", "2021", "25")
    add_value(participation.city, "transfer_licence_count", "2019", "1000")
    add_value(participation.city, "transfer_licence_count", "2021", "1500")
    return participation


@pytest.fixture
def run(programme, shenzhen, hefei, django_capture_on_commit_callbacks) -> EvaluationRun:
    with django_capture_on_commit_callbacks(execute=True):
        queued = evaluation_run_request(programme=programme, trigger="command", by=None)
    finished = EvaluationRun.objects.get(pk=queued.pk)
    assert finished.status == EvaluationRun.Status.SUCCEEDED, finished.error
    return finished


def verify(run_id: int) -> tuple[int, str, str]:
    """The command as a person runs it: its exit status (the ``CommandError``'s, which
    ``manage.py`` exits with), standard output and standard error."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_run", str(run_id), stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, out.getvalue(), f"{err.getvalue()}CommandError: {exc}\n"
    return 0, out.getvalue(), err.getvalue()


def test_an_untouched_run_matches(run):
    status, out, err = verify(run.pk)

    assert status == 0, out + err
    assert f"Run #{run.pk}: programme 2020, as of 2021-12-31, ruleset 2020-v1" in out
    assert "2 cities, 20 indicator results" in out
    assert run.input_digest in out and run.result_digest in out
    assert "Matches" in out
    assert err == ""


def test_the_service_says_what_it_compared(run):
    verification = run_verify(run=run)

    assert verification.matches
    assert verification.input_digest == run.input_digest
    assert verification.result_digest == run.result_digest
    assert (verification.cities, verification.indicators) == (2, 20)


def test_an_approved_value_changed_behind_the_services_back_is_found(run, hefei):
    MetricValue.objects.filter(
        city=hefei.city, indicator__code="sme_transformations", year=2021
    ).update(value=Decimal("70"))

    status, out, err = verify(run.pk)

    assert status == 1
    assert "city 340100: inputs: stored" in out
    # 30 + 25 = 55 of a pro-rated 100 became 30 + 70 = 100: met.
    assert "city 340100, indicator sme_transformations: final value: stored 55.00, now 100.00" in (
        out
    )
    assert "city 340100, indicator sme_transformations: status: stored partial, now met" in out
    assert "city 340100: score: stored" in out
    assert "run: input digest: stored" in out
    assert "440300" not in out.replace(run.input_digest, "")
    assert f"run #{run.pk} does not match its stored inputs" in err


def test_a_target_changed_behind_the_services_back_is_found(run, hefei):
    Target.objects.filter(participation=hefei, indicator__code="sme_transformations").update(
        value=Decimal("300")
    )

    status, out, _err = verify(run.pk)

    assert status == 1
    assert "city 340100, indicator sme_transformations: target: stored 150.0000, now 300.0000" in (
        out
    )
    assert "city 340100, indicator sme_transformations: points: stored" in out


def test_a_target_changed_below_the_floor_says_the_city_can_no_longer_be_scored(run, hefei):
    Target.objects.filter(participation=hefei, indicator__code="sme_transformations").update(
        value=Decimal("50")
    )

    status, out, _err = verify(run.pk)

    assert status == 1
    assert "city 340100: inputs: stored scored, now can no longer be scored" in out
    assert "below the national floor" in out


def test_the_citys_money_changed_behind_the_services_back_is_found(run, shenzhen):
    Participation.objects.filter(pk=shenzhen.pk).update(total_amount=Decimal("160000000.00"))

    status, out, _err = verify(run.pk)

    assert status == 1
    assert "city 440300: remaining amount (yuan): stored 50000000.00, now 60000000.00" in out
    assert "city 440300: recommended amount (yuan): stored 50000000.00, now 60000000.00" in out


@pytest.mark.parametrize(
    ("alter", "expected"),
    [
        (
            lambda run: IndicatorResult.objects.filter(
                city_result__run=run,
                city_result__participation__city__code="440300",
                indicator__code="pledge_amount",
            ).update(points=Decimal("5.00")),
            "city 440300, indicator pledge_amount: points: stored 5.00, now 10.00",
        ),
        (
            lambda run: CityResult.objects.filter(
                run=run, participation__city__code="340100"
            ).update(grade="good"),
            "city 340100: grade: stored good (良), now poor (差)",
        ),
        (
            lambda run: TrancheDecision.objects.filter(
                city_result__run=run, city_result__participation__city__code="440300"
            ).update(recommended_amount=Decimal("40000000.00")),
            "city 440300: recommended amount (yuan): stored 40000000.00, now 50000000.00\n"
            # The ledger recorded the recommendation as the run made it, and the total with it.
            "city 440300: recommended amount (yuan): in the ledger 50000000.00, now "
            "40000000.00\nrun: recommended in all (yuan): in the ledger 50000000.00, now "
            "40000000.00",
        ),
        (
            lambda run: IndicatorResult.objects.filter(
                city_result__run=run,
                city_result__participation__city__code="340100",
                indicator__code="pledge_amount",
            ).update(reason="looks fine"),
            "city 340100, indicator pledge_amount: reason: stored looks fine, now",
        ),
    ],
    ids=["indicator points", "city grade", "recommended amount", "indicator reason"],
)
def test_a_stored_result_altered_behind_the_services_back_is_found(run, alter, expected):
    alter(run)

    status, out, err = verify(run.pk)

    assert status == 1
    assert expected in out
    # The inputs are as they were: only the stored result is at fault.
    assert "input digest" not in out and "inputs" not in out
    assert f"{expected.count(chr(10)) + 1} difference" in err


def test_a_city_joining_the_programme_after_the_run_is_named(run, programme):
    ParticipationFactory(programme=programme, city__code="370600")

    status, out, _err = verify(run.pk)

    assert status == 1
    assert "city 370600: scored in the run: stored no, now yes" in out


def test_a_value_outside_what_the_run_reads_changes_nothing(run, hefei):
    add_value(hefei.city, "sme_transformations", "2022-01", "500")

    status, out, _err = verify(run.pk)

    assert status == 0, out


def test_a_run_that_has_not_finished_says_so(programme, shenzhen):
    queued = evaluation_run_request(programme=programme, trigger="command", by=None)

    status, out, err = verify(queued.pk)

    assert status == 2
    assert f"run #{queued.pk} is queued: it has not finished" in err
    assert out == ""
    with pytest.raises(RunNotVerifiable):
        run_verify(run=queued)


def test_a_failed_run_says_it_has_no_results(programme, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        queued = evaluation_run_request(programme=programme, trigger="command", by=None)
    failed = EvaluationRun.objects.get(pk=queued.pk)
    assert failed.status == EvaluationRun.Status.FAILED  # no cities

    status, _out, err = verify(failed.pk)

    assert status == 2
    assert f"run #{failed.pk} failed, so it has no results to verify" in err
    assert "has no cities" in err


def test_an_unknown_run_is_refused(db):
    status, _out, err = verify(999999)

    assert status == 2
    assert "there is no run #999999" in err


def test_verifying_costs_the_same_queries_however_many_cities(
    programme, shenzhen, django_capture_on_commit_callbacks
):
    def counted() -> int:
        with django_capture_on_commit_callbacks(execute=True):
            queued = evaluation_run_request(programme=programme, trigger="command", by=None)
        with CaptureQueriesContext(connection) as queries:
            assert run_verify(run=queued).matches
        return len(queries)

    few = counted()
    for code in ("340100", "370600", "410300", "420500"):
        meet_every_target(ParticipationFactory(programme=programme, city__code=code).city)

    assert counted() == few


def test_the_runs_ruleset_edited_behind_the_services_back_is_found(run):
    """The run is scored again under its own ruleset version, as stored now: two weights
    swapped in the database (the frozen ruleset refuses it through the models) show up."""
    rules = IndicatorRule.objects.filter(ruleset=run.ruleset)
    rules.filter(indicator__code="transfer_licence_count").update(weight=Decimal("10"))
    rules.filter(indicator__code="pledge_amount").update(weight=Decimal("20"))

    status, out, _err = verify(run.pk)

    assert status == 1
    assert "city 440300, indicator transfer_licence_count: weight: stored 20.00, now 10.00" in out
    assert "city 340100, indicator transfer_licence_count: points: stored 20.00, now 10.00" in out


def test_a_ruleset_that_can_no_longer_score_is_a_mismatch(run):
    IndicatorRule.objects.filter(
        ruleset=run.ruleset, indicator__code="transfer_licence_count"
    ).update(weight=Decimal("25"))

    status, _out, err = verify(run.pk)

    assert status == 1
    assert "can no longer be scored with" in err
    assert "the weights add up to 105, not 100" in err
