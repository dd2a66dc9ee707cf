"""Versioned rulesets: the rules, weights, floors and grade bands of a programme."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from evaluation.exceptions import FrozenRulesetError
from evaluation.models.programmes import Indicator, Programme
from evaluation.vocabulary import Grade, grade_word, rule_kind_choices, rule_kind_label


class Ruleset(models.Model):
    """Indicators, floors, weights, grade bands and release tiers of a programme, versioned.

    Once a run has used a version it is frozen (``frozen_at``): an edit makes a new version.
    The highest published version is the programme's current ruleset; a draft (``is_draft``)
    is not, whatever its number, until it is published."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="rulesets")
    version = models.PositiveIntegerField()
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    frozen_at = models.DateTimeField(null=True, blank=True)
    # A draft is edited and compared with the published version (what-if) but never becomes
    # current, and no run uses it, until it is published (``services.drafts``).
    is_draft = models.BooleanField(
        default=False,
        help_text=_(
            "A draft is edited and compared, never used by a run, until an administrator "
            "publishes it."
        ),
    )
    rectification_below = models.CharField(
        max_length=20,
        choices=Grade.choices,
        blank=True,
        default=Grade.GOOD,
        help_text=_(
            "Cities graded below this grade in a finalised official run must rectify (整改) "
            "every indicator they fell short on; empty: none."
        ),
    )
    rectification_days = models.PositiveSmallIntegerField(
        default=90,
        help_text=_("Days after the run is finalised that a rectification item is due."),
    )
    # The optional parts (programme-rules.md, "Beyond the output indicators"): the one weight
    # a city's chosen optional tasks share, and the thresholds of the dual monitoring.
    optional_task_weight = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        default=Decimal(0),
        help_text=_(
            "Points the optional tasks a city chose share equally (0 when the ruleset has no "
            "optional task)."
        ),
    )
    deviation_attainment = models.DecimalField(
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.50"),
        help_text=_(
            "Dual monitoring: a city whose attainment so far is below this share of the path "
            "to its target is flagged."
        ),
    )
    # The verified-values part (spot checks): off, the ruleset ignores spot checks.
    spot_checks = models.BooleanField(
        default=False,
        help_text=_(
            "The ruleset reads the spot checks' verified values (the verified-values part)."
        ),
    )
    tolerance = models.DecimalField(
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.05"),
        help_text=_(
            "A verified value within this share of the claimed value lets the claimed value "
            "stand (0.05 is 5%)."
        ),
    )
    deduction = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        default=Decimal(0),
        help_text=_(
            "Points taken once from an indicator whose verified values replaced claimed ones."
        ),
    )
    deviation_execution = models.DecimalField(
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.50"),
        help_text=_(
            "Dual monitoring: a city whose spending so far is below this share of its plan "
            "is flagged."
        ),
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["programme__code", "version"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "version"], name="ruleset_version_unique"),
            models.CheckConstraint(condition=Q(version__gte=1), name="ruleset_version_positive"),
            models.CheckConstraint(
                condition=Q(is_draft=False) | Q(frozen_at__isnull=True),
                name="ruleset_draft_never_used_by_a_run",
            ),
            models.CheckConstraint(
                condition=Q(rectification_days__gte=1), name="ruleset_rectification_days_positive"
            ),
            models.CheckConstraint(
                condition=Q(optional_task_weight__gte=0, optional_task_weight__lte=100),
                name="ruleset_optional_task_weight_range",
            ),
            models.CheckConstraint(
                condition=Q(
                    tolerance__gte=0, tolerance__lte=1, deduction__gte=0, deduction__lte=100
                ),
                name="ruleset_tolerance_a_share_and_deduction_in_points",
            ),
            models.CheckConstraint(
                condition=Q(deviation_attainment__gte=0, deviation_attainment__lte=1)
                & Q(deviation_execution__gte=0, deviation_execution__lte=1),
                name="ruleset_deviation_thresholds_are_shares",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"{self.programme.code}-v{self.version}"

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None


class RulesetPart(models.Model):
    """A row of a ruleset. Saving or deleting one of a frozen ruleset is refused, whoever asks
    (a service, the admin or the shell)."""

    ruleset: models.ForeignKey[Ruleset, Ruleset]

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        self._refuse_if_frozen()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        self._refuse_if_frozen()
        return super().delete(*args, **kwargs)

    def _refuse_if_frozen(self) -> None:
        ruleset_id = self.ruleset_id  # type: ignore[attr-defined]
        if (
            ruleset_id is not None
            and Ruleset.objects.filter(pk=ruleset_id, frozen_at__isnull=False).exists()
        ):
            raise FrozenRulesetError(self.ruleset)


class IndicatorRuleQuerySet(models.QuerySet["IndicatorRule"]):
    def reported(self) -> IndicatorRuleQuerySet:
        """The rules of indicators cities report period by period (not the budget execution,
        scored from the money spent): what a report, its form and the metrics files hold."""
        return self.filter(indicator__reported=True)


class IndicatorRule(RulesetPart):
    ruleset = models.ForeignKey(Ruleset, on_delete=models.CASCADE, related_name="rules")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=rule_kind_choices)
    floor = models.DecimalField(
        max_digits=14,
        decimal_places=4,
        help_text=_("National floor: a growth fraction (0.20), or a count over the programme."),
    )
    weight = models.DecimalField(max_digits=6, decimal_places=2)

    objects = IndicatorRuleQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["ruleset", "indicator__position"]
        constraints = [
            models.UniqueConstraint(fields=["ruleset", "indicator"], name="indicator_rule_unique"),
            models.CheckConstraint(condition=Q(floor__gt=0), name="indicator_rule_floor_positive"),
            models.CheckConstraint(
                condition=Q(weight__gte=0, weight__lte=100), name="indicator_rule_weight_range"
            ),
        ]

    def __str__(self) -> str:
        # In the reader's words (the admin's inline rows, messages): the indicator by name.
        try:
            kind = rule_kind_label(self.kind)
        except ValueError:
            kind = self.kind
        return gettext("%(ruleset)s: %(indicator)s (%(kind)s, weight %(weight)s)") % {
            "ruleset": self.ruleset,
            "indicator": self.indicator,
            "kind": kind,
            "weight": self.weight,
        }


