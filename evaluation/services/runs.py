"""Evaluation runs: requested (queued), executed by a worker, stored with every number."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from evaluation import scoring
from evaluation.models import (
    CityResult,
    EvaluationRun,
    IndicatorResult,
    Participation,
    Programme,
    TrancheDecision,
)
from evaluation.selectors import (
    evaluation_inputs,
    programme_spec,
    ruleset_current,
    ruleset_spec,
    run_previous_identical,
)
from evaluation.services.rulesets import ruleset_freeze


def evaluation_run_request(
    *,
    programme: Programme,
    as_of: dt.date | None = None,
    kind: str = EvaluationRun.Kind.OFFICIAL,
    trigger: str,
    by: User | None,
) -> EvaluationRun:
    """Queue an evaluation of ``programme`` at ``as_of`` (its mid-term date by default) under
    its current ruleset, which is frozen from now on. The worker starts after commit."""
    from evaluation.tasks import run_evaluation

    with transaction.atomic():
        ruleset = ruleset_current(programme=programme)
        ruleset_freeze(ruleset=ruleset)
        run = EvaluationRun(
            programme=programme,
            ruleset=ruleset,
            as_of=as_of or programme.midterm_as_of,
            kind=kind,
            trigger=trigger,
            triggered_by=by,
        )
        run.full_clean()
        run.save()
        transaction.on_commit(lambda: run_evaluation.delay(run.pk))
    return run


def evaluation_run_execute(*, run_id: int) -> EvaluationRun:
    """Evaluate and store the results of run ``run_id``.

    Safe to call twice (a redelivered task): the run row is locked for the whole evaluation, and
    a run that has already finished is returned as it is. A rule of the programme that the
    inputs break fails the run with every reason recorded; nothing of it is half-written."""
    _mark_running(run_id)
    with transaction.atomic():
        run = (
            EvaluationRun.objects.select_for_update()
            .select_related("programme", "ruleset__programme")
            .get(pk=run_id)
        )
        if run.status in (EvaluationRun.Status.SUCCEEDED, EvaluationRun.Status.FAILED):
            return run
        programme = run.programme
        cities, participations = evaluation_inputs(programme=programme, as_of=run.as_of)
        spec = programme_spec(programme=programme)
        try:
            outcome = scoring.evaluate(
                programme=spec,
                ruleset=ruleset_spec(ruleset=run.ruleset),
                as_of=run.as_of,
                cities=cities,
            )
        except scoring.EvaluationError as exc:
            run.status = EvaluationRun.Status.FAILED
            run.error = "\n".join(exc.messages)
            run.years_elapsed = scoring.years_elapsed(spec, run.as_of)
            run.finished_at = timezone.now()
            run.save(update_fields=["status", "error", "years_elapsed", "finished_at"])
            return run
        if not outcome.cities:
            run.status = EvaluationRun.Status.FAILED
            run.error = f"programme {programme.code} has no cities: import them first"
            run.finished_at = timezone.now()
            run.save(update_fields=["status", "error", "finished_at"])
            return run

        _store_outcome(run, outcome, participations)
        run.years_elapsed = outcome.years_elapsed
        run.input_digest = outcome.input_digest
        run.result_digest = scoring.outcome_digest(outcome)
        previous = run_previous_identical(run=run)
        run.identical_to = (
            previous
            if previous is not None and previous.result_digest == run.result_digest
            else None
        )
        run.status = EvaluationRun.Status.SUCCEEDED
        run.finished_at = timezone.now()
        run.full_clean()
        run.save()
    return run


def _mark_running(run_id: int) -> None:
    EvaluationRun.objects.filter(
        pk=run_id, status__in=[EvaluationRun.Status.QUEUED, EvaluationRun.Status.RUNNING]
    ).update(status=EvaluationRun.Status.RUNNING, started_at=timezone.now())


def _store_outcome(
    run: EvaluationRun,
    outcome: scoring.ProgrammeOutcome,
    participations: dict[str, Participation],
) -> None:
    """Three inserts whatever the number of cities."""
    indicator_ids = dict(run.ruleset.rules.values_list("indicator__code", "indicator_id"))
    city_results = CityResult.objects.bulk_create(
        [
            CityResult(
                run=run,
                participation=participations[city.city],
                score=city.score,
                grade=city.grade,
                release_share=city.release_share,
                reason=city.reason,
            )
            for city in outcome.cities
        ]
    )
    IndicatorResult.objects.bulk_create(
        [
            IndicatorResult(
                city_result=city_result,
                indicator_id=indicator_ids[item.indicator],
                position=position,
                kind=item.kind,
                status=str(item.status),
                weight=item.weight,
                full_target=item.full_target,
                target_source=str(item.target_source),
                target=item.target,
                actual=item.actual,
                attainment=item.attainment,
                points=item.points,
                base_value=item.base_value,
                final_value=item.final_value,
                reason=item.reason,
            )
            for city, city_result in zip(outcome.cities, city_results, strict=True)
            for position, item in enumerate(city.indicators)
        ]
    )
    TrancheDecision.objects.bulk_create(
        [
            TrancheDecision(
                city_result=city_result,
                remaining_amount=city.remaining_amount,
                recommended_decision=str(city.decision),
                recommended_amount=city.amount,
                reason=city.reason,
            )
            for city, city_result in zip(outcome.cities, city_results, strict=True)
        ]
    )
