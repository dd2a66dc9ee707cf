"""API tokens: expiring, stored hashed (django-rest-knox), listed and revoked by their owner.

A token is shown once, when it is issued; the database keeps only its hash and its first
characters (``token_key``), by which its owner recognises and revokes it.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from knox.models import AuthToken


@transaction.atomic
def token_issue(*, user: User) -> tuple[AuthToken, str]:
    """A new token for ``user``, expiring after ``API_TOKEN_TTL_DAYS``; returns the row and the
    token itself (which is not stored)."""
    row, token = AuthToken.objects.create(user=user)
    return row, str(token)


def token_list(*, fetched_by: User) -> QuerySet[AuthToken]:
    """The user's own tokens that still work, newest first."""
    live: QuerySet[AuthToken] = AuthToken.objects.filter(
        Q(expiry__isnull=True) | Q(expiry__gt=timezone.now()), user=fetched_by
    ).order_by("-created", "token_key")
    return live


@transaction.atomic
def token_revoke(*, token_key: str, by: User) -> bool:
    """Revoke ``by``'s own token that starts with ``token_key``; another user's is never
    touched. Whether one was revoked."""
    deleted: int = AuthToken.objects.filter(user=by, token_key=token_key).delete()[0]
    return deleted > 0


@transaction.atomic
def token_revoke_current(*, token: AuthToken) -> None:
    token.delete()
