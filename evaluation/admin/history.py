"""Every audited object's history in the admin, read-only, from the history selector
(``selectors.object_history``, which the API's audit and the portal read too): who (by name),
when (in the project's time zone), why, and each field from old to new in the programme's
words. It replaces django-simple-history's admin pages, whose "revert" form saved a POST from
anyone who could read the history (django-simple-history #1362): nothing here can write."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any, ClassVar

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from evaluation import quality, wording
from evaluation.admin.common import indicator_figure, indicator_words
from evaluation.exceptions import Forbidden, NotFound
from evaluation.inputs import GRANULARITY_WORDS
from evaluation.models import Indicator, MetricValue, TrancheDecision
from evaluation.reasons import reason_words
from evaluation.scoring.rules import show
from evaluation.selectors import FieldChange, HistoryEntry, audited_models, object_history
from evaluation.vocabulary import indicator_name

TYPES = {
    "created": pgettext_lazy("a change in an object's history", "created"),
    "changed": pgettext_lazy("a change in an object's history", "changed"),
    "deleted": pgettext_lazy("a change in an object's history", "deleted"),
}
SYSTEM = _("the system")


@dataclass(frozen=True)
class HistoryLine:
    """One change as the page shows it."""

    at: dt.datetime  # in the project's time zone
    what: str
    who: str
    reason: str
    changes: list[str]


@cache
def _fields(model: type[models.Model]) -> dict[str, models.Field[Any, Any]]:
    return {f.attname: f for f in model._meta.concrete_fields}


class _Words:
    """Values in words: a choice by its label, a person by name, a related row by its name, a
    time in the project's time zone. Related rows are read once each."""

    def __init__(self) -> None:
        self._related: dict[tuple[type[models.Model], Any], str] = {}

    def related(self, model: type[models.Model], pk: Any) -> str:
        key = (model, pk)
        if key not in self._related:
            row = model._default_manager.filter(pk=pk).first()
            if row is None:
                shown = f"#{pk}"
            elif isinstance(row, User):
                shown = row.get_full_name() or row.get_username()
            elif isinstance(row, Indicator):
                shown = indicator_words(row)
            else:
                shown = str(row)
            self._related[key] = shown
        return self._related[key]

    def value(
        self, field: models.Field[Any, Any] | None, value: Any, indicator: Indicator | None = None
    ) -> str:
        if value is None or value == "":
            return "—"
        if field is None:
            return str(value)
        if field.name == "granularity":
            return str(GRANULARITY_WORDS.get(str(value), value))
        if field.name == "flags" and isinstance(value, list):
            return quality.flag_text(value, _figure_of(indicator)) or "—"
        if field.name == "value" and indicator is not None:
            try:
                return indicator_figure(Decimal(str(value)), indicator)
            except InvalidOperation:
                return str(value)
        if field.choices:
            return str(dict(field.flatchoices).get(value, value))
        if isinstance(field, models.ForeignKey):
            return self.related(field.related_model, value)  # type: ignore[arg-type]
        if isinstance(field, models.DecimalField) and field.decimal_places == 2:
            # Yuan and other figures with the fen, as the admin's lists write them.
            try:
                return show(Decimal(str(value)))
            except InvalidOperation:
                return str(value)
        if isinstance(field, models.BooleanField):
            return gettext("yes") if value in (True, "True") else gettext("no")
        if isinstance(field, models.DateTimeField):
            try:
                moment = dt.datetime.fromisoformat(str(value))
            except ValueError:
                return str(value)
            return shown_time(moment)
        return str(value)

    def change(
        self,
        model: type[models.Model],
        change: FieldChange,
        created: bool,
        indicator: Indicator | None = None,
    ) -> str | None:
        field = _fields(model).get(change.field)
        label = capfirst(str(field.verbose_name)) if field is not None else change.field
        old, new = (self.value(field, v, indicator) for v in (change.old, change.new))
        if created:
            if change.new is None or change.new == "" or change.field == "id":
                return None
            return f"{label}: {new}"
        return f"{label}: {old} → {new}"


