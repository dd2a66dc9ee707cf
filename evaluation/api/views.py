"""API views: thin. Reads go through ``evaluation.access``, so an official reaches only their
own cities (anything else is 404); writes call the services."""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.models import User
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from evaluation import access
from evaluation.api import filters
from evaluation.api import serializers as s
from evaluation.api.evidence import ReportConversationMixin
from evaluation.api.review import PROVINCE_ACTIONS, ProvinceReviewMixin
from evaluation.exceptions import FieldError, NoRuleset, NotFound, WorkflowError
from evaluation.models import (
    CityResult,
    EvaluationRun,
    Indicator,
    IndicatorResult,
    MetricValue,
    Programme,
    Report,
    Target,
    TrancheDecision,
)
from evaluation.selectors import participation_periods
from evaluation.services import decisions, reporting
from evaluation.services.recovery import evaluation_run_restart
from evaluation.services.runs import evaluation_run_request
from evaluation.tabular import upload_limits, upload_read


def _acting(request: Request) -> User:
    """The authenticated user (every view requires authentication)."""
    return cast(User, request.user)


def _none_for_schema(view: Any, queryset: QuerySet[Any]) -> QuerySet[Any]:
    return queryset.none() if getattr(view, "swagger_fake_view", False) else queryset


class ProgrammeViewSet(viewsets.ReadOnlyModelViewSet[Programme]):
    queryset = Programme.objects.order_by("code")
    serializer_class = s.ProgrammeSerializer
    lookup_field = "code"


class IndicatorViewSet(viewsets.ReadOnlyModelViewSet[Indicator]):
    queryset = Indicator.objects.order_by("position")
    serializer_class = s.IndicatorSerializer
    lookup_field = "code"


