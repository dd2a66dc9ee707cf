"""A metrics file reads each distinct text of a column once (a city's code, an indicator, a
period, a number for an indicator's decimal places) and takes later rows made only of texts
already accepted as they are. These tests hold that shortcut to the full check of each row:
no text accepted on one row lets a later row through that the full check refuses, and what is
read is what each row read alone gives."""

from __future__ import annotations

import gc
from decimal import Decimal

import pytest

from evaluation.bulk import collector_paused
from evaluation.models import MetricValue
from evaluation.models.cities import City
from evaluation.services import imports
from evaluation.services.imports import metrics_import, parse_metric_rows
from evaluation.tabular import ImportRefused, Row
from tests.conftest import csv_bytes
from tests.factories import CityFactory, ParticipationFactory

pytestmark = pytest.mark.django_db

HEADER = "city_code,period,indicator,value"


@pytest.fixture
def cities(programme) -> dict[str, City]:
    shenzhen = ParticipationFactory(programme=programme, city=CityFactory(code="440300")).city
    wuhan = ParticipationFactory(programme=programme, city=CityFactory(code="420100")).city
    return {"440300": shenzhen, "420100": wuhan}


def rows_of(*lines: str | tuple[str, ...]) -> list[Row]:
    header = HEADER.split(",")
    return [
        Row(
            number,
            dict(zip(header, line.split(",") if isinstance(line, str) else line, strict=True)),
        )
        for number, line in enumerate(lines, start=2)
    ]


def test_a_text_accepted_earlier_lets_no_later_row_through_that_the_full_check_refuses(
    cities: dict[str, City],
) -> None:
    lines = (
        # Every text of these two is accepted: the city, both indicators, both periods, "5",
        # and "5.25" for an amount (two decimals).
        "440300,2020-07,pledge_projects,5",
        "440300,2020-08,pledge_amount,5.25",
        # Known texts that make a row seen already: a duplicate, named with its first line.
        "440300,2020-07,pledge_projects,5",
        # "5.25" was read for an amount; for a count it is not a whole number.
        "440300,2020-08,pledge_projects,5.25",
        # Known texts beside an unknown city, an unknown indicator, a month that is not one.
        "999999,2020-07,pledge_projects,5",
        "440300,2020-07,no_such_indicator,5",
        "440300,2020-13,pledge_projects,5",
        # A known city, indicator and period with a number no column holds.
        "440300,2020-09,pledge_amount,-5.25",
    )

    metrics, errors = parse_metric_rows(rows_of(*lines), cities=cities)

    assert [(m.line, m.value) for m in metrics] == [(2, Decimal("5")), (3, Decimal("5.25"))]
    assert [(e.line, e.column) for e in errors] == [
        (4, None),
        (5, "value"),
        (6, "city_code"),
        (7, "indicator"),
        (8, "period"),
        (9, "value"),
    ]
    assert "duplicate of line 2" in errors[0].reason
    assert "not a whole number" in errors[1].reason


def test_rows_read_together_are_read_as_each_row_alone(cities: dict[str, City]) -> None:
    # Many rows sharing texts in every column (the shortcut's case), with zeros written
    # several ways, grouped thousands, and the same number for indicators of other places.
    lines = [
        (code, period, indicator, value)
        for code in ("440300", "420100")
        for period in ("2020", "2021-Q2", "2021-07", "2021-08")
        for indicator, value in (
            ("pledge_projects", "1,200"),
            ("pledge_amount", "1,200"),
            ("contract_turnover", "-0"),
            ("transfer_licence_count", "0"),
            ("certified_entities", "1200"),
            ("trusteeship_smes", "-0"),
        )
    ]
    together, refused = parse_metric_rows(rows_of(*lines), cities=cities)
    alone = [parse_metric_rows([row], cities=cities) for row in rows_of(*lines)]

    assert refused == [] and all(errors == [] for _, errors in alone)
    assert together == [metrics[0] for metrics, _ in alone]
    # Equal as Decimals is not enough: the sign and exponent of what is stored are the same.
    assert [str(m.value) for m in together] == [str(metrics[0].value) for metrics, _ in alone]


def test_a_file_is_read_with_the_cycle_collector_paused_and_left_running_after(
    cities: dict[str, City], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[bool] = []
    read = imports.read_table

    def watched(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(gc.isenabled())
        return read(*args, **kwargs)

    monkeypatch.setattr(imports, "read_table", watched)
    assert gc.isenabled()

    metrics_import(
        name="m.csv",
        data=csv_bytes(HEADER, "440300,2020-07,pledge_projects,5"),
        approve=True,
        by=None,
    )
    with pytest.raises(ImportRefused):
        metrics_import(
            name="m.csv",
            data=csv_bytes(HEADER, "440300,2020-07,pledge_projects,x"),
            approve=True,
            by=None,
        )

    assert seen == [False, False]
    assert gc.isenabled()
    assert MetricValue.objects.get().value == 5


def test_the_collector_runs_again_when_the_outermost_pause_ends_however_it_ends() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block did not start it
        raise RuntimeError("a failure inside")
    assert gc.isenabled()
