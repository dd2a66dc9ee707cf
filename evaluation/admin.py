"""The ministry's admin. Every action calls the same services as the API, so the same rules,
permissions and audit rows apply; reviewers see what their role allows."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from evaluation import access, scoring
from evaluation.admin_files import FilesAdminMixin
from evaluation.models import (
    CityResult,
    EvaluationRun,
    GradeBand,
    Indicator,
    IndicatorResult,
    IndicatorRule,
    MetricValue,
    OfficialAssignment,
    Participation,
    Programme,
    Report,
    Ruleset,
    Target,
    TrancheDecision,
)
from evaluation.scoring import Granularity, Period, PeriodError
from evaluation.selectors import NoRuleset, ruleset_current
from evaluation.services import decisions, reports
from evaluation.services.reports import WorkflowError


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _each(
    request: HttpRequest, objects: QuerySet[Any], act: Callable[[Any], Any], verb: str
) -> None:
    """Apply a service to every selected object; report each success and refusal."""
    done = 0
    for obj in objects:
        try:
            act(obj)
            done += 1
        except (WorkflowError, access.Forbidden, access.NotFound) as exc:
            messages.error(request, f"{obj}: {exc}")
    if done:
        messages.success(request, f"{verb} {done} of {len(objects)}.")


class ReasonForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 60}), required=True)


def _ask_reason(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[Any],
    *,
    title: str,
    label: str,
    action: str,
    apply: Callable[[Any, str], Any],
    verb: str,
) -> HttpResponse | None:
    """An intermediate page asking for the comment or reason an action requires."""
    form = ReasonForm(request.POST if "apply" in request.POST else None)
    form.fields["text"].label = label
    if "apply" in request.POST and form.is_valid():
        _each(request, queryset, lambda obj: apply(obj, form.cleaned_data["text"]), verb)
        return None
    return TemplateResponse(
        request,
        "admin/evaluation/reason.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "objects": queryset,
            "form": form,
            "action": action,
            "opts": modeladmin.model._meta,
        },
    )


class FlaggedFilter(admin.SimpleListFilter):
    title = "data-quality flag"
    parameter_name = "flagged"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "flagged"), ("no", "not flagged")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(has_flag=True)
        if self.value() == "no":
            return queryset.filter(has_flag=False)
        return queryset


class PeriodFilter(admin.SimpleListFilter):
    title = "period"
    parameter_name = "period"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        periods = {
            Period(year, Granularity(granularity), number)
            for year, granularity, number in model_admin.get_queryset(request)
            .values_list("year", "granularity", "number")
            .distinct()
        }
        return [(p.label, p.label) for p in sorted(periods, reverse=True)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if not self.value():
            return queryset
        try:
            period = Period.parse(self.value() or "")
        except PeriodError:
            return queryset.none()
        return queryset.filter(
            year=period.year, granularity=str(period.granularity), number=period.number
        )


@admin.register(Report)
class ReportAdmin(SimpleHistoryAdmin):
    """The review queue: submitted reports first; each shows its values beside the same period
    a year earlier, and any flags."""

    list_display = ["city", "programme", "period", "status", "due_date", "submitted_at", "flag"]
    list_filter = [
        "status",
        "participation__programme",
        "participation__city",
        PeriodFilter,
        "year",
        "granularity",
        FlaggedFilter,
    ]
    search_fields = ["participation__city__code", "participation__city__name_en"]
    actions = ["approve", "return_to_city", "reopen"]
    readonly_fields = [
        "participation",
        "period",
        "status",
        "version",
        "due_date",
        "submitted_by",
        "submitted_at",
        "reviewed_by",
        "reviewed_at",
        "review_comment",
        "values_table",
    ]
    fields = readonly_fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Report]:
        flagged = MetricValue.objects.filter(report=OuterRef("pk")).exclude(flag="")
        return access.reports_for(request.user).annotate(has_flag=Exists(flagged))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(ordering="participation__city__code")
    def city(self, report: Report) -> str:
        return str(report.participation.city)

    @admin.display(ordering="participation__programme__code")
    def programme(self, report: Report) -> str:
        return report.participation.programme.code

    @admin.display(boolean=True)
    def flag(self, report: Report) -> bool:
        return bool(getattr(report, "has_flag", False))

    @admin.display(description="values (beside the same period a year earlier)")
    def values_table(self, report: Report) -> str:
        earlier = {
            v.indicator_id: v
            for v in MetricValue.objects.filter(
                city_id=report.participation.city_id,
                year=report.year - 1,
                granularity=report.granularity,
                number=report.number,
            )
        }
        rows = [
            (
                v.indicator.code,
                v.value,
                v.status,
                earlier[v.indicator_id].value if v.indicator_id in earlier else "—",
                v.flag or "",
            )
            for v in report.values.select_related("indicator").order_by("indicator__position")
        ]
        return format_html(
            "<table><tr><th>indicator</th><th>value</th><th>status</th><th>a year earlier</th>"
            "<th>flag</th></tr>{}</table>",
            format_html_join(
                "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows
            ),
        )

    @admin.action(description="Approve selected reports", permissions=["change"])
    def approve(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        _each(
            request,
            queryset,
            lambda r: reports.report_approve(report=r, by=_user(request)),
            "Approved",
        )

    @admin.action(
        description="Return selected reports to the city (comment required)", permissions=["change"]
    )
    def return_to_city(self, request: HttpRequest, queryset: QuerySet[Report]) -> Any:
        return _ask_reason(
            self,
            request,
            queryset,
            title="Return reports to the city",
            label="What should the city fix?",
            action="return_to_city",
            apply=lambda r, text: reports.report_return(report=r, comment=text, by=_user(request)),
            verb="Returned",
        )

    @admin.action(
        description="Reopen selected approved reports (reason required)", permissions=["change"]
    )
    def reopen(self, request: HttpRequest, queryset: QuerySet[Report]) -> Any:
        return _ask_reason(
            self,
            request,
            queryset,
            title="Reopen approved reports",
            label="Why reopen?",
            action="reopen",
            apply=lambda r, text: reports.report_reopen(report=r, reason=text, by=_user(request)),
            verb="Reopened",
        )


@admin.register(TrancheDecision)
class TrancheDecisionAdmin(SimpleHistoryAdmin):
    list_display = [
        "city",
        "run",
        "recommended_decision",
        "recommended_amount",
        "status",
        "final_amount",
        "decided_by",
    ]
    list_filter = ["status", "recommended_decision", "city_result__run__programme"]
    actions = ["confirm", "override"]
    readonly_fields = [f.name for f in TrancheDecision._meta.fields]

    def get_queryset(self, request: HttpRequest) -> QuerySet[TrancheDecision]:
        return (  # type: ignore[no-any-return]
            super()
            .get_queryset(request)
            .select_related("city_result__participation__city", "city_result__run", "decided_by")
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def city(self, decision: TrancheDecision) -> str:
        return str(decision.city_result.participation.city)

    def run(self, decision: TrancheDecision) -> str:
        return f"#{decision.city_result.run_id}"

    @admin.action(description="Confirm the recommended decisions", permissions=["change"])
    def confirm(self, request: HttpRequest, queryset: QuerySet[TrancheDecision]) -> None:
        _each(
            request,
            queryset,
            lambda d: decisions.decision_confirm(decision=d, by=_user(request)),
            "Confirmed",
        )

    @admin.action(
        description="Override a decision (amount and reason required)", permissions=["change"]
    )
    def override(self, request: HttpRequest, queryset: QuerySet[TrancheDecision]) -> Any:
        if queryset.count() != 1:
            messages.error(request, "Override one decision at a time.")
            return None
        decision = queryset.get()
        form = OverrideForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            _each(
                request,
                queryset,
                lambda d: decisions.decision_override(
                    decision=d,
                    amount=form.cleaned_data["amount"],
                    reason=form.cleaned_data["reason"],
                    by=_user(request),
                ),
                "Overridden",
            )
            return None
        return TemplateResponse(
            request,
            "admin/evaluation/reason.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Override the decision for {decision.city_result.participation.city}",
                "objects": queryset,
                "form": form,
                "action": "override",
                "opts": self.model._meta,
            },
        )


class OverrideForm(forms.Form):
    amount = forms.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal(0))
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 60}))


class CityResultInline(admin.TabularInline):
    model = CityResult
    fields = ("city_link", "score", "grade", "decision_summary", "reason")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[CityResult]:
        return super().get_queryset(request).select_related("participation__city", "decision")

    @admin.display(description="city")
    def city_link(self, result: CityResult) -> str:
        return str(result.participation.city)

    @admin.display(description="decision")
    def decision_summary(self, result: CityResult) -> str:
        d = result.decision
        return f"{d.recommended_decision} {d.recommended_amount:,.2f} ({d.status})"


@admin.register(EvaluationRun)
class EvaluationRunAdmin(SimpleHistoryAdmin):
    list_display = [
        "id",
        "programme",
        "as_of",
        "kind",
        "status",
        "progress",
        "ruleset",
        "triggered_by",
        "created_at",
        "duration",
        "finalised_at",
    ]
    list_filter = ["programme", "kind", "status"]
    readonly_fields = [f.name for f in EvaluationRun._meta.fields] + ["progress", "duration"]
    inlines = [CityResultInline]
    actions = ["compare"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="seconds")
    def duration(self, run: EvaluationRun) -> str:
        seconds = run.duration_seconds
        return "—" if seconds is None else f"{seconds:.2f}"

    @admin.action(description="Compare two runs")
    def compare(self, request: HttpRequest, queryset: QuerySet[EvaluationRun]) -> Any:
        from reports.comparison import runs_compare

        runs = list(queryset.order_by("created_at", "id"))
        if len(runs) != 2:
            messages.error(request, "Select exactly two runs to compare.")
            return None
        return TemplateResponse(
            request,
            "admin/evaluation/compare.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Run #{runs[0].pk} compared with run #{runs[1].pk}",
                "comparison": runs_compare(before=runs[0], after=runs[1]),
                "opts": self.model._meta,
            },
        )


class IndicatorResultInline(admin.TabularInline):
    model = IndicatorResult
    fields = (
        "indicator",
        "status",
        "actual",
        "target",
        "target_source",
        "attainment",
        "points",
        "weight",
        "base_value",
        "final_value",
        "reason",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CityResult)
class CityResultAdmin(admin.ModelAdmin):
    list_display = ["participation", "run", "score", "grade"]
    list_filter = ["run__programme", "grade"]
    readonly_fields = ["run", "participation", "score", "grade", "release_share", "reason"]
    inlines = [IndicatorResultInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _refuse_structural_edits(formset: forms.BaseInlineFormSet, movable: set[str]) -> None:
    """A ruleset a run has used becomes a new version with changed numbers; rows added or
    removed, or other fields changed, cannot be carried over and are refused, not dropped."""
    ruleset = formset.instance
    if (
        ruleset.pk is None
        or not Ruleset.objects.filter(pk=ruleset.pk, frozen_at__isnull=False).exists()
    ):
        return
    for form in formset.forms:
        if not form.has_changed():
            continue
        if not form.instance.pk or form.cleaned_data.get("DELETE"):
            raise forms.ValidationError(
                "this ruleset has been used by a run: its next version may change numbers only; "
                "add or remove rows on a ruleset no run has used"
            )
        if set(form.changed_data) - movable:
            raise forms.ValidationError(
                f"this ruleset has been used by a run: only {', '.join(sorted(movable))} may change"
            )


def _kept_rows(formset: forms.BaseInlineFormSet) -> list[dict[str, Any]]:
    """The cleaned rows the formset will keep (filled in, not marked for deletion)."""
    return [
        f.cleaned_data for f in formset.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")
    ]


class IndicatorRuleFormSet(forms.BaseInlineFormSet):
    """The scoring core's rules for a ruleset's indicators (weights add up to 100…)."""

    def clean(self) -> None:
        super().clean()
        _refuse_structural_edits(self, {"weight", "floor"})
        problems = scoring.engine.check_indicator_rules(
            [
                scoring.IndicatorRule(
                    indicator=data["indicator"].code,
                    kind=data["kind"],
                    floor=data["floor"],
                    weight=data["weight"],
                )
                for data in _kept_rows(self)
            ]
        )
        if problems:
            raise forms.ValidationError(problems)


class GradeBandFormSet(forms.BaseInlineFormSet):
    """The scoring core's rules for grade bands (one starts at 0…)."""

    def clean(self) -> None:
        super().clean()
        _refuse_structural_edits(self, {"min_score", "release_share"})
        problems = scoring.engine.check_bands(
            [
                scoring.GradeBand(
                    grade=data["grade"],
                    min_score=data["min_score"],
                    release_share=data["release_share"],
                )
                for data in _kept_rows(self)
            ]
        )
        if problems:
            raise forms.ValidationError(problems)


