"""Sending the project's emails (reviews, reminders): one line of subject whatever the names
in it, and an email that can never be sent as it is given up and recorded for the reviewers
(``UndeliveredEmail``, in the admin) rather than tried again for ever. A failure that may pass
(the mail server down) is raised for the task's bounded retries."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Sequence

from django.core import mail

from evaluation.inputs import CONTROL
from evaluation.models import UndeliveredEmail

log = logging.getLogger(__name__)


def mail_subject(text: str) -> str:
    """A subject on one line: a line break in a name (entered before names refused them) would
    make every email about it fail."""
    return " ".join(CONTROL.sub(" ", text).split())[:300]


def _permanent(exc: Exception) -> bool:
    """A failure that sending again cannot cure."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused | smtplib.SMTPSenderRefused):
        return True
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    if isinstance(exc, OSError):
        return False  # the server could not be reached: it may be back soon
    return isinstance(exc, ValueError | UnicodeError | TypeError)


def mail_send(*, subject: str, message: str, recipients: Sequence[str], about: str) -> bool:
    """Send one email; ``False`` when it was given up (and recorded), ``about`` saying what
    it was about for the reviewer who reads the record."""
    subject = mail_subject(subject)
    try:
        mail.send_mail(
            subject=subject, message=message, from_email=None, recipient_list=list(recipients)
        )
    except Exception as exc:
        if not _permanent(exc):
            raise
        log.warning("email %r to %s given up: %s", subject, recipients, exc)
        UndeliveredEmail.objects.create(
            recipients=", ".join(recipients),
            subject=subject,
            about=about[:200],
            error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        return False
    return True
