"""Evaluation runs, their results, and the sign-off of the tranche decisions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from evaluation import access, selectors, workflow
from evaluation.admin.common import NothingToSave, _each, _user
from evaluation.admin.history import HistoryAdmin
from evaluation.models import (
    CityResult,
    EvaluationRun,
    IndicatorResult,
    RunChunk,
    TrancheDecision,
)
from evaluation.run_progress import run_progress
from evaluation.scoring.rules import show
from evaluation.services import decisions
from evaluation.services.recovery import evaluation_run_restart


class SignOffFilter(admin.SimpleListFilter):
    """Where decisions stand for sign-off; by default those awaiting it (the default applies to
    what is shown: an action acts on whatever was selected)."""

    title = _("sign-off")
    parameter_name = "sign_off"
    AWAITING, SIGNED, NOT_FOR_SIGN_OFF, ALL = "awaiting", "signed", "not_for_sign_off", "all"
    STATES = {
        AWAITING: (workflow.SignOff.OPEN, workflow.SignOff.OWN_RUN, workflow.SignOff.SUSPENDED),
        SIGNED: (workflow.SignOff.SIGNED,),
        NOT_FOR_SIGN_OFF: (
            workflow.SignOff.PROVISIONAL,
            workflow.SignOff.UNFINISHED,
            workflow.SignOff.OTHER_RUN_SIGNED,
            workflow.SignOff.SUPERSEDED,
        ),
    }

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            (self.AWAITING, _("awaiting sign-off")),
            (self.SIGNED, _("signed off")),
            (self.NOT_FOR_SIGN_OFF, _("not for sign-off (provisional or superseded runs)")),
            (self.ALL, _("all")),
        ]

    def choices(self, changelist: Any) -> Any:
        chosen = self.value() or self.AWAITING
        for value, label in self.lookup_choices:
            yield {
                "selected": chosen == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        chosen = self.value()
        if chosen == self.ALL or (chosen is None and request.method != "GET"):
            return queryset
        return queryset.filter(sign_off__in=self.STATES.get(chosen or self.AWAITING, ()))


class RunFilter(admin.SimpleListFilter):
    title = _("evaluation run")
    parameter_name = "run"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        runs = (
            EvaluationRun.objects.filter(city_results__isnull=False)
            .distinct()
            .order_by("-created_at", "-id")
            .values_list("pk", "programme__code", "as_of", "kind")
        )
        kinds: dict[str, Any] = {
            EvaluationRun.Kind.OFFICIAL: _("official"),
            EvaluationRun.Kind.PROVISIONAL: _("provisional"),
        }
        return [
            (str(pk), f"#{pk} · {programme} · {as_of.isoformat()} · {kinds[kind]}")
            for pk, programme, as_of, kind in runs
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if not self.value():
            return queryset
        if not (self.value() or "").isdigit():
            return queryset.none()
        return queryset.filter(city_result__run_id=self.value())


@admin.register(TrancheDecision)
class TrancheDecisionAdmin(NothingToSave, HistoryAdmin):
    history_key = "decision"
    list_display = [
        "city",
        "run",
        "recommended_decision",
        "recommended",
        "sign_off",
        "final",
        "decided_by",
    ]
    list_filter = [SignOffFilter, RunFilter, "recommended_decision", "city_result__run__programme"]
    actions = ["confirm", "override"]
    readonly_fields = [
        "sign_off" if f.name == "status" else f.name for f in TrancheDecision._meta.fields
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[TrancheDecision]:
        return selectors.decisions_sign_off(
            super()
            .get_queryset(request)
            .select_related("city_result__participation__city", "city_result__run", "decided_by"),
            by=_user(request),
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("sign-off"), ordering="sign_off")
    def sign_off(self, decision: TrancheDecision) -> str:
        state = getattr(decision, "sign_off", None)
        if state == workflow.SignOff.SIGNED:
            return decision.get_status_display()
        return str(workflow.SignOff(state).label) if state else ""

    @admin.display(description=_("city"))
    def city(self, decision: TrancheDecision) -> str:
        return str(decision.city_result.participation.city)

    # Yuan as the reasons and documents write them: 50,000,000.00, not 50000000.00.
    @admin.display(
        description=TrancheDecision._meta.get_field("recommended_amount").verbose_name,
        ordering="recommended_amount",
    )
    def recommended(self, decision: TrancheDecision) -> str:
        return show(decision.recommended_amount)

    @admin.display(
        description=TrancheDecision._meta.get_field("final_amount").verbose_name,
        ordering="final_amount",
    )
    def final(self, decision: TrancheDecision) -> str:
        return "" if decision.final_amount is None else show(decision.final_amount)

    @admin.display(description=_("evaluation run"))
    def run(self, decision: TrancheDecision) -> str:
        return f"#{decision.city_result.run_id}"

    @admin.action(description=_("Confirm the recommended decisions"), permissions=["change"])
    def confirm(self, request: HttpRequest, queryset: QuerySet[TrancheDecision]) -> None:
        _each(
            request,
            queryset,
            lambda d: decisions.decision_confirm(decision=d, by=_user(request)),
            gettext("Confirmed"),
        )

    @admin.action(
        description=_("Override a decision (amount and reason required)"),
        permissions=["change"],
    )
    def override(self, request: HttpRequest, queryset: QuerySet[TrancheDecision]) -> Any:
        if queryset.count() != 1:
            messages.error(request, gettext("Override one decision at a time."))
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
                gettext("Overridden"),
            )
            return None
        return TemplateResponse(
            request,
            "admin/evaluation/reason.html",
            {
                **self.admin_site.each_context(request),
                "title": gettext("Override the decision for %(city)s")
                % {"city": decision.city_result.participation.city},
                "objects": queryset,
                "form": form,
                "action": "override",
                "opts": self.model._meta,
            },
        )


class OverrideForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount"), max_digits=14, decimal_places=2, min_value=Decimal(0)
    )
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )


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

    @admin.display(description=_("city"))
    def city_link(self, result: CityResult) -> str:
        return str(result.participation.city)

    @admin.display(description=_("decision"))
    def decision_summary(self, result: CityResult) -> str:
        d = result.decision
        return (
            f"{d.get_recommended_decision_display()} {show(d.recommended_amount)} "
            f"({d.get_status_display()})"
        )


class RunChunkInline(admin.TabularInline):
    """The run's plan: each chunk's cities, whether it is stored, its deliveries and error."""

    model = RunChunk
    fields = ("number", "cities", "status", "deliveries", "last_delivered_at", "last_error")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = _("chunk of the plan")
    verbose_name_plural = _("the plan: chunks of cities")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Part of the run's page: whoever may see the run sees its plan.
        return access.is_reviewer(request.user)

    @admin.display(description=_("cities"))
    def cities(self, chunk: RunChunk) -> str:
        return ", ".join(chunk.city_codes)


@admin.register(EvaluationRun)
class EvaluationRunAdmin(NothingToSave, HistoryAdmin):
    history_key = "run"
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
        "failure",
    ]
    list_filter = ["programme", "kind", "status"]
    readonly_fields = [f.name for f in EvaluationRun._meta.fields] + [
        "progress",
        "duration",
        "waiting_for",
    ]
    inlines = [RunChunkInline, CityResultInline]
    actions = ["compare", "restart"]

    @admin.display(description=_("why it failed"))
    def failure(self, run: EvaluationRun) -> str:
        first = run.error.splitlines()[0] if run.error else ""
        return first if len(first) <= 120 else first[:119] + "…"

    @admin.display(description=_("waiting for"))
    def waiting_for(self, run: EvaluationRun) -> str:
        return run_progress(run=run).waiting_for or "—"

    def has_restart_permission(self, request: HttpRequest) -> bool:
        return access.is_reviewer(request.user)

    @admin.action(description=_("Restart the selected failed runs"), permissions=["restart"])
    def restart(self, request: HttpRequest, queryset: QuerySet[EvaluationRun]) -> None:
        _each(
            request,
            queryset,
            lambda run: evaluation_run_restart(run=run, by=_user(request)),
            gettext("Restarted"),
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("progress"))
    def progress(self, run: EvaluationRun) -> str:
        return run.progress

    @admin.display(description=_("seconds"))
    def duration(self, run: EvaluationRun) -> str:
        seconds = run.duration_seconds
        return "—" if seconds is None else f"{seconds:.2f}"

    @admin.action(description=_("Compare two runs"))
    def compare(self, request: HttpRequest, queryset: QuerySet[EvaluationRun]) -> Any:
        """The comparison is a page of the reports app (linked by name: evaluation does not
        import reports)."""
        ids = list(queryset.values_list("pk", flat=True))
        if len(ids) != 2:
            messages.error(request, gettext("Select exactly two runs to compare."))
            return None
        return HttpResponseRedirect(
            reverse("reports_admin:run-comparison") + "?" + urlencode([("runs", i) for i in ids])
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
class CityResultAdmin(NothingToSave):
    list_display = ["participation", "run", "score", "grade"]
    list_filter = ["run__programme", "grade"]
    readonly_fields = ["run", "participation", "score", "grade", "release_share", "reason"]
    inlines = [IndicatorResultInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
