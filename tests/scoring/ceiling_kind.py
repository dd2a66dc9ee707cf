"""A rule kind the programme does not have, written only with the scoring core's own parts, so
the tests can register it and show that adding a kind needs the core and its tests, nothing
else: a count that must **not exceed** its target (the national ceiling, or a lower one the
city committed to), such as infringement cases. Attainment is 1 within the ceiling and falls
linearly to 0 at twice it. Its figures are whole numbers (``places=0``) where the shipped kinds
keep 2 or 4 decimals, so the run document shows that the kind, not the caller, decides them."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from evaluation.scoring.decimals import CONTEXT, ONE, TWO_PLACES, ZERO, decimal_sum, quantize
from evaluation.scoring.rules import (
    Context,
    Measure,
    Progress,
    RuleKind,
    StoredOutcome,
    points_text,
    show,
    shown_attainment,
)
from evaluation.scoring.texts import Figure, Refusal, Text, gettext_noop
from evaluation.scoring.types import (
    CityInput,
    IndicatorOutcome,
    IndicatorRule,
    PathPoint,
    PeriodTotal,
    ProgrammeSpec,
    Status,
    StillNeeded,
    TargetSource,
)

ABOVE_CEILING = Refusal(
    code="above_ceiling",
    in_field=gettext_noop("above the national ceiling %(floor)s"),
    in_row=gettext_noop("committed target %(target)s is above the national ceiling %(floor)s"),
)
TWO = Decimal(2)


class CeilingRule(RuleKind):
    name = "ceiling"
    description = "total since the programme started, at most the ceiling"
    label = gettext_noop("ceiling (total since the start, at most the target)")
    target_measure = actual_measure = Measure(rate=False, places=0)

    def target_refusal(self, *, target: Decimal, floor: Decimal) -> Refusal | None:
        return None if target <= floor else ABOVE_CEILING

    def _counted(self, programme: ProgrammeSpec, totals: Sequence[PeriodTotal]) -> Decimal:
        return decimal_sum(t.total for t in totals if t.year > programme.baseline_year)

    def assess(
        self,
        *,
        context: Context,
        rule: IndicatorRule,
        target: Decimal,
        source: TargetSource,
        totals: Sequence[PeriodTotal],
        city: CityInput,
    ) -> IndicatorOutcome:
        if not any(t.year > context.programme.baseline_year for t in totals):
            return IndicatorOutcome(
                indicator=rule.indicator,
                kind=self.name,
                status=Status.NOT_ASSESSABLE,
                weight=rule.weight,
                full_target=target,
                target_source=source,
                target=target,
                actual=None,
                attainment=ZERO,
                points=quantize(ZERO, TWO_PLACES),
                reason=f"Not assessable: nothing approved. 0.00 of {show(rule.weight)} points.",
            )
        total = self._counted(context.programme, totals)
        met = total <= target
        attainment = ONE if met else max(ZERO, CONTEXT.subtract(TWO, CONTEXT.divide(total, target)))
        status = Status.MET if met else Status.PARTIAL if attainment > ZERO else Status.MISSED
        points = quantize(CONTEXT.multiply(rule.weight, attainment), TWO_PLACES)
        return IndicatorOutcome(
            indicator=rule.indicator,
            kind=self.name,
            status=status,
            weight=rule.weight,
            full_target=target,
            target_source=source,
            target=target,
            actual=total,
            attainment=shown_attainment(attainment, met=met),
            points=points,
            reason=(
                f"{show(total)} approved: {'within' if met else 'above'} the ceiling of "
                f"{show(target)}. {show(points)} of {show(rule.weight)} points."
            ),
            final_value=total,
        )

    def still_needed(
        self,
        *,
        context: Context,
        indicator: str,
        target: Decimal,
        totals: Sequence[PeriodTotal],
        places: int,
    ) -> StillNeeded:
        """``needed`` is how far the total is over the ceiling (0 within it)."""
        by = context.as_of
        so_far = self._counted(context.programme, [t for t in totals if t.year <= by.year])
        over = max(ZERO, CONTEXT.subtract(so_far, target))
        return StillNeeded(indicator, self.name, by, None, target, so_far, over)

    def path(
        self, *, programme: ProgrammeSpec, target: Decimal, totals: Sequence[PeriodTotal]
    ) -> tuple[PathPoint, ...]:
        """The running total against the ceiling, the same every year."""
        years = range(
            programme.baseline_year + 1, programme.baseline_year + 1 + programme.construction_years
        )
        return tuple(
            PathPoint(year, self._counted(programme, [t for t in totals if t.year <= year]), target)
            for year in years
        )

    def reason(self, outcome: StoredOutcome, context: Context) -> tuple[Text, ...]:
        figures: dict[str, Figure] = {
            "actual": self.actual_measure.figure(outcome.actual),
            "target": self.target_measure.figure(outcome.target),
            "source": self.source_text(outcome),
            "as_of": context.as_of,
        }
        if outcome.status == Status.NOT_ASSESSABLE:
            template = gettext_noop("Not assessable: nothing approved by %(as_of)s.")
        elif outcome.status == Status.MET:
            template = gettext_noop("%(actual)s approved: within %(source)s of %(target)s.")
        else:
            template = gettext_noop("%(actual)s approved: above %(source)s of %(target)s.")
        return Text(f"ceiling.{outcome.status}", template, figures), points_text(outcome)

    def progress(self, *, target: Decimal, need: StillNeeded) -> Progress:
        if need.is_met:
            says = Text(
                "ceiling.within", gettext_noop("Within the ceiling by %(date)s."), {"date": need.by}
            )
        else:
            says = Text(
                "ceiling.over",
                gettext_noop("%(over)s over the ceiling"),
                {"over": need.needed},
            )
        return Progress(
            target=Text("ceiling.target", gettext_noop("at most %(target)s"), {"target": target}),
            approved=Text("ceiling.approved", gettext_noop("Approved so far")),
            need=says,
        )
