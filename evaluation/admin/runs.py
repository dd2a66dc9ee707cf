"""Evaluation runs, their results, and the sign-off of the tranche decisions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from evaluation import access, figures, selectors, wording, workflow
from evaluation.admin.common import NothingToSave, _each, _user, person, when
from evaluation.admin.history import HistoryAdmin
from evaluation.exceptions import Forbidden, WorkflowError
from evaluation.models import (
    CityResult,
    EvaluationRun,
    IndicatorResult,
    Programme,
    RunChunk,
    TrancheDecision,
)
from evaluation.run_progress import run_progress
from evaluation.scoring.rules import show
from evaluation.services import decisions
from evaluation.services.recovery import evaluation_run_restart
from evaluation.services.runs import evaluation_run_request
from evaluation.vocabulary import grade_word, indicator_name, indicator_unit


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
            (
                str(pk),
                gettext("#%(run)s · programme %(programme)s · %(as_of)s · %(kind)s")
                % {
                    "run": pk,
                    "programme": programme,
                    "as_of": as_of.isoformat(),
                    "kind": kinds[kind],
                },
            )
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
    """The sign-off: amounts in yuan (元) throughout, as the decisions, their reasons and the
    decision record keep them (10,000 yuan beside where it helps the eye)."""

    history_key = "decision"
    list_display = [
        "city",
        "run",
        "grade",
        "recommended_decision",
        "recommended",
        "sign_off",
        "final",
        "decided_by_name",
    ]
    list_filter = [SignOffFilter, RunFilter, "recommended_decision", "city_result__run__programme"]
    actions = ["confirm", "override"]
    fields = readonly_fields = (
        "city",
        "run_link",
        "grade",
        "remaining",
        "recommended_decision",
        "recommended",
        "reason_words",
        "sign_off",
        "final_decision",
        "final",
        "decided_by_name",
        "decided_when",
        "override_reason",
    )
    change_form_template = "admin/evaluation/nothing_to_save_change_form.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[TrancheDecision]:
        return selectors.decisions_sign_off(
            super()
            .get_queryset(request)
            .select_related(
                "city_result__participation__city", "city_result__run__programme", "decided_by"
            ),
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

    @admin.display(description=_("city"), ordering="city_result__participation__city__code")
    def city(self, decision: TrancheDecision) -> str:
        return str(decision.city_result.participation.city)

    @admin.display(description=_("score and grade"), ordering="city_result__score")
    def grade(self, decision: TrancheDecision) -> str:
        return grade_words(decision.city_result)

    @admin.display(description=_("remaining amount (yuan)"), ordering="remaining_amount")
    def remaining(self, decision: TrancheDecision) -> str:
        return yuan(decision.remaining_amount)

    @admin.display(description=_("recommended amount (yuan)"), ordering="recommended_amount")
    def recommended(self, decision: TrancheDecision) -> str:
        return yuan(decision.recommended_amount)

    @admin.display(description=_("final amount (yuan)"), ordering="final_amount")
    def final(self, decision: TrancheDecision) -> str:
        return "—" if decision.final_amount is None else yuan(decision.final_amount)

    @admin.display(description=_("decided by"), ordering="decided_by__last_name")
    def decided_by_name(self, decision: TrancheDecision) -> str:
        return person(decision.decided_by)

    @admin.display(description=_("decided at"), ordering="decided_at")
    def decided_when(self, decision: TrancheDecision) -> str:
        return when(decision.decided_at)

    @admin.display(description=_("reason"))
    def reason_words(self, decision: TrancheDecision) -> str:
        return wording.decision_reason(decision.city_result)

    @admin.display(description=_("evaluation run"), ordering="city_result__run_id")
    def run(self, decision: TrancheDecision) -> str:
        return f"#{decision.city_result.run_id}"

    @admin.display(description=_("evaluation run"))
    def run_link(self, decision: TrancheDecision) -> str:
        run = decision.city_result.run
        url = reverse("admin:evaluation_evaluationrun_change", args=[run.pk])
        return format_html('<a href="{}">{}</a>', url, run)

    @admin.action(
        description=_("Sign off: confirm the recommended decisions"), permissions=["change"]
    )
    def confirm(self, request: HttpRequest, queryset: QuerySet[TrancheDecision]) -> Any:
        """A page listing what would be signed (each city, its grade, the amount, the total) and
        what cannot be; only its button signs. Afterwards: what changed, and each finalised
        run's decision record."""
        chosen = list(queryset.order_by("city_result__participation__city__code"))
        if "apply" not in request.POST:
            signable = [d for d in chosen if sign_off_refusal_words(d) == ""]
            refused = [(d, words) for d in chosen if (words := sign_off_refusal_words(d))]
            if not signable:
                # Nothing to confirm: say why each cannot be signed, on the list.
                for decision, words in refused:
                    messages.error(
                        request,
                        gettext("%(object)s: %(reason)s")
                        % {"object": decision.city_result.participation.city, "reason": words},
                    )
                return None
            return TemplateResponse(
                request,
                "admin/evaluation/sign_off_confirmation.html",
                {
                    **self.admin_site.each_context(request),
                    "title": gettext("Sign off these decisions?"),
                    "rows": [
                        {
                            "decision": d,
                            "city": d.city_result.participation.city,
                            "grade": grade_words(d.city_result),
                            "words": d.get_recommended_decision_display(),
                            "amount": yuan(d.recommended_amount),
                            "wan": wan(d.recommended_amount),
                        }
                        for d in signable
                    ],
                    "refused": refused,
                    "total": yuan(sum((d.recommended_amount for d in signable), Decimal(0))),
                    "total_wan": wan(sum((d.recommended_amount for d in signable), Decimal(0))),
                    "action": "confirm",
                    "opts": self.model._meta,
                    "media": self.media,
                },
            )
        runs = {d.city_result.run_id for d in chosen}
        already = set(
            EvaluationRun.objects.filter(pk__in=runs, finalised_at__isnull=False).values_list(
                "pk", flat=True
            )
        )
        signed: list[TrancheDecision] = []
        for decision in chosen:
            try:
                signed.append(decisions.decision_confirm(decision=decision, by=_user(request)))
            except (WorkflowError, Forbidden) as exc:
                messages.error(request, refusal_words(decision, exc))
        if signed:
            messages.success(
                request,
                ngettext(
                    "Signed off %(count)d decision as recommended: %(total)s yuan in all.",
                    "Signed off %(count)d decisions as recommended: %(total)s yuan in all.",
                    len(signed),
                )
                % {
                    "count": len(signed),
                    "total": show(sum((d.final_amount or Decimal(0) for d in signed), Decimal(0))),
                },
            )
        finalised_now(request, runs, already)
        return None

    @admin.action(
        description=_("Override a decision (amount in yuan and reason required)"),
        permissions=["change"],
    )
    def override(self, request: HttpRequest, queryset: QuerySet[TrancheDecision]) -> Any:
        if queryset.count() != 1:
            messages.error(request, gettext("Override one decision at a time."))
            return None
        decision = queryset.get()
        runs = {decision.city_result.run_id}
        already = set(
            EvaluationRun.objects.filter(pk__in=runs, finalised_at__isnull=False).values_list(
                "pk", flat=True
            )
        )
        form = OverrideForm(
            request.POST if "apply" in request.POST else None,
            remaining=decision.remaining_amount,
        )
        if "apply" in request.POST and form.is_valid():
            try:
                decisions.decision_override(
                    decision=decision,
                    amount=form.cleaned_data["amount"],
                    reason=form.cleaned_data["reason"],
                    by=_user(request),
                )
            except (WorkflowError, Forbidden) as exc:
                messages.error(request, refusal_words(decision, exc))
                return None
            messages.success(
                request,
                gettext("Overridden: %(decision)s; now %(amount)s yuan.")
                % {"decision": decision.city_result, "amount": show(form.cleaned_data["amount"])},
            )
            finalised_now(request, runs, already)
            return None
        return TemplateResponse(
            request,
            "admin/evaluation/override.html",
            {
                **self.admin_site.each_context(request),
                "title": gettext("Override the decision for %(city)s")
                % {"city": decision.city_result.participation.city},
                "decision": decision,
                "grade": grade_words(decision.city_result),
                "recommended": yuan(decision.recommended_amount),
                "remaining": yuan(decision.remaining_amount),
                "remaining_wan": wan(decision.remaining_amount),
                "form": form,
                "action": "override",
                "opts": self.model._meta,
            },
        )


