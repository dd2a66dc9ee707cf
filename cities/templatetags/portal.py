"""Numbers as the active language writes them, to the unit's precision."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import template
from django.utils import formats
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from evaluation import figures
from evaluation.scoring import Rate, Text
from evaluation.vocabulary import say as say_text

register = template.Library()


@register.filter
def num(value: Decimal | None, places: int = 0) -> str:
    """``value`` with ``places`` decimals and grouped thousands; a dash when there is none
    (``evaluation.figures.grouped``, as the reviewers' admin writes it)."""
    return figures.grouped(value, places)


@register.filter
def counted(value: Decimal | None, row: object) -> str:
    """``value`` to its indicator's precision, then its unit word: the word for one after
    exactly 1 (1 SME, 2 SMEs; 1 家, 2 家). ``row`` has ``places``, ``unit`` and ``unit_one``."""
    return figures.counted(
        value,
        places=row.places,  # type: ignore[attr-defined]
        unit=row.unit,  # type: ignore[attr-defined]
        unit_one=row.unit_one,  # type: ignore[attr-defined]
    )


@register.filter
def percent(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return formats.number_format(value * 100, decimal_pos=2) + "%"


@register.simple_tag
def say(text: Text, row: object) -> SafeString:
    """A text of the scoring core about an indicator (``IndicatorStanding``'s ``target_text``,
    ``need_text``…) in the active language: its figures in the unit of ``row`` (``counted``),
    rates as percentages, dates in the language's date format. As ``blocktranslate`` does, the
    figures are escaped and the translated words are not."""

    def figure(value: object) -> str:
        if isinstance(value, Rate):
            shown = percent(value.value)
        elif isinstance(value, Decimal):
            shown = counted(value, row)
        elif isinstance(value, dt.date):
            shown = formats.date_format(value, "DATE_FORMAT")
        elif value is None:
            shown = "—"
        else:
            shown = str(formats.localize(value))
        return conditional_escape(shown)

    # The catalogue's words, escaped figures.
    return mark_safe(say_text(text, figure))


@register.filter
def getfield(form: object, name: str) -> object:
    """The bound field ``name`` of ``form`` (fields named after indicator codes)."""
    return form[name]  # type: ignore[index]


@register.filter
def getfield_default(mapping: object, key: str) -> object:
    """``mapping[key]``, or an empty string when it has none (the expert page's typed scores
    and refusals, by task code)."""
    return mapping.get(key, "") if isinstance(mapping, dict) else ""
