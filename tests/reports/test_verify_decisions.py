"""``verify_run`` checks the whole decision, not only the scores: every sign-off against its
ledger entries and the rules of sign-off (a confirmation is the recommendation, an override
has its reason, the four-eyes rule), the totals, and every kept document of the run (its file
and the figures it recorded). Each change below is made with raw SQL, as someone with a
database console (or django-simple-history's revert) would make it: verify_run exits 1 and
names the city and the field."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from evaluation.models import LedgerEntry, MetricValue
from reports.documents import document_request
from reports.models import Document
from tests.story import HEFEI, KUNMING, tell

pytestmark = pytest.mark.django_db


@pytest.fixture
def story(programme, django_capture_on_commit_callbacks):
    return tell(programme, django_capture_on_commit_callbacks)


def raw(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def verify(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("verify_run", *args, stdout=out, stderr=io.StringIO())
    except CommandError as exc:
        return exc.returncode, out.getvalue()
    return 0, out.getvalue()


def test_a_signed_off_run_and_its_ledger_hold(story):
    status, out = verify(str(story.run.pk), "--ledger")

    assert status == 0, out
    assert "Matches" in out
    assert "The ledger holds" in out


def test_a_signed_override_reverted_behind_the_services_back_is_named(story):
    """The issue's walk: the override of Kunming (10,000,000.00) taken back to "recommended,
    awaiting sign-off" while the run stays finalised."""
    raw(
        "UPDATE evaluation_tranchedecision SET status = 'recommended', final_decision = '', "
        "final_amount = NULL, decided_by_id = NULL, decided_at = NULL, override_reason = '' "
        "WHERE id = %s",
        [story.overridden.pk],
    )

    status, out = verify(str(story.run.pk))

    assert status == 1
    lines = out.splitlines()
    assert (
        f"city {KUNMING}: sign-off: in the ledger overridden, now recommended, awaiting sign-off"
        in lines
    )
    assert f"city {KUNMING}: final amount (yuan): in the ledger 10000000.00, now —" in lines
    assert f"city {KUNMING}: decided by: in the ledger signer, now —" in lines
    assert "run: the run is finalised, but 1 of its decisions await sign-off" in lines
    assert not any(HEFEI in line for line in lines)


def test_a_changed_override_amount_is_named(story):
    raw(
        "UPDATE evaluation_tranchedecision SET final_amount = %s WHERE id = %s",
        ["45000000.00", story.overridden.pk],
    )

    status, out = verify(str(story.run.pk))

    assert status == 1
    assert f"city {KUNMING}: final amount (yuan): in the ledger 10000000.00, now 45000000.00" in out
    assert "run: released in all (yuan): in the ledger 10000000.00, now 45000000.00" in out


def test_a_changed_override_reason_is_named(story):
    raw(
        "UPDATE evaluation_tranchedecision SET override_reason = 'agreed by phone' WHERE id = %s",
        [story.overridden.pk],
    )

    status, out = verify(str(story.run.pk))

    assert status == 1
    assert (
        f"city {KUNMING}: override reason: in the ledger half the pledge projects are disputed, "
        "now agreed by phone"
    ) in out


def test_a_signer_replaced_by_the_reviewer_who_triggered_the_run_breaks_the_four_eyes_rule(
    story,
):
    raw(
        "UPDATE evaluation_tranchedecision SET decided_by_id = %s WHERE id = %s",
        [story.reviewer.pk, story.confirmed.pk],
    )

    status, out = verify(str(story.run.pk))

    assert status == 1
    assert f"city {HEFEI}: decided by: in the ledger signer, now reviewer" in out
    assert (
        f"city {HEFEI}: four-eyes rule broken: signed off by reviewer, who triggered the run" in out
    )


