"""What could not be sent: emails given up (a header no mail server takes, an address refused)
and outbox tasks that failed by themselves. Read-only, for the reviewers to see who was not
told, instead of the system trying again for ever."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from evaluation.access import is_reviewer
from evaluation.models import OutboxTask, UndeliveredEmail


class ReadOnlyForReviewers(admin.ModelAdmin):
    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_reviewer(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_reviewer(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(UndeliveredEmail)
class UndeliveredEmailAdmin(ReadOnlyForReviewers):
    list_display = ["created_at", "recipients", "subject", "about", "error"]
    search_fields = ["recipients", "subject", "about"]


@admin.register(OutboxTask)
class OutboxTaskAdmin(ReadOnlyForReviewers):
    """The tasks the outbox gave up (the ones still pending are sent every minute)."""

    list_display = ["given_up_at", "task", "kwargs", "attempts", "last_error"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[OutboxTask]:
        return super().get_queryset(request).filter(given_up_at__isnull=False)
