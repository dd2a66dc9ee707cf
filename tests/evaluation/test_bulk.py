"""New metric values are written with ``insert_rows`` (not ``bulk_create``): their history must
be exactly what django-simple-history would have written."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

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
