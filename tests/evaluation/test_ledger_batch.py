"""The ledger's batch writers give exactly what its one-entry rules give: a row's state text
(``RowStateTexts``) is ``state_text(row_state(...))`` and a chain of digests
(``entry_digests``) is ``entry_digest`` entry by entry, character for character, whatever the
values hold (non-ASCII, quotes, backslashes, JSON lists, None, decimals of any exponent). And
the table still refuses a fork: two entries cannot claim the same predecessor."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction

from evaluation.ledger import (
    FIELDS,
    GENESIS,
    SUBJECTS,
    RowStateTexts,
    entry_digest,
    entry_digests,
    ledger_moment,
    row_state,
    state_of,
    state_text,
    subject_of,
)
from evaluation.models import LedgerEntry, MetricValue, Ruleset
from evaluation.services.ledger import _StateTexts

AT = ledger_moment(dt.datetime(2026, 12, 7, 5, 6, 7, 891234, tzinfo=dt.UTC))


def value_row(n: int, **changes: object) -> dict[str, object]:
    row: dict[str, object] = {
        "city_id": n,
        "report_id": None if n % 2 else n * 3,
        "indicator_id": 7,
        "year": 2021,
        "granularity": "month",
        "number": n % 12 + 1,
        "value": Decimal("12.5") if n % 3 else Decimal("1E+2"),
        "status": "approved",
        "flags": [] if n % 4 else [{"code": "falls", "说明": 'a "quote" \\ back'}],
        "submitted_by_id": None,
        "submitted_at": AT,
        "approved_by_id": n % 5 or None,
        "approved_at": AT if n % 2 else dt.datetime(2021, 1, 1, tzinfo=dt.UTC),
    }
    row.update(changes)
    return row


def test_a_rows_state_text_is_the_one_entry_rule_character_for_character():
    texts = RowStateTexts("metricvalue", MetricValue)
    rows = [value_row(n) for n in range(40)] + [
        value_row(1, value=Decimal("0.10")),
        value_row(2, value=Decimal("3")),
        value_row(3, status="提交"),
        value_row(4, granularity='q"\\'),
        value_row(5, flags={"b": 1, "a": [1, "二"]}),
        # Equal decimals written differently: the sign of a zero is not lost to the one before.
        value_row(6, value=Decimal("0")),
        value_row(7, value=Decimal("-0")),
        value_row(8, value=Decimal("-0.00")),
        value_row(9, value=Decimal("0E+2")),
    ]
    assert {tuple(sorted(row)) for row in rows} == {tuple(sorted(FIELDS["metricvalue"]))}
    for row in rows:
        assert texts(row) == state_text(row_state("metricvalue", MetricValue, row))


def test_a_chain_of_digests_is_entry_digest_entry_by_entry():
    entries = [
        ("metricvalue", n, f'import_metrics "b.csv" 文件 \\ {n % 3}', f'{{"n":{n},"说":"\\""}}')
        for n in range(1, 30)
    ] + [("report", 10**12, "", "{}")]
    for actor, actor_name in [(None, ""), (42, '王芳 "reviewer"')]:
        chain = list(
            entry_digests(
                entries, seq=100, previous=GENESIS, at=AT, actor=actor, actor_name=actor_name
            )
        )
        previous = GENESIS
        for seq, ((subject, object_id, action, state), got) in enumerate(
            zip(entries, chain, strict=True), start=101
        ):
            digest = entry_digest(
                seq=seq,
                previous=previous,
                at=AT,
                subject=subject,
                object_id=object_id,
                action=action,
                actor=actor,
                actor_name=actor_name,
                state=state,
            )
            assert got == (seq, previous, digest)
            previous = digest


@pytest.mark.django_db
def test_two_entries_claiming_one_predecessor_are_refused():
    head = LedgerEntry.objects.order_by("-seq").first()
    seq, previous = (head.seq, head.digest) if head else (0, GENESIS)
    fields = {"at": AT, "subject": "report", "object_id": 1, "action": "a", "state": "{}"}
    LedgerEntry.objects.create(seq=seq + 1, previous=previous, digest="a" * 64, **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(seq=seq + 2, previous=previous, digest="b" * 64, **fields)
    assert LedgerEntry.objects.filter(previous=previous).count() == 1


def test_records_appended_together_are_written_as_each_record_alone():
    """``ledger_append`` of many records writes each one's state as ``state_of`` does, for
    every kind of record the ledger keeps as its fields alone (a ruleset keeps its parts too,
    and is written by ``state_of`` itself)."""
    texts = _StateTexts()
    checked = set()
    for label, subject in SUBJECTS.items():
        model = apps.get_model(label)
        records = []
        for n in range(6):
            record = model()
            for name in FIELDS[subject]:
                field = model._meta.get_field(name.removesuffix("_id"))
                options: list[object] = {
                    "DecimalField": [Decimal("12.5"), Decimal("-0"), Decimal("1E+2"), None],
                    "DateTimeField": [AT, dt.datetime(2021, 1, 1, tzinfo=dt.UTC), None],
                    "DateField": [dt.date(2022, 12, 31), None],
                    "JSONField": [[], [{"说明": 'a "q" \\'}], {"b": 1, "a": [1, "二"]}],
                    "BooleanField": [True, False],
                    "CharField": ["", '提交 "q" \\', "approved"],
                    "TextField": ["", "多行\n文本"],
                }.get(field.get_internal_type(), [n, n * 7, None])
                setattr(record, name, options[n % len(options)])
            record.pk = n + 1
            records.append(record)
        if model is Ruleset:
            continue
        for record in records:
            assert texts(record) == state_text(state_of(subject_of(record), record)), label
        checked.add(subject)
    assert checked == set(SUBJECTS.values()) - {"ruleset"}