class IndicatorRuleInline(admin.TabularInline):
    model = IndicatorRule
    formset = IndicatorRuleFormSet
    fields = ["indicator", "kind", "floor", "weight"]
    extra = 0


class GradeBandInline(admin.TabularInline):
    model = GradeBand
    formset = GradeBandFormSet
    fields = ["grade", "min_score", "release_share"]
    extra = 0


@admin.register(Ruleset)
class RulesetAdmin(SimpleHistoryAdmin):
    """Editing a ruleset a run has used saves the edit as a new version instead."""

    list_display = ["label", "programme", "version", "frozen_at", "created_at"]
    list_filter = ["programme"]
    inlines = [IndicatorRuleInline, GradeBandInline]
    readonly_fields = ["frozen_at", "created_at", "created_by"]

    def save_model(self, request: HttpRequest, obj: Ruleset, form: Any, change: bool) -> None:
        if change and obj.is_frozen:
            return  # the edit becomes a new version in save_related
        if not change:
            obj.created_by = _user(request)
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        ruleset: Ruleset = form.instance
        if not (change and ruleset.is_frozen):
            super().save_related(request, form, formsets, change)
            return
        from evaluation.services.rulesets import ruleset_revise

        weights: dict[str, Decimal] = {}
        floors: dict[str, Decimal] = {}
        shares: dict[str, Decimal] = {}
        mins: dict[str, Decimal] = {}
        for formset in formsets:
            for row in formset.forms:
                if not row.has_changed() or not row.instance.pk:
                    continue
                data = row.cleaned_data
                if formset.model is IndicatorRule:
                    weights[row.instance.indicator.code] = data["weight"]
                    floors[row.instance.indicator.code] = data["floor"]
                else:
                    shares[row.instance.grade] = data["release_share"]
                    mins[row.instance.grade] = data["min_score"]
        for formset in formsets:
            # Nothing of the frozen version is saved; the admin's change message reads these.
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        new = ruleset_revise(
            ruleset=Ruleset.objects.get(pk=ruleset.pk),
            by=_user(request),
            weights=weights,
            floors=floors,
            release_shares=shares,
            min_scores=mins,
            notes=form.cleaned_data.get("notes", ""),
        )
        self._new_version = new
        messages.info(
            request,
            f"{ruleset.label} has been used by a run and cannot change: your edit was saved as "
            f"{new.label}.",
        )

    def response_change(self, request: HttpRequest, obj: Ruleset) -> HttpResponse:
        new = getattr(self, "_new_version", None)
        if new is not None:
            del self._new_version
            return HttpResponseRedirect(reverse("admin:evaluation_ruleset_change", args=[new.pk]))
        return super().response_change(request, obj)  # type: ignore[no-any-return]


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
                form.add_error("indicator", "not scored by the programme's ruleset")
            elif value < rule.floor:
                form.add_error("value", f"below the national floor {rule.floor.normalize():f}")