def yuan(amount: Decimal) -> str:
    """An amount in yuan as the decisions write it, with its unit: 30,000,000.00 元."""
    return gettext("%(amount)s yuan") % {"amount": show(amount)}


def wan(amount: Decimal) -> str:
    """The same amount in 10,000 yuan (万元), as the portal writes money."""
    return gettext("%(amount)s 10,000 yuan") % {"amount": figures.money(amount, figures.WAN)}


def grade_words(result: CityResult) -> str:
    return gettext("%(score)s points, %(grade)s") % {
        "score": result.score,
        "grade": grade_word(result.grade),
    }


def sign_off_refusal_words(decision: TrancheDecision) -> str:
    refusal = workflow.sign_off_refusal(
        getattr(decision, "sign_off", workflow.SignOff.OPEN),
        status_word=decision.get_status_display(),
        signed_run=getattr(decision, "signed_run", None),
        newer_run=getattr(decision, "newer_run", None),
    )
    return refusal.reason if refusal is not None else ""


def refusal_words(decision: TrancheDecision, exc: WorkflowError | Forbidden) -> str:
    reason = "; ".join(e.reason for e in exc.errors) if isinstance(exc, WorkflowError) else str(exc)
    return gettext("%(object)s: %(reason)s") % {
        "object": decision.city_result.participation.city,
        "reason": reason,
    }


