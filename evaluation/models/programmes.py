"""Programmes (batches), the cities taking part with their money, officials and committed
targets, and the indicator catalogue."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Programme(models.Model):
    """A batch of key cities (2018, 2019, 2020…) with its own years and sums."""

    code = models.CharField(max_length=20, unique=True, help_text=_('e.g. "2020"'))
    name = models.CharField(max_length=200)
    baseline_year = models.PositiveSmallIntegerField(
        help_text=_("The year before construction starts (2019 for the 2020 batch).")
    )
    construction_years = models.PositiveSmallIntegerField(default=3)
    midterm_as_of = models.DateField(help_text=_("The as-of date of the mid-term evaluation."))
    # The central funds per city, in yuan. Where the notice gives one sum (2020: 150 million,
    # 100 million first) min equals max and it is each city's default; where it gives a range
    # (2019: 150-200 million) each city's own amounts are imported and must lie inside it.
    total_amount_min = models.DecimalField(max_digits=14, decimal_places=2)
    total_amount_max = models.DecimalField(max_digits=14, decimal_places=2)
    first_tranche_min = models.DecimalField(max_digits=14, decimal_places=2)
    first_tranche_max = models.DecimalField(max_digits=14, decimal_places=2)
    release_basis = models.TextField(
        blank=True, help_text=_("How the rest of the money is released, as the notice says.")
    )
    is_active = models.BooleanField(default=True)
    midterm_grace_days = models.PositiveSmallIntegerField(
        default=45,
        help_text=_(
            "The scheduled official mid-term run starts this many days after the as-of "
            "date, so the last reports can still be submitted and approved."
        ),
    )
    report_due_day = models.PositiveSmallIntegerField(
        default=15, help_text=_("A period's report is due on this day of the following month.")
    )
    quality_factor = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal(3),
        help_text=_(
            "A submitted value this many times above or below the same period a year "
            "earlier is flagged for the reviewer."
        ),
    )

    provincial_review = models.BooleanField(
        _("provincial review"),
        default=False,
        help_text=_(
            "The province reviews each city's reports and self-evaluation (省级复核) and "
            "forwards them to the ministry with its opinion before the ministry reviews them."
        ),
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(construction_years__gte=1), name="programme_construction_years_positive"
            ),
            models.CheckConstraint(
                condition=Q(baseline_year__gte=1990, baseline_year__lte=2100),
                name="programme_baseline_year_plausible",
            ),
            models.CheckConstraint(
                condition=Q(report_due_day__gte=1, report_due_day__lte=28),
                name="programme_report_due_day_in_month",
            ),
            models.CheckConstraint(
                condition=Q(quality_factor__gt=1), name="programme_quality_factor"
            ),
            models.CheckConstraint(
                condition=Q(total_amount_min__gte=0)
                & Q(total_amount_max__gte=F("total_amount_min"))
                & Q(first_tranche_min__gte=0)
                & Q(first_tranche_max__gte=F("first_tranche_min"))
                & Q(first_tranche_max__lte=F("total_amount_max")),
                name="programme_amount_ranges_ordered",
            ),
        ]

    def __str__(self) -> str:
        # In the reader's language: the name is one text, as the notice has it, not translated.
        return gettext("%(code)s batch") % {"code": self.code}

    @property
    def has_fixed_amounts(self) -> bool:
        return (
            self.total_amount_min == self.total_amount_max
            and self.first_tranche_min == self.first_tranche_max
        )


class Participation(models.Model):
    """A city's place in a programme, with its own money (in yuan)."""

    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="participations"
    )
    city = models.ForeignKey("City", on_delete=models.PROTECT, related_name="participations")
    total_amount = models.DecimalField(max_digits=14, decimal_places=2)
    first_tranche = models.DecimalField(max_digits=14, decimal_places=2)

    history = HistoricalRecords()

    class Meta:
        ordering = ["programme__code", "city__code"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "city"], name="participation_unique"),
            models.CheckConstraint(
                condition=Q(first_tranche__gte=0) & Q(total_amount__gte=F("first_tranche")),
                name="participation_first_tranche_within_total",
            ),
        ]

    def __str__(self) -> str:
        return gettext("%(city)s in %(programme)s") % {
            "city": self.city,
            "programme": self.programme.code,
        }

    @property
    def remaining_amount(self) -> Decimal:
        """What the mid-term evaluation decides on: total less the first tranche."""
        return self.total_amount - self.first_tranche