class TargetInline(admin.TabularInline):
    model = Target
    formset = TargetFormSet
    fields = ["indicator", "value"]
    extra = 0


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
        for field, low, high in (
            ("total_amount", programme.total_amount_min, programme.total_amount_max),
            ("first_tranche", programme.first_tranche_min, programme.first_tranche_max),
        ):
            value = data.get(field)
            if value is not None and not low <= value <= high:
                self.add_error(field, f"outside programme {programme.code}'s range {low}-{high}")
        total, first = data.get("total_amount"), data.get("first_tranche")
        if total is not None and first is not None and first > total:
            self.add_error("first_tranche", "the first tranche exceeds the total")
        return data


@admin.register(Participation)
class ParticipationAdmin(SimpleHistoryAdmin):
    form = ParticipationForm
    list_display = ["city", "programme", "total_amount", "first_tranche", "remaining"]
    list_filter = ["programme"]
    search_fields = ["city__code", "city__name_en"]
    inlines = [TargetInline, OfficialInline]

    def remaining(self, participation: Participation) -> str:
        return f"{participation.remaining_amount:,.2f}"


@admin.register(Programme)
class ProgrammeAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "baseline_year", "construction_years", "midterm_as_of"]
    actions = ["evaluate_now"]

    def has_evaluate_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("evaluation.add_evaluationrun"))

    @admin.action(
        description="Run the mid-term evaluation now (official)", permissions=["evaluate"]
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
                    f"Run #{run.pk} of {programme.code} as of {run.as_of} is queued; its status "
                    "shows under Evaluation runs.",
                )


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ["code", "name_en", "name_zh", "unit", "position"]


@admin.register(MetricValue)
class MetricValueAdmin(FilesAdminMixin, SimpleHistoryAdmin):
    list_display = ["city", "indicator", "period", "value", "status", "flag"]
    list_filter = ["status", "indicator", "year", "granularity"]
    search_fields = ["city__code", "city__name_en"]
    readonly_fields = [f.name for f in MetricValue._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Values change through reports and imports, which check and record them.
        return False


@admin.register(Target)
class TargetAdmin(SimpleHistoryAdmin):
    """Targets are edited with their participation; here they are listed with their history."""

    list_display = ["participation", "indicator", "value"]
    list_filter = ["participation__programme", "indicator"]
    search_fields = ["participation__city__code", "participation__city__name_en"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(OfficialAssignment)
class OfficialAssignmentAdmin(SimpleHistoryAdmin):
    list_display = ["user", "participation"]
    list_filter = ["participation__programme"]
    search_fields = ["user__username", "participation__city__code"]
