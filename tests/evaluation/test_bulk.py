"""New metric values are written with ``insert_rows`` (not ``bulk_create``): their history must
be exactly what django-simple-history would have written."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evaluation.bulk import insert_rows
from evaluation.models import MetricValue
from evaluation.models.cities import City
from evaluation.services.imports import metrics_import
from tests.conftest import csv_bytes
from tests.factories import CityFactory

pytestmark = pytest.mark.django_db


def test_each_new_value_has_one_creation_record_with_who_when_and_why(reviewer):
    CityFactory(code="440300")
    metrics_import(
        name="june.csv",
        data=csv_bytes(
            "city_code,period,indicator,value",
            "440300,2020-06,pledge_amount,1234.56",
            "440300,2020-06,pledge_projects,7",
        ),
        approve=True,
        by=reviewer,
    )

    values = MetricValue.objects.order_by("indicator__position")
    assert [v.value for v in values] == [Decimal("1234.56"), Decimal("7")]
    for value in values:
        (record,) = value.history.all()
        assert record.history_type == "+"
        assert record.history_user == reviewer
        assert record.history_change_reason == "import_metrics june.csv --approve"
        assert record.history_date == value.approved_at == value.submitted_at
        assert record.instance.value == value.value
        assert record.instance.status == "approved"
        assert record.instance.approved_by == reviewer


def test_a_later_change_is_recorded_against_the_creation(reviewer):
    CityFactory(code="440300")
    header = "city_code,period,indicator,value"
    metrics_import(
        name="a.csv", data=csv_bytes(header, "440300,2020,pledge_projects,7"), approve=True, by=None
    )
    metrics_import(
        name="b.csv",
        data=csv_bytes(header, "440300,2020,pledge_projects,9"),
        approve=True,
        by=reviewer,
    )

    newest, oldest = MetricValue.objects.get().history.all()
    assert (oldest.history_type, oldest.value, oldest.history_user) == ("+", 7, None)
    assert (newest.history_type, newest.value, newest.history_user) == ("~", 9, reviewer)
    assert {c.field: (c.old, c.new) for c in newest.diff_against(oldest).changes}["value"] == (
        Decimal("7.00"),
        Decimal("9.00"),
    )


def test_insert_rows_refuses_a_name_that_is_not_a_column():
    with pytest.raises(ValueError, match="has no column city"):
        insert_rows(MetricValue, [{"city": 1}])


def _a_months_value(year: int, value: str) -> dict[str, object]:
    """The columns of one approved month's value of a city, as ``insert_rows`` takes them."""
    from evaluation.models import Indicator

    city = City.objects.get_or_create(code="440300", defaults={"name_en": "Shenzhen"})[0]
    return dict(
        city_id=city.pk,
        indicator_id=Indicator.objects.get(code="pledge_projects").pk,
        year=year,
        granularity="month",
        number=1,
        value=Decimal(value),
        submitted_at=timezone.now(),
    )


@pytest.mark.parametrize("value", ["5", "5.250", "-0", "0.00", "123456789012.34", "1E+2", "7.005"])
def test_insert_rows_stores_a_decimal_as_bulk_create_does(value):
    MetricValue.objects.bulk_create([MetricValue(**_a_months_value(2020, value))])
    insert_rows(MetricValue, [_a_months_value(2021, value)])

    created, inserted = MetricValue.objects.order_by("year")
    assert str(inserted.value) == str(created.value)


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "sNaN"])
def test_insert_rows_refuses_a_decimal_that_is_not_a_number_as_the_field_does(value):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        insert_rows(MetricValue, [_a_months_value(2021, value)])
    assert not MetricValue.objects.exists()


def test_insert_rows_stores_json_as_bulk_create_does_empty_containers_included():
    """An empty list or object is prepared once for every row that holds one (an indicator
    result without spot checks): each row still reads back what it was given, and what
    ``bulk_create`` stores for it."""
    from evaluation.models import OutboxTask

    values = [[], {}, [], {"a": [1, {"b": None}]}, [{}], {}, [[]], {"x": "中"}, []]
    OutboxTask.objects.bulk_create(
        OutboxTask(task=f"created-{i}", kwargs=v) for i, v in enumerate(values)
    )
    now = timezone.now()
    insert_rows(
        OutboxTask,
        [{"task": f"inserted-{i}", "kwargs": v, "created_at": now} for i, v in enumerate(values)],
    )

    stored = dict(OutboxTask.objects.values_list("task", "kwargs"))
    assert [stored[f"inserted-{i}"] for i in range(len(values))] == values
    assert [stored[f"created-{i}"] for i in range(len(values))] == values


# ``insert_rows_sent``: one INSERT of an array per column (on PostgreSQL), which a connection in
# pipeline mode sends without waiting, so a run's results are written while it scores.

TRICKY_TEXTS = [
    'say "yes"',
    "back\\slash and \\\\ two",
    "a,b",
    "{braces}",
    "NULL",
    "",
    "  spaces kept  ",
    "中文 , 逗号",
    "new\nline",
    "'single'",
]


