"""Evaluation runs: requested (queued), started, scored in chunks of cities that several
workers share, and finished once every city is scored.

Every step is safe to run twice (a redelivered task): a finished run is left as it is, a city
already scored in the run is skipped, and the unique (run, city) constraint refuses a second
score should two deliveries race."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from contextlib import closing, nullcontext
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import DataError, IntegrityError, connection, transaction
from django.db.models import F, Model
from django.utils import timezone
from django.utils.translation import gettext

from evaluation import scoring, testhook
from evaluation.bulk import (
    collector_paused,
    insert_rows,
    insert_rows_returning_ids,
    insert_rows_sent,
    sequence_values,
)
from evaluation.models import (
    CityResult,
    EvaluationRun,
    Indicator,
    IndicatorResult,
    Participation,
    Programme,
    RunChunk,
    Target,
    TrancheDecision,
)
from evaluation.reasons import history_reason
from evaluation.scoring.digest import (
    canonical_decimal,
    city_outcome_digest,
    combine,
    inputs_header,
    outcome_header,
)
from evaluation.selectors import (
    evaluation_inputs_in_parts,
    programme_spec,
    ruleset_current,
    ruleset_spec,
    run_previous_identical,
)
from evaluation.services.audit import audited_insert_rows, audited_save
from evaluation.services.ledger import ledger_append
from evaluation.services.panel_results import choices_missing, panel_marks_store
from evaluation.services.rulesets import ruleset_freeze

log = logging.getLogger(__name__)

FINISHED = (EvaluationRun.Status.SUCCEEDED, EvaluationRun.Status.FAILED)


def evaluation_run_request(
    *,
    programme: Programme,
    as_of: dt.date | None = None,
    kind: str = EvaluationRun.Kind.OFFICIAL,
    trigger: str,
    by: User | None,
) -> EvaluationRun:
    """Queue an evaluation of ``programme`` at ``as_of`` (its mid-term date by default) under
    its current ruleset, which is frozen from now on. The task is sent after commit, through
    the outbox (so a broker that is down delays the run but loses nothing).

    Only ministry reviewers (or the system, ``by=None``: commands and schedules) ask for runs;
    anyone else is refused with ``Forbidden``, whichever way they came in."""
    from evaluation.access import require_reviewer
    from evaluation.services.outbox import outbox_enqueue

    if by is not None:
        require_reviewer(by)

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
            heartbeat_at=timezone.now(),
        )
        # Its fields checked; its keys are rows just read and its constraints the database's
        # (a new queued run meets them), so no query each.
        audited_save(
            run,
            by=by,
            reason=history_reason("run_requested", trigger=trigger),
            clean="fields",
            ledger=f"requested ({trigger})",
        )
        outbox_enqueue("evaluation.tasks.run_evaluation", run_id=run.pk)
    return run


def evaluation_run_scheduled(*, programme: Programme, kind: str, as_of: dt.date) -> EvaluationRun:
    """The run a schedule asks for: if one of this kind and date is already queued, running or
    done for the programme, that run stands, so a redelivered task starts no other."""
    with transaction.atomic():
        # Serialise schedules of one programme on its row.
        Programme.objects.select_for_update().get(pk=programme.pk)
        existing = (
            EvaluationRun.objects.filter(
                programme=programme, as_of=as_of, kind=kind, trigger=EvaluationRun.Trigger.SCHEDULE
            )
            .exclude(status=EvaluationRun.Status.FAILED)
            .first()
        )
        if existing is not None:
            return existing
        return evaluation_run_request(
            programme=programme,
            as_of=as_of,
            kind=kind,
            trigger=EvaluationRun.Trigger.SCHEDULE,
            by=None,
        )


def _fail(run: EvaluationRun, messages: list[str] | tuple[str, ...]) -> EvaluationRun:
    run.status = EvaluationRun.Status.FAILED
    run.error = "\n".join(messages)
    run.finished_at = timezone.now()
    return audited_save(
        run,
        by=None,
        reason=history_reason("run_failed"),
        update_fields=["status", "error", "years_elapsed", "finished_at"],
        clean=False,
        ledger="failed",
    )


def _beat(run_id: int) -> None:
    """A sign of progress, for the sweep (no history row: it changes all the time)."""
    EvaluationRun.objects.filter(pk=run_id).update(heartbeat_at=timezone.now())


def _start_delivered(run_id: int) -> bool:
    """Record that a worker begins starting the run, committed before any work, so a start
    that kills its worker every time is counted. False if the run is over (or now fails)."""
    with transaction.atomic():
        run = EvaluationRun.objects.select_for_update().get(pk=run_id)
        if run.status in FINISHED:
            return False
        limit = settings.EVALUATION_MAX_DELIVERIES
        if run.start_deliveries >= limit:
            # Once the plan is stored the sweep sends its chunks: only a run that never got
            # that far fails.
            if run.status == EvaluationRun.Status.QUEUED:
                _fail(run, [start_over_limit(run, limit)])
            return False
        EvaluationRun.objects.filter(pk=run_id).update(
            start_deliveries=F("start_deliveries") + 1, heartbeat_at=timezone.now()
        )
    return True


def start_over_limit(run: EvaluationRun, limit: int) -> str:
    """Why a run that never got its plan fails: the error its start last raised (its retries
    are deliveries too), or else its worker stopping each time."""
    if run.start_last_error:
        return gettext(
            "the run's start was taken by a worker {deliveries} times without finishing, the "
            "most EVALUATION_MAX_DELIVERIES ({limit}) allows; last error: {error}"
        ).format(deliveries=run.start_deliveries, limit=limit, error=run.start_last_error)
    return gettext(
        "the run's start was taken by a worker {deliveries} times without finishing, the most "
        "EVALUATION_MAX_DELIVERIES ({limit}) allows: its worker stopped each time (killed, out "
        "of memory, or lost)"
    ).format(deliveries=run.start_deliveries, limit=limit)


def evaluation_run_start(*, run_id: int) -> list[int]:
    """Check what can be checked for the whole run, fix its plan (the cities and the chunk
    boundaries) and return the numbers of the chunks to send: none if the run is finished or
    fails. A start delivered again finds the plan stored and returns the chunks never sent,
    so the cities and boundaries stay those of the first delivery."""
    if not _start_delivered(run_id):
        return []
    with transaction.atomic():
        run = (
            EvaluationRun.objects.select_for_update()
            .select_related("programme", "ruleset__programme")
            .get(pk=run_id)
        )
        if run.status in FINISHED:
            return []
        if run.chunks.exists():
            return list(
                run.chunks.filter(status=RunChunk.Status.PENDING, queued_at__isnull=True)
                .order_by("number")
                .values_list("number", flat=True)
            )
        spec = programme_spec(programme=run.programme)
        rules = ruleset_spec(ruleset=run.ruleset)
        run.years_elapsed = scoring.years_elapsed(spec, run.as_of)
        try:
            scoring.engine.check_ruleset(rules)
            if run.years_elapsed == 0:
                # Let the engine say why, in its words.
                scoring.evaluate(programme=spec, ruleset=rules, as_of=run.as_of, cities=[])
        except scoring.EvaluationError as exc:
            _fail(run, exc.messages)
            return []
        planned = list(
            Participation.objects.filter(programme=run.programme)
            .order_by("city__code")
            .values_list("pk", "city__code")
        )
        ids = [pk for pk, _ in planned]
        if not ids:
            _fail(run, [f"programme {run.programme.code} has no cities: import them first"])
            return []
        targets: dict[str, list[tuple[str, Decimal]]] = {}
        for city, indicator, value in (
            Target.objects.filter(participation_id__in=ids)
            .values_list("participation__city__code", "indicator__code", "value")
            .order_by("participation__city__code", "indicator__position")
        ):
            targets.setdefault(city, []).append((indicator, value))
        problems = [
            f"city {city}: {problem}"
            for city, pairs in targets.items()
            for problem in scoring.engine.check_targets(
                scoring.CityInput(city=city, remaining_amount=Decimal(0), targets=tuple(pairs)),
                rules,
            )
        ]
        problems += choices_missing(participation_ids=ids, ruleset=rules)
        if problems:
            _fail(run, problems)
            return []
        size = chunk_size(len(planned))
        chunks = RunChunk.objects.bulk_create(
            RunChunk(
                run=run,
                number=number,
                participation_ids=[pk for pk, _ in planned[i : i + size]],
                city_codes=[code for _, code in planned[i : i + size]],
            )
            for number, i in enumerate(range(0, len(planned), size), start=1)
        )
        run.status = EvaluationRun.Status.RUNNING
        run.started_at = run.started_at or timezone.now()
        run.cities_total = len(ids)
        run.heartbeat_at = timezone.now()
        audited_save(
            run,
            by=None,
            reason=history_reason("run_started"),
            update_fields=["status", "started_at", "cities_total", "years_elapsed", "heartbeat_at"],
            clean=False,
            ledger="started: plan fixed",
        )
    return [chunk.number for chunk in chunks]


def chunk_size(cities: int) -> int:
    """How many cities a chunk of a run of ``cities`` holds: EVALUATION_CHUNK_SIZE when set,
    else enough chunks to keep every worker busy (EVALUATION_CHUNKS_PER_WORKER for each of the
    EVALUATION_WORKERS), none smaller than EVALUATION_CHUNK_MIN nor larger than
    EVALUATION_CHUNK_MAX. Each chunk costs a fixed few queries (about 30 ms), so fewer, larger
    chunks are cheaper, while more chunks than workers let a fast worker take over a slow
    one's share: a single worker has no one to share with, and takes the run in one chunk
    (or as few as the maximum allows)."""
    if settings.EVALUATION_CHUNK_SIZE > 0:
        return int(settings.EVALUATION_CHUNK_SIZE)
    workers = int(settings.EVALUATION_WORKERS)
    chunks = workers * int(settings.EVALUATION_CHUNKS_PER_WORKER) if workers > 1 else 1
    chunks = max(1, chunks)
    size: int = -(-cities // chunks)
    return max(int(settings.EVALUATION_CHUNK_MIN), min(int(settings.EVALUATION_CHUNK_MAX), size), 1)


def evaluation_chunk_queued(*, run_id: int, number: int) -> None:
    """The chunk's task has been sent (a start delivered again sends only the others)."""
    RunChunk.objects.filter(run_id=run_id, number=number).update(queued_at=timezone.now())


