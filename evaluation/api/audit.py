"""The audit trail through the API: who changed what, when, from what to what."""

from __future__ import annotations

from typing import Any

from django.db import models
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cities.models import City
from evaluation import access
from evaluation.exceptions import NotFound
from evaluation.models import (
    EvaluationRun,
    GradeBand,
    IndicatorRule,
    MetricValue,
    Participation,
    Programme,
    Report,
    Ruleset,
    Target,
    TrancheDecision,
)

AUDITED: dict[str, type[models.Model]] = {
    "run": EvaluationRun,
    "report": Report,
    "metricvalue": MetricValue,
    "target": Target,
    "ruleset": Ruleset,
    "indicatorrule": IndicatorRule,
    "gradeband": GradeBand,
    "decision": TrancheDecision,
    "participation": Participation,
    "city": City,
    "programme": Programme,
}


def _entries(records: list[Any], label: str) -> list[dict[str, Any]]:
    """Each history record with its changes against the one before it (oldest first)."""
    entries = []
    previous = None
    for record in records:
        if previous is None:
            changes = [
                {"field": f.attname, "old": None, "new": _plain(getattr(record, f.attname))}
                for f in record.instance_type._meta.concrete_fields
            ]
        else:
            meta = record.instance_type._meta
            changes = [
                {
                    # The column's name, as in a creation entry (decided_by_id, not decided_by).
                    "field": meta.get_field(c.field).attname,
                    "old": _plain(c.old),
                    "new": _plain(c.new),
                }
                for c in record.diff_against(previous).changes
            ]
        entries.append(
            {
                "object": label,
                "object_id": record.id,
                "type": {"+": "created", "~": "changed", "-": "deleted"}[record.history_type],
                "at": record.history_date,
                "by": record.history_user.username if record.history_user else None,
                "reason": record.history_change_reason,
                "changes": changes,
            }
        )
        previous = record
    return entries


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, bool | int) else str(value)


class ChangeSerializer(serializers.Serializer[Any]):
    field = serializers.CharField()
    old = serializers.JSONField(allow_null=True)
    new = serializers.JSONField(allow_null=True)


class AuditEntrySerializer(serializers.Serializer[Any]):
    object = serializers.CharField()
    object_id = serializers.IntegerField()
    type = serializers.ChoiceField(choices=["created", "changed", "deleted"])
    at = serializers.DateTimeField()
    by = serializers.CharField(allow_null=True)
    reason = serializers.CharField(allow_null=True)
    changes = ChangeSerializer(many=True)


class AuditSerializer(serializers.Serializer[Any]):
    model = serializers.CharField()
    id = serializers.IntegerField()
    entries = AuditEntrySerializer(many=True)


class AuditView(APIView):
    """The history of one object (``model`` is one of report, metricvalue, target, ruleset,
    indicatorrule, gradeband, decision, participation, city, programme); a report's history
    includes its values'. Ministry reviewers only."""

    error_statuses = (401, 403, 404)

    @extend_schema(responses={200: AuditSerializer})
    def get(self, request: Request, model: str, pk: int) -> Response:
        access.require_reviewer(request.user)
        klass = AUDITED.get(model)
        if klass is None:
            raise NotFound()
        history = klass.history  # type: ignore[attr-defined]
        records = list(history.filter(id=pk).select_related("history_user").order_by("history_id"))
        if not records:
            raise NotFound()
        entries = _entries(records, model)
        if klass is Report:
            by_value: dict[int, list[Any]] = {}
            for record in (
                MetricValue.history.filter(report_id=pk)
                .select_related("history_user")
                .order_by("history_id")
            ):
                by_value.setdefault(record.id, []).append(record)
            for value_records in by_value.values():
                entries += _entries(value_records, "metricvalue")
        entries.sort(key=lambda e: (e["at"], e["object"]))
        return Response({"model": model, "id": pk, "entries": entries})