class GradeBand(RulesetPart):
    """A grade, the lowest total that reaches it, and the share of the remaining amount that it
    releases (the release tier)."""

    ruleset = models.ForeignKey(Ruleset, on_delete=models.CASCADE, related_name="bands")
    grade = models.CharField(max_length=20, choices=Grade.choices)
    min_score = models.DecimalField(max_digits=5, decimal_places=2)
    release_share = models.DecimalField(max_digits=5, decimal_places=4)

    history = HistoricalRecords()

    class Meta:
        ordering = ["ruleset", "-min_score"]
        constraints = [
            models.UniqueConstraint(fields=["ruleset", "grade"], name="grade_band_grade_unique"),
            models.UniqueConstraint(fields=["ruleset", "min_score"], name="grade_band_min_unique"),
            models.CheckConstraint(
                condition=Q(min_score__gte=0, min_score__lte=100), name="grade_band_min_score_range"
            ),
            models.CheckConstraint(
                condition=Q(release_share__gte=0, release_share__lte=1),
                name="grade_band_release_share_range",
            ),
        ]

    def __str__(self) -> str:
        return gettext("%(grade)s from %(min_score)s: %(share)s") % {
            "grade": grade_word(self.grade),
            "min_score": self.min_score,
            "share": f"{self.release_share:%}",
        }


class RulesetTask(RulesetPart):
    """A task of the implementation plan the expert panel scores: a compulsory one (the same
    for every city) with its own weight, or an optional one, which a city may choose and which
    shares the ruleset's ``optional_task_weight`` with the other optional tasks the city chose.
    Its code and names are its entry in the catalogue (``Indicator``, not reported), under
    which a run stores its result."""

    ruleset = models.ForeignKey(Ruleset, on_delete=models.CASCADE, related_name="tasks")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    compulsory = models.BooleanField(default=True)
    weight = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["ruleset", "-compulsory", "position", "indicator__code"]
        constraints = [
            models.UniqueConstraint(fields=["ruleset", "indicator"], name="ruleset_task_unique"),
            models.CheckConstraint(
                condition=Q(compulsory=True, weight__gte=0, weight__lte=100)
                | Q(compulsory=False, weight__isnull=True),
                name="ruleset_task_compulsory_has_its_weight_optional_none",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ruleset}: {self.indicator}"
