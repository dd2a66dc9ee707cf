"""Data-quality flags: when a value a city reports deserves a reviewer's second look, stored as
a code with its figures (``MetricValue.flags``), and the sentence for each, composed in the
reader's language when it is shown. Flags never refuse a value.

- ``above_a_year_earlier`` / ``below_a_year_earlier``: more than the programme's quality factor
  (default 3) times above, or below, the same period a year earlier (submitted or approved);
- ``running_total_fell``: a cumulative indicator's value lowered after it had been submitted
  (values are never negative, so a running total can only fall through such a correction).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext

from evaluation.scoring import Period

ABOVE = "above_a_year_earlier"
BELOW = "below_a_year_earlier"
RUNNING_TOTAL_FELL = "running_total_fell"

Flag = dict[str, str]

# The names of a flag's figures that are values of its indicator (not the factor, the period).
FIGURES = frozenset({"value", "earlier", "old", "new"})


def _figure(value: Decimal) -> str:
    """A value as stored (to the fen), as the sentences show it."""
    return f"{value:.2f}"


def against_a_year_earlier(
    *, value: Decimal, earlier: Decimal | None, factor: Decimal, earlier_period: Period
) -> Flag | None:
    """The flag of a value far from the same period a year earlier, or None."""
    if earlier is None:
        return None
    figures = {
        "value": _figure(value),
        "factor": f"{factor.normalize():f}",
        "period": earlier_period.label,
        "earlier": _figure(earlier),
    }
    if value > earlier * factor:
        return {"code": ABOVE, **figures}
    if value * factor < earlier:
        return {"code": BELOW, **figures}
    return None


def running_total_fell(*, period: Period, old: Decimal, new: Decimal) -> Flag:
    return {
        "code": RUNNING_TOTAL_FELL,
        "period": period.label,
        "old": _figure(old),
        "new": _figure(new),
    }


def kept_on_resubmission(flags: Iterable[Flag]) -> list[Flag]:
    """The flags a report's submission keeps (the comparison with a year earlier is made
    afresh each time; a fallen running total stays for the reviewer)."""
    return [flag for flag in flags if flag.get("code") == RUNNING_TOTAL_FELL]


def _sentence(flag: Mapping[str, Any], figure: Callable[[str], str] | None = None) -> str:
    code = flag.get("code")
    if figure is not None:
        # The stored figures (to the fen) as the page writes the indicator's figures.
        flag = {name: figure(value) if name in FIGURES else value for name, value in flag.items()}
    if code == ABOVE:
        return (
            gettext("%(value)s is more than %(factor)s times the %(period)s value %(earlier)s")
            % flag
        )
    if code == BELOW:
        return (
            gettext("%(value)s is less than 1/%(factor)s of the %(period)s value %(earlier)s")
            % flag
        )
    if code == RUNNING_TOTAL_FELL:
        return (
            gettext(
                "the running total would fall: %(period)s lowered from %(old)s to %(new)s after it "
                "had been submitted"
            )
            % flag
        )
    return str(flag.get("text", code))


def flag_text(
    flags: Sequence[Mapping[str, Any]], figure: Callable[[str], str] | None = None
) -> str:
    """Every flag of a value as sentences in the active language, one per line ("" for
    none); ``figure`` writes each stored figure (by default as stored, to the fen)."""
    return "\n".join(_sentence(flag, figure) for flag in flags)