def _outbox_rows(prefix: str, now: dt.datetime | None = None) -> list[dict[str, object]]:
    now = now or timezone.now()
    return [
        {
            "task": f"{prefix}{i}:{text}",
            "kwargs": {"text": text, "nested": [text, {"n": i, "none": None}]},
            "created_at": now,
            "dispatched_at": now if i % 2 else None,
            "attempts": i,
            "last_error": text,
        }
        for i, text in enumerate(TRICKY_TEXTS)
    ]


def _stored(prefix: str) -> list[tuple[object, ...]]:
    from evaluation.models import OutboxTask

    return [
        (task.removeprefix(prefix), *rest)
        for task, *rest in OutboxTask.objects.filter(task__startswith=prefix)
        .order_by("attempts")
        .values_list("task", "kwargs", "created_at", "dispatched_at", "attempts", "last_error")
    ]


def test_rows_sent_are_stored_as_insert_rows_stores_them():
    """Quotes, backslashes, commas, braces, the word NULL, an empty text, spaces, Chinese,
    new lines; JSON holding them; times and missing times; numbers: each read back as
    ``insert_rows`` (COPY) stores it."""
    from evaluation.bulk import insert_rows_sent
    from evaluation.models import OutboxTask

    now = timezone.now()
    insert_rows(OutboxTask, _outbox_rows("copied-", now))
    insert_rows_sent(OutboxTask, _outbox_rows("sent-", now))

    assert _stored("sent-") == _stored("copied-")
    assert [row[-1] for row in _stored("sent-")] == TRICKY_TEXTS


@pytest.mark.parametrize("value", ["5", "5.250", "-0", "0.00", "123456789012.34", "1E+2", "7.005"])
def test_a_decimal_sent_is_stored_as_insert_rows_stores_it(value):
    """Rounded to the column's places by the column itself, as COPY is."""
    from evaluation.bulk import insert_rows_sent

    insert_rows(MetricValue, [_a_months_value(2020, value)])
    insert_rows_sent(MetricValue, [_a_months_value(2021, value)])

    copied, sent = MetricValue.objects.order_by("year")
    assert str(sent.value) == str(copied.value)


def test_a_text_too_long_for_its_column_is_refused_when_sent_not_cut():
    """The array's type carries no length, so the column refuses what does not fit (as COPY
    does) and the transaction keeps nothing of the statement."""
    from django.db import DataError, connection, transaction

    from evaluation.bulk import insert_rows_sent
    from evaluation.models import OutboxTask

    row = {**_outbox_rows("long-")[0], "task": "x" * 201}
    if connection.vendor != "postgresql":
        pytest.skip("SQLite keeps a text of any length in any column")
    with pytest.raises(DataError), transaction.atomic():
        insert_rows_sent(OutboxTask, [row])
    assert not OutboxTask.objects.filter(task__startswith="x").exists()


def test_a_row_sent_in_pipeline_mode_is_not_waited_for_and_its_error_comes_back_later():
    """In pipeline mode the statement is sent and the caller goes on; the database's refusal
    comes back with the next answer the caller waits for, as Django's error."""
    from django.db import IntegrityError, connection, transaction

    from evaluation.bulk import insert_rows_sent
    from evaluation.models import OutboxTask

    if connection.vendor != "postgresql":
        pytest.skip("pipeline mode is PostgreSQL's")
    connection.ensure_connection()
    row = {**_outbox_rows("bad-")[0], "attempts": -1}  # a positive integer's check refuses it
    reached = False
    with (
        pytest.raises(IntegrityError),
        transaction.atomic(),
        connection.wrap_database_errors,
        connection.connection.pipeline(),
    ):
        insert_rows_sent(OutboxTask, [row])
        reached = True  # not refused yet: nothing was waited for
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchall()
    assert reached
    assert not OutboxTask.objects.filter(task__startswith="bad-").exists()


def _read_back(text: str | None, values: list[object], sql_type: str) -> list[object]:
    from django.db import connection

    with connection.cursor() as cursor:
        if text is None:
            cursor.execute(f"SELECT %s::{sql_type}[]", [values])
        else:
            cursor.execute(f"SELECT %s::text::{sql_type}[]", [text])
        return list(cursor.fetchone()[0])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    texts=st.lists(
        st.none() | st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00")),
        max_size=8,
    ),
    numbers=st.lists(
        st.none()
        | st.integers()
        | st.decimals(min_value=-(10**20), max_value=10**20, places=6)
        | st.sampled_from([Decimal("-0"), Decimal("1E+2"), Decimal("0E-8"), Decimal("5.250")]),
        max_size=8,
    ),
    booleans=st.lists(st.none() | st.booleans(), max_size=8),
)
def test_the_text_form_of_an_array_is_read_back_as_the_values_themselves(texts, numbers, booleans):
    """Whatever the texts (quotes, backslashes, braces, commas, spaces, the word NULL, empty),
    numbers or truth values, PostgreSQL reads the text form back as the values given."""
    from django.db import connection

    from evaluation.bulk import _array_text

    if connection.vendor != "postgresql":
        pytest.skip("the text form is PostgreSQL's")
    assert _read_back(_array_text(texts), texts, "text") == texts
    assert _read_back(_array_text(numbers), numbers, "numeric") == [
        None if n is None else Decimal(n) for n in numbers
    ]
    assert _read_back(_array_text(booleans), booleans, "boolean") == booleans
