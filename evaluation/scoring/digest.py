"""Digests that show two runs read the same inputs and gave the same results.

Each city has an input digest (its remaining amount, committed targets and approved totals)
and a result digest (every number and reason of its outcome). A run's digests combine the
cities' in city order, so results computed in any number of chunks, by any workers, give the
same run digests as one evaluation of every city. Decimals are normalised first, so trailing
zeros and row order never change a digest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from decimal import Context, Decimal
from functools import cache, lru_cache

from .totals import city_totals
from .types import CityInput, CityOutcome, PeriodTotal, ProgrammeOutcome, ProgrammeSpec

_CANONICAL = Context(prec=60)


@lru_cache(maxsize=1 << 14, typed=True)
def canonical_decimal(value: Decimal) -> str:
    """``1000``, ``1000.0`` and ``1E+3`` all become ``"1000"``.

    Kept for values seen before (a run gives this tens of thousands of figures, many the same:
    points, weights, shares): equal decimals, whatever their exponent or the sign of a zero,
    have one text, so the first one's stands for all."""
    text = format(value.normalize(_CANONICAL), "f")
    return "0" if text in {"-0", "0"} else text


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@cache
def _numbers_text(numbers: frozenset[int]) -> str:
    return ",".join(str(n) for n in sorted(numbers))


def inputs_header(programme: ProgrammeSpec, as_of: dt.date) -> str:
    return (
        f"programme\t{programme.code}\t{programme.baseline_year}\t"
        f"{programme.construction_years}\t{as_of.isoformat()}"
    )


def combine(header: str, cities: Iterable[tuple[str, str]]) -> str:
    """A run's digest from its header and each city's digest, in city order."""
    return _sha256("\n".join([header, *(f"{c}\t{d}" for c, d in sorted(cities))]))


def city_input_digest(
    *, programme: ProgrammeSpec, as_of: dt.date, city: CityInput, totals: Sequence[PeriodTotal]
) -> str:
    lines = [inputs_header(programme, as_of)]
    lines.append(f"city\t{city.city}\t{canonical_decimal(city.remaining_amount)}")
    lines += sorted(f"target\t{code}\t{canonical_decimal(value)}" for code, value in city.targets)
    lines += sorted(
        f"total\t{t.indicator}\t{t.year}\t{t.granularity}\t{canonical_decimal(t.total)}"
        f"\t{_numbers_text(t.numbers)}"
        for t in totals
    )
    lines += _parts_lines(city)
    return _sha256("\n".join(lines))


def _parts_lines(city: CityInput) -> list[str]:
    """What the optional parts of a ruleset read (the money planned and spent, the chosen
    tasks and the experts' scores, the verified values), each only when given: a city read
    without them (a ruleset without these parts) has the digest it always had."""
    lines: list[str] = []
    if city.first_tranche is not None:
        lines.append(f"first_tranche\t{canonical_decimal(city.first_tranche)}")
    lines += sorted(f"plan\t{year}\t{canonical_decimal(amount)}" for year, amount in city.plan)
    lines += sorted(
        f"spent\t{t.year}\t{t.granularity}\t{canonical_decimal(t.total)}"
        f"\t{_numbers_text(t.numbers)}"
        for t in city.expenditure
    )
    lines += sorted(f"optional\t{code}" for code in city.optional_tasks)
    lines += sorted(
        f"panel\t{s.task}\t{s.expert}\t{canonical_decimal(s.score)}" for s in city.panel_scores
    )
    lines += sorted(
        f"verified\t{v.indicator}\t{v.period.label}\t{canonical_decimal(v.claimed)}"
        f"\t{canonical_decimal(v.verified)}"
        for v in city.verified
    )
    return lines


def totals_digest(
    *,
    programme: ProgrammeSpec,
    as_of: dt.date,
    cities: Sequence[CityInput],
    totals: Mapping[str, Sequence[PeriodTotal]],
) -> str:
    """The digest of everything an evaluation reads."""
    return combine(
        inputs_header(programme, as_of),
        (
            (
                city.city,
                city_input_digest(
                    programme=programme, as_of=as_of, city=city, totals=totals[city.city]
                ),
            )
            for city in cities
        ),
    )


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


def _number(value: Decimal | None) -> str | None:
    return None if value is None else canonical_decimal(value)


def city_outcome_digest(city: CityOutcome) -> str:
    """Every number and reason of one city's outcome."""
    return _sha256(
        json.dumps(
            {
                "city": city.city,
                "score": _number(city.score),
                "grade": city.grade,
                "decision": str(city.decision),
                "amount": _number(city.amount),
                "reason": city.reason,
                "indicators": [
                    [
                        i.indicator,
                        str(i.status),
                        _number(i.actual),
                        _number(i.target),
                        _number(i.attainment),
                        _number(i.points),
                        i.reason,
                    ]
                    for i in city.indicators
                ],
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )
    )


def outcome_header(programme: str, ruleset: str, years_elapsed: int) -> str:
    return f"outcome\t{programme}\t{ruleset}\t{years_elapsed}"


def outcome_digest(outcome: ProgrammeOutcome) -> str:
    """The digest of every number and reason an evaluation produced."""
    return combine(
        outcome_header(outcome.programme, outcome.ruleset, outcome.years_elapsed),
        ((c.city, city_outcome_digest(c)) for c in outcome.cities),
    )