def chunk_over_limit(chunk: RunChunk, total: int, limit: int) -> str:
    return gettext(
        "chunk {number} of {total} (cities {cities}) was taken by a worker {deliveries} times "
        "without being stored, the most EVALUATION_MAX_DELIVERIES ({limit}) allows; last "
        "error: {error}"
    ).format(
        number=chunk.number,
        total=total,
        cities=", ".join(chunk.city_codes),
        deliveries=chunk.deliveries,
        limit=limit,
        error=chunk.last_error or gettext("none recorded"),
    )


def chunk_delivery_lost(chunk: RunChunk) -> None:
    """Say why the chunk's last delivery ended without storing it or reporting an error."""
    chunk.last_error = gettext(
        "delivery {n} did not come back: its worker stopped (killed, out of memory, or lost) "
        "or its message was lost"
    ).format(n=chunk.deliveries)
    chunk.last_error_delivery = chunk.deliveries


def _chunk_delivered(run_id: int, number: int) -> RunChunk | None:
    """Record that a worker begins scoring the chunk, committed before any work, so a chunk
    that kills its worker every time is counted; past the limit the run fails instead. None
    when there is nothing to do (the run is over, the chunk stored, or the limit reached)."""
    with transaction.atomic():
        # The run with what scoring it needs, read once for the delivery; only its row locked.
        run = (
            EvaluationRun.objects.select_for_update(of=("self",))
            .select_related("programme", "ruleset__programme")
            .get(pk=run_id)
        )
        if run.status != EvaluationRun.Status.RUNNING:
            return None
        chunk = RunChunk.objects.select_for_update().get(run=run, number=number)
        chunk.run = run
        if chunk.status == RunChunk.Status.DONE:
            return None
        if chunk.deliveries and chunk.last_error_delivery != chunk.deliveries:
            # The previous delivery neither stored the chunk nor reported an error.
            chunk_delivery_lost(chunk)
        limit = settings.EVALUATION_MAX_DELIVERIES
        if chunk.deliveries >= limit:
            chunk.save(update_fields=["last_error", "last_error_delivery"])
            _fail(run, [chunk_over_limit(chunk, run.chunks.count(), limit)])
            return None
        chunk.deliveries += 1
        chunk.last_delivered_at = timezone.now()
        chunk.save(
            update_fields=["deliveries", "last_delivered_at", "last_error", "last_error_delivery"]
        )
        _beat(run_id)
    return chunk


