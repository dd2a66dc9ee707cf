"""The audit trail through the API: who changed what, when, from what to what (the read is
``selectors.object_history``, shared with the admin and the portal)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from evaluation.selectors import object_history


class ChangeSerializer(serializers.Serializer[Any]):
    field = serializers.CharField()
    old = serializers.JSONField(allow_null=True)
    new = serializers.JSONField(allow_null=True)


class AuditEntrySerializer(serializers.Serializer[Any]):
    object = serializers.CharField()
    object_id = serializers.IntegerField()
    type = serializers.ChoiceField(choices=["created", "changed", "deleted"])
    at = serializers.DateTimeField()
    by = serializers.CharField(allow_null=True, help_text="the login; null for the system")
    by_name = serializers.CharField(
        allow_null=True, help_text="the person's full name, else the login; null for the system"
    )
    reason = serializers.CharField(allow_null=True)
    changes = ChangeSerializer(many=True)


class AuditSerializer(serializers.Serializer[Any]):
    model = serializers.CharField()
    id = serializers.IntegerField()
    entries = AuditEntrySerializer(many=True)


class AuditView(APIView):
    """The history of one object (``model`` is one of run, report, metricvalue, target,
    ruleset, indicatorrule, gradeband, decision, participation, city, programme, indicator,
    officialassignment); a report's history includes its values' and the officials' answers
    on it (object ``comment``). Ministry reviewers only."""

    error_statuses = (401, 403, 404)

    @extend_schema(responses={200: AuditSerializer})
    def get(self, request: Request, model: str, pk: int) -> Response:
        entries = object_history(model=model, pk=pk, fetched_by=request.user)
        return Response({"model": model, "id": pk, "entries": [asdict(e) for e in entries]})
