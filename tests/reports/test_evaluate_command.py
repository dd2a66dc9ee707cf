"""``manage.py evaluate`` and ``manage.py demo`` as a user runs them."""

from __future__ import annotations

import io
import json
import re
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from evaluation.models import EvaluationRun
from tests.factories import ParticipationFactory, add_target, add_value

# The command waits for its run to finish, and the run is enqueued on commit: these tests
# commit for real (restoring the shipped data afterwards).
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

INDICATORS = [
    "transfer_licence_count",
    "pledge_amount",
    "pledge_projects",
    "contract_turnover",
    "sme_transformations",
    "certified_entities",
    "securitization_products",
    "navigation_projects",
    "trusteeship_smes",
    "operation_centres",
]


def run_command(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("evaluate", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def worked_example(programme):
    """The spec's worked example: transfers 1,000 → 1,500; SMEs 30 + 25 against 100."""
    participation = ParticipationFactory(programme=programme, city__code="440300")
    city = participation.city
    add_value(city, "transfer_licence_count", "2019", "1000")
    add_value(city, "transfer_licence_count", "2021", "1500")
    add_value(city, "sme_transformations", "2020", "30")
    add_value(city, "sme_transformations", "2021", "25")
    add_target(participation, "certified_entities", "300")
    return participation


def test_json_is_exactly_the_documented_document(worked_example):
    out, _err = run_command("--programme", "2020", "--json")

    document = json.loads(out)  # exactly one JSON document on stdout
    assert list(document) == ["programme", "as_of", "ruleset", "years_elapsed", "cities"]
    assert document["programme"] == "2020"
    assert document["as_of"] == "2021-12-31"
    assert document["ruleset"] == "2020-v1"
    assert document["years_elapsed"] == 2
    (city,) = document["cities"]
    assert list(city) == ["city", "score", "grade", "decision", "amount", "indicators"]
    assert city["city"] == "440300"
    # 20.00 (transfers met) + 12.38 (SMEs 55 of 66.67) and nothing else: poor, withheld.
    assert city["score"] == "32.38"
    assert city["grade"] == "poor"
    assert city["decision"] == "withhold"
    assert city["amount"] == "0.00"
    assert [i["indicator"] for i in city["indicators"]] == INDICATORS
    by_code = {i["indicator"]: i for i in city["indicators"]}
    assert by_code["transfer_licence_count"] == {
        "indicator": "transfer_licence_count",
        "status": "met",
        "actual": "0.2247",
        "target": "0.2000",
        "attainment": "1.0000",
        "points": "20.00",
    }
    assert by_code["sme_transformations"] == {
        "indicator": "sme_transformations",
        "status": "partial",
        "actual": "55.00",
        "target": "66.67",
        "attainment": "0.8250",
        "points": "12.38",
    }
    # Committed 300 over 3 years, pro-rated to 2 of them; nothing approved: not assessable.
    assert by_code["certified_entities"] == {
        "indicator": "certified_entities",
        "status": "not_assessable",
        "actual": None,
        "target": "200.00",
        "attainment": "0.0000",
        "points": "0.00",
    }
    for item in city["indicators"]:
        for key in ("target", "attainment", "points"):
            assert isinstance(item[key], str) and Decimal(item[key]) >= 0


def test_table_shows_each_city_with_score_grade_decision_amount_and_reason(worked_example):
    out, err = run_command("--programme", "2020")

    row = next(line for line in out.splitlines() if line.startswith("440300"))
    name = worked_example.city.name_en
    assert re.split(r"\s{2,}", row) == ["440300", name, "32.38", "poor", "withhold", "0.00"]
    assert "recommend withholding the second tranche" in out
    assert "Run #" in err


def test_details_print_every_indicators_reason(worked_example):
    out, _err = run_command("--programme", "2020", "--details")
    assert "average annual growth over 2 years 22.47%" in out
    assert "pro-rated to 2 of 3 years, 66.67" in out


@pytest.mark.chinese
def test_in_chinese_the_reasons_are_chinese_with_the_stored_figures(worked_example):
    """The table's reasons are in the reader's language, not the stored English ones."""
    out, _err = run_command("--programme", "2020", "--details")

    city_line = next(line for line in out.splitlines() if line.startswith("  440300"))
    assert "：总分 32.38 分" in city_line  # the Chinese colon, then the Chinese reason
    assert "建议暂缓拨付第二笔资金" in city_line
    assert "recommend" not in out and "points" not in out
    assert "年均增长 22.47%" in out
    assert "按 3 年中的 2 年折算后的 66.67" in out


def test_a_second_run_on_unchanged_inputs_says_it_is_identical(worked_example):
    first, _ = run_command("--programme", "2020", "--json")
    second, err = run_command("--programme", "2020", "--json")

    assert first == second
    earlier = EvaluationRun.objects.order_by("pk").first()
    assert f"inputs unchanged since run #{earlier.pk}" in err
    assert "results identical" in err


def test_nothing_to_evaluate_is_an_error(worked_example):
    with pytest.raises(CommandError, match="nothing to evaluate"):
        run_command("--programme", "2020", "--as-of", "2020-12-30")


def test_as_of_moves_the_evaluation(worked_example):
    out, _ = run_command("--programme", "2020", "--as-of", "2020-12-31", "--json")
    document = json.loads(out)
    assert document["years_elapsed"] == 1
    transfers = document["cities"][0]["indicators"][0]
    # 2020 was not reported: the final year of the growth is incomplete.
    assert transfers["status"] == "not_assessable"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--programme", "1999"], "unknown programme '1999'"),
        (["--programme", "2020", "--as-of", "31/12/2021"], "is not a date"),
        (["--programme", "2018"], "has no ruleset"),
    ],
)
def test_bad_arguments_are_clear_errors(args, message):
    with pytest.raises(CommandError, match=message):
        run_command(*args)