@collector_paused()
def evaluation_chunk_execute(*, run_id: int, number: int) -> None:
    """Score the cities of the plan's chunk ``number`` that are not scored yet, then finish
    the run if it was the last.

    With Python's cycle collector paused: a chunk's totals, outcomes and rows live until it is
    stored, and a full collection walking them (and every object of the worker) freed nothing
    and took a seventh of a 300-city run; what the chunk leaves is freed by reference counting,
    anything in a cycle once the collector runs again after it."""
    chunk = _chunk_delivered(run_id, number)
    if chunk is None:
        return
    testhook.reached("chunk-scoring", number)
    run = chunk.run
    participation_ids: list[int] = chunk.participation_ids
    # A chunk's results are stored in the transaction that marks it done, so its first delivery
    # finds none (a delivery racing it is refused by the unique (run, city) constraint below).
    scored: set[int] = (
        set()
        if chunk.deliveries == 1
        else set(
            CityResult.objects.filter(run=run, participation_id__in=participation_ids).values_list(
                "participation_id", flat=True
            )
        )
    )
    todo = [pk for pk in participation_ids if pk not in scored]
    if todo:
        try:
            _score_and_store(run, todo, chunk)
        except scoring.EvaluationError as exc:
            with transaction.atomic():
                locked = EvaluationRun.objects.select_for_update().get(pk=run_id)
                if locked.status not in FINISHED:
                    _fail(locked, exc.messages)
            return
        except (IntegrityError, DataError) as exc:
            # A row refused: a result too large for its column cannot be a delivery racing.
            stored = CityResult.objects.filter(run=run, participation_id__in=todo).count()
            if stored < len(todo):
                # Not a second delivery having stored them first: a real breach. Fail loudly.
                with transaction.atomic():
                    locked = EvaluationRun.objects.select_for_update().get(pk=run_id)
                    if locked.status not in FINISHED:
                        _fail(locked, [f"storing the results failed: {exc}"])
                return
    else:
        _chunk_done(chunk)
    evaluation_run_finish(run_id=run_id)


