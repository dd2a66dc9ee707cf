"""The reviewers' admin index: what awaits the person reading it."""

from __future__ import annotations

from typing import Any

from django import template
from django.contrib.auth.models import User
from django.utils import timezone

from evaluation import access, selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def reviewer_todo(context: dict[str, Any]) -> selectors.ReviewerTodo | None:
    """The reviewer's to-do counts; nothing for anyone else."""
    user = context["request"].user
    if not isinstance(user, User) or not access.is_reviewer(user):
        return None
    return selectors.reviewer_todo(by=user, today=timezone.localdate())
