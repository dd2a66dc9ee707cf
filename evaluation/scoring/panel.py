"""An expert panel's score of a task (专家打分): the mean of the experts' scores, with the single
highest and the single lowest dropped first when five or more experts scored
(去掉一个最高分和一个最低分). Exact fractions until the one rounding of the points."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from .types import PanelMark, PanelScore

# From this many experts on, the highest and the lowest score are dropped.
DROP_FROM = 5
TWO_PLACES_EXPONENT = -2


@dataclass(frozen=True, slots=True)
class Panel:
    """The panel's score of one task (None: no expert scored it) and each expert's mark, in
    the experts' order."""

    score: Fraction | None
    marks: tuple[PanelMark, ...]

    @property
    def experts(self) -> int:
        return len(self.marks)

    @property
    def counted(self) -> int:
        return sum(1 for mark in self.marks if mark.counted)


def panel_of(scores: Iterable[PanelScore]) -> Panel:
    """The panel's score of one task from its experts' ``scores``. With ties at the top (or
    bottom) one of the equal scores is dropped, which changes nothing in the mean: the one of
    the expert whose name sorts first."""
    ordered = sorted(scores, key=lambda s: s.expert)
    if not ordered:
        return Panel(None, ())
    dropped: set[int] = set()
    if len(ordered) >= DROP_FROM:
        highest = min(range(len(ordered)), key=lambda i: (-ordered[i].score, ordered[i].expert))
        lowest = min(
            (i for i in range(len(ordered)) if i != highest),
            key=lambda i: (ordered[i].score, ordered[i].expert),
        )
        dropped = {highest, lowest}
    marks = tuple(
        PanelMark(expert=s.expert, score=s.score, counted=i not in dropped)
        for i, s in enumerate(ordered)
    )
    counted = [Fraction(m.score) for m in marks if m.counted]
    return Panel(sum(counted, Fraction(0)) / len(counted), marks)


def score_problems(scores: Iterable[PanelScore]) -> list[str]:
    """A score is a fraction from 0 to 1 with at most two decimals, one per expert and task."""
    problems: list[str] = []
    scores = list(scores)
    for score in scores:
        exponent = score.score.as_tuple().exponent
        places_ok = isinstance(exponent, int) and (
            exponent >= TWO_PLACES_EXPONENT or score.score == score.score.quantize(Decimal("0.01"))
        )
        if not Decimal(0) <= score.score <= Decimal(1) or not places_ok:
            problems.append(
                f"the score {score.score} of expert {score.expert} for task {score.task} is not "
                "a fraction from 0 to 1 with at most two decimals"
            )
    twice = Counter((s.task, s.expert) for s in scores)
    problems += [
        f"expert {expert} scored task {task} {count} times"
        for (task, expert), count in sorted(twice.items())
        if count > 1
    ]
    return problems
