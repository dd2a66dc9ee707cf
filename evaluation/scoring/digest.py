"""Digests that show two runs read the same inputs and gave the same results.

Both are SHA-256 over a canonical JSON form: sorted, with every decimal normalised, so row
order and trailing zeros never change a digest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from decimal import Context, Decimal
from typing import Any

from .totals import city_totals
from .types import CityInput, ProgrammeOutcome, ProgrammeSpec


def canonical_decimal(value: Decimal) -> str:
    """``1000``, ``1000.0`` and ``1E+3`` all become ``"1000"``."""
    text = format(value.normalize(Context(prec=60)), "f")
    return "0" if text in {"-0", "0"} else text


def _sha256(document: Any) -> str:
    encoded = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def input_digest(*, programme: ProgrammeSpec, as_of: dt.date, cities: Sequence[CityInput]) -> str:
    """The digest of everything an evaluation reads: each city's remaining amount, committed
    targets and approved totals (per indicator, year and granularity, with the periods they
    cover), as of ``as_of``. Values given one by one are summed first, so the database path
    and the one-by-one path give the same digest."""
    cities_document = []
    for city in sorted(cities, key=lambda c: c.city):
        totals, _problems = city_totals(
            city.observations, city.totals, as_of=as_of, from_year=programme.baseline_year
        )
        cities_document.append(
            {
                "city": city.city,
                "remaining": canonical_decimal(city.remaining_amount),
                "targets": sorted([code, canonical_decimal(value)] for code, value in city.targets),
                "totals": [
                    [
                        t.indicator,
                        t.year,
                        str(t.granularity),
                        canonical_decimal(t.total),
                        sorted(t.numbers),
                    ]
                    for t in totals
                ],
            }
        )
    return _sha256(
        {
            "programme": programme.code,
            "baseline_year": programme.baseline_year,
            "construction_years": programme.construction_years,
            "as_of": as_of.isoformat(),
            "cities": cities_document,
        }
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
