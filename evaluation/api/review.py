"""The API's self-evaluations (自评) and the province's review (省级复核): thin views over the
services. A self-evaluation is reached through ``self_evaluations_for`` (the city's officials,
its province's reviewers, the ministry's), so anyone else is told it does not exist (404); each
step (submit, forward, send back, accept, return) is the service's, which checks who asks and
the workflow table, and refuses in the reader's language. The province's steps on a report
reach the reports of its cities as well as the caller's own."""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.models import User
from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from evaluation import workflow
from evaluation.api.filters import SelfEvaluationFilter
from evaluation.api.serializers import ReportSerializer, ReturnSerializer
from evaluation.models import (
    ProvincialOpinion,
    Report,
    SelfEvaluation,
    SelfEvaluationLine,
)
from evaluation.self_evaluations import self_evaluations_for
from evaluation.services import reporting
from evaluation.services import self_evaluation as service


def _acting(request: Request) -> User:
    return cast(User, request.user)


class OpinionSerializer(serializers.ModelSerializer[ProvincialOpinion]):
    """What the province wrote: its opinion when it forwarded (``forward``), its reason when
    it returned to the city (``send_back``)."""

    step_label = serializers.CharField(source="get_step_display")
    by = serializers.CharField(source="by.username")

    class Meta:
        model = ProvincialOpinion
        fields = ["step", "step_label", "text", "by", "at"]


class SelfEvaluationLineSerializer(serializers.ModelSerializer[SelfEvaluationLine]):
    indicator = serializers.CharField(source="indicator.code")

    class Meta:
        model = SelfEvaluationLine
        fields = [
            "indicator",
            "status",
            "weight",
            "full_target",
            "target",
            "actual",
            "attainment",
            "points",
            "short",
            "shortfall_reason",
            "measures",
        ]
        extra_kwargs = {
            "points": {"help_text": "the points expected at the evaluation date"},
            "target": {"help_text": "the target pro-rated to the evaluation date"},
            "short": {"help_text": "below its target: the city says why and what it will do"},
        }


class SelfEvaluationFiguresSerializer(serializers.Serializer[Any]):
    score = serializers.CharField(required=False)
    grade = serializers.CharField(required=False)
    amount = serializers.CharField(required=False)
    remaining = serializers.CharField(required=False)
    computed_at = serializers.CharField(required=False)


class SelfEvaluationSerializer(serializers.ModelSerializer[SelfEvaluation]):
    programme = serializers.CharField(source="participation.programme.code")
    city = serializers.CharField(source="participation.city.code")
    status_label = serializers.SerializerMethodField()
    figures = SelfEvaluationFiguresSerializer()
    lines = SelfEvaluationLineSerializer(many=True)
    opinions = OpinionSerializer(many=True, source="province_opinions")

    class Meta:
        model = SelfEvaluation
        fields = [
            "id",
            "participation",
            "programme",
            "city",
            "as_of",
            "status",
            "status_label",
            "version",
            "figures",
            "summary",
            "submitted_at",
            "reviewed_at",
            "review_comment",
            "lines",
            "opinions",
        ]

    def get_status_label(self, item: SelfEvaluation) -> str:
        return workflow.SELF_EVALUATION.label(item.status)


class ForwardSerializer(serializers.Serializer[Any]):
    opinion = serializers.CharField(
        allow_blank=True, help_text="the province's opinion (复核意见) for the ministry"
    )


def _payload(request: Request, serializer_class: type[serializers.Serializer[Any]]) -> Any:
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return data.validated_data


class SelfEvaluationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[SelfEvaluation],
):
    """The cities' self-evaluations: each indicator's figures at the evaluation date, the
    city's reason for a shortfall and its measures, the province's opinions; and the steps of
    their review (the city submits, its province forwards or sends back, the ministry accepts
    or returns)."""

    serializer_class = SelfEvaluationSerializer
    filterset_class = SelfEvaluationFilter

    def get_queryset(self) -> QuerySet[SelfEvaluation]:
        if getattr(self, "swagger_fake_view", False):
            return SelfEvaluation.objects.none()
        return (
            self_evaluations_for(self.request.user)
            .prefetch_related(
                Prefetch(
                    "lines",
                    queryset=SelfEvaluationLine.objects.select_related("indicator").order_by(
                        "position"
                    ),
                ),
                Prefetch(
                    "province_opinions", queryset=ProvincialOpinion.objects.select_related("by")
                ),
            )
            .order_by("participation__city__code", "as_of", "pk")
        )

    def _respond(self, item: SelfEvaluation) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=item.pk)).data)

    @extend_schema(request=None, responses=SelfEvaluationSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        """The city's officials submit it: its figures computed once more, then frozen;
        refused, naming each indicator, while a shortfall is unexplained."""
        item = self.get_object()
        return self._respond(
            service.self_evaluation_submit(self_evaluation=item, by=_acting(request))
        )

    @extend_schema(request=ForwardSerializer, responses=SelfEvaluationSerializer)
    @action(detail=True, methods=["post"])
    def forward(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        """The city's province forwards it to the ministry with its opinion."""
        item = self.get_object()
        data = _payload(request, ForwardSerializer)
        return self._respond(
            service.self_evaluation_forward(
                self_evaluation=item, opinion=data["opinion"], by=_acting(request)
            )
        )

    @extend_schema(request=ReturnSerializer, responses=SelfEvaluationSerializer)
    @action(detail=True, methods=["post"], url_path="send-back")
    def send_back(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        """The city's province returns it to the city, saying what to fix."""
        item = self.get_object()
        data = _payload(request, ReturnSerializer)
        return self._respond(
            service.self_evaluation_send_back(
                self_evaluation=item, comment=data["comment"], by=_acting(request)
            )
        )

    @extend_schema(request=None, responses=SelfEvaluationSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        """The ministry accepts it (once the province has forwarded it, where it reviews)."""
        item = self.get_object()
        return self._respond(
            service.self_evaluation_accept(self_evaluation=item, by=_acting(request))
        )

    @extend_schema(request=ReturnSerializer, responses=SelfEvaluationSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        """The ministry returns it to the city with a comment."""
        item = self.get_object()
        data = _payload(request, ReturnSerializer)
        return self._respond(
            service.self_evaluation_return(
                self_evaluation=item, comment=data["comment"], by=_acting(request)
            )
        )


# The province's steps on a report: the actions the report's viewset adds.
PROVINCE_ACTIONS = ("forward", "send_back")


class ProvinceReviewMixin:
    """Forward a submitted report to the ministry with the province's opinion, or send it back
    to the city with the reason; for a reviewer of the city's province (others: 404, a ministry
    reviewer 403)."""

    get_object: Any
    _respond: Any

    @extend_schema(request=ForwardSerializer, responses=ReportSerializer)
    @action(detail=True, methods=["post"])
    def forward(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        report: Report = self.get_object()
        data = _payload(request, ForwardSerializer)
        return self._respond(  # type: ignore[no-any-return]
            reporting.report_forward(report=report, opinion=data["opinion"], by=_acting(request))
        )

    @extend_schema(request=ReturnSerializer, responses=ReportSerializer)
    @action(detail=True, methods=["post"], url_path="send-back")
    def send_back(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        report: Report = self.get_object()
        data = _payload(request, ReturnSerializer)
        return self._respond(  # type: ignore[no-any-return]
            reporting.report_send_back(report=report, comment=data["comment"], by=_acting(request))
        )