class ParticipationViewSet(viewsets.ReadOnlyModelViewSet[Any]):
    """The cities the user may see (an official's own), with their money and targets."""

    serializer_class = s.ParticipationSerializer
    filterset_class = filters.ParticipationFilter

    def get_queryset(self) -> QuerySet[Any]:
        return _none_for_schema(
            self,
            access.participations_for(self.request.user)
            .prefetch_related(
                Prefetch("targets", queryset=Target.objects.select_related("indicator"))
            )
            .order_by("programme__code", "city__code"),
        )

    @extend_schema(responses={200: s.PeriodStatusSerializer(many=True)}, filters=False)
    @action(detail=True, methods=["get"], pagination_class=None)
    def periods(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        """Every period this city owes a report for so far: its status, due date, and whether
        it is late or missing."""
        rows = participation_periods(
            participation=self.get_object(), today=timezone.localdate(), fetched_by=request.user
        )
        return Response(s.PeriodStatusSerializer(rows, many=True).data)

    @extend_schema(
        request=s.UploadSerializer,
        responses={200: s.UploadOutcomeSerializer},
        parameters=[
            OpenApiParameter(
                "dry_run",
                bool,
                description="1: check the file and count what would change; save nothing",
            )
        ],
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def upload(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        """Fill this city's draft reports from a metrics CSV/XLSX: all or nothing; a refused
        file lists every bad row. ``?dry_run=1`` checks it and saves nothing."""
        # Not get_object(): that runs the list's filters, which refuse ``dry_run``. The
        # queryset is the caller's own (access-scoped), so another city's is still 404.
        if not str(pk).isdigit():
            raise NotFound()
        participation = access.get_or_not_found(self.get_queryset(), pk=int(str(pk)))
        self.check_object_permissions(request, participation)
        upload = s.UploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        file = upload.validated_data["file"]
        limits = upload_limits("api")
        outcome = reporting.reports_upload(
            participation=participation,
            name=file.name,
            data=upload_read(file, limits=limits),
            by=_acting(request),
            dry_run=request.query_params.get("dry_run", "") in ("1", "true", "yes"),
            limits=limits,
        )
        return Response(outcome)


class ReportViewSet(
    ReportConversationMixin,
    ProvinceReviewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Report],
):
    """A city's report for a period and its values, and the review actions on it."""

    serializer_class = s.ReportSerializer
    filterset_class = filters.ReportFilter

    def get_queryset(self) -> QuerySet[Report]:
        reports = access.reports_for(self.request.user)
        if self.action in PROVINCE_ACTIONS:
            # The province's steps reach its cities' reports too (its reviewers see no report
            # otherwise through the API).
            # (By key: OR-ing the two querysets would join the officials and repeat a report
            # once per official of its city.)
            reports = Report.objects.select_related(
                "participation__programme", "participation__city"
            ).filter(
                Q(pk__in=reports.values("pk"))
                | Q(pk__in=access.province_reports_for(self.request.user).values("pk"))
            )
        return _none_for_schema(
            self,
            reports.prefetch_related(
                Prefetch("values", queryset=MetricValue.objects.select_related("indicator"))
            ).order_by("participation__city__code", "year", "granularity", "number"),
        )

    def _respond(self, report: Report, code: int = status.HTTP_200_OK) -> Response:
        return Response(
            self.get_serializer(self.get_queryset().get(pk=report.pk)).data, status=code
        )

    def _payload(self, serializer_class: type[BaseSerializer[Any]]) -> dict[str, Any]:
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    @extend_schema(request=s.ReportCreateSerializer, responses={201: s.ReportSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Open the report of a period (asking again returns the same report)."""
        data = self._payload(s.ReportCreateSerializer)
        participation = access.get_or_not_found(
            access.participations_for(request.user), pk=data["participation"]
        )
        report = reporting.report_create(
            participation=participation, period=data["period"], by=_acting(request)
        )
        return self._respond(report, status.HTTP_201_CREATED)

    @extend_schema(request=s.ReportValuesSerializer, responses=s.ReportSerializer)
    @action(detail=True, methods=["put"])
    def values(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        """Create or update the values of a draft or returned report, based on its version."""
        data = self._payload(s.ReportValuesSerializer)
        report = reporting.report_values_set(
            report=self.get_object(),
            values=data["values"],
            version=data["version"],
            by=_acting(request),
        )
        return self._respond(report)

    @extend_schema(request=s.SubmitSerializer, responses=s.ReportSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        data = self._payload(s.SubmitSerializer)
        report = reporting.report_submit(
            report=self.get_object(), version=data.get("version"), by=_acting(request)
        )
        return self._respond(report)

    @extend_schema(request=None, responses=s.ReportSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        return self._respond(
            reporting.report_approve(report=self.get_object(), by=_acting(request))
        )

    @extend_schema(request=s.ReturnSerializer, responses=s.ReportSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        data = self._payload(s.ReturnSerializer)
        report = reporting.report_return(
            report=self.get_object(), comment=data["comment"], by=_acting(request)
        )
        return self._respond(report)

    @extend_schema(request=s.ReopenSerializer, responses=s.ReportSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        data = self._payload(s.ReopenSerializer)
        report = reporting.report_reopen(
            report=self.get_object(), reason=data["reason"], by=_acting(request)
        )
        return self._respond(report)


class RunViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[EvaluationRun]
):
    """Evaluation runs: ministry reviewers only."""

    serializer_class = s.RunSerializer
    filterset_class = filters.RunFilter

    def get_queryset(self) -> QuerySet[EvaluationRun]:
        if getattr(self, "swagger_fake_view", False):
            return EvaluationRun.objects.none()
        access.require_reviewer(self.request.user)
        return _none_for_schema(
            self,
            EvaluationRun.objects.select_related("programme", "ruleset__programme", "triggered_by")
            .annotate(cities_scored=Count("city_results"))
            .order_by("-created_at", "-id"),
        )

    @extend_schema(request=None, responses=s.RunSerializer)
    @action(detail=True, methods=["post"])
    def restart(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        """Send a failed run on again, on its own plan (reviewers); 409 unless it failed."""
        run = evaluation_run_restart(run=self.get_object(), by=_acting(request))
        return Response(s.RunSerializer(self.get_queryset().get(pk=run.pk)).data)

    @extend_schema(request=s.RunTriggerSerializer, responses={202: s.RunSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Queue an evaluation; a worker runs it."""
        access.require_reviewer(request.user)
        serializer = s.RunTriggerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        programme = access.get_or_not_found(Programme.objects.all(), code=data["programme"])
        try:
            run = evaluation_run_request(
                programme=programme,
                as_of=data.get("as_of"),
                kind=data["kind"],
                trigger=EvaluationRun.Trigger.API,
                by=_acting(request),
            )
        except NoRuleset as exc:
            raise WorkflowError([FieldError("programme", str(exc))]) from None
        return Response(
            s.RunSerializer(self.get_queryset().get(pk=run.pk)).data,
            status=status.HTTP_202_ACCEPTED,
        )


class ResultViewSet(viewsets.ReadOnlyModelViewSet[CityResult]):
    """Per-city results with every indicator's numbers and reason; officials see their own
    cities only."""

    serializer_class = s.CityResultSerializer
    filterset_class = filters.ResultFilter

    def get_queryset(self) -> QuerySet[CityResult]:
        return _none_for_schema(
            self,
            access.city_results_for(self.request.user)
            .select_related("participation__city", "decision__decided_by")
            .prefetch_related(
                Prefetch(
                    "indicator_results",
                    queryset=IndicatorResult.objects.select_related("indicator").order_by(
                        "position"
                    ),
                )
            )
            .order_by("-run_id", "participation__city__code"),
        )


class DecisionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[TrancheDecision]
):
    """Recommended tranche decisions and their sign-off: ministry reviewers only."""

    serializer_class = s.DecisionSerializer
    filterset_class = filters.DecisionFilter

    def get_queryset(self) -> QuerySet[TrancheDecision]:
        if getattr(self, "swagger_fake_view", False):
            return TrancheDecision.objects.none()
        access.require_reviewer(self.request.user)
        return _none_for_schema(
            self,
            TrancheDecision.objects.select_related(
                "city_result__participation__city", "decided_by"
            ).order_by("-city_result__run_id", "city_result__participation__city__code"),
        )

    @extend_schema(request=None, responses=s.DecisionSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        decision = decisions.decision_confirm(decision=self.get_object(), by=_acting(request))
        return Response(s.DecisionSerializer(self.get_queryset().get(pk=decision.pk)).data)

    @extend_schema(request=s.OverrideSerializer, responses=s.DecisionSerializer)
    @action(detail=True, methods=["post"])
    def override(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        serializer = s.OverrideSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        decision = decisions.decision_override(
            decision=self.get_object(),
            amount=serializer.validated_data["amount"],
            reason=serializer.validated_data["reason"],
            by=_acting(request),
        )
        return Response(s.DecisionSerializer(self.get_queryset().get(pk=decision.pk)).data)
