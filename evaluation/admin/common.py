"""What the admin pages share: the acting user, one action per selected row, asking a reason."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.template.defaultfilters import linebreaksbr
from django.template.response import TemplateResponse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from evaluation import figures, quality
from evaluation.exceptions import Forbidden, NotFound, WorkflowError
from evaluation.inputs import GRANULARITY_WORDS
from evaluation.models import Indicator, MetricValue
from evaluation.vocabulary import indicator_name, indicator_unit, indicator_unit_one

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from evaluation.self_evaluations import OpinionRow


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def person(user: User | None) -> str:
    """Someone by their name (their login only when no name is recorded); a dash for no one."""
    if user is None:
        return "—"
    return str(user.get_full_name() or user.get_username())


def when(moment: dt.datetime | None) -> str:
    """A moment in the project's time zone (``TIME_ZONE``, Asia/Shanghai unless configured),
    to the minute; a dash for none."""
    if moment is None:
        return "—"
    return formats.date_format(timezone.localtime(moment), "Y-m-d H:i")


def _each(
    request: HttpRequest,
    objects: QuerySet[Any],
    act: Callable[[Any], Any],
    verb: StrOrPromise,
) -> None:
    """Apply a service to every selected object; report each success and refusal. ``verb``
    is translated by the caller ("Approved")."""
    done = 0
    for obj in objects:
        try:
            act(obj)
            done += 1
        except (WorkflowError, Forbidden, NotFound) as exc:
            reason = (
                "; ".join(e.reason for e in exc.errors)
                if isinstance(exc, WorkflowError)
                else str(exc) or gettext("not found")
            )
            messages.error(
                request, gettext("%(object)s: %(reason)s") % {"object": obj, "reason": reason}
            )
    if done:
        messages.success(
            request,
            gettext("%(verb)s %(done)d of %(total)d.")
            % {"verb": verb, "done": done, "total": len(objects)},
        )


class NothingToSave(admin.ModelAdmin):
    """A page that shows a protected record and has nothing to save: a POST to it is refused
    (405), since an empty save would still write a history row. The record changes only
    through its services (the list's actions, the review steps)."""

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method == "POST":
            return HttpResponseNotAllowed(["GET"])
        return super().change_view(request, object_id, form_url, extra_context)


class PeriodColumn:
    """The period of a report or value, under a translated heading."""

    @admin.display(description=_("period"))
    def period(self, obj: Any) -> str:
        return str(obj.period)


class ReasonForm(forms.Form):
    text = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        required=True,
    )


def _ask_reason(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[Any],
    *,
    title: StrOrPromise,
    label: StrOrPromise,
    action: str,
    apply: Callable[[Any, str], Any],
    verb: StrOrPromise,
) -> HttpResponse | None:
    """An intermediate page asking for the comment or reason an action requires."""
    form = ReasonForm(request.POST if "apply" in request.POST else None)
    form.fields["text"].label = label
    if "apply" in request.POST and form.is_valid():
        _each(request, queryset, lambda obj: apply(obj, form.cleaned_data["text"]), verb)
        return None
    return TemplateResponse(
        request,
        "admin/evaluation/reason.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "objects": queryset,
            "form": form,
            "action": action,
            "opts": modeladmin.model._meta,
        },
    )


class GranularityFilter(admin.SimpleListFilter):
    """Years, quarters or months, in the reader's words."""

    title = _("granularity")
    parameter_name = "granularity"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return list(GRANULARITY_WORDS.items())

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() in GRANULARITY_WORDS:
            return queryset.filter(granularity=self.value())
        return queryset


def indicator_words(indicator: Indicator) -> str:
    """An indicator by its name in the reader's language, with its unit: 知识产权质押融资金额
    （万元）, not its code."""
    name, unit = indicator_name(indicator), indicator_unit(indicator)
    if not unit or unit in name or name.endswith((")", "）")):
        return name
    return gettext("%(name)s (%(unit)s)") % {"name": name, "unit": unit}


def indicator_figure(value: Decimal | None, indicator: Indicator) -> str:
    """A figure of ``indicator`` as the officials' portal writes it: to its precision (counts
    whole), thousands grouped, with its unit word."""
    return figures.counted(
        value,
        places=indicator.decimal_places,
        unit=indicator_unit(indicator),
        unit_one=indicator_unit_one(indicator),
    )


def value_flags(value: MetricValue) -> str:
    """A value's data-quality flags as sentences in the reader's language, their figures
    written as the indicator's."""

    def figure(stored: str) -> str:
        try:
            return indicator_figure(Decimal(stored), value.indicator)
        except InvalidOperation:
            return stored

    return quality.flag_text(value.flags, figure)


class IndicatorFilter(admin.SimpleListFilter):
    """The indicators by their names in the reader's language, in the catalogue's order."""

    title = _("indicator")
    parameter_name = "indicator"
    field = "indicator_id"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(str(i.pk), indicator_words(i)) for i in Indicator.objects.order_by("position")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if (self.value() or "").isdigit():
            return queryset.filter(**{self.field: self.value()})
        return queryset


class TaskFilter(IndicatorFilter):
    """A task (an indicator scored by the expert panel) by its name."""

    title = _("task")
    parameter_name = "task"
    field = "task_id"


def opinions_html(rows: list[OpinionRow]) -> str:
    """The province's opinions and returns, oldest first, each with who wrote it and when."""
    if not rows:
        return "—"
    return format_html(
        '<ol class="province-review">{}</ol>',
        format_html_join(
            "",
            '<li class="opinion-{}"><strong>{}</strong> <em>{}</em><br>{}</li>',
            (
                (
                    row.step,
                    gettext("%(who)s, %(when)s:") % {"who": row.by, "when": when(row.at)},
                    row.step_label,
                    linebreaksbr(row.text),
                )
                for row in rows
            ),
        ),
    )
