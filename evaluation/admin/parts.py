"""The optional parts of a ruleset in the reviewers' admin: the cities' planned spending and
their expenditure (reviewed like reports), the optional tasks each city chose, the expert
panel (who scores which city, and the city each expert belongs to), the experts' scores and
the payment suspensions. Every change goes through the services (``services.money``,
``services.panel``), which check and record it; the pages only show and ask."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from evaluation import access
from evaluation.admin.common import PeriodColumn, TaskFilter, _ask_reason, _each, _user
from evaluation.admin.history import HistoryAdmin
from evaluation.exceptions import Forbidden, WorkflowError
from evaluation.models import (
    Expenditure,
    ExpertProfile,
    PanelAssignment,
    PaymentSuspension,
    SpendingPlan,
    TaskChoice,
    TaskScore,
)
from evaluation.services import money, panel


def _refusal_text(exc: WorkflowError | Forbidden) -> str:
    if isinstance(exc, WorkflowError):
        return "; ".join(str(e.reason) for e in exc.errors)
    return str(exc)


class ReviewersSee(admin.ModelAdmin):
    """Reviewers see these pages; only administrators add or remove rows, through the
    services; nobody edits a row in place."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return access.is_reviewer(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.is_reviewer(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return access.is_administrator(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.is_administrator(request.user)


# The money --------------------------------------------------------------------------------------


