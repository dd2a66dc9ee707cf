"""Addresses of the project's pages as their readers reach them, for the links in emails.

Here, beside the URL configuration, so that the evaluation's reminders and the portal's own
notices link to the portal without the evaluation importing the portal."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse


def period_form_url(participation_id: int, period: str) -> str:
    """The full address of a period's form on the officials' portal (``PORTAL_URL``)."""
    path = reverse("cities:period", kwargs={"pk": participation_id, "period": period})
    base: str = settings.PORTAL_URL
    return base.rstrip("/") + path
