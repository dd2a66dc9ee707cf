"""A run reads its chunk's cities a part at a time (``selectors.evaluation_inputs_in_parts``):
each city gets exactly the inputs ``evaluation_inputs`` gives it, the run the results it gets
when every city is read at once, and on PostgreSQL the next part's totals are asked for before
a part is handed over (so the database sums them while the worker scores)."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import replace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evaluation import scoring, selectors
from evaluation.models import CityResult, EvaluationRun, Participation
from evaluation.selectors import (
    evaluation_inputs,
    evaluation_inputs_in_parts,
    ruleset_current,
    ruleset_spec,
)
from evaluation.services.runs import evaluation_run_request
from tests.concurrently import locked_against_update
from tests.evaluation.test_runs import scored_at_once
from tests.factories import ParticipationFactory, add_value, meet_every_target
from tests.parts import ruleset_with_parts

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2021, 12, 31)
CODES = ("110105", "120116", "140100", "210100", "340100")


def cities(programme) -> list[Participation]:
    """Five cities whose values differ: months, quarters and a year, one value awaiting
    review, one in a period after the evaluation date, one city with no values at all."""
    made = []
    for n, code in enumerate(CODES):
        participation = ParticipationFactory(programme=programme, city__code=code)
        if n < 4:
            meet_every_target(participation.city)
        city = participation.city
        add_value(city, "pledge_amount", f"2020-Q{n % 4 + 1}", f"{n}.5")
        add_value(city, "sme_transformations", f"2021-{n + 1:02d}", str(n * 7))
        add_value(city, "navigation_projects", "2021-09", "3", approved=n % 2 == 0)
        add_value(city, "trusteeship_smes", "2022-01", "99")  # after AS_OF: not read
        made.append(participation)
    return made


def ordered(city: scoring.CityInput) -> scoring.CityInput:
    return replace(
        city, totals=tuple(sorted(city.totals, key=lambda t: (t.indicator, t.year, t.granularity)))
    )


def in_parts(programme, chosen: list[Participation]):  # type: ignore[no-untyped-def]
    """The parts of ``chosen``, under the programme's current ruleset."""
    return evaluation_inputs_in_parts(
        programme=programme,
        as_of=AS_OF,
        participation_ids=[p.pk for p in chosen],
        ruleset=ruleset_spec(ruleset=ruleset_current(programme=programme)),
    )


