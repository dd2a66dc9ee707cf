"""Small display helpers for the reports' templates."""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any

from django import template
from django.db.models import OuterRef, Subquery

from evaluation.models import EvaluationRun, IndicatorResult, Programme
from evaluation.vocabulary import indicator_name
from reports import figures
from reports.rendering import run_kind_label

register = template.Library()


@register.filter
def heat(item: IndicatorResult | None) -> str:
    """The cell colour of an attainment: red at 0, amber at one half, green at 1; grey when
    not assessable or not scored."""
    if item is None or item.status == "not_assessable":
        return "#e0e0e0"
    share = float(item.attainment)
    low, mid, high = (198, 40, 40), (249, 168, 37), (46, 125, 50)
    a, b, t = (low, mid, share * 2) if share < 0.5 else (mid, high, (share - 0.5) * 2)
    red, green, blue = (round(x + (y - x) * t) for x, y in zip(a, b, strict=True))
    return f"#{red:02x}{green:02x}{blue:02x}"


@register.filter
def percent(value: Decimal) -> str:
    return figures.percent(value)


@register.filter
def name(named: Any) -> str:
    """A city's or indicator's name in the active language."""
    return indicator_name(named)


@register.simple_tag
def reports_programmes() -> list[Programme]:
    """The programmes, each with its latest successful run (for the admin index's links)."""
    latest = (
        EvaluationRun.objects.filter(
            programme=OuterRef("pk"), status=EvaluationRun.Status.SUCCEEDED
        )
        .order_by("-created_at", "-id")
        .values("pk")[:1]
    )
    return list(Programme.objects.annotate(latest_run_id=Subquery(latest)).order_by("code"))


@register.filter
def as_image(svg: str) -> str:
    """An SVG chart as an image source (PDFs draw it with their own SVG renderer)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


@register.filter
def run_kind(run: EvaluationRun) -> str:
    return run_kind_label(run)


@register.filter
def person(user: Any) -> str:
    """Someone by their name (their user name when they have none given)."""
    if user is None:
        return "—"
    return str(user.get_full_name() or user.get_username())
