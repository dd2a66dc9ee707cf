"""Display helpers of the forecast, draft comparison and rectification pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from evaluation import vocabulary
from evaluation.scoring import Rate, Text
from reports import figures

register = template.Library()


@register.filter
def money(value: Decimal | None) -> str:
    """Yuan with thousands separators and the fen; a dash for none."""
    return "—" if value is None else figures.money(value)


@register.filter
def points(value: Decimal | None) -> str:
    return "—" if value is None else figures.number(value)


@register.filter
def share(value: Decimal | None) -> str:
    """A fraction (0 to 1) as a percentage with two decimals."""
    return "—" if value is None else figures.percent(value.quantize(Decimal("0.0001")))


@register.simple_tag
def say(text: Text, line: object) -> SafeString:
    """A text of the scoring core in the active language, its figures in the unit of ``line``
    (``places``, ``unit``), rates as percentages, dates as ISO dates."""

    def figure(value: object) -> str:
        if isinstance(value, Rate):
            shown = figures.percent(value.value.quantize(Decimal("0.0001")))
        elif isinstance(value, Decimal):
            places = int(getattr(line, "places", 2))
            shown = f"{value:,.{places}f} {getattr(line, 'unit', '')}".rstrip()
        elif isinstance(value, dt.date):
            shown = value.isoformat()
        elif value is None:
            shown = "—"
        else:
            shown = str(value)
        return conditional_escape(shown)

    return mark_safe(vocabulary.say(text, figure))  # the catalogue's words, escaped figures


@register.filter
def counted(value: Decimal | None, line: object) -> str:
    """``value`` to the unit's places, then the unit word."""
    if value is None:
        return "—"
    places = int(getattr(line, "places", 2))
    return f"{value:,.{places}f} {getattr(line, 'unit', '')}".rstrip()


@register.filter
def get(mapping: dict[str, object], key: str) -> object:
    """``mapping[key]``, 0 when absent (counts per state)."""
    return mapping.get(key, 0)


@register.filter
def name(named: object) -> str:
    """A city's or indicator's name in the active language."""
    return vocabulary.indicator_name(named)  # type: ignore[arg-type]
