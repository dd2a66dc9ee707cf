"""The evaluation run service against the database: what it stores, and that it is safe."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evaluation.models import (
    CityResult,
    EvaluationRun,
    IndicatorResult,
    MetricValue,
    Ruleset,
    TrancheDecision,
)
from evaluation.services.runs import evaluation_run_execute, evaluation_run_request
from tests.factories import ParticipationFactory, add_target, add_value, meet_every_target

pytestmark = pytest.mark.django_db


def strong_city(programme, code: str):
    """A city that meets every target of the default ruleset: 100 points."""
    participation = ParticipationFactory(programme=programme, city__code=code)
    meet_every_target(participation.city)
    return participation


def scored_at_once(programme, as_of: dt.date):  # type: ignore[no-untyped-def]
    """What the pure core gives for every city of ``programme`` read at once, under its
    current ruleset: what a run, however it was cut and read, must match."""
    from evaluation import scoring
    from evaluation.selectors import (
        evaluation_inputs,
        programme_spec,
        ruleset_current,
        ruleset_spec,
    )

    cities, _ = evaluation_inputs(programme=programme, as_of=as_of)
    return scoring.evaluate(
        programme=programme_spec(programme=programme),
        ruleset=ruleset_spec(ruleset=ruleset_current(programme=programme)),
        as_of=as_of,
        cities=cities,
    )


@pytest.fixture
def request_run(django_capture_on_commit_callbacks):
    """Queue a run and let its on-commit enqueue fire; tests run the task in-process."""

    def request(programme, **kwargs) -> EvaluationRun:
        with django_capture_on_commit_callbacks(execute=True):
            run = evaluation_run_request(programme=programme, trigger="command", by=None, **kwargs)
        return EvaluationRun.objects.get(pk=run.pk)

    return request


@pytest.mark.parametrize("overlap", [False, True], ids=["after scoring", "while scoring"])
def test_a_run_stores_every_number_reason_and_decision(programme, request_run, settings, overlap):
    settings.EVALUATION_OVERLAP_DATABASE = overlap  # COPY after, or INSERT of arrays while
    strong_city(programme, "110105")
    weak = ParticipationFactory(programme=programme, city__code="650100")
    add_value(weak.city, "sme_transformations", "2020", "10")

    run = request_run(programme)

    assert run.status == EvaluationRun.Status.SUCCEEDED
    assert run.years_elapsed == 2
    assert run.as_of.isoformat() == "2021-12-31"
    assert run.ruleset.label == "2020-v1"
    assert len(run.input_digest) == 64 and len(run.result_digest) == 64
    strong = CityResult.objects.get(run=run, participation__city__code="110105")
    assert strong.score == Decimal("100.00")
    assert strong.grade == "excellent"
    assert strong.decision.recommended_decision == "release"
    assert strong.decision.recommended_amount == Decimal("50000000.00")
    assert strong.indicator_results.count() == 10
    turnover = strong.indicator_results.get(indicator__code="contract_turnover")
    assert (turnover.status, turnover.actual, turnover.points) == (
        "met",
        Decimal("0.4000"),
        Decimal("20.00"),
    )
    assert "40.00%" in turnover.reason
    poor = CityResult.objects.get(run=run, participation__city__code="650100")
    assert poor.grade == "poor"
    assert poor.decision.recommended_decision == "withhold"
    assert poor.decision.recommended_amount == Decimal("0.00")
    flagged = poor.indicator_results.filter(status="not_assessable")
    assert flagged.count() == 9
    assert all("flagged for review" in r.reason for r in flagged)


def test_only_approved_values_count(programme, request_run):
    participation = strong_city(programme, "110105")
    MetricValue.objects.filter(
        city=participation.city, indicator__code="contract_turnover", year=2021
    ).update(status=MetricValue.Status.SUBMITTED, approved_at=None)

    run = request_run(programme)

    result = IndicatorResult.objects.get(city_result__run=run, indicator__code="contract_turnover")
    assert result.status == "not_assessable"
    assert result.city_result.score == Decimal("80.00")


def test_committed_targets_are_used(programme, request_run):
    participation = strong_city(programme, "110105")
    add_target(participation, "contract_turnover", "0.50")

    run = request_run(programme)

    result = IndicatorResult.objects.get(city_result__run=run, indicator__code="contract_turnover")
    assert result.target_source == "committed"
    assert result.target == Decimal("0.5000")
    assert result.status == "partial"
    # 40% of a committed 50%: attainment 0.8, 20 x 0.8 = 16 points.
    assert result.points == Decimal("16.00")


def test_rerun_on_unchanged_inputs_is_identical_and_says_so(programme, request_run):
    strong_city(programme, "110105")
    first = request_run(programme)
    second = request_run(programme)

    assert second.input_digest == first.input_digest
    assert second.result_digest == first.result_digest
    assert second.identical_to_id == first.pk

    add_value(programme.participations.get().city, "operation_centres", "2021", "5")
    third = request_run(programme)
    assert third.input_digest != first.input_digest
    assert third.identical_to_id is None


def test_nothing_to_evaluate_fails_the_run_with_a_clear_message(programme, request_run):
    strong_city(programme, "110105")
    run = request_run(programme, as_of=dt.date(2020, 12, 30))

    assert run.status == EvaluationRun.Status.FAILED
    assert "nothing to evaluate" in run.error
    assert run.years_elapsed == 0
    assert not CityResult.objects.filter(run=run).exists()


def test_a_target_below_the_floor_fails_the_run_naming_the_city(programme, request_run):
    participation = strong_city(programme, "110105")
    # Stored directly, as if the floor had been raised after the import.
    add_target(participation, "transfer_licence_count", "0.10")

    run = request_run(programme)

    assert run.status == EvaluationRun.Status.FAILED
    assert "110105" in run.error and "transfer_licence_count" in run.error
    assert not CityResult.objects.filter(run=run).exists()


def test_a_programme_without_cities_fails_clearly(programme, request_run):
    run = request_run(programme)
    assert run.status == EvaluationRun.Status.FAILED
    assert "no cities" in run.error


def test_executing_a_finished_run_again_changes_nothing(
    programme, django_capture_on_commit_callbacks
):
    strong_city(programme, "110105")
    with django_capture_on_commit_callbacks(execute=False):
        run = evaluation_run_request(programme=programme, trigger="command", by=None)
    evaluation_run_execute(run_id=run.pk)
    counts = (CityResult.objects.count(), IndicatorResult.objects.count())

    again = evaluation_run_execute(run_id=run.pk)

    assert again.status == EvaluationRun.Status.SUCCEEDED
    assert (CityResult.objects.count(), IndicatorResult.objects.count()) == counts
    assert TrancheDecision.objects.count() == 1


def test_requesting_a_run_freezes_the_ruleset(programme, django_capture_on_commit_callbacks):
    ruleset = Ruleset.objects.get(programme=programme)
    assert not ruleset.is_frozen
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = evaluation_run_request(programme=programme, trigger="command", by=None)
    ruleset.refresh_from_db()
    assert ruleset.is_frozen
    assert run.status == EvaluationRun.Status.QUEUED
    assert len(callbacks) == 1, "the task is enqueued once, after commit"


def _queries_for(programme, cities: int) -> int:
    for n in range(cities):
        strong_city(programme, f"{100000 + n:06d}")
    run = evaluation_run_request(programme=programme, trigger="command", by=None)
    # Run it again on a fresh run row so the count covers one full execution only.
    EvaluationRun.objects.filter(pk=run.pk).update(status="queued")
    with CaptureQueriesContext(connection) as queries:
        evaluation_run_execute(run_id=run.pk)
    return len(queries)


def test_query_count_does_not_grow_with_cities(
    programme, django_capture_on_commit_callbacks, settings
):
    # Per chunk of cities (a chunk is one task): 3 and 30 cities in one chunk each.
    settings.EVALUATION_CHUNK_SIZE = 50
    with django_capture_on_commit_callbacks(execute=False):
        three = _queries_for(programme, 3)
    CityResult.objects.all().delete()
    EvaluationRun.objects.all().delete()
    programme.participations.all().delete()
    MetricValue.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=False):
        thirty = _queries_for(programme, 30)
    assert three == thirty
    # Start, one chunk and finish, with the plan's bookkeeping (each delivery recorded before
    # the work), the ruleset read, the inputs in four queries, one insert per result table and
    # the ledger's entries (the savepoints of the test's transaction count too).
    assert three <= 60


def test_a_run_reads_its_results_back_once_whatever_its_chunks(
    programme, django_capture_on_commit_callbacks, settings
):
    """The run finishes by counting its chunks still to store, not by reading every result
    stored so far after each chunk (quadratic in cities); its digests read them once."""
    settings.EVALUATION_CHUNK_SIZE = 1
    for n in range(4):
        strong_city(programme, f"{100000 + n:06d}")
    with django_capture_on_commit_callbacks(execute=False):
        run = evaluation_run_request(programme=programme, trigger="command", by=None)
    with CaptureQueriesContext(connection) as queries:
        run = evaluation_run_execute(run_id=run.pk)
    assert run.status == EvaluationRun.Status.SUCCEEDED
    assert run.chunks.count() == 4
    reads = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT") and '"evaluation_cityresult"."result_digest"' in q["sql"]
    ]
    assert len(reads) == 1


def test_the_chunk_size_is_chosen_for_the_workers(settings):
    from evaluation.services.runs import chunk_size

    settings.EVALUATION_CHUNK_SIZE = 0
    settings.EVALUATION_WORKERS = 2
    settings.EVALUATION_CHUNKS_PER_WORKER = 2
    settings.EVALUATION_CHUNK_MIN = 25
    settings.EVALUATION_CHUNK_MAX = 1000
    assert chunk_size(300) == 75  # 4 chunks: two for each worker
    assert chunk_size(3000) == 750
    assert chunk_size(40) == 25  # never smaller than the minimum
    assert chunk_size(100_000) == 1000  # nor larger than the maximum
    settings.EVALUATION_WORKERS = 8
    assert chunk_size(3000) == 188  # more workers, more chunks: 16
    settings.EVALUATION_WORKERS = 1
    assert chunk_size(300) == 300  # one worker shares with no one: one chunk
    assert chunk_size(3000) == 1000  # within the maximum
    settings.EVALUATION_CHUNK_SIZE = 7
    assert chunk_size(3000) == 7  # a size set fixes it


@pytest.mark.parametrize(
    "as_of", [dt.date(2021, 12, 31), dt.date(2021, 8, 15), dt.date(2022, 3, 31)]
)
def test_the_database_sums_exactly_what_the_pure_engine_sums(programme, as_of):
    """The service reads totals summed by SQL; the scoring core sums values one by one. Both
    must give the same digest and the same results, whatever the granularity and date."""
    from evaluation import scoring
    from evaluation.selectors import (
        evaluation_inputs,
        programme_spec,
        ruleset_current,
        ruleset_spec,
    )

    participation = strong_city(programme, "110105")
    city = participation.city
    for quarter, value in zip((1, 2, 3, 4), ("10", "20", "30.5", "41"), strict=True):
        add_value(city, "pledge_amount", f"2020-Q{quarter}", value)
    for month in range(1, 13):
        add_value(city, "sme_transformations", f"2021-{month:02d}", str(month))
        add_value(city, "trusteeship_smes", f"2022-{month:02d}", "7")
    add_value(city, "navigation_projects", "2021-09", "3", approved=False)

    spec = programme_spec(programme=programme)
    cities, _ = evaluation_inputs(programme=programme, as_of=as_of)
    one_by_one = [
        scoring.CityInput(
            city=c.city,
            remaining_amount=c.remaining_amount,
            targets=c.targets,
            observations=tuple(
                scoring.Observation(v.indicator.code, v.period, v.value)
                for v in MetricValue.objects.filter(
                    city__code=c.city, status=MetricValue.Status.APPROVED
                ).select_related("indicator")
            ),
        )
        for c in cities
    ]
    rules = ruleset_spec(ruleset=ruleset_current(programme=programme))

    assert scoring.input_digest(programme=spec, as_of=as_of, cities=cities) == (
        scoring.input_digest(programme=spec, as_of=as_of, cities=one_by_one)
    )
    from_sql = scoring.evaluate(programme=spec, ruleset=rules, as_of=as_of, cities=cities)
    from_rows = scoring.evaluate(programme=spec, ruleset=rules, as_of=as_of, cities=one_by_one)
    assert from_sql == from_rows
    assert from_sql.input_digest == scoring.input_digest(programme=spec, as_of=as_of, cities=cities)


@pytest.mark.parametrize("chunk_size", [1, 2, 50])
def test_scoring_in_chunks_gives_the_same_run_as_scoring_at_once(
    programme, request_run, settings, chunk_size
):
    from evaluation import scoring

    for code in ("110105", "120116", "140100"):
        strong_city(programme, code)
    add_value(programme.participations.first().city, "operation_centres", "2021", "9")
    settings.EVALUATION_CHUNK_SIZE = chunk_size

    run = request_run(programme)

    at_once = scored_at_once(programme, run.as_of)
    assert run.status == "succeeded" and run.cities_total == 3
    assert run.input_digest == at_once.input_digest
    assert run.result_digest == scoring.outcome_digest(at_once)
    assert CityResult.objects.filter(run=run).count() == 3


def test_a_chunk_is_scored_with_the_cycle_collector_paused_and_left_running_after(
    programme, request_run, monkeypatch, django_capture_on_commit_callbacks
):
    import gc

    from evaluation import scoring
    from evaluation.services import runs

    strong_city(programme, "110105")
    seen: list[bool] = []
    evaluate = scoring.evaluate_in_parts

    def watched(**kwargs):  # type: ignore[no-untyped-def]
        seen.append(gc.isenabled())
        return evaluate(**kwargs)

    monkeypatch.setattr(runs.scoring, "evaluate_in_parts", watched)
    assert gc.isenabled()

    run = request_run(programme)

    # By the chunk.
    assert run.status == "succeeded"
    assert seen[-1] is False
    assert gc.isenabled()

    # A chunk whose scoring raises leaves it running too.
    with django_capture_on_commit_callbacks(execute=False):
        second = runs.evaluation_run_request(programme=programme, trigger="command", by=None)
    (number,) = runs.evaluation_run_start(run_id=second.pk)

    def broken(**kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("the scoring core failed")

    monkeypatch.setattr(runs.scoring, "evaluate_in_parts", broken)
    with pytest.raises(RuntimeError):
        runs.evaluation_chunk_execute(run_id=second.pk, number=number)
    assert gc.isenabled()