def test_demo_shows_every_grade_and_is_repeatable():
    out, err = io.StringIO(), io.StringIO()
    call_command("demo", stdout=out, stderr=err)
    text = out.getvalue()

    assert "SYNTHETIC" in text
    rows = [line for line in text.splitlines() if re.match(r"^\d{6}\s", line)]
    assert len(rows) == 11
    grades = {re.split(r"\s{2,}", row)[3] for row in rows}
    assert grades == {"excellent", "good", "fair", "poor"}
    assert "flagged for review" in text

    out2, err2 = io.StringIO(), io.StringIO()
    call_command("demo", stdout=out2, stderr=err2)
    assert "0 created, 0 updated" in out2.getvalue()
    assert "results identical" in err2.getvalue()
    table = [line for line in text.splitlines() if re.match(r"^\d{6}\s", line)]
    assert table == [line for line in out2.getvalue().splitlines() if re.match(r"^\d{6}\s", line)]


# Waiting for a worker that does not come: what the command says ----------------------------


def _gives_up(monkeypatch, settings) -> str:
    settings.EVALUATION_WAIT_SECONDS = 0
    with pytest.raises(CommandError) as raised:
        run_command("--programme", "2020")
    return str(raised.value)


def test_with_no_worker_it_says_the_run_is_queued_and_no_worker_took_it(
    worked_example, monkeypatch, settings
):
    # The start is recorded for sending but no worker ever takes it.
    monkeypatch.setattr("evaluation.services.outbox.outbox_dispatch", lambda **kwargs: 0)
    message = _gives_up(monkeypatch, settings)
    run = EvaluationRun.objects.get()
    assert message.startswith(
        f"gave up waiting for evaluation run #{run.pk} after 0 s: it is still queued, 0 of ? "
        "cities scored; no worker has taken its start in 0 s: is a Celery worker running and "
        'reading the queue "celery"?'
    )
    assert f"/api/v1/runs/{run.pk}/" in message
    assert "is a Celery worker running? (see README" not in message


def _chunks_sent(monkeypatch) -> None:
    """The plan's one chunk is sent as a chunk task, as a plan of several is (one chunk alone
    is otherwise scored by the start's own worker)."""
    monkeypatch.setattr(
        "evaluation.tasks.evaluation_chunk_alone", lambda *, run_id, numbers: numbers
    )


