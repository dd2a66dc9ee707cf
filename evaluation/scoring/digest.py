"""Digests that show two runs read the same inputs and gave the same results.

Both are SHA-256 over a canonical JSON form: sorted, with every decimal normalised, so row
order and trailing zeros never change a digest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from decimal import Context, Decimal
from functools import cache
from typing import Any

from .totals import city_totals
from .types import CityInput, PeriodTotal, ProgrammeOutcome, ProgrammeSpec


def canonical_decimal(value: Decimal) -> str:
    """``1000``, ``1000.0`` and ``1E+3`` all become ``"1000"``."""
    text = format(value.normalize(Context(prec=60)), "f")
    return "0" if text in {"-0", "0"} else text


def _sha256(document: Any) -> str:
    encoded = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


@cache
def _numbers_text(numbers: frozenset[int]) -> str:
    return ",".join(str(n) for n in sorted(numbers))


def totals_digest(
    *,
    programme: ProgrammeSpec,
    as_of: dt.date,
    cities: Sequence[CityInput],
    totals: Mapping[str, Sequence[PeriodTotal]],
) -> str:
    """The digest of everything an evaluation reads, one canonical line per item: each city's
    remaining amount, committed targets and approved totals (per indicator, year and
    granularity, with the periods they cover)."""
    lines = [
        f"programme\t{programme.code}\t{programme.baseline_year}\t"
        f"{programme.construction_years}\t{as_of.isoformat()}"
    ]
    for city in sorted(cities, key=lambda c: c.city):
        lines.append(f"city\t{city.city}\t{canonical_decimal(city.remaining_amount)}")
        lines += sorted(
            f"target\t{code}\t{canonical_decimal(value)}" for code, value in city.targets
        )
        lines += sorted(
            f"total\t{t.indicator}\t{t.year}\t{t.granularity}\t{canonical_decimal(t.total)}"
            f"\t{_numbers_text(t.numbers)}"
            for t in totals[city.city]
        )
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def input_digest(*, programme: ProgrammeSpec, as_of: dt.date, cities: Sequence[CityInput]) -> str:
    """``totals_digest`` of ``cities`` (values given one by one are summed first, so the
    database path and the one-by-one path give the same digest). Values outside the window the
    evaluation reads (before the baseline year, or in periods not ended by ``as_of``) do not
    change it."""
    return totals_digest(
        programme=programme,
        as_of=as_of,
        cities=cities,
        totals={
            city.city: city_totals(
                city.observations, city.totals, as_of=as_of, from_year=programme.baseline_year
            )[0]
            for city in cities
        },
    )


def outcome_digest(outcome: ProgrammeOutcome) -> str:
    """The digest of every number and reason an evaluation produced."""

    def number(value: Decimal | None) -> str | None:
        return None if value is None else canonical_decimal(value)

    return _sha256(
        {
            "programme": outcome.programme,
            "ruleset": outcome.ruleset,
            "years_elapsed": outcome.years_elapsed,
            "cities": [
                {
                    "city": c.city,
                    "score": number(c.score),
                    "grade": c.grade,
                    "decision": str(c.decision),
                    "amount": number(c.amount),
                    "reason": c.reason,
                    "indicators": [
                        {
                            "indicator": i.indicator,
                            "status": str(i.status),
                            "actual": number(i.actual),
                            "target": number(i.target),
                            "attainment": number(i.attainment),
                            "points": number(i.points),
                            "reason": i.reason,
                        }
                        for i in c.indicators
                    ],
                }
                for c in outcome.cities
            ],
        }
    )