def finalised_now(request: HttpRequest, runs: set[int], already: set[int]) -> None:
    """Say which runs the sign-off finalised, each with a link to its decision record."""
    for run in EvaluationRun.objects.filter(pk__in=runs - already, finalised_at__isnull=False):
        messages.success(
            request,
            format_html(
                '{} <a href="{}">{}</a>',
                gettext(
                    "Run #%(run)s is finalised: every decision is signed off, and the periods "
                    "up to %(as_of)s are closed to the cities."
                )
                % {"run": run.pk, "as_of": run.as_of.isoformat()},
                reverse("reports:decision_record", args=[run.pk]),
                gettext("The decision record (PDF)"),
            ),
        )


class OverrideForm(forms.Form):
    """The amount in yuan (元), with the remaining sum beside it; an amount under 1% of the
    remaining sum (but not 0, which withholds) looks like a slip of unit (万元 typed as 元) and
    is refused unless its box is ticked."""

    SLIP = Decimal("0.01")

    amount = forms.DecimalField(
        label=_("Amount (yuan, 元)"), max_digits=14, decimal_places=2, min_value=Decimal(0)
    )
    small_confirmed = forms.BooleanField(
        label=_("Yes, the amount is in yuan and is meant to be this small"), required=False
    )
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )

    def __init__(self, *args: Any, remaining: Decimal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.remaining = remaining
        self.fields["amount"].help_text = gettext(
            "In yuan (元), as the decisions and the decision record write amounts, not in "
            "10,000 yuan (万元). Remaining: %(remaining)s yuan (%(wan)s 10,000 yuan)."
        ) % {"remaining": show(remaining), "wan": figures.money(remaining, figures.WAN)}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        amount = cleaned.get("amount")
        if (
            amount is not None
            and 0 < amount < self.remaining * self.SLIP
            and not cleaned.get("small_confirmed")
        ):
            self.add_error(
                "amount",
                gettext(
                    "%(amount)s yuan is less than 1%% of the remaining %(remaining)s yuan: was "
                    "it meant in 10,000 yuan (万元)? Enter the amount in yuan, or tick the box "
                    "below to confirm it."
                )
                % {"amount": show(amount), "remaining": show(self.remaining)},
            )
        return cleaned


class CityResultInline(admin.TabularInline):
    model = CityResult
    fields = ("city_link", "score", "grade_word", "decision_summary", "reason_words")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[CityResult]:
        return (
            super()
            .get_queryset(request)
            .select_related("participation__city", "decision")
            .prefetch_related("indicator_results__indicator")
        )

    @admin.display(description=_("city"))
    def city_link(self, result: CityResult) -> str:
        return str(result.participation.city)

    @admin.display(description=_("grade"))
    def grade_word(self, result: CityResult) -> str:
        return grade_word(result.grade)

    @admin.display(description=_("decision"))
    def decision_summary(self, result: CityResult) -> str:
        d = result.decision
        return gettext("%(decision)s %(amount)s (%(status)s)") % {
            "decision": d.get_recommended_decision_display(),
            "amount": yuan(d.recommended_amount),
            "status": d.get_status_display(),
        }

    @admin.display(description=_("reason"))
    def reason_words(self, result: CityResult) -> str:
        return wording.decision_reason(result)


class RunChunkInline(admin.TabularInline):
    """The run's plan: each chunk's cities, whether it is stored, its deliveries and error."""

    model = RunChunk
    fields = ("number", "cities", "status", "deliveries", "last_delivered", "last_error")
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

    @admin.display(description=_("last taken by a worker"))
    def last_delivered(self, chunk: RunChunk) -> str:
        return when(chunk.last_delivered_at)


class StartRunForm(forms.Form):
    programme = forms.ModelChoiceField(
        label=_("programme"), queryset=Programme.objects.order_by("code"), empty_label=None
    )
    as_of = forms.DateField(
        label=_("evaluation date"),
        help_text=_("The date the run evaluates to (YYYY-MM-DD)."),
    )


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
        "triggered_by_name",
        "created",
        "duration",
        "finalised",
        "failure",
    ]
    list_filter = ["programme", "kind", "status"]
    fields = readonly_fields = (
        "programme",
        "ruleset",
        "as_of",
        "kind",
        "status",
        "trigger",
        "triggered_by_name",
        "years_elapsed",
        "progress",
        "created",
        "started",
        "finished",
        "duration",
        "finalised",
        "last_progress",
        "waiting_for",
        "identical_to",
        "input_digest",
        "result_digest",
        "error",
        "start_deliveries",
        "start_last_error",
    )
    inlines = [RunChunkInline, CityResultInline]
    actions = ["compare", "restart"]
    change_list_template = "admin/evaluation/evaluationrun/change_list.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[EvaluationRun]:
        return super().get_queryset(request).select_related("programme", "ruleset", "triggered_by")

    @admin.display(description=_("why it failed"))
    def failure(self, run: EvaluationRun) -> str:
        first = run.error.splitlines()[0] if run.error else ""
        return first if len(first) <= 120 else first[:119] + "…"

    @admin.display(description=_("waiting for"))
    def waiting_for(self, run: EvaluationRun) -> str:
        return run_progress(run=run).waiting_for or "—"

    @admin.display(description=_("triggered by"), ordering="triggered_by__last_name")
    def triggered_by_name(self, run: EvaluationRun) -> str:
        return person(run.triggered_by) if run.triggered_by_id else str(run.get_trigger_display())

    @admin.display(description=_("requested at"), ordering="created_at")
    def created(self, run: EvaluationRun) -> str:
        return when(run.created_at)

    @admin.display(description=_("started at"))
    def started(self, run: EvaluationRun) -> str:
        return when(run.started_at)

    @admin.display(description=_("finished at"))
    def finished(self, run: EvaluationRun) -> str:
        return when(run.finished_at)

    @admin.display(description=_("finalised at"), ordering="finalised_at")
    def finalised(self, run: EvaluationRun) -> str:
        return when(run.finalised_at)

    @admin.display(description=_("last sign of progress"))
    def last_progress(self, run: EvaluationRun) -> str:
        return when(run.heartbeat_at)

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

    # Starting a provisional run from the admin: the run service, as the command and the API
    # call it (``trigger="admin"``); an official run stays the command's and the schedule's.
    def get_urls(self) -> list[URLPattern]:
        start = path(
            "start-provisional/",
            self.admin_site.admin_view(self.start_view),
            name="evaluation_evaluationrun_start",
        )
        return [start, *super().get_urls()]

    def start_view(self, request: HttpRequest) -> HttpResponse:
        if not access.is_reviewer(request.user):
            raise PermissionDenied
        form = StartRunForm(
            request.POST if request.method == "POST" else None,
            initial={"as_of": timezone.localdate().isoformat()},
        )
        if request.method == "POST" and form.is_valid():
            try:
                run = evaluation_run_request(
                    programme=form.cleaned_data["programme"],
                    as_of=form.cleaned_data["as_of"],
                    kind=EvaluationRun.Kind.PROVISIONAL,
                    trigger=EvaluationRun.Trigger.ADMIN,
                    by=_user(request),
                )
            except (WorkflowError, Forbidden) as exc:
                reason = (
                    "; ".join(e.reason for e in exc.errors)
                    if isinstance(exc, WorkflowError)
                    else str(exc)
                )
                form.add_error(None, reason)
            else:
                messages.success(
                    request,
                    gettext(
                        "Provisional run #%(run)s of programme %(programme)s as of %(as_of)s "
                        "requested: its results are for information and are never signed off."
                    )
                    % {
                        "run": run.pk,
                        "programme": run.programme.code,
                        "as_of": run.as_of.isoformat(),
                    },
                )
                return redirect("admin:evaluation_evaluationrun_change", run.pk)
        return TemplateResponse(
            request,
            "admin/evaluation/start_run.html",
            {
                **self.admin_site.each_context(request),
                "title": gettext("Start a provisional run"),
                "form": form,
                "opts": self.model._meta,
            },
        )