class SpendingPlanForm(forms.ModelForm):
    """A year's planned spending, checked and saved by ``services.money.plan_set``."""

    class Meta:
        model = SpendingPlan
        fields = ["participation", "year", "planned"]

    def __init__(self, *args: Any, by: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.by = by

    def validate_unique(self) -> None:
        """A year given again changes that year's plan (the service's call)."""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        participation, year = data.get("participation"), data.get("year")
        if participation is not None and year is not None:
            why = money.plan_year_error(programme=participation.programme, year=year)
            if why is not None:
                self.add_error("year", why)
        return data


@admin.register(SpendingPlan)
class SpendingPlanAdmin(ReviewersSee, HistoryAdmin):
    history_key = "spendingplan"
    list_display = ["participation", "year", "planned"]
    list_filter = ["participation__programme", "year"]
    search_fields = ["participation__city__code", "participation__city__name_zh"]
    form = SpendingPlanForm

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        user = _user(request)

        class WithUser(form):  # type: ignore[valid-type,misc]
            def __init__(self, *args: Any, **kw: Any) -> None:
                super().__init__(*args, by=user, **kw)

        return WithUser

    def save_model(self, request: HttpRequest, obj: SpendingPlan, form: Any, change: bool) -> None:
        try:
            saved = money.plan_set(
                participation=obj.participation,
                year=obj.year,
                planned=str(obj.planned),
                by=_user(request),
            )
        except (WorkflowError, Forbidden) as exc:
            messages.error(request, _refusal_text(exc))
            return
        obj.pk = saved.pk


@admin.register(Expenditure)
class ExpenditureAdmin(PeriodColumn, ReviewersSee, HistoryAdmin):
    """Expenditure to review, as reports are: approve, return with a comment, reopen with a
    reason; nothing is edited here (the city enters it, files load it)."""

    history_key = "expenditure"

    list_display = ["city", "programme", "period", "amount", "status", "submitted_at"]
    list_filter = ["status", "participation__programme", "participation__city", "year"]
    search_fields = ["participation__city__code", "participation__city__name_zh"]
    actions = ["approve", "return_to_city", "reopen"]
    readonly_fields = fields = (
        "participation",
        "period",
        "amount",
        "evidence",
        "evidence_link",
        "status",
        "version",
        "submitted_by",
        "submitted_at",
        "reviewed_by",
        "reviewed_at",
        "review_comment",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_review_permission(self, request: HttpRequest) -> bool:
        return access.is_reviewer(request.user)

    def get_urls(self) -> list[URLPattern]:
        evidence = path(
            "<int:pk>/evidence/",
            self.admin_site.admin_view(self.evidence_view),
            name="evaluation_expenditure_evidence",
        )
        return [evidence, *super().get_urls()]

    def evidence_view(self, request: HttpRequest, pk: int) -> FileResponse:
        """The evidence file, to reviewers only (never a public file)."""
        if not access.is_reviewer(request.user):
            raise PermissionDenied
        expenditure = Expenditure.objects.filter(pk=pk).first()
        if expenditure is None or not expenditure.evidence_file:
            raise Http404
        return FileResponse(
            expenditure.evidence_file.open("rb"),
            as_attachment=True,
            filename=expenditure.evidence_file.name.rsplit("/", 1)[-1],
        )

    @admin.display(description=_("city"), ordering="participation__city__code")
    def city(self, expenditure: Expenditure) -> str:
        return str(expenditure.participation.city)

    @admin.display(description=_("programme"), ordering="participation__programme__code")
    def programme(self, expenditure: Expenditure) -> str:
        return expenditure.participation.programme.code

    @admin.display(description=_("evidence file"))
    def evidence_link(self, expenditure: Expenditure) -> str:
        if not expenditure.evidence_file:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:evaluation_expenditure_evidence", args=[expenditure.pk]),
            gettext("download"),
        )

    @admin.action(description=_("Approve selected expenditure"), permissions=["review"])
    def approve(self, request: HttpRequest, queryset: QuerySet[Expenditure]) -> None:
        _each(
            request,
            queryset,
            lambda e: money.expenditure_approve(expenditure=e, by=_user(request)),
            _("Approved"),
        )

    @admin.action(
        description=_("Return selected expenditure to the city (comment required)"),
        permissions=["review"],
    )
    def return_to_city(self, request: HttpRequest, queryset: QuerySet[Expenditure]) -> Any:
        return _ask_reason(
            self,
            request,
            queryset,
            title=_("Return expenditure to the city"),
            label=_("What should the city fix?"),
            action="return_to_city",
            apply=lambda e, text: money.expenditure_return(
                expenditure=e, comment=text, by=_user(request)
            ),
            verb=_("Returned"),
        )

    @admin.action(
        description=_("Reopen selected approved expenditure (reason required)"),
        permissions=["review"],
    )
    def reopen(self, request: HttpRequest, queryset: QuerySet[Expenditure]) -> Any:
        return _ask_reason(
            self,
            request,
            queryset,
            title=_("Reopen approved expenditure"),
            label=_("Why reopen?"),
            action="reopen",
            apply=lambda e, text: money.expenditure_reopen(
                expenditure=e, reason=text, by=_user(request)
            ),
            verb=_("Reopened"),
        )


# Tasks and the expert panel ------------------------------------------------------------------


@admin.register(TaskChoice)
class TaskChoiceAdmin(ReviewersSee, HistoryAdmin):
    """A city's optional tasks: adding or removing one goes through the choices service (at
    least one, optional ones of the current ruleset, not one already scored)."""

    history_key = "taskchoice"

    list_display = ["participation", "task"]
    list_filter = ["participation__programme", TaskFilter]
    search_fields = ["participation__city__code", "participation__city__name_zh"]

    def _set(self, request: HttpRequest, obj: TaskChoice, codes: set[str]) -> bool:
        try:
            panel.task_choices_set(participation=obj.participation, tasks=codes, by=_user(request))
        except (WorkflowError, Forbidden) as exc:
            messages.error(request, _refusal_text(exc))
            return False
        return True

    def _chosen(self, obj: TaskChoice) -> set[str]:
        return set(
            TaskChoice.objects.filter(participation=obj.participation).values_list(
                "task__code", flat=True
            )
        )

    def save_model(self, request: HttpRequest, obj: TaskChoice, form: Any, change: bool) -> None:
        if self._set(request, obj, self._chosen(obj) | {obj.task.code}):
            found = TaskChoice.objects.get(participation=obj.participation, task=obj.task)
            obj.pk = found.pk

    def delete_model(self, request: HttpRequest, obj: TaskChoice) -> None:
        self._set(request, obj, self._chosen(obj) - {obj.task.code})

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[TaskChoice]) -> None:
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(PanelAssignment)
class PanelAssignmentAdmin(ReviewersSee, HistoryAdmin):
    """Which experts score which city: given and taken through the panel service (an expert,
    never for their own city)."""

    history_key = "panelassignment"

    list_display = ["expert", "participation", "assigned_by", "assigned_at"]
    list_filter = ["participation__programme", "expert"]
    fields = ["participation", "expert"]

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> forms.ModelChoiceField | None:
        if db_field.name == "expert":
            kwargs["queryset"] = User.objects.filter(groups__name=access.EXPERTS)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(
        self, request: HttpRequest, obj: PanelAssignment, form: Any, change: bool
    ) -> None:
        try:
            panel.expert_assign(
                expert=obj.expert, participation=obj.participation, by=_user(request)
            )
        except (WorkflowError, Forbidden) as exc:
            messages.error(request, _refusal_text(exc))
            return
        obj.pk = PanelAssignment.objects.get(expert=obj.expert, participation=obj.participation).pk

    def delete_model(self, request: HttpRequest, obj: PanelAssignment) -> None:
        panel.expert_unassign(expert=obj.expert, participation=obj.participation, by=_user(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[PanelAssignment]) -> None:
        for obj in queryset:
            self.delete_model(request, obj)


class ExpertProfileForm(forms.ModelForm):
    class Meta:
        model = ExpertProfile
        fields = ["user", "home_city"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        user, city = data.get("user"), data.get("home_city")
        if (
            user is not None
            and city is not None
            and PanelAssignment.objects.filter(expert=user, participation__city=city).exists()
        ):
            raise ValidationError(
                gettext("%(expert)s is assigned to score %(city)s: unassign them first")
                % {"expert": user.username, "city": city.code}
            )
        return data


@admin.register(ExpertProfile)
class ExpertProfileAdmin(ReviewersSee, HistoryAdmin):
    history_key = "expertprofile"
    list_display = ["user", "home_city"]
    form = ExpertProfileForm

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.is_administrator(request.user)

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> forms.ModelChoiceField | None:
        if db_field.name == "user":
            kwargs["queryset"] = User.objects.filter(groups__name=access.EXPERTS)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: ExpertProfile, form: Any, change: bool) -> None:
        saved = panel.expert_home_city_set(expert=obj.user, city=obj.home_city, by=_user(request))
        obj.pk = saved.pk


@admin.register(TaskScore)
class TaskScoreAdmin(ReviewersSee, HistoryAdmin):
    """The experts' scores, named, for the reviewers; experts score on their own pages."""

    history_key = "taskscore"

    list_display = ["participation", "task", "expert", "score", "scored_at"]
    list_filter = ["participation__programme", TaskFilter, "expert"]
    readonly_fields = ["participation", "task", "expert", "score", "comment", "scored_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PaymentSuspension)
class PaymentSuspensionAdmin(ReviewersSee, HistoryAdmin):
    """Suspensions of payments, with who suspended and who lifted them (the monitoring page
    suspends and lifts)."""

    history_key = "paymentsuspension"

    list_display = ["participation", "suspended_by", "suspended_at", "lifted_by", "lifted_at"]
    list_filter = ["participation__programme"]
    readonly_fields = fields = (
        "participation",
        "reason",
        "suspended_by",
        "suspended_at",
        "lifted_by",
        "lifted_at",
        "lift_reason",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