def evaluation_chunk_alone(*, run_id: int, numbers: list[int]) -> list[int]:
    """What the start must still send of the chunks ``numbers`` it has to send. A plan of one
    chunk (a run sized for one worker, or of at most EVALUATION_CHUNK_MIN cities) that no
    delivery has taken yet is scored here, by the start's own worker, as its first delivery:
    handing it to the same worker through the broker would only add a round trip. Should that
    delivery raise, its error is recorded as the chunk's, as a chunk task's would be, and the
    chunk is sent like any other; should the worker die, the start is delivered again, finds
    the chunk taken once, and sends it, whose delivery then says the first did not come back."""
    if len(numbers) != 1:
        return numbers
    (number,) = numbers
    plan = list(RunChunk.objects.filter(run_id=run_id).values_list("number", "deliveries")[:2])
    if plan != [(number, 0)]:
        return numbers
    try:
        evaluation_chunk_execute(run_id=run_id, number=number)
    except Exception as exc:
        from evaluation.services.recovery import evaluation_chunk_failed

        # In the worker's log with its traceback, as a chunk task's failure would be.
        log.exception("run %s: chunk %s, scored in the run's start, failed", run_id, number)
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()  # a lost connection: a new one
        try:
            evaluation_chunk_failed(
                run_id=run_id, number=number, error=f"{type(exc).__name__}: {exc}", final=False
            )
        except Exception:
            # Not recorded: the chunk is still sent (its next delivery then says this one did
            # not come back).
            log.exception("run %s: chunk %s's failure could not be recorded", run_id, number)
        return numbers
    return []


def _chunk_done(chunk: RunChunk) -> None:
    # The run's row before the chunk's, as everywhere: two deliveries never wait on each other.
    _beat(chunk.run_id)
    RunChunk.objects.filter(pk=chunk.pk).update(
        status=RunChunk.Status.DONE, finished_at=timezone.now()
    )


