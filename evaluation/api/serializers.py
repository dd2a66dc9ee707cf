"""Shapes of the API. Serializers validate requests; the services validate the business."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from evaluation.inputs import is_late, period_error
from evaluation.models import (
    CityResult,
    EvaluationRun,
    Indicator,
    IndicatorResult,
    MetricValue,
    Participation,
    Programme,
    Report,
    Target,
    TrancheDecision,
)
from evaluation.models.cities import City
from evaluation.scoring import Period, PeriodError


class ProgrammeSerializer(serializers.ModelSerializer[Programme]):
    class Meta:
        model = Programme
        fields = [
            "code",
            "name",
            "baseline_year",
            "construction_years",
            "midterm_as_of",
            "report_due_day",
            "total_amount_min",
            "total_amount_max",
            "first_tranche_min",
            "first_tranche_max",
            "release_basis",
            "is_active",
        ]


class IndicatorSerializer(serializers.ModelSerializer[Indicator]):
    class Meta:
        model = Indicator
        fields = ["code", "name_en", "name_zh", "unit", "unit_zh", "unit_en", "reported"]


class CitySerializer(serializers.ModelSerializer[City]):
    class Meta:
        model = City
        fields = ["code", "name_en", "name_zh", "province"]


class TargetSerializer(serializers.ModelSerializer[Target]):
    indicator = serializers.CharField(source="indicator.code")

    class Meta:
        model = Target
        fields = ["indicator", "value"]


class ParticipationSerializer(serializers.ModelSerializer[Participation]):
    programme = serializers.CharField(source="programme.code")
    city = CitySerializer()
    remaining_amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    targets = TargetSerializer(many=True)

    class Meta:
        model = Participation
        fields = [
            "id",
            "programme",
            "city",
            "total_amount",
            "first_tranche",
            "remaining_amount",
            "targets",
        ]


class MetricValueSerializer(serializers.ModelSerializer[MetricValue]):
    indicator = serializers.CharField(source="indicator.code")

    class Meta:
        model = MetricValue
        fields = ["indicator", "value", "status", "flag"]


class ReportSerializer(serializers.ModelSerializer[Report]):
    city = serializers.CharField(source="participation.city.code")
    programme = serializers.CharField(source="participation.programme.code")
    period = serializers.SerializerMethodField()
    is_late = serializers.SerializerMethodField()
    values = MetricValueSerializer(many=True)

    class Meta:
        model = Report
        fields = [
            "id",
            "participation",
            "programme",
            "city",
            "period",
            "status",
            "version",
            "due_date",
            "is_late",
            "submitted_at",
            "reviewed_at",
            "review_comment",
            "values",
        ]

    def get_period(self, report: Report) -> str:
        return report.period.label

    def get_is_late(self, report: Report) -> bool:
        return is_late(
            due=report.due_date, submitted_at=report.submitted_at, today=timezone.localdate()
        )


@extend_schema_field(OpenApiTypes.STR)
class PeriodField(serializers.Field):  # type: ignore[type-arg]
    def to_representation(self, value: Period) -> str:
        return value.label

    def to_internal_value(self, data: Any) -> Period:
        try:
            return Period.parse(str(data))
        except PeriodError:
            raise serializers.ValidationError(period_error(str(data))) from None


class ReportCreateSerializer(serializers.Serializer[Any]):
    participation = serializers.IntegerField()
    period = PeriodField(help_text='"2020-07", "2020-Q3" or "2019" (the baseline year)')


class ReportValuesSerializer(serializers.Serializer[Any]):
    version = serializers.IntegerField(
        help_text="The report version this change is based on; a stale one is refused (409)."
    )
    values = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        help_text='{"indicator code": "value"}, e.g. {"pledge_amount": "1234.50"}',
    )


class SubmitSerializer(serializers.Serializer[Any]):
    version = serializers.IntegerField(required=False)


class ReturnSerializer(serializers.Serializer[Any]):
    comment = serializers.CharField(allow_blank=True)


class ReopenSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(allow_blank=True)


@extend_schema_field(OpenApiTypes.BINARY)
class UploadedFileField(serializers.FileField):
    """A file sent as a multipart form field (never a string in JSON)."""


class UploadSerializer(serializers.Serializer[Any]):
    # An empty file is the import's to refuse, saying so like every other bad file.
    file = UploadedFileField(
        allow_empty_file=True, help_text="metrics CSV or XLSX, as in interfaces.md"
    )


class UploadOutcomeSerializer(serializers.Serializer[Any]):
    rows = serializers.IntegerField(help_text=_("rows of the file"))
    rows_left_empty = serializers.IntegerField(
        help_text=_("rows without a value, passed over (a draft may be partial)")
    )
    reports = serializers.IntegerField(help_text=_("reports (periods) the file fills"))
    reports_changed = serializers.IntegerField(help_text=_("of those, the ones it changed"))
    periods = serializers.ListField(
        child=serializers.CharField(), help_text=_("the periods the file fills, oldest first")
    )
    dry_run = serializers.BooleanField(
        required=False,
        help_text=_(
            "present (true) when ?dry_run=1: the counts say what would change; nothing was saved"
        ),
    )


class PeriodStatusSerializer(serializers.Serializer[Any]):
    """A ``selectors.PeriodStatus``."""

    period = serializers.CharField(source="label")
    due_date = serializers.DateField()
    report = serializers.IntegerField(allow_null=True)
    status = serializers.CharField(
        help_text='the report\'s status; "approved" when every value of a period without a '
        'report is already approved (a file load); otherwise "missing"'
    )
    late = serializers.BooleanField()
    missing = serializers.BooleanField(help_text="due, and neither submitted nor already approved")


class RunSerializer(serializers.ModelSerializer[EvaluationRun]):
    programme = serializers.CharField(source="programme.code")
    ruleset = serializers.CharField(source="ruleset.label")
    triggered_by = serializers.CharField(
        source="triggered_by.username",
        default=None,
        allow_null=True,
        help_text=_("null for a run from the command line or a schedule"),
    )
    cities_scored = serializers.IntegerField(read_only=True, help_text=_("cities scored so far"))

    class Meta:
        model = EvaluationRun
        fields = [
            "id",
            "programme",
            "ruleset",
            "as_of",
            "kind",
            "status",
            "trigger",
            "triggered_by",
            "years_elapsed",
            "cities_total",
            "cities_scored",
            "input_digest",
            "result_digest",
            "identical_to",
            "error",
            "created_at",
            "started_at",
            "finished_at",
            "finalised_at",
            "heartbeat_at",
        ]
        extra_kwargs = {"error": {"help_text": "why the run failed (every reason, one a line)"}}


class RunTriggerSerializer(serializers.Serializer[Any]):
    programme = serializers.CharField()
    as_of = serializers.DateField(required=False)
    kind = serializers.ChoiceField(
        choices=EvaluationRun.Kind.choices, default=EvaluationRun.Kind.OFFICIAL
    )


# Every figure of a result as a string of exact decimals at its one precision, the same as in
# ``evaluate --json`` (``IndicatorResult.exact``).
FIGURES = {
    "weight": "points the indicator is worth, 2 decimals",
    "full_target": "the committed target (or the floor): a growth fraction with 4 decimals "
    "(0.2000 is 20% a year) for a growth indicator, a count with 2 decimals for a cumulative one",
    "target": "the mid-term target: a growth fraction with 4 decimals for a growth indicator, "
    "the pro-rated count with 2 decimals for a cumulative one",
    "actual": "a growth fraction with 4 decimals for a growth indicator, the count with 2 "
    "decimals for a cumulative one; null where not assessable",
    "attainment": "from 0.0000 to 1.0000, 4 decimals",
    "points": "2 decimals",
    "base_value": "the baseline year's value, 2 decimals",
    "final_value": "the last year's value (growth) or the total counted (cumulative), 2 decimals",
    "deducted": "points taken for a spot check's discrepancy, 2 decimals (0.00 for none)",
}
FIGURE_PATTERN = r"^-?\d+\.\d{2}(\d{2})?$"


@extend_schema_field({"type": "string", "format": "decimal", "pattern": FIGURE_PATTERN})
class FigureField(serializers.Field):  # type: ignore[type-arg]
    """One figure of an indicator's result, at its precision (``IndicatorResult.exact``)."""

    def __init__(self, figure: str, **kwargs: Any) -> None:
        self.figure = figure
        super().__init__(source="*", read_only=True, help_text=FIGURES[figure], **kwargs)

    def to_representation(self, value: IndicatorResult) -> str | None:
        return value.exact(self.figure)