class OfficialAssignment(models.Model):
    """A city official bound to a city's participation; a city may have several officials and
    an official several cities."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments"
    )
    participation = models.ForeignKey(
        Participation, on_delete=models.CASCADE, related_name="officials"
    )

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "participation"], name="official_unique"),
        ]

    def __str__(self) -> str:
        return gettext("%(user)s for %(participation)s") % {
            # By name (the login only for someone with no name recorded).
            "user": self.user.get_full_name() or self.user.get_username(),
            "participation": self.participation,
        }


class Indicator(models.Model):
    """An entry of the indicator catalogue. How it is scored is a rule of a ruleset."""

    class Unit(models.TextChoices):
        COUNT = "count", _("count (whole number)")
        AMOUNT = "amount", _("amount in 10,000 yuan (万元)")
        # The budget execution's money, and an expert panel's score of a task (0 to 1).
        YUAN = "yuan", _("amount in yuan (元)")
        SCORE = "score", _("expert panel score (0 to 1)")

    code = models.SlugField(max_length=50, unique=True)
    name_en = models.CharField(_("English name"), max_length=200)
    name_zh = models.CharField(_("Chinese name"), max_length=100)
    unit = models.CharField(max_length=10, choices=Unit.choices)
    unit_zh = models.CharField(
        "unit word (Chinese)", max_length=10, blank=True, help_text=_("e.g. 万元, 件, 项, 家, 个")
    )
    unit_en = models.CharField(
        "unit word (English)", max_length=30, blank=True, help_text=_("e.g. 10k yuan, SMEs")
    )
    unit_en_one = models.CharField(
        "unit word for one (English)",
        max_length=30,
        blank=True,
        help_text=_("e.g. SME: written after a figure of exactly 1 (the plain word otherwise)"),
    )
    position = models.PositiveSmallIntegerField(default=0)
    reported = models.BooleanField(
        default=True,
        help_text=_(
            "Cities report its figures period by period; not so the budget execution and the "
            "tasks, which are scored from the money spent and the experts' scores."
        ),
    )
    # Who renamed an indicator or changed its unit, and when; the portal's cached pages also
    # know from it that their words changed (``cities.selectors.standing_version``).
    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "code"]

    def __str__(self) -> str:
        # By its name in the reader's language, wherever it is shown (choices, lists, titles,
        # messages); what machines read (API fields, files, the ledger) names it by ``code``.
        from evaluation.vocabulary import indicator_name

        return indicator_name(self) or self.name_zh or self.code

    @property
    def decimal_places(self) -> int:
        return 0 if self.unit == self.Unit.COUNT else 2


class Target(models.Model):
    """A target a city committed to in its implementation plan. Growth targets are fractions
    (0.25 is 25%); cumulative targets are totals over the whole programme."""

    participation = models.ForeignKey(
        Participation, on_delete=models.CASCADE, related_name="targets"
    )
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    value = models.DecimalField(max_digits=14, decimal_places=4)

    history = HistoricalRecords()

    class Meta:
        ordering = ["participation", "indicator__position"]
        constraints = [
            models.UniqueConstraint(fields=["participation", "indicator"], name="target_unique"),
            models.CheckConstraint(condition=Q(value__gt=0), name="target_positive"),
        ]

    def __str__(self) -> str:
        from evaluation.vocabulary import indicator_name

        return f"{self.participation}: {indicator_name(self.indicator)} {self.value}"
