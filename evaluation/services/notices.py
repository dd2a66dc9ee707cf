"""What a city's officials are told by email, each in the language they use the portal in:
that a report was returned (with the reviewer's comment) or approved. Sent after the change
commits, through the outbox (``evaluation.tasks.notify_officials``); each (report, version,
kind) is recorded first, so it goes out once. The emails link to the portal's form of the
period, found by its URL name: the domain names the page, never imports the portal."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from evaluation import vocabulary
from evaluation.mail import mail_send
from evaluation.models import OfficialNotice, OfficialProfile, Report

log = logging.getLogger(__name__)


def period_form_url(participation_id: int, period: str) -> str:
    """The full address of a period's form on the officials' portal (``PORTAL_URL``), for the
    links in the officials' emails (these notices and the reminders)."""
    path = reverse("cities:period", kwargs={"pk": participation_id, "period": period})
    base: str = settings.PORTAL_URL
    return base.rstrip("/") + path


def official_language_remember(*, user_id: int, language: str) -> None:
    OfficialProfile.objects.update_or_create(user_id=user_id, defaults={"language": language})


def officials_notify(*, report_id: int, version: int, kind: str) -> int:
    """Tell the city's officials that ``version`` of the report was returned or approved.
    Returns how many emails went out (one per official with an address; one that can never
    be sent is given up and listed for the reviewers, ``evaluation.mail``)."""
    report = Report.objects.select_related("participation__city", "participation__programme").get(
        pk=report_id
    )
    if report.version != version or report.status != kind:
        return 0  # it has moved on since: the later change sends its own news
    try:
        with transaction.atomic():
            OfficialNotice.objects.create(report=report, version=version, kind=kind)
    except IntegrityError:
        return 0
    participation = report.participation
    officials = list(
        participation.officials.select_related("user", "user__portal_profile")
        .exclude(user__email="")
        .filter(user__is_active=True)
    )
    url = period_form_url(participation.pk, report.period.label)
    sent = 0
    try:
        for assignment in officials:
            user = assignment.user
            profile = getattr(user, "portal_profile", None)
            language = profile.language if profile is not None else settings.LANGUAGE_CODE
            with translation.override(language):
                city = vocabulary.indicator_name(participation.city)
                if kind == OfficialNotice.Kind.RETURNED:
                    subject = _("%(city)s: the report for %(period)s was returned") % {
                        "city": city,
                        "period": report.period,
                    }
                    body = _(
                        "The ministry's reviewer returned the report for %(period)s with this "
                        "comment:\n\n%(comment)s\n\nCorrect it and submit it again: %(url)s"
                    ) % {"period": report.period, "comment": report.review_comment, "url": url}
                else:
                    subject = _("%(city)s: the report for %(period)s was approved") % {
                        "city": city,
                        "period": report.period,
                    }
                    body = _(
                        "The ministry's reviewer approved the report for %(period)s: its figures "
                        "now count in the evaluation.\n\n%(url)s"
                    ) % {"period": report.period, "url": url}
            sent += mail_send(
                subject=subject,
                message=body,
                recipients=[user.email],
                about=f"report {report_id} v{version} {kind}",
            )
    except Exception:
        # Not sent (or not to everyone): forget the notice, so the retried task sends it.
        log.exception("notice of report %s v%s failed", report_id, version)
        OfficialNotice.objects.filter(report=report, version=version, kind=kind).delete()
        raise
    return sent