class IndicatorResultSerializer(serializers.ModelSerializer[IndicatorResult]):
    indicator = serializers.CharField(source="indicator.code")
    weight = FigureField("weight")
    full_target = FigureField("full_target")
    target = FigureField("target")
    actual = FigureField("actual", allow_null=True)
    attainment = FigureField("attainment")
    points = FigureField("points")
    base_value = FigureField("base_value", allow_null=True)
    final_value = FigureField("final_value", allow_null=True)
    deducted = FigureField("deducted")
    discrepancy = serializers.BooleanField(
        read_only=True,
        help_text=_("A spot check's verified value replaced a claimed one the indicator read."),
    )
    spot_checks = serializers.ListField(
        source="checks",
        child=serializers.DictField(),
        read_only=True,
        help_text=_(
            "The spot checks of values the indicator read: period, claimed and verified value "
            "(exact decimals), and whether the claimed value stood."
        ),
    )

    class Meta:
        model = IndicatorResult
        fields = [
            "indicator",
            "kind",
            "status",
            "weight",
            "full_target",
            "target_source",
            "target",
            "actual",
            "attainment",
            "points",
            "base_value",
            "final_value",
            "reason",
            "spot_checks",
            "discrepancy",
            "deducted",
        ]


class DecisionSerializer(serializers.ModelSerializer[TrancheDecision]):
    city = serializers.CharField(source="city_result.participation.city.code")
    run = serializers.IntegerField(source="city_result.run_id")
    decided_by = serializers.CharField(
        source="decided_by.username",
        default=None,
        allow_null=True,
        help_text=_("null until the decision is signed off"),
    )

    class Meta:
        model = TrancheDecision
        fields = [
            "id",
            "run",
            "city",
            "remaining_amount",
            "recommended_decision",
            "recommended_amount",
            "reason",
            "status",
            "final_decision",
            "final_amount",
            "decided_by",
            "decided_at",
            "override_reason",
        ]


class CityResultSerializer(serializers.ModelSerializer[CityResult]):
    city = CitySerializer(source="participation.city")
    indicators = IndicatorResultSerializer(source="indicator_results", many=True)
    decision = DecisionSerializer()

    class Meta:
        model = CityResult
        fields = ["id", "run", "city", "score", "grade", "reason", "decision", "indicators"]


class OverrideSerializer(serializers.Serializer[Any]):
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    reason = serializers.CharField(allow_blank=True)
