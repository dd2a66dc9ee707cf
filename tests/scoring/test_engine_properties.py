"""Invariants of the engine over generated cities: more never scores less, row order never
matters, digests identify inputs, and every number stays within its bounds."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import replace
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, Inexact, Rounded, localcontext

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from evaluation.scoring import (
    CityInput,
    Decision,
    IndicatorRule,
    InputError,
    Observation,
    Period,
    ProgrammeOutcome,
    Status,
    evaluate,
    evaluate_in_parts,
    input_digest,
    outcome_digest,
)

from .builders import (
    AMOUNT_INDICATORS,
    BINHAI,
    CHAOYANG,
    DEFAULT_BANDS,
    HEFEI,
    PROGRAMME_2020,
    TAIYUAN,
    default_ruleset,
)

RULESET = default_ruleset()
WEIGHT_TOTAL = sum((r.weight for r in RULESET.indicators), Decimal(0))
SHARES = {band.grade: band.release_share for band in DEFAULT_BANDS}
CENT = Decimal("0.01")

PROPERTY = settings(
    max_examples=100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

YEARS = (2019, 2020, 2021, 2022)
AS_OF_DATES = st.sampled_from(
    [
        dt.date(2020, 12, 31),
        dt.date(2021, 6, 30),
        dt.date(2021, 12, 31),
        dt.date(2022, 12, 31),
        dt.date(2023, 3, 31),
    ]
)
CITY_CODES = (CHAOYANG, BINHAI, TAIYUAN, HEFEI)
LABELS = {
    "year": lambda year: [f"{year}"],
    "quarter": lambda year: [f"{year}-Q{q}" for q in range(1, 5)],
    "month": lambda year: [f"{year}-{m:02d}" for m in range(1, 13)],
}


def cents(low: int, high: int) -> st.SearchStrategy[Decimal]:
    return st.integers(low, high).map(lambda c: Decimal(c).scaleb(-2))


# Built once: strategies made afresh inside a draw are validated on every draw, which is slow.
AMOUNT_INCREASES, COUNT_INCREASES = cents(1, 1_000_000), st.integers(1, 1_000).map(Decimal)
GRANULARITIES = st.sampled_from([*["year", "quarter", "month"] * 3, None])
SOMETIMES_INCOMPLETE = st.integers(0, 7)
LABEL_CHOICES = {
    (granularity, year): st.sampled_from(labels(year))
    for granularity, labels in LABELS.items()
    for year in YEARS
}
BASELINE_PERCENTS = st.integers(0, 120)
GROWTH_PERCENTS = st.integers(-30, 80)
NOISE = st.integers(-3, 3)


def increases_of(code: str) -> st.SearchStrategy[Decimal]:
    return AMOUNT_INCREASES if code in AMOUNT_INDICATORS else COUNT_INCREASES


@st.composite
def indicator_observations(draw: st.DrawFn, rule: IndicatorRule) -> list[Observation]:
    """Each year reported once, as a year, quarters or months, now and then with parts missing.

    Values follow a drawn yearly trend, with noise, around the indicator's floor, so that growth
    and totals land below, near and above their targets rather than almost always far off."""
    code = rule.indicator
    unit = CENT if code in AMOUNT_INDICATORS else Decimal(1)
    # A growth indicator grows from about 1,000; a cumulative one gathers about its floor a year.
    scale = Decimal(1000) if rule.kind == "growth" else rule.floor
    first_year = scale * draw(BASELINE_PERCENTS) / 100
    trend = 1 + Decimal(draw(GROWTH_PERCENTS)) / 100
    observations = []
    for year in YEARS:
        granularity = draw(GRANULARITIES)
        if granularity is None:
            continue
        labels = LABELS[granularity](year)
        per_part = first_year * trend ** (year - YEARS[0]) / len(labels)
        if len(labels) > 1 and draw(SOMETIMES_INCOMPLETE) == 0:
            labels.remove(draw(LABEL_CHOICES[(granularity, year)]))
        for label in labels:
            value = (per_part + draw(NOISE) * unit).quantize(unit, rounding=ROUND_HALF_UP)
            observations.append(Observation(code, Period.parse(label), max(value, 0 * unit)))
    return observations


TARGET_STEPS = st.integers(0, 50)


@st.composite
def committed_target(draw: st.DrawFn, floor: Decimal) -> Decimal:
    step = Decimal("0.01") if floor < 1 else Decimal(1)
    return floor + step * draw(TARGET_STEPS)


@st.composite
def city_inputs(draw: st.DrawFn, code: str) -> CityInput:
    observations: list[Observation] = []
    targets: list[tuple[str, Decimal]] = []
    for rule in RULESET.indicators:
        observations += draw(indicator_observations(rule))
        if draw(st.booleans()):
            targets.append((rule.indicator, draw(committed_target(rule.floor))))
    return CityInput(
        city=code,
        remaining_amount=draw(cents(0, 20_000_000_000)),
        targets=tuple(targets),
        observations=tuple(observations),
    )


@st.composite
def city_lists(draw: st.DrawFn, min_size: int = 1, max_size: int = 2) -> list[CityInput]:
    codes = draw(
        st.lists(st.sampled_from(CITY_CODES), min_size=min_size, max_size=max_size, unique=True)
    )
    return [draw(city_inputs(code)) for code in codes]


def run(cities: list[CityInput], as_of: dt.date) -> ProgrammeOutcome:
    return evaluate(programme=PROGRAMME_2020, ruleset=RULESET, as_of=as_of, cities=cities)


def with_value(city: CityInput, index: int, value: Decimal) -> CityInput:
    observations = list(city.observations)
    observations[index] = replace(observations[index], value=value)
    return replace(city, observations=tuple(observations))


@PROPERTY
@given(city=city_inputs(CHAOYANG), as_of=AS_OF_DATES, data=st.data())
def test_raising_a_later_value_never_lowers_score_or_points(
    city: CityInput, as_of: dt.date, data: st.DataObject
) -> None:
    later = [i for i, o in enumerate(city.observations) if o.period.year > 2019]
    assume(later)
    index = data.draw(st.sampled_from(later))
    raised = city.observations[index]
    higher = with_value(city, index, raised.value + data.draw(increases_of(raised.indicator)))

    (before,) = run([city], as_of).cities
    (after,) = run([higher], as_of).cities

    assert after.score >= before.score
    assert after.amount >= before.amount
    for old, new in zip(before.indicators, after.indicators, strict=True):
        assert new.points >= old.points, new.indicator


@PROPERTY
@given(
    base=cents(1, 100_000_000),
    final=cents(0, 500_000_000),
    increase=cents(1, 100_000_000),
    target=st.integers(30, 80).map(lambda p: Decimal(p).scaleb(-2)),
    as_of=st.sampled_from([dt.date(2020, 12, 31), dt.date(2021, 12, 31), dt.date(2022, 12, 31)]),
)
def test_raising_the_final_year_never_lowers_growth_points(
    base: Decimal, final: Decimal, increase: Decimal, target: Decimal, as_of: dt.date
) -> None:
    def points(value: Decimal) -> Decimal:
        city = CityInput(
            city=CHAOYANG,
            remaining_amount=Decimal("50000000.00"),
            targets=(("pledge_amount", target),),
            observations=(
                Observation("pledge_amount", Period.parse("2019"), base),
                Observation("pledge_amount", Period.parse(str(as_of.year)), value),
            ),
        )
        (outcome,) = run([city], as_of).cities
        return outcome.indicators[1].points

    assert points(final + increase) >= points(final)


@PROPERTY
@given(cities=city_lists(min_size=2, max_size=3), as_of=AS_OF_DATES, data=st.data())
def test_row_and_city_order_change_nothing(
    cities: list[CityInput], as_of: dt.date, data: st.DataObject
) -> None:
    shuffle = data.draw(st.randoms(use_true_random=False)).shuffle
    shuffled = []
    for c in cities:
        observations = list(c.observations)
        shuffle(observations)
        shuffled.append(replace(c, observations=tuple(observations)))
    shuffle(shuffled)

    outcome, reordered = run(cities, as_of), run(shuffled, as_of)

    assert reordered == outcome
    assert outcome_digest(reordered) == outcome_digest(outcome)
    assert input_digest(programme=PROGRAMME_2020, as_of=as_of, cities=shuffled) == input_digest(
        programme=PROGRAMME_2020, as_of=as_of, cities=cities
    )


@PROPERTY
@given(cities=city_lists(min_size=1, max_size=4), as_of=AS_OF_DATES, data=st.data())
def test_scoring_in_parts_gives_what_scoring_at_once_gives(
    cities: list[CityInput], as_of: dt.date, data: st.DataObject
) -> None:
    """The same outcome, digests included, or the same reasons in the same order, whatever
    the split into parts (empty parts too)."""
    cuts = sorted(data.draw(st.lists(st.integers(0, len(cities)), max_size=4)))
    bounds = [0, *cuts, len(cities)]
    parts = [cities[a:b] for a, b in itertools.pairwise(bounds)]

    def outcome(how):  # type: ignore[no-untyped-def]
        try:
            return how()
        except InputError as exc:
            return exc.messages

    at_once = outcome(lambda: run(cities, as_of))
    handed: list[list[str]] = []
    in_parts = outcome(
        lambda: evaluate_in_parts(
            programme=PROGRAMME_2020,
            ruleset=RULESET,
            as_of=as_of,
            parts=iter(parts),
            scored=lambda part: handed.append([city.city for city in part]),
        )
    )
    assert in_parts == at_once
    if isinstance(at_once, ProgrammeOutcome):
        assert outcome_digest(in_parts) == outcome_digest(at_once)
        # Each part's outcomes handed over as it is scored: every city once, part by part.
        assert handed == [[city.city for city in part] for part in parts]


def test_every_part_is_checked_once_a_reason_is_found() -> None:
    """Reasons in the first and the last part: both are given, as for the cities at once."""
    broken = [
        CityInput(city=code, remaining_amount=Decimal(-1) if code in (BINHAI, HEFEI) else 0)
        for code in (BINHAI, CHAOYANG, HEFEI)
    ]
    as_of = dt.date(2021, 12, 31)
    try:
        run(broken, as_of)
    except InputError as exc:
        at_once = exc.messages
    handed: list[object] = []
    try:
        evaluate_in_parts(
            programme=PROGRAMME_2020,
            ruleset=RULESET,
            as_of=as_of,
            parts=([b] for b in broken),
            scored=handed.append,
        )
    except InputError as exc:
        assert exc.messages == at_once
        assert [m.split(":")[0] for m in exc.messages] == [f"city {BINHAI}", f"city {HEFEI}"]
    else:
        raise AssertionError("not refused")
    assert handed == []  # nothing scored once a reason is found


def test_a_city_in_two_parts_is_refused_as_in_one_list() -> None:
    city = CityInput(city=CHAOYANG, remaining_amount=Decimal(0))
    try:
        run([city, city], dt.date(2021, 12, 31))
    except InputError as exc:
        at_once = exc.messages
    try:
        evaluate_in_parts(
            programme=PROGRAMME_2020,
            ruleset=RULESET,
            as_of=dt.date(2021, 12, 31),
            parts=[[city], [city]],
        )
    except InputError as exc:
        assert exc.messages == at_once
        assert exc.messages[-1] == "a city appears twice in the input"
    else:
        raise AssertionError("not refused")


def rebuilt(city: CityInput, places: Decimal | None = None) -> CityInput:
    """The same city made afresh from its text, every number optionally padded with zeros."""

    def number(value: Decimal) -> Decimal:
        fresh = Decimal(str(value))
        return fresh if places is None else fresh.quantize(places)

    return CityInput(
        city=str(city.city),
        remaining_amount=number(city.remaining_amount),
        targets=tuple((code, number(value)) for code, value in city.targets),
        observations=tuple(
            Observation(o.indicator, Period.parse(o.period.label), number(o.value))
            for o in city.observations
        ),
    )


@PROPERTY
@given(cities=city_lists(), as_of=AS_OF_DATES, padded=st.booleans())
def test_same_inputs_give_the_same_digests(
    cities: list[CityInput], as_of: dt.date, padded: bool
) -> None:
    again = [rebuilt(c, Decimal("0.0001") if padded else None) for c in cities]

    assert input_digest(programme=PROGRAMME_2020, as_of=as_of, cities=again) == input_digest(
        programme=PROGRAMME_2020, as_of=as_of, cities=cities
    )
    assert outcome_digest(run(again, as_of)) == outcome_digest(run(cities, as_of))


@PROPERTY
@given(cities=city_lists(), as_of=AS_OF_DATES)
def test_the_callers_decimal_context_changes_nothing(
    cities: list[CityInput], as_of: dt.date
) -> None:
    """A worker or a view may have changed its thread's decimal context: the scores, amounts
    and digests must not depend on it. With 6 digits, rounding down and every rounding trapped,
    any arithmetic left to the ambient context would either raise or change a digest."""
    expected = outcome_digest(run(cities, as_of))
    inputs = input_digest(programme=PROGRAMME_2020, as_of=as_of, cities=cities)

    with localcontext(prec=6, rounding=ROUND_FLOOR) as hostile:
        hostile.traps[Inexact] = hostile.traps[Rounded] = True
        assert outcome_digest(run(cities, as_of)) == expected
        assert input_digest(programme=PROGRAMME_2020, as_of=as_of, cities=cities) == inputs


@PROPERTY
@given(cities=city_lists(), as_of=AS_OF_DATES, data=st.data())
def test_a_changed_value_changes_the_input_digest(
    cities: list[CityInput], as_of: dt.date, data: st.DataObject
) -> None:
    which = data.draw(st.sampled_from(range(len(cities))))
    city = cities[which]
    assume(city.observations)
    index = data.draw(st.sampled_from(range(len(city.observations))))
    observation = city.observations[index]
    # The digest covers what the evaluation reads: values from the baseline year to the as-of
    # date. A value outside that window changes neither the digest nor the result.
    read = observation.period.year >= 2019 and observation.period.end <= as_of
    changed = list(cities)
    changed[which] = with_value(
        city, index, observation.value + data.draw(increases_of(observation.indicator))
    )

    before = input_digest(programme=PROGRAMME_2020, as_of=as_of, cities=cities)
    after = input_digest(programme=PROGRAMME_2020, as_of=as_of, cities=changed)
    assert (before != after) is read
    if not read:
        assert outcome_digest(run(changed, as_of)) == outcome_digest(run(cities, as_of))


def test_trailing_zeros_do_not_change_the_input_digest() -> None:
    def digest(value: str) -> str:
        city = CityInput(
            city=CHAOYANG,
            remaining_amount=Decimal("50000000.00"),
            observations=(Observation("pledge_amount", Period.parse("2021-03"), Decimal(value)),),
        )
        return input_digest(programme=PROGRAMME_2020, as_of=dt.date(2021, 12, 31), cities=[city])

    assert digest("1000") == digest("1000.00") == digest("1E+3")
    assert digest("1000") != digest("1000.01")


def test_inputs_with_the_same_digest_give_the_same_outcome() -> None:
    """The spec records the input digest so that "a re-run can be shown to match": two inputs
    the digest cannot tell apart must not be scored differently (refusing both is fine too).
    Here one city lists two committed targets for one indicator, in two orders."""

    def sme_city(*targets: str) -> CityInput:
        return CityInput(
            city=CHAOYANG,
            remaining_amount=Decimal("50000000.00"),
            targets=tuple(("sme_transformations", Decimal(t)) for t in targets),
            observations=(Observation("sme_transformations", Period.parse("2020"), Decimal(55)),),
        )

    as_of = dt.date(2021, 12, 31)
    first, second = [sme_city("300", "100")], [sme_city("100", "300")]
    assert input_digest(programme=PROGRAMME_2020, as_of=as_of, cities=first) == input_digest(
        programme=PROGRAMME_2020, as_of=as_of, cities=second
    )

    outcomes: list[tuple[str, str]] = []
    for cities in (first, second):
        try:
            outcome = run(cities, as_of)
        except InputError:
            outcomes.append(("refused", ""))
        else:
            outcomes.append((f"score {outcome.cities[0].score}", outcome_digest(outcome)))
    assert outcomes[0] == outcomes[1]


@PROPERTY
@given(cities=city_lists(), as_of=AS_OF_DATES)
def test_numbers_stay_within_bounds_and_follow_the_bands(
    cities: list[CityInput], as_of: dt.date
) -> None:
    outcome = run(cities, as_of)
    remaining = {c.city: c.remaining_amount for c in cities}

    assert {c.city for c in outcome.cities} == set(remaining)
    for city in outcome.cities:
        assert 0 <= city.score <= WEIGHT_TOTAL
        assert 0 <= city.amount <= remaining[city.city]
        assert city.score.as_tuple().exponent == -2
        assert city.amount.as_tuple().exponent == -2
        assert city.score == sum((i.points for i in city.indicators), Decimal(0))
        for item in city.indicators:
            assert 0 <= item.points <= item.weight
            assert item.points.as_tuple().exponent == -2
            if item.status is Status.MET:
                assert item.points == item.weight
            if item.status in (Status.MISSED, Status.NOT_ASSESSABLE):
                assert item.points == 0
            assert (item.actual is None) == (item.status is Status.NOT_ASSESSABLE)
        expected_grade = (
            "excellent"
            if city.score >= 90
            else "good"
            if city.score >= 80
            else "fair"
            if city.score >= 60
            else "poor"
        )
        assert city.grade == expected_grade
        assert city.amount == (remaining[city.city] * SHARES[expected_grade]).quantize(
            CENT, rounding=ROUND_HALF_UP
        )
        assert (city.decision is Decision.RELEASE) == (city.amount > 0)


@given(
    st.decimals(
        allow_nan=False, allow_infinity=False, places=None, min_value=-(10**15), max_value=10**15
    ),
    st.integers(min_value=0, max_value=6),
)
def test_a_figure_has_one_text_in_a_digest_whatever_was_seen_before(value, extra_zeros):
    """The digests' text of a decimal is kept for values seen before: an equal value written
    otherwise (trailing zeros, an exponent, the sign of a zero), seen first or second, gives
    the text the value itself gives when nothing was seen."""
    from evaluation.scoring.digest import canonical_decimal

    with localcontext() as wide:
        wide.prec = len(value.as_tuple().digits) + extra_zeros + 1  # exact: nothing rounded
        other = value.quantize(Decimal(1).scaleb(value.as_tuple().exponent - extra_zeros))
        exponent = value.normalize()  # 1000 as 1E+3
    negated_zero = -value if value == 0 else value
    canonical_decimal.cache_clear()
    fresh = canonical_decimal.__wrapped__(value)
    for first, second in (
        (value, other),
        (other, negated_zero),
        (negated_zero, value),
        (exponent, value),
    ):
        canonical_decimal.cache_clear()
        assert canonical_decimal(first) == canonical_decimal(second) == fresh
    if value == 0:
        assert fresh == "0"