def evaluation_run_finish(*, run_id: int) -> EvaluationRun:
    """Once every city is scored: the run's digests, whether it matches an earlier run, and
    success. Does nothing before that, or twice."""
    with transaction.atomic():
        run = (
            EvaluationRun.objects.select_for_update()
            .select_related("programme", "ruleset__programme")
            .get(pk=run_id)
        )
        if run.status != EvaluationRun.Status.RUNNING:
            return run
        # Finish by counting: while a chunk of the plan is not stored, nothing to read.
        if run.chunks.exclude(status=RunChunk.Status.DONE).exists():
            return run
        digests = list(
            CityResult.objects.filter(run=run).values_list(
                "participation__city__code", "input_digest", "result_digest"
            )
        )
        if len(digests) < (run.cities_total or 0):
            return run
        spec = programme_spec(programme=run.programme)
        run.input_digest = combine(
            inputs_header(spec, run.as_of), ((city, digest) for city, digest, _ in digests)
        )
        assert run.years_elapsed is not None
        run.result_digest = combine(
            outcome_header(run.programme.code, run.ruleset.label, run.years_elapsed),
            ((city, digest) for city, _, digest in digests),
        )
        previous = run_previous_identical(run=run)
        run.identical_to = (
            previous
            if previous is not None and previous.result_digest == run.result_digest
            else None
        )
        run.status = EvaluationRun.Status.SUCCEEDED
        run.finished_at = timezone.now()
        # The fields checked as ever; the keys were just read and the table's constraints
        # hold in the database itself (no query each).
        run.full_clean(
            exclude=["programme", "ruleset", "triggered_by", "identical_to"],
            validate_constraints=False,
        )
        run.save()
        ledger_append(run, action="succeeded", by=None)
    return run


def evaluation_run_execute(*, run_id: int) -> EvaluationRun:
    """The whole run in this process, chunk after chunk: the workers' path without a broker
    (used by the benchmark and the tests to score a run where they stand)."""
    for number in evaluation_run_start(run_id=run_id):
        evaluation_chunk_execute(run_id=run_id, number=number)
    return EvaluationRun.objects.get(pk=run_id)


def _score_and_store(run: EvaluationRun, todo: list[int], chunk: RunChunk) -> None:
    """Score the run's cities ``todo`` and store their outcomes with the chunk marked done, in
    one transaction.

    The cities come a part at a time (the database sums the next part's values while one part
    is scored). With EVALUATION_OVERLAP_DATABASE, on PostgreSQL, the first part is small and
    each part's results and their indicators' numbers are sent behind the next part's query as
    soon as the part is scored, and answer nothing: the database writes them while the worker
    scores the next part, and checks the numbers' keys as each statement ends rather than all
    at the commit (the same checks; the results' own keys, to the run and the participation,
    stay checked at the commit, so the run's row is not held through the scoring); the
    transaction then begins before the reading. Otherwise, or for a ruleset with tasks (whose
    experts' marks need their numbers' keys back, a query that would wait), the cities are
    read and scored first and the transaction holds only the writing: each table in one COPY.
    The decisions, with their history rows and ledger entries, are written once every part is
    scored. Nothing is kept if a later part breaks a rule."""
    rules = ruleset_spec(ruleset=run.ruleset)
    overlap = connection.vendor == "postgresql" and settings.EVALUATION_OVERLAP_DATABASE
    streamed = overlap and not scoring.engine.reads_tasks(rules)
    with transaction.atomic() if streamed else nullcontext():
        immediate = _keys_checked_per_statement(IndicatorResult) if streamed else []
        writes: list[Callable[[], None]] = []
        # The spot checks recorded by the time the run started, in every chunk alike.
        participations, parts = evaluation_inputs_in_parts(
            programme=run.programme,
            as_of=run.as_of,
            participation_ids=todo,
            ruleset=rules,
            checked_by=run.started_at,
            writes=writes if streamed else None,
            small_first=overlap,
        )
        indicator_ids = dict(Indicator.objects.values_list("code", "pk"))
        # Sent between parts, the results are given their keys before (in city order, as
        # ever): a query answered between parts would wait for the next part's totals.
        keys = (
            dict(
                zip(
                    sorted(participations),
                    sequence_values(CityResult, len(participations)),
                    strict=True,
                )
            )
            if streamed
            else {}
        )
        city_results: dict[str, int] = {}

        def scored(part: Sequence[scoring.CityOutcome]) -> None:
            writes.append(
                lambda: city_results.update(
                    _results_store(run, part, participations, indicator_ids, keys, sent=True)
                )
            )

        with closing(parts):  # the connection's own again, even if scoring raises
            outcome = scoring.evaluate_in_parts(
                programme=programme_spec(programme=run.programme),
                ruleset=rules,
                as_of=run.as_of,
                parts=parts,
                scored=scored if streamed else None,
            )
        # The one above when the results went meanwhile, else the writing's own.
        with transaction.atomic(savepoint=not streamed):
            while writes:  # those not sent between parts
                writes.pop(0)()
            if immediate:
                _keys_checked_at_commit(immediate)
            if not streamed:
                city_results = _results_store(
                    run, outcome.cities, participations, indicator_ids, {}, sent=False
                )
            _decisions_store(run, outcome, city_results)
            _chunk_done(chunk)


