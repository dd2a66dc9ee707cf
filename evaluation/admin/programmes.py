"""Programmes, participations with their money, targets and officials, the indicators."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from evaluation.admin.common import IndicatorFilter, _user, indicator_words, person
from evaluation.admin.history import HistoryAdmin
from evaluation.exceptions import NoRuleset
from evaluation.inputs import amount_errors, name_error, target_floor_error
from evaluation.models import (
    EvaluationRun,
    Indicator,
    OfficialAssignment,
    Participation,
    Programme,
    Target,
)
from evaluation.scoring.rules import show
from evaluation.selectors import ruleset_current


class TargetFormSet(forms.BaseInlineFormSet):
    """The same rule as the targets file: never below the national floor of the programme's
    current ruleset. Checked on the formset, which knows the participation even when it is
    being added."""

    def clean(self) -> None:
        super().clean()
        programme = getattr(self.instance, "programme", None)
        kept = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        if programme is None or not kept:
            return
        try:
            rules = {
                rule.indicator_id: rule for rule in ruleset_current(programme=programme).rules.all()
            }
        except NoRuleset as exc:
            raise forms.ValidationError(str(exc)) from None
        for form in kept:
            indicator, value = form.cleaned_data.get("indicator"), form.cleaned_data.get("value")
            if indicator is None or value is None:
                continue
            rule = rules.get(indicator.pk)
            if rule is None:
                form.add_error("indicator", gettext("not scored by the programme's ruleset"))
            elif (
                below := target_floor_error(floor=rule.floor, value=value, kind=rule.kind)
            ) is not None:
                form.add_error("value", below)


class TargetInline(admin.TabularInline):
    model = Target
    formset = TargetFormSet
    fields = ["indicator", "value"]
    extra = 0

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "indicator" and field is not None:
            field.label_from_instance = indicator_words  # type: ignore[method-assign,assignment]
        return field


class OfficialInline(admin.TabularInline):
    model = OfficialAssignment
    extra = 0


class ParticipationForm(forms.ModelForm):
    """The same rules as the cities file: amounts inside the programme's range."""

    class Meta:
        model = Participation
        fields = ["programme", "city", "total_amount", "first_tranche"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        programme = data.get("programme")
        if programme is None:
            return data
        for field, why in amount_errors(
            programme=programme, total=data.get("total_amount"), first=data.get("first_tranche")
        ):
            self.add_error(field, why)
        return data


@admin.register(Participation)
class ParticipationAdmin(HistoryAdmin):
    history_key = "participation"
    form = ParticipationForm
    list_display = ["city", "programme", "total", "first", "remaining"]
    list_filter = ["programme"]
    search_fields = ["city__code", "city__name_en"]
    inlines = [TargetInline, OfficialInline]

    # Yuan as the reasons and documents write them: 150,000,000.00.
    @admin.display(
        description=Participation._meta.get_field("total_amount").verbose_name,
        ordering="total_amount",
    )
    def total(self, participation: Participation) -> str:
        return show(participation.total_amount)

    @admin.display(
        description=Participation._meta.get_field("first_tranche").verbose_name,
        ordering="first_tranche",
    )
    def first(self, participation: Participation) -> str:
        return show(participation.first_tranche)

    @admin.display(description=_("remaining"))
    def remaining(self, participation: Participation) -> str:
        return show(participation.remaining_amount)


@admin.register(Programme)
class ProgrammeAdmin(HistoryAdmin):
    history_key = "programme"
    list_display = ["code", "title", "baseline_year", "construction_years", "midterm_as_of"]

    @admin.display(description=_("name"), ordering="name")
    def title(self, programme: Programme) -> str:
        """The programme's name in the reader's language when it is the shipped one."""
        if programme.name == f"{programme.code} batch of key cities for IP operation services":
            return gettext("%(code)s batch of key cities for IP operation services") % {
                "code": programme.code
            }
        return programme.name

    actions = ["evaluate_now"]

    def has_evaluate_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("evaluation.add_evaluationrun"))

    @admin.action(
        description=_("Run the mid-term evaluation now (official)"), permissions=["evaluate"]
    )
    def evaluate_now(self, request: HttpRequest, queryset: QuerySet[Programme]) -> None:
        from evaluation.services.runs import evaluation_run_request

        for programme in queryset:
            try:
                run = evaluation_run_request(
                    programme=programme,
                    trigger=EvaluationRun.Trigger.ADMIN,
                    by=_user(request),
                )
            except NoRuleset as exc:
                messages.error(request, str(exc))
            else:
                messages.success(
                    request,
                    gettext(
                        "Run #%(run)s of %(programme)s as of %(as_of)s is queued; its status "
                        "shows under Evaluation runs."
                    )
                    % {"run": run.pk, "programme": programme.code, "as_of": run.as_of},
                )


class IndicatorForm(forms.ModelForm):
    """Names and unit words follow the names' rules (``inputs.name_error``): they go into
    every spreadsheet, chart and email."""

    class Meta:
        model = Indicator
        fields = [
            "code",
            "name_en",
            "name_zh",
            "unit",
            "unit_zh",
            "unit_en",
            "unit_en_one",
            "position",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for field in ("name_en", "name_zh", "unit_zh", "unit_en", "unit_en_one"):
            text = data.get(field)
            if text and (why := name_error(str(text))) is not None:
                self.add_error(field, why)
        return data


@admin.register(Indicator)
class IndicatorAdmin(HistoryAdmin):
    form = IndicatorForm
    history_key = "indicator"
    list_display = [
        "code",
        "name_en",
        "name_zh",
        "unit",
        "unit_zh",
        "unit_en",
        "unit_en_one",
        "position",
    ]


@admin.register(Target)
class TargetAdmin(HistoryAdmin):
    """Targets are edited with their participation; here they are listed with their history."""

    history_key = "target"

    list_display = ["participation", "indicator_words", "value"]
    list_filter = ["participation__programme", IndicatorFilter]

    @admin.display(description=_("indicator"), ordering="indicator__position")
    def indicator_words(self, target: Target) -> str:
        return indicator_words(target.indicator)

    search_fields = ["participation__city__code", "participation__city__name_en"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(OfficialAssignment)
class OfficialAssignmentAdmin(HistoryAdmin):
    history_key = "officialassignment"
    list_display = ["official", "participation"]
    list_filter = ["participation__programme"]

    @admin.display(description=_("official"), ordering="user__last_name")
    def official(self, assignment: OfficialAssignment) -> str:
        return person(assignment.user)

    search_fields = ["user__username", "participation__city__code"]
