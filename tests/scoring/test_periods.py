import datetime as dt

import pytest

from evaluation.scoring import Granularity, Period, PeriodError


@pytest.mark.parametrize(
    ("text", "year", "granularity", "number"),
    [
        pytest.param("2019", 2019, Granularity.YEAR, 0, id="year"),
        pytest.param("2020-Q3", 2020, Granularity.QUARTER, 3, id="quarter"),
        pytest.param("2020-Q1", 2020, Granularity.QUARTER, 1, id="first-quarter"),
        pytest.param("2020-07", 2020, Granularity.MONTH, 7, id="month"),
        pytest.param("2020-12", 2020, Granularity.MONTH, 12, id="december"),
    ],
)
def test_parse_accepts_year_quarter_and_month(
    text: str, year: int, granularity: Granularity, number: int
) -> None:
    period = Period.parse(text)

    assert (period.year, period.granularity, period.number) == (year, granularity, number)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("2020-Q5", id="quarter-5"),
        pytest.param("2020-Q0", id="quarter-0"),
        pytest.param("2020-13", id="month-13"),
        pytest.param("2020-00", id="month-00"),
        pytest.param("20-07", id="two-digit-year"),
        pytest.param("2020/07", id="slash"),
        pytest.param("2020-7", id="unpadded-month"),
        pytest.param("", id="empty"),
        pytest.param("abc", id="letters"),
        pytest.param("2020-q3", id="lowercase-quarter"),
        pytest.param("2020-07-01", id="a-date"),
    ],
)
def test_parse_refuses_anything_else(text: str) -> None:
    with pytest.raises(PeriodError):
        Period.parse(text)


def test_refusal_says_which_forms_are_accepted() -> None:
    with pytest.raises(PeriodError, match=r"2020/07.*year.*quarter.*month"):
        Period.parse("2020/07")


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        pytest.param("2019", dt.date(2019, 1, 1), dt.date(2019, 12, 31), id="year"),
        pytest.param("2020-Q1", dt.date(2020, 1, 1), dt.date(2020, 3, 31), id="q1"),
        pytest.param("2020-Q2", dt.date(2020, 4, 1), dt.date(2020, 6, 30), id="q2"),
        pytest.param("2020-Q3", dt.date(2020, 7, 1), dt.date(2020, 9, 30), id="q3"),
        pytest.param("2020-Q4", dt.date(2020, 10, 1), dt.date(2020, 12, 31), id="q4"),
        pytest.param("2020-02", dt.date(2020, 2, 1), dt.date(2020, 2, 29), id="feb-leap-year"),
        pytest.param("2021-02", dt.date(2021, 2, 1), dt.date(2021, 2, 28), id="feb-common-year"),
        pytest.param("2020-07", dt.date(2020, 7, 1), dt.date(2020, 7, 31), id="july"),
        pytest.param("2020-11", dt.date(2020, 11, 1), dt.date(2020, 11, 30), id="november"),
        pytest.param("2020-12", dt.date(2020, 12, 1), dt.date(2020, 12, 31), id="december"),
    ],
)
def test_start_and_end_dates(text: str, start: dt.date, end: dt.date) -> None:
    period = Period.parse(text)

    assert (period.start, period.end) == (start, end)


@pytest.mark.parametrize(
    "text", ["2019", "2020-Q1", "2020-Q4", "2020-01", "2020-07", "2021-12", "2100"]
)
def test_label_round_trips(text: str) -> None:
    period = Period.parse(text)

    assert period.label == text
    assert str(period) == text
    assert Period.parse(period.label) == period