def _figure_of(indicator: Indicator | None) -> Any:
    """How a flag's stored figure is written: as its indicator's figures, when known."""
    if indicator is None:
        return None

    def figure(stored: str) -> str:
        try:
            return indicator_figure(Decimal(stored), indicator)
        except InvalidOperation:
            return stored

    return figure


def zone_words() -> str:
    """The project's time zone (``TIME_ZONE``, set by ``DJANGO_TIME_ZONE``) as a reader says
    it: Beijing time for Asia/Shanghai, else its name."""
    if settings.TIME_ZONE in ("Asia/Shanghai", "Asia/Chongqing", "PRC"):
        return gettext("Beijing time")
    return str(settings.TIME_ZONE)


def shown_time(moment: dt.datetime) -> str:
    """A moment in the project's time zone (``TIME_ZONE``), to the second."""
    local = timezone.localtime(moment) if timezone.is_aware(moment) else moment
    return formats.date_format(local, "Y-m-d H:i:s")


def history_lines(entries: list[HistoryEntry]) -> list[HistoryLine]:
    """The entries as the page shows them, newest first."""
    models_by_name = audited_models()
    words = _Words()
    values = {e.object_id for e in entries if e.object == "metricvalue"}
    of_value = {
        v.pk: v.indicator
        for v in MetricValue.objects.filter(pk__in=values).select_related("indicator")
    }
    indicators = {pk: indicator_name(indicator) for pk, indicator in of_value.items()}
    # The decision's reason is the run's, kept in English: said in the reader's language.
    reasons = {
        d.pk: wording.decision_reason(d.city_result)
        for d in TrancheDecision.objects.filter(
            pk__in={e.object_id for e in entries if e.object == "decision"}
        ).select_related("city_result__decision")
    }
    lines = []
    for entry in reversed(entries):
        model = models_by_name[entry.object]
        what = str(TYPES.get(entry.type, entry.type))
        if entry.object == "metricvalue" and len({e.object for e in entries}) > 1:
            what = gettext("%(type)s: value of %(indicator)s") % {
                "type": what,
                "indicator": indicators.get(entry.object_id, f"#{entry.object_id}"),
            }
        elif entry.object in ("comment", "evidence"):
            # A report's conversation and its files, in the report's history: named as such.
            what = gettext("%(type)s: %(thing)s") % {
                "type": what,
                "thing": model._meta.verbose_name,
            }
        created = entry.type == "created"
        lines.append(
            HistoryLine(
                at=timezone.localtime(entry.at),
                what=what,
                who=entry.by_name or str(SYSTEM),
                reason=reason_words(entry.reason),
                changes=[
                    shown
                    for change in _reason_said(entry, reasons)
                    if (
                        shown := words.change(
                            model,
                            change,
                            created,
                            of_value.get(entry.object_id)
                            if entry.object == "metricvalue"
                            else None,
                        )
                    )
                    is not None
                ],
            )
        )
    return lines


def _reason_said(entry: HistoryEntry, reasons: dict[int, str]) -> list[FieldChange]:
    if entry.object != "decision" or entry.object_id not in reasons:
        return entry.changes
    return [
        FieldChange(c.field, c.old and reasons[entry.object_id], reasons[entry.object_id])
        if c.field == "reason"
        else c
        for c in entry.changes
    ]


class HistoryAdmin(admin.ModelAdmin):
    """The object's history page, read-only (no revert, no form): ``history_key`` is the
    selector's name for the model (``report``, ``decision``…)."""

    history_key: ClassVar[str]
    object_history_template = "admin/evaluation/history.html"

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            redirect: HttpResponse = self._get_obj_does_not_exist_redirect(  # type: ignore[attr-defined]
                request, self.model._meta, object_id
            )
            return redirect
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        try:
            entries = object_history(model=self.history_key, pk=obj.pk, fetched_by=request.user)
        except Forbidden:
            raise PermissionDenied from None
        except NotFound:
            entries = []
        opts = self.model._meta
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("History: %(object)s") % {"object": obj},
            "subtitle": None,
            "object": obj,
            "opts": opts,
            "module_name": capfirst(str(opts.verbose_name_plural)),
            "lines": history_lines(entries),
            "zone": zone_words(),
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.object_history_template, context)
