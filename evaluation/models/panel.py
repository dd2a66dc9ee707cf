"""The tasks of a city's plan and the expert panel that scores them (专家评审): the optional
tasks each city chose, which experts score which city, and their scores."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from evaluation.models.cities import City
from evaluation.models.programmes import Indicator, Participation


class TaskChoice(models.Model):
    """An optional task a city chose in its implementation plan (compulsory tasks need none)."""

    participation = models.ForeignKey(
        Participation, on_delete=models.PROTECT, related_name="task_choices"
    )
    task = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")

    history = HistoricalRecords()

    class Meta:
        ordering = ["participation", "task__code"]
        constraints = [
            models.UniqueConstraint(fields=["participation", "task"], name="task_choice_once"),
        ]

    def __str__(self) -> str:
        return f"{self.participation}: {self.task}"


class ExpertProfile(models.Model):
    """What is known of an expert beyond the role: the city they belong to (its government,
    a university or firm there), whose tasks they may never score. A city they are an
    official of is their own city too."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="expert_profile"
    )
    home_city = models.ForeignKey(
        City, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"{self.user} ({self.home_city or '—'})"


class PanelAssignment(models.Model):
    """An expert of a programme's panel assigned to score a city's tasks."""

    participation = models.ForeignKey(Participation, on_delete=models.PROTECT, related_name="panel")
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="panel_assignments"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assigned_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["participation", "expert__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["participation", "expert"], name="panel_assignment_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.expert} → {self.participation}"


class TaskScore(models.Model):
    """An expert's score of one of a city's tasks, from 0 to 1 with two decimals, and why.
    A run reads the scores there are when it runs; a score a finalised run read no longer
    changes."""

    participation = models.ForeignKey(
        Participation, on_delete=models.PROTECT, related_name="task_scores"
    )
    task = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="task_scores"
    )
    score = models.DecimalField(max_digits=3, decimal_places=2)
    comment = models.TextField(blank=True)
    scored_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["participation", "task__code", "expert__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["participation", "task", "expert"], name="task_score_once_per_expert"
            ),
            models.CheckConstraint(
                condition=Q(score__gte=0, score__lte=1), name="task_score_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participation}: {self.task} {self.expert} {self.score}"
