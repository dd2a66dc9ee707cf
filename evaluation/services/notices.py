"""What a city's officials are told by email, each in the language they use the portal in:
that a report was returned (with the reviewer's comment, the ministry's or the province's) or
approved. Sent after the change commits, through the outbox
(``evaluation.tasks.notify_officials``); each (report, version, kind) is recorded first, so it
goes out once. The emails link to the portal's form of the
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
from evaluation.models import OfficialNotice, OfficialProfile, Report, ReportComment
from evaluation.selectors import returned_by_province

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
    by_province = returned_by_province(report)
    sent = 0
    try:
        for assignment in officials:
            user = assignment.user
            profile = getattr(user, "portal_profile", None)
            language = profile.language if profile is not None else settings.LANGUAGE_CODE
            with translation.override(language):
                city = vocabulary.indicator_name(participation.city)
                if kind == OfficialNotice.Kind.RETURNED and by_province:
                    subject = _("%(city)s: the province returned the report for %(period)s") % {
                        "city": city,
                        "period": report.period,
                    }
                    body = _(
                        "The reviewer of your province returned the report for %(period)s "
                        "with this reason:\n\n%(comment)s\n\nCorrect it and submit it "
                        "again: %(url)s"
                    ) % {"period": report.period, "comment": report.review_comment, "url": url}
                    body += conversation_text(report.pk)
                elif kind == OfficialNotice.Kind.RETURNED:
                    subject = _("%(city)s: the report for %(period)s was returned") % {
                        "city": city,
                        "period": report.period,
                    }
                    body = _(
                        "The ministry's reviewer returned the report for %(period)s with this "
                        "comment:\n\n%(comment)s\n\nCorrect it and submit it again: %(url)s"
                    ) % {"period": report.period, "comment": report.review_comment, "url": url}
                    body += conversation_text(report.pk)
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


def conversation_text(report_id: int) -> str:
    """The report's conversation so far, for an email: each message with its author and time,
    in the reader's language (empty for a single message: the email already says it)."""
    from django.utils.formats import date_format
    from django.utils.timezone import localtime

    messages = list(ReportComment.objects.filter(report_id=report_id).select_related("author"))
    if len(messages) < 2:
        return ""
    lines = [
        _("%(who)s (%(kind)s), %(when)s:\n%(text)s")
        % {
            "who": m.author.get_full_name() or m.author.get_username(),
            "kind": m.get_kind_display(),
            "when": date_format(localtime(m.created_at), "Y-m-d H:i"),
            "text": m.text,
        }
        for m in messages
    ]
    return "\n\n" + _("The conversation on this report:") + "\n\n" + "\n\n".join(lines)


def comment_notify(*, comment_id: int) -> int:
    """A message in a report's conversation: a city's reply goes to the ministry's reviewers,
    a reviewer's note to the city's officials, each in their language, once (the comment is
    claimed before the email goes). Returns how many emails went out."""
    from django.utils import timezone

    from evaluation import selectors

    claimed = ReportComment.objects.filter(pk=comment_id, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    if not claimed:
        return 0
    comment = ReportComment.objects.select_related(
        "author", "report__participation__city", "report__participation__programme"
    ).get(pk=comment_id)
    report = comment.report
    participation = report.participation
    if comment.kind == ReportComment.Kind.REPLY:
        recipients = [(email, settings.LANGUAGE_CODE) for email in selectors.reviewer_emails()]
    else:
        recipients = [
            (
                a.user.email,
                a.user.portal_profile.language
                if hasattr(a.user, "portal_profile")
                else settings.LANGUAGE_CODE,
            )
            for a in participation.officials.select_related("user", "user__portal_profile")
            .exclude(user__email="")
            .filter(user__is_active=True)
        ]
    url = period_form_url(participation.pk, report.period.label)
    sent = 0
    try:
        for email, language in recipients:
            with translation.override(language):
                city = vocabulary.indicator_name(participation.city)
                subject = _("%(city)s: a new message on the report for %(period)s") % {
                    "city": city,
                    "period": report.period,
                }
                body = _("%(who)s wrote on the report for %(period)s:\n\n%(text)s\n\n%(url)s") % {
                    "who": comment.author.get_full_name() or comment.author.get_username(),
                    "period": report.period,
                    "text": comment.text,
                    "url": url,
                }
                body += conversation_text(report.pk)
            sent += mail_send(
                subject=subject,
                message=body,
                recipients=[email],
                about=f"report {report.pk} comment {comment.pk}",
            )
    except Exception:
        ReportComment.objects.filter(pk=comment_id).update(emailed_at=None)
        raise
    return sent