def test_a_confirmation_that_is_not_the_recommendation_breaks_the_rules_even_with_its_ledger(
    story,
):
    """Besides the ledger, the rules of sign-off themselves: a confirmation is the
    recommendation, whatever any record says."""
    raw(
        "UPDATE evaluation_tranchedecision SET final_amount = 5, final_decision = 'release' "
        "WHERE id = %s",
        [story.confirmed.pk],
    )

    status, out = verify(str(story.run.pk))

    assert status == 1
    assert f"city {HEFEI}: confirmed, but the final decision release 5.00" in out


def test_a_kept_document_that_no_longer_says_what_the_run_holds_is_named(story):
    record = document_request(
        run=story.run, kind=Document.Kind.DECISION_RECORD, language="zh-hans", by=story.reviewer
    )
    assert record.status == Document.Status.READY
    assert record.figures["cities"][KUNMING]["final_amount"] == "10000000.00"
    assert verify(str(story.run.pk))[0] == 0

    raw(
        "UPDATE evaluation_tranchedecision SET final_amount = %s WHERE id = %s",
        ["45000000.00", story.overridden.pk],
    )
    status, out = verify(str(story.run.pk))

    assert status == 1
    assert (
        f"document decision record (PDF) · zh-hans: city {KUNMING}, final amount (yuan): "
        "recorded 10000000.00, now 45000000.00"
    ) in out


def test_a_kept_file_changed_on_disk_is_named(story):
    record = document_request(
        run=story.run, kind=Document.Kind.DECISION_RECORD, language="en", by=story.reviewer
    )
    with record.file.open("ab") as kept:
        kept.write(b"%% amended\n")

    status, out = verify(str(story.run.pk))

    assert status == 1
    assert f"document decision record (PDF) · en: SHA-256: recorded {record.sha256}" in out


def test_a_changed_value_is_named_by_the_run_and_by_the_ledger(story):
    value = MetricValue.objects.get(
        city__code=KUNMING, indicator__code="contract_turnover", year=2021
    )
    raw("UPDATE evaluation_metricvalue SET value = 100 WHERE id = %s", [value.pk])

    status, out = verify(str(story.run.pk), "--ledger")

    assert status == 1
    assert f"city {KUNMING}, indicator contract_turnover: final value: stored 196.00" in out
    assert (
        f"the value of city {KUNMING}, contract_turnover, 2021 (#{value.pk}): value: ledger "
        "196.00, now 100.00"
    ) in out


def test_a_changed_ledger_row_is_named(story):
    entry = LedgerEntry.objects.filter(subject="decision", action="confirmed").get()
    if connection.vendor == "postgresql":
        raw("ALTER TABLE evaluation_ledgerentry DISABLE TRIGGER evaluation_ledger_append_only", [])
    state = json.loads(entry.state) | {"final_amount": "0.00"}
    raw(
        "UPDATE evaluation_ledgerentry SET state = %s WHERE seq = %s",
        [json.dumps(state), entry.seq],
    )

    status, out = verify("--ledger")

    assert status == 1
    assert (
        f"ledger entry #{entry.seq} (decision #{entry.object_id}, confirmed) has been altered"
        in out
    )


def test_a_kept_documents_row_changed_behind_the_services_back_is_named(story):
    record = document_request(
        run=story.run, kind=Document.Kind.DECISION_RECORD, language="zh-hans", by=story.reviewer
    )
    figures = record.figures
    figures["cities"][KUNMING]["final_amount"] = "50000000.00"
    as_json = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    raw(
        f"UPDATE reports_document SET figures = {as_json}, sha256 = %s WHERE id = %s",
        [json.dumps(figures), "0" * 64, record.pk],
    )

    status, out = verify(str(story.run.pk))

    assert status == 1
    name = "document decision record (PDF) · zh-hans"
    assert f"{name}: SHA-256: recorded {'0' * 64}, now {record.sha256}" in out
    assert (
        f"{name}: city {KUNMING}, final amount (yuan): recorded 50000000.00, now 10000000.00" in out
    )
