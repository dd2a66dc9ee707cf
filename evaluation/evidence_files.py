"""A file of evidence handed to someone who may read it (every caller checks that first, by
``selectors.evidence_for``): from the filesystem, streamed by the application; from a bucket, a
presigned link that lives ``EVIDENCE_LINK_SECONDS`` (the bucket itself is private)."""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.http import FileResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase

from evaluation.models import Evidence


def evidence_response(evidence: Evidence) -> HttpResponseBase:
    storage = evidence.file.storage
    response: HttpResponseBase
    if isinstance(storage, FileSystemStorage):
        response = FileResponse(
            evidence.file.open("rb"), as_attachment=True, filename=evidence.name
        )
    else:
        disposition = f"attachment; filename*=UTF-8''{_quoted(evidence.name)}"
        url = storage.url(
            evidence.file.name,
            parameters={"ResponseContentDisposition": disposition},
            expire=settings.EVIDENCE_LINK_SECONDS,
        )
        response = HttpResponseRedirect(url)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _quoted(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")
