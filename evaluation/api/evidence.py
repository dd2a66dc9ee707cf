"""The API's evidence, conversation and value-level return: thin views over the services.
Every file and report is reached through the caller's access-scoped querysets, so another
city's is 404, and a signed-out caller is refused before anything is read."""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http.response import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from evaluation import access, selectors
from evaluation.api.filters import EvidenceFilter
from evaluation.api.serializers import UploadedFileField
from evaluation.evidence_files import evidence_response
from evaluation.models import Evidence, Report, ReportComment
from evaluation.services import evidence as evidence_services
from evaluation.services import reporting


def _acting(request: Request) -> User:
    return cast(User, request.user)


class EvidenceSerializer(serializers.ModelSerializer[Evidence]):
    indicator = serializers.SerializerMethodField()
    uploaded_by = serializers.CharField(source="uploaded_by.username")
    removed = serializers.SerializerMethodField()

    class Meta:
        model = Evidence
        fields = [
            "id",
            "report",
            "indicator",
            "name",
            "kind",
            "size",
            "sha256",
            "uploaded_by",
            "uploaded_at",
            "removed",
            "removed_at",
        ]

    def get_indicator(self, evidence: Evidence) -> str | None:
        return evidence.value.indicator.code if evidence.value is not None else None

    def get_removed(self, evidence: Evidence) -> bool:
        return evidence.removed_at is not None


class EvidenceUploadSerializer(serializers.Serializer[Any]):
    report = serializers.IntegerField()
    indicator = serializers.CharField(
        required=False, allow_blank=True, help_text="The value's indicator; empty: the report"
    )
    file = UploadedFileField(allow_empty_file=True)


class EvidenceViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[Evidence],
):
    """Files of evidence on reports and their values. ``?report=ID`` lists one report's;
    ``DELETE`` marks a file removed (refused on an approved value); ``download`` hands out the
    file (or a short-lived link to it in a bucket)."""

    serializer_class = EvidenceSerializer
    parser_classes = [MultiPartParser]
    filterset_class = EvidenceFilter

    def get_queryset(self) -> QuerySet[Evidence]:
        if getattr(self, "swagger_fake_view", False):
            return Evidence.objects.none()
        return selectors.evidence_for(self.request.user).order_by("report", "id")

    @extend_schema(request=EvidenceUploadSerializer, responses={201: EvidenceSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Attach a file (multipart) to a report or one of its values."""
        upload = EvidenceUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        report = access.get_or_not_found(
            access.reports_for(request.user), pk=upload.validated_data["report"]
        )
        made = evidence_services.evidence_attach(
            report=report,
            indicator=upload.validated_data.get("indicator") or None,
            upload=upload.validated_data["file"],
            by=_acting(request),
        )
        return Response(
            self.get_serializer(self.get_queryset().get(pk=made.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=None, responses={200: EvidenceSerializer})
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Mark the file removed (it stays kept with its digest)."""
        removed = evidence_services.evidence_remove(evidence=self.get_object(), by=_acting(request))
        return Response(self.get_serializer(self.get_queryset().get(pk=removed.pk)).data)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str | None = None, **kwargs: Any) -> HttpResponseBase:
        """The file itself (filesystem), or a redirect to a presigned link (bucket)."""
        return evidence_response(self.get_object())


class ReportMessageSerializer(serializers.ModelSerializer[ReportComment]):
    author = serializers.CharField(source="author.username")
    kind_label = serializers.CharField(source="get_kind_display")

    class Meta:
        model = ReportComment
        fields = ["id", "kind", "kind_label", "author", "created_at", "text"]


class ReportMessageCreateSerializer(serializers.Serializer[Any]):
    text = serializers.CharField(allow_blank=True, max_length=20000)


class ReturnValuesSerializer(serializers.Serializer[Any]):
    reasons = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        help_text='{"indicator code": "reason"}: each value to return, with its reason',
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class ValueChangeSerializer(serializers.Serializer[Any]):
    indicator = serializers.CharField(source="code")
    old = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)
    new = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)
    reason = serializers.CharField()
    changed = serializers.BooleanField()
    added = EvidenceSerializer(many=True)
    removed = EvidenceSerializer(many=True)


class ChangesSerializer(serializers.Serializer[Any]):
    since = serializers.DateTimeField(allow_null=True)
    values = ValueChangeSerializer(many=True)
    report_added = EvidenceSerializer(many=True)
    report_removed = EvidenceSerializer(many=True)


class ReportConversationMixin:
    """The report's conversation, single values returned, and the diff since the return: the
    actions the report's viewset adds."""

    get_object: Any

    @extend_schema(
        request=ReportMessageCreateSerializer,
        responses={200: ReportMessageSerializer(many=True), 201: ReportMessageSerializer},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def comments(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        """The conversation, oldest first; POST adds a message (an official's reply once a
        reviewer has written, a reviewer's note at any time)."""
        report: Report = self.get_object()
        if request.method == "POST":
            data = ReportMessageCreateSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            made = reporting.report_comment_add(
                report=report, text=data.validated_data["text"], by=_acting(request)
            )
            return Response(ReportMessageSerializer(made).data, status=status.HTTP_201_CREATED)
        return Response(
            ReportMessageSerializer(selectors.report_comments(report_id=report.pk), many=True).data
        )

    @extend_schema(request=ReturnValuesSerializer, responses={200: None})
    @action(detail=True, methods=["post"], url_path="return-values")
    def return_values(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        """Return single values to the city, a reason each; the rest stays as it is."""
        # The report first: to anyone who may not see it, it does not exist, whatever was sent.
        report = self.get_object()
        data = ReturnValuesSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = reporting.report_return_values(
            report=report,
            reasons=data.validated_data["reasons"],
            comment=data.validated_data.get("comment", ""),
            by=_acting(request),
        )
        return self._respond(report)  # type: ignore[attr-defined,no-any-return]

    @extend_schema(responses={200: ChangesSerializer})
    @action(detail=True, methods=["get"])
    def changes(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        """What changed since the report last went back to the city: each value old → new,
        the files attached and removed since."""
        changes = selectors.report_changes_since_return(report=self.get_object())
        return Response(ChangesSerializer(changes).data)