def test_with_chunks_no_worker_takes_it_says_they_wait_in_the_queue(
    worked_example, monkeypatch, settings
):
    _chunks_sent(monkeypatch)
    monkeypatch.setattr("evaluation.tasks.evaluate_chunk.delay", lambda *args: None)
    message = _gives_up(monkeypatch, settings)
    assert "it is still running, 0 of 1 cities scored; 1 chunk waits in the queue and no " in (
        message
    )


def test_with_a_chunk_taken_and_never_back_it_says_it_waits_for_redelivery(
    worked_example, monkeypatch, settings
):
    from evaluation.services.runs import _chunk_delivered

    settings.EVALUATION_STALL_SECONDS = 120
    settings.EVALUATION_SWEEP_SECONDS = 30
    _chunks_sent(monkeypatch)
    # A worker takes the chunk and dies with it.
    monkeypatch.setattr(
        "evaluation.tasks.evaluate_chunk.delay",
        lambda run_id, number: _chunk_delivered(run_id, number),
    )
    out, err = io.StringIO(), io.StringIO()
    settings.EVALUATION_WAIT_SECONDS = 0
    with pytest.raises(CommandError) as raised:
        call_command("evaluate", "--programme", "2020", stdout=out, stderr=err)
    message = str(raised.value)
    assert "it is still running, 0 of 1 cities scored; chunk 1 " in message
    assert re.search(
        r"chunk 1 \(cities 440300\) was taken by a worker 0 s ago and has not come back yet, "
        r"with 0 other chunks to score: if its worker stopped, it waits for redelivery; the "
        r"sweep sends it again once the run has had no progress for 120 s \(in about 1[12]\d s, "
        r"plus up to 30 s until the next sweep\)",
        message,
    ), message
    run = EvaluationRun.objects.get()
    assert err.getvalue().startswith(f"Run #{run.pk}: 0 of 1 cities scored")


def test_the_json_is_written_city_by_city_as_the_whole_document_would_be(programme):
    """Streamed one city at a time, the text is the one ``json.dumps`` gives of the whole."""
    from reports.runs import run_document

    for code in ("440300", "110105", "310115"):
        participation = ParticipationFactory(programme=programme, city__code=code)
        add_value(participation.city, "transfer_licence_count", "2019", "1000")
        add_value(participation.city, "transfer_licence_count", "2021", "1500")
    out, _err = run_command("--programme", "2020", "--json")
    run = EvaluationRun.objects.get()
    assert out == json.dumps(run_document(run), ensure_ascii=False, indent=2) + "\n"
    assert [city["city"] for city in json.loads(out)["cities"]] == ["110105", "310115", "440300"]


def test_starting_a_command_does_not_import_the_charts_library():
    import subprocess
    import sys

    code = (
        "import os, sys; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings.test');"
        "import django; django.setup();"
        "from django.core.management import get_commands, load_command_class;"
        "load_command_class('reports', 'evaluate');"
        "print('matplotlib' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip() == "False"


def test_the_documents_streamed_reads_are_planned_for_every_row_within_its_transaction_only(
    programme,
):
    """PostgreSQL plans a cursor for its first rows unless told; the document's reads are read
    to the end, so within ``streamed()`` they are planned whole, and only there."""
    from django.db import connection, transaction

    from config.db.streamed import streamed

    def fraction() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW cursor_tuple_fraction")
            return cursor.fetchone()[0]

    if connection.vendor != "postgresql":
        with streamed():  # nothing to set: SQLite has no server-side cursors
            assert EvaluationRun.objects.count() == 0
        return
    before = fraction()
    with streamed():
        assert fraction() == "1"
    assert fraction() == before == "0.1"
    # Inside a caller's transaction (a savepoint), the caller's setting comes back too.
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL cursor_tuple_fraction = 0.25")
        with streamed():
            assert fraction() == "1"
        assert fraction() == "0.25"
    assert fraction() == "0.1"
