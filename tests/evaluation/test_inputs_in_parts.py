"""A run reads its chunk's cities a part at a time (``selectors.evaluation_inputs_in_parts``):
each city gets exactly the inputs ``evaluation_inputs`` gives it, the run the results it gets
when every city is read at once, and on PostgreSQL the next part's totals are asked for before
a part is handed over (so the database sums them while the worker scores)."""

from __future__ import annotations

import datetime as dt

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

    assert [city for part in parts for city in part] == at_once
    assert by_code == at_once_by_code
    assert len(parts) == -(-len(ids) // part_cities)
    assert any(city.totals for city in at_once)
    if with_parts:
        assert all(city.first_tranche is not None for city in at_once)


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


def test_a_run_read_in_parts_gives_the_run_read_at_once(
    programme, monkeypatch, django_capture_on_commit_callbacks
):
    cities(programme)
    monkeypatch.setattr(selectors, "READ_PART_CITIES", 2)
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