@pytest.mark.parametrize("part_cities", [1, 2, 50])
@pytest.mark.parametrize("with_parts", [False, True], ids=["plain ruleset", "ruleset with parts"])
def test_the_parts_give_each_city_what_evaluation_inputs_gives(
    programme, monkeypatch, part_cities, with_parts
):
    chosen = cities(programme)
    if with_parts:
        ruleset_with_parts(programme)
    rules = ruleset_spec(ruleset=ruleset_current(programme=programme))
    ids = [p.pk for p in chosen[1:]]  # a chunk: not every city of the programme
    monkeypatch.setattr(selectors, "READ_PART_CITIES", part_cities)

    by_code, parts = evaluation_inputs_in_parts(
        programme=programme, as_of=AS_OF, participation_ids=ids, ruleset=rules
    )
    parts = list(parts)
    at_once, at_once_by_code = evaluation_inputs(
        programme=programme, as_of=AS_OF, participation_ids=ids, ruleset=rules
    )

    # The same totals: the database hands a city's groups over in any order (the engine
    # sorts them).
    assert [ordered(city) for part in parts for city in part] == list(map(ordered, at_once))
    assert by_code == at_once_by_code
    assert len(parts) == -(-len(ids) // part_cities)
    assert any(city.totals for city in at_once)
    if with_parts:
        assert all(city.first_tranche is not None for city in at_once)


@pytest.mark.parametrize("cities_count", [1, 50, 51, 300, 750, 1000, 5000])
def test_the_parts_start_small_and_grow_to_a_bounded_number(cities_count):
    """The first part is summed quickly (nothing else overlaps it), each next part is at most
    1.6 times the one before and none larger than the even size; a chunk of at most
    READ_PART_CITIES is one part, and the parts stay few whatever the cities."""
    sizes = selectors.read_part_sizes(cities_count, small_first=True)
    assert sum(sizes) == cities_count and all(size > 0 for size in sizes)
    if cities_count <= selectors.READ_PART_CITIES:
        assert sizes == [cities_count]
        return
    per_part = selectors.READ_PART_CITIES
    even = -(-cities_count // min(selectors.READ_PARTS_MAX, -(-cities_count // per_part)))
    assert sizes[0] == selectors.READ_FIRST_PART
    assert all(b <= max(a + 1, a * 8 // 5) for a, b in itertools.pairwise(sizes[:-1]))
    assert max(sizes) <= even
    assert len(sizes) <= selectors.READ_PARTS_MAX + 12


def test_the_parts_of_300_cities():
    assert selectors.read_part_sizes(300, small_first=True) == [8, 12, 19, 30, 48, 50, 50, 50, 33]
    # With every core busy scoring, the even parts only: fewer queries.
    assert selectors.read_part_sizes(300) == [50] * 6


def test_the_number_of_parts_is_bounded(programme, monkeypatch):
    chosen = cities(programme)
    monkeypatch.setattr(selectors, "READ_PART_CITIES", 1)
    monkeypatch.setattr(selectors, "READ_PARTS_MAX", 2)
    _, parts = in_parts(programme, chosen)
    assert [len(part) for part in parts] == [3, 2]


def test_the_next_parts_totals_are_asked_for_before_a_part_is_handed_over(programme, monkeypatch):
    """On PostgreSQL the second part's query is sent (pipeline mode) before the first part is
    handed over; elsewhere each part's query is sent when it is asked for."""
    chosen = cities(programme)
    monkeypatch.setattr(selectors, "READ_PART_CITIES", 2)
    _, parts = in_parts(programme, chosen)

    def grouped(queries: CaptureQueriesContext) -> int:
        return sum(1 for q in queries.captured_queries if '"evaluation_metricvalue"' in q["sql"])

    with CaptureQueriesContext(connection) as queries:
        first = next(parts)
        sent_before_handing_over = grouped(queries)
        rest = list(parts)
    assert [len(first), *map(len, rest)] == [2, 2, 1]
    assert grouped(queries) == 3
    assert sent_before_handing_over == (2 if connection.vendor == "postgresql" else 1)
    # The connection is its own again: an ordinary query after the parts.
    assert Participation.objects.filter(pk=chosen[0].pk).exists()


@pytest.mark.parametrize("overlap", [True, False], ids=["written while scored", "after"])
def test_a_run_read_in_parts_gives_the_run_read_at_once(
    programme, monkeypatch, django_capture_on_commit_callbacks, settings, overlap
):
    """Its results written while it scores (small first part, rows sent between parts) or
    after the last part: the same results, digests and stored rows."""
    cities(programme)
    settings.EVALUATION_OVERLAP_DATABASE = overlap
    monkeypatch.setattr(selectors, "READ_PART_CITIES", 2)
    monkeypatch.setattr(selectors, "READ_FIRST_PART", 1)  # overlapping: parts of 1, 2, 2
    with django_capture_on_commit_callbacks(execute=True):
        run = evaluation_run_request(programme=programme, trigger="command", by=None)
    run = EvaluationRun.objects.get(pk=run.pk)

    at_once = scored_at_once(programme, run.as_of)
    assert run.status == EvaluationRun.Status.SUCCEEDED, run.error
    assert run.input_digest == at_once.input_digest
    assert run.result_digest == scoring.outcome_digest(at_once)
    stored = {
        r.participation.city.code: r.result_digest
        for r in CityResult.objects.filter(run=run).select_related("participation__city")
    }
    assert stored == {c.city: scoring.digest.city_outcome_digest(c) for c in at_once.cities}


def test_a_run_whose_inputs_break_a_rule_in_two_parts_gives_both_reasons(
    programme, monkeypatch, django_capture_on_commit_callbacks
):
    chosen = cities(programme)
    for participation in (chosen[0], chosen[4]):
        # A year's figure beside the same year's quarter: the engine refuses the mixture.
        add_value(participation.city, "pledge_amount", "2020", "1")
    monkeypatch.setattr(selectors, "READ_PART_CITIES", 2)
    with django_capture_on_commit_callbacks(execute=True):
        run = evaluation_run_request(programme=programme, trigger="command", by=None)
    run = EvaluationRun.objects.get(pk=run.pk)
    assert run.status == EvaluationRun.Status.FAILED
    assert f"city {CODES[0]}" in run.error and f"city {CODES[4]}" in run.error


def test_parts_left_untaken_leave_the_connection_usable(programme, monkeypatch):
    """Scoring that raises after the first part closes the parts with the next part's query
    still on its way: its result is taken and dropped, and the connection answers again."""
    chosen = cities(programme)
    monkeypatch.setattr(selectors, "READ_PART_CITIES", 2)
    _, parts = in_parts(programme, chosen)
    assert len(next(parts)) == 2
    parts.close()
    assert Participation.objects.filter(programme=programme).count() == len(CODES)


@pytest.mark.parametrize("overlap", [True, False], ids=["written while scored", "after"])
@pytest.mark.parametrize("city", [0, 2, 4], ids=["first part", "second part", "last part"])
def test_a_result_refused_while_the_parts_are_read_fails_the_run_and_keeps_nothing(
    programme, monkeypatch, django_capture_on_commit_callbacks, settings, city, overlap
):
    """A part's results are written while the next part is read (on PostgreSQL sent behind
    its query, so refused only when a later answer is awaited): a refused row still fails the
    run with the database's reason, nothing the chunk wrote is kept (its results, numbers and
    decisions), and the connection answers again. The last part's rows are refused only as
    the reading ends."""
    from evaluation.models import IndicatorResult, TrancheDecision
    from evaluation.services import runs

    chosen = cities(programme)
    settings.EVALUATION_OVERLAP_DATABASE = overlap
    monkeypatch.setattr(selectors, "READ_PART_CITIES", 2)
    monkeypatch.setattr(selectors, "READ_FIRST_PART", 1)  # overlapping: parts of 1, 2, 2
    in_the_way = chosen[city]

    def scored_meanwhile(point: str, number: int) -> None:
        # Another hand stores a result for the city while the chunk is scored.
        run = EvaluationRun.objects.get(programme=programme)
        CityResult.objects.create(
            run=run,
            participation=in_the_way,
            score=0,
            grade="D",
            release_share=0,
            reason="stored meanwhile",
            input_digest="0" * 64,
            result_digest="0" * 64,
        )

    monkeypatch.setattr(runs.testhook, "reached", scored_meanwhile)
    with django_capture_on_commit_callbacks(execute=True):
        run = evaluation_run_request(programme=programme, trigger="command", by=None)
    run = EvaluationRun.objects.get(pk=run.pk)

    assert run.status == EvaluationRun.Status.FAILED
    assert run.error.startswith("storing the results failed: ")
    refusal = "city_result_unique" if connection.vendor == "postgresql" else "UNIQUE constraint"
    assert refusal in run.error
    assert list(CityResult.objects.filter(run=run).values_list("reason", flat=True)) == [
        "stored meanwhile"
    ]
    assert not IndicatorResult.objects.filter(city_result__run=run).exists()
    assert not TrancheDecision.objects.filter(city_result__run=run).exists()
    assert Participation.objects.filter(programme=programme).count() == len(CODES)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_chunk_being_scored_holds_neither_its_run_nor_its_cities(monkeypatch, settings):
    """The numbers' keys are checked as the parts' rows arrive, not the results' keys to the
    run and the participation (checked at the commit, as ever): a chunk still scoring leaves
    the run's row and its cities' rows free for the other workers, the sweep and the
    officials' requests, which lock them ``FOR UPDATE``."""
    import threading

    from django.db import connections

    from evaluation.models import Indicator, Programme
    from evaluation.services import outbox, runs

    if connection.vendor != "postgresql":
        pytest.skip("needs two connections that lock each other: PostgreSQL")
    chosen = cities(Programme.objects.get(code="2020"))
    settings.EVALUATION_OVERLAP_DATABASE = True  # the rows written while the chunk scores
    monkeypatch.setattr(selectors, "READ_PART_CITIES", 2)  # parts of 2, 2 and 1 cities
    monkeypatch.setattr(outbox, "outbox_dispatch", lambda **kwargs: 0)  # a worker's steps below
    run = runs.evaluation_run_request(programme=chosen[0].programme, trigger="command", by=None)
    store, calls, seen = runs._results_store, [], {}

    def taken(queryset) -> bool:  # type: ignore[no-untyped-def]
        assert queryset.exists()
        return locked_against_update(queryset)

    def look() -> None:  # another connection, as another worker or request
        try:
            seen["run"] = taken(EvaluationRun.objects.filter(pk=run.pk))
            seen["cities"] = taken(Participation.objects.filter(pk__in=[p.pk for p in chosen]))
            # The control: the numbers' keys were checked, so their indicators are held.
            seen["indicators"] = taken(Indicator.objects.all())
        finally:
            connections.close_all()

    def watched(*args, **kwargs):  # type: ignore[no-untyped-def]
        if len(calls) == 1:  # the first part's rows are written and their keys checked
            other = threading.Thread(target=look)
            other.start()
            other.join(20)
        calls.append(1)
        return store(*args, **kwargs)

    monkeypatch.setattr(runs, "_results_store", watched)
    for number in runs.evaluation_run_start(run_id=run.pk):
        runs.evaluation_chunk_execute(run_id=run.pk, number=number)

    assert len(calls) == 3
    assert seen == {"run": False, "cities": False, "indicators": True}
    assert EvaluationRun.objects.get(pk=run.pk).status == EvaluationRun.Status.SUCCEEDED


def test_the_rows_written_while_scoring_are_those_written_after(
    programme, monkeypatch, django_capture_on_commit_callbacks, settings
):
    """The same programme run twice, its results sent between parts (arrays in PostgreSQL's
    text form) and written after the last part (COPY): every stored number, reason and
    decision the same."""
    from evaluation.models import IndicatorResult, TrancheDecision

    cities(programme)
    monkeypatch.setattr(selectors, "READ_PART_CITIES", 2)
    monkeypatch.setattr(selectors, "READ_FIRST_PART", 1)

    def stored(overlap: bool) -> tuple[list[tuple[object, ...]], ...]:
        settings.EVALUATION_OVERLAP_DATABASE = overlap
        with django_capture_on_commit_callbacks(execute=True):
            run = evaluation_run_request(programme=programme, trigger="command", by=None)
        assert EvaluationRun.objects.get(pk=run.pk).status == EvaluationRun.Status.SUCCEEDED
        city = "participation__city__code"
        return (
            rows(CityResult.objects.filter(run=run).order_by(city), city, skip=("run",)),
            rows(
                IndicatorResult.objects.filter(city_result__run=run).order_by(
                    f"city_result__{city}", "position"
                ),
                f"city_result__{city}",
                skip=("city_result",),
            ),
            rows(
                TrancheDecision.objects.filter(city_result__run=run).order_by(
                    f"city_result__{city}"
                ),
                f"city_result__{city}",
                skip=("city_result",),
            ),
        )

    def rows(queryset, city: str, skip: tuple[str, ...]) -> list[tuple[object, ...]]:  # type: ignore[no-untyped-def]
        """Each row's city and every field it stores but its own key and its run's."""
        fields = [
            f.attname
            for f in queryset.model._meta.concrete_fields
            if not f.primary_key and f.name not in skip
        ]
        return list(queryset.values_list(city, *fields))

    while_scoring, after = stored(True), stored(False)
    assert while_scoring == after
    assert len(while_scoring[1]) == len(CODES) * 10
