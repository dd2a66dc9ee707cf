"""The audit trail through the API: who changed what, when, from what to what (the read is
``selectors.object_history``, shared with the admin and the portal)."""

from __future__ import annotations

from dataclasses import asdict

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from evaluation.selectors import object_history


class AuditView(APIView):
    """The history of one object (``model`` is one of run, report, metricvalue, target,
    ruleset, indicatorrule, gradeband, decision, participation, city, programme); a report's
    history includes its values'. Ministry reviewers only."""

    @extend_schema(responses={200: dict})
    def get(self, request: Request, model: str, pk: int) -> Response:
        entries = object_history(model=model, pk=pk, fetched_by=request.user)
        return Response({"model": model, "id": pk, "entries": [asdict(e) for e in entries]})