def _keys_checked_per_statement(model: type[Model]) -> list[str]:
    """The foreign keys of ``model``'s table checked as each statement ends, for the rest of
    the transaction (or until :func:`_keys_checked_at_commit`); their names. A key checked
    locks the row it points at against an update of its key (``FOR KEY SHARE``) until the
    commit: for an indicator result, its city's result (written by the same transaction) and
    its indicator (which nothing locks ``FOR UPDATE``)."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass "
            "AND contype = 'f' AND condeferrable AND condeferred",
            [quote(model._meta.db_table)],
        )
        names = [name for (name,) in cursor.fetchall()]
        if names:
            cursor.execute(f"SET CONSTRAINTS {', '.join(map(quote, names))} IMMEDIATE")
    return names


def _keys_checked_at_commit(names: list[str]) -> None:
    """The constraints ``names`` checked at the commit again: Django makes every foreign key
    of this schema initially deferred, so this is the transaction's own mode."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SET CONSTRAINTS {', '.join(map(quote, names))} DEFERRED")


def _results_store(
    run: EvaluationRun,
    part: Sequence[scoring.CityOutcome],
    participations: dict[str, Participation],
    indicator_ids: dict[str, int],
    keys: dict[str, int],
    *,
    sent: bool,
) -> dict[str, int]:
    """Cities' results and their indicators' numbers: the key of each city's result. ``sent``:
    a part's rows, under ``keys`` taken before, sent between parts (``insert_rows_sent``);
    else the whole chunk's after the last part, each table in one ``COPY`` (PostgreSQL)."""
    rows = [
        dict(
            run_id=run.pk,
            participation_id=participations[city.city].pk,
            score=city.score,
            grade=str(city.grade),
            release_share=city.release_share,
            reason=city.reason,
            input_digest=city.input_digest,
            result_digest=city_outcome_digest(city),
        )
        for city in part
    ]
    if sent:
        city_results = [keys[city.city] for city in part]
        insert_rows_sent(
            CityResult, [{**row, "id": key} for row, key in zip(rows, city_results, strict=True)]
        )
    else:
        city_results = insert_rows_returning_ids(CityResult, rows)
    # The largest table of a run (no history is kept of it), each distinct value prepared once.
    numbers: list[dict[str, Any]] = [
        dict(
            city_result_id=city_result,
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
            # The spot checks of the indicator's values and what they deducted.
            checks=[
                {
                    "period": check.period.label,
                    "claimed": canonical_decimal(check.claimed),
                    "verified": canonical_decimal(check.verified),
                    "stands": check.stands,
                }
                for check in item.checks
            ],
            deducted=item.deducted,
        )
        for city, city_result in zip(part, city_results, strict=True)
        for position, item in enumerate(city.indicators)
    ]
    outcomes = [item for city in part for item in city.indicators]
    if sent:
        insert_rows_sent(IndicatorResult, numbers)
    elif any(item.panel for item in outcomes):
        # The experts' marks point at their results: the rows' keys are needed.
        stored = insert_rows_returning_ids(IndicatorResult, numbers)
        panel_marks_store([IndicatorResult(pk=key) for key in stored], outcomes)
    else:
        insert_rows(IndicatorResult, numbers)
    return {city.city: key for city, key in zip(part, city_results, strict=True)}


def _decisions_store(
    run: EvaluationRun, outcome: scoring.ProgrammeOutcome, city_results: dict[str, int]
) -> None:
    """Each city's recommended decision, with its history row (so the audit trail of a
    decision starts at its recommendation) and its ledger entry."""
    audited_insert_rows(
        TrancheDecision,
        [
            dict(
                city_result_id=city_results[city.city],
                remaining_amount=city.remaining_amount,
                recommended_decision=str(city.decision),
                recommended_amount=city.amount,
                reason=city.reason,
            )
            for city in outcome.cities
        ],
        by=None,
        reason=history_reason("decision_recommended", run=run.pk),
        ledger=f"recommended by run #{run.pk}",
    )
