"""Every word a shipped rule kind hands out is in the catalogue, translated: its label, the
sentences of its reasons and of the city's page, its floor and its refusals. The catalogue test
sees only strings marked with ``gettext_noop``; this one sees every template the kinds return,
so a kind that forgets the mark is caught."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import translation
from django.utils.translation import gettext

from evaluation.scoring import RULE_KINDS, rule_kind
from evaluation.scoring.needs import still_needed
from evaluation.scoring.rules import RuleKind
from evaluation.scoring.totals import city_totals
from tests.scoring.builders import MID_TERM, PROGRAMME_2020, obs
from tests.scoring.test_rule_kinds import CONTEXT, outcomes, sample_target

WORDS = re.compile(r"[A-Za-z]{2,}")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def templates(kind: RuleKind) -> set[str]:
    found = {kind.label, kind.floor_words(Decimal("0.3")).template}
    refusal = kind.target_refusal(target=Decimal(0), floor=Decimal(1))
    if refusal is not None:
        found |= {refusal.in_field, refusal.in_row}
    for outcome in outcomes(kind):
        for text in kind.reason(outcome, CONTEXT):
            found |= set(text.templates())
    for by in (dt.date(2020, 6, 30), MID_TERM):
        for values in ([], [("2019", "10"), ("2021", "900")], [("2020", "1")]):
            totals, _ = city_totals(
                [obs("x", p, v) for p, v in values], (), as_of=by, from_year=2019
            )
            need = still_needed(
                indicator="x",
                kind=kind.name,
                target=sample_target(kind),
                programme=PROGRAMME_2020,
                by=by,
                totals=totals,
                places=0,
            )
            progress = kind.progress(target=sample_target(kind), need=need)
            for text in (progress.target, progress.approved, progress.need):
                found |= set(text.templates())
    return found


@pytest.mark.parametrize("name", sorted(RULE_KINDS))
def test_every_word_of_a_kind_has_its_chinese(name):
    # A template of placeholders only ("%(target)s": the figure alone) has nothing to translate.
    worded = {t for t in templates(rule_kind(name)) if WORDS.search(PLACEHOLDER.sub("", t))}
    assert len(worded) > 5
    with translation.override("zh-hans"):
        untranslated = sorted(t for t in worded if gettext(t) == t)
    assert untranslated == []
