"""The ledger: every state change of a report, value, run, decision and ruleset made by the
services is an entry, chained to the one before; the check names the first entry altered,
removed or inserted with raw SQL, and every record changed, written or deleted behind the
services' back. On PostgreSQL the table itself refuses UPDATE and DELETE."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from django.db import DatabaseError, connection, transaction

from evaluation.exceptions import WorkflowError
from evaluation.ledger import entry_digest, ledger_check
from evaluation.models import LedgerEntry, MetricValue, Report, TrancheDecision
from evaluation.services import reporting
from tests.factories import add_value
from tests.story import KUNMING, tell

pytestmark = pytest.mark.django_db

TABLE = "evaluation_ledgerentry"


@pytest.fixture
def story(programme, django_capture_on_commit_callbacks):
    return tell(programme, django_capture_on_commit_callbacks)


def raw(sql: str, params: list | tuple = ()) -> None:
    """SQL as someone with a database console would run it, past every service."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def on_the_ledger(sql: str, params: list | tuple = ()) -> None:
    """An UPDATE or DELETE of ledger rows: on PostgreSQL refused by the table's trigger, so
    done as its owner can, with the trigger disabled first."""
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError, match="the ledger only grows"), transaction.atomic():
            raw(sql, params)
        raw(f"ALTER TABLE {TABLE} DISABLE TRIGGER evaluation_ledger_append_only")
    raw(sql, params)


def test_every_step_of_the_story_is_in_the_ledger_and_the_ledger_holds(story):
    check = ledger_check()

    assert check.holds, [str(f) for f in check.findings]
    subjects = Counter(LedgerEntry.objects.values_list("subject", flat=True))
    assert set(subjects) == {"report", "metricvalue", "run", "decision", "ruleset"}
    actions = set(LedgerEntry.objects.values_list("action", flat=True))
    assert {"submitted", "approved", "confirmed", "import_metrics audited.csv --approve"} <= actions
    assert "overridden: half the pledge projects are disputed" in actions
    assert "finalised: every decision signed off" in actions
    signed = LedgerEntry.objects.get(
        subject="decision", object_id=story.overridden.pk, action__startswith="overridden"
    )
    assert signed.actor == story.signer.pk and signed.actor_name == "signer"
    assert json.loads(signed.state)["final_amount"] == "10000000.00"
    assert check.head_seq == LedgerEntry.objects.count()


def test_a_refused_request_adds_no_entry(story):
    before = LedgerEntry.objects.count()
    report = story.reports["draft"]

    with pytest.raises(WorkflowError):
        reporting.report_values_set(
            report=report,
            values={"pledge_projects": "-1"},
            version=report.version,
            by=story.official,
        )

    assert LedgerEntry.objects.count() == before


def test_an_altered_entry_is_named(story):
    entry = LedgerEntry.objects.get(
        subject="decision", object_id=story.overridden.pk, action__startswith="overridden"
    )
    state = json.loads(entry.state) | {"final_amount": "50000000.00"}

    on_the_ledger(f"UPDATE {TABLE} SET state = %s WHERE seq = %s", [json.dumps(state), entry.seq])

    first = ledger_check().findings[0]
    assert first.seq == entry.seq
    assert f"ledger entry #{entry.seq}" in str(first) and "altered" in str(first)


def test_a_removed_entry_is_named(story):
    entry = LedgerEntry.objects.get(
        subject="decision", object_id=story.confirmed.pk, action="confirmed"
    )

    on_the_ledger(f"DELETE FROM {TABLE} WHERE seq = %s", [entry.seq])

    first = ledger_check().findings[0]
    assert first.seq == entry.seq
    assert f"#{entry.seq} to #{entry.seq} have been removed" in str(first)


def test_an_inserted_entry_is_named(story):
    head = LedgerEntry.objects.order_by("-seq").first()
    forged = head.seq + 1
    # Someone who cannot compute the chain adds an entry that makes Kunming's decision look
    # confirmed at the full amount.
    raw(
        f"INSERT INTO {TABLE} (seq, at, subject, object_id, action, actor, actor_name, state, "
        "previous, digest) VALUES (%s, %s, 'decision', %s, 'confirmed', NULL, '', '{}', %s, %s)",
        [forged, head.at, story.overridden.pk, head.digest, "f" * 64],
    )

    first = ledger_check().findings[0]
    assert first.seq == forged and "inserted" in str(first)


def test_a_tail_rewritten_with_the_right_digests_is_caught_by_a_recorded_head(story):
    recorded = LedgerEntry.objects.order_by("-seq").values_list("seq", "digest").first()
    # An insider who knows the formula replaces the last entry with one of their own making.
    last = LedgerEntry.objects.get(seq=recorded[0])
    on_the_ledger(f"DELETE FROM {TABLE} WHERE seq = %s", [last.seq])
    fields = {
        "seq": last.seq,
        "previous": last.previous,
        "at": last.at,
        "subject": last.subject,
        "object_id": last.object_id,
        "action": "edited",
        "actor": None,
        "actor_name": "",
        "state": last.state,
    }
    LedgerEntry.objects.create(**fields, digest=entry_digest(**fields))

    assert ledger_check().holds
    check = ledger_check(head=recorded)
    assert not check.holds
    assert f"ledger entry #{recorded[0]} is not the one recorded" in str(check.findings[0])


def test_a_value_changed_behind_the_services_back_is_named(story):
    value = MetricValue.objects.get(
        city__code=KUNMING, indicator__code="contract_turnover", year=2021
    )

    raw("UPDATE evaluation_metricvalue SET value = %s WHERE id = %s", ["300.00", value.pk])

    [finding] = ledger_check().findings
    assert str(finding) == (
        f"the value of city {KUNMING}, contract_turnover, 2021 (#{value.pk}): value: "
        "ledger 196.00, now 300.00"
    )


