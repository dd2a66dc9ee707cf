"""The programme's words, defined once, in both languages.

The values come from the pure scoring core (``evaluation.scoring.types``), which cannot import
Django; the labels are marked for translation here, so model choices, the API, the admin, the
portal and the documents all say the same thing, in Chinese by default and in English. A rule
kind's words are its own (``rules.RuleKind``: its label, reasons, what the portal says), marked
for the catalogue in the core and translated here (``rule_kind_label``, ``say``).
Indicator names are data (``Indicator.name_zh`` / ``name_en``); ``indicator_name`` picks the
one of the active language.
"""

from __future__ import annotations

from collections.abc import Callable
from types import new_class
from typing import Any, Protocol, cast

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from evaluation import workflow
from evaluation.scoring import rules, types
from evaluation.scoring.texts import Figure, Text

StrOrPromise = str | Promise


class IndicatorStatus(models.TextChoices):
    MET = types.Status.MET.value, _("met")
    PARTIAL = types.Status.PARTIAL.value, _("partial")
    MISSED = types.Status.MISSED.value, _("missed")
    NOT_ASSESSABLE = types.Status.NOT_ASSESSABLE.value, _("not assessable (flagged for review)")


class Decision(models.TextChoices):
    RELEASE = types.Decision.RELEASE.value, _("release")
    WITHHOLD = types.Decision.WITHHOLD.value, _("withhold")


class TargetSource(models.TextChoices):
    COMMITTED = types.TargetSource.COMMITTED.value, _("committed")
    FLOOR = types.TargetSource.FLOOR.value, _("national floor")
    PLAN = types.TargetSource.PLAN.value, _("spending plan")
    TRANCHE = types.TargetSource.TRANCHE.value, _("first tranche, pro-rated")
    PANEL = types.TargetSource.PANEL.value, _("expert panel's full marks")


class Grade(models.TextChoices):
    EXCELLENT = "excellent", _("excellent (优)")
    GOOD = "good", _("good (良)")
    FAIR = "fair", _("fair (中)")
    POOR = "poor", _("poor (差)")


def rule_kind_choices() -> list[tuple[str, StrOrPromise]]:
    """The scoring core's rule kinds (``rules.RULE_KINDS``) by the names rulesets store, with
    their labels: the model fields take this callable, so a new kind needs no migration."""
    return [(kind.name, _(kind.label)) for kind in rules.RULE_KINDS.values()]


def _rule_kind_members(namespace: dict[str, Any]) -> None:
    namespace["__module__"] = __name__
    for name, label in rule_kind_choices():
        namespace[name.upper()] = (name, label)


# The same choices as a class, for the API schema's enum (``SPECTACULAR_SETTINGS``) and the
# labels of a run's verification. Code asks the kind itself, never compares with a member.
RuleKind = cast(
    type[models.TextChoices],
    new_class("RuleKind", (models.TextChoices,), exec_body=_rule_kind_members),
)


def rule_kind_label(name: str) -> str:
    """A rule kind in the programme's words, in the active language."""
    return gettext(rules.rule_kind(name).label)


def say(text: Text, figure: Callable[[Figure], str]) -> str:
    """A text of the scoring core in the active language: its template translated through the
    catalogue, each figure written by ``figure`` (the caller's way with numbers, rates and
    dates), a text among the figures said in turn."""
    return gettext(text.template) % {
        name: say(value, figure) if isinstance(value, Text) else figure(value)
        for name, value in text.figures.items()
    }


class _Named(Protocol):
    name_zh: str
    name_en: str


class _Measured(Protocol):
    unit_zh: str
    unit_en: str
    unit_en_one: str


def indicator_name(indicator: _Named) -> str:
    """The indicator's (or city's) name in the active language: Chinese unless English is
    asked for."""
    return indicator.name_en if (get_language() or "").startswith("en") else indicator.name_zh


def report_status_word(status: str) -> str:
    """A report's status as a word inside a sentence ("it is submitted"); the longer labels
    describe the state in a list. Both are the workflow table's."""
    return workflow.REPORT.word(status) if status in workflow.REPORT.states else status


# A grade as one word, for tables (the labels of ``Grade`` pair the English with the Chinese).
_GRADE_WORDS = {
    "excellent": _("excellent"),
    "good": _("good"),
    "fair": _("fair"),
    "poor": _("poor"),
}


def grade_word(grade: str) -> str:
    return str(_GRADE_WORDS.get(grade, grade))


def indicator_unit(indicator: _Measured) -> str:
    """The indicator's unit word (万元, 件, 家…) in the active language."""
    english = (get_language() or "").startswith("en")
    return (indicator.unit_en if english else indicator.unit_zh) or indicator.unit_zh


def indicator_unit_one(indicator: _Measured) -> str:
    """The unit word after a figure of exactly 1: English has one (1 SME, 2 SMEs); Chinese
    does not (1 家, 2 家)."""
    english = (get_language() or "").startswith("en")
    return (english and indicator.unit_en_one) or indicator_unit(indicator)
