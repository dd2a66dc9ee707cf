"""API tokens in the admin: django-rest-knox registers a page of its own that issues tokens
with no expiry and lets their expiry be cleared. Ours only lists them (by their first
characters and owner) and revokes them; tokens are issued through the API
(``evaluation.services.tokens``), always with an expiry."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from knox import admin as knox_admin  # noqa: F401  (registers knox's page, replaced here)
from knox.models import AuthToken

admin.site.unregister(AuthToken)


@admin.register(AuthToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["token_key", "user", "created", "expiry"]
    list_select_related = ["user"]
    search_fields = ["token_key", "user__username"]
    fields = readonly_fields = ("token_key", "user", "created", "expiry")
    ordering = ["-created"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
