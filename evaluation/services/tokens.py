"""API tokens: expiring, stored hashed (django-rest-knox), listed and revoked by their owner,
each issue and revocation recorded in the token's history with who did it.

A token is shown once, when it is issued; the database keeps only its hash and its first
characters (``token_key``), by which its owner recognises and revokes it.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from knox.models import AuthToken, get_digest_token
from knox.settings import CONSTANTS, knox_settings

from evaluation.reasons import history_reason
from evaluation.services.audit import audited_delete, audited_save


@transaction.atomic
def token_issue(*, user: User) -> tuple[AuthToken, str]:
    """A new token for ``user``, expiring after ``API_TOKEN_TTL_DAYS``; returns the row and the
    token itself (which is not stored). Built as knox's manager builds it, so that the history
    row names the user."""
    digest, token = get_digest_token()
    row = AuthToken(
        digest=digest,
        token_key=token[: CONSTANTS.TOKEN_KEY_LENGTH],
        user=user,
        expiry=timezone.now() + knox_settings.TOKEN_TTL,
    )
    audited_save(
        row, by=user, reason=history_reason("token_issued"), clean=False, force_insert=True
    )
    return row, str(token)


@transaction.atomic
def token_revoke(*, token_key: str, by: User) -> bool:
    """Revoke ``by``'s own token that starts with ``token_key``; another user's is never
    touched. Whether one was revoked."""
    found = list(AuthToken.objects.filter(user=by, token_key=token_key))
    for token in found:
        audited_delete(token, by=by, reason=history_reason("token_revoked"))
    return bool(found)


@transaction.atomic
def token_revoke_current(*, token: AuthToken, by: User) -> None:
    """Signing out: the token of the request is revoked."""
    audited_delete(token, by=by, reason=history_reason("token_signed_out"))