def test_a_decision_changed_behind_the_services_back_is_named(story):
    raw(
        "UPDATE evaluation_tranchedecision SET status = 'recommended', final_amount = NULL, "
        "final_decision = '', decided_by_id = NULL, decided_at = NULL, override_reason = '' "
        "WHERE id = %s",
        [story.overridden.pk],
    )

    findings = [str(f) for f in ledger_check().findings]
    where = f"the decision for city {KUNMING} in run #{story.run.pk}"
    assert f"{where}: final amount: ledger 10000000.00, now —" in findings
    assert f"{where}: status: ledger overridden, now recommended" in findings
    assert all(f.startswith(where) for f in findings)


def test_a_record_written_or_deleted_behind_the_services_back_is_named(story):
    written = add_value(story.kunming.city, "pledge_projects", "2022-01", "9")
    gone = story.reports["draft"]
    raw("DELETE FROM evaluation_metricvalue WHERE report_id = %s", [gone.pk])
    raw("DELETE FROM evaluation_historicalmetricvalue WHERE report_id = %s", [gone.pk])
    raw("DELETE FROM evaluation_report WHERE id = %s", [gone.pk])

    findings = [str(f) for f in ledger_check().findings]

    assert (
        f"the value of city {KUNMING}, pledge_projects, 2022-01 (#{written.pk}) is not in the "
        "ledger: it was written behind the services' back"
    ) in findings
    assert (
        f"the report of city {KUNMING} for 2022-03 (#{gone.pk}) is in the ledger but no longer "
        "in the database: it was deleted behind the services' back"
    ) in findings


def test_the_database_refuses_to_change_an_entry(story):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no such refusal: the chain shows the change (README)")
    seq = LedgerEntry.objects.values_list("seq", flat=True).first()
    for sql in (
        f"UPDATE {TABLE} SET action = 'nothing' WHERE seq = %s",
        f"DELETE FROM {TABLE} WHERE seq = %s",
    ):
        with pytest.raises(DatabaseError, match="the ledger only grows"), transaction.atomic():
            raw(sql, [seq])
    with pytest.raises(DatabaseError), transaction.atomic():
        LedgerEntry.objects.filter(seq=seq).update(action="nothing")
    assert ledger_check().holds


def test_each_value_of_an_approved_report_has_its_entry(story):
    """One entry per value the approval changed, no more, no fewer."""
    report = story.reports["approved"]
    values = set(report.values.values_list("pk", flat=True))
    logged = set(
        LedgerEntry.objects.filter(
            subject="metricvalue", action=f"report {report.pk} approved"
        ).values_list("object_id", flat=True)
    )
    assert logged == values and len(values) == 10
    assert TrancheDecision.objects.filter(city_result__run=story.run).count() == 2
    assert Report.objects.count() == 5


def _auditors_tool():
    """``tools/verify_ledger.py``, which an auditor runs on a database copy without the project;
    here it reads the test database through the test's own connection."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "tools" / "verify_ledger.py"
    spec = importlib.util.spec_from_file_location("verify_ledger", path)
    assert spec is not None and spec.loader is not None
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)

    def rows(database):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {tool.COLUMNS} FROM {TABLE} ORDER BY seq")
            yield from cursor.fetchall()

    tool._rows = rows
    return tool


def test_the_auditors_tool_recomputes_the_same_chain_without_the_project(story):
    tool = _auditors_tool()
    head = LedgerEntry.objects.order_by("-seq").first()

    count, seq, last, problems = tool.check("copy", (head.seq, head.digest))

    assert (count, seq, last, problems) == (LedgerEntry.objects.count(), head.seq, head.digest, [])

    entry = LedgerEntry.objects.get(subject="decision", action="confirmed")
    on_the_ledger(f"UPDATE {TABLE} SET action = 'overridden' WHERE seq = %s", [entry.seq])
    assert tool.check("copy", None)[3] == [f"entry #{entry.seq} has been altered, or inserted"]


def test_a_ledger_begun_on_a_database_with_a_signed_run_holds_and_so_does_the_run(story):
    """The migration that begins the ledger on an existing database records every record as
    it stands, signed-off decisions included; the run then verifies."""
    import importlib
    import io

    from django.apps import apps
    from django.core.management import call_command

    on_the_ledger(f"DELETE FROM {TABLE}")
    importlib.import_module("evaluation.migrations.0036_ledger").begin(apps, None)

    assert ledger_check().holds
    out = io.StringIO()
    call_command("verify_run", str(story.run.pk), stdout=out)
    assert "Matches" in out.getvalue()


def test_an_imports_rows_get_the_entries_their_records_would(story):
    """The import writes its values as rows and their entries from the rows
    (``ledger_append_rows``); each entry's state is the one the value's own record gives."""
    from evaluation.ledger import state_of, state_text

    imported = [
        e
        for e in LedgerEntry.objects.filter(subject="metricvalue").order_by("seq")
        if e.action.startswith("import_metrics")
    ]
    assert imported
    values = MetricValue.objects.in_bulk([e.object_id for e in imported])
    for entry in imported:
        value = values[entry.object_id]
        if LedgerEntry.objects.filter(
            subject="metricvalue", object_id=value.pk, seq__gt=entry.seq
        ).exists():
            continue  # changed since: its later entry holds its state now
        assert entry.state == state_text(state_of("metricvalue", value))
