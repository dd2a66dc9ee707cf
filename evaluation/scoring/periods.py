"""Reporting periods: a year (``2019``), a quarter (``2020-Q3``) or a month (``2020-07``)."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cache, lru_cache


class Granularity(StrEnum):
    YEAR = "year"
    QUARTER = "quarter"
    MONTH = "month"


PARTS_PER_YEAR = {Granularity.YEAR: 1, Granularity.QUARTER: 4, Granularity.MONTH: 12}

_YEAR = re.compile(r"^([0-9]{4})$")
_QUARTER = re.compile(r"^([0-9]{4})-Q([1-4])$")
_MONTH = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")

MIN_YEAR = 1990
MAX_YEAR = 2100


class PeriodError(ValueError):
    """A period label that is not a year, quarter or month of the accepted form."""


@dataclass(frozen=True, order=True, slots=True)
class Period:
    year: int
    granularity: Granularity
    # 0 for a year, 1-4 for a quarter, 1-12 for a month.
    number: int = 0

    def __post_init__(self) -> None:
        if not MIN_YEAR <= self.year <= MAX_YEAR:
            raise PeriodError(f"year {self.year} is outside {MIN_YEAR}-{MAX_YEAR}")
        if self.granularity is Granularity.YEAR:
            valid = self.number == 0
        else:
            valid = 1 <= self.number <= PARTS_PER_YEAR[self.granularity]
        if not valid:
            raise PeriodError(f"{self.granularity} number {self.number} is out of range")

    @classmethod
    def parse(cls, text: str) -> Period:
        return _parsed(text.strip())

    @property
    def label(self) -> str:
        if self.granularity is Granularity.YEAR:
            return f"{self.year}"
        if self.granularity is Granularity.QUARTER:
            return f"{self.year}-Q{self.number}"
        return f"{self.year}-{self.number:02d}"

    @property
    def first_month(self) -> int:
        if self.granularity is Granularity.YEAR:
            return 1
        if self.granularity is Granularity.QUARTER:
            return 3 * self.number - 2
        return self.number

    @property
    def last_month(self) -> int:
        if self.granularity is Granularity.YEAR:
            return 12
        if self.granularity is Granularity.QUARTER:
            return 3 * self.number
        return self.number

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, self.first_month, 1)

    @property
    def end(self) -> dt.date:
        return _month_end(self.year, self.last_month)

    def __str__(self) -> str:
        return self.label


@cache
def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


@cache
def year_parts(year: int, granularity: Granularity) -> tuple[Period, ...]:
    """Every period of one granularity that together make up ``year``."""
    if granularity is Granularity.YEAR:
        return (Period(year, granularity, 0),)
    return tuple(
        Period(year, granularity, number) for number in range(1, PARTS_PER_YEAR[granularity] + 1)
    )


@lru_cache(maxsize=4096)
def _parsed(text: str) -> Period:
    """A period from its label (a file's 144,000 rows name a few dozen periods: each is read
    once; a period is immutable, so every row may share it)."""
    if match := _YEAR.match(text):
        return Period(int(match[1]), Granularity.YEAR, 0)
    if match := _QUARTER.match(text):
        return Period(int(match[1]), Granularity.QUARTER, int(match[2]))
    if match := _MONTH.match(text):
        return Period(int(match[1]), Granularity.MONTH, int(match[2]))
    raise PeriodError(
        f"{text!r} is not a period: use a year (2019), a quarter (2020-Q3) or a month (2020-07)"
    )
