"""The filters of the API's lists.

Every choice a filter offers comes from what the asking user may see (``evaluation.access``):
the browsable form lists only an official's own participations and the runs that scored their
cities, and an id of another city's object is refused exactly like an id that does not exist,
so ids cannot be probed. A query parameter that no filter knows is refused (400, naming it)
rather than silently ignored, which would return the whole list.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

from evaluation import access
from evaluation.models import (
    CityResult,
    EvaluationRun,
    Evidence,
    Participation,
    Report,
    SelfEvaluation,
    TrancheDecision,
)
from evaluation.scoring import Period, PeriodError
from evaluation.vocabulary import Grade

# Query parameters every list understands besides its filters.
COMMON_PARAMS = frozenset({"page", "format"})


def visible_participations(request: HttpRequest | None) -> QuerySet[Participation]:
    if request is None:
        return Participation.objects.none()
    return access.participations_for(request.user).order_by("programme__code", "city__code")


def visible_runs(request: HttpRequest | None) -> QuerySet[EvaluationRun]:
    """Reviewers: every run. Officials: the runs with a result they may see (whose ids their
    results already show: ``access.city_results_for``), nothing else."""
    if request is None:
        return EvaluationRun.objects.none()
    runs = EvaluationRun.objects.select_related("programme").order_by("-id")
    if access.is_reviewer(request.user):
        return runs
    return runs.filter(id__in=access.city_results_for(request.user).values("run_id"))


class PeriodField(forms.CharField):
    def clean(self, value: Any) -> Period | None:
        text = super().clean(value)
        if not text:
            return None
        try:
            return Period.parse(text)
        except PeriodError as exc:
            raise forms.ValidationError(str(exc)) from None


@extend_schema_field(OpenApiTypes.STR)
class PeriodFilter(django_filters.Filter):  # type: ignore[misc]
    """``2020-07``, ``2020-Q3`` or ``2019``: the report of exactly that period."""

    field_class = PeriodField

    def filter(self, queryset: QuerySet[Any], value: Period | None) -> QuerySet[Any]:
        if value is None:
            return queryset
        return queryset.filter(
            year=value.year, granularity=value.granularity.value, number=value.number
        )


def _programme() -> django_filters.CharFilter:
    return django_filters.CharFilter(
        field_name="programme__code", label=_("programme (its code, e.g. 2020)")
    )


def _city(prefix: str) -> django_filters.CharFilter:
    return django_filters.CharFilter(
        field_name=f"{prefix}city__code", label=_("city (its 6-digit division code)")
    )


def _run(field_name: str) -> django_filters.ModelChoiceFilter:
    return django_filters.ModelChoiceFilter(
        field_name=field_name, queryset=visible_runs, label=_("evaluation run (its id)")
    )


class ParticipationFilter(django_filters.FilterSet):  # type: ignore[misc]
    programme = _programme()
    city = _city("")


class ReportFilter(django_filters.FilterSet):  # type: ignore[misc]
    participation = django_filters.ModelChoiceFilter(
        queryset=visible_participations, label=_("participation (its id)")
    )
    programme = django_filters.CharFilter(
        field_name="participation__programme__code", label=_("programme (its code, e.g. 2020)")
    )
    city = _city("participation__")
    year = django_filters.NumberFilter(label=_("year"))
    period = PeriodFilter(label=_("period (2020-07, 2020-Q3 or 2019)"))
    status = django_filters.ChoiceFilter(choices=Report.Status.choices, label=_("status"))

    class Meta:
        model = Report
        fields = ["participation", "programme", "city", "year", "period", "status"]


class SelfEvaluationFilter(django_filters.FilterSet):  # type: ignore[misc]
    programme = django_filters.CharFilter(
        field_name="participation__programme__code", label=_("programme (its code, e.g. 2020)")
    )
    city = _city("participation__")
    status = django_filters.ChoiceFilter(choices=SelfEvaluation.Status.choices, label=_("status"))

    class Meta:
        model = SelfEvaluation
        fields = ["programme", "city", "status"]


class RunFilter(django_filters.FilterSet):  # type: ignore[misc]
    programme = _programme()
    kind = django_filters.ChoiceFilter(choices=EvaluationRun.Kind.choices, label=_("kind"))
    status = django_filters.ChoiceFilter(choices=EvaluationRun.Status.choices, label=_("status"))

    class Meta:
        model = EvaluationRun
        fields = ["programme", "kind", "status"]


class ResultFilter(django_filters.FilterSet):  # type: ignore[misc]
    run = _run("run")
    programme = django_filters.CharFilter(
        field_name="run__programme__code", label=_("programme (its code, e.g. 2020)")
    )
    city = _city("participation__")
    grade = django_filters.ChoiceFilter(choices=Grade.choices, label=_("grade"))

    class Meta:
        model = CityResult
        fields = ["run", "programme", "city", "grade"]


class DecisionFilter(django_filters.FilterSet):  # type: ignore[misc]
    run = _run("city_result__run")
    programme = django_filters.CharFilter(
        field_name="city_result__run__programme__code",
        label=_("programme (its code, e.g. 2020)"),
    )
    city = _city("city_result__participation__")
    status = django_filters.ChoiceFilter(choices=TrancheDecision.Status.choices, label=_("status"))

    class Meta:
        model = TrancheDecision
        fields = ["run", "programme", "city", "status"]


class StrictFilterBackend(DjangoFilterBackend):  # type: ignore[misc]
    """django-filter's backend, refusing the query parameters its filter set does not know."""

    def known_params(self, request: Request, queryset: QuerySet[Any], view: Any) -> set[str]:
        known = set(COMMON_PARAMS)
        paginator = getattr(view, "paginator", None)
        if paginator is not None:
            known.add(paginator.page_query_param)
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            known.update(filterset_class.base_filters)
        return known

    def filter_queryset(self, request: Request, queryset: QuerySet[Any], view: Any) -> Any:
        known = self.known_params(request, queryset, view)
        unknown = sorted(set(request.query_params) - known)
        if unknown:
            listed = ", ".join(sorted(known - COMMON_PARAMS - {"page"})) or _("none")
            raise ValidationError(
                {
                    name: _("unknown filter; this list takes: %(known)s") % {"known": listed}
                    for name in unknown
                }
            )
        return super().filter_queryset(request, queryset, view)


class EvidenceFilter(django_filters.FilterSet):  # type: ignore[misc]
    # A number, not a choice of reports: a browsable form must not list other cities' reports.
    # Bounded like the column: a larger number is refused (400), not sent to the database,
    # which cannot hold it.
    report = django_filters.NumberFilter(
        field_name="report_id", label=_("report (its id)"), min_value=1, max_value=2**63 - 1
    )

    class Meta:
        model = Evidence
        fields = ["report"]