class IndicatorResultInline(admin.TabularInline):
    model = IndicatorResult
    fields = (
        "indicator_words",
        "status",
        "actual_figure",
        "target_figure",
        "target_source",
        "attainment_percent",
        "points",
        "weight",
        "base_figure",
        "final_figure",
        "reason_words",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[IndicatorResult]:
        return (
            super().get_queryset(request).select_related("indicator", "city_result__run__programme")
        )

    @admin.display(description=_("indicator"))
    def indicator_words(self, result: IndicatorResult) -> str:
        unit = indicator_unit(result.indicator)
        name = indicator_name(result.indicator)
        return gettext("%(name)s (%(unit)s)") % {"name": name, "unit": unit} if unit else name

    @admin.display(description=_("actual"))
    def actual_figure(self, result: IndicatorResult) -> str:
        return figures.actual(result)

    @admin.display(description=_("target"))
    def target_figure(self, result: IndicatorResult) -> str:
        return figures.target(result)

    @admin.display(description=_("attainment"))
    def attainment_percent(self, result: IndicatorResult) -> str:
        return figures.percent(result.attainment)

    @admin.display(description=_("base value"))
    def base_figure(self, result: IndicatorResult) -> str:
        return figures.grouped(result.base_value, 2)

    @admin.display(description=_("final value"))
    def final_figure(self, result: IndicatorResult) -> str:
        return figures.grouped(result.final_value, 2)

    @admin.display(description=_("reason"))
    def reason_words(self, result: IndicatorResult) -> str:
        return wording.indicator_reason(result, run=result.city_result.run)


@admin.register(CityResult)
class CityResultAdmin(NothingToSave):
    list_display = ["city", "run", "score", "grade_word"]
    list_filter = ["run__programme", "grade"]
    fields = readonly_fields = ("run", "city", "score", "grade_word", "share", "reason_words")
    inlines = [IndicatorResultInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[CityResult]:
        return (
            super()
            .get_queryset(request)
            .select_related("participation__city", "run__programme", "decision")
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("city"), ordering="participation__city__code")
    def city(self, result: CityResult) -> str:
        return str(result.participation.city)

    @admin.display(description=_("grade"), ordering="grade")
    def grade_word(self, result: CityResult) -> str:
        return grade_word(result.grade)

    @admin.display(description=_("share of the remaining amount released"))
    def share(self, result: CityResult) -> str:
        return figures.percent(result.release_share)

    @admin.display(description=_("reason"))
    def reason_words(self, result: CityResult) -> str:
        return wording.decision_reason(result)
