"""The history of API tokens (django-rest-knox's ``AuthToken``): who was issued a token, and
who revoked it, when. Like every audited row, a full snapshot per change; a token's row holds
only its hash and first characters, never the token."""

from knox.models import AuthToken
from simple_history import register

register(AuthToken, app="evaluation", table_name="evaluation_historicalauthtoken")
